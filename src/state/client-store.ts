// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The client store (FTWALL_STATE_DIR/clients.json): the LAN hosts ftwall has identified, with their
 * MAC, flags, port, request (the probe's seed) and lock, so a restart forgets no client and no lock.
 * Times are stored as wall-clock milliseconds and turned back into the new run's ticks on load.
 * Written whole to a file beside it, then renamed over it: a crash leaves the old or the new file,
 * never half of one. A file that cannot be parsed is reported and ignored (the run starts empty).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isLocked } from '../core/lock.ts';
import { ipFromString, ipToString, macKey } from '../core/packet.ts';
import { PROBE_SEED_MAX_BYTES } from '../core/protocol.ts';
import { ClientStatus } from '../core/types.ts';
import { replaceFile, type AtomicFs } from './atomic-file.ts';
import { NOT_FOUND } from './shared-table.ts';
import { Client, loadSeed, storeSeed, type SharedState } from './shared-state.ts';

/** One client, as stored. */
export interface StoredClient {
  ip: string;
  /** The run's host key when saved (informational: a restore keys by `mac` with its own secret). */
  host: number;
  mac: [number, number];
  flags: number;
  port: number;
  /** The probe's seed: the client's own request (a FastTrack ping), hex. */
  ping: string;
  /** Protocol id of the seed in the run that saved it (files of older versions: 0, FastTrack). */
  protocol?: number;
  /** Its protocol's name (FTWALL_PROTOCOLS may differ in the next run; absent in older files). */
  protocolName?: string;
  lockUntilMs?: number;
  lockStartedMs?: number;
  probeAnsweredMs?: number;
  /** Its last FastTrack activity (absent in files of older versions: the load time). */
  lastSeenMs?: number;
}

const FORMAT = 1;

/** The clients worth keeping: identified or locked, times in wall-clock ms. Pure over the state. */
export function snapshotClients(state: SharedState, nowTicks: number, protocols: readonly string[] = ['fasttrack']): StoredClient[] {
  const clients = state.clients;
  const stored: StoredClient[] = [];
  const ms = (ticks: number) => (ticks > 0 ? state.toMs(ticks) : undefined);
  clients.forEach((slot, ip, hostKey) => {
    const flags = clients.get(slot, Client.flags);
    const lockUntil = clients.get(slot, Client.lockUntil);
    const locked = isLocked(lockUntil, nowTicks);
    if ((flags & ClientStatus.IDENTIFIED) === 0 && !locked) return;
    const ping = Buffer.alloc(PROBE_SEED_MAX_BYTES);
    const length = loadSeed(clients, slot, ping);
    stored.push({
      ip: ipToString(ip), host: hostKey, mac: [clients.get(slot, Client.macHigh) >>> 0, clients.get(slot, Client.macLow) >>> 0],
      flags, port: clients.get(slot, Client.clientPort), ping: ping.subarray(0, length).toString('hex'), protocol: clients.get(slot, Client.protocol),
      protocolName: protocols[clients.get(slot, Client.protocol)],
      lockUntilMs: locked ? ms(lockUntil) : undefined,
      lockStartedMs: locked ? ms(clients.get(slot, Client.lockStarted)) : undefined,
      probeAnsweredMs: ms(clients.get(slot, Client.probeAnswered)),
      lastSeenMs: ms(clients.get(slot, Client.lastSeen)),
    });
  });
  return stored;
}

/** Puts stored clients back into the tables; returns how many (and how many are still locked). */
export function restoreClients(state: SharedState, stored: readonly StoredClient[], nowMs: number, protocols: readonly string[] = ['fasttrack']): { clients: number; locked: number } {
  const clients = state.clients;
  const now = state.ticks(nowMs);
  const ticks = (ms: number | undefined) => (ms === undefined ? 0 : Math.max(1, state.ticks(ms)));
  let restored = 0;
  let locked = 0;
  for (const entry of stored) {
    const ip = ipFromString(entry.ip);
    if (Number.isNaN(ip)) continue;
    // Host keys are keyed with this run's secret: made anew from the stored MAC.
    const slot = clients.upsert(ip, macKey(entry.mac[0] | 0, entry.mac[1] | 0, state.hostKeySecret));
    if (slot === NOT_FOUND) break;
    restored++;
    clients.set(slot, Client.flags, entry.flags & ClientStatus.IDENTIFIED);
    clients.set(slot, Client.macHigh, entry.mac[0] | 0);
    clients.set(slot, Client.macLow, entry.mac[1] | 0);
    // Its protocol's id in this run; one not run now keeps the host (and its lock) but not its seed.
    // (A file of a version before BitTorrent names no protocol: its clients are FastTrack's.)
    const protocol = protocols.indexOf(entry.protocolName ?? 'fasttrack');
    clients.set(slot, Client.clientPort, protocol < 0 ? 0 : entry.port & 0xffff);
    clients.set(slot, Client.protocol, Math.max(0, protocol));
    // Quiet time goes on across a restart (the decay sweep counts from the last activity).
    clients.set(slot, Client.lastSeen, entry.lastSeenMs === undefined ? now : Math.min(now, ticks(entry.lastSeenMs)));
    const ping = Buffer.from(entry.ping, 'hex');
    storeSeed(clients, slot, ping, 0, ping.length);
    clients.set(slot, Client.probeAnswered, ticks(entry.probeAnsweredMs));
    if (entry.lockUntilMs !== undefined && isLocked(entry.lockUntilMs, nowMs)) {
      clients.set(slot, Client.lockStarted, ticks(entry.lockStartedMs));
      clients.set(slot, Client.lockUntil, ticks(entry.lockUntilMs));
      locked++;
    }
  }
  return { clients: restored, locked };
}

export class ClientStore {
  readonly path: string;

  readonly #fs: AtomicFs | undefined;

  constructor(path: string, fs?: AtomicFs) {
    this.path = path;
    this.#fs = fs;
  }

  /** The stored clients; [] when there is no file. Throws on a file that is not ours. */
  load(): StoredClient[] {
    mkdirSync(dirname(this.path), { recursive: true });
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(text) as { format?: number; clients?: StoredClient[] };
    if (parsed.format !== FORMAT || !Array.isArray(parsed.clients)) throw new Error(`not an ftwall client store (format ${String(parsed.format)})`);
    return parsed.clients;
  }

  /** Replaces the file: written beside it, fsynced, then renamed over it. */
  save(clients: readonly StoredClient[]): void {
    replaceFile(this.path, `${JSON.stringify({ format: FORMAT, savedAt: new Date().toISOString(), clients })}\n`, this.#fs);
  }
}
