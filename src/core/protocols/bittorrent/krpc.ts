// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Mainline DHT messages (KRPC, BEP 5; docs/BITTORRENT.md "DHT"): one bencoded dictionary per UDP
 * datagram. Recognised by structure, never by a prefix: the dictionary must cover the whole
 * datagram; `y` is `q`, `r` or `e`; `t` is a short string; a query has a method name `q` and an
 * argument dictionary `a` holding a 20-byte `id`, a response a dictionary `r` holding one, an error
 * a list `e` [code, message]. Other keys (`v`, BEP 42's `ip`, BEP 43's `ro`, ...) may come in any
 * order and are skipped. Pure; no allocation.
 */
import { B_DICT, B_END, B_INT, B_LIST, skipValue, stringBody, stringLengthAt } from './bencode.ts';

export const Krpc = { NONE: 0, QUERY: 1, RESPONSE: 2, ERROR: 3 } as const;
export type Krpc = (typeof Krpc)[keyof typeof Krpc];

/** A node id (and an info hash) is 20 bytes (BEP 5). */
export const NODE_ID_BYTES = 20;
/** The shortest message recognised: an error `d1:eli201e0:e1:t1:x1:y1:ee`. */
export const KRPC_MIN_BYTES = 26;
/** Transaction ids are short (2 bytes in most clients, up to 8 seen); longer is not a DHT. */
const MAX_TID_BYTES = 16;
/** Method names are short ASCII words (`ping`, `find_node`, `get_peers`, `announce_peer`, `sample_infohashes`). */
const MAX_METHOD_BYTES = 32;

const Y = 0x79;
const T = 0x74;
const Q = 0x71;
const A = 0x61;
const R = 0x72;
const E = 0x65;
const I = 0x69;
const D = 0x64;

const SEEN_Y = 1;
const SEEN_T = 2;
const SEEN_Q = 4;
const SEEN_A = 8;
const SEEN_R = 16;
const SEEN_E = 32;

/** Whether the dictionary at `at` (already checked whole, ending at `end`) has an `id` of 20 bytes. */
function hasNodeId(bytes: Uint8Array, at: number, end: number): boolean {
  let i = at + 1;
  while (i < end && bytes[i] !== B_END) {
    const keyLength = stringLengthAt(bytes, i, end);
    if (keyLength < 0) return false;
    const key = stringBody(i, keyLength);
    const value = key + keyLength;
    const next = skipValue(bytes, value, end);
    if (next < 0) return false;
    if (keyLength === 2 && bytes[key] === I && bytes[key + 1] === D) {
      return stringLengthAt(bytes, value, next) === NODE_ID_BYTES && next === stringBody(value, NODE_ID_BYTES) + NODE_ID_BYTES;
    }
    i = next;
  }
  return false;
}

/** Whether the list at `at` (ending at `end`) starts with an integer code followed by a string message. */
function isErrorList(bytes: Uint8Array, at: number, end: number): boolean {
  if (bytes[at] !== B_LIST || bytes[at + 1] !== B_INT) return false;
  const message = skipValue(bytes, at + 1, end);
  return message > 0 && stringLengthAt(bytes, message, end) >= 0;
}

/** Whether the method name is letters, digits and underscores. */
function isMethodName(bytes: Uint8Array, at: number, length: number): boolean {
  if (length === 0 || length > MAX_METHOD_BYTES) return false;
  for (let i = at; i < at + length; i++) {
    const c = bytes[i]!;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f)) return false;
  }
  return true;
}

/** Classifies the UDP payload bytes[offset, offset+length) as a KRPC message. */
export function classifyKrpc(bytes: Uint8Array, offset: number, length: number): Krpc {
  if (length < KRPC_MIN_BYTES || bytes[offset] !== B_DICT) return Krpc.NONE;
  const end = offset + length;
  if (bytes[end - 1] !== B_END) return Krpc.NONE; // cheap: the dictionary must end the datagram
  let seen = 0;
  let type = 0;
  let i = offset + 1;
  while (i < end && bytes[i] !== B_END) {
    const keyLength = stringLengthAt(bytes, i, end);
    if (keyLength < 0) return Krpc.NONE;
    const key = stringBody(i, keyLength);
    const value = key + keyLength;
    const next = skipValue(bytes, value, end);
    if (next < 0) return Krpc.NONE;
    if (keyLength === 1) {
      let bit = 0;
      switch (bytes[key]) {
        case Y: {
          if (stringLengthAt(bytes, value, next) !== 1) return Krpc.NONE;
          type = bytes[value + 2]!;
          bit = SEEN_Y;
          break;
        }
        case T: {
          const tid = stringLengthAt(bytes, value, next);
          if (tid < 1 || tid > MAX_TID_BYTES) return Krpc.NONE;
          bit = SEEN_T;
          break;
        }
        case Q: {
          const method = stringLengthAt(bytes, value, next);
          if (method < 0 || !isMethodName(bytes, stringBody(value, method), method)) return Krpc.NONE;
          bit = SEEN_Q;
          break;
        }
        case A:
        case R:
          if (bytes[value] !== B_DICT || !hasNodeId(bytes, value, next)) return Krpc.NONE;
          bit = bytes[key] === A ? SEEN_A : SEEN_R;
          break;
        case E:
          if (!isErrorList(bytes, value, next)) return Krpc.NONE;
          bit = SEEN_E;
          break;
      }
      if ((seen & bit) !== 0) return Krpc.NONE; // a key twice
      seen |= bit;
    }
    i = next;
  }
  if (i !== end - 1) return Krpc.NONE; // the top-level dictionary covers the whole datagram
  if ((seen & (SEEN_Y | SEEN_T)) !== (SEEN_Y | SEEN_T)) return Krpc.NONE;
  if (type === Q) return (seen & (SEEN_Q | SEEN_A)) === (SEEN_Q | SEEN_A) ? Krpc.QUERY : Krpc.NONE;
  if (type === R) return (seen & SEEN_R) !== 0 ? Krpc.RESPONSE : Krpc.NONE;
  if (type === E) return (seen & SEEN_E) !== 0 ? Krpc.ERROR : Krpc.NONE;
  return Krpc.NONE;
}
