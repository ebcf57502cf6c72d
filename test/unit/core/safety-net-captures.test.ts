// SPDX-License-Identifier: GPL-2.0-or-later
// The safety net over real captures, flow by flow, as the kernel would queue them: a TCP flow's SYN
// and its data segments among its first SAFETY_NET_PACKETS packets, until the decider lets it go
// (accepted without watchFlow: the bypass bit). Every benign and other-P2P flow must pass
// unclassified (no HTTP marker, no 12/8-byte handshake; the servers' first data is queued too, as the
// reply chain would); the synthetic FastTrack capture's HTTP flows must be caught. Also measures how many
// data segments per flow reach userspace. With the BitTorrent module as well: the BitTorrent
// captures' clear starts are caught, and nothing else.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CidrList } from '../../../src/core/cidr.ts';
import { CoreDecider } from '../../../src/core/decide.ts';
import { PacketView, Protocol, TcpFlag, parsePacket } from '../../../src/core/packet.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { DEFAULT_NETWORK_NAMES } from '../../../src/core/protocols/fasttrack/udp.ts';
import { Decision, REASON_NAMES, Reason, type StateView } from '../../../src/core/types.ts';
import { REPLY_PACKETS, SAFETY_NET_PACKETS } from '../../../src/rules/plan.ts';
import { buildIpv4 } from '../../../lab/packets.ts';
import { readCapture } from '../../helpers/pcap.ts';

const PCAPS = new URL('../../../../shared/pcaps/', import.meta.url);
const noState: StateView = { peerStatus: () => 0, lockUntil: () => 0, clientStatus: () => 0, probePort: () => 0, probeSent: () => 0 };

function replay(files: string[], protocols: readonly string[] = ['fasttrack']) {
  const decider = new CoreDecider({
    protocols: createProtocols(protocols, { networkNames: DEFAULT_NETWORK_NAMES }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: 7,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.0.0.0/8'), neverPeer: CidrList.parse(''),
  }, noState);
  // A flow's initiator (its SYN's sender, else its first packet's) is a LAN host, the other end
  // is outside: each captured address gets one fake address of each kind.
  const addresses = new Map<string, number>();
  const fake = (address: string, lan: boolean) => {
    let n = addresses.get(address);
    if (n === undefined) addresses.set(address, n = addresses.size);
    return `${lan ? 10 : 100}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
  interface Flow { initiator: string; packets: number; replies: number; bypassed: boolean; queued: number; firstBytes: number; firstAnswer: number }
  const flows = new Map<string, Flow>();
  const hits: string[] = [];
  const view = new PacketView();
  const out = new Decision();
  let segments = 0;
  for (const file of files) {
    for (const segment of readCapture(file)) {
      if (segment.protocol !== 'tcp') continue;
      segments++;
      const a = `${segment.src}:${segment.srcPort}`;
      const b = `${segment.dst}:${segment.dstPort}`;
      const key = `${file} ${a < b ? `${a}-${b}` : `${b}-${a}`}`;
      let flow = flows.get(key);
      const syn = ((segment.flags ?? 0) & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
      if (!flow || syn) flows.set(key, flow = { initiator: a, packets: 0, replies: 0, bypassed: false, queued: 0, firstBytes: -1, firstAnswer: -1 });
      const outward = a === flow.initiator;
      if (outward) flow.packets++;
      else flow.replies++;
      if (segment.payload.length > 0) {
        if (outward && flow.firstBytes < 0) flow.firstBytes = segment.payload.length;
        if (!outward && flow.firstAnswer < 0) flow.firstAnswer = segment.payload.length;
      }
      // The kernel: a SYN always; data among the first packets (either way) of a flow not yet let go.
      const window = outward ? flow.packets <= SAFETY_NET_PACKETS : flow.replies <= REPLY_PACKETS;
      if (!syn && (segment.payload.length === 0 || flow.bypassed || !window)) continue;
      const bytes = buildIpv4({ protocol: Protocol.TCP, src: fake(segment.src, outward), dst: fake(segment.dst, !outward), srcPort: segment.srcPort, dstPort: segment.dstPort, tcpFlags: segment.flags ?? 0, seq: segment.seq ?? 0, payload: segment.payload });
      parsePacket(view, bytes, 0, bytes.length);
      out.reset();
      decider.decide(view, 1, out);
      if (segment.payload.length > 0 && outward) flow.queued++;
      if (out.reason === Reason.SAFETY_NET || out.reason === Reason.TCP_HANDSHAKE) hits.push(`${key} frame ${segment.frame} ${REASON_NAMES[out.reason]}`);
      if (out.reason === Reason.NOT_P2P && !out.watchFlow) flow.bypassed = true;
    }
  }
  const withData = [...flows.values()].filter((flow) => flow.queued > 0);
  const queued = withData.map((flow) => flow.queued).sort((a, b) => a - b);
  const all = [...flows.values()];
  const sizes = { twelve: all.filter((flow) => flow.firstBytes === 12).length, twelveThenEight: all.filter((flow) => flow.firstBytes === 12 && flow.firstAnswer === 8).length, withData: all.filter((flow) => flow.firstBytes > 0).length };
  return { hits, segments, flows: flows.size, withData: withData.length, queued, decider, sizes };
}

const filesIn = (dir: string) => readdirSync(new URL(dir, PCAPS)).map((file) => new URL(`${dir}/${file}`, PCAPS).pathname);

test('must not match: no TCP flow of any real capture, reassembled in stream order, is FastTrack; few data segments per flow are queued', (t) => {
  const result = replay([...filesIn('benign'), ...filesIn('p2p')]);
  assert.deepEqual(result.hits, [], 'zero false classifications');
  assert.ok(result.segments > 1000 && result.withData > 50, `${result.segments} TCP segments, ${result.withData} flows with data`);
  const total = result.queued.reduce((sum, n) => sum + n, 0);
  const mean = total / result.queued.length;
  const p50 = result.queued[Math.floor(result.queued.length / 2)]!;
  const max = result.queued.at(-1)!;
  t.diagnostic(`${result.sizes.withData} flows with client data: ${result.sizes.twelve} start with exactly 12 bytes, ${result.sizes.twelveThenEight} of them answered by exactly 8 (the FastTrack handshake's sizes)`);
  t.diagnostic(`${result.flows} flows, ${result.withData} with data: data segments queued per flow mean ${mean.toFixed(2)}, median ${p50}, max ${max}; given up at a limit ${result.decider.startsGivenUp}`);
  assert.ok(max <= SAFETY_NET_PACKETS, 'never more than the kernel cap');
});

test('the synthetic FastTrack capture: its HTTP flows are caught from the reassembled start, its session by the 12/8-byte handshake', () => {
  const result = replay([new URL('synthetic/fasttrack_synthetic.pcap', PCAPS).pathname]);
  assert.ok(result.hits.filter((hit) => hit.endsWith('safety_net')).length >= 2, result.hits.join('\n'));
  const handshake = result.hits.filter((hit) => hit.endsWith('tcp_handshake'));
  assert.match(handshake[0] ?? '', / frame 10 /, 'the supernode\'s 8-byte answer (frame 10) is dropped; the client\'s next bytes would be too');
});

test('with BitTorrent too: the BitTorrent captures\' clear TCP starts are caught in stream order, and no other flow is', (t) => {
  const isBitTorrent = (path: string) => /\/(bittorrent|bt)[^/]*$/.test(path);
  const others = replay([...filesIn('benign'), ...filesIn('p2p').filter((path) => !isBitTorrent(path)), ...filesIn('synthetic')], ['bittorrent']);
  assert.deepEqual(others.hits, [], 'zero false classifications');
  const caught: Record<string, number> = {};
  for (const path of filesIn('p2p').filter(isBitTorrent)) {
    const result = replay([path], ['fasttrack', 'bittorrent']);
    const flows = new Set(result.hits.map((hit) => hit.split(' frame ')[0]));
    caught[path.split('/').at(-1)!] = flows.size;
    t.diagnostic(`${path.split('/').at(-1)}: ${flows.size} of ${result.flows} TCP flows caught (${result.hits.length} segments dropped)`);
  }
  // bittorrent.pcap: all 24 flows (captured without their SYNs: judged from their first data);
  // bt-http.pcapng: its announce; bittorrent_tcp_miss.pcapng: its initiator starts with MSE/PE
  // (watched), and the responder's handshake in the clear, its third data segment, is caught.
  assert.deepEqual(caught, { 'bittorrent.pcap': 24, 'bittorrent_tcp_miss.pcapng': 1, 'bittorrent_utp.pcap': 0, 'bt-dns.pcap': 0, 'bt-http.pcapng': 1, 'bt_search.pcap': 0 });
  const miss = replay([new URL('p2p/bittorrent_tcp_miss.pcapng', PCAPS).pathname], ['fasttrack', 'bittorrent']);
  assert.match(miss.hits[0] ?? '', / frame 9 safety_net$/, 'the responder\'s clear handshake (frame 9) after MSE/PE');
  t.diagnostic(`bittorrent_tcp_miss.pcapng: ${miss.hits.join('; ')}`);
});
