// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketView, Protocol, ipFromString, macKey, parsePacket } from '../../../src/core/packet.ts';
import { ClientStatus, Decision, PeerStatus, Reason, Verdict } from '../../../src/core/types.ts';
import { Learned, StateWriter, type SpoofRequest } from '../../../src/state/apply.ts';
import { Client, PeerSource, SharedState, revealerBit, revealerCount } from '../../../src/state/shared-state.ts';
import { SharedStateView } from '../../../src/state/view.ts';
import type { FtEvent } from '../../../src/telemetry/events.ts';
import { buildIpv4 } from '../../../lab/packets.ts';

test('a ping decision identifies once, learns once, keeps the ping for probes, and asks for one pong', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4, 3);
  const view = new PacketView();
  const ping = [0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')];
  const bytes = buildIpv4({ protocol: Protocol.UDP, src: '10.77.1.10', dst: '198.51.100.7', srcPort: 3531, dstPort: 1214, payload: ping });
  parsePacket(view, bytes, 0, bytes.length);
  view.srcMacHigh = 0x02770100;
  view.srcMacLow = 0x00100000;
  const decision = new Decision();
  Object.assign(decision, { verdict: Verdict.DROP, reason: Reason.FASTTRACK_UDP, identifyClient: true, learnPeer: true, spoofReply: true });
  const events: FtEvent[] = [];
  const spoofs: SpoofRequest[] = [];
  writer.apply(view, decision, 10, events, spoofs);
  writer.apply(view, decision, 11, events, spoofs);
  assert.deepEqual(events.map((e) => e.event), ['client_identified', 'peer_learned']);
  const [identified, learned] = events as Array<FtEvent & { src_mac?: string; dest_ip: string; action: string }>;
  assert.equal(identified!.src_mac, '02:77:01:00:00:10');
  assert.equal(learned!.dest_ip, '198.51.100.7');
  assert.equal(learned!.action, 'blocked');
  assert.equal(spoofs.length, 2, 'rate limits are the spoofer\'s job');
  assert.deepEqual(spoofs[0], { protocol: 0, clientIp: ipFromString('10.77.1.10'), clientPort: 3531, peerIp: ipFromString('198.51.100.7'), peerPort: 1214, request: Buffer.from(ping).toString('latin1') });
  const stateView = new SharedStateView(state);
  assert.equal(stateView.peerStatus(ipFromString('198.51.100.7'), 1214), PeerStatus.LEARNED, 'one revealer is below the quorum');
  const hostKey = macKey(0x02770100, 0x00100000, state.hostKeySecret); // a keyed hash of the whole MAC
  assert.equal(stateView.clientStatus(ipFromString('10.77.1.10'), hostKey), ClientStatus.IDENTIFIED);
  assert.equal(stateView.clientStatus(ipFromString('10.77.1.10'), 0), ClientStatus.NONE, 'the same IP with another MAC is another host');
  const slot = state.clients.find(ipFromString('10.77.1.10'), hostKey);
  assert.equal(state.clients.get(slot, Client.clientPort), 3531);
  assert.equal(state.clients.get(slot, Client.seedLength), 12);
  assert.equal(state.clients.get(slot, Client.flags) & ClientStatus.IDENTIFIED, ClientStatus.IDENTIFIED);
});

/** Fresh state (lock 4 s, quorum 3) and a SYN from 10.77.1.10 to a known peer, decided "drop and lock". */
function lockingSyn() {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4, 3);
  const view = new PacketView();
  const bytes = buildIpv4({ protocol: Protocol.TCP, src: '10.77.1.10', dst: '198.51.100.7', srcPort: 40000, dstPort: 1214, tcpFlags: 2, payload: [] });
  parsePacket(view, bytes, 0, bytes.length);
  const decision = new Decision();
  Object.assign(decision, { verdict: Verdict.DROP, reason: Reason.KNOWN_PEER_SYN, lockClient: true });
  return { state, writer, view, decision };
}

test('locks start, then refresh (reported at most once a second)', () => {
  const { state, writer, view, decision } = lockingSyn();
  const events: FtEvent[] = [];
  for (const now of [10, 12, 15, 21]) writer.apply(view, decision, now, events, []);
  assert.deepEqual(events.map((e) => e.event), ['lock_started', 'lock_refreshed']);
  assert.equal(new SharedStateView(state).lockUntil(ipFromString('10.77.1.10'), 0), 21 + 40);
});

test('a peer is confirmed once the quorum of distinct hosts revealed it, and reported once', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4, 3);
  const peer = ipFromString('198.51.100.80');
  const view = new SharedStateView(state);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.10'), 1, PeerSource.UDP, 5), Learned.NEW);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.10'), 1, PeerSource.UDP, 6), Learned.NOTHING, 'the same host again counts once');
  // A second host whose revealer bit differs (two hosts can share a bit; that only ever undercounts).
  let second = 2;
  while (revealerBit(ipFromString('10.77.1.11'), second) === revealerBit(ipFromString('10.77.1.10'), 1)) second++;
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.11'), second, PeerSource.UDP, 7), Learned.NOTHING);
  assert.equal(view.peerStatus(peer, 80), PeerStatus.LEARNED);
  let third = 0;
  const bits = revealerBit(ipFromString('10.77.1.10'), 1) | revealerBit(ipFromString('10.77.1.11'), second);
  while ((bits | revealerBit(ipFromString('10.77.1.12'), third)) === bits) third++;
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.12'), third, PeerSource.UDP, 8), Learned.CONFIRMED);
  assert.equal(view.peerStatus(peer, 80), PeerStatus.CONFIRMED);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.13'), 9, PeerSource.UDP, 9), Learned.NOTHING, 'confirmed once');
  assert.equal(writer.learnPeer(ipFromString('198.51.100.81'), 80, 0, 0, PeerSource.STORE | PeerSource.CONFIRMED, 9), Learned.NEW | Learned.CONFIRMED, 'a trusted store line');
  assert.equal(revealerCount(0b111 << 8), 3);
});

test('a probe answer counts once: it extends the lock and clears the probe port; a replay of it changes nothing', () => {
  const { state, writer, view, decision } = lockingSyn();
  const events: FtEvent[] = [];
  writer.apply(view, decision, 10, events, []); // locked until 50
  const slot = state.clients.find(ipFromString('10.77.1.10'), 0);
  state.clients.set(slot, Client.probePort, 41500); // the lock keeper's doing when it probes
  state.clients.set(slot, Client.probeSent, 30);
  const answer = new PacketView();
  const bytes = buildIpv4({ protocol: Protocol.UDP, src: '10.77.1.10', dst: '10.77.1.1', srcPort: 3531, dstPort: 41500, payload: [0x28, 0, 0, 0, 0x29, 0, 1, 0, 40, 25, 0, ...Buffer.from('KaZaA\0')] });
  parsePacket(answer, bytes, 0, bytes.length);
  const answered = new Decision();
  Object.assign(answered, { verdict: Verdict.DROP, reason: Reason.PROBE_ANSWER, probeAnswer: true, identifyClient: true, lockClient: true });
  writer.apply(answer, answered, 32, events, []);
  assert.equal(state.clients.get(slot, Client.probeAnswered), 32);
  assert.equal(state.clients.get(slot, Client.probePort), 0, 'one answer per probe');
  assert.equal(state.clients.get(slot, Client.lockUntil), 32 + 40, 'the answer extends the lock by a period');
  writer.apply(answer, answered, 45, events, []);
  assert.equal(state.clients.get(slot, Client.probeAnswered), 32, 'a replay is not an answer');
  assert.equal(state.clients.get(slot, Client.lockUntil), 32 + 40, 'and extends nothing');
  assert.deepEqual(events.map((e) => e.event), ['lock_started', 'client_identified', 'probe_answered', 'lock_refreshed']);
});

