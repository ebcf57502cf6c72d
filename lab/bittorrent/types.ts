// SPDX-License-Identifier: GPL-2.0-or-later
/** What every BitTorrent process of the lab (Transmission, aria2) reports, whichever client it is. */

export type ClientKind = 'transmission' | 'aria2';

export interface Contact {
  ip: string;
  port: number;
}

export interface PeerSeen extends Contact {
  /** null where the client does not say (aria2). */
  encrypted: boolean | null;
  utp: boolean | null;
  client: string | null;
}

export interface Progress {
  infoHash: string;
  /** False while a magnet's metadata is still being fetched (totalBytes is 0 then). */
  hasMetadata: boolean;
  /** Payload bytes in pieces that passed their hash check. */
  completedBytes: number;
  totalBytes: number;
  done: boolean;
  /** Verified and uploading (a seeder's readiness). */
  seeding: boolean;
  peers: PeerSeen[];
  /** How many of its peers came from where (Transmission: fromTracker, fromDht, fromPex, fromLpd, fromIncoming, ...); null where the client does not say (aria2). */
  peersFrom: Record<string, number> | null;
  /** The client's own word on its state ("downloading", "seeding", "active", ...). */
  state: string;
  error: string | null;
}

/** One running client process (a seeder, a DHT node or the LAN client). */
export interface BtProcess {
  readonly kind: ClientKind;
  readonly name: string;
  readonly ns: string;
  /** The address its peer and DHT sockets are bound to, or null (all addresses). */
  readonly bind: string | null;
  /** Its TCP peer port and its DHT (UDP) port. */
  readonly peerPort: number;
  readonly dhtPort: number;
  readonly downloadDir: string;
  readonly logFile: string;
  /** Adds a torrent (a .torrent file) or a magnet link; `downloadDir` defaults to its own. */
  add(source: string, downloadDir?: string): Promise<void>;
  /** Whether its log shows it announced itself in the DHT for this torrent (announce_peer sent). */
  dhtAnnounced(infoHash: string, name: string): boolean;
  /** Addresses of every peer it completed a BitTorrent handshake with, from its log; null where the log does not say (Transmission at info level). */
  peersInLog(): string[] | null;
  /** Progress of the torrent with this info hash, or null if it has none. */
  progress(infoHash: string): Promise<Progress | null>;
  /** SIGTERM (SIGKILL after a grace period); resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}
