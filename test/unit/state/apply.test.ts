// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketView, Protocol, ipFromString, macKey, parsePacket } from '../../../src/core/packet.ts';
import { ClientStatus, Decision, PeerStatus, Reason, Verdict } from '../../../src/core/types.ts';
import { Learned, StateWriter, type SpoofRequest } from '../../../src/state/apply.ts';
import { Client, PeerSource, SharedState, revealerBit, revealerCount } from '../../../src/state/shared-state.ts';
import { isRealLanHost, recordNeighbours } from '../../../src/state/neighbours.ts';
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
  Object.assign(decision, { verdict: Verdict.DROP, reason: Reason.P2P_UDP, identifyClient: true, learnPeer: true, spoofReply: true, keepSeed: true });
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

test('a peer is confirmed once the quorum of distinct verified hosts revealed it, and reported once', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4, 3);
  const peer = ipFromString('198.51.100.80');
  const view = new SharedStateView(state);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.10'), 1, true, PeerSource.UDP, 5), Learned.NEW);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.10'), 1, true, PeerSource.UDP, 6), Learned.NOTHING, 'the same host again counts once');
  // A second host whose revealer bit differs (two MACs can share a bit; that only ever undercounts).
  let second = 2;
  while (revealerBit(second) === revealerBit(1)) second++;
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.11'), second, true, PeerSource.UDP, 7), Learned.NOTHING);
  assert.equal(view.peerStatus(peer, 80), PeerStatus.LEARNED);
  let third = 0;
  const bits = revealerBit(1) | revealerBit(second);
  while ((bits | revealerBit(third)) === bits) third++;
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.12'), third, false, PeerSource.UDP, 8), Learned.NOTHING, 'an unverified host does not count');
  assert.equal(view.peerStatus(peer, 80), PeerStatus.LEARNED);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.12'), third, true, PeerSource.UDP, 8), Learned.CONFIRMED);
  assert.equal(view.peerStatus(peer, 80), PeerStatus.CONFIRMED);
  assert.equal(writer.learnPeer(peer, 80, ipFromString('10.77.1.13'), 9, true, PeerSource.UDP, 9), Learned.NOTHING, 'confirmed once');
  assert.equal(writer.learnPeer(ipFromString('198.51.100.81'), 80, 0, 0, false, PeerSource.STORE | PeerSource.CONFIRMED, 9), Learned.NEW | Learned.CONFIRMED, 'a store line');
  assert.equal(revealerCount(0b111 << 8), 3);
});

/** Pings from `src` with `mac` (two words) to 192.0.2.80:80, decided as FastTrack and applied at `now`. */
function revealFrom(writer: StateWriter, src: string, mac: [number, number], now: number, events: FtEvent[]): void {
  const view = new PacketView();
  const bytes = buildIpv4({ protocol: Protocol.UDP, src, dst: '192.0.2.80', srcPort: 3531, dstPort: 80, payload: [0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')] });
  parsePacket(view, bytes, 0, bytes.length);
  [view.srcMacHigh, view.srcMacLow] = mac;
  const decision = new Decision();
  Object.assign(decision, { verdict: Verdict.DROP, reason: Reason.P2P_UDP, identifyClient: true, learnPeer: true, spoofReply: true });
  writer.apply(view, decision, now, events, []);
}

test('Sybil revealers: 10 addresses nobody owns with one MAC confirm nothing; neither do 10 claimed addresses with one MAC; 3 real hosts do', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, 4, 3);
  const view = new SharedStateView(state);
  const web = ipFromString('192.0.2.80');
  const attackerMac: [number, number] = [0x02770100, 0x00120000];
  const events: FtEvent[] = [];
  // The router's neighbour table knows the attacker's own address only.
  recordNeighbours(state, [{ ip: ipFromString('10.77.1.30'), macHigh: attackerMac[0], macLow: attackerMac[1] }], 100);
  for (let round = 0; round < 60; round++) {
    for (let i = 0; i < 10; i++) revealFrom(writer, `10.77.1.${100 + i}`, attackerMac, 100 + round, events);
  }
  assert.equal(view.peerStatus(web, 80), PeerStatus.LEARNED, '600 forged pings: learned, not confirmed');
  assert.equal(events.filter((e) => e.event === 'peer_confirmed' || (e.event === 'peer_learned' && e.confirmed)).length, 0);
  // Now it answers ARP for all ten (the router lists each with its MAC): still one MAC, one revealer.
  recordNeighbours(state, Array.from({ length: 10 }, (_, i) => ({ ip: ipFromString(`10.77.1.${100 + i}`), macHigh: attackerMac[0], macLow: attackerMac[1] })), 200);
  for (let i = 0; i < 10; i++) revealFrom(writer, `10.77.1.${100 + i}`, attackerMac, 201, events);
  assert.equal(view.peerStatus(web, 80), PeerStatus.LEARNED, 'one MAC counts once');
  // Stale entries verify nobody: three hosts listed long ago.
  const hosts = [0x10, 0x11, 0x13].map((last, i) => ({ ip: ipFromString(`10.77.1.${10 * (i + 1)}`), macHigh: 0x02770100, macLow: (last << 16) | 0 }));
  recordNeighbours(state, hosts, 200);
  for (const host of hosts) revealFrom(writer, `10.77.1.${(host.ip & 0xff)}`, [host.macHigh, host.macLow], 300, events);
  assert.equal(view.peerStatus(web, 80), PeerStatus.LEARNED, 'entries not listed for 10 s verify nobody');
  // Three real hosts, each listed with its own MAC now.
  recordNeighbours(state, hosts, 400);
  for (const host of hosts) revealFrom(writer, `10.77.1.${(host.ip & 0xff)}`, [host.macHigh, host.macLow], 401, events);
  assert.equal(view.peerStatus(web, 80), PeerStatus.CONFIRMED);
  assert.equal(isRealLanHost(state, hosts[0]!.ip, 0x02770100, 0x00990000, 401), false, 'the same IP with another MAC is not the listed host');
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


test('a noted decision (a lookup, a browser\'s announce) is logged as p2p_noted with its protocol and leaves no client behind', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const writer = new StateWriter(state, [4, 120], 3, ['fasttrack', 'bittorrent']);
  const view = new PacketView();
  const bytes = buildIpv4({ protocol: Protocol.UDP, src: '10.77.1.10', dst: '10.77.1.1', srcPort: 5353, dstPort: 53, payload: [1, 2, 3] });
  parsePacket(view, bytes, 0, bytes.length);
  const decision = new Decision();
  Object.assign(decision, { reason: Reason.P2P_LOOKUP, noted: true, protocol: 1 });
  const events: FtEvent[] = [];
  writer.apply(view, decision, 10, events, []);
  assert.deepEqual(events.map((e) => [e.event, (e as { protocol?: string }).protocol, (e as { reason?: string }).reason]), [['p2p_noted', 'bittorrent', 'p2p_lookup']]);
  assert.equal(state.clients.find(ipFromString('10.77.1.10'), 0), -1, 'nobody identified');
});
