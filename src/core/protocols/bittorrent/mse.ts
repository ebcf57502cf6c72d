// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Message stream encryption (MSE/PE; docs/BITTORRENT.md "Encrypted TCP"): the initiator opens with
 * its Diffie-Hellman key (96 bytes) and 0-512 bytes of random padding, nothing fixed. The two sides
 * then agree on a method; when they pick plaintext, the peer wire handshake follows in the clear,
 * some hundreds of bytes into either stream. So a start that looks random is watched, and the
 * flow's next segments are searched for the handshake's 20 fixed bytes. Pure; no allocation.
 */
import { startsWith } from '../bytes.ts';
import { HANDSHAKE_PREFIX } from './handshake.ts';

/** Bytes of a start looked at to call it random. */
const SAMPLE_BYTES = 16;
/** At least this many distinct values among them (random bytes: 15.5 on average; protocol headers repeat zeros and lengths). */
const MIN_DISTINCT = 13;
/** Fewer printable ones than this (random: 6 on average; text protocols: all 16). */
const MAX_PRINTABLE = 12;
/** The byte values seen, a 256-bit set (one per process: the call is synchronous). */
const SEEN = new Int32Array(8);

/**
 * Whether a TCP flow's start could be an MSE/PE key exchange: its first 16 bytes look random
 * (nearly all distinct, not text). A TLS record, an HTTP or SSH line, a length-prefixed binary
 * header do not; some other random-looking starts (obfuscated proxies) do, and are only watched.
 */
export function couldBeMse(bytes: Uint8Array, offset: number, length: number): boolean {
  if (length < SAMPLE_BYTES) return false;
  const seen = SEEN;
  seen.fill(0);
  let distinct = 0;
  let printable = 0;
  for (let i = 0; i < SAMPLE_BYTES; i++) {
    const c = bytes[offset + i]!;
    const bit = 1 << (c & 31);
    const word = c >>> 5;
    if ((seen[word]! & bit) === 0) {
      seen[word]! |= bit;
      distinct++;
    }
    if (c >= 0x20 && c < 0x7f) printable++;
  }
  return distinct >= MIN_DISTINCT && printable < MAX_PRINTABLE;
}

/** Whether bytes[offset, offset+length) hold the handshake's 20 fixed bytes anywhere. */
export function holdsHandshake(bytes: Uint8Array, offset: number, length: number): boolean {
  const end = offset + length;
  const first = HANDSHAKE_PREFIX[0]!;
  for (let at = offset; at + HANDSHAKE_PREFIX.length <= end; at++) {
    if (bytes[at] === first && startsWith(bytes, at, end, HANDSHAKE_PREFIX)) return true;
  }
  return false;
}
