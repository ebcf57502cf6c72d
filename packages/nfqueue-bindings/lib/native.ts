// SPDX-License-Identifier: GPL-2.0-or-later
/** The one place that loads the compiled addon and gives it a type. */
import { createRequire } from 'node:module';

/** Options understood by the native queue (see README). */
export interface NativeQueueOptions {
  queue: number;
  copyRange?: number;
  maxLength?: number;
  receiveBufferBytes?: number;
  batchSize?: number;
  failOpen?: boolean;
  gso?: boolean;
}

/** Counters kept by the native side for one queue. */
export interface NativeCounters {
  packets: number;
  batches: number;
  verdicts: number;
  verdictMessages: number;
  enobufs: number;
  receiveErrors: number;
  sendErrors: number;
  skippedMessages: number;
}

/** One bound NFQUEUE queue, as the addon exposes it. */
export interface NativeQueue {
  /** Packet bytes: each packet's payload lies at its metadata row's payloadOffset. */
  readonly packets: ArrayBuffer;
  /** META_WORDS u32 per packet. */
  readonly meta: ArrayBuffer;
  /** VERDICT_WORDS u32 per packet, prefilled with ACCEPT before each batch. */
  readonly verdicts: ArrayBuffer;
  readonly batchSize: number;
  start(onBatch: (count: number) => void): void;
  close(): void;
  counters(): NativeCounters;
  ref(): void;
  unref(): void;
}

export type NativeQueueConstructor = new (options: NativeQueueOptions) => NativeQueue;

let loaded: NativeQueueConstructor | undefined;

/** Loads build/Release/nfqueue_bindings.node once per thread. */
export function loadNativeQueue(): NativeQueueConstructor {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const binding = require('../build/Release/nfqueue_bindings.node') as { NativeQueue: NativeQueueConstructor };
    loaded = binding.NativeQueue;
  }
  return loaded;
}
