// SPDX-License-Identifier: GPL-2.0-or-later
/** The core's read-only StateView over the shared tables. */
import type { StateView } from '../core/types.ts';
import { NOT_FOUND } from './shared-table.ts';
import { Client, ClientFlag, type SharedState } from './shared-state.ts';

export class SharedStateView implements StateView {
  readonly #state: SharedState;

  constructor(state: SharedState) {
    this.#state = state;
  }

  isPeer(ip: number, port: number): boolean {
    return this.#state.peers.find(ip, port) !== NOT_FOUND;
  }

  lockUntil(ip: number): number {
    const slot = this.#state.clients.find(ip, 0);
    return slot === NOT_FOUND ? 0 : this.#state.clients.get(slot, Client.lockUntil);
  }

  isIdentifiedClient(ip: number): boolean {
    const slot = this.#state.clients.find(ip, 0);
    return slot !== NOT_FOUND && (this.#state.clients.get(slot, Client.flags) & ClientFlag.IDENTIFIED) !== 0;
  }
}
