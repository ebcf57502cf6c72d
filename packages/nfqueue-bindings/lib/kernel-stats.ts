// SPDX-License-Identifier: GPL-2.0-or-later
/** The kernel's per-queue counters from /proc/net/netfilter/nfnetlink_queue. */
import { readFileSync } from 'node:fs';

export interface KernelQueueStats {
  queue: number;
  portId: number;
  /** Packets waiting in the queue for a verdict now. */
  queueTotal: number;
  copyMode: number;
  copyRange: number;
  /** Dropped because the queue was full (without fail-open). */
  queueDropped: number;
  /** Dropped because the netlink socket could not take them (receive buffer full). */
  userDropped: number;
  idSequence: number;
}

export function parseKernelQueueStats(text: string): KernelQueueStats[] {
  return text.split('\n').filter((line) => line.trim()).map((line) => {
    const f = line.trim().split(/\s+/).map(Number);
    return {
      queue: f[0]!, portId: f[1]!, queueTotal: f[2]!, copyMode: f[3]!, copyRange: f[4]!,
      queueDropped: f[5]!, userDropped: f[6]!, idSequence: f[7]!,
    };
  });
}

export function readKernelQueueStats(path = '/proc/net/netfilter/nfnetlink_queue'): KernelQueueStats[] {
  try {
    return parseKernelQueueStats(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
