// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Fault injection for the chaos tests, preloaded into ftwall with NODE_OPTIONS=--import=<this file>
 * (it then runs in the main thread and in every worker thread). SIGUSR2 to the process makes the
 * worker of queue TEST_CRASH_QUEUE throw an uncaught exception once: a real crash of a real worker,
 * with packets in flight. Nothing of this is in ftwall itself.
 */
import { BroadcastChannel, isMainThread, workerData } from 'node:worker_threads';

const channel = new BroadcastChannel('ftwall-test-crash');
channel.unref();
if (isMainThread) {
  process.on('SIGUSR2', () => channel.postMessage(Number(process.env.TEST_CRASH_QUEUE)));
} else {
  channel.onmessage = (message) => {
    if ((message as MessageEvent).data !== (workerData as { queue?: number } | undefined)?.queue) return;
    channel.close();
    setImmediate(() => {
      throw new Error('injected crash (test/helpers/crash-worker.ts)');
    });
  };
}
