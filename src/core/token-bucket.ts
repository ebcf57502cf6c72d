// SPDX-License-Identifier: GPL-2.0-or-later
/** A token bucket: at most `ratePerSecond` on average, bursts up to one second's worth. Pure. */
export class TokenBucket {
  readonly #rate: number;
  #tokens: number;
  #refilledAt: number | undefined;

  constructor(ratePerSecond: number) {
    this.#rate = ratePerSecond;
    this.#tokens = ratePerSecond;
  }

  /** Takes one token at `nowMs`; false when none is left. */
  take(nowMs: number): boolean {
    this.#tokens = Math.min(this.#rate, this.#tokens + ((nowMs - (this.#refilledAt ?? nowMs)) * this.#rate) / 1000);
    this.#refilledAt = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
