// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Local Service Discovery (BEP 14; docs/BITTORRENT.md "LSD"): an HTTP-like multicast datagram,
 * `BT-SEARCH * HTTP/1.1`, with a Host header naming the LSD group and one or more Infohash headers
 * (40 hex digits). Pure; no allocation.
 */
import { ascii, isHex, startsWith } from '../bytes.ts';

const REQUEST_LINE = ascii('BT-SEARCH * HTTP/1.1\r\n');
const HOST = ascii('host:');
const INFOHASH = ascii('infohash:');
/** BEP 14's IPv4 group and port. */
export const LSD_GROUP = '239.192.152.143';
export const LSD_PORT = 6771;
/** The LSD groups, IPv4 and IPv6, with the port. */
const GROUPS = [ascii(`${LSD_GROUP}:${LSD_PORT}`), ascii(`[ff15::efc0:988f]:${LSD_PORT}`)];
const INFOHASH_HEX = 40;
const CR = 13;
const LF = 10;

/** The first byte at or after `at` that is not a space or tab (a header value's start). */
function skipBlanks(bytes: Uint8Array, at: number, end: number): number {
  while (at < end && (bytes[at] === 32 || bytes[at] === 9)) at++;
  return at;
}

/** The end of the header value from `at` to its line end `lineEnd`, without trailing CR and blanks. */
function valueEnd(bytes: Uint8Array, at: number, lineEnd: number): number {
  let i = lineEnd;
  while (i > at && (bytes[i - 1] === CR || bytes[i - 1] === 32 || bytes[i - 1] === 9)) i--;
  return i;
}

function isGroup(bytes: Uint8Array, at: number, end: number): boolean {
  for (const group of GROUPS) if (end - at === group.length && startsWith(bytes, at, end, group)) return true;
  return false;
}

function isInfohash(bytes: Uint8Array, at: number, end: number): boolean {
  if (end - at !== INFOHASH_HEX) return false;
  for (let i = at; i < end; i++) if (!isHex(bytes[i]!)) return false;
  return true;
}

/** Whether the UDP payload bytes[offset, offset+length) is an LSD announcement. */
export function isLsd(bytes: Uint8Array, offset: number, length: number): boolean {
  const end = offset + length;
  if (!startsWith(bytes, offset, end, REQUEST_LINE)) return false;
  let host = false;
  let infohash = false;
  let line = offset + REQUEST_LINE.length;
  while (line < end && bytes[line] !== CR && bytes[line] !== LF) { // up to the blank line
    let lineEnd = line;
    while (lineEnd < end && bytes[lineEnd] !== LF) lineEnd++;
    if (startsWith(bytes, line, lineEnd, HOST, true)) {
      const value = skipBlanks(bytes, line + HOST.length, lineEnd);
      host = isGroup(bytes, value, valueEnd(bytes, value, lineEnd));
    } else if (startsWith(bytes, line, lineEnd, INFOHASH, true)) {
      const value = skipBlanks(bytes, line + INFOHASH.length, lineEnd);
      infohash ||= isInfohash(bytes, value, valueEnd(bytes, value, lineEnd));
    }
    line = lineEnd + 1;
  }
  return host && infohash;
}
