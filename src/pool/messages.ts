// SPDX-License-Identifier: GPL-2.0-or-later
/** Every message between the main thread and the workers, both directions, in one place. */
import type { SharedStateInit } from '../state/shared-state.ts';

/** What a worker is started with (structured-cloned; SharedArrayBuffers are shared, not copied). */
export interface WorkerInit {
  /** Row of this worker in the shared counters. */
  index: number;
  queue: number;
  batchSize: number;
  copyRange: number;
  maxLength: number;
  socketBufferBytes: number;
  /** Mark bit set on packets that were decided and accepted. */
  mark: number;
  /** Which decider to run: the FastTrack core, or accept-all. */
  decider: 'pass-through';
  state: SharedStateInit;
  counters: SharedArrayBuffer;
}

/** Worker -> main. */
export type WorkerMessage =
  | { type: 'ready'; queue: number }
  | { type: 'fatal'; queue: number; message: string }
  | { type: 'stopped'; queue: number; counters: Record<string, number> };

/** Main -> worker. */
export type MainMessage = { type: 'stop' };
