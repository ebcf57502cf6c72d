// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Applies a Decision's state changes to the shared tables (in the worker, right after deciding,
 * so the very next packet of any worker sees them) and reports each real change as an event.
 */
import type { PacketView } from '../core/packet.ts';
import { hostKeyOf, ipToString } from '../core/packet.ts';
import { REASON_NAMES, Reason, Verdict, type Decision } from '../core/types.ts';
import type { FtEvent } from '../telemetry/events.ts';
import { NOT_FOUND } from './shared-table.ts';
import { Client, ClientFlag, Peer, PeerSource, revealerBit, revealerCount, storePing, ticksFor, type SharedState } from './shared-state.ts';

/** Ticks between two lock_refreshed events of one client (one second). */
const REFRESH_REPORT_TICKS = ticksFor(1000);

/** What learnPeer changed (bits). */
export const Learned = { NOTHING: 0, NEW: 1, CONFIRMED: 2 } as const;

/** A spoofed 0x28 pong to send: to the client, as if from the peer. */
export interface SpoofRequest {
  clientIp: number;
  clientPort: number;
  peerIp: number;
  peerPort: number;
  /** The ping's minimum encryption type, echoed in the pong. */
  encryptionType: number;
  /** The ping's network name (e.g. KaZaA). */
  networkName: string;
}

export function formatMac(high: number, low: number): string {
  const bytes = [high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (low >>> 24) & 0xff, (low >>> 16) & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class StateWriter {
  readonly #state: SharedState;
  readonly #lockTicks: number;
  readonly #quorum: number;

  /** `quorum`: distinct revealing hosts that confirm a peer for every host (FTWALL_PEER_QUORUM). */
  constructor(state: SharedState, lockSeconds: number, quorum: number) {
    this.#state = state;
    this.#lockTicks = ticksFor(lockSeconds * 1000);
    this.#quorum = quorum;
  }

  /** Applies `decision` for `packet`; appends events and spoof requests. */
  apply(packet: PacketView, decision: Decision, now: number, events: FtEvent[], spoofs: SpoofRequest[]): void {
    const action = decision.verdict === Verdict.DROP ? 'blocked' : 'allowed';
    const proto = packet.protocol === 17 ? 'UDP' : 'TCP';
    const reason = REASON_NAMES[decision.reason];
    const eve = () => ({
      src_ip: ipToString(packet.srcIp), dest_ip: ipToString(packet.dstIp),
      src_port: packet.srcPort, dest_port: packet.dstPort, proto, action, reason,
      src_mac: packet.srcMacHigh || packet.srcMacLow ? formatMac(packet.srcMacHigh, packet.srcMacLow) : undefined,
    } as const);
    const hostKey = hostKeyOf(packet);
    if (decision.identifyClient) this.#identify(packet, hostKey, decision, now, events, eve);
    if (decision.learnPeer) {
      const source = decision.reason === Reason.SAFETY_NET ? PeerSource.SAFETY_NET : PeerSource.UDP;
      const learned = this.learnPeer(packet.dstIp, packet.dstPort, packet.srcIp, hostKey, source, now);
      this.#reportLearned(learned, eve(), source === PeerSource.UDP ? 'udp' : 'safety_net', events);
      if (decision.reason === Reason.SAFETY_NET) events.push({ event: 'safety_net_hit', ...eve(), supernode: decision.extraPeerIp ? `${ipToString(decision.extraPeerIp)}:${decision.extraPeerPort}` : undefined });
    }
    if (decision.extraPeerIp !== 0) {
      const learned = this.learnPeer(decision.extraPeerIp, decision.extraPeerPort, packet.srcIp, hostKey, PeerSource.SAFETY_NET, now);
      this.#reportLearned(learned, { ...eve(), dest_ip: ipToString(decision.extraPeerIp), dest_port: decision.extraPeerPort }, 'x_kazaa_supernodeip', events);
    }
    if (decision.probeAnswer) {
      this.#confirmHost(packet.srcIp, hostKey, now);
      events.push({ event: 'probe_answered', ...eve() });
    }
    if (decision.lockClient) this.#lock(packet.srcIp, hostKey, now, events, eve);
    if (decision.spoofPong) {
      const at = packet.payloadOffset;
      const bytes = packet.bytes;
      spoofs.push({
        clientIp: packet.srcIp, clientPort: packet.srcPort, peerIp: packet.dstIp, peerPort: packet.dstPort,
        encryptionType: ((bytes[at + 1]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) | bytes[at + 4]!) >>> 0,
        networkName: String.fromCharCode(...bytes.subarray(at + 6, at + packet.payloadLength - 1)),
      });
    }
  }

  #reportLearned(learned: number, eve: FtEvent | object, source: string, events: FtEvent[]): void {
    if (learned & Learned.NEW) events.push({ ...eve, event: 'peer_learned', source, confirmed: (learned & Learned.CONFIRMED) !== 0 });
    else if (learned & Learned.CONFIRMED) events.push({ ...eve, event: 'peer_confirmed', quorum: this.#quorum });
  }

  /**
   * Adds or refreshes a peer revealed by host (clientIp, hostKey); `source` may carry
   * PeerSource.CONFIRMED (a trusted store line). Returns Learned bits.
   */
  learnPeer(ip: number, port: number, clientIp: number, hostKey: number, source: number, now: number): number {
    const peers = this.#state.peers;
    const slot = peers.upsert(ip, port);
    if (slot === NOT_FOUND) return Learned.NOTHING;
    const isNew = peers.get(slot, Peer.lastSeen) === 0;
    peers.set(slot, Peer.lastSeen, now);
    if (isNew) peers.set(slot, Peer.firstClient, clientIp | 0);
    const revealer = clientIp === 0 ? 0 : revealerBit(clientIp, hostKey);
    const before = peers.setBits(slot, Peer.sources, source | revealer);
    let learned = isNew ? Learned.NEW : Learned.NOTHING;
    if ((before & PeerSource.CONFIRMED) === 0 && (source & PeerSource.CONFIRMED) !== 0) {
      learned |= Learned.CONFIRMED;
    } else if ((before & PeerSource.CONFIRMED) === 0 && revealerCount(before | revealer) >= this.#quorum) {
      // Only the writer that flips the bit reports it.
      if ((peers.setBits(slot, Peer.sources, PeerSource.CONFIRMED) & PeerSource.CONFIRMED) === 0) learned |= Learned.CONFIRMED;
    }
    return learned;
  }

  /** A probe answer from (ip, hostKey): the host really runs FastTrack; it may be locked again. */
  #confirmHost(ip: number, hostKey: number, now: number): void {
    const clients = this.#state.clients;
    const slot = clients.upsert(ip, hostKey);
    if (slot === NOT_FOUND) return;
    clients.raise(slot, Client.probeAnswered, now);
    clients.clearBits(slot, Client.flags, ClientFlag.SUSPECT);
  }

  #identify(packet: PacketView, hostKey: number, decision: Decision, now: number, events: FtEvent[], eve: () => object): void {
    const clients = this.#state.clients;
    const slot = clients.upsert(packet.srcIp, hostKey);
    if (slot === NOT_FOUND) return;
    const flags = clients.get(slot, Client.flags);
    clients.set(slot, Client.lastSeen, now);
    if (packet.srcMacHigh !== 0 || packet.srcMacLow !== 0) {
      clients.set(slot, Client.macHigh, packet.srcMacHigh | 0);
      clients.set(slot, Client.macLow, packet.srcMacLow | 0);
    }
    if (decision.spoofPong) {
      // Keep the client's own ping and port: the probe is a copy of it.
      clients.set(slot, Client.fastTrackPort, packet.srcPort);
      storePing(clients, slot, packet.bytes, packet.payloadOffset, packet.payloadLength);
    }
    if ((flags & ClientFlag.IDENTIFIED) === 0) {
      clients.setBits(slot, Client.flags, ClientFlag.IDENTIFIED);
      events.push({ event: 'client_identified', ...eve() });
    }
  }

  #lock(ip: number, hostKey: number, now: number, events: FtEvent[], eve: () => object): void {
    const clients = this.#state.clients;
    const slot = clients.upsert(ip, hostKey);
    if (slot === NOT_FOUND) return;
    if ((clients.get(slot, Client.flags) & ClientFlag.SUSPECT) !== 0) {
      // It left a probe unanswered: ask the lock keeper to probe it again, lock only on an answer.
      clients.raise(slot, Client.probeWanted, now);
      if (now - clients.get(slot, Client.refreshReported) >= REFRESH_REPORT_TICKS) {
        clients.set(slot, Client.refreshReported, now);
        events.push({ event: 'lock_withheld', ...eve() });
      }
      return;
    }
    const until = now + this.#lockTicks;
    const previous = clients.get(slot, Client.lockUntil);
    clients.raise(slot, Client.lockUntil, until);
    if (previous <= now) {
      clients.set(slot, Client.lockStarted, now);
      clients.set(slot, Client.refreshReported, now);
      events.push({ event: 'lock_started', ...eve(), lock_until: new Date(this.#state.toMs(until)).toISOString() });
    } else if (now - clients.get(slot, Client.refreshReported) >= REFRESH_REPORT_TICKS) {
      clients.set(slot, Client.refreshReported, now);
      events.push({ event: 'lock_refreshed', ...eve(), lock_until: new Date(this.#state.toMs(until)).toISOString() });
    }
  }
}
