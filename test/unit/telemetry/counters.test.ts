// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reason } from '../../../src/core/types.ts';
import { Counter, MAX_PROTOCOLS, SharedCounters, packetColumn, protocolSlot } from '../../../src/telemetry/counters.ts';

test('totals derive from the per-reason, per-verdict columns summed over worker rows', () => {
  const counters = new SharedCounters(SharedCounters.create(2));
  counters.add(0, Counter.reasonBase + Reason.NOT_P2P * 2, 10);
  counters.add(1, Counter.reasonBase + Reason.NOT_P2P * 2, 5);
  counters.add(1, Counter.reasonBase + Reason.P2P_UDP * 2 + 1, 3);
  counters.add(0, Counter.handlerErrors, 1);
  assert.deepEqual(counters.verdictTotals(), { packets: 18, dropped: 3 });
  assert.equal(counters.total(Counter.handlerErrors), 1);
});

test('a packet a module recognised counts in its protocol slot; the others in slot 0; reason totals sum the slots', () => {
  const counters = new SharedCounters(SharedCounters.create(1));
  assert.equal(protocolSlot(Reason.NOT_P2P, 1), 0, 'no module recognised it');
  assert.equal(protocolSlot(Reason.P2P_UDP, 0), 1);
  assert.equal(protocolSlot(Reason.SAFETY_NET, 1), 2);
  assert.equal(protocolSlot(Reason.P2P_UDP, 99), MAX_PROTOCOLS, 'more modules than slots share the last one');
  counters.add(0, packetColumn(1, Reason.P2P_UDP, true), 4);
  counters.add(0, packetColumn(2, Reason.P2P_UDP, true), 6);
  assert.equal(counters.reasonTotal(Reason.P2P_UDP, true), 10);
  assert.equal(counters.reasonTotal(Reason.P2P_UDP, false), 0);
  assert.notEqual(packetColumn(1, Reason.P2P_UDP, true), packetColumn(2, Reason.P2P_UDP, true));
  assert.ok(packetColumn(MAX_PROTOCOLS, Reason.TCP_HANDSHAKE, true) < Counter.startsEvicted, 'the packet columns end before the next counter');
});
