// SPDX-License-Identifier: GPL-2.0-or-later
import { readKernelQueueStats, type KernelQueueStats } from './kernel-stats.ts';
import { META_WORDS, Meta, VERDICT_FLAG_SET_MARK, VERDICT_WORDS, Verdict, type VerdictCode } from './layout.ts';
import { loadNativeQueue, type NativeCounters, type NativeQueue, type NativeQueueConstructor, type NativeQueueOptions } from './native.ts';

/**
 * The packets of one batch, as views over the queue's own memory. Valid only inside the
 * onBatch call: the next batch overwrites it. Nothing here allocates per packet.
 */
export class PacketBatch {
  /** Number of packets in this batch. */
  count = 0;
  /** All packet bytes of the batch; use packetOffset(i) and packetLength(i). */
  readonly bytes: Uint8Array;
  /** Raw metadata table (META_WORDS per packet; see layout.ts). */
  readonly meta: Uint32Array;
  /** Raw verdict table (VERDICT_WORDS per packet). */
  readonly verdicts: Uint32Array;

  constructor(native: Pick<NativeQueue, 'packets' | 'meta' | 'verdicts'>) {
    this.bytes = new Uint8Array(native.packets);
    this.meta = new Uint32Array(native.meta);
    this.verdicts = new Uint32Array(native.verdicts);
  }

  /** Kernel packet id. */
  id(i: number): number { return this.meta[i * META_WORDS + Meta.id]!; }
  /** Netfilter hook the packet was queued from (Hook.*). */
  hook(i: number): number { return this.meta[i * META_WORDS + Meta.hook]!; }
  /** The packet's current mark. */
  mark(i: number): number { return this.meta[i * META_WORDS + Meta.mark]!; }
  /** Input interface index (0 when none). */
  indev(i: number): number { return this.meta[i * META_WORDS + Meta.indev]!; }
  /** Output interface index (0 when none). */
  outdev(i: number): number { return this.meta[i * META_WORDS + Meta.outdev]!; }
  /** Offset of the IP header in `bytes`. */
  packetOffset(i: number): number { return this.meta[i * META_WORDS + Meta.packetOffset]!; }
  /** Captured bytes (at most the copy range). */
  packetLength(i: number): number { return this.meta[i * META_WORDS + Meta.packetLength]!; }
  /** Length of the packet before capture truncation. */
  originalLength(i: number): number { return this.meta[i * META_WORDS + Meta.originalLength]!; }
  /** NFQA_SKB_INFO flags (SkbInfo.*). */
  skbInfo(i: number): number { return this.meta[i * META_WORDS + Meta.skbInfo]!; }
  /** Source hardware address length (6 for Ethernet, 0 when unknown). */
  hwaddrLength(i: number): number { return this.meta[i * META_WORDS + Meta.hwaddrLength]!; }
  /** First four bytes of the source hardware address, big-endian. */
  hwaddrHigh(i: number): number { return this.meta[i * META_WORDS + Meta.hwaddr0to3]!; }
  /** Bytes 4..7 of the source hardware address, big-endian (for Ethernet bytes 4, 5 then zeros). */
  hwaddrLow(i: number): number { return this.meta[i * META_WORDS + Meta.hwaddr4to7]!; }

  /** Sets packet i's verdict; with `mark` defined, the packet mark becomes `mark`. */
  setVerdict(i: number, verdict: VerdictCode, mark?: number): void {
    const row = i * VERDICT_WORDS;
    if (mark === undefined) {
      this.verdicts[row] = verdict;
      this.verdicts[row + 1] = 0;
    } else {
      this.verdicts[row] = (verdict | VERDICT_FLAG_SET_MARK) >>> 0;
      this.verdicts[row + 1] = mark >>> 0;
    }
  }
  accept(i: number): void { this.setVerdict(i, Verdict.ACCEPT); }
  drop(i: number): void { this.setVerdict(i, Verdict.DROP); }
  /** Re-run the hook with the mark set: the table's later rules still see the packet. */
  repeat(i: number, mark: number): void { this.setVerdict(i, Verdict.REPEAT, mark); }
  /** Sets every verdict of the batch to ACCEPT with no mark change. */
  acceptAll(): void {
    for (let i = 0; i < this.count; i++) this.setVerdict(i, Verdict.ACCEPT);
  }
}

/** Options of one queue. */
export interface QueueOptions extends NativeQueueOptions {
  /** Constructor of the native queue; tests pass a fake so they need no root. */
  native?: NativeQueueConstructor;
}

/** Called once per batch; set verdicts on the batch before returning. */
export type BatchHandler = (batch: PacketBatch) => void;

/**
 * One NFQUEUE queue read in batches. Unset verdicts are ACCEPT; a handler that throws leaves the
 * remaining verdicts as they are (ACCEPT unless set) and the error reaches 'uncaughtException'.
 */
export class NfQueue {
  readonly queue: number;
  readonly batch: PacketBatch;
  readonly #native: NativeQueue;
  #closed = false;

  constructor(options: QueueOptions) {
    const Native = options.native ?? loadNativeQueue();
    const { native: _ignored, ...nativeOptions } = options;
    this.queue = options.queue;
    this.#native = new Native(nativeOptions);
    this.batch = new PacketBatch(this.#native);
  }

  /** Starts reading; `handler` is called once per batch on this thread's event loop. */
  start(handler: BatchHandler): void {
    const batch = this.batch;
    this.#native.start((count: number) => {
      batch.count = count;
      handler(batch);
    });
  }

  /** Counters of packets, batches, verdicts, overruns and errors. */
  counters(): NativeCounters { return this.#native.counters(); }

  /** The kernel's own counters for this queue (waiting, queue_dropped, user_dropped), if bound. */
  kernelStats(): KernelQueueStats | undefined {
    return readKernelQueueStats().find((stats) => stats.queue === this.queue);
  }

  /** Lets the thread exit while the queue is open (like timer.unref()). */
  unref(): void { this.#native.unref(); }
  ref(): void { this.#native.ref(); }

  get closed(): boolean { return this.#closed; }

  /** Stops reading, unbinds the queue and closes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }
}
