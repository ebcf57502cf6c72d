// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * transmission-daemon (3.00 in Debian 12) in a namespace, with its own config and download dirs,
 * driven over its RPC (on the namespace's loopback, through the namespace's HTTP relay).
 *
 * Confinement: no port mapping (UPnP/NAT-PMP off), no blocklist download, no tracker but the lab's
 * (torrents carry only lab URLs), and the DHT bootstrapped from dht.dat, written here with the lab's
 * nodes (Transmission pings the first 8 within seconds). Its hard-coded fallback, dht.transmissionbt.com,
 * cannot be turned off in 3.00 (tried 20-60 s after start whenever the DHT has fewer than 40 good
 * nodes): names.ts makes that lookup fail inside the namespace, and the log says so.
 * FTWALL_LAB_DEBUG=1 in the environment: debug logs, and the deep log (every peer message) and
 * the DHT's trace in output.log.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBed } from '../netns.ts';
import { encode } from './bencode.ts';
import { Daemon, randomPort } from './process.ts';
import { pollUntil, relayIn, type HttpRelay } from './relay.ts';
import { compactContacts } from './torrent.ts';
import type { BtProcess, Contact, PeerSeen, Progress } from './types.ts';

export interface TransmissionOptions {
  /** Directory name under <bed temp>/bt/ (config/, downloads/, log). */
  name: string;
  ns: string;
  /** bind-address-ipv4; default all addresses. */
  bind?: string;
  /** Fixed peer port (TCP, and UDP for DHT and uTP); default a random one on start. */
  peerPort?: number;
  /** RPC port on the namespace's 127.0.0.1 (unique per namespace). */
  rpcPort: number;
  /** 0 clear preferred, 1 encryption preferred, 2 encryption required. */
  encryption: 0 | 1 | 2;
  dht: boolean;
  utp: boolean;
  pex: boolean;
  lpd: boolean;
  /** Lab DHT nodes for dht.dat (the only bootstrap besides the unavoidable fallback name). */
  dhtNodes?: Contact[];
}

/** The settings.json a lab Transmission gets (exported for the report and the tests). */
export function transmissionSettings(options: TransmissionOptions, downloadDir: string): Record<string, unknown> {
  return {
    'bind-address-ipv4': options.bind ?? '0.0.0.0',
    'bind-address-ipv6': '::1',
    'peer-port': options.peerPort ?? 51413,
    'peer-port-random-on-start': options.peerPort === undefined,
    'peer-port-random-low': 49152,
    'peer-port-random-high': 65535,
    encryption: options.encryption,
    'dht-enabled': options.dht,
    'utp-enabled': options.utp,
    'pex-enabled': options.pex,
    'lpd-enabled': options.lpd,
    'port-forwarding-enabled': false,
    'blocklist-enabled': false,
    'rpc-enabled': true,
    'rpc-bind-address': '127.0.0.1',
    'rpc-port': options.rpcPort,
    'rpc-authentication-required': false,
    'rpc-whitelist-enabled': true,
    'rpc-whitelist': '127.0.0.1',
    'rpc-host-whitelist-enabled': false,
    'download-dir': downloadDir,
    'incomplete-dir-enabled': false,
    'watch-dir-enabled': false,
    'start-added-torrents': true,
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'download-queue-enabled': false,
    'seed-queue-enabled': false,
    'queue-stalled-enabled': false,
    'speed-limit-down-enabled': false,
    'speed-limit-up-enabled': false,
    'alt-speed-enabled': false,
    'rename-partial-files': false,
    'script-torrent-done-enabled': false,
    'message-level': process.env.FTWALL_LAB_DEBUG ? 3 : 2,
  };
}

export class Transmission implements BtProcess {
  readonly kind = 'transmission' as const;
  readonly name: string;
  readonly ns: string;
  readonly bind: string | null;
  readonly downloadDir: string;
  readonly configDir: string;
  readonly logFile: string;
  peerPort = 0;
  readonly #daemon: Daemon;
  readonly #relay: HttpRelay;
  readonly #url: string;
  #sessionId = '';

  private constructor(options: TransmissionOptions, dir: string, daemon: Daemon, relay: HttpRelay) {
    this.name = options.name;
    this.ns = options.ns;
    this.bind = options.bind ?? null;
    this.downloadDir = join(dir, 'downloads');
    this.configDir = join(dir, 'config');
    this.logFile = join(dir, 'transmission.log');
    this.#daemon = daemon;
    this.#relay = relay;
    this.#url = `http://127.0.0.1:${options.rpcPort}/transmission/rpc`;
  }

  get dhtPort(): number {
    return this.peerPort;
  }

  /** Starts the daemon and resolves once its RPC answers (its peer port is known then). */
  static async start(bed: TestBed, options: TransmissionOptions): Promise<Transmission> {
    const dir = join(bed.tempDir, 'bt', options.name);
    const configDir = join(dir, 'config');
    const downloadDir = join(dir, 'downloads');
    mkdirSync(configDir, { recursive: true });
    mkdirSync(downloadDir, { recursive: true });
    writeFileSync(join(configDir, 'settings.json'), `${JSON.stringify(transmissionSettings(options, downloadDir), null, 2)}\n`);
    if (options.dht && options.dhtNodes && options.dhtNodes.length > 0) {
      writeFileSync(join(configDir, 'dht.dat'), encode({ nodes: compactContacts(options.dhtNodes) }));
    }
    const relay = await relayIn(bed, options.ns);
    const daemon = new Daemon(bed, options.ns, ['transmission-daemon', '--foreground', '--config-dir', configDir, '--logfile', join(dir, 'transmission.log'), process.env.FTWALL_LAB_DEBUG ? '--log-debug' : '--log-info'], join(dir, 'output.log'),
      process.env.FTWALL_LAB_DEBUG ? { TR_DEBUG_FD: '2', TR_DHT_VERBOSE: '1' } : undefined);
    const transmission = new Transmission(options, dir, daemon, relay);
    try {
      const session = await pollUntil(`${options.name}'s RPC`, async () => {
        if (!daemon.running) throw new Error(`transmission-daemon exited (see ${daemon.outputFile})`);
        return transmission.rpc('session-get', {}, 1_000);
      }, 20_000, 100);
      transmission.peerPort = session['peer-port'] as number;
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return transmission;
  }

  /** One RPC call (the X-Transmission-Session-Id handshake included); returns `arguments`. */
  async rpc(method: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await this.#relay.request(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-transmission-session-id': this.#sessionId },
        body: JSON.stringify({ method, arguments: args }),
        timeoutMs,
      });
      if (answer.status === 409) {
        this.#sessionId = answer.headers['x-transmission-session-id'] ?? '';
        continue;
      }
      if (answer.status !== 200) throw new Error(`${this.name} RPC ${method}: ${answer.status} ${answer.error ?? answer.body.slice(0, 200)}`);
      const reply = JSON.parse(answer.body) as { result: string; arguments: Record<string, unknown> };
      if (reply.result !== 'success') throw new Error(`${this.name} RPC ${method}: ${reply.result}`);
      return reply.arguments;
    }
    throw new Error(`${this.name} RPC ${method}: no session id`);
  }

  async add(source: string, downloadDir = this.downloadDir): Promise<void> {
    await this.rpc('torrent-add', { filename: source, 'download-dir': downloadDir, paused: false });
  }

  async progress(infoHash: string): Promise<Progress | null> {
    const fields = ['hashString', 'status', 'error', 'errorString', 'haveValid', 'sizeWhenDone', 'leftUntilDone', 'metadataPercentComplete', 'peers', 'peersFrom'];
    const { torrents } = await this.rpc('torrent-get', { ids: [infoHash], fields }) as { torrents: Array<Record<string, unknown>> };
    const torrent = torrents[0];
    if (!torrent) return null;
    const hasMetadata = torrent.metadataPercentComplete === 1;
    const totalBytes = hasMetadata ? torrent.sizeWhenDone as number : 0;
    const completedBytes = torrent.haveValid as number;
    const done = hasMetadata && torrent.leftUntilDone === 0 && completedBytes === totalBytes;
    const status = torrent.status as number;
    const peers = (torrent.peers as Array<Record<string, unknown>>).map((peer): PeerSeen => ({
      ip: peer.address as string,
      port: peer.port as number,
      encrypted: peer.isEncrypted as boolean,
      utp: peer.isUTP as boolean,
      client: peer.clientName as string,
    }));
    return {
      infoHash: torrent.hashString as string,
      hasMetadata,
      completedBytes,
      totalBytes,
      done,
      seeding: done && status === 6,
      peers,
      peersFrom: torrent.peersFrom as Record<string, number>,
      state: ['stopped', 'check-wait', 'checking', 'download-wait', 'downloading', 'seed-wait', 'seeding'][status] ?? String(status),
      error: torrent.error ? String(torrent.errorString) : null,
    };
  }

  peersInLog(): null {
    return null;
  }

  /** "<name> IPv4 DHT announce done": the search ended with announce_peer to the closest nodes (tr-dht.c). */
  dhtAnnounced(_infoHash: string, name: string): boolean {
    return existsSync(this.logFile) && readFileSync(this.logFile, 'utf8').includes(`] ${name} IPv4 DHT announce done`);
  }

  stop(): Promise<void> {
    return this.#daemon.stop();
  }
}

