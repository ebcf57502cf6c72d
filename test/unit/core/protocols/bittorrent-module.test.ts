// SPDX-License-Identifier: GPL-2.0-or-later
// BitTorrent behind the protocol contract (core/protocol.ts): what the core, the rules and the
// actions see, and a DHT query, a uTP packet and a probe answer through the decision core.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrList } from '../../../../src/core/cidr.ts';
import { CoreDecider } from '../../../../src/core/decide.ts';
import { PacketView, Protocol, parsePacket } from '../../../../src/core/packet.ts';
import { PROBE_SEED_MAX_BYTES, TcpSign, UdpSign, type UdpShape } from '../../../../src/core/protocol.ts';
import { createProtocols } from '../../../../src/core/protocols/index.ts';
import { Krpc, classifyKrpc } from '../../../../src/core/protocols/bittorrent/krpc.ts';
import { PROBE_BYTES } from '../../../../src/core/protocols/bittorrent/probe.ts';
import { DEFAULT_NETWORK_NAMES } from '../../../../src/core/protocols/fasttrack/udp.ts';
import { ClientStatus, Decision, PacketHook, Reason, Verdict, type StateView } from '../../../../src/core/types.ts';
import { buildIpv4 } from '../../../../lab/packets.ts';
import { HANDSHAKE, NODE_ID, ST_DATA, ST_STATE, ST_SYN, hex, krpcError, lsd, query, response, trackerAnnounce, trackerConnect, utp } from './bittorrent-messages.ts';

const options = { networkNames: DEFAULT_NETWORK_NAMES };
const [bittorrent] = createProtocols(['bittorrent'], options);
const bt = bittorrent!;
const sign = (bytes: Uint8Array) => bt.recogniseUdp(bytes, 0, bytes.length);
const fits = (shapes: readonly UdpShape[], bytes: Uint8Array) => shapes.some((shape) => bytes[0]! >= shape.firstByte[0] && bytes[0]! <= shape.firstByte[1] && bytes.length >= shape.payloadLength[0] && bytes.length <= shape.payloadLength[1]);

/**
 * A decision core with both modules over an empty state (nobody known, nothing locked); `send`
 * decides one packet as forwarded (the returned Decision is reused by the next call).
 */
function coreWithoutState() {
  const state: StateView = { peerStatus: () => 0, lockUntil: () => 0, clientStatus: () => 0, probePort: () => 0, probeSent: () => 0 };
  const decider = new CoreDecider({
    protocols: createProtocols(['fasttrack', 'bittorrent'], options), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: 7,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.0.0.0/8'), neverPeer: CidrList.parse(''),
  }, state);
  const view = new PacketView();
  const out = new Decision();
  const send = (spec: Parameters<typeof buildIpv4>[0]) => {
    const bytes = buildIpv4(spec);
    parsePacket(view, bytes, 0, bytes.length);
    view.hook = PacketHook.FORWARD;
    out.reset();
    decider.decide(view, 1000, out);
    return out;
  };
  return { decider, send };
}

test('the module: its name, no TCP handshake by sizes, no named peer, no reply', () => {
  assert.equal(bt.name, 'bittorrent');
  assert.equal(bt.tcpHandshake, null);
  assert.equal(bt.namedPeer(HANDSHAKE, 0, HANDSHAKE.length), null);
  assert.equal(bt.buildReply(query('ping')), null, 'ftwall does not answer DHT queries');
});

test('UDP signs: DHT, uTP SYN and tracker connects are strong requests (their port answers the probe); LSD strong; announces and other uTP weak; the strong ones lock', () => {
  assert.equal(sign(query('get_peers', { info_hash: NODE_ID })), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK);
  assert.equal(sign(response()), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK, 'a LAN host answering a node outside is a DHT node');
  assert.equal(sign(krpcError()), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK);
  assert.equal(sign(utp(ST_SYN)), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK);
  assert.equal(sign(utp(ST_DATA, { payload: HANDSHAKE })), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK);
  assert.equal(sign(utp(ST_STATE)), UdpSign.WEAK);
  assert.equal(sign(utp(ST_DATA, { payload: [1, 2, 3] })), UdpSign.WEAK);
  assert.equal(sign(trackerConnect()), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK | UdpSign.SERVER, 'a tracker is no peer');
  assert.equal(sign(trackerAnnounce()), UdpSign.WEAK | UdpSign.REQUEST | UdpSign.SERVER, 'weak: a padded EDNS query fits its fixed fields');
  assert.equal(sign(lsd()), UdpSign.STRONG | UdpSign.LOCK);
  assert.equal(sign(new Uint8Array(0)), UdpSign.NONE);
  assert.equal(sign(Uint8Array.from([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')])), UdpSign.NONE, 'a FastTrack ping');
  assert.equal(bt.recogniseTcp(HANDSHAKE, 0, HANDSHAKE.length), TcpSign.MATCH);
  const padded = Buffer.concat([Buffer.alloc(7, 0xee), query('ping'), Buffer.alloc(5, 0xee)]);
  assert.equal(bt.recogniseUdp(padded, 7, padded.length - 12), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK, 'at an offset, bounded by the length');
});

test('the probe: a DHT ping from an id and transaction id fixed per instance, whatever the seed', () => {
  const seed = query('ping').subarray(0, PROBE_SEED_MAX_BYTES);
  assert.equal(seed.toString('latin1', 0, 12), 'd1:ad2:id20:', 'the kept seed is the query\'s start: its sender\'s id');
  const probe = bt.buildProbe(seed);
  assert.equal(probe.length, PROBE_BYTES);
  assert.equal(probe.length, 56);
  assert.equal(classifyKrpc(probe, 0, probe.length), Krpc.QUERY);
  assert.match(Buffer.from(probe).toString('latin1'), /^d1:ad2:id20:[\s\S]{20}e1:q4:ping1:t2:[\s\S]{2}1:y1:qe$/);
  assert.deepEqual(bt.buildProbe(new Uint8Array(3)), probe, 'the seed does not change it');
  assert.notDeepEqual(createProtocols(['bittorrent'], options)[0]!.buildProbe(seed), probe, 'another instance has another id');
  assert.equal(sign(probe), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK, 'it is a query like any other');
});

test('a probe answer is a well-formed DHT response, whoever sends it; nothing else is', () => {
  const answer = response({}, { ip: hex('0a4d010a1ae1'), v: 'LT\x02\x01' });
  assert.equal(bt.isProbeAnswer(answer, 0, answer.length, false), true);
  assert.equal(bt.isProbeAnswer(answer, 0, answer.length, true), true);
  for (const other of [query('ping'), krpcError(), utp(ST_STATE), response().subarray(1), Buffer.from('d1:rd2:id19:0123456789abcdefghie1:t2:aa1:y1:re')]) {
    assert.equal(bt.isProbeAnswer(other, 0, other.length, true), false);
  }
});

test('UDP shapes: DHT, uTP SYN and tracker connect are pre-matched; uTP data and bulk sizes are not', () => {
  const shapes = bt.udpShapes;
  assert.deepEqual(shapes.map((shape) => shape.firstByte[0]), [0x64, 0x41, 0x00]);
  for (const message of [query('ping'), query('get_peers', { info_hash: NODE_ID }), query('announce_peer', { implied_port: 1, info_hash: NODE_ID, port: 6881, token: 'x'.repeat(20) }), response({}, { ip: hex('0a4d010a1ae1'), v: 'LT\x02\x01' }), response({ nodes: Buffer.alloc(26 * 8) }), utp(ST_SYN), utp(ST_SYN, { ext: [[2, [0, 0, 0, 0, 0, 0, 0, 0]]] }), trackerConnect(), bt.buildProbe(new Uint8Array(0))]) {
    assert.ok(fits(shapes, message), Buffer.from(message).toString('latin1'));
  }
  assert.ok(!fits(shapes, utp(ST_DATA, { payload: new Uint8Array(1000) })), 'uTP data');
  assert.ok(!fits(shapes, utp(ST_STATE)), 'uTP state');
  assert.ok(!fits(shapes, Buffer.concat([Buffer.from([0x64]), Buffer.alloc(1199)])), 'a 1200-byte QUIC short-header packet whose first byte is 0x64');
  for (const shape of shapes) assert.ok(shape.payloadLength[0] <= shape.payloadLength[1]);
});

test('through the decision core: a DHT query identifies the client, learns the node and keeps the query; weak uTP needs a known client', () => {
  const clients = new Map<number, number>();
  const state: StateView = { peerStatus: () => 0, lockUntil: () => 0, clientStatus: (ip) => clients.get(ip) ?? 0, probePort: () => 41300, probeSent: () => 995 };
  const protocols = createProtocols(['fasttrack', 'bittorrent'], options);
  const decider = new CoreDecider({
    protocols, blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: 7,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.0.0.0/8'), neverPeer: CidrList.parse(''),
  }, state);
  const decide = (payload: Uint8Array, hook: number = PacketHook.FORWARD, dst = '198.51.100.7', dstPort = 6881) => {
    const bytes = buildIpv4({ protocol: Protocol.UDP, src: '10.0.0.5', dst, srcPort: 51413, dstPort, payload });
    const view = new PacketView();
    parsePacket(view, bytes, 0, bytes.length);
    view.hook = hook;
    const out = new Decision();
    decider.decide(view, 1000, out);
    return out;
  };
  const queried = decide(query('get_peers', { info_hash: NODE_ID }));
  assert.equal(queried.protocol, 1);
  assert.equal(queried.reason, Reason.P2P_UDP, 'the reason is protocol-neutral; the protocol id says which');
  assert.equal(queried.verdict, Verdict.DROP);
  assert.ok(queried.identifyClient && queried.learnPeer && queried.keepSeed && queried.lockClient, 'identified, its node learned, its query kept as the probe seed, locked');
  assert.equal(queried.spoofReply, false, 'no reply: ftwall does not answer DHT queries');
  const state1 = decide(utp(ST_STATE));
  assert.equal(state1.reason, Reason.NOT_P2P, 'weak: not from an unknown host');
  clients.set(0x0a000005, ClientStatus.IDENTIFIED);
  const state2 = decide(utp(ST_STATE));
  assert.equal(state2.reason, Reason.P2P_UDP);
  assert.ok(state2.learnPeer);
  const announced = decide(lsd(), PacketHook.FORWARD, '239.192.152.143', 6771);
  assert.ok(announced.identifyClient && announced.lockClient, 'LSD identifies and locks its sender');
  assert.equal(announced.learnPeer, false, 'the LSD group is no peer');
  const answered = decide(response(), PacketHook.INPUT, '10.0.0.1', 41300);
  assert.equal(answered.reason, Reason.PROBE_ANSWER);
  assert.equal(answered.protocol, 1);
});

test('doors an attacker review found, closed: shaped QUIC, padded EDNS, a web page\'s announce, a tracker on a shared address', () => {
  // A QUIC server chooses the connection id its visitor writes at bytes 1-20: a SYN other than
  // libtorrent's 20 bytes or libutp's 30 (extension bits) is not one.
  assert.equal(sign(utp(ST_SYN, { ext: [[1, new Array(24).fill(0)]] })), UdpSign.NONE, '46 bytes with a long selective ACK');
  assert.equal(sign(utp(ST_SYN, { ext: [[1, [0, 0, 0, 0]]] })), UdpSign.NONE, '26 bytes');
  assert.equal(sign(utp(ST_SYN, { ext: [[2, [0, 0, 0, 0, 0, 0, 0, 0]]] })), UdpSign.STRONG | UdpSign.REQUEST | UdpSign.LOCK, 'libutp\'s 30 bytes');
  assert.ok(bt.udpShapes.every((shape) => shape.firstByte[0] !== 0x41 || shape.payloadLength[1] === 30), 'the kernel pre-match follows');
  // An EDNS query whose counts read as action 1 and whose padding fits the rest: port 0 is no announce.
  assert.equal(sign(trackerAnnounce({ event: 0 }).fill(0, 96, 98)), UdpSign.NONE);
  // A web page has a browser fetch any URL: the request identifies, but locks nothing and teaches no peer.
  const { send } = coreWithoutState();
  const request = Buffer.from('GET /a?info_hash=1&peer_id=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\nSec-Fetch-Mode: no-cors\r\n\r\n');
  let out = send({ protocol: Protocol.TCP, src: '10.0.0.5', dst: '192.0.2.80', srcPort: 40000, dstPort: 80, tcpFlags: 0x18, payload: [...request] });
  assert.equal(out.reason, Reason.SAFETY_NET);
  assert.equal(out.verdict, Verdict.DROP);
  assert.ok(out.noted && !out.identifyClient && !out.lockClient && !out.learnPeer, 'noted only: a web page makes a browser send it');
  assert.equal(bt.recogniseTcp(HANDSHAKE, 0, HANDSHAKE.length), TcpSign.MATCH, 'the peer handshake (no browser sends it) still locks');
  // A tracker connect identifies and locks its sender but is not learned (trackers share addresses).
  out = send({ protocol: Protocol.UDP, src: '10.0.0.5', dst: '198.51.100.10', srcPort: 51413, dstPort: 6969, payload: [...trackerConnect()] });
  assert.ok(out.identifyClient && out.lockClient && out.keepSeed && !out.learnPeer);
});

test('through the core: a lookup of a client\'s domain is noted and passes; nobody is identified (a web page\'s prefetch, a LAN resolver), the resolver never learned', () => {
  // bt-dns.pcap's query: A? utorrent.com.
  const dns = Buffer.from('6ff101000001000000000000087574' + '6f7272656e7403636f6d0000010001', 'hex');
  const out = coreWithoutState().send({ protocol: Protocol.UDP, src: '10.0.0.5', dst: '198.51.100.53', srcPort: 59751, dstPort: 53, payload: [...dns] });
  assert.equal(out.reason, Reason.P2P_LOOKUP);
  assert.equal(out.verdict, Verdict.ACCEPT);
  assert.ok(out.noted && !out.identifyClient && !out.lockClient && !out.learnPeer && !out.keepSeed && !out.spoofReply, 'noted only');
  assert.equal(out.protocol, 1, 'by the BitTorrent module');
});

test('through the core: after a random-looking start (MSE/PE), the server\'s handshake in the clear identifies the client and teaches the server, but locks nothing; a watched start is let go after 6 segments', () => {
  const { decider, send } = coreWithoutState();
  const client = { protocol: Protocol.TCP, src: '10.0.0.5', dst: '198.51.100.7', srcPort: 40000, dstPort: 6881 };
  const server = { protocol: Protocol.TCP, src: '198.51.100.7', dst: '10.0.0.5', srcPort: 6881, dstPort: 40000 };
  send({ ...client, tcpFlags: 0x02, seq: 999, payload: [] });
  const key = crypto.getRandomValues(new Uint8Array(150));
  key[0] = 0x5a; // not 0x13 nor 'G'
  assert.ok(send({ ...client, tcpFlags: 0x18, seq: 1000, payload: key }).watchFlow, 'a random start is watched');
  const noise = crypto.getRandomValues(new Uint8Array(300));
  assert.equal(send({ ...server, tcpFlags: 0x18, seq: 5000, payload: noise }).reason, Reason.NOT_P2P, 'the server\'s key');
  const answer = send({ ...server, tcpFlags: 0x18, seq: 5300, payload: [...noise.subarray(0, 40), ...HANDSHAKE] });
  assert.equal(answer.reason, Reason.SAFETY_NET);
  assert.equal(answer.verdict, Verdict.DROP);
  assert.ok(answer.identifyClient && answer.learnPeer && answer.turnAround && !answer.lockClient, 'identified and learned, not locked');

  const other = { ...client, srcPort: 40001 };
  send({ ...other, tcpFlags: 0x02, seq: 0, payload: [] });
  const watched: boolean[] = [];
  for (let i = 0; i < 7; i++) watched.push(send({ ...other, tcpFlags: 0x18, seq: 1 + i * 100, payload: i === 0 ? key.subarray(0, 100) : crypto.getRandomValues(new Uint8Array(100)) }).watchFlow);
  assert.deepEqual(watched, [true, true, true, true, true, false, false], 'let go at its sixth data segment');
  assert.equal(decider.startsGivenUp, 0, 'not counted as given up');
});
