// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * FastTrack UDP recognition by full layout (docs/FASTTRACK.md). Never a 4-byte prefix,
 * never a substring: each message type must match its whole structure, names are allow-listed
 * and anchored at their offset, and the name's NUL must be the payload's last byte. Pure.
 */

export const FastTrackUdp = {
  NONE: 0,
  /** 0x27 node ping: strong (carries a network name). */
  PING: 1,
  /** 0x28 supernode pong: strong (carries a network name). */
  PONG: 2,
  /** 0x29 node pong 2: weak (no name), counts only from a known FastTrack client. */
  PONG2: 3,
  /** 0x2A extra setup information: weak (5 bytes), counts only from a known FastTrack client. */
  SETUP: 4,
} as const;
export type FastTrackUdp = (typeof FastTrackUdp)[keyof typeof FastTrackUdp];

export const DEFAULT_NETWORK_NAMES = ['KaZaA', 'fileshare', 'Grokster', 'MusicCity'] as const;

/** Network names as byte strings, prepared once at setup. */
export class NetworkNames {
  readonly names: readonly Uint8Array[];
  readonly longest: number;

  constructor(names: readonly string[]) {
    this.names = names.map((name) => new TextEncoder().encode(name));
    this.longest = Math.max(0, ...this.names.map((name) => name.length));
  }

  /** Whether bytes[start .. end) is exactly one of the names. */
  matches(bytes: Uint8Array, start: number, end: number): boolean {
    const length = end - start;
    outer: for (const name of this.names) {
      if (name.length !== length) continue;
      for (let i = 0; i < length; i++) if (bytes[start + i] !== name[i]) continue outer;
      return true;
    }
    return false;
  }
}

/** A NUL-terminated allow-listed name starting at `start` whose NUL is the last payload byte. */
function nameEndsPayload(bytes: Uint8Array, start: number, end: number, names: NetworkNames): boolean {
  if (end - start < 2 || bytes[end - 1] !== 0) return false;
  for (let i = start; i < end - 1; i++) if (bytes[i] === 0) return false;
  return names.matches(bytes, start, end - 1);
}

/** Classifies the UDP payload bytes[offset .. offset+length). */
export function classifyFastTrackUdp(bytes: Uint8Array, offset: number, length: number, names: NetworkNames): FastTrackUdp {
  if (length < 5) return FastTrackUdp.NONE;
  const end = offset + length;
  switch (bytes[offset]) {
    case 0x27:
      // type, u32 min encryption type, 0x80, name NUL
      if (length < 8 || length > 7 + names.longest || bytes[offset + 5] !== 0x80) return FastTrackUdp.NONE;
      return nameEndsPayload(bytes, offset + 6, end, names) ? FastTrackUdp.PING : FastTrackUdp.NONE;
    case 0x28:
      // type, u32 enc, 0x00, counter, u16 outdegree, load %, unknown, name NUL
      if (length < 13 || length > 12 + names.longest || bytes[offset + 5] !== 0x00 || bytes[offset + 9]! > 100) return FastTrackUdp.NONE;
      return nameEndsPayload(bytes, offset + 11, end, names) ? FastTrackUdp.PONG : FastTrackUdp.NONE;
    case 0x29: {
      // type, u32 enc, 0x01|0x02, flag 0|1, 00 00, u32 id [, ip, port, unknown]
      const kind = bytes[offset + 5];
      const flag = bytes[offset + 6];
      if (length < 13 || (kind !== 1 && kind !== 2) || (flag !== 0 && flag !== 1)) return FastTrackUdp.NONE;
      if (bytes[offset + 7] !== 0 || bytes[offset + 8] !== 0) return FastTrackUdp.NONE;
      return length === (flag === 1 ? 21 : 13) ? FastTrackUdp.PONG2 : FastTrackUdp.NONE;
    }
    case 0x2a:
      return length === 5 ? FastTrackUdp.SETUP : FastTrackUdp.NONE;
    default:
      return FastTrackUdp.NONE;
  }
}

/** Whether a type needs the sender to be a known FastTrack client before it counts. */
export function isWeak(kind: FastTrackUdp): boolean {
  return kind === FastTrackUdp.PONG2 || kind === FastTrackUdp.SETUP;
}
