// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * FTWALL.md's decisions 1-5 as a pure function of (packet, time, state view). Pure: no sockets,
 * no timers, no writes; the caller applies the Decision's changes and actions.
 */
import type { CidrList } from './cidr.ts';
import { FastTrackUdp, classifyFastTrackUdp, isWeak, type NetworkNames } from './fasttrack.ts';
import { HttpMarker, findHttpMarker, findSupernodeAddress } from './http-markers.ts';
import { Protocol, TcpFlag, type PacketView } from './packet.ts';
import { PacketHook, Reason, Verdict, type Decision, type PacketDecider, type StateView } from './types.ts';

export interface CorePolicy {
  names: NetworkNames;
  /** Drop FastTrack UDP (true) or let it through after noting it (false: the original -n). */
  blockUdp: boolean;
  /** Time locks on (FTWALL_LOCK_SECONDS > 0). */
  lockEnabled: boolean;
  /** Port the router's probes come from: FastTrack UDP to it on INPUT answers a probe. */
  probePort: number;
  /** LAN hosts never touched. */
  exempt: CidrList;
  /** Inspect TCP payloads queued by the safety-net rules. */
  safetyNet: boolean;
}

export class FastTrackDecider implements PacketDecider {
  readonly #policy: CorePolicy;
  readonly #state: StateView;

  constructor(policy: CorePolicy, state: StateView) {
    this.#policy = policy;
    this.#state = state;
  }

  decide(packet: PacketView, nowTicks: number, out: Decision): void {
    if (!packet.transport) return; // IPv6, fragments without headers, other protocols: ACCEPT
    if (this.#policy.exempt.contains(packet.srcIp)) {
      out.reason = Reason.EXEMPT;
      return;
    }
    if (packet.hook === PacketHook.INPUT) {
      this.#decideProbeAnswer(packet, out);
    } else if (packet.protocol === Protocol.UDP) {
      this.#decideUdp(packet, out);
    } else if (packet.protocol === Protocol.TCP) {
      if ((packet.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) this.#decideSyn(packet, nowTicks, out);
      else if (packet.payloadLength > 0) this.#decideTcpData(packet, out);
      else out.reason = Reason.NOT_FASTTRACK;
    }
  }

  #classify(packet: PacketView): FastTrackUdp {
    const kind = classifyFastTrackUdp(packet.bytes, packet.payloadOffset, packet.payloadLength, this.#policy.names);
    // 0x29 and 0x2A have no network name: they count only from a client already identified.
    if (isWeak(kind) && !this.#state.isIdentifiedClient(packet.srcIp)) return FastTrackUdp.NONE;
    return kind;
  }

  /** Decision 4's second half: the client's FastTrack answer to a probe arrives on INPUT. */
  #decideProbeAnswer(packet: PacketView, out: Decision): void {
    if (packet.protocol !== Protocol.UDP || packet.dstPort !== this.#policy.probePort || this.#classify(packet) === FastTrackUdp.NONE) {
      out.reason = Reason.NOT_FASTTRACK;
      return;
    }
    out.reason = Reason.PROBE_ANSWER;
    out.verdict = Verdict.DROP; // nothing on the router wants it
    out.probeAnswer = true;
    out.identifyClient = true;
    out.lockClient = this.#policy.lockEnabled;
  }

  /** Decisions 1 and 2 for UDP. */
  #decideUdp(packet: PacketView, out: Decision): void {
    const kind = this.#classify(packet);
    if (kind !== FastTrackUdp.NONE) {
      out.reason = Reason.FASTTRACK_UDP;
      out.identifyClient = true;
      out.learnPeer = true;
      out.spoofPong = kind === FastTrackUdp.PING;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
      return;
    }
    if (this.#state.isPeer(packet.dstIp, packet.dstPort)) {
      out.reason = Reason.KNOWN_PEER_UDP;
      out.verdict = this.#policy.blockUdp ? Verdict.DROP : Verdict.ACCEPT;
      return;
    }
    out.reason = Reason.NOT_FASTTRACK;
  }

  /** Decisions 2 and 3 for a new TCP connection. */
  #decideSyn(packet: PacketView, nowTicks: number, out: Decision): void {
    if (this.#state.isPeer(packet.dstIp, packet.dstPort)) {
      out.reason = Reason.KNOWN_PEER_SYN;
      out.verdict = Verdict.DROP;
      out.identifyClient = true;
      out.lockClient = this.#policy.lockEnabled;
      return;
    }
    if (this.#policy.lockEnabled && this.#state.lockUntil(packet.srcIp) > nowTicks) {
      out.reason = Reason.CLIENT_LOCKED;
      out.verdict = Verdict.DROP;
      return;
    }
    out.reason = Reason.NOT_FASTTRACK;
  }

  /** Decision 5: the safety net, for TCP data that the string rules queued. */
  #decideTcpData(packet: PacketView, out: Decision): void {
    if (!this.#policy.safetyNet || findHttpMarker(packet.bytes, packet.payloadOffset, packet.payloadLength) === HttpMarker.NONE) {
      out.reason = Reason.NOT_FASTTRACK;
      return;
    }
    out.reason = Reason.SAFETY_NET;
    out.verdict = Verdict.DROP;
    out.identifyClient = true;
    out.learnPeer = true;
    out.lockClient = this.#policy.lockEnabled;
    const supernode = findSupernodeAddress(packet.bytes, packet.payloadOffset, packet.payloadLength);
    if (supernode) {
      out.extraPeerIp = supernode[0];
      out.extraPeerPort = supernode[1];
    }
  }
}
