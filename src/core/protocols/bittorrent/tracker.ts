// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * UDP tracker requests (BEP 15, options BEP 41; docs/BITTORRENT.md "UDP trackers"). A client
 * first sends a connect request: exactly 16 bytes, the 64-bit protocol id 0x41727101980, action 0
 * and a transaction id. With the connection id the tracker returns it announces: 98 bytes of fixed
 * fields, then optional BEP 41 options. Pure; no allocation.
 */
import { u32 } from '../bytes.ts';

export const UdpTracker = { NONE: 0, CONNECT: 1, ANNOUNCE: 2 } as const;
export type UdpTracker = (typeof UdpTracker)[keyof typeof UdpTracker];

export const CONNECT_BYTES = 16;
export const ANNOUNCE_BYTES = 98;
/** BEP 41 options after the fixed fields: a URL path in a few chunks of at most 255 bytes. */
const ANNOUNCE_MAX_BYTES = ANNOUNCE_BYTES + 1024;
/** The connect request's protocol id, 0x41727101980, as two words. */
const PROTOCOL_ID_HIGH = 0x417;
const PROTOCOL_ID_LOW = 0x27101980;
const ACTION_CONNECT = 0;
const ACTION_ANNOUNCE = 1;

/** A 64-bit byte count at `at` that a client could send: below 2^48 (256 TiB), or -1 (unknown). */
function plausibleCount(bytes: Uint8Array, at: number): boolean {
  const high = u32(bytes, at);
  return high <= 0xffff || (high === 0xffffffff && u32(bytes, at + 4) === 0xffffffff);
}

/** Whether bytes[at, end) are well-formed BEP 41 options: 0 ends them, 1 is one byte, others carry a length byte. */
function optionsFit(bytes: Uint8Array, at: number, end: number): boolean {
  let i = at;
  while (i < end) {
    const type = bytes[i]!;
    if (type === 0) return true; // EndOfOptions: what follows is not parsed
    if (type === 1) {
      i++;
      continue;
    }
    if (i + 2 > end) return false;
    i += 2 + bytes[i + 1]!;
  }
  return i === end;
}

/** Classifies the UDP payload bytes[offset, offset+length) as a UDP tracker request. */
export function classifyUdpTracker(bytes: Uint8Array, offset: number, length: number): UdpTracker {
  if (length === CONNECT_BYTES) {
    const connect = u32(bytes, offset) === PROTOCOL_ID_HIGH && u32(bytes, offset + 4) === PROTOCOL_ID_LOW && u32(bytes, offset + 8) === ACTION_CONNECT;
    return connect ? UdpTracker.CONNECT : UdpTracker.NONE;
  }
  if (length < ANNOUNCE_BYTES || length > ANNOUNCE_MAX_BYTES || u32(bytes, offset + 8) !== ACTION_ANNOUNCE) return UdpTracker.NONE;
  // connection id 0-7, action 8, transaction 12, info hash 16, peer id 36, downloaded 56, left 64,
  // uploaded 72, event 80 (0 none, 1 completed, 2 started, 3 stopped), IP 84, key 88, num_want 92, port 96.
  if (!plausibleCount(bytes, offset + 56) || !plausibleCount(bytes, offset + 64) || !plausibleCount(bytes, offset + 72)) return UdpTracker.NONE;
  if (u32(bytes, offset + 80) > 3) return UdpTracker.NONE;
  const numWant = u32(bytes, offset + 92);
  if (numWant > 0xffff && numWant !== 0xffffffff) return UdpTracker.NONE; // -1 is the default
  if (bytes[offset + 96] === 0 && bytes[offset + 97] === 0) return UdpTracker.NONE; // the client's port is never 0
  return optionsFit(bytes, offset + ANNOUNCE_BYTES, offset + length) ? UdpTracker.ANNOUNCE : UdpTracker.NONE;
}
