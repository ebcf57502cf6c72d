// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * opentracker in the internet namespace, HTTP and UDP announce on one address and port. Debian's
 * build only tracks whitelisted info hashes (a file of hex hashes, read after its chroot into the
 * tracker's own dir, so the path is relative and the dir readable by the user it drops to).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBed } from '../netns.ts';
import { decode, field } from './bencode.ts';
import { Daemon } from './process.ts';
import { pollUntil, relayIn, type HttpRelay } from './relay.ts';

export class Tracker {
  readonly ip: string;
  readonly port: number;
  readonly #daemon: Daemon;
  readonly #relay: HttpRelay;

  private constructor(ip: string, port: number, daemon: Daemon, relay: HttpRelay) {
    this.ip = ip;
    this.port = port;
    this.#daemon = daemon;
    this.#relay = relay;
  }

  get httpAnnounce(): string {
    return `http://${this.ip}:${this.port}/announce`;
  }

  get udpAnnounce(): string {
    return `udp://${this.ip}:${this.port}/announce`;
  }

  /** Starts opentracker for these info hashes and resolves once it answers a scrape. */
  static async start(bed: TestBed, options: { name: string; ip: string; port: number; infoHashes: string[] }): Promise<Tracker> {
    const dir = join(bed.tempDir, 'bt', options.name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'whitelist'), options.infoHashes.map((hash) => `${hash}\n`).join(''));
    const relay = await relayIn(bed, bed.internet);
    const args = ['opentracker', '-i', options.ip, '-p', String(options.port), '-P', String(options.port), '-w', 'whitelist', '-d', dir, '-u', 'nobody'];
    const daemon = new Daemon(bed, bed.internet, args, join(bed.tempDir, 'bt', `${options.name}.log`));
    const tracker = new Tracker(options.ip, options.port, daemon, relay);
    await pollUntil('opentracker', async () => {
      if (!daemon.running) throw new Error('opentracker exited');
      return (await tracker.scrape(options.infoHashes[0]!)) ?? undefined;
    }, 10_000, 100);
    return tracker;
  }

  /** Seeders and leechers the tracker knows for an info hash (HTTP scrape). */
  async scrape(infoHash: string): Promise<{ complete: number; incomplete: number } | null> {
    const escaped = [...Buffer.from(infoHash, 'hex')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
    const answer = await this.#relay.request(`http://${this.ip}:${this.port}/scrape?info_hash=${escaped}`, { timeoutMs: 2_000, binary: true });
    if (answer.status !== 200) return null;
    const files = field(decode(Buffer.from(answer.body, 'base64')).value, 'files') as Record<string, Record<string, number>>;
    const entry = Object.values(files)[0];
    return entry ? { complete: entry.complete ?? 0, incomplete: entry.incomplete ?? 0 } : { complete: 0, incomplete: 0 };
  }

  stop(): Promise<void> {
    return this.#daemon.stop();
  }
}
