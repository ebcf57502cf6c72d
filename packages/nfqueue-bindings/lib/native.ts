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
  /** Packet bytes: each packet (from its IP header) lies at its metadata row's packetOffset. */
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

/** Conntrack entries to delete, by their original-direction tuple; an absent field matches anything. */
export interface NativeConntrackFilter {
  /** IP protocol number (6 TCP, 17 UDP). */
  protocol?: number;
  /** IPv4 addresses as host-order numbers (a.b.c.d = a * 2^24 + ...). */
  source?: number;
  destination?: number;
  /** Needs a protocol. */
  destinationPort?: number;
  /** Flat [address, port, ...]: the destination must be one of these (one dump for all). */
  destinations?: number[];
}

/** What one deletion found: entries that matched, and how many of them it deleted itself. */
export interface ConntrackDeletion {
  matched: number;
  deleted: number;
}

interface Binding {
  NativeQueue: NativeQueueConstructor;
  /** Runs off the event loop (libuv pool); rejects with the netlink error text. */
  deleteConntrack(filter: NativeConntrackFilter): Promise<ConntrackDeletion>;
  /** Runs an nft script through libnftables off the event loop; resolves with its output. */
  runNft(script: string, outputFlags: number): Promise<string>;
}

let loaded: Binding | undefined;

/** Loads build/Release/nfqueue_bindings.node once per thread. */
export function loadBinding(): Binding {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = require('../build/Release/nfqueue_bindings.node') as Binding;
  }
  return loaded;
}

export function loadNativeQueue(): NativeQueueConstructor {
  return loadBinding().NativeQueue;
}
