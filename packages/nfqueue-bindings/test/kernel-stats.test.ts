// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKernelQueueStats } from '../lib/index.ts';

test('parses /proc/net/netfilter/nfnetlink_queue rows', () => {
  const rows = parseKernelQueueStats('   0  12345     3 2  4096     7     9   301  1\n1214  -4242     0 2  2048     0     0     5  1\n');
  assert.deepEqual(rows[0], { queue: 0, portId: 12345, queueTotal: 3, copyMode: 2, copyRange: 4096, queueDropped: 7, userDropped: 9, idSequence: 301 });
  assert.equal(rows[1]!.queue, 1214);
});
