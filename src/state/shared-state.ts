// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * ftwall's one view of FastTrack peers and LAN clients, shared by every worker thread through
 * SharedArrayBuffers (see shared-table.ts). Created once by the main thread, attached by workers.
 */
import { randomInt } from 'node:crypto';
import type { HostLock } from '../core/lock.ts';
import { PROBE_SEED_MAX_BYTES } from '../core/protocol.ts';
import { TICK_MS } from '../core/time.ts';
import { ClientStatus } from '../core/types.ts';
import { PinnedPeers } from './pinned-peers.ts';
import { SharedTable, type SharedTableInit } from './shared-table.ts';

/** Value words of a peer entry (key: ip, port). */
export const Peer = {
  lastSeen: 0,
  /** The client that first revealed it (ip as Int32). */
  firstClient: 1,
  /** PeerSource bits (low byte) and the revealer bitmap (REVEALER_SHIFT up). */
  sources: 2,
  WORDS: 3,
} as const;

/** How a peer became known; CONFIRMED: it governs every host, not only identified clients. */
export const PeerSource = { UDP: 1, SAFETY_NET: 2, STORE: 4, CONFIRMED: 8 } as const;

/**
 * Distinct revealers are counted in a 24-bit bitmap: each verified revealing host (its IP with
 * that MAC in the router's neighbour table, see neighbours.ts) sets one bit chosen by a hash of
 * its MAC alone, so one MAC behind many IPs counts once; the bits set count the hosts (two MACs may
 * share a bit, which only ever undercounts: a quorum is never reached early).
 */
export const REVEALER_SHIFT = 8;
export const REVEALER_BITS = 24;

/** The revealer bit of a host by its hostKey (the MAC's last four bytes), in the sources word. */
export function revealerBit(hostKey: number): number {
  let h = Math.imul(Math.imul(hostKey, 0x9e3779b1) | 0, 0x85ebca6b);
  h ^= h >>> 15;
  return 1 << (REVEALER_SHIFT + ((h >>> 0) % REVEALER_BITS));
}

/** How many distinct hosts revealed a peer (its sources word). */
export function revealerCount(sources: number): number {
  let bits = sources >>> REVEALER_SHIFT;
  let count = 0;
  while (bits !== 0) {
    bits &= bits - 1;
    count++;
  }
  return count;
}

/** Value words of a client entry (key: ip, hostKey). */
export const Client = {
  /** ClientStatus bits (core/types.ts): the one set of client flags. */
  flags: 0,
  /** Tick at which the time lock ends; 0 = not locked. */
  lockUntil: 1,
  /** UDP port the client sent its request from (and answers probes on). */
  clientPort: 2,
  lastSeen: 3,
  macHigh: 4,
  macLow: 5,
  /** Tick the current lock started: its first probe goes out half a lock period later. */
  lockStarted: 6,
  probeSent: 7,
  /** Tick of the last probe answer (from this IP and MAC). */
  probeAnswered: 8,
  /** Tick a lock_started/refreshed event was last reported (at most one per second per client). */
  refreshReported: 9,
  /** Source port of the outstanding probe (picked at random per probe); 0 once answered. */
  probePort: 10,
  /** Protocol id (index of its module) of the request kept as the probe seed. */
  protocol: 11,
  /** Length and bytes (packed big-endian, 4 per word) of the client's own request: its probes' seed. */
  seedLength: 12,
  seed: 13,
  WORDS: 13 + PROBE_SEED_MAX_BYTES / 4,
} as const;

/** Keeps a client's request (bytes[offset, offset+length), cut to PROBE_SEED_MAX_BYTES) as its probe seed. */
export function storeSeed(clients: SharedTable, slot: number, bytes: Uint8Array, offset: number, length: number): void {
  const kept = Math.min(length, PROBE_SEED_MAX_BYTES);
  for (let word = 0; word < PROBE_SEED_MAX_BYTES / 4; word++) {
    let value = 0;
    for (let b = 0; b < 4; b++) {
      const index = word * 4 + b;
      value = (value << 8) | (index < kept ? bytes[offset + index]! : 0);
    }
    clients.set(slot, Client.seed + word, value | 0);
  }
  clients.set(slot, Client.seedLength, kept);
}

/** Copies a client's probe seed into `out` (PROBE_SEED_MAX_BYTES long); returns its length (0: none). */
export function loadSeed(clients: SharedTable, slot: number, out: Uint8Array): number {
  for (let word = 0; word < PROBE_SEED_MAX_BYTES / 4; word++) {
    const value = clients.get(slot, Client.seed + word);
    out[word * 4] = value >>> 24;
    out[word * 4 + 1] = (value >>> 16) & 0xff;
    out[word * 4 + 2] = (value >>> 8) & 0xff;
    out[word * 4 + 3] = value & 0xff;
  }
  return clients.get(slot, Client.seedLength);
}

/** Reads a client's lock record into `into` (reused: no allocation). */
export function readLock(clients: SharedTable, slot: number, into: HostLock): HostLock {
  into.lockUntil = clients.get(slot, Client.lockUntil);
  into.lockStarted = clients.get(slot, Client.lockStarted);
  into.probeSent = clients.get(slot, Client.probeSent);
  into.probeAnswered = clients.get(slot, Client.probeAnswered);
  into.refreshReported = clients.get(slot, Client.refreshReported);
  into.probePort = clients.get(slot, Client.probePort);
  return into;
}

/** An empty lock record to read into. */
export function emptyLock(): HostLock {
  return { lockUntil: 0, lockStarted: 0, probeSent: 0, probeAnswered: 0, refreshReported: 0, probePort: 0 };
}

/** Value words of a neighbour entry (key: ip, hostKey): the router's ARP table, see neighbours.ts. */
export const Neighbour = {
  /** Tick of the last read of the neighbour table that listed it (complete). */
  seen: 0,
  macHigh: 1,
  macLow: 2,
  WORDS: 3,
} as const;

export interface SharedStateInit {
  peers: SharedTableInit;
  clients: SharedTableInit;
  neighbours: SharedTableInit;
  /** The operator's peers (pinned-peers.ts); replaced once, when the store is loaded, before workers start. */
  pinned: SharedArrayBuffer;
  /** Float64 [baseMs, hostKeySecret]. */
  clock: SharedArrayBuffer;
}

export class SharedState {
  readonly peers: SharedTable;
  readonly clients: SharedTable;
  readonly neighbours: SharedTable;
  #pinned: PinnedPeers;
  readonly baseMs: number;
  /** The secret of this run's host keys (core/packet.ts macKey): random, never stored. */
  readonly hostKeySecret: number;
  readonly init: SharedStateInit;

  static create(options: { maxPeers: number; maxClients: number; nowMs?: number; hostKeySecret?: number }): SharedStateInit {
    const clock = new SharedArrayBuffer(16);
    const words = new Float64Array(clock);
    words[0] = options.nowMs ?? Date.now();
    words[1] = options.hostKeySecret ?? randomInt(1, 0x7fffffff);
    return {
      // Confirmed peers are carried through rotations: a spray of new peers cannot evict them.
      peers: SharedTable.create(options.maxPeers, Peer.WORDS, { index: Peer.sources, bits: PeerSource.CONFIRMED }),
      clients: SharedTable.create(options.maxClients, Client.WORDS),
      neighbours: SharedTable.create(Math.min(options.maxClients, 65536), Neighbour.WORDS),
      pinned: PinnedPeers.build([]),
      clock,
    };
  }

  constructor(init: SharedStateInit) {
    this.init = init;
    this.peers = new SharedTable(init.peers);
    this.clients = new SharedTable(init.clients);
    this.neighbours = new SharedTable(init.neighbours);
    this.#pinned = new PinnedPeers(init.pinned);
    this.baseMs = new Float64Array(init.clock)[0]!;
    this.hostKeySecret = new Float64Array(init.clock)[1]! | 0;
  }

  /** The operator's peers: never evicted, never forgotten. */
  get pinned(): PinnedPeers {
    return this.#pinned;
  }

  /** Sets the operator's peers; only before workers attach (they read init.pinned when they start). */
  pin(peers: ReadonlyArray<{ ip: number; port: number }>): void {
    this.init.pinned = PinnedPeers.build(peers);
    this.#pinned = new PinnedPeers(this.init.pinned);
  }

  /** Current time in ticks (always >= 1, so 0 can mean "never"). */
  ticks(nowMs: number = Date.now()): number {
    return Math.max(1, Math.floor((nowMs - this.baseMs) / TICK_MS));
  }

  /** Converts ticks back to wall-clock milliseconds. */
  toMs(ticks: number): number {
    return this.baseMs + ticks * TICK_MS;
  }
}
