// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * ftwall's queues as the kernel sees them (/proc/net/netfilter/nfnetlink_queue): their statistics,
 * for metrics, the overflow counter and overload reports; and, on stop, the wait until they hold
 * no packet (every packet queued before the rules went is decided), bounded by FTWALL_DRAIN_MS.
 */
import { readKernelQueueStats, type KernelQueueStats } from 'nfqueue-bindings';
import type { Logger } from '../telemetry/logger.ts';

/** Poll interval while waiting for the kernel queues to empty on stop. */
const DRAIN_POLL_MS = 10;

/** The kernel's statistics of queues queueBase .. queueBase+workers-1 (others' queues left out). */
export function kernelQueues(queueBase: number, workers: number, read: () => KernelQueueStats[] = readKernelQueueStats): KernelQueueStats[] {
  const last = queueBase + workers - 1;
  return read().filter((stats) => stats.queue >= queueBase && stats.queue <= last);
}

/** Resolves once `queues()` holds no waiting packet, or after `timeoutMs` with a warning saying how many are left. */
export async function drainQueues(queues: () => KernelQueueStats[], timeoutMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = queues().reduce((sum, stats) => sum + stats.queueTotal, 0);
    if (waiting === 0) return;
    if (Date.now() >= deadline) {
      log.warn({ event: 'drain_timeout', waiting }, `${waiting} packets still queued at stop`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}
