// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What an operator may ask of the running daemon and change in it (`ftwall status`, `unlock`,
 * `forget`): read from the shared state, and changed through it for every worker at once. Every
 * change becomes an event (logged, into the kernel sets, into the client directory) and is made
 * durable at once (the client store saved, the peer store rewritten).
 */
import type { FtEvent } from '../core/events.ts';
import { formatMac } from '../core/events.ts';
import { isLocked, UNLOCKED } from '../core/lock.ts';
import { ipFromString, ipToString } from '../core/packet.ts';
import { ClientStatus, REASON_NAMES } from '../core/types.ts';
import { Client, Peer, PeerSource, revealerCount, type SharedState } from '../state/shared-state.ts';

/** One LAN host as `ftwall status` shows it. */
export interface HostStatus {
  ip: string;
  mac?: string;
  /** The peer-to-peer protocol it was identified by (a module's name). */
  protocol?: string;
  identified: boolean;
  locked: boolean;
  /** Seconds the lock has left (0 when not locked). */
  lock_seconds_left: number;
  /** Why it is held: its lock is kept by its own peer-to-peer traffic and probe answers. */
  why: string;
  last_seen_seconds_ago: number;
  probe_answered: boolean;
}

export interface PeerStatusLine {
  peer: string;
  status: 'confirmed' | 'learned' | 'operator';
  revealers: number;
  last_seen_seconds_ago?: number;
}

export interface StatusReport {
  version: string;
  uptime_seconds: number;
  hosts: HostStatus[];
  peers: { total: number; confirmed: number; learned: number; operator: number; list: PeerStatusLine[] };
  packets: Record<string, { accepted: number; dropped: number }>;
}

/** How `why` names a protocol. */
const PROTOCOL_TITLES: Readonly<Record<string, string>> = { fasttrack: 'FastTrack', bittorrent: 'BitTorrent' };

/** At most this many peers are listed (the totals count them all). */
export const PEERS_LISTED = 200;

export interface OperatorOptions {
  state: SharedState;
  /** The configured protocol modules' names, by protocol id. */
  protocols?: readonly string[];
  version: string;
  startedMs: number;
  /** Packets by reason name, accepted and dropped. */
  packets: () => Record<string, { accepted: number; dropped: number }>;
  /** Takes the events of a change (log, kernel sets, client directory). */
  report: (event: FtEvent) => void;
  /** Makes client changes durable now. */
  saveClients: () => void;
  /** Rewrites the peer store from memory now. */
  compactPeers: (why: string) => void;
}

export class OperatorError extends Error {}

export class Operator {
  readonly #o: OperatorOptions;

  constructor(options: OperatorOptions) {
    this.#o = options;
  }

  /** A control-channel request (control/channel.ts): status, unlock HOST, forget PEER. */
  handle(request: { command: string; args: readonly string[] }): unknown {
    switch (request.command) {
      case 'status': return this.status();
      case 'unlock': return this.unlock(request.args[0] ?? '');
      case 'forget': return this.forget(request.args[0] ?? '');
      default: throw new OperatorError(`unknown command ${request.command}`);
    }
  }

  status(nowMs = Date.now()): StatusReport {
    const { state } = this.#o;
    const now = state.ticks(nowMs);
    const secondsAgo = (tick: number) => Math.max(0, Math.round((nowMs - state.toMs(tick)) / 1000));
    const hosts: HostStatus[] = [];
    const clients = state.clients;
    clients.forEach((slot, ip) => {
      const flags = clients.get(slot, Client.flags);
      const until = clients.get(slot, Client.lockUntil);
      const locked = isLocked(until, now);
      const identified = (flags & ClientStatus.IDENTIFIED) !== 0;
      if (!identified && !locked) return;
      const high = clients.get(slot, Client.macHigh);
      const low = clients.get(slot, Client.macLow);
      const answered = clients.get(slot, Client.probeAnswered) > 0;
      const protocol = this.#o.protocols?.[clients.get(slot, Client.protocol)];
      const name = PROTOCOL_TITLES[protocol ?? ''] ?? 'peer-to-peer';
      hosts.push({
        ip: ipToString(ip), ...(high === 0 && low === 0 ? {} : { mac: formatMac(high, low) }), ...(protocol ? { protocol } : {}),
        identified, locked, lock_seconds_left: locked ? Math.ceil((state.toMs(until) - nowMs) / 1000) : 0,
        why: locked
          ? `locked: it sent ${name} traffic (its discovery, a SYN to a known peer, ${name} on TCP); each of these or a probe answer restarts the lock`
          : `identified as a ${name} client (no lock running): its traffic to learned peers is held back`,
        last_seen_seconds_ago: secondsAgo(clients.get(slot, Client.lastSeen)), probe_answered: answered,
      });
    });
    hosts.sort((a, b) => Number(b.locked) - Number(a.locked) || b.lock_seconds_left - a.lock_seconds_left || a.ip.localeCompare(b.ip));
    const list: PeerStatusLine[] = [];
    const counts = { total: 0, confirmed: 0, learned: 0, operator: 0 };
    state.pinned.forEach((ip, port) => {
      counts.total++;
      counts.operator++;
      if (list.length < PEERS_LISTED) list.push({ peer: `${ipToString(ip)}:${port}`, status: 'operator', revealers: 0 });
    });
    const peers = state.peers;
    peers.forEach((slot, ip, port) => {
      const seen = peers.get(slot, Peer.lastSeen);
      if (seen === 0 || state.pinned.has(ip, port)) return;
      const sources = peers.get(slot, Peer.sources);
      const confirmed = (sources & PeerSource.CONFIRMED) !== 0;
      counts.total++;
      if (confirmed) counts.confirmed++;
      else counts.learned++;
      if (list.length < PEERS_LISTED) list.push({ peer: `${ipToString(ip)}:${port}`, status: confirmed ? 'confirmed' : 'learned', revealers: revealerCount(sources), last_seen_seconds_ago: secondsAgo(seen) });
    });
    return {
      version: this.#o.version, uptime_seconds: Math.round((nowMs - this.#o.startedMs) / 1000),
      hosts, peers: { ...counts, list }, packets: this.#o.packets(),
    };
  }

  /** Ends the locks of every host with this IP (any MAC) and forgets them as clients. */
  unlock(host: string, nowMs = Date.now()): { released: number } {
    const ip = parseIp(host);
    const { state } = this.#o;
    const now = state.ticks(nowMs);
    const clients = state.clients;
    let released = 0;
    clients.forEach((slot, key) => {
      if (key >>> 0 !== ip) return;
      const until = clients.get(slot, Client.lockUntil);
      const flags = clients.get(slot, Client.flags);
      const locked = isLocked(until, now);
      if (!locked && (flags & ClientStatus.IDENTIFIED) === 0) return;
      clients.set(slot, Client.lockUntil, UNLOCKED);
      clients.set(slot, Client.probePort, 0);
      clients.clearBits(slot, Client.flags, ClientStatus.IDENTIFIED);
      released++;
      const high = clients.get(slot, Client.macHigh);
      const low = clients.get(slot, Client.macLow);
      this.#o.report({
        event: 'operator_unlocked', src_ip: ipToString(ip), ...(high === 0 && low === 0 ? {} : { src_mac: formatMac(high, low) }),
        was_locked: locked, lock_seconds_left: locked ? Math.ceil((state.toMs(until) - nowMs) / 1000) : 0,
      });
    });
    if (released === 0) throw new OperatorError(`${host}: not locked and not identified`);
    this.#o.saveClients();
    return { released };
  }

  /** Forgets a peer (ip:port, or ip: every port of it): learned, confirmed or the operator's own. */
  forget(peer: string): { forgotten: string[] } {
    const match = /^(\d+\.\d+\.\d+\.\d+)(?::(\d{1,5}))?$/.exec(peer.trim());
    if (!match) throw new OperatorError(`${peer}: not a peer (ip:port, or ip for all its ports)`);
    const ip = parseIp(match[1]!);
    const port = match[2] === undefined ? -1 : Number(match[2]);
    const { state } = this.#o;
    const forgotten: string[] = [];
    const found: Array<[number, 'operator']> = [];
    state.pinned.forEach((pinnedIp, pinnedPort) => { if (pinnedIp === ip && (port < 0 || pinnedPort === port)) found.push([pinnedPort, 'operator']); });
    for (const [pinnedPort] of found) {
      state.pinned.remove(ip, pinnedPort);
      this.#forgotten(ip, pinnedPort, 'operator', forgotten);
    }
    const peers = state.peers;
    peers.forEach((slot, key, keyPort) => {
      if (key >>> 0 !== ip || (port >= 0 && keyPort !== port)) return;
      const seen = peers.get(slot, Peer.lastSeen);
      if (seen === 0) return;
      if (peers.compareExchange(slot, Peer.lastSeen, seen, 0) !== seen) return;
      const sources = peers.clearBits(slot, Peer.sources, -1);
      if (!forgotten.includes(`${ipToString(ip)}:${keyPort}`)) this.#forgotten(ip, keyPort, (sources & PeerSource.CONFIRMED) !== 0 ? 'confirmed' : 'learned', forgotten);
    });
    if (forgotten.length === 0) throw new OperatorError(`${peer}: not a known peer`);
    this.#o.compactPeers('operator');
    return { forgotten };
  }

  #forgotten(ip: number, port: number, was: 'confirmed' | 'learned' | 'operator', into: string[]): void {
    into.push(`${ipToString(ip)}:${port}`);
    this.#o.report({ event: 'operator_forgot_peer', dest_ip: ipToString(ip), dest_port: port, was });
  }
}

function parseIp(text: string): number {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(text.trim()) || text.trim().split('.').some((part) => Number(part) > 255)) throw new OperatorError(`${text}: not an IPv4 address`);
  return ipFromString(text.trim()) >>> 0;
}

/** Packets by reason from per-reason totals (accepted at 2r, dropped at 2r+1). */
export function packetsByReason(total: (reason: number, dropped: boolean) => number): Record<string, { accepted: number; dropped: number }> {
  const out: Record<string, { accepted: number; dropped: number }> = {};
  REASON_NAMES.forEach((name, reason) => {
    const accepted = total(reason, false);
    const dropped = total(reason, true);
    if (accepted + dropped > 0) out[name] = { accepted, dropped };
  });
  return out;
}
