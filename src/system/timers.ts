// SPDX-License-Identifier: GPL-2.0-or-later
/** The daemon's periodic work: intervals that do not keep the process alive, all cleared at once at stop. */
export class Intervals {
  readonly #timers: NodeJS.Timeout[] = [];

  /** Runs `run` every `ms` until clear(). */
  every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  clear(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
  }

  get size(): number {
    return this.#timers.length;
  }
}
