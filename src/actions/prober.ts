// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The router's own UDP socket that probes are sent from (FTWALL_PROBE_PORT). Probes leave through
 * OUTPUT, which ftwall never queues. Like spoofed pongs, they go only to LAN hosts and at most
 * FTWALL_SPOOF_RATE per second in all, so no flood of forged pings can turn them into a generator.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { CidrList } from '../core/cidr.ts';
import { ipToString } from '../core/packet.ts';
import { TokenBucket } from '../core/token-bucket.ts';

export type ProbeOutcome = 'sent' | 'not_lan' | 'rate_limited';

export interface ProbeSocketOptions {
  port: number;
  lanNetworks: CidrList;
  ratePerSecond: number;
}

export class ProbeSocket {
  readonly #socket: dgram.Socket;
  readonly #lan: CidrList;
  readonly #bucket: TokenBucket;
  readonly counts: Record<ProbeOutcome, number> = { sent: 0, not_lan: 0, rate_limited: 0 };

  private constructor(socket: dgram.Socket, options: ProbeSocketOptions) {
    this.#socket = socket;
    this.#lan = options.lanNetworks;
    this.#bucket = new TokenBucket(options.ratePerSecond);
  }

  static async open(options: ProbeSocketOptions): Promise<ProbeSocket> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    // Answers are queued (INPUT) and dropped by ftwall; in monitor mode they reach us: discard.
    socket.on('message', () => {});
    socket.bind(options.port);
    await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([error]) => { throw error; })]);
    return new ProbeSocket(socket, options);
  }

  /** Sends one probe; false when it is refused (not a LAN host, or over the rate). */
  send(clientIp: number, clientPort: number, ping: Uint8Array, nowMs = Date.now()): boolean {
    const outcome: ProbeOutcome = !this.#lan.contains(clientIp) ? 'not_lan' : this.#bucket.take(nowMs) ? 'sent' : 'rate_limited';
    this.counts[outcome]++;
    if (outcome !== 'sent') return false;
    this.#socket.send(ping, clientPort, ipToString(clientIp));
    return true;
  }

  close(): void {
    this.#socket.close();
  }
}
