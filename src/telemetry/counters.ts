// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Per-worker packet counters in one SharedArrayBuffer: each worker writes only its own row, the
 * main thread sums the rows for /metrics. No messages per packet or per batch.
 */
import { REASON_NAMES, RECOGNISED_REASONS } from '../core/types.ts';

/** Protocol modules the counters can tell apart (more are counted as the last one). */
export const MAX_PROTOCOLS = 7;
/** Slots of the per-reason columns: 0 for packets no module recognised, 1 + protocol id for a module's. */
const SLOTS = 1 + MAX_PROTOCOLS;
const REASONS = REASON_NAMES.length;
const PACKET_COLUMNS = 2 * REASONS * SLOTS;

export const Counter = {
  /** Packets accepted because deciding them threw. */
  handlerErrors: 0,
  /**
   * First of the packet columns: per protocol slot and reason, accepted and dropped (packetColumn).
   * Every decided packet lands in exactly one of them, so totals derive from these.
   */
  reasonBase: 1,
  /** The safety net's reassembly: flow starts still watched when pushed out by newer flows (a worker's running total). */
  startsEvicted: 1 + PACKET_COLUMNS,
  /** Flow starts given up at the byte or segment limit while they could still have matched (running total). */
  startsGivenUp: 2 + PACKET_COLUMNS,
  COLUMNS: 3 + PACKET_COLUMNS,
} as const;

/** Per reason: 1 when a module recognised the packet (its protocol slot counts), else 0. */
export const RECOGNISED_BY_REASON: Uint8Array = (() => {
  const table = new Uint8Array(REASONS);
  for (const reason of RECOGNISED_REASONS) table[reason] = 1;
  return table;
})();

/** The protocol slot of a decided packet: 1 + its module's id when one recognised it, else 0. */
export function protocolSlot(reason: number, protocol: number): number {
  return RECOGNISED_BY_REASON[reason] === 1 ? 1 + Math.min(protocol, MAX_PROTOCOLS - 1) : 0;
}

/** The column of packets with this protocol slot and reason, accepted or dropped (relative to a row). */
export function packetColumn(slot: number, reason: number, dropped: boolean): number {
  return Counter.reasonBase + (slot * REASONS + reason) * 2 + (dropped ? 1 : 0);
}

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

  /** Packets with this reason, accepted or dropped, whatever their protocol. */
  reasonTotal(reason: number, dropped: boolean): number {
    let sum = 0;
    for (let slot = 0; slot < SLOTS; slot++) sum += this.total(packetColumn(slot, reason, dropped));
    return sum;
  }

  /** Packets decided in all, and how many of them were dropped (from the packet columns). */
  verdictTotals(): { packets: number; dropped: number } {
    let packets = 0;
    let dropped = 0;
    for (let reason = 0; reason < REASONS; reason++) {
      const drops = this.reasonTotal(reason, true);
      packets += this.reasonTotal(reason, false) + drops;
      dropped += drops;
    }
    return { packets, dropped };
  }
}
