// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The clear start of a FastTrack session (docs/FASTTRACK.md): the client's 12 bytes are a random
 * word, its cipher seed and its encoded cipher type, with no fixed value, so only what they are not
 * can be checked. Pure.
 */

/** Bytes the client sends, and the supernode's answer. */
export const SESSION_CLIENT_BYTES = 12;
export const SESSION_SERVER_BYTES = 8;

/**
 * Whether 12 bytes can be a session start: not a text line (printable ASCII, tab, CR, LF: an IRC
 * client's `CAP LS 302\r\n` is 12 bytes; three random words are text 1 time in 100,000), and not a
 * SOCKS4 CONNECT or BIND with a 3-byte user id (version 4, command 1 or 2, NUL-terminated), whose
 * proxy also answers 8 bytes.
 */
export function sessionStartFits(bytes: Uint8Array, offset: number, length: number): boolean {
  if (length !== SESSION_CLIENT_BYTES) return false;
  if (bytes[offset] === 4 && (bytes[offset + 1] === 1 || bytes[offset + 1] === 2) && bytes[offset + length - 1] === 0) return false;
  for (let i = offset; i < offset + length; i++) {
    const c = bytes[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 9 && c !== 10 && c !== 13) return true;
  }
  return false;
}
