// SPDX-License-Identifier: GPL-2.0-or-later
/** Every message between the main thread and the workers, both directions, in one place. */
import type { SpoofRequest } from '../state/apply.ts';
import type { SharedStateInit } from '../state/shared-state.ts';
import type { FtEvent } from '../core/events.ts';

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
  /** Mark bit set on accepted packets of clean flows (saved to the flow); 0 = no bypass. */
  bypassMark: number;
  /** Queue overflow and deciding errors drop instead of accept (FTWALL_FAIL=closed). */
  failClosed: boolean;
  /** The decision core's policy, in plain data. */
  policy: WorkerPolicy;
  state: SharedStateInit;
  counters: SharedArrayBuffer;
  histograms: SharedArrayBuffer;
}

export interface WorkerPolicy {
  /** Protocol module names, in order (core/protocols/index.ts). */
  protocols: string[];
  networkNames: string[];
  blockUdp: boolean;
  /** By protocol id (config/protocols.ts lockSecondsFor). */
  lockSeconds: number[];
  probePort: number;
  probePorts: number;
  /** CIDR list text (FTWALL_EXEMPT). */
  exempt: string;
  /** CIDR list text: sources allowed to change state (FTWALL_LAN_NETWORKS or the interfaces' networks). */
  lanNetworks: string;
  /** CIDR list text (FTWALL_NEVER_PEER). */
  neverPeer: string;
  /** FTWALL_PEER_QUORUM. */
  peerQuorum: number;
  safetyNet: boolean;
  /** monitor: decide and report, but accept every packet. */
  monitor: boolean;
}

/** Worker -> main. */
export type WorkerMessage =
  | { type: 'ready'; queue: number }
  | { type: 'fatal'; queue: number; message: string }
  | { type: 'stopped'; queue: number; counters: Record<string, number> }
  /** State changes and actions of one batch (only sent when there are any). */
  | { type: 'batch'; queue: number; events: FtEvent[]; spoofs: SpoofRequest[] };

/** Main -> worker. */
export type MainMessage = { type: 'stop' };
