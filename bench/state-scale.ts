// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Decision time and memory with many known peers and clients (run by bench/run.ts in a child
 * process per size, so RSS is its own): `node bench/state-scale.ts PEERS CLIENTS` prints JSON.
 */
import { CidrList } from '../src/core/cidr.ts';
import { CoreDecider } from '../src/core/decide.ts';
import { PacketView, parsePacket } from '../src/core/packet.ts';
import { createProtocols } from '../src/core/protocols/index.ts';
import { DEFAULT_NETWORK_NAMES } from '../src/core/protocols/fasttrack/udp.ts';
import { Decision, Verdict } from '../src/core/types.ts';
import { Client, Peer, SharedState } from '../src/state/shared-state.ts';
import { SharedStateView } from '../src/state/view.ts';
import { buildIpv4 } from '../lab/packets.ts';

const peers = Number(process.argv[2] ?? 1000);
const clients = Number(process.argv[3] ?? 65536);
const rssBefore = process.memoryUsage().rss;
const state = new SharedState(SharedState.create({ maxPeers: peers, maxClients: clients }));
const now = state.ticks();
// Fill to the configured sizes: peers across 10.0.0.0/8 (any ip:port), clients in 172.16.0.0/12.
for (let i = 0; i < peers; i++) state.peers.set(state.peers.upsert((0x0a000000 + i * 7) >>> 0, 1214 + (i % 5)), Peer.lastSeen, now);
for (let i = 0; i < clients; i++) state.clients.set(state.clients.upsert((0xac100000 + i) >>> 0, 0), Client.lastSeen, now);
const decider = new CoreDecider({
  protocols: createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: state.hostKeySecret,
  exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('172.16.0.0/12'), neverPeer: CidrList.parse(''),
}, new SharedStateView(state));
// A mix: UDP to known and unknown peers, SYNs, FastTrack-looking and ordinary payloads.
const packets = Array.from({ length: 1024 }, (_, i) => buildIpv4({
  protocol: i % 3 === 0 ? 6 : 17,
  src: `172.16.${(i >> 8) & 0xff}.${i & 0xff}`,
  dst: `10.${(i * 7 >> 16) & 0xff}.${(i * 7 >> 8) & 0xff}.${(i * 7) & 0xff}`,
  srcPort: 40000 + i, dstPort: i % 2 ? 1214 : 1215, tcpFlags: 2,
  payload: i % 3 === 0 ? [] : i % 5 === 0 ? [0x27, 0, 0, 0, 0x29, 0x80, 0x4b, 0x61, 0x5a, 0x61, 0x41, 0] : new Array(40).fill(i & 0xff),
}));
const view = new PacketView();
const decision = new Decision();
const ROUNDS = 2000;
let dropped = 0;
for (let warm = 0; warm < 200; warm++) for (const bytes of packets) { parsePacket(view, bytes, 0, bytes.length); decision.reset(); decider.decide(view, now, decision); }
const started = process.hrtime.bigint();
for (let round = 0; round < ROUNDS; round++) {
  for (const bytes of packets) {
    parsePacket(view, bytes, 0, bytes.length);
    decision.reset();
    decider.decide(view, now, decision);
    if (decision.verdict === Verdict.DROP) dropped++;
  }
}
const ns = Number(process.hrtime.bigint() - started) / (ROUNDS * packets.length);
process.stdout.write(`${JSON.stringify({ peers, clients, ns_per_decision: Math.round(ns * 10) / 10, rss_mb: Math.round(process.memoryUsage().rss / 1048576), rss_state_mb: Math.round((process.memoryUsage().rss - rssBefore) / 1048576), dropped_share: dropped / (ROUNDS * packets.length) })}\n`);
