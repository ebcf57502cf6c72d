// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The router's own UDP socket that probes are sent from (FTWALL_PROBE_PORT). Probes leave through
 * OUTPUT, which ftwall never queues.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { ipToString } from '../core/packet.ts';

export class ProbeSocket {
  readonly #socket: dgram.Socket;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  static async open(port: number): Promise<ProbeSocket> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    // Answers are queued (INPUT) and dropped by ftwall; in monitor mode they reach us: discard.
    socket.on('message', () => {});
    socket.bind(port);
    await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([error]) => { throw error; })]);
    return new ProbeSocket(socket);
  }

  send(clientIp: number, clientPort: number, ping: Uint8Array): void {
    this.#socket.send(ping, clientPort, ipToString(clientIp));
  }

  close(): void {
    this.#socket.close();
  }
}
