// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The TCP half of decide() (core/decide.ts dispatches to it and owns one per worker): a flow's start
 * judged by the safety net, and a protocol's handshake held for the server's answer. Pure like the
 * decider: it reads the same policy and state view and writes only the Decision and its TcpStarts.
 *
 * The safety net judges a TCP flow's start in stream order: the judge owns a TcpStarts
 * (tcp-start.ts), its worker-local reassembly memory, bounded and pure like the rest; it is the
 * one thing decide() writes, and only for the TCP data segments the kernel queues.
 *
 * A protocol whose TCP session has no fixed bytes is known by its handshake's sizes (TcpHandshake):
 * a start of exactly the client's size, from the SYN on, is held (AWAITING, no bypass bit), and the
 * server's first data, queued by the rules' reply chain, decides: exactly the server's size is the
 * protocol's session (dropped; the client identified and locked, the server learned as a peer, in
 * the client's name: Decision.turnAround); anything else leaves the flow to the safety net.
 */
import type { CorePolicy } from './decide.ts';
import { TcpSign } from './protocol.ts';
import { StartState, TcpStarts } from './tcp-start.ts';
import { TcpFlag, macKey, type PacketView } from './packet.ts';
import { ClientStatus, PeerStatus, Reason, Verdict, type Decision, type StateView } from './types.ts';

/** Client data segments a watched start (TcpSign.WATCH) is followed for (MSE/PE: key, hashes, offer, first payload). */
const WATCH_SEGMENTS = 6;
/** Server bytes a watched start is followed for (MSE/PE's handshake comes after at most 608 + 628 bytes). */
const WATCH_ANSWER_BYTES = 4096;

export class TcpJudge {
  readonly #policy: CorePolicy;
  readonly #state: StateView;
  readonly #starts: TcpStarts;
  /** Flows whose start was given up at a byte or segment limit while it could still have matched. */
  startsGivenUp = 0;
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

  /**
   * A TCP segment from outside to a LAN host, queued by the reply chain: a server's first data on a
   * flow whose start is not judged yet, or a segment of a flow conntrack did not know. It decides a
   * held handshake (see the file comment); a flow from a known peer is dropped. It never gives a
   * flow the bypass bit: only the client's side judges a start clean.
   */
  judgeAnswer(packet: PacketView, out: Decision): void {
    out.reason = Reason.NOT_P2P;
    out.watchFlow = true;
    if (this.#policy.exempt.contains(packet.dstIp)) {
      out.reason = Reason.EXEMPT;
      return;
    }
    const starts = this.#starts;
    const slot = this.#policy.safetyNet ? starts.find(packet.dstIp, packet.srcIp, packet.dstPort, packet.srcPort) : -1;
    const state = slot < 0 ? StartState.CLEAN : starts.state(slot);
    const answered = slot < 0 || state === StartState.MATCHED || packet.payloadLength === 0 ? 0 : starts.addAnswer(slot, packet.tcpSeq, packet.payloadLength);
    if (state === StartState.WATCHING && packet.payloadLength > 0 && this.#answerShowsSession(packet, slot, answered, out)) return;
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
   * A server's segment on a flow whose start some module watches (TcpSign.WATCH): the session in
   * the clear (BitTorrent's handshake after MSE/PE) is the protocol's: the segment dropped, the
   * client identified in its own name, the server learned (turnAround). Not locked: any server a
   * host reaches with a random-looking start (an obfuscated proxy, TLS picked up mid-flow) could
   * send those bytes; the host's own traffic locks it. Past WATCH_ANSWER_BYTES of answer the
   * start is given up (judged clean at the client's next segment).
   */
  #answerShowsSession(packet: PacketView, slot: number, answered: number, out: Decision): boolean {
    const starts = this.#starts;
    this.#watch = 0;
    this.#more = false;
    if (this.#recogniseTcp(starts.bytes, starts.offset(slot), starts.length(slot)) >= 0 || this.#watch === 0) return false;
    const id = this.#recogniseLater(packet.bytes, packet.payloadOffset, packet.payloadLength);
    if (id < 0) {
      if (answered > WATCH_ANSWER_BYTES) starts.setState(slot, StartState.CLEAN);
      return false;
    }
    starts.setState(slot, StartState.MATCHED);
    out.protocol = id;
    out.reason = Reason.SAFETY_NET;
    out.verdict = Verdict.DROP;
    out.identifyClient = true;
    out.learnPeer = !this.#policy.neverPeer.contains(packet.srcIp);
    out.turnAround = true;
    out.clientMacHigh = starts.clientMacHigh(slot);
    out.clientMacLow = starts.clientMacLow(slot);
    return true;
  }

  /**
   * The decider's #peerGoverns for a packet from the peer: a confirmed peer's, to any host; a
   * learned peer's, to a client identified by its IP and the MAC its flow's start came with
   * (unknown without it).
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
   * The first module whose recogniseTcp says MATCH or IDENTIFY for bytes[offset, offset+length), or
   * -1; sets #more when some module wants more bytes, #identifyOnly for an IDENTIFY.
   */
  #recogniseTcp(bytes: Uint8Array, offset: number, length: number): number {
    const protocols = this.#policy.protocols;
    for (let id = 0; id < protocols.length; id++) {
      const sign = protocols[id]!.recogniseTcp(bytes, offset, length);
      this.#identifyOnly = sign === TcpSign.IDENTIFY;
      if (sign === TcpSign.MATCH || sign === TcpSign.IDENTIFY) return id;
      if (sign === TcpSign.MORE) this.#more = true;
      else if (sign === TcpSign.WATCH) this.#watch |= 1 << id;
    }
    return -1;
  }

  /** The first module that said WATCH for the start (bits in #watch) and finds its session in this segment, or -1. */
  #recogniseLater(bytes: Uint8Array, offset: number, length: number): number {
    const protocols = this.#policy.protocols;
    for (let id = 0; id < protocols.length; id++) {
      if ((this.#watch & (1 << id)) !== 0 && protocols[id]!.recogniseTcpLater(bytes, offset, length)) return id;
    }
    return -1;
  }

  /** Modules (bit per protocol id) that said WATCH for the start just judged. */
  #watch = 0;
  #more = false;
  /** The last match was an IDENTIFY (forgeable by a third party: no lock, no peer). */
  #identifyOnly = false;

  /** Decision 5: the safety net, for TCP data the kernel queued from a flow's first packets. */
  judgeData(packet: PacketView, out: Decision): void {
    out.reason = Reason.NOT_P2P;
    if (this.#policy.safetyNet) this.judgeStart(packet, (packet.tcpFlags & TcpFlag.SYN) !== 0, out);
  }

  /**
   * Adds the segment to its flow's start and judges the start in stream order (and the segment
   * alone, as a last resort for a start whose first bytes were never seen). Sets the safety net's
   * decision on a match; else NOT_P2P, with watchFlow while more bytes could still match.
   */
  judgeStart(packet: PacketView, syn: boolean, out: Decision): void {
    const starts = this.#starts;
    const slot = starts.add(packet.srcIp, packet.dstIp, packet.srcPort, packet.dstPort, packet.tcpSeq, syn, packet.bytes, packet.payloadOffset, packet.payloadLength);
    const state = starts.state(slot);
    out.reason = Reason.NOT_P2P;
    if (state === StartState.CLEAN) return;
    starts.setClientMac(slot, packet.srcMacHigh, packet.srcMacLow);
    this.#more = false;
    this.#watch = 0;
    let bytes = starts.bytes;
    let offset = starts.offset(slot);
    let length = starts.length(slot);
    let id = this.#recogniseTcp(bytes, offset, length);
    if (id < 0 && packet.payloadLength > 0 && length !== packet.payloadLength) {
      const more = this.#more;
      const watch = this.#watch;
      id = this.#recogniseTcp(packet.bytes, packet.payloadOffset, packet.payloadLength);
      this.#more = more; // only the start in stream order decides whether to wait for more
      this.#watch = watch;
      if (id < 0) id = this.#recogniseLater(packet.bytes, packet.payloadOffset, packet.payloadLength);
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
      // A watched start (no fixed bytes) is given up sooner, and not counted as given up: most
      // such flows are no protocol's, and the kernel queues only a flow's first 16 packets.
      if (!this.#more && this.#watch !== 0 && !starts.full(slot) && starts.segments(slot) < WATCH_SEGMENTS) {
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
    if (this.#identifyOnly) { // a web page can cause this request: dropped and noted, nobody identified
      out.noted = true;
      return;
    }
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
