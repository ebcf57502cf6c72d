// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketView, Protocol, ipFromString, parsePacket } from '../../../src/core/packet.ts';
import { Decision, Reason, Verdict } from '../../../src/core/types.ts';
import { StateWriter, type SpoofRequest } from '../../../src/state/apply.ts';
import { Client, ClientFlag, SharedState } from '../../../src/state/shared-state.ts';
import { SharedStateView } from '../../../src/state/view.ts';
import type { FtEvent } from '../../../src/telemetry/events.ts';
import { buildIpv4 } from '../../helpers/packets.ts';

test('a ping decision identifies once, learns once, keeps the ping for probes, and asks for one pong', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4);
  const view = new PacketView();
  const ping = [0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')];
  const bytes = buildIpv4({ protocol: Protocol.UDP, src: '10.77.1.10', dst: '198.51.100.7', srcPort: 3531, dstPort: 1214, payload: ping });
  parsePacket(view, bytes, 0, bytes.length);
  view.srcMacHigh = 0x02770100;
  view.srcMacLow = 0x00100000;
  const decision = new Decision();
  Object.assign(decision, { verdict: Verdict.DROP, reason: Reason.FASTTRACK_UDP, identifyClient: true, learnPeer: true, spoofPong: true });
  const events: FtEvent[] = [];
  const spoofs: SpoofRequest[] = [];
  writer.apply(view, decision, 10, events, spoofs);
  writer.apply(view, decision, 11, events, spoofs);
  assert.deepEqual(events.map((e) => e.event), ['client_identified', 'peer_learned']);
  assert.equal(events[0]!.src_mac, '02:77:01:00:00:10');
  assert.equal(events[1]!.dest_ip, '198.51.100.7');
  assert.equal(events[1]!.action, 'blocked');
  assert.equal(spoofs.length, 2, 'rate limits are the spoofer\'s job');
  assert.deepEqual(spoofs[0], { clientIp: ipFromString('10.77.1.10'), clientPort: 3531, peerIp: ipFromString('198.51.100.7'), peerPort: 1214, encryptionType: 0x29, networkName: 'KaZaA' });
  const stateView = new SharedStateView(state);
  assert.equal(stateView.isPeer(ipFromString('198.51.100.7'), 1214), true);
  assert.equal(stateView.isIdentifiedClient(ipFromString('10.77.1.10')), true);
  const slot = state.clients.find(ipFromString('10.77.1.10'), 0);
  assert.equal(state.clients.get(slot, Client.fastTrackPort), 3531);
  assert.equal(state.clients.get(slot, Client.pingLength), 12);
  assert.equal(state.clients.get(slot, Client.flags) & ClientFlag.IDENTIFIED, ClientFlag.IDENTIFIED);
});

test('locks start, then refresh (reported at most once a second)', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4);
  const view = new PacketView();
  const bytes = buildIpv4({ protocol: Protocol.TCP, src: '10.77.1.10', dst: '198.51.100.7', srcPort: 40000, dstPort: 1214, tcpFlags: 2, payload: [] });
  parsePacket(view, bytes, 0, bytes.length);
  const decision = new Decision();
  Object.assign(decision, { verdict: Verdict.DROP, reason: Reason.KNOWN_PEER_SYN, lockClient: true });
  const events: FtEvent[] = [];
  for (const now of [10, 12, 15, 21]) writer.apply(view, decision, now, events, []);
  assert.deepEqual(events.map((e) => e.event), ['lock_started', 'lock_refreshed']);
  assert.equal(new SharedStateView(state).lockUntil(ipFromString('10.77.1.10')), 21 + 40);
});
