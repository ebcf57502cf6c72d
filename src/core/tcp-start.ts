// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The start of each TCP flow's original direction, reassembled for the safety net: a protocol's
 * header block may come in several segments (a small MSS, one write per header line), out of
 * order, retransmitted or overlapping, and only the bytes in stream order say what it is.
 *
 * Contract: one TcpStarts per worker, owned by that worker's TcpJudge (its working memory; the
 * kernel's --queue-balance hashes the IP pair, so every packet of a flow reaches the same worker).
 * Pure: no timers, no I/O, no allocation after construction. Bounded: `flows` entries (least
 * recently used go first), each holding at most `bytes` bytes of its start; memory is
 * flows x (bytes + 8 x (segments + 1) + 56) bytes, allocated once (lazily touched by the OS).
 *
 * Bytes are placed by TCP sequence number, relative to the SYN's (ISN + 1) when the SYN was seen,
 * else to the first data segment seen. The first copy of a byte wins: a retransmission or an
 * overlap never rewrites what was already placed.
 */

/** What the safety net concluded about a flow's start. */
export const StartState = {
  /** Not judged yet: its next data segments are wanted. */
  WATCHING: 1,
  /** Judged not to be any protocol's session start (or given up at a limit): never looked at again. */
  CLEAN: 2,
  /** Recognised: its later segments (retransmissions) are judged the same. */
  MATCHED: 3,
  /**
   * Its start has a protocol handshake's size (core/protocol.ts TcpHandshake) and the client now
   * waits: the server's first answer decides (the flow is still WATCHING for the client's bytes).
   */
  AWAITING: 4,
} as const;
export type StartState = (typeof StartState)[keyof typeof StartState];

export interface TcpStartLimits {
  /** Flows remembered at once (LRU). */
  flows: number;
  /** Bytes of each flow's start kept and judged. */
  bytes: number;
  /** Data segments of a flow looked at before its start is given up. */
  segments: number;
}

/** 4096 flows x 2 KiB: 8.6 MB per worker at most. */
export const DEFAULT_TCP_START_LIMITS: TcpStartLimits = { flows: 4096, bytes: 2048, segments: 12 };

const EMPTY = -1;

export class TcpStarts {
  readonly limits: TcpStartLimits;
  /** Every flow's start, flow `slot` at slot x limits.bytes. */
  readonly bytes: Uint8Array;
  /** Flows still WATCHING pushed out by newer ones (their next segment starts a new entry). */
  evicted = 0;

  readonly #srcIp: Int32Array;
  readonly #dstIp: Int32Array;
  readonly #ports: Int32Array;
  /** Sequence number of the stream's first byte. */
  readonly #base: Int32Array;
  readonly #flags: Uint8Array; // bit 0: in use, bit 1: base from a SYN, bit 2: the server spoke first
  /** The server's data: sequence number of its first byte seen, and how far it reached (bytes). */
  readonly #answerBase: Int32Array;
  readonly #answerEnd: Int32Array;
  /** The client's MAC (the source of the flow's original direction), for a decision on an answer. */
  readonly #macHigh: Int32Array;
  readonly #macLow: Int32Array;
  readonly #state: Uint8Array;
  readonly #segments: Uint16Array;
  /** Filled ranges [start, end) of each flow, sorted and disjoint: up to limits.segments + 1. */
  readonly #ranges: Int32Array;
  readonly #rangeCount: Uint8Array;
  readonly #maxRanges: number;
  /** LRU list: most recent at #head. */
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  #head = EMPTY;
  #tail = EMPTY;
  #used = 0;
  /** Open addressing, linear probing: slot + 1, 0 when empty. */
  readonly #table: Int32Array;
  readonly #mask: number;

  constructor(limits: TcpStartLimits = DEFAULT_TCP_START_LIMITS) {
    if (limits.flows < 1 || limits.bytes < 1 || limits.segments < 1 || limits.segments > 250) throw new RangeError('bad TcpStartLimits');
    this.limits = { ...limits };
    const n = limits.flows;
    this.bytes = new Uint8Array(n * limits.bytes);
    this.#srcIp = new Int32Array(n);
    this.#dstIp = new Int32Array(n);
    this.#ports = new Int32Array(n);
    this.#base = new Int32Array(n);
    this.#flags = new Uint8Array(n);
    this.#answerBase = new Int32Array(n);
    this.#answerEnd = new Int32Array(n);
    this.#macHigh = new Int32Array(n);
    this.#macLow = new Int32Array(n);
    this.#state = new Uint8Array(n);
    this.#segments = new Uint16Array(n);
    this.#maxRanges = limits.segments + 1;
    this.#ranges = new Int32Array(n * this.#maxRanges * 2);
    this.#rangeCount = new Uint8Array(n);
    this.#prev = new Int32Array(n);
    this.#next = new Int32Array(n);
    let size = 1;
    while (size < n * 2) size <<= 1;
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
  }

  /** Flows held now. */
  get size(): number {
    return this.#used;
  }

  /**
   * Notes one segment of the flow (srcIp:srcPort -> dstIp:dstPort) and returns its slot. A SYN
   * (`syn`) fixes the stream's first byte at seq + 1 (a new ISN starts the flow afresh); its data,
   * if any (TCP Fast Open), starts there. Data is placed unless the flow was judged CLEAN (a MATCHED
   * flow's later bytes may still name a further peer).
   */
  add(srcIp: number, dstIp: number, srcPort: number, dstPort: number, seq: number, syn: boolean, bytes: Uint8Array, offset: number, length: number): number {
    const ports = (srcPort << 16) | dstPort;
    let slot = this.#find(srcIp | 0, dstIp | 0, ports);
    const dataSeq = syn ? (seq + 1) | 0 : seq | 0;
    if (slot === EMPTY) {
      slot = this.#insert(srcIp | 0, dstIp | 0, ports);
      this.#reset(slot, dataSeq, syn);
    } else {
      if (syn && !((this.#flags[slot]! & 2) !== 0 && this.#base[slot] === dataSeq)) this.#reset(slot, dataSeq, syn);
      this.#touch(slot);
    }
    if (length > 0 && this.#state[slot] !== StartState.CLEAN) {
      if (this.#segments[slot]! < 0xffff) this.#segments[slot]!++;
      this.#place(slot, (dataSeq - this.#base[slot]!) | 0, bytes, offset, length);
    }
    return slot;
  }

  /** The slot of the flow (srcIp:srcPort -> dstIp:dstPort), or -1; marks it as used. */
  find(srcIp: number, dstIp: number, srcPort: number, dstPort: number): number {
    const slot = this.#find(srcIp | 0, dstIp | 0, (srcPort << 16) | dstPort);
    if (slot !== EMPTY) this.#touch(slot);
    return slot;
  }

  /** Whether the flow's stream position comes from its SYN (its first byte is known). */
  fromSyn(slot: number): boolean {
    return (this.#flags[slot]! & 2) !== 0;
  }

  /**
   * Notes a data segment from the server (the flow's other direction) and returns how far the
   * server's data now reaches, in bytes from its first byte seen. Before any client data, it marks
   * the flow as one whose server spoke first.
   */
  addAnswer(slot: number, seq: number, length: number): number {
    if (this.#rangeCount[slot] === 0) this.#flags[slot]! |= 4;
    if (this.#answerEnd[slot] === 0) this.#answerBase[slot] = seq | 0;
    const end = ((seq - this.#answerBase[slot]!) | 0) + length;
    if (end > this.#answerEnd[slot]!) this.#answerEnd[slot] = end;
    return this.#answerEnd[slot]!;
  }

  /** Whether the server sent data before the client's first byte. */
  serverFirst(slot: number): boolean {
    return (this.#flags[slot]! & 4) !== 0;
  }

  /** End of the last byte range held (the start's extent, gaps included). */
  extent(slot: number): number {
    const count = this.#rangeCount[slot]!;
    return count > 0 ? this.#ranges[slot * this.#maxRanges * 2 + (count - 1) * 2 + 1]! : 0;
  }

  setClientMac(slot: number, macHigh: number, macLow: number): void {
    this.#macHigh[slot] = macHigh;
    this.#macLow[slot] = macLow;
  }

  clientMacHigh(slot: number): number {
    return this.#macHigh[slot]!;
  }

  clientMacLow(slot: number): number {
    return this.#macLow[slot]!;
  }

  state(slot: number): StartState {
    return this.#state[slot] as StartState;
  }

  setState(slot: number, state: StartState): void {
    this.#state[slot] = state;
  }

  /** Offset in `bytes` of the flow's start. */
  offset(slot: number): number {
    return slot * this.limits.bytes;
  }

  /** Bytes of the flow's start known without a gap, from its first byte. */
  length(slot: number): number {
    return this.#rangeCount[slot]! > 0 && this.#ranges[slot * this.#maxRanges * 2] === 0 ? this.#ranges[slot * this.#maxRanges * 2 + 1]! : 0;
  }

  /** Data segments seen on the flow before it was judged CLEAN. */
  segments(slot: number): number {
    return this.#segments[slot]!;
  }

  /** Whether the flow reached a limit: its whole byte budget known, or its segment budget spent. */
  full(slot: number): boolean {
    return this.length(slot) >= this.limits.bytes || this.#segments[slot]! >= this.limits.segments;
  }

  #reset(slot: number, base: number, syn: boolean): void {
    this.#base[slot] = base;
    this.#flags[slot] = syn ? 3 : 1;
    this.#answerEnd[slot] = 0;
    this.#state[slot] = StartState.WATCHING;
    this.#segments[slot] = 0;
    this.#rangeCount[slot] = 0;
  }

  /** Copies payload[skip..] to stream position `at`, keeping bytes already placed; records the range. */
  #place(slot: number, at: number, bytes: Uint8Array, offset: number, length: number): void {
    let skip = 0;
    if (at < 0) { // starts before the stream's first byte (e.g. a SYN retransmitted as data)
      skip = -at;
      at = 0;
    }
    const limit = this.limits.bytes;
    if (skip >= length || at >= limit) return;
    const start = at;
    const end = Math.min(limit, at + (length - skip));
    const base = slot * limit;
    const r = slot * this.#maxRanges * 2;
    const count = this.#rangeCount[slot]!;
    const ranges = this.#ranges;
    // Fill the gaps between the ranges already held (first copy wins).
    let pos = start;
    let insertAt = count; // index of the first range ending at or after start
    for (let i = 0; i < count && pos < end; i++) {
      const a = ranges[r + i * 2]!;
      const b = ranges[r + i * 2 + 1]!;
      if (b < start) continue;
      if (insertAt === count) insertAt = i;
      if (a >= end) break;
      if (a > pos) this.bytes.set(bytes.subarray(offset + skip + (pos - start), offset + skip + (a - start)), base + pos);
      if (b > pos) pos = b;
    }
    if (pos < end) this.bytes.set(bytes.subarray(offset + skip + (pos - start), offset + skip + (end - start)), base + pos);
    // Merge [start, end) into the sorted list: ranges insertAt..j-1 touch it.
    let newStart = start;
    let newEnd = end;
    let j = insertAt;
    while (j < count && ranges[r + j * 2]! <= end) {
      newStart = Math.min(newStart, ranges[r + j * 2]!);
      newEnd = Math.max(newEnd, ranges[r + j * 2 + 1]!);
      j++;
    }
    const merged = j - insertAt; // ranges replaced by one
    const newCount = count - merged + 1;
    if (newCount > this.#maxRanges) return; // too scattered: the bytes are placed, the range is not kept
    if (merged !== 1) ranges.copyWithin(r + (insertAt + 1) * 2, r + j * 2, r + count * 2);
    ranges[r + insertAt * 2] = newStart;
    ranges[r + insertAt * 2 + 1] = newEnd;
    this.#rangeCount[slot] = newCount;
  }

  #hash(srcIp: number, dstIp: number, ports: number): number {
    let h = Math.imul(srcIp ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ dstIp, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ ports, 0x27d4eb2f);
    return (h ^ (h >>> 15)) & this.#mask;
  }

  #find(srcIp: number, dstIp: number, ports: number): number {
    for (let i = this.#hash(srcIp, dstIp, ports); ; i = (i + 1) & this.#mask) {
      const entry = this.#table[i]!;
      if (entry === 0) return EMPTY;
      const slot = entry - 1;
      if (this.#srcIp[slot] === srcIp && this.#dstIp[slot] === dstIp && this.#ports[slot] === ports) return slot;
    }
  }

  #insert(srcIp: number, dstIp: number, ports: number): number {
    let slot: number;
    if (this.#used < this.limits.flows) {
      slot = this.#used++;
    } else {
      slot = this.#tail;
      if (this.#state[slot] === StartState.WATCHING || this.#state[slot] === StartState.AWAITING) this.evicted++;
      this.#unlink(slot);
      this.#unindex(slot);
    }
    this.#srcIp[slot] = srcIp;
    this.#dstIp[slot] = dstIp;
    this.#ports[slot] = ports;
    let i = this.#hash(srcIp, dstIp, ports);
    while (this.#table[i] !== 0) i = (i + 1) & this.#mask;
    this.#table[i] = slot + 1;
    this.#pushFront(slot);
    return slot;
  }

  /** Removes the slot from the table (backward-shift deletion keeps probe runs unbroken). */
  #unindex(slot: number): void {
    const mask = this.#mask;
    let i = this.#hash(this.#srcIp[slot]!, this.#dstIp[slot]!, this.#ports[slot]!);
    while (this.#table[i] !== slot + 1) i = (i + 1) & mask;
    let hole = i;
    for (let j = (hole + 1) & mask; this.#table[j] !== 0; j = (j + 1) & mask) {
      const other = this.#table[j]! - 1;
      const home = this.#hash(this.#srcIp[other]!, this.#dstIp[other]!, this.#ports[other]!);
      // Move `other` into the hole unless its home lies cyclically in (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.#table[hole] = this.#table[j]!;
        hole = j;
      }
    }
    this.#table[hole] = 0;
  }

  #pushFront(slot: number): void {
    this.#prev[slot] = EMPTY;
    this.#next[slot] = this.#head;
    if (this.#head !== EMPTY) this.#prev[this.#head] = slot;
    this.#head = slot;
    if (this.#tail === EMPTY) this.#tail = slot;
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot]!;
    const next = this.#next[slot]!;
    if (prev !== EMPTY) this.#next[prev] = next;
    else this.#head = next;
    if (next !== EMPTY) this.#prev[next] = prev;
    else this.#tail = prev;
  }

  #touch(slot: number): void {
    if (this.#head === slot) return;
    this.#unlink(slot);
    this.#pushFront(slot);
  }
}
