// SPDX-License-Identifier: GPL-2.0-or-later
// The worker's per-batch work without a thread or a kernel queue: a fake batch of real packets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrList } from '../../../src/core/cidr.ts';
import { CoreDecider } from '../../../src/core/decide.ts';
import { TcpStarts } from '../../../src/core/tcp-start.ts';
import type { FtEvent } from '../../../src/core/events.ts';
import { Protocol, TcpFlag } from '../../../src/core/packet.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { Reason, type PacketDecider } from '../../../src/core/types.ts';
import { createBatchHandler, type Batch } from '../../../src/pool/batch-handler.ts';
import { StateWriter, type SpoofRequest } from '../../../src/state/apply.ts';
import { SharedState } from '../../../src/state/shared-state.ts';
import { SharedStateView } from '../../../src/state/view.ts';
import { Counter, SharedCounters } from '../../../src/telemetry/counters.ts';
import { SharedHistograms } from '../../../src/telemetry/histograms.ts';
import { buildIpv4 } from '../../../lab/packets.ts';

const MARK = 0x100000;
const BYPASS = 0x200000;
const PING = [0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')];

/** A batch over real packet bytes, laid out as the addon lays them (one after another). */
class FakeBatch implements Batch {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly #offsets: number[] = [];
  readonly #lengths: number[] = [];
  readonly verdicts: Array<['drop'] | ['repeat', number]> = [];

  readonly marks: number[];

  constructor(packets: Uint8Array[], marks: number[] = packets.map(() => 0)) {
    this.marks = marks;
    this.bytes = new Uint8Array(packets.reduce((sum, packet) => sum + packet.length, 0));
    let at = 0;
    for (const packet of packets) {
      this.bytes.set(packet, at);
      this.#offsets.push(at);
      this.#lengths.push(packet.length);
      at += packet.length;
    }
    this.count = packets.length;
  }
  packetOffset(i: number) { return this.#offsets[i]!; }
  packetLength(i: number) { return this.#lengths[i]!; }
  hook() { return 2; }
  mark(i: number) { return this.marks[i]!; }
  hwaddrLength() { return 6; }
  hwaddrHigh() { return 0x02770100; }
  hwaddrLow() { return 0x00100000; }
  drop(i: number) { this.verdicts[i] = ['drop']; }
  repeat(i: number, mark: number) { this.verdicts[i] = ['repeat', mark]; }
}

function setup(options: { monitor?: boolean; failClosed?: boolean; decider?: PacketDecider } = {}) {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const counters = new SharedCounters(SharedCounters.create(1));
  const published: Array<{ events: FtEvent[]; spoofs: SpoofRequest[] }> = [];
  const handle = createBatchHandler({
    decider: options.decider ?? new CoreDecider({
      protocols: createProtocols(['fasttrack'], { networkNames: ['KaZaA'] }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: state.hostKeySecret,
      exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.77.0.0/16'), neverPeer: CidrList.parse(''),
    }, new SharedStateView(state)),
    writer: new StateWriter(state, 4, 3),
    ticks: () => 100,
    counters,
    histograms: new SharedHistograms(SharedHistograms.create(1)),
    row: 0, mark: MARK, bypassMark: BYPASS, failClosed: options.failClosed ?? false, monitor: options.monitor ?? false,
    publish: (events, spoofs) => published.push({ events, spoofs }),
  });
  const count = (reason: number, dropped: boolean) => counters.reasonTotal(reason, dropped);
  return { handle, published, count, errors: () => counters.total(Counter.handlerErrors), counters };
}

const ping = () => buildIpv4({ protocol: Protocol.UDP, src: '10.77.1.10', dst: '198.51.100.7', srcPort: 3531, dstPort: 1214, payload: PING });
const dns = () => buildIpv4({ protocol: Protocol.UDP, src: '10.77.1.20', dst: '192.0.2.53', srcPort: 5353, dstPort: 53, payload: [1, 2, 3, 4, 5, 6] });
const synToPeer = () => buildIpv4({ protocol: Protocol.TCP, src: '10.77.1.10', dst: '198.51.100.7', srcPort: 40000, dstPort: 1214, tcpFlags: TcpFlag.SYN, payload: [] });

test('verdicts and marks: FastTrack dropped; clean flows repeated with the decided and bypass bits, keeping their own mark', () => {
  const { handle, published, count } = setup();
  const batch = new FakeBatch([ping(), dns(), synToPeer()], [0, 0x4, 0]);
  handle(batch);
  assert.deepEqual(batch.verdicts, [['drop'], ['repeat', 0x4 | MARK | BYPASS], ['drop']]);
  assert.equal(count(Reason.P2P_UDP, true), 1);
  assert.equal(count(Reason.NOT_P2P, false), 1);
  assert.equal(count(Reason.KNOWN_PEER_SYN, true), 1);
  assert.equal(published.length, 1, 'one message per batch');
  assert.deepEqual(published[0]!.events.map((e) => e.event), ['client_identified', 'peer_learned', 'lock_started']);
  assert.equal(published[0]!.spoofs.length, 1, 'one pong to send');
});

test('the safety net: a TCP flow whose start is still open goes without the bypass bit until it is judged; its counts reach the shared row', () => {
  const starts = new TcpStarts({ flows: 1, bytes: 64, segments: 4 });
  const decider = new CoreDecider({
    protocols: createProtocols(['fasttrack'], { networkNames: ['KaZaA'] }), blockUdp: true, lockEnabled: true, probePort: 41214, probePorts: 1024, answerTicks: 10, hostKeySecret: 7,
    exempt: CidrList.parse(''), safetyNet: true, lanNetworks: CidrList.parse('10.77.0.0/16'), neverPeer: CidrList.parse(''),
  }, new SharedStateView(new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }))), starts);
  const { handle, counters } = setup({ decider });
  const tcp = (srcPort: number, flags: number, seq: number, text: string) => buildIpv4({ protocol: Protocol.TCP, src: '10.77.1.20', dst: '192.0.2.80', srcPort, dstPort: 80, tcpFlags: flags, seq, payload: [...Buffer.from(text)] });
  const batch = new FakeBatch([tcp(50000, TcpFlag.SYN, 9, ''), tcp(50000, TcpFlag.ACK, 10, 'GET / HTTP/1.1\r\n'), tcp(50000, TcpFlag.ACK, 26, 'Host: a\r\n\r\n')]);
  handle(batch);
  assert.deepEqual(batch.verdicts, [['repeat', MARK], ['repeat', MARK], ['repeat', MARK | BYPASS]], 'the SYN and the open header block are watched; the ended block lets the flow go');
  handle(new FakeBatch([tcp(50001, TcpFlag.ACK, 1, 'EHLO'), tcp(50002, TcpFlag.ACK, 1, 'EHLO')]));
  assert.equal(counters.total(Counter.startsEvicted), 1, 'one watched flow pushed out (a table of 1)');
});

test('a batch with nothing to report publishes nothing', () => {
  const { handle, published } = setup();
  handle(new FakeBatch([dns(), dns()]));
  assert.equal(published.length, 0);
});

test('monitor mode decides and counts the same, but accepts everything (with the decided mark only)', () => {
  const { handle, count } = setup({ monitor: true });
  const batch = new FakeBatch([ping()]);
  handle(batch);
  assert.deepEqual(batch.verdicts, [['repeat', MARK]]);
  assert.equal(count(Reason.P2P_UDP, false), 1, 'counted as accepted: nothing was dropped');
});

test('a decision that throws: accepted and counted (fail-open), dropped with FTWALL_FAIL=closed', () => {
  const broken: PacketDecider = { decide() { throw new Error('boom'); } };
  for (const failClosed of [false, true]) {
    const { handle, errors } = setup({ decider: broken, failClosed });
    const batch = new FakeBatch([dns()]);
    handle(batch);
    assert.deepEqual(batch.verdicts, [failClosed ? ['drop'] : ['repeat', MARK]]);
    assert.equal(errors(), 1, 'counted as a decision error');
  }
});
