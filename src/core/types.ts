// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The decision core's contract: a packet, the time and a read-only view of the shared state in;
 * a Decision (verdict, reason, and the state changes and actions it implies) out.
 */
import type { PacketView } from './packet.ts';

export const Verdict = { ACCEPT: 0, DROP: 1 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Why a packet got its verdict; also the metrics label (REASON_NAMES). */
export const Reason = {
  NOT_INSPECTED: 0,
  NOT_FASTTRACK: 1,
  EXEMPT: 2,
  FASTTRACK_UDP: 3,
  KNOWN_PEER_UDP: 4,
  KNOWN_PEER_SYN: 5,
  CLIENT_LOCKED: 6,
  SAFETY_NET: 7,
  PROBE_ANSWER: 8,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
export const REASON_NAMES = [
  'not_inspected', 'not_fasttrack', 'exempt', 'fasttrack_udp', 'known_peer_udp',
  'known_peer_syn', 'client_locked', 'safety_net', 'probe_answer',
] as const;

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
  /** Send the source a 0x28 pong that appears to come from the destination. */
  spoofPong = false;

  reset(): void {
    this.verdict = Verdict.ACCEPT;
    this.reason = Reason.NOT_INSPECTED;
    this.identifyClient = false;
    this.learnPeer = false;
    this.extraPeerIp = 0;
    this.extraPeerPort = 0;
    this.lockClient = false;
    this.probeAnswer = false;
    this.spoofPong = false;
  }
}

/** What the core may read of the shared state. Times are in state ticks. */
export interface StateView {
  isPeer(ip: number, port: number): boolean;
  /** Tick at which the client's lock ends (0 = none). */
  lockUntil(ip: number): number;
  isIdentifiedClient(ip: number): boolean;
}

/** Decides one packet. Implementations keep no timers and touch no sockets. */
export interface PacketDecider {
  decide(packet: PacketView, nowTicks: number, out: Decision): void;
}
