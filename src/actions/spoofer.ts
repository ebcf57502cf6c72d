// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Sends spoofed replies (a FastTrack 0x28 pong to a 0x27 ping: the bytes are the protocol
 * module's) to LAN clients as if from the peer they asked, through a raw IPPROTO_RAW socket
 * (IP_HDRINCL implied; send-only). Only to LAN hosts, at most one per (client, peer) per second,
 * and at most FTWALL_SPOOF_RATE per second in all.
 */
import { randomInt } from 'node:crypto';
import type { CidrList } from '../core/cidr.ts';
import { ipToString } from '../core/packet.ts';
import type { ProtocolModule } from '../core/protocol.ts';
import type { SpoofRequest } from '../state/apply.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import { buildUdpPacket } from './udp-packet.ts';

const SOL_SOCKET = 1;
const SO_MARK = 36;
const IPPROTO_RAW = 255;
/** One pong per (client, peer) per this many ms. */
const PAIR_INTERVAL_MS = 1000;
const PAIR_MEMORY_MAX = 65536;

/** The part of raw-socket's Socket that the spoofer uses (injectable for tests). */
export interface RawSender {
  send(buffer: Buffer, offset: number, length: number, address: string, afterCallback: (error: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number): void;
  pauseRecv(): void;
  close(): void;
}

export type SpoofOutcome = 'sent' | 'not_lan' | 'rate_limited' | 'repeat';

export interface SpooferOptions {
  /** The configured protocol modules: a request's `protocol` indexes them. */
  protocols: readonly ProtocolModule[];
  lanNetworks: CidrList;
  ratePerSecond: number;
  mark: number;
  socket: RawSender;
  onError?: (error: Error) => void;
}

/** Opens raw-socket's IPPROTO_RAW socket (only the main thread may load raw-socket). */
export async function openRawSender(): Promise<RawSender> {
  const raw = (await import('raw-socket')).default;
  return raw.createSocket({ protocol: IPPROTO_RAW });
}

export class Spoofer {
  readonly #options: SpooferOptions;
  readonly #lastByPair = new Map<string, number>();
  readonly #bucket: TokenBucket;
  readonly counts: Record<SpoofOutcome, number> = { sent: 0, not_lan: 0, rate_limited: 0, repeat: 0 };

  /** The name of the protocol module with this id. */
  protocolName(protocol: number): string | undefined {
    return this.#options.protocols[protocol]?.name;
  }

  constructor(options: SpooferOptions) {
    this.#options = options;
    this.#bucket = new TokenBucket(options.ratePerSecond);
    options.socket.pauseRecv();
    options.socket.setOption(SOL_SOCKET, SO_MARK, options.mark >>> 0);
  }

  /** Sends the reply to one request; 'no_reply' when its protocol has none for it. */
  send(request: SpoofRequest, nowMs = Date.now()): SpoofOutcome | 'no_reply' {
    const protocol = this.#options.protocols[request.protocol];
    if (!protocol) return 'no_reply';
    const outcome = this.#admit(request, nowMs);
    this.counts[outcome]++;
    if (outcome !== 'sent') return outcome;
    // Built only once admitted: a spray of requests allocates nothing past the limits.
    const payload = protocol.buildReply(Buffer.from(request.request, 'latin1'));
    if (!payload) return 'no_reply';
    const packet = buildUdpPacket({
      srcIp: request.peerIp, dstIp: request.clientIp, srcPort: request.peerPort, dstPort: request.clientPort,
      payload, id: randomInt(0, 0x10000),
    });
    const buffer = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    this.#options.socket.send(buffer, 0, buffer.length, ipToString(request.clientIp), (error) => {
      if (error) this.#options.onError?.(error);
    });
    return outcome;
  }

  #admit(request: SpoofRequest, nowMs: number): SpoofOutcome {
    if (!this.#options.lanNetworks.contains(request.clientIp)) return 'not_lan';
    const pair = `${request.clientIp}:${request.peerIp}:${request.peerPort}`;
    const last = this.#lastByPair.get(pair);
    if (last !== undefined && nowMs - last < PAIR_INTERVAL_MS) return 'repeat';
    if (!this.#bucket.take(nowMs)) return 'rate_limited';
    if (this.#lastByPair.size >= PAIR_MEMORY_MAX) this.#lastByPair.clear();
    this.#lastByPair.set(pair, nowMs);
    return 'sent';
  }

  close(): void {
    this.#options.socket.close();
  }
}
