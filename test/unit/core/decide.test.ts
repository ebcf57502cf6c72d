// SPDX-License-Identifier: GPL-2.0-or-later
// The pure decision core with a plain-object state: docs/FTWALL.md's decisions 1-5.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrList } from '../../../src/core/cidr.ts';
import { CoreDecider, type CorePolicy } from '../../../src/core/decide.ts';
import { TcpStarts } from '../../../src/core/tcp-start.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { DEFAULT_NETWORK_NAMES } from '../../../src/core/protocols/fasttrack/udp.ts';
import { PacketView, Protocol, TcpFlag, ipFromString, macKey, parsePacket } from '../../../src/core/packet.ts';
import { ClientStatus, Decision, PacketHook, PeerStatus, Reason, Verdict, type StateView } from '../../../src/core/types.ts';
import { buildIpv4 } from '../../../lab/packets.ts';

const PING = [0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')];
const CLIENT = '10.77.1.10';
const PEER = '198.51.100.7';
const SECRET = 0x5eed1234;

/** Hosts are keyed `ip/hostKey`; packets built without a MAC have hostKey 0. */
class PlainState implements StateView {
  peers = new Map<string, PeerStatus>();
  locks = new Map<string, number>();
  clients = new Map<string, number>();
  probes = new Map<string, [number, number]>();
  addPeer(ip: string, port: number, status: PeerStatus = PeerStatus.CONFIRMED) { this.peers.set(`${ipFromString(ip)}:${port}`, status); }
  setClient(ip: string, status: number, hostKey = 0) { this.clients.set(`${ipFromString(ip)}/${hostKey}`, status); }
  lock(ip: string, until: number, hostKey = 0) { this.locks.set(`${ipFromString(ip)}/${hostKey}`, until); }
  peerStatus(ip: number, port: number) { return this.peers.get(`${ip}:${port}`) ?? PeerStatus.NONE; }
  lockUntil(ip: number, hostKey: number) { return this.locks.get(`${ip}/${hostKey}`) ?? 0; }
  clientStatus(ip: number, hostKey: number) { return this.clients.get(`${ip}/${hostKey}`) ?? ClientStatus.NONE; }
  probe(ip: string, port: number, sentAt: number, hostKey = 0) { this.probes.set(`${ipFromString(ip)}/${hostKey}`, [port, sentAt]); }
  probePort(ip: number, hostKey: number) { return this.probes.get(`${ip}/${hostKey}`)?.[0] ?? 0; }
  probeSent(ip: number, hostKey: number) { return this.probes.get(`${ip}/${hostKey}`)?.[1] ?? 0; }
}

function setup(overrides: Partial<CorePolicy> = {}) {
  const state = new PlainState();
  const policy: CorePolicy = {
    protocols: createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: SECRET,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.77.0.0/16'), neverPeer: CidrList.parse(''), ...overrides,
  };
  const decider = new CoreDecider(policy, state);
  const decide = (spec: Parameters<typeof buildIpv4>[0], hook: number = PacketHook.FORWARD, now = 100, mac: [number, number] = [0, 0]) => {
    const view = new PacketView();
    const bytes = buildIpv4(spec);
    parsePacket(view, bytes, 0, bytes.length);
    view.hook = hook;
    [view.srcMacHigh, view.srcMacLow] = mac;
    const out = new Decision();
    decider.decide(view, now, out);
    return out;
  };
  return { state, decide };
}

const udp = (payload: number[], dst = PEER, dstPort = 1214, src = CLIENT) => ({ protocol: Protocol.UDP, src, dst, srcPort: 3531, dstPort, payload });
const syn = (dst = PEER, dstPort = 1214, src = CLIENT) => ({ protocol: Protocol.TCP, src, dst, srcPort: 40000, dstPort, tcpFlags: TcpFlag.SYN, payload: [] });

test('1. a ping identifies the client, learns the peer, asks for a spoofed pong, and is dropped', () => {
  const { decide } = setup();
  const out = decide(udp(PING));
  assert.equal(out.verdict, Verdict.DROP);
  assert.equal(out.reason, Reason.P2P_UDP);
  assert.ok(out.identifyClient && out.learnPeer && out.spoofReply);
  assert.equal(out.lockClient, false, 'UDP alone does not lock');
});

test('1. with FTWALL_BLOCK_UDP=false the ping is noted but passes (the original -n)', () => {
  const out = setup({ blockUdp: false }).decide(udp(PING));
  assert.equal(out.verdict, Verdict.ACCEPT);
  assert.ok(out.learnPeer && out.spoofReply);
});

test('weak types (0x29, 0x2A) count only from an identified client', () => {
  const { state, decide } = setup();
  const setupMessage = [0x2a, 1, 2, 3, 4];
  assert.equal(decide(udp(setupMessage)).reason, Reason.NOT_P2P);
  state.setClient(CLIENT, ClientStatus.IDENTIFIED);
  const out = decide(udp(setupMessage));
  assert.equal(out.reason, Reason.P2P_UDP);
  assert.equal(out.spoofReply, false, 'only pings get pongs');
});

test('2. later UDP and SYNs to a known peer are dropped; the SYN (re)starts the lock', () => {
  const { state, decide } = setup();
  state.addPeer(PEER, 1214);
  const udpOut = decide(udp([1, 2, 3, 4, 5, 6]));
  assert.equal(udpOut.verdict, Verdict.DROP);
  assert.equal(udpOut.reason, Reason.KNOWN_PEER_UDP);
  const synOut = decide(syn());
  assert.equal(synOut.verdict, Verdict.DROP);
  assert.equal(synOut.reason, Reason.KNOWN_PEER_SYN);
  assert.equal(synOut.lockClient, true);
  assert.equal(decide(syn(PEER, 1215)).verdict, Verdict.ACCEPT, 'another port of the same host is not the peer');
});

test('3. a locked client loses every new TCP connection, known peer or not, until the lock ends', () => {
  const { state, decide } = setup();
  state.lock(CLIENT, 200);
  const out = decide(syn('192.0.2.80', 80), PacketHook.FORWARD, 199);
  assert.equal(out.verdict, Verdict.DROP);
  assert.equal(out.reason, Reason.CLIENT_LOCKED);
  assert.equal(decide(syn('192.0.2.80', 80), PacketHook.FORWARD, 200).verdict, Verdict.ACCEPT, 'lock over');
  assert.equal(decide(syn('192.0.2.80', 80, '10.77.1.20'), PacketHook.FORWARD, 150).verdict, Verdict.ACCEPT, 'other hosts untouched');
  assert.equal(decide(udp([1, 2, 3, 4, 5, 6], '192.0.2.53', 53), PacketHook.FORWARD, 150).verdict, Verdict.ACCEPT, 'UDP is not TCP');
});

test('3. FTWALL_LOCK_SECONDS=0: no locks', () => {
  const { state, decide } = setup({ lockEnabled: false });
  state.addPeer(PEER, 1214);
  state.lock(CLIENT, 200);
  assert.equal(decide(syn()).lockClient, false);
  assert.equal(decide(syn('192.0.2.80', 80)).verdict, Verdict.ACCEPT);
});

test('4. a FastTrack answer on INPUT to the port of the probe sent to that host, within its window, restarts the lock; other UDP to the router (queued for a protocol\'s LocalUdp) is judged as forwarded UDP, but the router is never learned', () => {
  const { state, decide } = setup();
  const pong = [0x28, 0, 0, 0, 0x29, 0, 1, 0, 40, 25, 0, ...Buffer.from('KaZaA\0')];
  state.probe(CLIENT, 41500, 95);
  const out = decide(udp(pong, '10.77.1.1', 41500), PacketHook.INPUT);
  assert.equal(out.reason, Reason.PROBE_ANSWER);
  assert.ok(out.probeAnswer && out.lockClient);
  const local = decide(udp(pong, '10.77.1.1', 53), PacketHook.INPUT);
  assert.equal(local.reason, Reason.P2P_UDP);
  assert.ok(local.identifyClient && !local.learnPeer && !local.spoofReply && !local.keepSeed, 'the router is no peer and gets no reply');
  assert.equal(decide(udp([1, 2, 3, 4, 5], '10.77.1.1', 53), PacketHook.INPUT).verdict, Verdict.ACCEPT);
  assert.equal(decide(udp([1, 2, 3, 4, 5], '10.77.1.1', 41500), PacketHook.INPUT).verdict, Verdict.ACCEPT);
});

test('4. forged answers count for nothing: another probe port, after the window, no probe out, another MAC', () => {
  const { state, decide } = setup();
  const pong = [0x28, 0, 0, 0, 0x29, 0, 1, 0, 40, 25, 0, ...Buffer.from('KaZaA\0')];
  state.probe(CLIENT, 41500, 95);
  for (const [port, now, mac, why] of [
    [41214, 100, [0, 0], 'the first probe port is not the one this probe used'],
    [41501, 100, [0, 0], 'a neighbouring port'],
    [41500, 106, [0, 0], 'after the answer window (10 ticks)'],
    [41500, 100, [0x02000000, 0x00660000], 'from another MAC'],
  ] as const) {
    const out = decide(udp(pong, '10.77.1.1', port), PacketHook.INPUT, now, [mac[0], mac[1]]);
    assert.equal(out.reason, Reason.UNSOLICITED_ANSWER, why);
    assert.equal(out.verdict, Verdict.DROP, why);
    assert.equal(out.probeAnswer || out.lockClient || out.identifyClient, false, why);
  }
  state.probes.clear();
  assert.equal(decide(udp(pong, '10.77.1.1', 41500), PacketHook.INPUT).reason, Reason.UNSOLICITED_ANSWER, 'no probe out');
});

test('5. the safety net: FastTrack HTTP locks the client and learns both peers', () => {
  const { decide } = setup();
  const request = Buffer.from('GET /.files HTTP/1.1\r\nX-Kazaa-SupernodeIP: 198.51.100.9:3531\r\n\r\n');
  const out = decide({ protocol: Protocol.TCP, src: CLIENT, dst: '203.0.113.50', srcPort: 40001, dstPort: 2400, tcpFlags: TcpFlag.ACK | TcpFlag.PSH, payload: [...request] });
  assert.equal(out.reason, Reason.SAFETY_NET);
  assert.equal(out.verdict, Verdict.DROP);
  assert.ok(out.learnPeer && out.lockClient && out.identifyClient);
  assert.equal(out.extraPeerIp, ipFromString('198.51.100.9'));
  assert.equal(out.extraPeerPort, 3531);
  const plain = decide({ protocol: Protocol.TCP, src: CLIENT, dst: '192.0.2.80', srcPort: 40002, dstPort: 80, tcpFlags: TcpFlag.ACK, payload: [...Buffer.from('GET / HTTP/1.1\r\n\r\n')] });
  assert.equal(plain.verdict, Verdict.ACCEPT);
});

test('5. the safety net reassembles a flow\'s start: a lower-case marker split over three segments, out of order and retransmitted', () => {
  const { decide } = setup();
  const isn = 0x7ffffffe; // the sequence numbers cross 2^31
  const seg = (seq: number, text: string, flags: number = TcpFlag.ACK) => ({ protocol: Protocol.TCP, src: CLIENT, dst: '203.0.113.50', srcPort: 40003, dstPort: 2400, tcpFlags: flags, seq, payload: [...Buffer.from(text)] });
  const opened = decide(seg(isn, '', TcpFlag.SYN));
  assert.equal(opened.verdict, Verdict.ACCEPT);
  assert.equal(opened.watchFlow, true, 'a SYN: its flow\'s start is wanted');
  const head = 'GET /files HTTP/1.1\r\nhost: x\r\nx-ka';
  let out = decide(seg(isn + 1 + head.length + 3, '-supernodeip: 198.51.100.9:3531\r\n\r\n')); // third, first
  assert.ok(out.verdict === Verdict.ACCEPT && out.watchFlow && out.reason === Reason.NOT_P2P, 'a gap: watched');
  out = decide(seg(isn + 1, head));
  assert.ok(out.verdict === Verdict.ACCEPT && out.watchFlow, 'the first: an open header block, no marker yet');
  out = decide(seg(isn + 1, head)); // retransmitted
  assert.ok(out.verdict === Verdict.ACCEPT && out.watchFlow);
  out = decide(seg(isn + 1 + head.length, 'zaa'));
  // (the middle one alone: 'zaa' is no marker; the third alone has none at a line start)
  assert.equal(out.reason, Reason.SAFETY_NET, 'the middle one completes the start');
  assert.equal(out.verdict, Verdict.DROP);
  assert.deepEqual([out.extraPeerIp, out.extraPeerPort], [ipFromString('198.51.100.9'), 3531]);
  out = decide(seg(isn + 1, head));
  assert.equal(out.verdict, Verdict.DROP, 'a retransmission of a recognised flow is dropped as well');
  assert.equal(decide(seg(isn, '', TcpFlag.SYN)).verdict, Verdict.DROP, 'and so is its SYN again (same ISN)');
  assert.equal(decide(seg(isn + 5000, '', TcpFlag.SYN)).verdict, Verdict.ACCEPT, 'a new connection on the same ports starts afresh');
});

test('5. a SYN carrying data (TCP Fast Open) is judged as data, and still as a SYN', () => {
  const { state, decide } = setup();
  const request = [...Buffer.from('GET /.hash=8e0cda92da564448da5ec5070f3231907abac2a1 HTTP/1.1\r\n\r\n')];
  const tfo = decide({ ...syn('203.0.113.60', 80), seq: 1000, payload: request });
  assert.equal(tfo.reason, Reason.SAFETY_NET);
  assert.equal(tfo.verdict, Verdict.DROP);
  assert.ok(tfo.learnPeer && tfo.lockClient && tfo.identifyClient);
  state.addPeer(PEER, 1214);
  const known = decide({ ...syn(), payload: [...Buffer.from('hello')] });
  assert.equal(known.reason, Reason.KNOWN_PEER_SYN, 'the peer check comes first');
  const plain = decide({ ...syn('192.0.2.80', 80), payload: [...Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')] });
  assert.ok(plain.verdict === Verdict.ACCEPT && plain.reason === Reason.NOT_P2P && !plain.watchFlow, 'a complete benign header block: judged clean at once');
});

test('5. the TCP handshake by its sizes: a 12-byte start held, an 8-byte first answer is FastTrack, in the client\'s name', () => {
  const { state, decide } = setup();
  const SERVER = '203.0.113.70';
  const mac: [number, number] = [0x0277, 0x01000010];
  const out = (seq: number, payload: number[], flags: number = TcpFlag.ACK, srcPort = 40010) => ({ protocol: Protocol.TCP, src: CLIENT, dst: SERVER, srcPort, dstPort: 1214, tcpFlags: flags, seq, payload });
  const back = (seq: number, payload: number[], dstPort = 40010) => ({ protocol: Protocol.TCP, src: SERVER, dst: CLIENT, srcPort: 1214, dstPort, tcpFlags: TcpFlag.ACK, seq, payload });
  const random12 = [0x3c, 0x91, 0x07, 0xe2, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]; // a random first word, not giFT's
  decide(out(5000, [], TcpFlag.SYN), PacketHook.FORWARD, 100, mac);
  const first = decide(out(5001, random12), PacketHook.FORWARD, 100, mac);
  assert.ok(first.verdict === Verdict.ACCEPT && first.watchFlow && first.reason === Reason.NOT_P2P, 'held: accepted without the bypass bit');
  assert.ok(decide(out(5001, random12), PacketHook.FORWARD, 100, mac).watchFlow, 'its retransmission too');
  const answer = decide(back(9001, [1, 2, 3, 4, 5, 6, 7, 8]));
  assert.equal(answer.reason, Reason.TCP_HANDSHAKE);
  assert.equal(answer.verdict, Verdict.DROP);
  assert.ok(answer.identifyClient && answer.learnPeer && answer.lockClient && answer.turnAround);
  assert.deepEqual([answer.clientMacHigh, answer.clientMacLow], mac, 'the client\'s MAC, kept from its own segments');
  assert.equal(decide(back(9001, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).verdict, Verdict.DROP, 'the server\'s retransmission (with more) is dropped');
  assert.equal(decide(out(5013, [0xaa, 0xbb]), PacketHook.FORWARD, 100, mac).verdict, Verdict.DROP, 'and the client\'s further bytes');

  // Not the handshake: another size either side, a start not seen from its SYN, a server that speaks first.
  decide(out(7000, [], TcpFlag.SYN, 40011));
  decide(out(7001, random12, TcpFlag.ACK, 40011));
  const nine = decide(back(1, [1, 2, 3, 4, 5, 6, 7, 8, 9], 40011));
  // 12 bytes that could still open an HTTP header block (all printable or high: 1 in 5 random words) are held too.
  decide(out(3000, [], TcpFlag.SYN, 40015));
  decide(out(3001, [0xc3, 0x41, 0x7e, 0x80, 0xff, 0x20, 0x35, 0x99, 0xa0, 0x4b, 0x61, 0xfe], TcpFlag.ACK, 40015));
  assert.equal(decide(back(1, [1, 2, 3, 4, 5, 6, 7, 8], 40015)).reason, Reason.TCP_HANDSHAKE, 'a start that might be text');
  assert.ok(nine.verdict === Verdict.ACCEPT && nine.watchFlow && !nine.identifyClient, '9 bytes back: not it, and no bypass from an answer');
  assert.equal(decide(out(7013, [1, 2, 3]), PacketHook.FORWARD, 100).watchFlow, false, 'the client\'s next bytes judge the flow clean');
  decide(out(8000, [], TcpFlag.SYN, 40012));
  decide(out(8001, [...random12, 0]), PacketHook.FORWARD, 100);
  assert.equal(decide(back(1, [1, 2, 3, 4, 5, 6, 7, 8], 40012)).reason, Reason.NOT_P2P, '13 bytes out');
  decide(out(6001, random12, TcpFlag.ACK, 40013)); // no SYN seen: the start is unknown
  assert.equal(decide(back(1, [1, 2, 3, 4, 5, 6, 7, 8], 40013)).reason, Reason.NOT_P2P, 'a flow picked up mid-stream');
  decide(out(4000, [], TcpFlag.SYN, 40014));
  assert.equal(decide(back(1, [...Buffer.from('220 mail ready')], 40014)).verdict, Verdict.ACCEPT, 'a banner before any client data');
  // The answer in two segments: held until its 8 bytes are in; 4 + 5 is not it.
  decide(out(2000, [], TcpFlag.SYN, 40016));
  decide(out(2001, random12, TcpFlag.ACK, 40016));
  const half = decide(back(500, [1, 2, 3, 4], 40016));
  assert.ok(half.verdict === Verdict.ACCEPT && half.watchFlow && half.reason === Reason.NOT_P2P, 'half an answer: wait');
  assert.equal(decide(back(504, [5, 6, 7, 8], 40016)).reason, Reason.TCP_HANDSHAKE, 'the rest makes 8');
  decide(out(2000, [], TcpFlag.SYN, 40017));
  decide(out(2001, random12, TcpFlag.ACK, 40017));
  decide(back(500, [1, 2, 3, 4], 40017));
  assert.equal(decide(back(504, [5, 6, 7, 8, 9], 40017)).reason, Reason.NOT_P2P, '9 in all');
  // A text line of 12 bytes (an IRC client's first line) and a server that spoke first are not it.
  decide(out(2000, [], TcpFlag.SYN, 40018));
  decide(out(2001, [...Buffer.from('CAP LS 302\r\n')], TcpFlag.ACK, 40018));
  assert.equal(decide(back(1, [1, 2, 3, 4, 5, 6, 7, 8], 40018)).reason, Reason.NOT_P2P, 'text');
  decide(out(2000, [], TcpFlag.SYN, 40019));
  decide(back(1, [...Buffer.from('RFB 003.008\n')], 40019));
  decide(out(2001, random12, TcpFlag.ACK, 40019));
  assert.equal(decide(back(13, [1, 2, 3, 4, 5, 6, 7, 8], 40019)).reason, Reason.NOT_P2P, 'the server spoke first');
  // From a known peer (a flow cut, picked up again): a confirmed peer's to anyone, a learned peer's
  // only to a client identified with the MAC its flow came with (the quorum, as on the way out).
  state.addPeer('203.0.113.71', 1214, PeerStatus.CONFIRMED);
  const cut = decide({ ...back(1, [1, 2, 3]), src: '203.0.113.71' });
  assert.ok(cut.reason === Reason.KNOWN_PEER_TCP && cut.verdict === Verdict.DROP, 'a confirmed peer\'s: dropped');
  state.addPeer('203.0.113.72', 1214, PeerStatus.LEARNED);
  const opened = { ...out(100, [], TcpFlag.SYN, 40030), dst: '203.0.113.72' };
  decide(opened, PacketHook.FORWARD, 100, mac);
  const learnedBack = { ...back(1, [...Buffer.from('SSH-2.0-x\r\n')], 40030), src: '203.0.113.72' };
  assert.equal(decide(learnedBack).verdict, Verdict.ACCEPT, 'a learned peer\'s, to a host not identified: passes');
  state.setClient(CLIENT, ClientStatus.IDENTIFIED, macKey(mac[0], mac[1], SECRET));
  assert.equal(decide(learnedBack).verdict, Verdict.DROP, 'to the identified client: dropped');
  assert.equal(decide({ ...learnedBack, dstPort: 40031 }).verdict, Verdict.ACCEPT, 'without its flow\'s start the MAC is unknown: passes');
});

test('5. what the session start is not: text, SOCKS4; a start split in two is still held', () => {
  const { decide } = setup();
  const SERVER = '203.0.113.80';
  const run = (port: number, ...segments: number[][]) => {
    decide({ protocol: Protocol.TCP, src: CLIENT, dst: SERVER, srcPort: port, dstPort: 1080, tcpFlags: TcpFlag.SYN, seq: 0, payload: [] });
    let seq = 1;
    let last = new Decision();
    for (const payload of segments) {
      last = decide({ protocol: Protocol.TCP, src: CLIENT, dst: SERVER, srcPort: port, dstPort: 1080, tcpFlags: TcpFlag.ACK, seq, payload });
      seq += payload.length;
    }
    return { last, answer: decide({ protocol: Protocol.TCP, src: SERVER, dst: CLIENT, srcPort: 1080, dstPort: port, tcpFlags: TcpFlag.ACK, seq: 1, payload: [0, 0x5a, 0, 80, 192, 0, 2, 1] }) };
  };
  const socks4 = [4, 1, 0, 80, 192, 0, 2, 1, 0x62, 0x6f, 0x62, 0]; // CONNECT 192.0.2.1:80, user "bob"
  assert.equal(run(41001, socks4).answer.reason, Reason.NOT_P2P, 'SOCKS4 with a 3-byte user id, answered by its 8 bytes');
  assert.equal(run(41002, [...Buffer.from('NICK alice\r\n')]).answer.reason, Reason.NOT_P2P, 'a text line');
  const split = run(41003, [0x91, 0x02, 0xff, 0x10, 0x33], [0x80, 0x81, 0x82, 0x01, 0x02, 0x03, 0x04]);
  assert.equal(split.answer.reason, Reason.TCP_HANDSHAKE, '5 + 7 bytes: held, then caught');
  const first = run(41004, [0x91, 0x02, 0xff]);
  assert.ok(first.last.watchFlow, 'a binary start shorter than 12 bytes is watched for more');
});

test('5. the handshake with FTWALL_NEVER_PEER, an exempt client, no safety net', () => {
  const hello = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2];
  const run = (overrides: Partial<CorePolicy>) => {
    const { decide } = setup(overrides);
    decide({ protocol: Protocol.TCP, src: CLIENT, dst: '192.0.2.80', srcPort: 40020, dstPort: 443, tcpFlags: TcpFlag.SYN, seq: 1, payload: [] });
    decide({ protocol: Protocol.TCP, src: CLIENT, dst: '192.0.2.80', srcPort: 40020, dstPort: 443, tcpFlags: TcpFlag.ACK, seq: 2, payload: hello });
    return decide({ protocol: Protocol.TCP, src: '192.0.2.80', dst: CLIENT, srcPort: 443, dstPort: 40020, tcpFlags: TcpFlag.ACK, seq: 1, payload: [1, 2, 3, 4, 5, 6, 7, 8] });
  };
  const never = run({ neverPeer: CidrList.parse('192.0.2.80/32') });
  assert.ok(never.reason === Reason.TCP_HANDSHAKE && never.lockClient && !never.learnPeer, 'the client is still locked; the server is not learned');
  assert.equal(run({ exempt: CidrList.parse(`${CLIENT}/32`) }).reason, Reason.EXEMPT);
  assert.equal(run({ safetyNet: false }).reason, Reason.NOT_P2P);
});

test('5. starts that cannot match are let go at once; open ones at the byte limit, counted', () => {
  const { decide } = setup();
  const seg = (srcPort: number, seq: number, payload: number[]) => ({ protocol: Protocol.TCP, src: CLIENT, dst: '192.0.2.80', srcPort, dstPort: 443, tcpFlags: TcpFlag.ACK, seq, payload });
  const tls = decide(seg(41000, 1, [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]));
  assert.ok(tls.verdict === Verdict.ACCEPT && !tls.watchFlow, 'binary: clean, the flow bypassed from now on');
  const after = decide(seg(41000, 10, [...Buffer.from('X-Kazaa-Username: a\r\n')]));
  assert.equal(after.reason, Reason.NOT_P2P, 'a flow judged clean is not looked at again');
  const line = [...Buffer.from(`X-Padding: ${'a'.repeat(500)}\r\n`)];
  let out = decide(seg(41001, 1, line));
  for (let i = 1; out.watchFlow && i < 10; i++) out = decide(seg(41001, 1 + i * line.length, line));
  assert.ok(out.verdict === Verdict.ACCEPT && !out.watchFlow, 'given up at 2048 bytes');
  const { decide: decideOff } = setup({ safetyNet: false });
  assert.equal(decideOff(seg(41002, 1, [...Buffer.from('X-Kazaa-Username: a\r\n')])).reason, Reason.NOT_P2P);
  assert.equal(decideOff({ ...syn(), seq: 5 }).watchFlow, false, 'no safety net: nothing watched');
});

test('5. the decider counts starts given up and evicted', () => {
  const starts = new TcpStarts({ flows: 2, bytes: 16, segments: 3 });
  const decider = new CoreDecider({
    protocols: createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: SECRET,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.77.0.0/16'), neverPeer: CidrList.parse(''),
  }, new PlainState(), starts);
  const view = new PacketView();
  const out = new Decision();
  const send = (srcPort: number, seq: number, text: string) => {
    const bytes = buildIpv4({ protocol: Protocol.TCP, src: CLIENT, dst: '192.0.2.80', srcPort, dstPort: 25, tcpFlags: TcpFlag.ACK, seq, payload: [...Buffer.from(text)] });
    parsePacket(view, bytes, 0, bytes.length);
    out.reset();
    decider.decide(view, 1, out);
    return out.watchFlow;
  };
  assert.equal(send(1, 0, 'EHLO a\r\n'), true);
  assert.equal(send(1, 8, 'MAIL FROM:<a>\r\n'), false, '16 bytes: the limit');
  assert.equal(decider.startsGivenUp, 1);
  send(2, 0, 'EHLO');
  send(3, 0, 'EHLO');
  send(4, 0, 'EHLO');
  assert.equal(decider.startsEvicted, 1, 'flow 1 was judged; flow 2 was still watched');
});

test('exempt hosts and non-IPv4 packets are never touched', () => {
  const { state, decide } = setup({ exempt: CidrList.parse('10.77.1.0/28') });
  state.addPeer(PEER, 1214);
  const out = decide(syn());
  assert.equal(out.verdict, Verdict.ACCEPT);
  assert.equal(out.reason, Reason.EXEMPT);
  assert.equal(out.identifyClient, false);
  const view = new PacketView();
  const ipv6 = new Uint8Array(48);
  ipv6[0] = 0x60;
  parsePacket(view, ipv6, 0, 48);
  const decision = new Decision();
  new CoreDecider({ protocols: createProtocols(['fasttrack'], { networkNames: ['KaZaA'] }), blockUdp: true, lockEnabled: true, probePort: 1, probePorts: 1, answerTicks: 10, hostKeySecret: SECRET, exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('0.0.0.0/0'), neverPeer: CidrList.parse('') }, new PlainState()).decide(view, 1, decision);
  assert.equal(decision.verdict, Verdict.ACCEPT);
  assert.equal(decision.reason, Reason.NOT_INSPECTED);
});

// Security (README "Security"): what a hostile LAN host can and cannot make the core do.

test('poisoning: a peer below the quorum holds back identified clients only; a confirmed one holds back every host', () => {
  const { state, decide } = setup();
  state.addPeer(PEER, 80, PeerStatus.LEARNED);
  const benign = decide(syn(PEER, 80, '10.77.1.20'));
  assert.equal(benign.verdict, Verdict.ACCEPT);
  assert.equal(benign.reason, Reason.UNCONFIRMED_PEER);
  assert.equal(benign.lockClient || benign.identifyClient, false, 'the benign host is neither locked nor identified');
  assert.equal(decide(udp([1, 2, 3, 4, 5, 6], PEER, 80, '10.77.1.20')).verdict, Verdict.ACCEPT);
  state.setClient(CLIENT, ClientStatus.IDENTIFIED);
  const client = decide(syn(PEER, 80));
  assert.equal(client.reason, Reason.KNOWN_PEER_SYN);
  assert.equal(client.verdict, Verdict.DROP);
  assert.equal(client.lockClient, true, 'and it locks its host');
  state.addPeer(PEER, 80, PeerStatus.CONFIRMED);
  assert.equal(decide(syn(PEER, 80, '10.77.1.20')).reason, Reason.KNOWN_PEER_SYN);
});

test('poisoning: destinations on FTWALL_NEVER_PEER are never learned and get no spoofed pong', () => {
  const { decide } = setup({ neverPeer: CidrList.parse('198.51.100.80/32') });
  const out = decide(udp(PING, '198.51.100.80', 80));
  assert.equal(out.verdict, Verdict.DROP, 'the FastTrack packet itself is still dropped');
  assert.equal(out.learnPeer || out.spoofReply, false);
  assert.equal(out.identifyClient, true);
  const safety = decide({ protocol: Protocol.TCP, src: CLIENT, dst: '203.0.113.50', srcPort: 40001, dstPort: 2400, tcpFlags: TcpFlag.ACK, payload: [...Buffer.from('GET /.files HTTP/1.1\r\nX-Kazaa-SupernodeIP: 198.51.100.80:80\r\n\r\n')] });
  assert.equal(safety.learnPeer, true);
  assert.equal(safety.extraPeerIp, 0, 'a never-peer named by X-Kazaa-SupernodeIP is not learned either');
});

test('forged sources: packets from outside the LAN networks are judged on content but change no state', () => {
  const { state, decide } = setup();
  const ping = decide(udp(PING, PEER, 1214, '10.99.0.5'));
  assert.equal(ping.verdict, Verdict.DROP);
  assert.equal(ping.identifyClient || ping.learnPeer || ping.spoofReply || ping.lockClient, false);
  state.addPeer(PEER, 1214, PeerStatus.CONFIRMED);
  const toPeer = decide(syn(PEER, 1214, '10.99.0.5'));
  assert.equal(toPeer.verdict, Verdict.DROP, 'a confirmed peer is held back from anyone');
  assert.equal(toPeer.lockClient || toPeer.identifyClient, false);
  state.lock('10.99.0.5', 1000);
  assert.equal(decide(syn('192.0.2.80', 80, '10.99.0.5')).verdict, Verdict.ACCEPT, 'no lock applies off the LAN');
  const pong = [0x28, 0, 0, 0, 0x29, 0, 1, 0, 40, 25, 0, ...Buffer.from('KaZaA\0')];
  state.probe('10.99.0.5', 41214, 100);
  assert.equal(decide(udp(pong, '10.77.1.1', 41214, '10.99.0.5'), PacketHook.INPUT).probeAnswer, false);
});

test('forged sources: a lock binds IP and the whole MAC, so forging the IP, or a MAC that shares all but its first bytes, locks nobody else', () => {
  const { state, decide } = setup();
  const forgerMac: [number, number] = [0x02000000, 0x00660000];
  const victimMac: [number, number] = [0x02000000, 0x00110000];
  const lookalikeMac: [number, number] = [0x12340000, 0x00660000]; // differs from the forger's in the first two bytes only
  state.lock(CLIENT, 1000, macKey(forgerMac[0], forgerMac[1], SECRET));
  assert.equal(decide(syn('192.0.2.80', 80), PacketHook.FORWARD, 100, forgerMac).reason, Reason.CLIENT_LOCKED);
  assert.equal(decide(syn('192.0.2.80', 80), PacketHook.FORWARD, 100, victimMac).verdict, Verdict.ACCEPT);
  assert.equal(decide(syn('192.0.2.80', 80), PacketHook.FORWARD, 100, lookalikeMac).verdict, Verdict.ACCEPT);
});

test('host keys: every MAC byte counts, the key depends on the secret, an unknown MAC is 0', () => {
  const keys = new Set<number>();
  for (let byte = 0; byte < 6; byte++) {
    const mac = [0x02770100, 0x00100000];
    if (byte < 4) mac[0]! ^= 1 << (8 * (3 - byte));
    else mac[1]! ^= 1 << (8 * (7 - byte));
    keys.add(macKey(mac[0]!, mac[1]!, SECRET));
  }
  keys.add(macKey(0x02770100, 0x00100000, SECRET));
  assert.equal(keys.size, 7, 'a change in any of the six bytes changes the key');
  assert.notEqual(macKey(0x02770100, 0x00100000, SECRET), macKey(0x02770100, 0x00100000, SECRET + 1));
  assert.equal(macKey(0, 0, SECRET), 0);
});

test('a TCP segment of a flow conntrack did not know, to a known peer: dropped, and it locks its host as a SYN would', () => {
  const { state, decide } = setup();
  state.addPeer(PEER, 1214);
  const ack = (payload: number[] = [], dst = PEER, srcPort = 40000) => ({ protocol: Protocol.TCP, src: CLIENT, dst, srcPort, dstPort: 1214, tcpFlags: TcpFlag.ACK, payload });
  const out = decide(ack([1, 2, 3]));
  assert.equal(out.verdict, Verdict.DROP);
  assert.equal(out.reason, Reason.KNOWN_PEER_TCP);
  assert.ok(out.identifyClient && out.lockClient);
  const elsewhere = decide(ack([], '192.0.2.80'));
  assert.equal(elsewhere.verdict, Verdict.ACCEPT, 'a flow to anyone else passes (and is then bypassed)');
  assert.equal(elsewhere.reason, Reason.NOT_P2P);
  const marker = decide(ack([...Buffer.from('GIVE 123\r\n')], PEER, 40001));
  assert.equal(marker.reason, Reason.SAFETY_NET, 'the safety net still names what it saw');
});
