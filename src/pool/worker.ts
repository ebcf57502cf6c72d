// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * One worker thread: owns one NFQUEUE queue, parses each packet of a batch into a reused view,
 * asks the decider, and writes the verdict. Every failure path ends in ACCEPT and is counted.
 */
import { NfQueue, type PacketBatch } from 'nfqueue-bindings';
import { parentPort, workerData } from 'node:worker_threads';
import { PacketView, parsePacket } from '../core/packet.ts';
import { PassThroughDecider } from '../core/pass-through.ts';
import { Decision, Verdict, type PacketDecider } from '../core/types.ts';
import { Counter, SharedCounters } from '../telemetry/counters.ts';
import type { MainMessage, WorkerInit, WorkerMessage } from './messages.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);
const counters = new SharedCounters(init.counters);
const row = init.index;

function createDecider(): PacketDecider {
  return new PassThroughDecider();
}

const decider = createDecider();
const packet = new PacketView();
const decision = new Decision();
const mark = init.mark >>> 0;

function handleBatch(batch: PacketBatch): void {
  const now = Date.now();
  let dropped = 0;
  for (let i = 0; i < batch.count; i++) {
    parsePacket(packet, batch.bytes, batch.payloadOffset(i), batch.payloadLength(i));
    decision.reset();
    try {
      decider.decide(packet, now, decision);
    } catch {
      counters.add(row, Counter.handlerErrors, 1);
      decision.verdict = Verdict.ACCEPT;
    }
    if (decision.verdict === Verdict.DROP) {
      batch.drop(i);
      dropped++;
    } else {
      // REPEAT with our mark: the hook runs again, our chain RETURNs, later rules still apply.
      batch.repeat(i, (batch.mark(i) | mark) >>> 0);
    }
  }
  counters.add(row, Counter.packets, batch.count);
  counters.add(row, Counter.dropped, dropped);
  counters.add(row, Counter.accepted, batch.count - dropped);
  counters.add(row, Counter.batches, 1);
}

let queue: NfQueue;
try {
  queue = new NfQueue({
    queue: init.queue,
    batchSize: init.batchSize,
    copyRange: init.copyRange,
    maxLength: init.maxLength,
    receiveBufferBytes: init.socketBufferBytes,
    failOpen: true,
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
