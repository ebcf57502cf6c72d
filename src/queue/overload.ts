// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The overload warning: packets ftwall's rules sent to a queue that could not take them (see
 * overflow.ts), logged at most once per OVERLOAD_LOG_INTERVAL_MS with how many since the last
 * warning and what became of them; the `ftwall.queue.overflow` metric counts every one.
 */
import type { KernelQueueStats } from 'nfqueue-bindings';
import type { Logger } from '../telemetry/logger.ts';
import type { OverflowCounter } from './overflow.ts';

/** At most one overload warning per this many ms. */
export const OVERLOAD_LOG_INTERVAL_MS = 10_000;

/** What the overload warning reads. */
export interface OverloadReportOptions {
  overflow: OverflowCounter;
  /** FTWALL_FAIL=closed: overflowed packets were dropped, not passed. */
  failClosed: boolean;
  /** The kernel's statistics of ftwall's queues, put in the warning. */
  kernelQueues: () => KernelQueueStats[];
  log: Logger;
}

/** The rate-bounded overload warning; report() runs every OVERLOAD_LOG_INTERVAL_MS. */
export class OverloadReport {
  readonly #options: OverloadReportOptions;
  #reported = 0;

  constructor(options: OverloadReportOptions) {
    this.#options = options;
  }

  /** Warns about the packets that overflowed since the last warning, if any. */
  report(): void {
    const { overflow, failClosed, kernelQueues, log } = this.#options;
    const total = overflow.total;
    if (total <= this.#reported) return;
    const fresh = total - this.#reported;
    this.#reported = total;
    const fate = failClosed ? 'were dropped' : 'passed undecided';
    log.warn({ event: 'overload', overflow: fresh, overflow_total: total, queues: kernelQueues() },
      `overloaded: ${fresh} packets ${fate} since the last report (queue full or socket overrun)`);
  }
}
