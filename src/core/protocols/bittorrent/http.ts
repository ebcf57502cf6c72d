// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * An HTTP tracker announce (BEP 3 "Trackers"; docs/BITTORRENT.md "HTTP trackers") at the start of
 * a TCP flow: the request line `GET <target> HTTP/1.x`, whose query carries both `info_hash=` and
 * `peer_id=` as parameters, judged once whole (more bytes are asked for while it is not, up to
 * REQUEST_LINE_MAX_BYTES). Then its header block, once whole, says who sent it: any web page can
 * have a browser fetch such a URL, and a browser always marks its requests (a `Mozilla/` agent,
 * `Sec-Fetch-*`, `Referer`, `Origin`), which no BitTorrent client sends: BROWSER (identify only),
 * else MATCH. A block not ended within the bound counts as a browser's, and so does a client's
 * `event=stopped` (it quits: nothing to lock). Pure; no allocation.
 */
import { ascii, isPrefixOf, startsWith } from '../bytes.ts';

export const HttpAnnounce = { NONE: 0, MATCH: 1, MORE: 2, BROWSER: 3 } as const;
export type HttpAnnounce = (typeof HttpAnnounce)[keyof typeof HttpAnnounce];

/** The longest request line waited for: the safety net keeps 2 KiB of a flow's start (core/tcp-start.ts). */
export const REQUEST_LINE_MAX_BYTES = 2048;

const GET = ascii('GET ');
const VERSION = ascii(' HTTP/1.');
const INFO_HASH = ascii('info_hash=');
const PEER_ID = ascii('peer_id=');
const STOPPED = ascii('event=stopped');
const USER_AGENT = ascii('user-agent:');
const MOZILLA = ascii('mozilla/');
/** Headers only a browser (or a page it runs) sends; lower-case. */
const BROWSER_HEADERS = [ascii('sec-fetch-'), ascii('referer:'), ascii('origin:')];
const QUESTION = 0x3f;
const AMPERSAND = 0x26;
const SPACE = 0x20;
const CR = 13;
const LF = 10;

/** Judges the start of a TCP flow, bytes[offset, offset+length), as an HTTP tracker announce. */
export function classifyHttpAnnounce(bytes: Uint8Array, offset: number, length: number): HttpAnnounce {
  const end = offset + length;
  if (length < GET.length) return isPrefixOf(bytes, offset, end, GET) ? HttpAnnounce.MORE : HttpAnnounce.NONE;
  if (!startsWith(bytes, offset, end, GET)) return HttpAnnounce.NONE;
  // The target: visible ASCII up to the space; its query's parameters start after `?` and each `&`.
  let i = offset + GET.length;
  let query = false;
  let infoHash = false;
  let peerId = false;
  let stopped = false;
  while (i < end && bytes[i] !== SPACE) {
    const c = bytes[i]!;
    if (c < 0x21 || c > 0x7e) return HttpAnnounce.NONE;
    if ((c === QUESTION && !query) || (c === AMPERSAND && query)) {
      query = true;
      infoHash ||= startsWith(bytes, i + 1, end, INFO_HASH);
      peerId ||= startsWith(bytes, i + 1, end, PEER_ID);
      stopped ||= startsWith(bytes, i + 1, end, STOPPED);
    }
    i++;
  }
  const more = length < REQUEST_LINE_MAX_BYTES ? HttpAnnounce.MORE : HttpAnnounce.NONE;
  if (i === end) return more;
  if (i === offset + GET.length) return HttpAnnounce.NONE; // no target
  // ` HTTP/1.<digit>` and the line's end.
  if (!isPrefixOf(bytes, i, end, VERSION)) return HttpAnnounce.NONE;
  i += VERSION.length;
  if (i >= end) return more;
  if (bytes[i]! < 0x30 || bytes[i]! > 0x39) return HttpAnnounce.NONE;
  i++;
  if (i < end && bytes[i] === CR) i++;
  if (i >= end) return more;
  if (bytes[i] !== LF) return HttpAnnounce.NONE;
  if (!infoHash || !peerId) return HttpAnnounce.NONE;
  const sender = judgeHeaders(bytes, i + 1, end, length < REQUEST_LINE_MAX_BYTES);
  // A client that says it stops (event=stopped, sent as it quits) is identified, not locked anew:
  // its lock then ends one period after its last real activity.
  return sender === HttpAnnounce.MATCH && stopped ? HttpAnnounce.BROWSER : sender;
}

/** The header block from `at` (after the request line): BROWSER, MATCH, or MORE while it is open and `canWait`. */
function judgeHeaders(bytes: Uint8Array, at: number, end: number, canWait: boolean): HttpAnnounce {
  let line = at;
  while (line < end) {
    if (bytes[line] === LF || (bytes[line] === CR && line + 1 < end && bytes[line + 1] === LF)) return HttpAnnounce.MATCH; // the empty line
    let lineEnd = line;
    while (lineEnd < end && bytes[lineEnd] !== LF) lineEnd++;
    if (lineEnd === end) break; // a header line not ended yet
    if (BROWSER_HEADERS.some((name) => startsWith(bytes, line, lineEnd, name, true))) return HttpAnnounce.BROWSER;
    if (startsWith(bytes, line, lineEnd, USER_AGENT, true)) {
      let value = line + USER_AGENT.length;
      while (value < lineEnd && (bytes[value] === SPACE || bytes[value] === 9)) value++;
      if (startsWith(bytes, value, lineEnd, MOZILLA, true)) return HttpAnnounce.BROWSER;
    }
    line = lineEnd + 1;
  }
  return canWait ? HttpAnnounce.MORE : HttpAnnounce.BROWSER;
}
