// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * FastTrack (Kazaa, KazaaLite, iMesh, Grokster) as a protocol module (docs/FASTTRACK.md):
 * - UDP: 0x27 pings and 0x28 pongs carry an allow-listed network name (strong; a ping is a request,
 *   answered with a spoofed 0x28 pong and kept as the probe); 0x29 and 0x2A carry none (weak).
 * - TCP: file-transfer HTTP at the start of a flow (GET /.hash=, GIVE, X-Kazaa- headers, the
 *   client's agent), which may name a further supernode (X-Kazaa-SupernodeIP).
 * - TCP handshake: a flow that starts with exactly 12 bytes, answered by exactly 8 (the session's
 *   clear handshake: no fixed bytes, the first word is random in real clients; session.ts).
 * - Probe: a copy of the client's own ping; any FastTrack datagram back to the probe port answers it.
 */
import type { NamedPeer, ProtocolModule, ProtocolOptions } from '../../protocol.ts';
import { TcpSign, UdpSign } from '../../protocol.ts';
import { HttpMarker, findHttpMarker, findSupernodeAddress, headerBlockOpen } from './http.ts';
import { pongFor } from './pong.ts';
import { SESSION_CLIENT_BYTES, SESSION_SERVER_BYTES, sessionStartFits } from './session.ts';
import { FastTrackUdp, NetworkNames, classifyFastTrackUdp, isWeak } from './udp.ts';

export function createFastTrack(options: ProtocolOptions): ProtocolModule {
  const names = new NetworkNames(options.networkNames);
  return {
    name: 'fasttrack',
    // 0x27 to 0x2A: from the 5-byte 0x2A to a 0x28 pong with the longest configured name.
    udpShapes: [{ firstByte: [0x27, 0x2a], payloadLength: [5, 12 + names.longest] }],
    localUdp: [], // pings go to supernodes, never to the router
    recogniseUdp(bytes, offset, length) {
      const kind = classifyFastTrackUdp(bytes, offset, length, names);
      if (kind === FastTrackUdp.NONE) return UdpSign.NONE;
      if (isWeak(kind)) return UdpSign.WEAK;
      return kind === FastTrackUdp.PING ? UdpSign.STRONG | UdpSign.REQUEST : UdpSign.STRONG;
    },
    recogniseTcp(bytes, offset, length) {
      if (findHttpMarker(bytes, offset, length) !== HttpMarker.NONE) return TcpSign.MATCH;
      return headerBlockOpen(bytes, offset, length) ? TcpSign.MORE : TcpSign.NONE;
    },
    recogniseTcpLater: () => false, // its start never says WATCH
    tcpHandshake: { clientBytes: SESSION_CLIENT_BYTES, serverBytes: SESSION_SERVER_BYTES, clientFits: sessionStartFits },
    namedPeer(bytes, offset, length): NamedPeer | null {
      const found = findSupernodeAddress(bytes, offset, length);
      return found ? { ip: found[0], port: found[1] } : null;
    },
    isProbeAnswer(bytes, offset, length, fromIdentifiedClient) {
      const kind = classifyFastTrackUdp(bytes, offset, length, names);
      return kind !== FastTrackUdp.NONE && (fromIdentifiedClient || !isWeak(kind));
    },
    replies: true,
    buildReply: pongFor,
    buildProbe: (seed) => seed.slice(), // the caller reuses the seed buffer
  };
}
