// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * One worker thread's entry: builds the core and its state view from workerData, opens its NFQUEUE
 * queue and hands every batch to the batch handler (batch-handler.ts); reports ready, fatal and
 * stopped to the main thread.
 */
import { NfQueue } from 'nfqueue-bindings';
import { parentPort, workerData } from 'node:worker_threads';
import { CidrList } from '../core/cidr.ts';
import { CoreDecider } from '../core/decide.ts';
import { anyLocks, lockTimings } from '../core/lock.ts';
import { createProtocols } from '../core/protocols/index.ts';
import { StateWriter } from '../state/apply.ts';
import { SharedState } from '../state/shared-state.ts';
import { SharedStateView } from '../state/view.ts';
import { SharedCounters } from '../telemetry/counters.ts';
import { SharedHistograms } from '../telemetry/histograms.ts';
import { createBatchHandler } from './batch-handler.ts';
import type { MainMessage, WorkerInit, WorkerMessage } from './messages.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);
const policy = init.policy;
const state = new SharedState(init.state);

const handleBatch = createBatchHandler({
  decider: new CoreDecider({
    protocols: createProtocols(policy.protocols, { networkNames: policy.networkNames }),
    blockUdp: policy.blockUdp,
    lockEnabled: anyLocks(policy.lockSeconds),
    probePort: policy.probePort,
    probePorts: policy.probePorts,
    answerTicks: lockTimings(policy.lockSeconds).map((timing) => timing.answerTicks),
    hostKeySecret: state.hostKeySecret,
    exempt: CidrList.parse(policy.exempt),
    safetyNet: policy.safetyNet,
    lanNetworks: CidrList.parse(policy.lanNetworks),
    neverPeer: CidrList.parse(policy.neverPeer),
  }, new SharedStateView(state)),
  writer: new StateWriter(state, policy.lockSeconds, policy.peerQuorum, policy.protocols),
  ticks: () => state.ticks(),
  counters: new SharedCounters(init.counters),
  histograms: new SharedHistograms(init.histograms),
  row: init.index,
  mark: init.mark,
  bypassMark: init.bypassMark,
  failClosed: init.failClosed,
  monitor: policy.monitor,
  publish: (events, spoofs) => post({ type: 'batch', queue: init.queue, events, spoofs }),
});

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
