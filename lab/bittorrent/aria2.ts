// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * aria2c (1.36 in Debian 12) in a namespace, with its own download dir, DHT table file and log,
 * driven over its JSON-RPC on the namespace's loopback (--rpc-listen-all=false).
 *
 * Confinement: aria2 has no built-in DHT routers, trackers, UPnP or NAT-PMP; its DHT starts from
 * --dht-entry-point (a lab node) and a dht.dat of its own (empty at first), IPv6 and DHT6 are off,
 * LPD is off unless asked for, and --stop-with-process ties it to the test process.
 * FTWALL_LAB_DEBUG=1 in the environment: debug logs.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBed } from '../netns.ts';
import { Daemon, randomPort } from './process.ts';
import { pollUntil, relayIn, type HttpRelay } from './relay.ts';
import type { BtProcess, Contact, PeerSeen, Progress } from './types.ts';

export interface Aria2Options {
  /** Directory name under <bed temp>/bt/ (downloads/, dht.dat, log). */
  name: string;
  ns: string;
  /** Address for every socket (--interface) and the DHT socket (--dht-listen-addr); default all. */
  bind?: string;
  /** TCP peer port; default random. */
  listenPort?: number;
  /** UDP DHT port; default random. */
  dhtPort?: number;
  /** JSON-RPC port on the namespace's 127.0.0.1 (unique per namespace). */
  rpcPort: number;
  dht: boolean;
  dhtEntryPoint?: Contact;
  requireCrypto: boolean;
  pex: boolean;
  lpd: boolean;
  /** Hash-check existing data before seeding (seeders). */
  checkIntegrity?: boolean;
}

/** aria2c's command line for these options (exported for the report and the tests). */
export function aria2Args(options: Aria2Options, dir: string, ports: { listen: number; dht: number }): string[] {
  const args = [
    'aria2c', '--no-conf=true',
    '--enable-rpc=true', `--rpc-listen-port=${options.rpcPort}`, '--rpc-listen-all=false',
    `--dir=${join(dir, 'downloads')}`, `--log=${join(dir, 'aria2.log')}`, `--log-level=${process.env.FTWALL_LAB_DEBUG ? 'debug' : 'info'}`,
    '--console-log-level=warn', '--summary-interval=0', '--show-console-readout=false',
    '--disable-ipv6=true', '--async-dns=false',
    `--listen-port=${ports.listen}`,
    `--enable-dht=${options.dht}`, '--enable-dht6=false', `--dht-listen-port=${ports.dht}`,
    `--dht-file-path=${join(dir, 'dht.dat')}`, `--dht-file-path6=${join(dir, 'dht6.dat')}`,
    `--bt-require-crypto=${options.requireCrypto}`, `--bt-min-crypto-level=${options.requireCrypto ? 'arc4' : 'plain'}`,
    `--enable-peer-exchange=${options.pex}`, `--bt-enable-lpd=${options.lpd}`,
    '--seed-ratio=0.0', '--bt-save-metadata=false', '--file-allocation=none', '--bt-stop-timeout=0',
    `--check-integrity=${options.checkIntegrity ?? false}`, '--bt-seed-unverified=false',
    `--stop-with-process=${process.pid}`,
  ];
  if (options.dht && options.dhtEntryPoint) args.push(`--dht-entry-point=${options.dhtEntryPoint.ip}:${options.dhtEntryPoint.port}`);
  if (options.bind) args.push(`--interface=${options.bind}`, `--dht-listen-addr=${options.bind}`);
  return args;
}

interface Aria2Status {
  gid: string;
  status: string;
  totalLength: string;
  completedLength: string;
  infoHash?: string;
  seeder?: string;
  followedBy?: string[];
  errorMessage?: string;
  bittorrent?: { info?: unknown };
}

export class Aria2 implements BtProcess {
  readonly kind = 'aria2' as const;
  readonly name: string;
  readonly ns: string;
  readonly bind: string | null;
  readonly peerPort: number;
  readonly dhtPort: number;
  readonly downloadDir: string;
  readonly logFile: string;
  readonly #daemon: Daemon;
  readonly #relay: HttpRelay;
  readonly #url: string;
  #ids = 0;

  private constructor(options: Aria2Options, dir: string, ports: { listen: number; dht: number }, daemon: Daemon, relay: HttpRelay) {
    this.name = options.name;
    this.ns = options.ns;
    this.bind = options.bind ?? null;
    this.peerPort = ports.listen;
    this.dhtPort = ports.dht;
    this.downloadDir = join(dir, 'downloads');
    this.logFile = join(dir, 'aria2.log');
    this.#daemon = daemon;
    this.#relay = relay;
    this.#url = `http://127.0.0.1:${options.rpcPort}/jsonrpc`;
  }

  /** Starts aria2c idle (downloads come over RPC) and resolves once its RPC answers. */
  static async start(bed: TestBed, options: Aria2Options): Promise<Aria2> {
    const dir = join(bed.tempDir, 'bt', options.name);
    mkdirSync(join(dir, 'downloads'), { recursive: true });
    const ports = { listen: options.listenPort ?? randomPort(), dht: options.dhtPort ?? randomPort() };
    const relay = await relayIn(bed, options.ns);
    const daemon = new Daemon(bed, options.ns, aria2Args(options, dir, ports), join(dir, 'output.log'));
    const aria2 = new Aria2(options, dir, ports, daemon, relay);
    try {
      await pollUntil(`${options.name}'s RPC`, async () => {
        if (!daemon.running) throw new Error(`aria2c exited (see ${daemon.outputFile})`);
        return aria2.rpc('aria2.getVersion', [], 1_000);
      }, 20_000, 100);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return aria2;
  }

  async rpc(method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<unknown> {
    const id = ++this.#ids;
    const answer = await this.#relay.request(this.#url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      timeoutMs,
    });
    if (answer.status === 0) throw new Error(`${this.name} RPC ${method}: ${answer.error}`);
    const reply = JSON.parse(answer.body) as { result?: unknown; error?: { message: string } };
    if (reply.error) throw new Error(`${this.name} RPC ${method}: ${reply.error.message}`);
    return reply.result;
  }

  async add(source: string, downloadDir = this.downloadDir): Promise<void> {
    const options = { dir: downloadDir };
    if (source.startsWith('magnet:')) await this.rpc('aria2.addUri', [[source], options]);
    else await this.rpc('aria2.addTorrent', [readFileSync(source).toString('base64'), [], options]);
  }

  async #downloads(): Promise<Aria2Status[]> {
    const keys = ['gid', 'status', 'totalLength', 'completedLength', 'infoHash', 'seeder', 'followedBy', 'errorMessage', 'bittorrent'];
    const [active, waiting, stopped] = await Promise.all([
      this.rpc('aria2.tellActive', [keys]),
      this.rpc('aria2.tellWaiting', [0, 1000, keys]),
      this.rpc('aria2.tellStopped', [0, 1000, keys]),
    ]) as Aria2Status[][];
    return [...active!, ...waiting!, ...stopped!];
  }

  async progress(infoHash: string): Promise<Progress | null> {
    const mine = (await this.#downloads()).filter((download) => download.infoHash === infoHash);
    if (mine.length === 0) return null;
    // A magnet is a metadata download followed by the real one; report the real one when it exists.
    const download = mine.find((candidate) => !candidate.followedBy?.length && candidate.bittorrent?.info !== undefined && Number(candidate.totalLength) > 0)
      ?? mine.find((candidate) => !candidate.followedBy?.length) ?? mine[0]!;
    const hasMetadata = download.bittorrent?.info !== undefined;
    const totalBytes = hasMetadata ? Number(download.totalLength) : 0;
    const completedBytes = hasMetadata ? Number(download.completedLength) : 0;
    const done = hasMetadata && totalBytes > 0 && completedBytes === totalBytes;
    const peers = download.status === 'active'
      ? ((await this.rpc('aria2.getPeers', [download.gid])) as Array<{ ip: string; port: string }>).map((peer): PeerSeen => ({ ip: peer.ip, port: Number(peer.port), encrypted: null, utp: null, client: null }))
      : [];
    return {
      infoHash,
      hasMetadata,
      completedBytes,
      totalBytes,
      done,
      seeding: done && download.status === 'active' && download.seeder === 'true',
      peers,
      peersFrom: null,
      state: download.status,
      error: download.status === 'error' ? download.errorMessage ?? 'error' : null,
    };
  }

  /** "CUID#n - From: <ip>:<port> handshake ...": a peer's handshake arrived (aria2 drops a seeder's connection once the other side is a seeder too, so polling can miss it). */
  peersInLog(): string[] {
    if (!existsSync(this.logFile)) return [];
    const found = [...readFileSync(this.logFile, 'utf8').matchAll(/ - From: (\d+\.\d+\.\d+\.\d+):\d+ handshake /g)].map((match) => match[1]!);
    return [...new Set(found)].sort();
  }

  /** A "Message sent: dht query announce_peer ... info_hash=<hash>" line in its log. */
  dhtAnnounced(infoHash: string): boolean {
    if (!existsSync(this.logFile)) return false;
    return readFileSync(this.logFile, 'utf8').split('\n').some((line) => line.includes('Message sent: dht query announce_peer') && line.includes(`info_hash=${infoHash}`));
  }

  stop(): Promise<void> {
    return this.#daemon.stop();
  }
}
