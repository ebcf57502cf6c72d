// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The LAN side: a real client on a LAN host, configured as a user's would be, with encryption required,
 * DHT, PEX and random ports (Transmission also uTP and LPD), downloading one torrent or magnet.
 *
 *   const client = await BtClient.start(bed, bed.host('client'), { kind: 'transmission', magnet: swarm.torrent.magnet, dhtBootstrap: swarm.dhtBootstrap });
 *   await client.completedBytes();
 *   const { ms } = await client.waitForCompletion(120_000);
 *   await client.stop();
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LanHost, TestBed } from '../netns.ts';
import { Aria2 } from './aria2.ts';
import { confineBed } from './names.ts';
import { pollUntil } from './relay.ts';
import { infoHashOf } from './torrent.ts';
import { Transmission } from './transmission.ts';
import type { BtProcess, ClientKind, Contact, Progress } from './types.ts';

export interface BtClientOptions {
  kind: ClientKind;
  /** A .torrent file, or a magnet link (exactly one). */
  torrent?: string;
  magnet?: string;
  /** Lab DHT nodes the client's DHT starts from (Swarm.dhtBootstrap); empty: its DHT knows no one. */
  dhtBootstrap?: Contact[];
  /**
   * Transmission's uTP (default on). Transmission 3.00 tries uTP first; a peer without uTP (aria2)
   * times out after about 9 s, and its TCP fallback is then aborted (handshake.c gotError falls into
   * its error branch after reconnecting) and the peer left alone for 900 s. Off: TCP to every peer.
   */
  utp?: boolean;
}

export interface Completion {
  ms: number;
  progress: Progress;
  peersSeen: string[];
  peersFrom: Record<string, number> | null;
}

let clientCount = 0;

export class BtClient {
  readonly process: BtProcess;
  readonly host: LanHost;
  readonly infoHash: string;
  readonly startedAt: number;

  private constructor(process: BtProcess, host: LanHost, infoHash: string, startedAt: number) {
    this.process = process;
    this.host = host;
    this.infoHash = infoHash;
    this.startedAt = startedAt;
  }

  get kind(): ClientKind {
    return this.process.kind;
  }

  static async start(bed: TestBed, host: LanHost, options: BtClientOptions): Promise<BtClient> {
    if ((options.torrent === undefined) === (options.magnet === undefined)) throw new Error('BtClient: give a torrent or a magnet');
    confineBed(bed);
    const infoHash = options.torrent !== undefined ? infoHashOf(readFileSync(options.torrent)) : magnetInfoHash(options.magnet!);
    const name = `${host.name}-${options.kind}-${++clientCount}`;
    const bootstrap = options.dhtBootstrap ?? [];
    const process: BtProcess = options.kind === 'transmission'
      ? await Transmission.start(bed, {
        name, ns: host.ns, rpcPort: 9100 + clientCount, encryption: 2, dht: true, utp: options.utp ?? true, pex: true, lpd: true, dhtNodes: bootstrap,
      })
      : await Aria2.start(bed, {
        name, ns: host.ns, rpcPort: 6900 + clientCount, dht: true, dhtEntryPoint: bootstrap[0], requireCrypto: true, pex: true, lpd: false,
      });
    const startedAt = Date.now();
    try {
      await process.add(options.torrent ?? options.magnet!);
    } catch (error) {
      await process.stop();
      throw error;
    }
    return new BtClient(process, host, infoHash, startedAt);
  }

  async progress(): Promise<Progress> {
    const progress = await this.process.progress(this.infoHash);
    if (!progress) throw new Error(`${this.process.name} has no torrent ${this.infoHash}`);
    return progress;
  }

  /** Payload bytes downloaded and verified so far. */
  async completedBytes(): Promise<number> {
    return (await this.progress()).completedBytes;
  }

  /**
   * Polls until the whole torrent is downloaded and verified. `ms` counts from when it was added
   * (to within the 100 ms poll); `peersSeen`: every peer address it had on the way (polled, and from
   * its log where that says); `peersFrom`: the most peers it had from each
   * source at once (Transmission only; a finished download drops its seeders, so the end says little).
   */
  async waitForCompletion(timeoutMs = 180_000): Promise<Completion> {
    let last: Progress | null = null;
    const peersSeen = new Set<string>();
    const peersFrom: Record<string, number> = {};
    try {
      const progress = await pollUntil(`${this.process.name} completing ${this.infoHash}`, async () => {
        last = await this.progress();
        if (last.error) throw new Error(`${this.process.name}: ${last.error}`);
        for (const peer of last.peers) peersSeen.add(peer.ip);
        for (const [from, count] of Object.entries(last.peersFrom ?? {})) peersFrom[from] = Math.max(peersFrom[from] ?? 0, count);
        return last.done ? last : undefined;
      }, timeoutMs, 100);
      const ms = Date.now() - this.startedAt;
      for (const ip of this.process.peersInLog() ?? []) peersSeen.add(ip);
      return { ms, progress, peersSeen: [...peersSeen].sort(), peersFrom: last!.peersFrom ? peersFrom : null };
    } catch (error) {
      const state = last as Progress | null;
      throw new Error(`${(error as Error).message}; last: ${state ? `${state.state}, ${state.completedBytes}/${state.totalBytes} bytes, metadata ${state.hasMetadata}, peers ${state.peers.map((peer) => `${peer.ip}:${peer.port}`).join(' ')}` : 'none'} (log: ${this.process.logFile})`);
    }
  }

  /** SHA-256 of a downloaded file (relative to the download dir). */
  fileSha256(name: string): string {
    return createHash('sha256').update(readFileSync(join(this.process.downloadDir, name))).digest('hex');
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/** The hex info hash in a magnet link's xt=urn:btih: (hex or base32). */
export function magnetInfoHash(magnet: string): string {
  const xt = new URL(magnet).searchParams.get('xt') ?? '';
  const match = /^urn:btih:([0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/.exec(xt);
  if (!match) throw new Error(`no btih in ${magnet}`);
  const hash = match[1]!;
  if (hash.length === 40) return hash.toLowerCase();
  let bits = '';
  for (const char of hash.toUpperCase()) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(char).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2))).toString('hex');
}
