// SPDX-License-Identifier: GPL-2.0-or-later
/** The core's read-only StateView over the shared tables. */
import { ClientStatus, PeerStatus, type StateView } from '../core/types.ts';
import { NOT_FOUND } from './shared-table.ts';
import { Client, Peer, PeerSource, type SharedState } from './shared-state.ts';

export class SharedStateView implements StateView {
  readonly #state: SharedState;

  constructor(state: SharedState) {
    this.#state = state;
  }

  peerStatus(ip: number, port: number): PeerStatus {
    const peers = this.#state.peers;
    const slot = peers.find(ip, port);
    // lastSeen 0: forgotten by the decay sweep (until a rotation reclaims the slot).
    if (slot === NOT_FOUND || peers.get(slot, Peer.lastSeen) === 0) return this.#state.pinned.has(ip, port) ? PeerStatus.CONFIRMED : PeerStatus.NONE;
    if ((peers.get(slot, Peer.sources) & PeerSource.CONFIRMED) !== 0 || this.#state.pinned.has(ip, port)) return PeerStatus.CONFIRMED;
    return PeerStatus.LEARNED;
  }

  lockUntil(ip: number, hostKey: number): number {
    const slot = this.#state.clients.find(ip, hostKey);
    return slot === NOT_FOUND ? 0 : this.#state.clients.get(slot, Client.lockUntil);
  }

  clientStatus(ip: number, hostKey: number): number {
    const slot = this.#state.clients.find(ip, hostKey);
    return slot === NOT_FOUND ? ClientStatus.NONE : this.#state.clients.get(slot, Client.flags) & ClientStatus.IDENTIFIED;
  }

  probePort(ip: number, hostKey: number): number {
    const slot = this.#state.clients.find(ip, hostKey);
    return slot === NOT_FOUND ? 0 : this.#state.clients.get(slot, Client.probePort);
  }

  probeSent(ip: number, hostKey: number): number {
    const slot = this.#state.clients.find(ip, hostKey);
    return slot === NOT_FOUND ? 0 : this.#state.clients.get(slot, Client.probeSent);
  }
}
