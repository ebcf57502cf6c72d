// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A bounded bencode walker (BEP 3 "bencoding"; docs/BITTORRENT.md "DHT"): it finds where a value
 * ends without building it. Strict: integers without leading zeros or `-0`, string lengths without
 * leading zeros, dictionary keys that are strings, every container closed, nothing past `end`, at
 * most MAX_DEPTH levels. Pure; no allocation (the nesting is kept in two bit masks).
 */

export const B_DICT = 0x64; // d
export const B_LIST = 0x6c; // l
export const B_INT = 0x69; // i
export const B_END = 0x65; // e
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** Nesting levels a KRPC message needs are 3 (message, arguments, a list of nodes); 16 is generous. */
export const MAX_DEPTH = 16;
/** Digits of a string length (a UDP datagram is shorter than 10^5 bytes). */
const MAX_LENGTH_DIGITS = 5;
/** Digits of an integer (a 64-bit value has 19 or 20). */
const MAX_INT_DIGITS = 20;

/** End (exclusive) of the integer `i<digits>e` at `at`, or -1. */
function skipInt(bytes: Uint8Array, at: number, end: number): number {
  let i = at + 1; // past 'i'
  if (i < end && bytes[i] === MINUS) i++;
  const first = i;
  while (i < end && bytes[i]! >= ZERO && bytes[i]! <= NINE) i++;
  const digits = i - first;
  if (digits === 0 || digits > MAX_INT_DIGITS || i >= end || bytes[i] !== B_END) return -1;
  if (bytes[first] === ZERO && (digits > 1 || first > at + 1)) return -1; // leading zero, or -0
  return i + 1;
}

/**
 * Length of the string `<length>:<bytes>` at `at`, or -1 when there is none there or it would end
 * past `end`. Its bytes start at stringBody(at, length).
 */
export function stringLengthAt(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  let length = 0;
  while (i < end && bytes[i]! >= ZERO && bytes[i]! <= NINE) {
    if (i - at === MAX_LENGTH_DIGITS) return -1;
    length = length * 10 + bytes[i]! - ZERO;
    i++;
  }
  if (i === at || i >= end || bytes[i] !== COLON) return -1;
  if (bytes[at] === ZERO && i - at > 1) return -1; // leading zero
  return i + 1 + length > end ? -1 : length;
}

/** Where the bytes of the string at `at` of `length` start (its length has no leading zeros). */
export function stringBody(at: number, length: number): number {
  let digits = 1;
  for (let n = length; n >= 10; n = Math.floor(n / 10)) digits++;
  return at + digits + 1;
}

/** End (exclusive) of the bencoded value at `at` (which must end at or before `end`), or -1 when it is not one. */
export function skipValue(bytes: Uint8Array, at: number, end: number): number {
  let depth = 0;
  let dicts = 0; // bit d-1: level d is a dictionary
  let keys = 0; // bit d-1: level d (a dictionary) expects a key next
  let i = at;
  while (i < end) {
    const c = bytes[i]!;
    const bit = depth > 0 ? 1 << (depth - 1) : 0;
    if (c === B_END) {
      if (depth === 0 || ((dicts & bit) !== 0 && (keys & bit) === 0)) return -1; // nothing open, or a key without value
      depth--;
      i++;
    } else {
      if ((keys & bit) !== 0 && (c < ZERO || c > NINE)) return -1; // a dictionary key must be a string
      if (c === B_DICT || c === B_LIST) {
        if (depth === MAX_DEPTH) return -1;
        depth++;
        const inner = 1 << (depth - 1);
        if (c === B_DICT) {
          dicts |= inner;
          keys |= inner;
        } else {
          dicts &= ~inner;
          keys &= ~inner;
        }
        i++;
        continue; // the container's value completes at its 'e'
      }
      if (c === B_INT) i = skipInt(bytes, i, end);
      else if (c >= ZERO && c <= NINE) {
        const length = stringLengthAt(bytes, i, end);
        i = length < 0 ? -1 : stringBody(i, length) + length;
      } else return -1;
      if (i < 0) return -1;
    }
    // A value (a scalar, or a container just closed) completed at level `depth`.
    if (depth === 0) return i;
    const parent = 1 << (depth - 1);
    if ((dicts & parent) !== 0) keys ^= parent; // key, then value, then key...
  }
  return -1;
}
