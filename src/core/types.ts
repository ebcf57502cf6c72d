// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The decision core's contract: a packet, the time and a read-only view of the shared state in;
 * a Decision (verdict, reason, and the state changes and actions it implies) out.
 */
import type { PacketView } from './packet.ts';

/** The kernel's verdict numbers (NF_DROP, NF_ACCEPT), as nfqueue-bindings' Verdict: one meaning everywhere. */
export const Verdict = { DROP: 0, ACCEPT: 1 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Why a packet got its verdict; also the metrics label (REASON_NAMES). */
export const Reason = {
  NOT_INSPECTED: 0,
  NOT_P2P: 1,
  EXEMPT: 2,
  P2P_UDP: 3,
  KNOWN_PEER_UDP: 4,
  KNOWN_PEER_SYN: 5,
  CLIENT_LOCKED: 6,
  SAFETY_NET: 7,
  PROBE_ANSWER: 8,
  /** A peer learned from too few clients, from a host not identified as a FastTrack client: passed. */
  UNCONFIRMED_PEER: 9,
  /** A TCP segment of a flow conntrack did not know (opened before ftwall ran, or cut) to a known peer. */
  KNOWN_PEER_TCP: 10,
  /** Looks like a probe answer but answers no probe sent to that host, port and time: dropped, ignored. */
  UNSOLICITED_ANSWER: 11,
  /** A server's answer that completes a protocol's TCP handshake (by sizes) with a LAN client. */
  TCP_HANDSHAKE: 12,
  /** A lookup of a protocol's servers (UdpSign.IDENTIFY: a DNS query): noted, passed; nobody identified. */
  P2P_LOOKUP: 13,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
export const REASON_NAMES = [
  'not_inspected', 'not_p2p', 'exempt', 'p2p_udp', 'known_peer_udp',
  'known_peer_syn', 'client_locked', 'safety_net', 'probe_answer', 'unconfirmed_peer', 'known_peer_tcp', 'unsolicited_answer', 'tcp_handshake', 'p2p_lookup',
] as const;

/** Reasons for which a protocol module recognised the packet: Decision.protocol says which module. */
export const RECOGNISED_REASONS: readonly Reason[] = [Reason.P2P_UDP, Reason.SAFETY_NET, Reason.TCP_HANDSHAKE, Reason.PROBE_ANSWER, Reason.P2P_LOOKUP];

/** Netfilter hooks the core distinguishes (the numbers of nfqueue-bindings' Hook). */
export const PacketHook = { INPUT: 1, FORWARD: 2 } as const;

/** What the core decided for one packet. Reused across packets: read it before the next call. */
export class Decision {
  verdict: Verdict = Verdict.ACCEPT;
  reason: Reason = Reason.NOT_INSPECTED;
  /** The source is a FastTrack client (its FastTrack UDP port: packet.srcPort for UDP, else 0). */
  identifyClient = false;
  /** The destination ip:port is a FastTrack peer. */
  learnPeer = false;
  /** A second peer named by the packet (X-Kazaa-SupernodeIP); 0 when none. */
  extraPeerIp = 0;
  extraPeerPort = 0;
  /** (Re)start the source's time lock. */
  lockClient = false;
  /** The packet answers one of ftwall's probes. */
  probeAnswer = false;
  /**
   * The packet is a request of a protocol that replies (a FastTrack 0x27 ping): answer the source
   * with the protocol's reply in the destination's name.
   */
  spoofReply = false;
  /** The packet is its protocol's request: keep it (and its source port) as the seed of the host's probes. */
  keepSeed = false;
  /** The protocol module (its id: index in the configured list) the packet belongs to. */
  protocol = 0;
  /**
   * The flow's start is not judged yet (the safety net wants its next data segments): an accepted
   * packet goes without the bypass bit, so the kernel keeps queueing the flow's first data.
   */
  watchFlow = false;
  /**
   * The packet comes from the peer to the client (a server's answer): the state changes are the
   * client's, so the packet is seen turned around, with the client's MAC (clientMacHigh/Low).
   */
  turnAround = false;
  clientMacHigh = 0;
  clientMacLow = 0;
  /**
   * The packet is a protocol's, but a third party can make a benign host send it (a lookup, a
   * browser's announce): logged and counted (p2p_noted), the host not identified: an identified
   * host is held back from learned peers, and a web page or a LAN resolver must not make one.
   */
  noted = false;

  reset(): void {
    this.verdict = Verdict.ACCEPT;
    this.reason = Reason.NOT_INSPECTED;
    this.identifyClient = false;
    this.learnPeer = false;
    this.extraPeerIp = 0;
    this.extraPeerPort = 0;
    this.lockClient = false;
    this.probeAnswer = false;
    this.spoofReply = false;
    this.keepSeed = false;
    this.protocol = 0;
    this.watchFlow = false;
    this.turnAround = false;
    this.noted = false;
  }
}

/** What the shared state knows of a destination. */
export const PeerStatus = {
  NONE: 0,
  /** Revealed by fewer distinct clients than the quorum: governs identified clients only. */
  LEARNED: 1,
  /** Revealed by a quorum of distinct clients, or trusted from the store: governs every host. */
  CONFIRMED: 2,
} as const;
export type PeerStatus = (typeof PeerStatus)[keyof typeof PeerStatus];

/** What the shared state knows of a LAN host (key: IP and source MAC). */
export const ClientStatus = {
  NONE: 0,
  /** It sent peer-to-peer traffic (or answered a probe). */
  IDENTIFIED: 1,
} as const;

/**
 * What the core may read of the shared state. Times are in state ticks. LAN hosts are keyed by
 * IP and hostKey (a keyed hash of the whole source MAC, see hostKeyOf): a host forging another's
 * IP with its own MAC is a different host.
 */
export interface StateView {
  peerStatus(ip: number, port: number): PeerStatus;
  /** Tick at which the host's lock ends (0 = none). */
  lockUntil(ip: number, hostKey: number): number;
  /** ClientStatus bits. */
  clientStatus(ip: number, hostKey: number): number;
  /** Source port of the host's outstanding probe (0 = none): only an answer to it counts. */
  probePort(ip: number, hostKey: number): number;
  /** Tick the host's last probe was sent (0 = never). */
  probeSent(ip: number, hostKey: number): number;
}

/** Decides one packet. Implementations keep no timers and touch no sockets. */
export interface PacketDecider {
  decide(packet: PacketView, nowTicks: number, out: Decision): void;
  /** TCP flow starts still watched when newer flows pushed them out of the reassembly memory (a running total). */
  readonly startsEvicted?: number;
  /** TCP flow starts given up at the byte or segment limit while more bytes could still have matched (a running total). */
  readonly startsGivenUp?: number;
}
