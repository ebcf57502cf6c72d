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
 * The safety net judges a TCP flow's start in stream order: the decider owns a TcpStarts
 * (tcp-start.ts), its worker-local reassembly memory, bounded and pure like the rest; it is the
 * one thing decide() writes, and only for the TCP data segments the kernel queues.
 *
 * A protocol whose TCP session has no fixed bytes is known by its handshake's sizes (TcpHandshake):
 * a start of exactly the client's size, from the SYN on, is held (AWAITING, no bypass bit), and the
 * server's first data, queued by the rules' reply chain, decides: exactly the server's size is the
 * protocol's session (dropped; the client identified and locked, the server learned as a peer, in
 * the client's name: Decision.turnAround); anything else leaves the flow to the safety net.
 */
import type { CidrList } from './cidr.ts';
import { answerInWindow, isLocked } from './lock.ts';
import { TcpSign, UdpSign, type ProtocolModule } from './protocol.ts';
import { StartState, TcpStarts } from './tcp-start.ts';
import { Protocol, TcpFlag, hostKeyOf, macKey, type PacketView } from './packet.ts';
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
  /** The answer window, in ticks (core/lock.ts). */
  answerTicks: number;
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

export class CoreDecider implements PacketDecider {
  readonly #policy: CorePolicy;
  readonly #state: StateView;
  readonly #starts: TcpStarts;
  /** Flows whose start was given up at a byte or segment limit while it could still have matched. */
  startsGivenUp = 0;
  /** The packet being decided comes from the LAN networks (set at the top of decide()). */
  #onLan = false;

  /** The longest client start of any module's TcpHandshake (0: none). */
  readonly #longestHandshake: number;

  constructor(policy: CorePolicy, state: StateView, starts: TcpStarts = new TcpStarts()) {
    this.#policy = policy;
    this.#longestHandshake = Math.max(0, ...policy.protocols.map((module) => module.tcpHandshake?.clientBytes ?? 0));
    this.#state = state;
    this.#starts = starts;
  }

  /** Flows still being watched that newer flows pushed out of the reassembly memory. */
  get startsEvicted(): number {
    return this.#starts.evicted;
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
      this.#decideProbeAnswer(packet, nowTicks, out);
    } else if (packet.protocol === Protocol.UDP) {
      this.#decideUdp(packet, out);
    } else if (packet.protocol === Protocol.TCP) {
      if (!onLan && this.#policy.lanNetworks.contains(packet.dstIp)) {
        this.#decideAnswer(packet, out);
        return;
      }
      if ((packet.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) this.#decideSyn(packet, nowTicks, out);
      else this.#decideTcpSegment(packet, out);
    }
    if (!onLan) this.#teachNothing(out);
    else if (out.learnPeer && this.#policy.neverPeer.contains(packet.dstIp)) {
      out.learnPeer = false;
      out.spoofReply = false;
    }
    if (out.extraPeerIp !== 0 && (!onLan || this.#policy.neverPeer.contains(out.extraPeerIp))) {
      out.extraPeerIp = 0;
      out.extraPeerPort = 0;
    }
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
    out.probeAnswer = false;
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
    const first = this.#policy.probePort;
    if (packet.protocol !== Protocol.UDP || packet.dstPort < first || packet.dstPort >= first + this.#policy.probePorts || !this.#isProbeAnswer(packet, out)) {
      out.reason = Reason.NOT_FASTTRACK;
      return;
    }
    const hostKey = hostKeyOf(packet, this.#policy.hostKeySecret);
    if (!this.#onLan || this.#state.probePort(packet.srcIp, hostKey) !== packet.dstPort
      || !answerInWindow(this.#state.probeSent(packet.srcIp, hostKey), nowTicks, this.#policy.answerTicks)) {
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

  /** Decisions 1 and 2 for UDP. */
  #decideUdp(packet: PacketView, out: Decision): void {
    const sign = this.#recogniseUdp(packet, out);
    if (sign !== UdpSign.NONE) {
      out.reason = Reason.FASTTRACK_UDP;
      out.identifyClient = true;
      out.learnPeer = true;
      out.spoofReply = (sign & UdpSign.REQUEST) !== 0;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
      return;
    }
    out.reason = Reason.NOT_FASTTRACK;
    if (this.#peerGoverns(packet, out)) {
      out.reason = Reason.KNOWN_PEER_UDP;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
    }
  }

  /** Decisions 2 and 3 for a new TCP connection. */
  #decideSyn(packet: PacketView, nowTicks: number, out: Decision): void {
    out.reason = Reason.NOT_FASTTRACK;
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
    this.#judgeStart(packet, true, out);
    if (out.reason === Reason.NOT_FASTTRACK) out.reason = reason; // keep UNCONFIRMED_PEER
  }

  /**
   * A TCP segment that is not a SYN: queued because it carries a protocol's marker (the safety net)
   * or because conntrack did not know its flow (opened before ftwall ran, or cut when its peer was
   * learned). A flow to a known peer is dropped and locks its host, as its SYN would have.
   */
  #decideTcpSegment(packet: PacketView, out: Decision): void {
    if (packet.payloadLength > 0) this.#decideTcpData(packet, out);
    else out.reason = Reason.NOT_FASTTRACK;
    if (out.reason !== Reason.NOT_FASTTRACK || !this.#peerGoverns(packet, out)) return;
    out.reason = Reason.KNOWN_PEER_TCP;
    out.verdict = Verdict.DROP;
    out.identifyClient = true;
    out.lockClient = this.#policy.lockEnabled;
  }

  /**
   * A TCP segment from outside to a LAN host, queued by the reply chain: a server's first data on a
   * flow whose start is not judged yet, or a segment of a flow conntrack did not know. It decides a
   * held handshake (see the file comment); a flow from a known peer is dropped. It never gives a
   * flow the bypass bit: only the client's side judges a start clean.
   */
  #decideAnswer(packet: PacketView, out: Decision): void {
    out.reason = Reason.NOT_FASTTRACK;
    out.watchFlow = true;
    if (this.#policy.exempt.contains(packet.dstIp)) {
      out.reason = Reason.EXEMPT;
      return;
    }
    const starts = this.#starts;
    const slot = this.#policy.safetyNet ? starts.find(packet.dstIp, packet.srcIp, packet.dstPort, packet.srcPort) : -1;
    const state = slot < 0 ? StartState.CLEAN : starts.state(slot);
    const answered = slot < 0 || state === StartState.MATCHED || packet.payloadLength === 0 ? 0 : starts.addAnswer(slot, packet.tcpSeq, packet.payloadLength);
    if (state === StartState.AWAITING) {
      const id = this.#handshakeOf(starts.length(slot), answered);
      if (id < 0) {
        if (this.#handshakeOf(starts.length(slot), -1, answered) >= 0) return; // part of the answer: wait for the rest
        starts.setState(slot, StartState.WATCHING); // not the handshake: the client's bytes go on being judged
        return;
      }
      starts.setState(slot, StartState.MATCHED);
      out.protocol = id;
      out.identifyClient = true;
      out.learnPeer = !this.#policy.neverPeer.contains(packet.srcIp);
      out.lockClient = this.#policy.lockEnabled;
      out.turnAround = true;
      out.clientMacHigh = starts.clientMacHigh(slot);
      out.clientMacLow = starts.clientMacLow(slot);
    }
    if (state === StartState.AWAITING || (state === StartState.MATCHED && this.#handshakeOf(starts.length(slot), -1) >= 0)) {
      out.reason = Reason.TCP_HANDSHAKE;
      out.verdict = Verdict.DROP;
    } else if (this.#peerGovernsAnswer(packet, slot)) {
      out.reason = Reason.KNOWN_PEER_TCP;
      out.verdict = Verdict.DROP;
    }
  }

  /**
   * #peerGoverns for a packet from the peer: a confirmed peer's, to any host; a learned peer's, to
   * a client identified by its IP and the MAC its flow's start came with (unknown without it).
   */
  #peerGovernsAnswer(packet: PacketView, slot: number): boolean {
    const status = this.#state.peerStatus(packet.srcIp, packet.srcPort);
    if (status === PeerStatus.CONFIRMED) return true;
    if (status === PeerStatus.NONE || slot < 0) return false;
    const hostKey = macKey(this.#starts.clientMacHigh(slot), this.#starts.clientMacLow(slot), this.#policy.hostKeySecret);
    return (this.#state.clientStatus(packet.dstIp, hostKey) & ClientStatus.IDENTIFIED) !== 0;
  }

  /** Whether the client start fits some module's TcpHandshake. */
  #handshakeFits(bytes: Uint8Array, offset: number, length: number): boolean {
    for (const module of this.#policy.protocols) {
      const shake = module.tcpHandshake;
      if (shake && shake.clientBytes === length && shake.clientFits(bytes, offset, length)) return true;
    }
    return false;
  }

  /**
   * The first module whose TcpHandshake has these sizes (serverBytes -1: any; with `below`, one
   * whose server answer is longer than that), or -1.
   */
  #handshakeOf(clientBytes: number, serverBytes: number, below = -1): number {
    const protocols = this.#policy.protocols;
    for (let id = 0; id < protocols.length; id++) {
      const shake = protocols[id]!.tcpHandshake;
      if (shake && shake.clientBytes === clientBytes && (serverBytes < 0 || shake.serverBytes === serverBytes) && shake.serverBytes > below) return id;
    }
    return -1;
  }

  /**
   * The first module whose recogniseTcp says MATCH for bytes[offset, offset+length), or -1; sets
   * #more when some module wants more bytes.
   */
  #recogniseTcp(bytes: Uint8Array, offset: number, length: number): number {
    const protocols = this.#policy.protocols;
    for (let id = 0; id < protocols.length; id++) {
      const sign = protocols[id]!.recogniseTcp(bytes, offset, length);
      if (sign === TcpSign.MATCH) return id;
      if (sign === TcpSign.MORE) this.#more = true;
    }
    return -1;
  }

  #more = false;

  /** Decision 5: the safety net, for TCP data the kernel queued from a flow's first packets. */
  #decideTcpData(packet: PacketView, out: Decision): void {
    out.reason = Reason.NOT_FASTTRACK;
    if (this.#policy.safetyNet) this.#judgeStart(packet, (packet.tcpFlags & TcpFlag.SYN) !== 0, out);
  }

  /**
   * Adds the segment to its flow's start and judges the start in stream order (and the segment
   * alone, as a last resort for a start whose first bytes were never seen). Sets the safety net's
   * decision on a match; else NOT_FASTTRACK, with watchFlow while more bytes could still match.
   */
  #judgeStart(packet: PacketView, syn: boolean, out: Decision): void {
    const starts = this.#starts;
    const slot = starts.add(packet.srcIp, packet.dstIp, packet.srcPort, packet.dstPort, packet.tcpSeq, syn, packet.bytes, packet.payloadOffset, packet.payloadLength);
    const state = starts.state(slot);
    out.reason = Reason.NOT_FASTTRACK;
    if (state === StartState.CLEAN) return;
    starts.setClientMac(slot, packet.srcMacHigh, packet.srcMacLow);
    this.#more = false;
    let bytes = starts.bytes;
    let offset = starts.offset(slot);
    let length = starts.length(slot);
    let id = this.#recogniseTcp(bytes, offset, length);
    if (id < 0 && packet.payloadLength > 0 && length !== packet.payloadLength) {
      const more = this.#more;
      id = this.#recogniseTcp(packet.bytes, packet.payloadOffset, packet.payloadLength);
      this.#more = more; // only the start in stream order decides whether to wait for more
      if (id >= 0) {
        bytes = packet.bytes;
        offset = packet.payloadOffset;
        length = packet.payloadLength;
      }
    }
    if (id < 0 && state === StartState.MATCHED) { // a handshake matched on the server's answer
      out.reason = Reason.TCP_HANDSHAKE;
      out.verdict = Verdict.DROP;
      return;
    }
    if (id < 0) {
      // Exactly a handshake's client bytes of binary from the SYN on, nothing beyond, the client
      // first: hold it for the answer (more bytes from the client end the wait).
      const whole = starts.fromSyn(slot) && !starts.serverFirst(slot) && starts.extent(slot) === length;
      if (whole && this.#handshakeFits(bytes, offset, length)) {
        starts.setState(slot, StartState.AWAITING);
        out.watchFlow = true;
        return;
      }
      // Shorter than a handshake's client bytes so far (a client may split them): wait for more.
      if (whole && length < this.#longestHandshake && !starts.full(slot)) {
        out.watchFlow = true;
        return;
      }
      if (state === StartState.AWAITING) starts.setState(slot, StartState.WATCHING);
      if (this.#more && !starts.full(slot)) {
        out.watchFlow = true;
        return;
      }
      if (this.#more) this.startsGivenUp++;
      starts.setState(slot, StartState.CLEAN);
      return;
    }
    starts.setState(slot, StartState.MATCHED);
    out.protocol = id;
    out.reason = Reason.SAFETY_NET;
    out.verdict = Verdict.DROP;
    out.identifyClient = true;
    out.learnPeer = true;
    out.lockClient = this.#policy.lockEnabled;
    const named = this.#policy.protocols[id]!.namedPeer(bytes, offset, length);
    if (named) {
      out.extraPeerIp = named.ip;
      out.extraPeerPort = named.port;
    }
  }
}

