// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * docs/FTWALL.md's decisions 1-5 as a pure function of (packet, time, state view), for every
 * configured protocol module (core/protocol.ts): the modules say what a payload is, this file
 * decides what follows. Pure: no sockets, no timers, no writes; the caller applies the Decision.
 *
 * Hardened against hostile LAN hosts (README "Security"):
 * - Only sources on the LAN networks change state (identify, learn, lock, spoof); FastTrack
 *   content from elsewhere is still dropped, but teaches ftwall nothing.
 * - A learned peer governs identified FastTrack clients only; every other host is held back from
 *   it only once a quorum of distinct clients revealed it (PeerStatus.CONFIRMED).
 * - Destinations on the never-peer list are never learned and get no spoofed pong.
 * - Hosts are keyed by IP and MAC (hostKeyOf): forging an IP alone locks nobody else.
 *
 * This file dispatches and decides UDP, SYNs and probe answers; a TCP flow's start (the safety net,
 * a held handshake and the server's answer to it) is judged by the TcpJudge it owns (tcp-judge.ts).
 */
import type { CidrList } from './cidr.ts';
import { answerInWindow, isLocked } from './lock.ts';
import { UdpSign, type ProtocolModule } from './protocol.ts';
import { TcpJudge } from './tcp-judge.ts';
import { TcpStarts } from './tcp-start.ts';
import { Protocol, TcpFlag, hostKeyOf, type PacketView } from './packet.ts';
import { ClientStatus, PacketHook, PeerStatus, Reason, Verdict, type Decision, type PacketDecider, type StateView } from './types.ts';

export interface CorePolicy {
  /** The protocol modules to recognise, in order; a module's index is its protocol id. */
  protocols: readonly ProtocolModule[];
  /** Drop peer-to-peer UDP (true) or let it through after noting it (false: the original -n). */
  blockUdp: boolean;
  /** Time locks on (FTWALL_LOCK_SECONDS > 0). */
  lockEnabled: boolean;
  /** First of the router's probe ports: a probe answer comes to one of them on INPUT. */
  probePort: number;
  /** How many probe ports there are (FTWALL_PROBE_PORTS). */
  probePorts: number;
  /** The answer window, in ticks: one for every protocol, or one per protocol id (core/lock.ts). */
  answerTicks: number | readonly number[];
  /** The secret of the host keys (SharedState.hostKeySecret). */
  hostKeySecret: number;
  /** LAN hosts never touched. */
  exempt: CidrList;
  /** Inspect TCP payloads queued by the safety-net rules. */
  safetyNet: boolean;
  /** Sources whose packets may change state (FTWALL_LAN_NETWORKS, default the LAN interfaces' networks). */
  lanNetworks: CidrList;
  /** Destinations never treated as peers (FTWALL_NEVER_PEER). */
  neverPeer: CidrList;
}

/** Multicast (224.0.0.0/4: BitTorrent's LSD group) and the broadcast address are never peers. */
function notUnicast(ip: number): boolean {
  return ip >>> 28 === 0xe || ip >>> 0 === 0xffffffff;
}

export class CoreDecider implements PacketDecider {
  readonly #policy: CorePolicy;
  readonly #state: StateView;
  /** The TCP flows' starts: the safety net and held handshakes. */
  readonly #tcp: TcpJudge;
  /** The packet being decided comes from the LAN networks (set at the top of decide()). */
  #onLan = false;

  constructor(policy: CorePolicy, state: StateView, starts: TcpStarts = new TcpStarts()) {
    this.#policy = policy;
    this.#state = state;
    this.#tcp = new TcpJudge(policy, state, starts);
  }

  /** Flows whose start was given up at a byte or segment limit while it could still have matched. */
  get startsGivenUp(): number {
    return this.#tcp.startsGivenUp;
  }

  /** Flows still being watched that newer flows pushed out of the reassembly memory. */
  get startsEvicted(): number {
    return this.#tcp.startsEvicted;
  }

  decide(packet: PacketView, nowTicks: number, out: Decision): void {
    if (!packet.transport) return; // IPv6, fragments without headers, other protocols: ACCEPT
    if (this.#policy.exempt.contains(packet.srcIp)) {
      out.reason = Reason.EXEMPT;
      return;
    }
    const onLan = this.#policy.lanNetworks.contains(packet.srcIp);
    this.#onLan = onLan;
    if (packet.hook === PacketHook.INPUT) {
      if (this.#toProbePort(packet)) this.#decideProbeAnswer(packet, nowTicks, out);
      else this.#decideLocalUdp(packet, out);
    } else if (packet.protocol === Protocol.UDP) {
      this.#decideUdp(packet, out);
    } else if (packet.protocol === Protocol.TCP) {
      if (!onLan && this.#policy.lanNetworks.contains(packet.dstIp)) {
        this.#tcp.judgeAnswer(packet, out);
        return;
      }
      if ((packet.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) this.#decideSyn(packet, nowTicks, out);
      else this.#decideTcpSegment(packet, out);
    }
    if (!onLan) this.#teachNothing(out);
    else if (out.learnPeer && (this.#policy.neverPeer.contains(packet.dstIp) || notUnicast(packet.dstIp))) {
      out.learnPeer = false;
      out.spoofReply = false;
      out.keepSeed = false;
    }
    if (out.extraPeerIp !== 0 && (!onLan || this.#policy.neverPeer.contains(out.extraPeerIp))) {
      out.extraPeerIp = 0;
      out.extraPeerPort = 0;
    }
  }

  /** The answer window of the protocol whose probe is answered. */
  #answerTicks(protocol: number): number {
    const ticks = this.#policy.answerTicks;
    return typeof ticks === 'number' ? ticks : ticks[protocol] ?? ticks[0]!;
  }

  /** ClientStatus of the source host; looked up only on the paths that need it (not per packet). */
  #clientStatus(packet: PacketView): number {
    return this.#onLan ? this.#state.clientStatus(packet.srcIp, hostKeyOf(packet, this.#policy.hostKeySecret)) : ClientStatus.NONE;
  }

  #isLocked(packet: PacketView, nowTicks: number): boolean {
    return this.#onLan && this.#policy.lockEnabled && isLocked(this.#state.lockUntil(packet.srcIp, hostKeyOf(packet, this.#policy.hostKeySecret)), nowTicks);
  }

  /** A source off the LAN networks (forged, or routed in from elsewhere) changes no state. */
  #teachNothing(out: Decision): void {
    out.identifyClient = false;
    out.learnPeer = false;
    out.lockClient = false;
    out.spoofReply = false;
    out.keepSeed = false;
    out.probeAnswer = false;
    out.noted = false;
  }

  /**
   * The first module that recognises the UDP payload: its UdpSign bits, its id in out.protocol.
   * A WEAK sign counts only from a client already identified; NONE when nothing counts.
   */
  #recogniseUdp(packet: PacketView, out: Decision): number {
    const protocols = this.#policy.protocols;
    for (let id = 0; id < protocols.length; id++) {
      const sign = protocols[id]!.recogniseUdp(packet.bytes, packet.payloadOffset, packet.payloadLength);
      if (sign === UdpSign.NONE) continue;
      if ((sign & UdpSign.STRONG) === 0 && (this.#clientStatus(packet) & ClientStatus.IDENTIFIED) === 0) continue;
      out.protocol = id;
      return sign;
    }
    return UdpSign.NONE;
  }

  /**
   * Whether a known-peer drop applies: to every host for a confirmed peer, and to an identified
   * FastTrack client (this IP and MAC) for a peer learned from fewer clients than the quorum.
   */
  #peerGoverns(packet: PacketView, out: Decision): boolean {
    const status = this.#state.peerStatus(packet.dstIp, packet.dstPort);
    if (status === PeerStatus.NONE) return false;
    if (status === PeerStatus.CONFIRMED || (this.#clientStatus(packet) & ClientStatus.IDENTIFIED) !== 0) return true;
    out.reason = Reason.UNCONFIRMED_PEER;
    return false;
  }

  /**
   * Decision 4's second half: the client's answer to a probe arrives on INPUT. It counts only as an
   * answer to the probe really sent to this host (IP and MAC), to the random port that probe came
   * from, within its window: a host that did not receive the probe cannot forge one.
   */
  #decideProbeAnswer(packet: PacketView, nowTicks: number, out: Decision): void {
    if (!this.#isProbeAnswer(packet, out)) {
      out.reason = Reason.NOT_P2P;
      return;
    }
    const hostKey = hostKeyOf(packet, this.#policy.hostKeySecret);
    if (!this.#onLan || this.#state.probePort(packet.srcIp, hostKey) !== packet.dstPort
      || !answerInWindow(this.#state.probeSent(packet.srcIp, hostKey), nowTicks, this.#answerTicks(out.protocol))) {
      out.reason = Reason.UNSOLICITED_ANSWER;
      out.verdict = Verdict.DROP; // nothing on the router wants it; it answers no probe of ours
      return;
    }
    out.reason = Reason.PROBE_ANSWER;
    out.verdict = Verdict.DROP; // nothing on the router wants it
    out.probeAnswer = true;
    out.identifyClient = true;
    out.lockClient = this.#policy.lockEnabled;
  }

  #toProbePort(packet: PacketView): boolean {
    const first = this.#policy.probePort;
    return packet.protocol === Protocol.UDP && packet.dstPort >= first && packet.dstPort < first + this.#policy.probePorts;
  }

  /**
   * UDP to the router itself that is no probe answer (the protocols' LocalUdp: LSD's group, DNS):
   * judged as forwarded UDP, but the router is never a peer, never answered, never a seed, and only
   * a strong sign is dropped (the router's own services get everything else).
   */
  #decideLocalUdp(packet: PacketView, out: Decision): void {
    out.reason = Reason.NOT_P2P;
    if (packet.protocol !== Protocol.UDP) return;
    const sign = this.#recogniseUdp(packet, out);
    if (this.#notedOnly(sign, out)) return;
    if ((sign & UdpSign.STRONG) !== 0) {
      out.reason = Reason.P2P_UDP;
      out.identifyClient = true;
      out.lockClient = this.#policy.lockEnabled && (sign & UdpSign.LOCK) !== 0;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
    }
  }

  #isProbeAnswer(packet: PacketView, out: Decision): boolean {
    const protocols = this.#policy.protocols;
    const identified = (this.#clientStatus(packet) & ClientStatus.IDENTIFIED) !== 0;
    for (let id = 0; id < protocols.length; id++) {
      if (protocols[id]!.isProbeAnswer(packet.bytes, packet.payloadOffset, packet.payloadLength, identified)) {
        out.protocol = id;
        return true;
      }
    }
    return false;
  }

  /** A sign that only notes its packet (UdpSign.IDENTIFY: a lookup): noted and passed; true when it was one. */
  #notedOnly(sign: number, out: Decision): boolean {
    if ((sign & UdpSign.IDENTIFY) === 0) return false;
    out.reason = Reason.P2P_LOOKUP;
    out.noted = true;
    return true;
  }

  /** Decisions 1 and 2 for UDP. */
  #decideUdp(packet: PacketView, out: Decision): void {
    const sign = this.#recogniseUdp(packet, out);
    if (this.#notedOnly(sign, out)) return;
    if (sign !== UdpSign.NONE) {
      out.reason = Reason.P2P_UDP;
      out.identifyClient = true;
      out.learnPeer = true;
      out.keepSeed = (sign & UdpSign.REQUEST) !== 0;
      out.spoofReply = out.keepSeed && this.#policy.protocols[out.protocol]!.replies;
      out.lockClient = this.#policy.lockEnabled && (sign & (UdpSign.LOCK | UdpSign.STRONG)) === (UdpSign.LOCK | UdpSign.STRONG);
      if ((sign & UdpSign.SERVER) !== 0) out.learnPeer = false;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
      return;
    }
    out.reason = Reason.NOT_P2P;
    if (this.#peerGoverns(packet, out)) {
      out.reason = Reason.KNOWN_PEER_UDP;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
    }
  }

  /** Decisions 2 and 3 for a new TCP connection. */
  #decideSyn(packet: PacketView, nowTicks: number, out: Decision): void {
    out.reason = Reason.NOT_P2P;
    if (this.#peerGoverns(packet, out)) {
      out.reason = Reason.KNOWN_PEER_SYN;
      out.verdict = Verdict.DROP;
      out.identifyClient = true;
      out.lockClient = this.#policy.lockEnabled;
      return;
    }
    if (this.#isLocked(packet, nowTicks)) {
      out.reason = Reason.CLIENT_LOCKED;
      out.verdict = Verdict.DROP;
      return;
    }
    if (!this.#policy.safetyNet) return;
    // The SYN fixes where the stream starts; data on it (TCP Fast Open) is judged like any data.
    const reason = out.reason;
    this.#tcp.judgeStart(packet, true, out);
    if (out.reason === Reason.NOT_P2P) out.reason = reason; // keep UNCONFIRMED_PEER
  }

  /**
   * A TCP segment that is not a SYN: queued because it carries a protocol's marker (the safety net)
   * or because conntrack did not know its flow (opened before ftwall ran, or cut when its peer was
   * learned). A flow to a known peer is dropped and locks its host, as its SYN would have.
   */
  #decideTcpSegment(packet: PacketView, out: Decision): void {
    if (packet.payloadLength > 0) this.#tcp.judgeData(packet, out);
    else out.reason = Reason.NOT_P2P;
    if (out.reason !== Reason.NOT_P2P || !this.#peerGoverns(packet, out)) return;
    out.reason = Reason.KNOWN_PEER_TCP;
    out.verdict = Verdict.DROP;
    out.identifyClient = true;
    out.lockClient = this.#policy.lockEnabled;
  }
}

