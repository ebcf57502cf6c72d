// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A bounded hash table in a SharedArrayBuffer that every worker thread reads and writes without
 * locks. Open addressing with linear probing; each slot is [state, key0, key1, ...values] in
 * Int32 words. A writer claims an empty slot with Atomics.compareExchange, fills it, then
 * publishes it with Atomics.store(state, READY); readers see a slot only once it is READY.
 *
 * Eviction without deletion: three generations. Writes go to the current one, reads look in the
 * current then the previous one (a hit there is copied forward on the next write), the third is
 * idle and is cleared just before it becomes current. A generation takes `capacity / 2` entries,
 * so at most `capacity` entries are live and an entry survives at least `capacity / 2` inserts of
 * others after it was last written: the least recently written go first.
 *
 * Kept entries: a table may name a value word and bits (`keep`) that mark entries worth more than
 * recency (confirmed peers). At each rotation the rotating thread copies the kept entries of the
 * generation falling out of reach into the new current one (at most an eighth of a generation per
 * rotation), so a flood of new keys cannot evict them; they still go when their bits are cleared.
 */

const STATE_EMPTY = 0;
const STATE_WRITING = 1;
const STATE_READY = 2;

/** Header words. */
const H_EPOCH = 0;
const H_ROTATING = 1;
const H_COUNT = 2; // 3 words: entries per generation
const H_FULL = 5;  // inserts that found no free slot within MAX_PROBES
const H_ROTATIONS = 6;
const H_CARRIED = 7;
const HEADER_WORDS = 8;
const GENERATIONS = 3;
/** Probe limit: far above the expected ~1.5 probes at load factor 0.5. */
const MAX_PROBES = 64;
/** Marks "not found" for find(); slot bases are always >= HEADER_WORDS. */
export const NOT_FOUND = -1;

/** What a worker needs to attach to a table created elsewhere. */
export interface SharedTableInit {
  buffer: SharedArrayBuffer;
  slotsPerGeneration: number;
  valueWords: number;
  /** Entries whose value word `index` has any of `bits` set survive rotations (see above). */
  keep?: { index: number; bits: number };
}

export interface SharedTableStats {
  entries: number;
  rotations: number;
  full: number;
  /** Kept entries carried into a new generation at rotations, since creation. */
  carried: number;
}

/** The smallest power of two >= value (table sizes). */
export function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

/** Mixes a two-word key into a slot index (murmur3 finaliser). */
export function hashKey(key0: number, key1: number): number {
  let h = Math.imul(key0 ^ Math.imul(key1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class SharedTable {
  /** The table's words; slot fields are at slotBase + 3 + valueIndex (see valueOffset). */
  readonly words: Int32Array;
  readonly slotsPerGeneration: number;
  readonly valueWords: number;
  readonly stride: number;
  readonly #mask: number;
  readonly #generationWords: number;
  readonly #keepIndex: number;
  readonly #keepBits: number;

  /**
   * Allocates a table for about `capacity` live entries with `valueWords` Int32 values each;
   * `keep` marks the entries that rotations carry forward.
   */
  static create(capacity: number, valueWords: number, keep?: { index: number; bits: number }): SharedTableInit {
    const slotsPerGeneration = nextPowerOfTwo(Math.max(16, capacity));
    const stride = 3 + valueWords;
    const buffer = new SharedArrayBuffer((HEADER_WORDS + GENERATIONS * slotsPerGeneration * stride) * 4);
    return keep ? { buffer, slotsPerGeneration, valueWords, keep } : { buffer, slotsPerGeneration, valueWords };
  }

  constructor(init: SharedTableInit) {
    this.words = new Int32Array(init.buffer);
    this.slotsPerGeneration = init.slotsPerGeneration;
    this.valueWords = init.valueWords;
    this.stride = 3 + init.valueWords;
    this.#mask = init.slotsPerGeneration - 1;
    this.#generationWords = init.slotsPerGeneration * this.stride;
    this.#keepIndex = init.keep?.index ?? 0;
    this.#keepBits = init.keep?.bits ?? 0;
  }

  /** Offset of value `index` from a slot base. */
  static valueOffset(index: number): number { return 3 + index; }

  #generationBase(generation: number): number {
    return HEADER_WORDS + generation * this.#generationWords;
  }

  #probe(generation: number, key0: number, key1: number): number {
    key0 |= 0; // keys are stored as Int32: compare like with like (IPs above 2^31 are negative)
    key1 |= 0;
    const words = this.words;
    const base = this.#generationBase(generation);
    let index = hashKey(key0, key1) & this.#mask;
    for (let probes = 0; probes < MAX_PROBES; probes++) {
      const slot = base + index * this.stride;
      const state = Atomics.load(words, slot);
      if (state === STATE_EMPTY) return NOT_FOUND;
      if (state === STATE_READY && words[slot + 1] === key0 && words[slot + 2] === key1) return slot;
      index = (index + 1) & this.#mask;
    }
    return NOT_FOUND;
  }

  /** Slot base of the key in the current or previous generation, or NOT_FOUND. Never allocates. */
  find(key0: number, key1: number): number {
    const epoch = Atomics.load(this.words, H_EPOCH);
    const found = this.#probe(epoch % GENERATIONS, key0, key1);
    if (found !== NOT_FOUND) return found;
    return this.#probe((epoch + 2) % GENERATIONS, key0, key1);
  }

  /**
   * Slot base of the key in the current generation, inserting it (with the previous generation's
   * values, or zeros) when missing. NOT_FOUND only when the generation is saturated.
   */
  upsert(key0: number, key1: number): number {
    key0 |= 0;
    key1 |= 0;
    const words = this.words;
    const epoch = Atomics.load(words, H_EPOCH);
    const generation = epoch % GENERATIONS;
    const base = this.#generationBase(generation);
    let index = hashKey(key0, key1) & this.#mask;
    for (let probes = 0; probes < MAX_PROBES; probes++) {
      const slot = base + index * this.stride;
      let state = Atomics.load(words, slot);
      if (state === STATE_EMPTY) {
        state = Atomics.compareExchange(words, slot, STATE_EMPTY, STATE_WRITING);
        if (state === STATE_EMPTY) {
          words[slot + 1] = key0;
          words[slot + 2] = key1;
          const older = this.#probe((epoch + 2) % GENERATIONS, key0, key1);
          for (let v = 0; v < this.valueWords; v++) words[slot + 3 + v] = older === NOT_FOUND ? 0 : Atomics.load(words, older + 3 + v);
          Atomics.store(words, slot, STATE_READY);
          const count = Atomics.add(words, H_COUNT + generation, 1) + 1;
          if (count >= this.slotsPerGeneration / 2) this.#rotate(epoch);
          return slot;
        }
      }
      if (state === STATE_READY && words[slot + 1] === key0 && words[slot + 2] === key1) return slot;
      index = (index + 1) & this.#mask;
    }
    Atomics.add(words, H_FULL, 1);
    return NOT_FOUND;
  }

  /** Advances the generation: clears the idle one and makes it current. One thread at a time. */
  #rotate(epoch: number): void {
    const words = this.words;
    if (Atomics.compareExchange(words, H_ROTATING, 0, 1) !== 0) return;
    if (Atomics.load(words, H_EPOCH) === epoch) {
      const idle = (epoch + 1) % GENERATIONS;
      const start = this.#generationBase(idle);
      words.fill(0, start, start + this.#generationWords);
      Atomics.store(words, H_COUNT + idle, 0);
      // Before the switch: readers never see a kept entry missing.
      if (this.#keepBits !== 0) this.#carryKept(epoch % GENERATIONS, (epoch + 2) % GENERATIONS, idle);
      Atomics.store(words, H_EPOCH, epoch + 1);
      Atomics.add(words, H_ROTATIONS, 1);
    }
    Atomics.store(words, H_ROTATING, 0);
  }

  /**
   * Copies the kept entries of `from` (the generation about to fall out of reach) that `alive`
   * (the current one, about to become the previous) does not hold into `to` (the cleared idle one,
   * about to become current; nobody writes it yet). At most an eighth of a generation: kept
   * entries can never crowd out the rest.
   */
  #carryKept(alive: number, from: number, to: number): void {
    const words = this.words;
    const fromBase = this.#generationBase(from);
    const toBase = this.#generationBase(to);
    const limit = this.slotsPerGeneration >>> 3;
    let carried = 0;
    for (let index = 0; index < this.slotsPerGeneration && carried < limit; index++) {
      const source = fromBase + index * this.stride;
      if (Atomics.load(words, source) !== STATE_READY) continue;
      if ((Atomics.load(words, source + 3 + this.#keepIndex) & this.#keepBits) === 0) continue;
      const key0 = words[source + 1]!;
      const key1 = words[source + 2]!;
      if (this.#probe(alive, key0, key1) !== NOT_FOUND) continue;
      let slotIndex = hashKey(key0, key1) & this.#mask;
      for (let probes = 0; probes < MAX_PROBES; probes++) {
        const slot = toBase + slotIndex * this.stride;
        let state = Atomics.load(words, slot);
        if (state === STATE_EMPTY) state = Atomics.compareExchange(words, slot, STATE_EMPTY, STATE_WRITING);
        if (state === STATE_EMPTY) {
          words[slot + 1] = key0;
          words[slot + 2] = key1;
          for (let v = 0; v < this.valueWords; v++) words[slot + 3 + v] = Atomics.load(words, source + 3 + v);
          Atomics.store(words, slot, STATE_READY);
          Atomics.add(words, H_COUNT + to, 1);
          carried++;
          break;
        }
        if (state === STATE_READY && words[slot + 1] === key0 && words[slot + 2] === key1) break; // a writer got there first
        slotIndex = (slotIndex + 1) & this.#mask;
      }
    }
    if (carried > 0) Atomics.add(words, H_CARRIED, carried);
  }

  /** Reads a value word of a slot. */
  get(slot: number, index: number): number { return Atomics.load(this.words, slot + 3 + index); }
  /** Writes a value word of a slot. */
  set(slot: number, index: number, value: number): void { Atomics.store(this.words, slot + 3 + index, value); }
  /** Raises a value word to at least `value` (never lowers it, whoever writes concurrently). */
  raise(slot: number, index: number, value: number): void {
    const words = this.words;
    let current = Atomics.load(words, slot + 3 + index);
    while (current < value) {
      const seen = Atomics.compareExchange(words, slot + 3 + index, current, value);
      if (seen === current) return;
      current = seen;
    }
  }
  /** Sets value `index` to `replacement` only if it still holds `expected`; returns what it held. */
  compareExchange(slot: number, index: number, expected: number, replacement: number): number {
    return Atomics.compareExchange(this.words, slot + 3 + index, expected, replacement);
  }
  /** Sets bits in a value word atomically; returns the word as it was. */
  setBits(slot: number, index: number, bits: number): number { return Atomics.or(this.words, slot + 3 + index, bits); }
  /** Clears bits in a value word atomically; returns the word as it was. */
  clearBits(slot: number, index: number, bits: number): number { return Atomics.and(this.words, slot + 3 + index, ~bits); }

  /**
   * Calls `visit(slot, key0, key1)` (keys as unsigned 32-bit numbers) for each live entry, current generation first; an entry present
   * in both live generations is visited once (its current copy). For the main thread's sweeps.
   */
  forEach(visit: (slot: number, key0: number, key1: number) => void): void {
    const epoch = Atomics.load(this.words, H_EPOCH);
    const current = epoch % GENERATIONS;
    for (const generation of [current, (epoch + 2) % GENERATIONS]) {
      const base = this.#generationBase(generation);
      for (let index = 0; index < this.slotsPerGeneration; index++) {
        const slot = base + index * this.stride;
        if (Atomics.load(this.words, slot) !== STATE_READY) continue;
        const key0 = this.words[slot + 1]!;
        const key1 = this.words[slot + 2]!;
        if (generation !== current && this.#probe(current, key0, key1) !== NOT_FOUND) continue;
        visit(slot, key0 >>> 0, key1 >>> 0);
      }
    }
  }

  stats(): SharedTableStats {
    const epoch = Atomics.load(this.words, H_EPOCH);
    return {
      entries: Atomics.load(this.words, H_COUNT + (epoch % GENERATIONS)) + Atomics.load(this.words, H_COUNT + ((epoch + 2) % GENERATIONS)),
      rotations: Atomics.load(this.words, H_ROTATIONS),
      full: Atomics.load(this.words, H_FULL),
      carried: Atomics.load(this.words, H_CARRIED),
    };
  }
}
