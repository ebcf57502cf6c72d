// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Real LAN hosts: the router's neighbour (ARP) table, read by the main thread about once a second
 * from /proc/net/arp (its network namespace's) into the shared neighbour table, which the workers
 * read. A host revealing a peer counts towards the peer's quorum only if the router holds a
 * complete entry for its IP with the MAC the packet came from: forged pings from addresses nobody
 * owns (no entry: the router's ARP request for them goes unanswered) count for nothing, and a host
 * claiming many addresses with its own MAC counts once (revealers are counted by MAC).
 */
import type { Logger } from '../telemetry/logger.ts';
import { readFileSync } from 'node:fs';
import { hostKeyOfMac, ipFromString } from '../core/packet.ts';
import { NOT_FOUND } from './shared-table.ts';
import { Neighbour, type SharedState } from './shared-state.ts';

/** How often the main thread reads the neighbour table. */
export const NEIGHBOUR_REFRESH_MS = 1000;
/** An entry not listed for this long (ticks: 3 s) no longer verifies anyone. */
const STALE_TICKS = 30;
/** ATF_COM: the entry is complete (REACHABLE, STALE, DELAY, PROBE or PERMANENT). */
const ATF_COM = 0x2;
/** ARPHRD_ETHER. */
const HW_ETHER = 0x1;

export interface NeighbourEntry { ip: number; macHigh: number; macLow: number }

/**
 * The complete Ethernet entries of /proc/net/arp on `interfaces` (all when empty). Pure.
 * Columns: IP address, HW type, Flags, HW address, Mask, Device.
 */
export function parseArpTable(text: string, interfaces: readonly string[] = []): NeighbourEntry[] {
  const entries: NeighbourEntry[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields.length < 6) continue;
    const [address, hwType, flags, mac, , device] = fields as [string, string, string, string, string, string];
    if (Number.parseInt(hwType, 16) !== HW_ETHER || (Number.parseInt(flags, 16) & ATF_COM) === 0) continue;
    if (interfaces.length > 0 && !interfaces.includes(device)) continue;
    const ip = ipFromString(address);
    const bytes = mac.split(':').map((byte) => Number.parseInt(byte, 16));
    if (Number.isNaN(ip) || bytes.length !== 6 || bytes.some((byte) => Number.isNaN(byte) || byte < 0 || byte > 255)) continue;
    if (bytes.every((byte) => byte === 0)) continue;
    const macHigh = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) | 0;
    const macLow = ((bytes[4]! << 24) | (bytes[5]! << 16)) | 0;
    entries.push({ ip, macHigh, macLow });
  }
  return entries;
}

/** Writes `entries` into the shared neighbour table as seen at tick `now`. */
export function recordNeighbours(state: SharedState, entries: readonly NeighbourEntry[], now: number): void {
  const table = state.neighbours;
  for (const entry of entries) {
    const slot = table.upsert(entry.ip, hostKeyOfMac(entry.macHigh, entry.macLow));
    if (slot === NOT_FOUND) continue;
    table.set(slot, Neighbour.macHigh, entry.macHigh);
    table.set(slot, Neighbour.macLow, entry.macLow);
    table.set(slot, Neighbour.seen, now);
  }
}

/** Whether the router's neighbour table lists `ip` with exactly this MAC (recently). For the workers. */
export function isRealLanHost(state: SharedState, ip: number, macHigh: number, macLow: number, now: number): boolean {
  if (macHigh === 0 && macLow === 0) return false;
  const table = state.neighbours;
  const slot = table.find(ip, hostKeyOfMac(macHigh, macLow));
  if (slot === NOT_FOUND) return false;
  return table.get(slot, Neighbour.macHigh) === (macHigh | 0) && table.get(slot, Neighbour.macLow) === (macLow | 0)
    && table.get(slot, Neighbour.seen) >= now - STALE_TICKS;
}

/** The main thread's reader of /proc/net/arp; a read that fails is reported once, then retried quietly. */
export class NeighbourWatcher {
  readonly #state: SharedState;
  readonly #interfaces: readonly string[];
  readonly #path: string;
  readonly #onError: (error: Error) => void;
  #failing = false;
  /** Complete entries at the last read. */
  count = 0;

  constructor(state: SharedState, interfaces: readonly string[], onError: (error: Error) => void, path = '/proc/net/arp') {
    this.#state = state;
    this.#interfaces = interfaces;
    this.#onError = onError;
    this.#path = path;
  }

  /** A watcher whose failed reads go to `log` as one warning; reads once at once. */
  static start(state: SharedState, interfaces: readonly string[], log: Logger): NeighbourWatcher {
    const watcher = new NeighbourWatcher(state, interfaces, (error) => log.warn({ event: 'neighbours_unreadable', error: error.message },
      'cannot read the router\'s neighbour table: no revealer counts towards a peer quorum until it can'));
    watcher.refresh();
    return watcher;
  }

  refresh(now: number = this.#state.ticks()): void {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (error) {
      if (!this.#failing) this.#onError(error as Error);
      this.#failing = true;
      return;
    }
    this.#failing = false;
    const entries = parseArpTable(text, this.#interfaces);
    this.count = entries.length;
    recordNeighbours(this.#state, entries, now);
  }
}
