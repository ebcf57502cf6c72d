// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The internet side of a BitTorrent test: a torrent, opentracker, seeders (real Transmission and
 * aria2 processes, each on its own address of the internet namespace) and, for the DHT, more
 * Transmission daemons without torrents (Transmission 3.00 will not search the DHT before it knows
 * 9 nodes, 4 of them answering, so a handful of seeders alone is not a DHT it uses).
 *
 *   tracker     198.51.100.10:6969 (HTTP and UDP)
 *   seeder i    198.51.100.(11+i)  Transmission :51413 (TCP, and UDP for DHT and uTP) or aria2 :6881 (TCP and DHT)
 *   DHT node j  198.51.100.(101+j) Transmission :51413
 *
 * Every DHT participant starts from the list of the others (dht.dat, or aria2's --dht-entry-point),
 * never from a public router. start() resolves when every seeder has verified its data and is
 * seeding, the tracker knows every seeder (with a tracker), and every seeder's log shows it announced
 * itself to the DHT nodes closest to the info hash (with a DHT), so a client started afterwards
 * only measures its own download. (No probe asks the DHT itself: a querier that then goes silent
 * stays in the nodes' tables and stalls their searches for half a minute.)
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PEER_NET, type TestBed } from '../netns.ts';
import { Aria2 } from './aria2.ts';
import { confineBed } from './names.ts';
import { pollUntil } from './relay.ts';
import { makeTorrent, writeTorrentData, type Torrent } from './torrent.ts';
import { Tracker } from './tracker.ts';
import { Transmission } from './transmission.ts';
import type { BtProcess, ClientKind, Contact } from './types.ts';

export const TRACKER_IP = `${PEER_NET}.10`;
export const TRACKER_PORT = 6969;
const TRANSMISSION_PORT = 51413;
const swarmCounts = new WeakMap<TestBed, number>();

/** 1, 2, ... per bed: names the swarm's directories (swarms in one bed run one after the other). */
function swarmsIn(bed: TestBed): number {
  const count = (swarmCounts.get(bed) ?? 0) + 1;
  swarmCounts.set(bed, count);
  return count;
}
const ARIA2_PORT = 6881;

export interface SwarmOptions {
  /** Run opentracker and put its HTTP and UDP announce URLs in the torrent (default true). */
  tracker?: boolean;
  /** DHT on in every seeder, plus the DHT-only nodes (default true). */
  dht?: boolean;
  /** The seeders' clients, in address order (default Transmission, aria2, Transmission, aria2). */
  seeders?: ClientKind[];
  /** Transmission daemons without torrents that fill the DHT (default 8 with the DHT, else 0). */
  dhtNodes?: number;
  /** Payload size (default 8 MiB) and the seed of its bytes. */
  bytes?: number;
  seed?: string;
  /** log2 of the piece length (default 18: 256 KiB). */
  pieceLengthLog2?: number;
  /** How long seeders may take to verify and announce (default 120 s). */
  readyTimeoutMs?: number;
}

export interface SwarmTimings {
  /** From start() to every seeder seeding. */
  seedingMs: number;
  /** From start() to ready (tracker and DHT know every seeder). */
  readyMs: number;
}

export class Swarm {
  readonly bed: TestBed;
  readonly torrent: Torrent;
  readonly tracker: Tracker | null;
  readonly seeders: BtProcess[];
  readonly dhtNodes: Transmission[];
  /** Whether the swarm runs a DHT (its seeders' DHT on, the DHT-only nodes up). */
  readonly dht: boolean;
  readonly timings: SwarmTimings;

  private constructor(bed: TestBed, torrent: Torrent, tracker: Tracker | null, seeders: BtProcess[], dhtNodes: Transmission[], dht: boolean, timings: SwarmTimings) {
    this.bed = bed;
    this.dht = dht;
    this.torrent = torrent;
    this.tracker = tracker;
    this.seeders = seeders;
    this.dhtNodes = dhtNodes;
    this.timings = timings;
  }

  /** The .torrent a client should open: the one with the tracker when there is one. */
  get torrentFile(): string {
    return this.torrent.trackerTorrent ?? this.torrent.trackerlessTorrent;
  }

  /** Where a client's DHT may start: every DHT participant of the swarm (empty without the DHT). */
  get dhtBootstrap(): Contact[] {
    if (!this.dht) return [];
    return [...this.dhtNodes, ...this.seeders].map((node) => ({ ip: node.bind!, port: node.dhtPort }));
  }

  static async start(bed: TestBed, options: SwarmOptions = {}): Promise<Swarm> {
    const startedAt = Date.now();
    const withTracker = options.tracker ?? true;
    const withDht = options.dht ?? true;
    const kinds = options.seeders ?? ['transmission', 'aria2', 'transmission', 'aria2'];
    const nodeCount = options.dhtNodes ?? (withDht ? 8 : 0);
    if (kinds.length > 9 || nodeCount > 100) throw new Error('at most 9 seeders and 100 DHT nodes');
    confineBed(bed);
    const id = `swarm${swarmsIn(bed)}`;
    const root = join(bed.tempDir, 'bt', id);
    const seed = options.seed ?? 'swarm';
    const data = writeTorrentData(join(root, 'data'), { bytes: options.bytes ?? 8 * 1024 * 1024, seed });
    const announce = withTracker ? [`http://${TRACKER_IP}:${TRACKER_PORT}/announce`, `udp://${TRACKER_IP}:${TRACKER_PORT}/announce`] : [];
    const torrent = makeTorrent(join(root, 'torrents'), data, { announce, pieceLengthLog2: options.pieceLengthLog2 });
    const tracker = withTracker ? await Tracker.start(bed, { name: `${id}-tracker`, ip: TRACKER_IP, port: TRACKER_PORT, infoHashes: [torrent.infoHash] }) : null;

    const seederContacts = kinds.map((kind, index) => ({ ip: `${PEER_NET}.${11 + index}`, port: kind === 'aria2' ? ARIA2_PORT : TRANSMISSION_PORT }));
    const nodeContacts = Array.from({ length: nodeCount }, (_, index) => ({ ip: `${PEER_NET}.${101 + index}`, port: TRANSMISSION_PORT }));
    const everyDhtContact = withDht ? [...nodeContacts, ...seederContacts] : [];
    const othersThan = (ip: string) => everyDhtContact.filter((contact) => contact.ip !== ip);
    let rpcPort = 0;

    const dhtNodes = await Promise.all(nodeContacts.map((contact, index) => Transmission.start(bed, {
      name: `${id}-dht-node-${index + 1}`, ns: bed.internet, bind: contact.ip, peerPort: contact.port, rpcPort: 9091 + rpcPort++,
      encryption: 1, dht: true, utp: true, pex: true, lpd: false, dhtNodes: othersThan(contact.ip),
    })));
    const seeders = await Promise.all(kinds.map(async (kind, index): Promise<BtProcess> => {
      const contact = seederContacts[index]!;
      const name = `${id}-seeder-${index + 1}-${kind}`;
      const seeder: BtProcess = kind === 'transmission'
        ? await Transmission.start(bed, {
          name, ns: bed.internet, bind: contact.ip, peerPort: contact.port, rpcPort: 9091 + rpcPort++,
          encryption: 1, dht: withDht, utp: true, pex: true, lpd: false, dhtNodes: othersThan(contact.ip),
        })
        : await Aria2.start(bed, {
          name, ns: bed.internet, bind: contact.ip, listenPort: contact.port, dhtPort: contact.port, rpcPort: 6800 + index,
          dht: withDht, dhtEntryPoint: othersThan(contact.ip)[0], requireCrypto: true, pex: true, lpd: false, checkIntegrity: true,
        });
      mkdirSync(seeder.downloadDir, { recursive: true });
      copyFileSync(data.path, join(seeder.downloadDir, data.name));
      await seeder.add(torrent.trackerTorrent ?? torrent.trackerlessTorrent);
      return seeder;
    }));
    const swarm = new Swarm(bed, torrent, tracker, seeders, dhtNodes, withDht, { seedingMs: 0, readyMs: 0 });
    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    try {
      await pollUntil('every seeder seeding', async () => {
        const states = await Promise.all(seeders.map((seeder) => seeder.progress(torrent.infoHash)));
        return states.every((state) => state?.seeding) ? true : undefined;
      }, timeoutMs, 200);
      swarm.timings.seedingMs = Date.now() - startedAt;
      if (tracker) {
        await pollUntil('the tracker knowing every seeder', async () => {
          const scrape = await tracker.scrape(torrent.infoHash);
          return scrape && scrape.complete + scrape.incomplete >= seeders.length ? true : undefined;
        }, timeoutMs, 250);
      }
      if (withDht) {
        await pollUntil('every seeder announced in the DHT', async () => {
          return seeders.every((seeder) => seeder.dhtAnnounced(torrent.infoHash, data.name)) ? true : undefined;
        }, timeoutMs, 250);
      }
    } catch (error) {
      await swarm.stop();
      throw error;
    }
    swarm.timings.readyMs = Date.now() - startedAt;
    return swarm;
  }

  /** Polls the seeders' peer lists until stop(): the names of those that ever had a peer at `ip` (or, where their logs say, a handshake with it). */
  watchPeer(ip: string, everyMs = 500): { stop(): Promise<string[]> } {
    const seen = new Set<string>();
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const seeder of await this.seedersSeeing(ip).catch(() => [])) seen.add(seeder.name);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        for (const seeder of this.seeders) if (seeder.peersInLog()?.includes(ip)) seen.add(seeder.name);
        return [...seen].sort();
      },
    };
  }

  /** Seeders that have a peer with this address now. */
  async seedersSeeing(ip: string): Promise<BtProcess[]> {
    const seen = await Promise.all(this.seeders.map(async (seeder) => (await seeder.progress(this.torrent.infoHash))?.peers.some((peer) => peer.ip === ip) ? seeder : null));
    return seen.filter((seeder): seeder is BtProcess => seeder !== null);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.seeders, ...this.dhtNodes].map((node) => node.stop()));
    await this.tracker?.stop();
  }
}
