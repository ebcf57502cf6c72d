// SPDX-License-Identifier: GPL-2.0-or-later
/** Byte helpers shared by the protocol modules' matchers. Pure; nothing allocated per call. */

/** The bytes of an ASCII string (built once, at module load). */
export const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Whether bytes[at, end) starts with `prefix` (ASCII letters compared without case when `caseless`; `prefix` then lower-case). */
export function startsWith(bytes: Uint8Array, at: number, end: number, prefix: Uint8Array, caseless = false): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let c = bytes[at + i]!;
    if (caseless && c >= 65 && c <= 90) c += 32;
    if (c !== prefix[i]) return false;
  }
  return true;
}

/** Whether the (possibly short) bytes[at, end) are a prefix of `whole`: more bytes could still make it. */
export function isPrefixOf(bytes: Uint8Array, at: number, end: number, whole: Uint8Array): boolean {
  const n = Math.min(end - at, whole.length);
  for (let i = 0; i < n; i++) if (bytes[at + i] !== whole[i]) return false;
  return true;
}

/** Unsigned 32-bit big-endian word at `at` (the caller checked the bounds). */
export function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
