// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelQueueStats } from 'nfqueue-bindings';
import { drainQueues, kernelQueues } from '../../../src/queue/kernel.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const queue = (number: number, queueTotal = 0): KernelQueueStats => ({ queue: number, portId: 1, queueTotal, copyMode: 2, copyRange: 2048, queueDropped: 0, userDropped: 0, idSequence: 0 });

test('only ftwall\'s queues are read: FTWALL_QUEUE_BASE .. FTWALL_QUEUE_BASE+FTWALL_WORKERS-1', () => {
  const all = [queue(0), queue(9), queue(10), queue(11), queue(12)];
  assert.deepEqual(kernelQueues(10, 2, () => all).map((stats) => stats.queue), [10, 11]);
});

test('drain returns once the queues are empty, without a warning', async () => {
  const { log, lines } = memoryLogger();
  const waiting = [3, 1, 0];
  let reads = 0;
  await drainQueues(() => [queue(10, waiting[Math.min(reads++, 2)]!)], 10_000, log);
  assert.equal(reads, 3);
  assert.deepEqual(lines, []);
});

test('drain gives up after its timeout and says how many packets are left', async () => {
  const { log, lines } = memoryLogger();
  await drainQueues(() => [queue(10, 2), queue(11, 3)], 30, log);
  assert.deepEqual(lines.map((line) => [line.event, line.waiting]), [['drain_timeout', 5]]);
});
