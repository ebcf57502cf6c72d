// SPDX-License-Identifier: GPL-2.0-or-later
export { NfQueue, PacketBatch, type BatchHandler, type QueueOptions } from './queue.ts';
export { Hook, META_WORDS, Meta, SkbInfo, VERDICT_FLAG_SET_MARK, VERDICT_WORDS, Verdict, type VerdictCode } from './layout.ts';
export type { NativeCounters, NativeQueue, NativeQueueConstructor, NativeQueueOptions } from './native.ts';
export { loadNativeQueue } from './native.ts';
export { deleteConntrack, type ConntrackDeletion, type ConntrackFilter } from './conntrack.ts';
export { parseKernelQueueStats, readKernelQueueStats, type KernelQueueStats } from './kernel-stats.ts';
export { runNft } from './nft.ts';
