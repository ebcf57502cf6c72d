// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { FlowCutter } from '../../../src/actions/flow-cutter.ts';

test('a spray of learned peers cannot make ftwall fork a process per peer', () => {
  const spawned: string[] = [];
  const cutter = new FlowCutter(() => {}, (ip, port) => {
    spawned.push(`${ip}:${port}`);
    return new EventEmitter() as never; // never closes: every spawn stays "running"
  });
  for (let i = 0; i < 10_000; i++) cutter.cut(`198.18.${i >> 8 & 0xff}.${i & 0xff}`, 1214, 1000);
  assert.equal(spawned.length, 4, 'at most 4 at once');
  assert.equal(cutter.counts.rate_limited, 10_000 - 20, 'at most 20 per second start or wait');
  cutter.cut('192.0.2.1', 80, 2000);
  assert.equal(cutter.counts.rate_limited, 10_000 - 20, 'the budget refills');
});
