// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The operator's peers (peers.txt lines without a marker): a read-only set in a SharedArrayBuffer,
 * built once by the main thread when the store is loaded, before the workers start. Apart from the
 * bounded peer table on purpose: nothing a LAN host sends can evict one, the decay sweep never
 * forgets one, and the store's compaction writes every one of them first.
 * Layout (Int32): [count, mask, then (ip, port) pairs]; port 0 marks an empty slot (never a peer's).
 */
import { hashKey, nextPowerOfTwo } from './shared-table.ts';

/** The port word of a removed entry: no port is negative. */
const REMOVED = -1;

export class PinnedPeers {
  readonly #words: Int32Array;
  readonly #mask: number;
  /** Peers in the set (less those removed). */
  get size(): number {
    return Atomics.load(this.#words, 0);
  }

  /** A buffer holding `peers` (ip as unsigned or signed 32-bit, port 1-65535; duplicates once). */
  static build(peers: ReadonlyArray<{ ip: number; port: number }>): SharedArrayBuffer {
    const slots = nextPowerOfTwo(Math.max(2, peers.length * 2));
    const buffer = new SharedArrayBuffer((2 + 2 * slots) * 4);
    const words = new Int32Array(buffer);
    const mask = slots - 1;
    words[1] = mask;
    let count = 0;
    for (const { ip, port } of peers) {
      if (port < 1 || port > 65535) continue;
      let index = hashKey(ip | 0, port) & mask;
      for (;;) {
        const at = 2 + index * 2;
        if (words[at + 1] === 0) {
          words[at] = ip | 0;
          words[at + 1] = port;
          count++;
          break;
        }
        if (words[at] === (ip | 0) && words[at + 1] === port) break;
        index = (index + 1) & mask;
      }
    }
    words[0] = count;
    return buffer;
  }

  constructor(buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
    this.#mask = this.#words[1]!;
  }

  /**
   * Removes a peer (the operator's `ftwall forget`), for every thread at once: its entry keeps its
   * place in the probe chain with port REMOVED, which no lookup matches.
   */
  remove(ip: number, port: number): boolean {
    const at = this.#find(ip, port);
    if (at < 0) return false;
    Atomics.store(this.#words, at + 1, REMOVED);
    Atomics.sub(this.#words, 0, 1);
    return true;
  }

  has(ip: number, port: number): boolean {
    return this.size !== 0 && this.#find(ip, port) >= 0;
  }

  /** The word offset of the peer's entry (ip at it, port after it), or -1. */
  #find(ip: number, port: number): number {
    const words = this.#words;
    ip |= 0;
    let index = hashKey(ip, port) & this.#mask;
    for (;;) {
      const at = 2 + index * 2;
      const stored = words[at + 1];
      if (stored === 0) return -1;
      if (stored === port && words[at] === ip) return at;
      index = (index + 1) & this.#mask;
    }
  }

  /** Calls `visit(ip, port)` (ip unsigned) for each peer. */
  forEach(visit: (ip: number, port: number) => void): void {
    const words = this.#words;
    for (let at = 2; at < words.length; at += 2) {
      if (words[at + 1] !== 0 && words[at + 1] !== REMOVED) visit(words[at]! >>> 0, words[at + 1]!);
    }
  }
}
