// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reason } from '../../../src/core/types.ts';
import { Counter, SharedCounters } from '../../../src/telemetry/counters.ts';

test('totals derive from the per-reason, per-verdict columns summed over worker rows', () => {
  const counters = new SharedCounters(SharedCounters.create(2));
  counters.add(0, Counter.reasonBase + Reason.NOT_FASTTRACK * 2, 10);
  counters.add(1, Counter.reasonBase + Reason.NOT_FASTTRACK * 2, 5);
  counters.add(1, Counter.reasonBase + Reason.FASTTRACK_UDP * 2 + 1, 3);
  counters.add(0, Counter.handlerErrors, 1);
  assert.deepEqual(counters.verdictTotals(), { packets: 18, dropped: 3 });
  assert.equal(counters.total(Counter.handlerErrors), 1);
});
