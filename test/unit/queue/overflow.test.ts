// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OverflowCounter } from '../../../src/queue/overflow.ts';

const queue = (queue: number, idSequence: number) => ({ queue, idSequence, portId: 1, queueTotal: 0, copyMode: 2, copyRange: 2048, queueDropped: 0, userDropped: 0 });

test('overflow is what the rules sent minus what the kernel queued, across resets of either', () => {
  const counter = new OverflowCounter();
  counter.update(100, [queue(1, 60), queue(2, 30)]);
  assert.equal(counter.total, 10);
  counter.update(150, [queue(1, 5), queue(2, 50)]); // queue 1 re-bound: its ids restarted
  assert.equal(counter.total, 150 - (60 + 5) - 50);
  counter.update(20, [queue(1, 15), queue(2, 55)]); // rules reinstalled: counters restarted
  assert.equal(counter.total, 170 - (60 + 15) - 55);
});
