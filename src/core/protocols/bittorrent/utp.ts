// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * uTP, the uTorrent transport protocol (BEP 29; docs/BITTORRENT.md "uTP"): a 20-byte header, then
 * a chain of extension headers, then the payload. Every check is on the whole header: version 1,
 * a known type, a well-formed extension chain of known extensions with their sizes, the payload
 * each type may carry (none but in ST_DATA), and a receive window below 16 MiB. Two common headers
 * that fit the rest are ruled out by their own fixed bytes: WireGuard's handshake initiation and a
 * STUN success response. Pure; no allocation.
 */
import { u32 } from '../bytes.ts';
import { startsWithHandshake } from './handshake.ts';

export const Utp = {
  NONE: 0,
  /** ST_SYN (0x41): the first packet of a connection; its destination is a peer. */
  SYN: 1,
  /** ST_DATA carrying the peer wire handshake (BEP 3) at the start of its payload. */
  HANDSHAKE: 2,
  /** ST_DATA (0x01), ST_FIN (0x11), ST_STATE (0x21), ST_RESET (0x31): only from a known client. */
  OTHER: 3,
} as const;
export type Utp = (typeof Utp)[keyof typeof Utp];

export const UTP_HEADER_BYTES = 20;
export const ST_DATA = 0;
export const ST_SYN = 4;
/** First byte of a SYN: type 4, version 1. */
export const UTP_SYN_BYTE = (ST_SYN << 4) | 1;
/**
 * A SYN carries no payload: its bare header (libtorrent: 20 bytes) or the header and the 8-byte
 * extension bits (libutp, Transmission: 30 bytes). Nothing else: a QUIC server chooses the
 * connection id its visitor writes at bytes 1-20 of every short-header packet, and could shape a
 * longer one into a SYN; at 20 and 30 bytes the fields a SYN needs fall in the packet's ciphertext.
 */
export const UTP_SYN_MAX_BYTES = 30;
const LIBUTP_SYN_BYTES = 30;
const EXTENSION_BITS = 2;

/**
 * wnd_size is the sender's free receive buffer: at most 1 MiB by default in libtorrent and libutp
 * (an application may raise it; 16 MiB leaves room). Below 2^24 it
 * also rules out a DNS or NetBIOS query whose random id looks like a uTP header: their first name
 * label's length byte lands in wnd_size's first byte.
 */
const UTP_WINDOW_LIMIT = 1 << 24;
/** A STUN message's magic cookie (RFC 5389), where uTP has its timestamp: 0x0101 is a STUN success response. */
const STUN_COOKIE = 0x2112a442;
/** WireGuard's handshake initiation: message type 1 and three zero bytes (where uTP has extension 0 and connection id 0). */
const WIREGUARD_INITIATION = 0x01000000;

/** Extensions: 1 selective ACK (4 bytes or more, whole words), 2 extension bits (8), 3 close reason (4, libtorrent). */
function extensionFits(type: number, length: number): boolean {
  if (type === 1) return length >= 4 && length % 4 === 0;
  if (type === 2) return length === 8;
  if (type === 3) return length === 4;
  return false;
}

/** Classifies the UDP payload bytes[offset, offset+length) as uTP. */
export function classifyUtp(bytes: Uint8Array, offset: number, length: number): Utp {
  if (length < UTP_HEADER_BYTES) return Utp.NONE;
  const first = bytes[offset]!;
  const type = first >> 4;
  if ((first & 0x0f) !== 1 || type > ST_SYN) return Utp.NONE;
  if (u32(bytes, offset + 12) >= UTP_WINDOW_LIMIT) return Utp.NONE;
  if (u32(bytes, offset) === WIREGUARD_INITIATION || u32(bytes, offset + 4) === STUN_COOKIE) return Utp.NONE;
  const end = offset + length;
  // The extension chain: [next type, length, bytes] each, until a next type of 0.
  let extension = bytes[offset + 1]!;
  let at = offset + UTP_HEADER_BYTES;
  while (extension !== 0) {
    if (at + 2 > end) return Utp.NONE;
    const size = bytes[at + 1]!;
    if (!extensionFits(extension, size) || at + 2 + size > end) return Utp.NONE;
    extension = bytes[at]!;
    at += 2 + size;
  }
  const payload = end - at;
  if (type === ST_DATA) {
    if (payload === 0) return Utp.NONE;
    return startsWithHandshake(bytes, at, end) ? Utp.HANDSHAKE : Utp.OTHER;
  }
  if (payload !== 0) return Utp.NONE;
  if (type !== ST_SYN) return Utp.OTHER;
  // A SYN has received nothing yet, so its timestamp_difference is 0 (libutp, libtorrent); its
  // length is exactly one of the two SYNs real libraries send.
  const shape = length === UTP_HEADER_BYTES || (length === LIBUTP_SYN_BYTES && bytes[offset + 1] === EXTENSION_BITS);
  return shape && u32(bytes, offset + 8) === 0 ? Utp.SYN : Utp.NONE;
}
