// SPDX-License-Identifier: GPL-2.0-or-later
// The README's architecture measures (scripts/measure-layout.ts), and the one they guard: a lock is
// tested in one place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineCount, measure, report, sourceFiles, testsLock } from '../../scripts/measure-layout.ts';

test('lines as wc -l counts them; the largest besides main.ts; the lower middle as the median', () => {
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 1);
  const file = (path: string, lines: number, text = '') => ({ path, text: `${text}\n`.repeat(lines) });
  const layout = measure([file('main.ts', 90), file('a/x.ts', 10), file('a/y.ts', 30), file('b/z.ts', 20)]);
  assert.deepEqual({ ...layout, lockFiles: undefined, fastTrackFiles: undefined }, { files: 4, largest: { path: 'a/y.ts', lines: 30 }, median: 20, mainLines: 90, lockFiles: undefined, fastTrackFiles: undefined });
  assert.match(report(layout), /^largest file: a\/y\.ts, 30 \(main\.ts 90\)$/m);
});

test('a file holds the lock\'s rules when it compares a lock\'s end with a time itself', () => {
  for (const code of ['if (lockUntil > now) return;', 'return view.lockUntil(ip, keyOf(packet, secret)) > nowTicks;', 'if (clients.get(slot, Client.lockUntil) > now) return;',
    'if (now >= lock.lockUntil) expire();', 'if (until <= now) return;', 'return entry.lockUntilMs > nowMs;', 'if (untilMs <= nowMs) return 0;']) assert.equal(testsLock(code), true, code);
  for (const code of ['if (isLocked(lockUntil, now)) return;', 'clients.compareExchange(slot, Client.lockUntil, until, 0) !== until', 'const f = (until) => until;',
    'lock.lockUntil === UNLOCKED', '// lockUntil > now', '/* until <= now */', 'raise(slot, Client.lockUntil, activity.lockUntil);']) assert.equal(testsLock(code), false, code);
});

test('FastTrack bytes: the files of a fasttrack/ folder and the files that import from one', () => {
  const layout = measure([
    { path: 'core/protocols/fasttrack/udp.ts', text: 'export const X = 1;\n' },
    { path: 'core/protocols/index.ts', text: "import { createFastTrack } from './fasttrack/index.ts';\n" },
    { path: 'core/decide.ts', text: "// FastTrack, see ./fasttrack/udp.ts\nimport { UdpSign } from './protocol.ts';\n" },
  ]);
  assert.deepEqual(layout.fastTrackFiles, ['core/protocols/fasttrack/udp.ts', 'core/protocols/index.ts']);
});

test('on this tree the lock is tested in one file only, core/lock.ts (its isLocked)', () => {
  assert.deepEqual(measure(sourceFiles()).lockFiles, ['core/lock.ts']);
});
