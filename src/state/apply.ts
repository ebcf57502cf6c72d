// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Applies a Decision's state changes to the shared tables (in the worker, right after deciding,
 * so the very next packet of any worker sees them) and reports each real change as an event.
 * The lock's rules are core/lock.ts; this file only reads and writes the table around them.
 */
import { formatMac, type FtEvent, type PacketFields, type PeerSourceName } from '../core/events.ts';
import { lockActivity, lockTimings, timingOf, type LockSeconds, type LockTiming } from '../core/lock.ts';
import type { PacketView } from '../core/packet.ts';
import { hostKeyOf, hostKeyOfMac, ipToString } from '../core/packet.ts';
import { ClientStatus, REASON_NAMES, RECOGNISED_REASONS, Reason, Verdict, type Decision } from '../core/types.ts';
import { isRealLanHost } from './neighbours.ts';
import { NOT_FOUND } from './shared-table.ts';
import { Client, Peer, PeerSource, emptyLock, readLock, revealerBit, revealerCount, storeSeed, type SharedState } from './shared-state.ts';

/** bytes[offset, offset+length) as a latin1 string. */
function latin1(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(offset, offset + length) as unknown as number[]);
}

/** What learnPeer changed (bits). */
export const Learned = { NOTHING: 0, NEW: 1, CONFIRMED: 2 } as const;

/**
 * A reply to send: to the client, as if from the peer, built by the protocol module from the
 * client's request (a FastTrack 0x28 pong to a 0x27 ping).
 */
export interface SpoofRequest {
  /** Protocol id (index of its module). */
  protocol: number;
  clientIp: number;
  clientPort: number;
  peerIp: number;
  peerPort: number;
  /**
   * The request's payload as a latin1 string (one char per byte): strings cross to the main thread
   * far cheaper than one ArrayBuffer per request, which a ping spray makes by the hundred thousand.
   */
  request: string;
}

const RECOGNISED: ReadonlySet<number> = new Set(RECOGNISED_REASONS);

export class StateWriter {
  readonly #state: SharedState;
  /** By protocol id: a host is locked for its protocol's period (Client.protocol). */
  readonly #timings: LockTiming[];
  readonly #quorum: number;
  readonly #lock = emptyLock();

  /** `quorum`: distinct revealing hosts that confirm a peer for every host (FTWALL_PEER_QUORUM). */
  readonly #protocols: readonly string[];

  /** `protocols`: the configured modules' names, by protocol id (for the events' protocol field). */
  constructor(state: SharedState, lockSeconds: LockSeconds, quorum: number, protocols: readonly string[] = ['fasttrack']) {
    this.#state = state;
    this.#protocols = protocols;
    this.#timings = lockTimings(lockSeconds);
    this.#quorum = quorum;
  }

  /** Applies `decision` for `packet`; appends events and spoof requests. */
  apply(packet: PacketView, decision: Decision, now: number, events: FtEvent[], spoofs: SpoofRequest[]): void {
    const eve = (): PacketFields => ({
      src_ip: ipToString(packet.srcIp), dest_ip: ipToString(packet.dstIp),
      src_port: packet.srcPort, dest_port: packet.dstPort, proto: packet.protocol === 17 ? 'UDP' : 'TCP',
      action: decision.verdict === Verdict.DROP ? 'blocked' : 'allowed', reason: REASON_NAMES[decision.reason],
      src_mac: packet.srcMacHigh || packet.srcMacLow ? formatMac(packet.srcMacHigh, packet.srcMacLow) : undefined,
      protocol: this.#protocolName(packet.srcIp, hostKey, decision),
    });
    const hostKey = hostKeyOf(packet, this.#state.hostKeySecret);
    // Revealers are counted by MAC, folded the same way in every run (not keyed: the count's bits
    // must not change with the secret).
    const revealerKey = hostKeyOfMac(packet.srcMacHigh, packet.srcMacLow);
    if (decision.identifyClient) this.#identify(packet, hostKey, decision, now, events, eve);
    else if (decision.noted) events.push({ event: 'p2p_noted', ...eve() });
    // A revealer counts towards a quorum only as a real LAN host (neighbours.ts); any host teaches.
    const verified = (decision.learnPeer || decision.extraPeerIp !== 0) && isRealLanHost(this.#state, packet.srcIp, packet.srcMacHigh, packet.srcMacLow, now);
    if (decision.learnPeer) {
      // The safety net's TCP: FastTrack HTTP, or the session handshake seen on the server's answer.
      const tcp = decision.reason === Reason.SAFETY_NET || decision.reason === Reason.TCP_HANDSHAKE;
      const source = tcp ? PeerSource.SAFETY_NET : PeerSource.UDP;
      const learned = this.learnPeer(packet.dstIp, packet.dstPort, packet.srcIp, revealerKey, verified, source, now);
      this.#reportLearned(learned, eve(), source === PeerSource.UDP ? 'udp' : 'safety_net', events);
      // (its flow is cut even when the peer was known: past its first packets it is queued no more)
      if (tcp) events.push({ event: 'safety_net_hit', ...eve(), supernode: decision.extraPeerIp ? `${ipToString(decision.extraPeerIp)}:${decision.extraPeerPort}` : undefined });
    }
    if (decision.extraPeerIp !== 0) {
      const learned = this.learnPeer(decision.extraPeerIp, decision.extraPeerPort, packet.srcIp, revealerKey, verified, PeerSource.SAFETY_NET, now);
      this.#reportLearned(learned, { ...eve(), dest_ip: ipToString(decision.extraPeerIp), dest_port: decision.extraPeerPort }, 'x_kazaa_supernodeip', events);
    }
    // A probe answer extends the lock only if it is the first answer to that probe.
    const answered = decision.probeAnswer && this.#confirmHost(packet.srcIp, hostKey, packet.dstPort, now);
    if (answered) events.push({ event: 'probe_answered', ...eve() });
    if (decision.lockClient && (answered || !decision.probeAnswer)) this.#applyLock(packet.srcIp, hostKey, now, events, eve);
    if (decision.reason === Reason.KNOWN_PEER_SYN || decision.reason === Reason.KNOWN_PEER_TCP) this.#touchPeer(packet.dstIp, packet.dstPort, now);
    if (decision.spoofReply) {
      spoofs.push({
        protocol: decision.protocol, clientIp: packet.srcIp, clientPort: packet.srcPort, peerIp: packet.dstIp, peerPort: packet.dstPort,
        request: latin1(packet.bytes, packet.payloadOffset, packet.payloadLength), // recognised: short
      });
    }
  }

  /** The module that recognised the packet, else the one the host was identified by (if any). */
  #protocolName(ip: number, hostKey: number, decision: Decision): string | undefined {
    if (RECOGNISED.has(decision.reason)) return this.#protocols[decision.protocol];
    const slot = this.#state.clients.find(ip, hostKey);
    return slot === NOT_FOUND ? undefined : this.#protocols[this.#state.clients.get(slot, Client.protocol)];
  }

  #reportLearned(learned: number, eve: PacketFields, source: PeerSourceName, events: FtEvent[]): void {
    if (learned & Learned.NEW) events.push({ ...eve, event: 'peer_learned', source, confirmed: (learned & Learned.CONFIRMED) !== 0 });
    else if (learned & Learned.CONFIRMED) events.push({ ...eve, event: 'peer_confirmed', quorum: this.#quorum });
  }

  /** A client still tries to reach a known peer: the peer is not quiet (the decay sweep keeps it). */
  #touchPeer(ip: number, port: number, now: number): void {
    const peers = this.#state.peers;
    const slot = peers.find(ip, port);
    if (slot !== NOT_FOUND && peers.get(slot, Peer.lastSeen) !== 0) peers.raise(slot, Peer.lastSeen, now);
  }

  /**
   * Adds or refreshes a peer revealed by host (clientIp, revealerKey: its MAC folded); the host counts towards the
   * quorum only when `verified` (a real LAN host, neighbours.ts), and by its MAC. `source` may
   * carry PeerSource.CONFIRMED (a store line). Returns Learned bits. A peer the decay sweep forgot
   * (lastSeen 0) is learned anew, from no revealers.
   */
  learnPeer(ip: number, port: number, clientIp: number, revealerKey: number, verified: boolean, source: number, now: number): number {
    const peers = this.#state.peers;
    const slot = peers.upsert(ip, port);
    if (slot === NOT_FOUND) return Learned.NOTHING;
    const isNew = peers.get(slot, Peer.lastSeen) === 0;
    peers.set(slot, Peer.lastSeen, now);
    if (isNew) peers.set(slot, Peer.firstClient, clientIp | 0);
    const revealer = clientIp === 0 || !verified ? 0 : revealerBit(revealerKey);
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

  /**
   * A valid answer from (ip, hostKey) to the probe sent from `port`: the host really runs the
   * client. One answer per probe (the port is cleared), so a replay counts for nothing; false then.
   */
  #confirmHost(ip: number, hostKey: number, port: number, now: number): boolean {
    const clients = this.#state.clients;
    const slot = clients.find(ip, hostKey);
    if (slot === NOT_FOUND || clients.compareExchange(slot, Client.probePort, port, 0) !== port) return false;
    clients.raise(slot, Client.probeAnswered, now);
    return true;
  }

  #identify(packet: PacketView, hostKey: number, decision: Decision, now: number, events: FtEvent[], eve: () => PacketFields): void {
    const clients = this.#state.clients;
    const slot = clients.upsert(packet.srcIp, hostKey);
    if (slot === NOT_FOUND) return;
    const flags = clients.get(slot, Client.flags);
    clients.set(slot, Client.lastSeen, now);
    if (packet.srcMacHigh !== 0 || packet.srcMacLow !== 0) {
      clients.set(slot, Client.macHigh, packet.srcMacHigh | 0);
      clients.set(slot, Client.macLow, packet.srcMacLow | 0);
    }
    if (decision.keepSeed) {
      // Keep the client's own request and port: its probes are built from them.
      clients.set(slot, Client.clientPort, packet.srcPort);
      clients.set(slot, Client.protocol, decision.protocol);
      storeSeed(clients, slot, packet.bytes, packet.payloadOffset, packet.payloadLength);
    } else if (RECOGNISED.has(decision.reason) && clients.get(slot, Client.protocol) !== decision.protocol) {
      // Another protocol's client now (its lock period follows): no probe until one of its own requests seeds it.
      clients.set(slot, Client.protocol, decision.protocol);
      clients.set(slot, Client.clientPort, 0);
    }
    // Only the writer that sets the bit reports it (two workers may see a client's first packets at once).
    if ((flags & ClientStatus.IDENTIFIED) === 0 && (clients.setBits(slot, Client.flags, ClientStatus.IDENTIFIED) & ClientStatus.IDENTIFIED) === 0) {
      events.push({ event: 'client_identified', ...eve() });
    }
  }

  /** A locking packet from (ip, hostKey): core/lock.ts says what changes; this writes it. */
  #applyLock(ip: number, hostKey: number, now: number, events: FtEvent[], eve: () => PacketFields): void {
    const clients = this.#state.clients;
    const slot = clients.upsert(ip, hostKey);
    if (slot === NOT_FOUND) return;
    const timing = timingOf(this.#timings, clients.get(slot, Client.protocol));
    if (timing.lockTicks === 0) return; // this protocol's locks are off
    const activity = lockActivity(readLock(clients, slot, this.#lock), now, timing);
    clients.raise(slot, Client.lockUntil, activity.lockUntil);
    if (activity.started) clients.set(slot, Client.lockStarted, now);
    if (activity.report === null) return;
    clients.set(slot, Client.refreshReported, now);
    events.push({ event: activity.report, ...eve(), lock_until: new Date(this.#state.toMs(activity.lockUntil)).toISOString() });
  }
}
