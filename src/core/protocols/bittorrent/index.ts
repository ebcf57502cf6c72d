// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * BitTorrent as a protocol module (docs/BITTORRENT.md):
 * - UDP: a DHT message (BEP 5), a uTP SYN (BEP 29) or uTP data opening with the peer wire
 *   handshake, a UDP tracker connect or announce (BEP 15) are strong and requests (kept as the
 *   probe's seed, for their source port; ftwall sends no reply); an LSD announcement (BEP 14) is
 *   strong; the other uTP packets are weak (they count only from a known client). All lock. A DNS
 *   query for a client's own domains (DHT bootstrap routers, update servers) identifies its host
 *   only, and passes.
 * - TCP: the peer wire handshake (BEP 3) or an HTTP tracker announce at the start of a flow; a
 *   start that could be MSE/PE is watched, and the handshake anywhere in the flow's next segments,
 *   either way (sent in the clear after MSE/PE picked plaintext), matches. No handshake by sizes
 *   (MSE/PE has none) and no further peer named.
 * - Probe: a DHT ping to the client's DHT port, from a node id and transaction id fixed per module
 *   instance (random at creation; not the client's own id, which some nodes ignore); the random
 *   source port of each probe is what makes an answer unforgeable. Any well-formed DHT response
 *   answers it.
 */
import type { ProtocolModule, ProtocolOptions } from '../../protocol.ts';
import { TcpSign, UdpSign } from '../../protocol.ts';
import { isClientLookup } from './dns.ts';
import { couldBeHandshake, startsWithHandshake } from './handshake.ts';
import { couldBeMse, holdsHandshake } from './mse.ts';
import { HttpAnnounce, classifyHttpAnnounce } from './http.ts';
import { KRPC_MIN_BYTES, Krpc, NODE_ID_BYTES, classifyKrpc } from './krpc.ts';
import { LSD_GROUP, LSD_PORT, isLsd } from './lsd.ts';
import { PROBE_TID_BYTES, buildPing } from './probe.ts';
import { CONNECT_BYTES, UdpTracker, classifyUdpTracker } from './tracker.ts';
import { UTP_HEADER_BYTES, UTP_SYN_BYTE, UTP_SYN_MAX_BYTES, Utp, classifyUtp } from './utp.ts';

const B_DICT = 0x64; // 'd': every KRPC message
const LSD_FIRST = 0x42; // 'B' of BT-SEARCH
const HANDSHAKE_FIRST = 0x13;
const GET_FIRST = 0x47; // 'G'
const DNS_PORT = 53;
/** The longest DHT datagram pre-matched in the kernel: every query but a BEP 44 put (docs/BITTORRENT.md "What the kernel queues"). */
export const DHT_SHAPE_MAX_BYTES = 1100;
/** The shortest DHT response or query: `d1:rd2:id20:<id>e1:t1:x1:y1:re`. */
export const DHT_SHAPE_MIN_BYTES = 46;

/**
 * UdpSign bits of a UDP payload. Every BitTorrent sign also locks (UdpSign.LOCK): a client's
 * discovery runs for as long as it does, and its data may go over TCP to peers it got elsewhere.
 * Only strong signs lock. Whatever a client sends from its one UDP socket (DHT, uTP, UDP trackers:
 * Transmission and aria2 share it) is a REQUEST: its source port is where the client's DHT answers the probe, so a client
 * seen only at its tracker announce is still probed (and its lock kept while it runs). LSD goes
 * from another socket: not a seed.
 */
export function recogniseBitTorrentUdp(bytes: Uint8Array, offset: number, length: number): number {
  const sign = classifyBitTorrentUdp(bytes, offset, length);
  return (sign & (UdpSign.STRONG | UdpSign.IDENTIFY)) === UdpSign.STRONG ? sign | UdpSign.LOCK : sign;
}

function classifyBitTorrentUdp(bytes: Uint8Array, offset: number, length: number): number {
  if (length === 0) return UdpSign.NONE;
  const first = bytes[offset]!;
  if (first === B_DICT) {
    const kind = classifyKrpc(bytes, offset, length);
    if (kind !== Krpc.NONE) return UdpSign.STRONG | UdpSign.REQUEST;
  } else if (first === LSD_FIRST) {
    if (isLsd(bytes, offset, length)) return UdpSign.STRONG;
  } else if ((first & 0x0f) === 1 && first <= UTP_SYN_BYTE) {
    const kind = classifyUtp(bytes, offset, length);
    if (kind === Utp.SYN || kind === Utp.HANDSHAKE) return UdpSign.STRONG | UdpSign.REQUEST;
    if (kind === Utp.OTHER) return UdpSign.WEAK;
  }
  // A tracker connect starts with 0x00; an announce with the tracker's random connection id. A
  // tracker is no peer (SERVER: not learned). An announce is weak: an EDNS query with padding fits
  // its fixed fields, and a real one always follows a connect.
  const tracker = classifyUdpTracker(bytes, offset, length);
  if (tracker === UdpTracker.CONNECT) return UdpSign.STRONG | UdpSign.REQUEST | UdpSign.SERVER;
  if (tracker === UdpTracker.ANNOUNCE) return UdpSign.WEAK | UdpSign.REQUEST | UdpSign.SERVER;
  // A lookup of a client's domains (any first byte: a DNS id) identifies its host only.
  return isClientLookup(bytes, offset, length) ? UdpSign.STRONG | UdpSign.IDENTIFY | UdpSign.SERVER : UdpSign.NONE;
}

/** TcpSign of a TCP flow's start. */
export function recogniseBitTorrentTcp(bytes: Uint8Array, offset: number, length: number): number {
  if (length === 0) return TcpSign.MORE;
  const end = offset + length;
  const first = bytes[offset];
  if (first === HANDSHAKE_FIRST) {
    if (startsWithHandshake(bytes, offset, end)) return TcpSign.MATCH;
    if (couldBeHandshake(bytes, offset, end)) return TcpSign.MORE;
  }
  if (first === GET_FIRST) {
    const sign = classifyHttpAnnounce(bytes, offset, length);
    // A browser's (any web page can have one fetch such a URL) is dropped and noted only.
    if (sign === HttpAnnounce.BROWSER) return TcpSign.IDENTIFY;
    if (sign === HttpAnnounce.MATCH) return TcpSign.MATCH;
    if (sign === HttpAnnounce.MORE) return TcpSign.MORE;
  }
  return couldBeMse(bytes, offset, length) ? TcpSign.WATCH : TcpSign.NONE;
}

export function createBitTorrent(_options: ProtocolOptions): ProtocolModule {
  const nodeId = crypto.getRandomValues(new Uint8Array(NODE_ID_BYTES));
  const tid = crypto.getRandomValues(new Uint8Array(PROBE_TID_BYTES));
  return {
    name: 'bittorrent',
    udpShapes: [
      { firstByte: [B_DICT, B_DICT], payloadLength: [DHT_SHAPE_MIN_BYTES, DHT_SHAPE_MAX_BYTES] },
      { firstByte: [UTP_SYN_BYTE, UTP_SYN_BYTE], payloadLength: [UTP_HEADER_BYTES, UTP_SYN_MAX_BYTES] },
      { firstByte: [0x00, 0x00], payloadLength: [CONNECT_BYTES, CONNECT_BYTES] },
    ],
    // LSD's group (BEP 14) is link-local in practice: a router sees it only if it joins it. A
    // client's lookups go to the router when it is the LAN's resolver.
    localUdp: [{ group: LSD_GROUP, port: LSD_PORT }, { group: null, port: DNS_PORT }],
    recogniseUdp: recogniseBitTorrentUdp,
    recogniseTcp: recogniseBitTorrentTcp,
    recogniseTcpLater: holdsHandshake,
    tcpHandshake: null,
    namedPeer: () => null,
    isProbeAnswer: (bytes, offset, length) => length >= KRPC_MIN_BYTES && bytes[offset] === B_DICT && classifyKrpc(bytes, offset, length) === Krpc.RESPONSE,
    replies: false, // a DHT query is dropped unanswered: the client gets nothing to go on
    buildReply: () => null,
    // The seed (the client's last DHT query, cut to 32 bytes) is not needed: any ping is answered.
    buildProbe: () => buildPing(nodeId, tid),
  };
}
