// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Sends ftwall's probes to LAN clients from the router's own address on their LAN, from the source
 * port the lock keeper picked at random for each probe (raw IPPROTO_RAW socket, IP_HDRINCL implied,
 * send-only: the answers come back through INPUT, where ftwall's rules queue them to the core). A
 * host that did not receive a probe cannot know its port, so it cannot forge the answer. Like
 * spoofed replies, probes go only to LAN hosts and at most FTWALL_SPOOF_RATE per second in all, so no
 * flood of forged pings can turn them into a generator.
 */
import { randomInt } from 'node:crypto';
import type { CidrList } from '../core/cidr.ts';
import { ipToString } from '../core/packet.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import type { RawSender } from './spoofer.ts';
import { buildUdpPacket } from './udp-packet.ts';

const SOL_SOCKET = 1;
const SO_MARK = 36;

export type ProbeOutcome = 'sent' | 'not_lan' | 'rate_limited';

/** One of the router's addresses on a LAN: probes to hosts in its network come from it. */
export interface RouterAddress {
  address: number;
  prefixLength: number;
}

export interface ProbeSenderOptions {
  lanNetworks: CidrList;
  /** The router's addresses on its LAN interfaces; the first serves hosts in none of their networks. */
  routerAddresses: readonly RouterAddress[];
  ratePerSecond: number;
  /** ftwall's mark, so its own packets skip its rules. */
  mark: number;
  socket: RawSender;
  onError?: (error: Error) => void;
}

export class ProbeSender {
  readonly #options: ProbeSenderOptions;
  readonly #bucket: TokenBucket;
  readonly counts: Record<ProbeOutcome, number> = { sent: 0, not_lan: 0, rate_limited: 0 };

  constructor(options: ProbeSenderOptions) {
    this.#options = options;
    this.#bucket = new TokenBucket(options.ratePerSecond);
    options.socket.pauseRecv();
    options.socket.setOption(SOL_SOCKET, SO_MARK, options.mark >>> 0);
  }

  /** The router's address a LAN host reaches it by: the one whose network holds it, else the first. */
  sourceFor(clientIp: number): number | undefined {
    const addresses = this.#options.routerAddresses;
    for (const { address, prefixLength } of addresses) {
      const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
      if (((address ^ clientIp) & mask) === 0) return address;
    }
    return addresses[0]?.address;
  }

  /** Sends one probe from `fromPort`; false when it is refused (not a LAN host, no address, or over the rate). */
  send(clientIp: number, clientPort: number, probe: Uint8Array, fromPort: number, nowMs = Date.now()): boolean {
    const source = this.sourceFor(clientIp);
    const outcome: ProbeOutcome = !this.#options.lanNetworks.contains(clientIp) || source === undefined ? 'not_lan' : this.#bucket.take(nowMs) ? 'sent' : 'rate_limited';
    this.counts[outcome]++;
    if (outcome !== 'sent') return false;
    const packet = buildUdpPacket({ srcIp: source!, dstIp: clientIp, srcPort: fromPort, dstPort: clientPort, payload: probe, id: randomInt(0, 0x10000) });
    const buffer = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    this.#options.socket.send(buffer, 0, buffer.length, ipToString(clientIp), (error) => {
      if (error) this.#options.onError?.(error);
    });
    return true;
  }

  close(): void {
    this.#options.socket.close();
  }
}
