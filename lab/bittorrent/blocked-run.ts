// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * One run of a real BitTorrent client against a swarm with ftwall on the router, measured: when the
 * host was identified and locked, how much of the torrent reached it while it tried, whether a
 * benign host's datagrams and web passed meanwhile, and how soon the client host's web came back
 * after the client quit. Shared by the e2e test (test/e2e/bittorrent.test.ts, which asserts the
 * targets) and `npm run bench` section 7 (which reports the figures for 10 minutes of trying).
 */
import { BtClient } from './client.ts';
import type { Swarm } from './swarm.ts';
import type { ClientKind } from './types.ts';
import { FtwallProcess } from '../ftwall-process.ts';
import { WEB_NET, type TestBed } from '../netns.ts';
import { runAgent, type ReportingProcess } from '../traffic.ts';

export const BT_WEB = `${WEB_NET}.80:80`;
export const BT_BENIGN_SINK = `${WEB_NET}.53:53`;

export interface BlockedRunOptions {
  kind: ClientKind;
  source: 'torrent' | 'magnet';
  /** How long the client tries, in seconds. */
  trySeconds: number;
  lockSeconds: number;
  /** Hex lines (one datagram each) the benign host replays to BT_BENIGN_SINK throughout. */
  benignFile: string;
  /** A udp-hash-server on BT_BENIGN_SINK (counts what arrived). */
  sink: ReportingProcess;
  /** The client host's and the benign host's names in the bed. */
  clientHost?: string;
  benignHost?: string;
  /** Extra ftwall settings. */
  env?: Record<string, string>;
}

export interface BlockedRunResult {
  kind: ClientKind;
  source: 'torrent' | 'magnet';
  /** ms from the client's start to its host's lock_started (null: never locked). */
  lockedAfterMs: number | null;
  identifiedBy: string | null;
  identifiedProtocol: string | null;
  lockProtocol: string | null;
  /** Payload bytes the client had verified when its time was up, of totalBytes (0 before a magnet's metadata). */
  completedBytes: number;
  totalBytes: number;
  peers: string[];
  probesAnswered: number;
  /** The client host's new TCP was blocked at the end of the try (it was locked while it ran). */
  clientWebBlocked: boolean;
  benignWebOk: number;
  benignWebTries: number;
  benignDatagramsSent: number;
  benignDatagramsDelivered: number;
  benignIdentified: number;
  benignLocked: number;
  /** ms from the client's stop to its host's first web connection (null: not within 4 lock periods). */
  webBackMs: number | null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a web connection from `ns` until one gets through; the ms it took, or null. */
async function webBackAfter(bed: TestBed, ns: string, limitMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (runAgent(bed, ns, 'tcp-send', { to: BT_WEB, bytes: 100, timeout: 400 }).connected === true) return Date.now() - started;
    await pause(100);
  }
  return null;
}

export async function blockedRun(bed: TestBed, swarm: Swarm, options: BlockedRunOptions): Promise<BlockedRunResult> {
  const host = bed.host(options.clientHost ?? 'client');
  const benign = bed.host(options.benignHost ?? 'benign');
  const ftwall = FtwallProcess.start(bed, {
    FTWALL_BITTORRENT_LOCK_SECONDS: String(options.lockSeconds), FTWALL_STATE_DIR: '', FTWALL_WORKERS: '2', ...options.env,
  });
  let client: BtClient | undefined;
  try {
    await ftwall.ready();
    await options.sink.report();
    client = await BtClient.start(bed, host, options.source === 'torrent'
      ? { kind: options.kind, torrent: swarm.torrentFile, dhtBootstrap: swarm.dhtBootstrap }
      : { kind: options.kind, magnet: swarm.torrent.magnet, dhtBootstrap: swarm.dhtBootstrap });
    const startedAt = client.startedAt;
    const lock = await ftwall.waitForEvent('lock_started', (line) => line.src_ip === host.ip, 15_000).catch(() => null);
    const identified = ftwall.events('client_identified').find((line) => line.src_ip === host.ip) ?? null;

    // While it tries: the benign host replays its datagrams and opens web connections every 2 s.
    const deadline = Date.now() + options.trySeconds * 1000;
    let benignWebTries = 0;
    let benignWebOk = 0;
    let benignDatagramsSent = 0;
    while (Date.now() < deadline) {
        benignDatagramsSent += Number(runAgent(bed, benign.ns, 'udp-replay', { to: BT_BENIGN_SINK, file: options.benignFile }).sent ?? 0);
      benignWebTries++;
      if (runAgent(bed, benign.ns, 'tcp-send', { to: BT_WEB, bytes: 10_000, timeout: 2000 }).connected === true) benignWebOk++;
      await pause(Math.min(2000, Math.max(0, deadline - Date.now())));
    }
    const clientWebBlocked = runAgent(bed, host.ns, 'tcp-send', { to: BT_WEB, bytes: 100, timeout: 1000 }).connected !== true;
    const progress = await client.progress();
    const benignDatagramsDelivered = ((await options.sink.report()).hashes as string[]).length;

    await client.stop();
    client = undefined;
    const webBackMs = await webBackAfter(bed, host.ns, 4 * options.lockSeconds * 1000);
    return {
      kind: options.kind, source: options.source,
      lockedAfterMs: lock ? Date.parse(String(lock.time)) - startedAt : null,
      identifiedBy: identified ? `${String(identified.reason)} ${String(identified.proto)} to ${String(identified.dest_ip)}:${String(identified.dest_port)}` : null,
      identifiedProtocol: identified ? String(identified.protocol) : null,
      lockProtocol: lock ? String(lock.protocol) : null,
      completedBytes: progress.completedBytes, totalBytes: progress.totalBytes, peers: progress.peers.map((peer) => peer.ip),
      probesAnswered: ftwall.events('probe_answered').filter((line) => line.src_ip === host.ip).length,
      clientWebBlocked, benignWebOk, benignWebTries, benignDatagramsSent, benignDatagramsDelivered,
      benignIdentified: ftwall.events('client_identified').filter((line) => line.src_ip === benign.ip).length,
      benignLocked: ftwall.events('lock_started').filter((line) => line.src_ip === benign.ip).length,
      webBackMs,
    };
  } finally {
    await client?.stop();
    await ftwall.stop();
  }
}
