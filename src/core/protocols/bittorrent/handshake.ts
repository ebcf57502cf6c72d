// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The peer wire handshake (BEP 3; docs/BITTORRENT.md "Peer wire"): byte 19, then the 19 letters
 * `BitTorrent protocol`, then reserved bits, the info hash and the peer id (68 bytes in all). The
 * first 20 bytes are fixed; they start a TCP connection (or a uTP stream) in the clear, unless the
 * client uses MSE/PE, which leaves nothing fixed. Pure; no allocation.
 */
import { ascii, isPrefixOf, startsWith } from '../bytes.ts';

export const HANDSHAKE_PREFIX = ascii('\x13BitTorrent protocol');

/** Whether bytes[at, end) start with the 20 fixed bytes of the handshake. */
export function startsWithHandshake(bytes: Uint8Array, at: number, end: number): boolean {
  return startsWith(bytes, at, end, HANDSHAKE_PREFIX);
}

/** Whether bytes[at, end), shorter than 20 bytes, could still become the handshake. */
export function couldBeHandshake(bytes: Uint8Array, at: number, end: number): boolean {
  return end - at < HANDSHAKE_PREFIX.length && isPrefixOf(bytes, at, end, HANDSHAKE_PREFIX);
}
