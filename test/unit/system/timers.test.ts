// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's intervals (system/timers.ts): they run until cleared, and never hold the process up.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Intervals } from '../../../src/system/timers.ts';

test('intervals run until cleared, all at once', async () => {
  const intervals = new Intervals();
  let a = 0;
  let b = 0;
  intervals.every(5, () => a++);
  intervals.every(5, () => b++);
  assert.equal(intervals.size, 2);
  await sleep(40);
  assert.ok(a > 0 && b > 0, `both ran (${a}, ${b})`);
  intervals.clear();
  assert.equal(intervals.size, 0);
  const [ranA, ranB] = [a, b];
  await sleep(30);
  assert.deepEqual([a, b], [ranA, ranB], 'neither runs after clear()');
});

test('an interval does not keep the process alive (unref)', async () => {
  const { execFileSync } = await import('node:child_process');
  const script = `import { Intervals } from ${JSON.stringify(new URL('../../../src/system/timers.ts', import.meta.url).href)}; new Intervals().every(60000, () => {});`;
  const started = Date.now();
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
  assert.ok(Date.now() - started < 10_000, 'the process exits at once');
});
