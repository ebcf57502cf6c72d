// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Per-worker packet counters in one SharedArrayBuffer: each worker writes only its own row, the
 * main thread sums the rows for /metrics. No messages per packet or per batch.
 */
import { REASON_NAMES } from '../core/types.ts';

export const Counter = {
  /** Packets accepted because deciding them threw. */
  handlerErrors: 0,
  /**
   * First of 2 x REASON_NAMES.length columns: packets per reason, accepted (reason*2) and dropped
   * (reason*2+1). Every decided packet lands in exactly one of them, so totals derive from these.
   */
  reasonBase: 1,
  /** The safety net's reassembly: flow starts still watched when pushed out by newer flows (a worker's running total). */
  startsEvicted: 1 + 2 * REASON_NAMES.length,
  /** Flow starts given up at the byte or segment limit while they could still have matched (running total). */
  startsGivenUp: 2 + 2 * REASON_NAMES.length,
  COLUMNS: 3 + 2 * REASON_NAMES.length,
} as const;

export class SharedCounters {
  readonly words: Float64Array;
  readonly rows: number;
  readonly columns: number;
  readonly buffer: SharedArrayBuffer;

  static create(rows: number, columns: number = Counter.COLUMNS): SharedArrayBuffer {
    return new SharedArrayBuffer(rows * columns * 8);
  }

  constructor(buffer: SharedArrayBuffer, columns: number = Counter.COLUMNS) {
    this.buffer = buffer;
    this.columns = columns;
    this.words = new Float64Array(buffer);
    this.rows = this.words.length / columns;
  }

  /** Adds to a column of one row (only that row's worker writes it). */
  add(row: number, column: number, amount: number): void {
    this.words[row * this.columns + column]! += amount;
  }

  /** Sum of a column over all rows. */
  total(column: number): number {
    let sum = 0;
    for (let row = 0; row < this.rows; row++) sum += this.words[row * this.columns + column]!;
    return sum;
  }

  /** Packets decided in all, and how many of them were dropped (from the per-reason columns). */
  verdictTotals(): { packets: number; dropped: number } {
    let packets = 0;
    let dropped = 0;
    for (let reason = 0; reason < REASON_NAMES.length; reason++) {
      const accepted = this.total(Counter.reasonBase + reason * 2);
      const drops = this.total(Counter.reasonBase + reason * 2 + 1);
      packets += accepted + drops;
      dropped += drops;
    }
    return { packets, dropped };
  }
}
