// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Histograms that worker threads fill without messages: one row per worker in a SharedArrayBuffer
 * (bucket counts, then sum and count), written only by that worker; the main thread adds the rows
 * up when metrics are collected. Explicit bucket boundaries, fixed at setup.
 */

export interface HistogramSpec {
  name: string;
  description: string;
  unit: string;
  /** Upper bounds of the buckets, ascending; one more bucket catches the rest. */
  boundaries: readonly number[];
}

/**
 * Seconds per decision (per packet, averaged over its batch; workers time a sample of batches).
 * The unit is in the name so that both paths give one Prometheus name, ftwall_decision_duration_seconds:
 * /metrics (the JS exporter only replaces the dots) and OTLP through a collector or a Prometheus
 * OTLP receiver (which append the unit's suffix unless the name already ends with it).
 */
export const DECISION_SECONDS: HistogramSpec = {
  name: 'ftwall.decision.duration.seconds', description: 'Time to decide one packet (parse, decide, apply), averaged over its batch (a sample of batches)', unit: 's',
  boundaries: [2.5e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2.5e-4, 1e-3],
};
/** Packets per batch. */
export const BATCH_SIZE: HistogramSpec = {
  name: 'ftwall.batch.size', description: 'Packets read and decided per batch', unit: '{packet}',
  boundaries: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
};
export const HISTOGRAMS = [DECISION_SECONDS, BATCH_SIZE] as const;

export interface HistogramSnapshot { boundaries: readonly number[]; counts: number[]; sum: number; count: number }

function rowWords(spec: HistogramSpec): number {
  return spec.boundaries.length + 1 + 2;
}

export class SharedHistograms {
  readonly buffer: SharedArrayBuffer;
  readonly #words: Float64Array;
  readonly #rowWords: number;
  readonly #offsets: number[];

  static create(rows: number): SharedArrayBuffer {
    return new SharedArrayBuffer(rows * HISTOGRAMS.reduce((sum, spec) => sum + rowWords(spec), 0) * 8);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#words = new Float64Array(buffer);
    let offset = 0;
    this.#offsets = HISTOGRAMS.map((spec) => { const at = offset; offset += rowWords(spec); return at; });
    this.#rowWords = offset;
  }

  /** Adds `weight` observations of `value` to histogram `index` in `row` (the caller's own row). */
  record(row: number, index: number, value: number, weight = 1): void {
    const spec = HISTOGRAMS[index]!;
    const base = row * this.#rowWords + this.#offsets[index]!;
    let bucket = 0;
    while (bucket < spec.boundaries.length && value > spec.boundaries[bucket]!) bucket++;
    this.#words[base + bucket]! += weight;
    this.#words[base + spec.boundaries.length + 1]! += value * weight;
    this.#words[base + spec.boundaries.length + 2]! += weight;
  }

  /** Sum over every row. */
  snapshot(index: number): HistogramSnapshot {
    const spec = HISTOGRAMS[index]!;
    const counts = new Array<number>(spec.boundaries.length + 1).fill(0);
    let sum = 0;
    let count = 0;
    const rows = this.#words.length / this.#rowWords;
    for (let row = 0; row < rows; row++) {
      const base = row * this.#rowWords + this.#offsets[index]!;
      for (let b = 0; b < counts.length; b++) counts[b]! += this.#words[base + b]!;
      sum += this.#words[base + counts.length]!;
      count += this.#words[base + counts.length + 1]!;
    }
    return { boundaries: spec.boundaries, counts, sum, count };
  }
}
