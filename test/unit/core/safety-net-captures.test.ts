// SPDX-License-Identifier: GPL-2.0-or-later
// The safety net over real captures, flow by flow, as the kernel would queue them: a TCP flow's SYN
// and its data segments among its first SAFETY_NET_PACKETS packets, until the decider lets it go
// (accepted without watchFlow: the bypass bit). Every benign and other-P2P flow must pass
// unclassified; the synthetic FastTrack capture's HTTP flows must be caught. Also measures how many
// data segments per flow reach userspace.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CidrList } from '../../../src/core/cidr.ts';
import { CoreDecider } from '../../../src/core/decide.ts';
import { PacketView, Protocol, TcpFlag, parsePacket } from '../../../src/core/packet.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { DEFAULT_NETWORK_NAMES } from '../../../src/core/protocols/fasttrack/udp.ts';
import { Decision, Reason, type StateView } from '../../../src/core/types.ts';
import { SAFETY_NET_PACKETS } from '../../../src/rules/plan.ts';
import { buildIpv4 } from '../../../lab/packets.ts';
import { readCapture } from '../../helpers/pcap.ts';

const PCAPS = new URL('../../../../shared/pcaps/', import.meta.url);
const noState: StateView = { peerStatus: () => 0, lockUntil: () => 0, clientStatus: () => 0, probePort: () => 0, probeSent: () => 0 };

function replay(files: string[]) {
  const decider = new CoreDecider({
    protocols: createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: 7,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('0.0.0.0/0'), neverPeer: CidrList.parse(''),
  }, noState);
  const addresses = new Map<string, string>();
  const fake = (address: string) => {
    let ip = addresses.get(address);
    if (!ip) addresses.set(address, ip = `10.${(addresses.size >> 16) & 255}.${(addresses.size >> 8) & 255}.${addresses.size & 255}`);
    return ip;
  };
  const flows = new Map<string, { packets: number; bypassed: boolean; queued: number }>();
  const hits: string[] = [];
  const view = new PacketView();
  const out = new Decision();
  let segments = 0;
  for (const file of files) {
    for (const segment of readCapture(file)) {
      if (segment.protocol !== 'tcp') continue;
      segments++;
      const key = `${file} ${segment.src}:${segment.srcPort}>${segment.dst}:${segment.dstPort}`;
      let flow = flows.get(key);
      const syn = ((segment.flags ?? 0) & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
      if (!flow || syn) flows.set(key, flow = { packets: 0, bypassed: false, queued: 0 });
      flow.packets++;
      // The kernel: a SYN always; data among the first packets of a flow not yet let go.
      if (!syn && (segment.payload.length === 0 || flow.bypassed || flow.packets > SAFETY_NET_PACKETS)) continue;
      const bytes = buildIpv4({ protocol: Protocol.TCP, src: fake(segment.src), dst: fake(segment.dst), srcPort: segment.srcPort, dstPort: segment.dstPort, tcpFlags: segment.flags ?? 0, seq: segment.seq ?? 0, payload: segment.payload });
      parsePacket(view, bytes, 0, bytes.length);
      out.reset();
      decider.decide(view, 1, out);
      if (segment.payload.length > 0) flow.queued++;
      if (out.reason === Reason.SAFETY_NET) hits.push(`${key} frame ${segment.frame}`);
      if (out.reason === Reason.NOT_FASTTRACK && !out.watchFlow) flow.bypassed = true;
    }
  }
  const withData = [...flows.values()].filter((flow) => flow.queued > 0);
  const queued = withData.map((flow) => flow.queued).sort((a, b) => a - b);
  return { hits, segments, flows: flows.size, withData: withData.length, queued, decider };
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
  t.diagnostic(`${result.flows} flow directions, ${result.withData} with data: data segments queued per flow mean ${mean.toFixed(2)}, median ${p50}, max ${max}; given up at a limit ${result.decider.startsGivenUp}`);
  assert.ok(max <= SAFETY_NET_PACKETS, 'never more than the kernel cap');
});

test('the synthetic FastTrack capture: its HTTP flows are caught from the reassembled start', () => {
  const result = replay([new URL('synthetic/fasttrack_synthetic.pcap', PCAPS).pathname]);
  assert.ok(result.hits.length >= 2, result.hits.join('\n'));
});
