// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The safety net's matcher: FastTrack file-transfer HTTP at the start of a TCP flow
 * (docs/FASTTRACK.md "File transfers"). Looks only at the header block: the request or status line
 * and the header lines before the first blank line. Pure; no allocation unless it matches.
 */
import { ascii, isHex, startsWith } from '../bytes.ts';

export const HttpMarker = {
  NONE: 0,
  /** `GET /.hash=<40 hex>` request line. */
  HASH_REQUEST: 1,
  /** A header line starting `X-Kazaa-` or `X-KazaaTag`. */
  KAZAA_HEADER: 2,
  /** `GIVE <digits>\r\n` as the whole segment (push). */
  GIVE: 3,
  /** `UserAgent: KazaaClient` / `Server: KazaaClient` / `User-Agent: PeerEnabler/`. */
  KAZAA_AGENT: 4,
} as const;
export type HttpMarker = (typeof HttpMarker)[keyof typeof HttpMarker];

const GET_HASH = ascii('GET /.hash=');
const GIVE = ascii('GIVE ');
const X_KAZAA = ascii('x-kazaa');
const AGENT_LINES = [ascii('useragent: kazaaclient'), ascii('user-agent: kazaaclient'), ascii('server: kazaaclient'), ascii('user-agent: peerenabler/')];
const SUPERNODE_HEADER = ascii('x-kazaa-supernodeip:');
const CR = 13;
const LF = 10;

/** Classifies a TCP payload. Returns the strongest marker found in its header block. */
export function findHttpMarker(bytes: Uint8Array, offset: number, length: number): HttpMarker {
  const end = offset + length;
  if (length < 5) return HttpMarker.NONE;
  if (startsWith(bytes, offset, end, GIVE)) {
    // The whole segment is `GIVE <digits>\r\n`.
    let i = offset + GIVE.length;
    const digits = i;
    while (i < end && bytes[i]! >= 48 && bytes[i]! <= 57) i++;
    if (i > digits && i + 2 === end && bytes[i] === CR && bytes[i + 1] === LF) return HttpMarker.GIVE;
    return HttpMarker.NONE;
  }
  if (startsWith(bytes, offset, end, GET_HASH)) {
    let i = offset + GET_HASH.length;
    let hex = 0;
    while (i < end && isHex(bytes[i]!)) { hex++; i++; }
    if (hex === 40) return HttpMarker.HASH_REQUEST;
  }
  // Header lines: each line start up to the first empty line (end of the header block).
  let lineStart = offset;
  while (lineStart < end) {
    if (bytes[lineStart] === CR || bytes[lineStart] === LF) return HttpMarker.NONE; // blank line: headers over
    if (startsWith(bytes, lineStart, end, X_KAZAA, true)) return HttpMarker.KAZAA_HEADER;
    for (const agent of AGENT_LINES) if (startsWith(bytes, lineStart, end, agent, true)) return HttpMarker.KAZAA_AGENT;
    let i = lineStart;
    while (i < end && bytes[i] !== LF) i++;
    lineStart = i + 1;
  }
  return HttpMarker.NONE;
}

/**
 * Whether more bytes could still make `findHttpMarker` match: the bytes could be the beginning of
 * a header block that has not ended. False once the block ended (a blank line) or a byte appears
 * that no header block holds (a control character other than tab, CR, LF): TLS, SSH's key
 * exchange and other binary starts are let go at their first segment.
 */
export function headerBlockOpen(bytes: Uint8Array, offset: number, length: number): boolean {
  const end = offset + length;
  let lineStart = true;
  for (let i = offset; i < end; i++) {
    const c = bytes[i]!;
    if (c < 32 && c !== 9 && c !== CR && c !== LF) return false;
    if (c === 127) return false;
    if (c === LF) {
      if (lineStart) return false; // an empty line: the block is over
      lineStart = true;
    } else if (c !== CR) {
      lineStart = false;
    } else if (i === offset) {
      return false; // CR as the first byte: a blank first line
    }
  }
  return true;
}

/** The `X-Kazaa-SupernodeIP: a.b.c.d:port` of the header block, as [ip, port], or null. */
export function findSupernodeAddress(bytes: Uint8Array, offset: number, length: number): [number, number] | null {
  const end = offset + length;
  let lineStart = offset;
  while (lineStart < end) {
    if (bytes[lineStart] === CR || bytes[lineStart] === LF) return null;
    let lineEnd = lineStart;
    while (lineEnd < end && bytes[lineEnd] !== LF) lineEnd++;
    if (startsWith(bytes, lineStart, end, SUPERNODE_HEADER, true)) {
      const text = String.fromCharCode(...bytes.subarray(lineStart + SUPERNODE_HEADER.length, lineEnd)).trim();
      const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(text);
      if (!match) return null;
      const octets = match.slice(1, 5).map(Number);
      const port = Number(match[5]);
      if (octets.some((octet) => octet > 255) || port < 1 || port > 65535) return null;
      return [((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0, port];
    }
    lineStart = lineEnd + 1;
  }
  return null;
}
