// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The main thread's decay sweep: what ftwall learned from LAN hosts does not last for ever.
 * - A client identified as FastTrack, not locked and with no FastTrack activity for
 *   FTWALL_CLIENT_QUIET_SECONDS loses its identification: learned peers govern it no more.
 * - A peer in the table (learned or confirmed; the operator's are apart, pinned-peers.ts) that no
 *   packet revealed or tried to reach for FTWALL_PEER_QUIET_SECONDS is forgotten: its lastSeen goes
 *   to 0 (the view reads that as unknown, the writer as new) and its revealers are cleared; the
 *   slot is reclaimed by a later rotation.
 * Each is reported as an event (rate-limited by the sink) and counted.
 */
import { formatMac, type FtEvent } from '../core/events.ts';
import { isLocked } from '../core/lock.ts';
import { ipToString } from '../core/packet.ts';
import { ticksFor } from '../core/time.ts';
import { ClientStatus } from '../core/types.ts';
import { Client, Peer, PeerSource, type SharedState } from './shared-state.ts';

export interface DecaySettings {
  clientQuietSeconds: number;
  peerQuietSeconds: number;
  /** The configured protocol modules' names, by protocol id (events name the host's). */
  protocols?: readonly string[];
}

export class DecaySweep {
  readonly #state: SharedState;
  readonly #settings: DecaySettings;
  readonly #clientQuiet: number;
  readonly #peerQuiet: number;
  readonly #report: (event: FtEvent) => void;
  /** Forgotten since start. */
  readonly forgotten = { clients: 0, peers: 0 };

  constructor(state: SharedState, settings: DecaySettings, report: (event: FtEvent) => void) {
    this.#state = state;
    this.#settings = settings;
    this.#clientQuiet = ticksFor(settings.clientQuietSeconds * 1000);
    this.#peerQuiet = ticksFor(settings.peerQuietSeconds * 1000);
    this.#report = report;
  }

  /** How often to sweep: a tenth of the shorter quiet time, between 1 s and 60 s. */
  static intervalMs(settings: DecaySettings): number {
    return Math.min(60_000, Math.max(1000, Math.min(settings.clientQuietSeconds, settings.peerQuietSeconds) * 100));
  }

  /** One pass over clients and peers at tick `now`; returns how many of each it forgot. */
  sweep(now: number): { clients: number; peers: number } {
    const result = { clients: this.#sweepClients(now), peers: this.#sweepPeers(now) };
    this.forgotten.clients += result.clients;
    this.forgotten.peers += result.peers;
    return result;
  }

  #sweepClients(now: number): number {
    const clients = this.#state.clients;
    let forgotten = 0;
    clients.forEach((slot, ip) => {
      if ((clients.get(slot, Client.flags) & ClientStatus.IDENTIFIED) === 0) return;
      if (isLocked(clients.get(slot, Client.lockUntil), now)) return;
      if (clients.get(slot, Client.lastSeen) > now - this.#clientQuiet) return;
      if ((clients.clearBits(slot, Client.flags, ClientStatus.IDENTIFIED) & ClientStatus.IDENTIFIED) === 0) return;
      forgotten++;
      const high = clients.get(slot, Client.macHigh);
      const low = clients.get(slot, Client.macLow);
      this.#report({
        event: 'client_forgotten', src_ip: ipToString(ip), quiet_seconds: this.#settings.clientQuietSeconds,
        protocol: this.#settings.protocols?.[clients.get(slot, Client.protocol)],
        ...(high === 0 && low === 0 ? {} : { src_mac: formatMac(high, low) }),
      });
    });
    return forgotten;
  }

  #sweepPeers(now: number): number {
    const peers = this.#state.peers;
    let forgotten = 0;
    peers.forEach((slot, ip, port) => {
      const seen = peers.get(slot, Peer.lastSeen);
      if (seen === 0 || seen > now - this.#peerQuiet) return;
      // Only if nobody refreshed it meanwhile.
      if (peers.compareExchange(slot, Peer.lastSeen, seen, 0) !== seen) return;
      const sources = peers.clearBits(slot, Peer.sources, -1);
      forgotten++;
      this.#report({ event: 'peer_forgotten', dest_ip: ipToString(ip), dest_port: port, confirmed: (sources & PeerSource.CONFIRMED) !== 0, quiet_seconds: this.#settings.peerQuietSeconds });
    });
    return forgotten;
  }
}
