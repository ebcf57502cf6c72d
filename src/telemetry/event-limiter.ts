// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Bounds the state-change log lines of each kind (e.g. a host spraying pings at random addresses
 * would otherwise write one peer_learned line per packet). Lines over the rate are counted, not
 * written; takeSuppressed() hands the counts to a periodic summary line. Pure.
 */
import { TokenBucket } from '../core/token-bucket.ts';

export class EventLimiter {
  readonly #ratePerSecond: number;
  readonly #buckets = new Map<string, TokenBucket>();
  #suppressed = new Map<string, number>();
  /** Lines suppressed since start. */
  total = 0;

  constructor(ratePerSecond: number) {
    this.#ratePerSecond = ratePerSecond;
  }

  /** Whether a line of this kind may be written now. */
  admit(kind: string, nowMs = Date.now()): boolean {
    let bucket = this.#buckets.get(kind);
    if (!bucket) {
      bucket = new TokenBucket(this.#ratePerSecond);
      this.#buckets.set(kind, bucket);
    }
    if (bucket.take(nowMs)) return true;
    this.#suppressed.set(kind, (this.#suppressed.get(kind) ?? 0) + 1);
    this.total++;
    return false;
  }

  /** Lines suppressed per kind since the last call (empty when none). */
  takeSuppressed(): Record<string, number> {
    const counts = Object.fromEntries(this.#suppressed);
    this.#suppressed = new Map();
    return counts;
  }
}
