// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * One worker thread: owns one NFQUEUE queue. For each packet of a batch: parse into a reused
 * view, decide with the pure core, apply the decision to the shared state at once (so the next
 * packet of any worker sees it), set the verdict. Events and spoof requests of the batch go to the
 * main thread in one message, only when there are any. Every failure path ends in ACCEPT (DROP with
 * FTWALL_FAIL=closed) and is counted.
 */
import { NfQueue, type PacketBatch } from 'nfqueue-bindings';
import { parentPort, workerData } from 'node:worker_threads';
import { CidrList } from '../core/cidr.ts';
import { FastTrackDecider } from '../core/decide.ts';
import { NetworkNames } from '../core/fasttrack.ts';
import { PacketView, parsePacket } from '../core/packet.ts';
import { Decision, Reason, Verdict } from '../core/types.ts';
import { StateWriter, type SpoofRequest } from '../state/apply.ts';
import { SharedState } from '../state/shared-state.ts';
import { SharedStateView } from '../state/view.ts';
import { Counter, SharedCounters } from '../telemetry/counters.ts';
import type { FtEvent } from '../telemetry/events.ts';
import { SharedHistograms } from '../telemetry/histograms.ts';
import type { MainMessage, WorkerInit, WorkerMessage } from './messages.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);
const counters = new SharedCounters(init.counters);
const histograms = new SharedHistograms(init.histograms);
const DECISION_HISTOGRAM = 0;
const BATCH_HISTOGRAM = 1;
const row = init.index;
const policy = init.policy;

const state = new SharedState(init.state);
const decider = new FastTrackDecider({
  names: new NetworkNames(policy.networkNames),
  blockUdp: policy.blockUdp,
  lockEnabled: policy.lockSeconds > 0,
  probePort: policy.probePort,
  exempt: CidrList.parse(policy.exempt),
  safetyNet: policy.safetyNet,
  lanNetworks: CidrList.parse(policy.lanNetworks),
  neverPeer: CidrList.parse(policy.neverPeer),
}, new SharedStateView(state));
const writer = new StateWriter(state, policy.lockSeconds, policy.peerQuorum);
const packet = new PacketView();
const decision = new Decision();
const mark = init.mark >>> 0;
const cleanMark = (init.mark | init.bypassMark) >>> 0;
/** This worker's per-reason packet counters (accepted at reason*2, dropped at reason*2+1). */
const reasonWords = counters.words;
const reasonBase = row * counters.columns + Counter.reasonBase;
/** The decision time is measured on one batch in TIMED_BATCH_EVERY (two clock reads saved on the others). */
const TIMED_BATCH_EVERY = 8;
let batchNumber = 0;

function handleBatch(batch: PacketBatch): void {
  const timed = batchNumber++ % TIMED_BATCH_EVERY === 0;
  const startedMs = timed ? performance.now() : 0;
  const now = state.ticks();
  let events: FtEvent[] | undefined;
  let spoofs: SpoofRequest[] | undefined;
  for (let i = 0; i < batch.count; i++) {
    decision.reset();
    try {
      parsePacket(packet, batch.bytes, batch.payloadOffset(i), batch.payloadLength(i));
      packet.hook = batch.hook(i);
      const hasMac = batch.hwaddrLength(i) >= 6;
      packet.srcMacHigh = hasMac ? batch.hwaddrHigh(i) : 0;
      packet.srcMacLow = hasMac ? batch.hwaddrLow(i) : 0;
      decider.decide(packet, now, decision);
      if (decision.identifyClient || decision.learnPeer || decision.lockClient || decision.spoofPong || decision.probeAnswer) {
        events ??= [];
        spoofs ??= [];
        writer.apply(packet, decision, now, events, spoofs);
      }
    } catch {
      counters.add(row, Counter.handlerErrors, 1);
      decision.verdict = init.failClosed ? Verdict.DROP : Verdict.ACCEPT;
    }
    if (decision.verdict === Verdict.DROP && !policy.monitor) {
      reasonWords[reasonBase + decision.reason * 2 + 1]!++;
      batch.drop(i);
    } else {
      reasonWords[reasonBase + decision.reason * 2]!++;
      // REPEAT with our mark: the hook runs again, our chain RETURNs, later rules still apply.
      // A clean flow also gets the bypass bit, which the rules copy to its conntrack entry.
      const clean = decision.reason === Reason.NOT_FASTTRACK || decision.reason === Reason.EXEMPT;
      batch.repeat(i, (batch.mark(i) | (clean ? cleanMark : mark)) >>> 0);
    }
  }
  // Per batch, not per packet: the average decision time weighted by the batch's packets.
  if (timed) histograms.record(row, DECISION_HISTOGRAM, (performance.now() - startedMs) / 1000 / batch.count, batch.count);
  histograms.record(row, BATCH_HISTOGRAM, batch.count);
  if (events && (events.length > 0 || spoofs!.length > 0)) {
    post({ type: 'batch', queue: init.queue, events, spoofs: spoofs! });
  }
}

let queue: NfQueue;
try {
  queue = new NfQueue({
    queue: init.queue,
    batchSize: init.batchSize,
    copyRange: init.copyRange,
    maxLength: init.maxLength,
    receiveBufferBytes: init.socketBufferBytes,
    failOpen: !init.failClosed,
    gso: true,
  });
  queue.start(handleBatch);
  post({ type: 'ready', queue: init.queue });
} catch (error) {
  post({ type: 'fatal', queue: init.queue, message: (error as Error).message });
  process.exit(1);
}

port.on('message', (message: MainMessage) => {
  if (message.type === 'stop') {
    const native = queue.counters();
    queue.close();
    post({ type: 'stopped', queue: init.queue, counters: { ...native } });
    port.close();
  }
});
