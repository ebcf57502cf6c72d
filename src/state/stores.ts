// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The stores' lifecycle under FTWALL_STATE_DIR (nothing at all without one): the peer store
 * (peers.txt) and the client store (clients.json) loaded into the shared tables at start; learned
 * and confirmed peers appended as they come (the operator's peers are only ever read), the file rewritten from the tables when it reaches its
 * bound; the clients saved periodically when they changed, and always at stop. Write failures are
 * logged, never thrown: the tables in memory stay authoritative.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { ipToString } from '../core/packet.ts';
import type { Logger } from '../telemetry/logger.ts';
import { StateWriter } from './apply.ts';
import { ClientStore, restoreClients, snapshotClients } from './client-store.ts';
import { PeerStore, peerLine } from './peer-store.ts';
import { Peer, PeerSource, type SharedState } from './shared-state.ts';

/** The peer store is rewritten from memory when it reaches this many lines per remembered peer. */
const PEER_STORE_LINES_PER_PEER = 2;
/** How often the client store is rewritten when clients or locks changed. */
export const CLIENT_STORE_SAVE_MS = 5000;

/**
 * The peer store's lines as memory holds them: every operator's peer first, then each live entry of
 * the peer table (not forgotten, not pinned) as confirmed or learned. Pure over the state.
 */
export function compactedPeerLines(state: SharedState): string[] {
  const lines: string[] = [];
  const pinned = state.pinned;
  pinned.forEach((ip, port) => lines.push(peerLine(ipToString(ip), port, 'pinned')));
  const peers = state.peers;
  peers.forEach((slot, ip, port) => {
    if (peers.get(slot, Peer.lastSeen) === 0 || pinned.has(ip, port)) return;
    lines.push(peerLine(ipToString(ip), port, (peers.get(slot, Peer.sources) & PeerSource.CONFIRMED) !== 0 ? 'confirmed' : 'learned'));
  });
  return lines;
}

/** The settings the stores use. */
export type StoresConfig = Pick<Config, 'stateDir' | 'maxPeers' | 'lockSeconds' | 'peerQuorum' | 'neverPeer' | 'protocols'>;

/** The peer and client stores of one run, over the shared tables; inert without FTWALL_STATE_DIR. */
export class Stores {
  readonly #config: StoresConfig;
  readonly #state: SharedState;
  readonly #log: Logger;
  #peerStore: PeerStore | undefined;
  #clientStore: ClientStore | undefined;
  #clientsChanged = false;

  constructor(config: StoresConfig, state: SharedState, log: Logger) {
    this.#config = config;
    this.#state = state;
    this.#log = log;
  }

  /** Whether there is a client store to save (it was loaded), so periodic saves are worth scheduling. */
  get keepsClients(): boolean {
    return this.#clientStore !== undefined;
  }

  /**
   * Loads the peer store (FTWALL_NEVER_PEER addresses left out): the operator's peers into the
   * pinned set, the rest into the peer table; warns per skipped line. Before the workers start.
   */
  loadPeers(): void {
    if (!this.#config.stateDir) return;
    const store = new PeerStore(join(this.#config.stateDir, 'peers.txt'), Math.max(1024, PEER_STORE_LINES_PER_PEER * this.#config.maxPeers));
    this.#peerStore = store;
    const loaded = store.load();
    const writer = new StateWriter(this.#state, this.#config.lockSeconds, this.#config.peerQuorum);
    const now = this.#state.ticks();
    const neverPeer = this.#config.neverPeer;
    const kept = loaded.peers.filter((peer) => !neverPeer.contains(peer.ip));
    const pinned = kept.filter((peer) => peer.kind === 'pinned');
    this.#state.pin(pinned);
    for (const peer of kept) {
      if (peer.kind !== 'pinned') writer.learnPeer(peer.ip, peer.port, 0, 0, false, PeerSource.STORE | (peer.kind === 'confirmed' ? PeerSource.CONFIRMED : 0), now);
    }
    for (const skipped of loaded.skipped) {
      this.#log.warn({ event: 'peer_store_line_skipped', path: store.path, line: skipped.line, text: skipped.text }, `peer store line ${skipped.line} skipped: not ip:port`);
    }
    this.#log.info({ event: 'peer_store_loaded', path: store.path, peers: loaded.peers.length, pinned: this.#state.pinned.size }, `loaded ${loaded.peers.length} peers (${this.#state.pinned.size} the operator's)`);
  }

  /** Restores the client store into the client table; an unreadable one is reported and later rewritten. */
  loadClients(): void {
    if (!this.#config.stateDir) return;
    const store = new ClientStore(join(this.#config.stateDir, 'clients.json'));
    this.#clientStore = store;
    try {
      const restored = restoreClients(this.#state, store.load(), Date.now(), this.#config.protocols);
      this.#log.info({ event: 'client_store_loaded', path: store.path, ...restored }, `restored ${restored.clients} clients (${restored.locked} still locked)`);
    } catch (error) {
      this.#log.warn({ event: 'client_store_unreadable', path: store.path, error: (error as Error).message }, 'client store unreadable: starting without its clients (it is rewritten)');
    }
  }

  /** Appends peer store lines (peerLine()); rewrites the file from the peer table once it is full. */
  appendPeers(lines: string[]): void {
    const store = this.#peerStore;
    if (!store) return;
    try {
      store.append(lines);
      if (store.full) this.#compact(store, 'full');
    } catch (error) {
      this.#log.error({ event: 'peer_store_write_failed', error: (error as Error).message }, 'could not write the peer store');
    }
  }

  /** Rewrites the peer store from memory (after the decay sweep forgot peers: they leave the file too). */
  compactPeers(why: string): void {
    const store = this.#peerStore;
    if (!store) return;
    try {
      this.#compact(store, why);
    } catch (error) {
      this.#log.error({ event: 'peer_store_write_failed', error: (error as Error).message }, 'could not write the peer store');
    }
  }

  /** Bounded on disk as in memory: the operator's peers first, always, then what the table still remembers. */
  #compact(store: PeerStore, why: string): void {
    const kept = compactedPeerLines(this.#state);
    store.rewrite(kept);
    this.#log.info({ event: 'peer_store_compacted', path: store.path, peers: kept.length, why }, `peer store rewritten with the ${kept.length} peers in memory`);
  }

  /** Notes that clients or locks changed: the next saveClients() writes. */
  clientsChanged(): void {
    this.#clientsChanged = true;
  }

  /** Writes the client store when clients or locks changed (always when `final`). */
  saveClients(final: boolean): void {
    if (!this.#clientStore || (!this.#clientsChanged && !final)) return;
    this.#clientsChanged = false;
    try {
      this.#clientStore.save(snapshotClients(this.#state, this.#state.ticks(), this.#config.protocols));
    } catch (error) {
      this.#log.error({ event: 'client_store_write_failed', error: (error as Error).message }, 'could not write the client store');
    }
  }
}
