// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Queue overflow, which the kernel does not count: with fail-open, a packet that finds its queue
 * full is accepted without an id and without touching /proc's counters. It is what ftwall's NFQUEUE
 * rules sent (their iptables packet counters) minus what the kernel queued (id_sequence of each of
 * ftwall's queues). Both can restart from zero (rules reinstalled, a worker's queue re-bound), so
 * each series is kept monotonic by carrying the value it had before a reset.
 */
import type { KernelQueueStats } from 'nfqueue-bindings';

class MonotonicSum {
  #last = 0;
  #carried = 0;
  add(value: number): number {
    if (value < this.#last) this.#carried += this.#last;
    this.#last = value;
    return this.#carried + value;
  }
}

export class OverflowCounter {
  readonly #rules = new MonotonicSum();
  readonly #queues = new Map<number, MonotonicSum>();
  /** Overflowed packets since start. */
  total = 0;

  update(queuedByRules: number, queues: readonly KernelQueueStats[]): void {
    const sent = this.#rules.add(queuedByRules);
    let queued = 0;
    for (const stats of queues) {
      let sum = this.#queues.get(stats.queue);
      if (!sum) this.#queues.set(stats.queue, (sum = new MonotonicSum()));
      queued += sum.add(stats.idSequence);
    }
    this.total = Math.max(this.total, sent - queued);
  }
}
