// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Bencoding (BEP 3), for the lab: reading .torrent files (the info dictionary's exact bytes give the
 * info hash) and writing Transmission's dht.dat. Byte strings stay Buffers.
 */

export type Bencoded = number | Buffer | Bencoded[] | { [key: string]: Bencoded };
/** What encode() takes: JavaScript strings are written as their UTF-8 bytes. */
export type Encodable = number | string | Buffer | Encodable[] | { [key: string]: Encodable };

export interface Decoded {
  value: Bencoded;
  /** [start, end) of each top-level dictionary value in the input, by key (the info dict's bytes). */
  spans: Record<string, [number, number]>;
}

export function encode(value: Encodable): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`bencode: ${value} is not an integer`);
    return Buffer.from(`i${value}e`);
  }
  if (typeof value === 'string') return encode(Buffer.from(value));
  if (Buffer.isBuffer(value)) return Buffer.concat([Buffer.from(`${value.length}:`), value]);
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(encode), Buffer.from('e')]);
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((key) => [encode(key), encode(value[key]!)]), Buffer.from('e')]);
}

export function decode(input: Buffer): Decoded {
  const spans: Record<string, [number, number]> = {};
  let at = 0;
  const fail = (why: string): never => { throw new Error(`bencode: ${why} at byte ${at}`); };
  const next = (depth: number): Bencoded => {
    const c = input[at];
    if (c === undefined) return fail('unexpected end');
    if (c === 0x69) { // i
      const end = input.indexOf(0x65, at);
      if (end < 0) fail('unterminated integer');
      const n = Number(input.subarray(at + 1, end).toString('latin1'));
      if (!Number.isSafeInteger(n)) fail('bad integer');
      at = end + 1;
      return n;
    }
    if (c === 0x6c) { // l
      at++;
      const list: Bencoded[] = [];
      while (input[at] !== 0x65) list.push(next(depth + 1));
      at++;
      return list;
    }
    if (c === 0x64) { // d
      at++;
      const dict: Record<string, Bencoded> = {};
      while (input[at] !== 0x65) {
        const key = next(depth + 1);
        if (!Buffer.isBuffer(key)) return fail('dictionary key is not a string');
        const start = at;
        dict[key.toString('latin1')] = next(depth + 1);
        if (depth === 0) spans[key.toString('latin1')] = [start, at];
      }
      at++;
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = input.indexOf(0x3a, at);
      if (colon < 0) fail('unterminated string length');
      const length = Number(input.subarray(at, colon).toString('latin1'));
      const start = colon + 1;
      if (start + length > input.length) fail('string past the end');
      at = start + length;
      return input.subarray(start, at);
    }
    return fail(`unexpected byte 0x${c.toString(16)}`);
  };
  const value = next(0);
  if (at !== input.length) fail('trailing bytes');
  return { value, spans };
}

/** A dictionary's field, or throws: for reading known structures. */
export function field(value: Bencoded, key: string): Bencoded {
  if (typeof value !== 'object' || Buffer.isBuffer(value) || Array.isArray(value) || !(key in value)) {
    throw new Error(`bencode: no field ${key}`);
  }
  return value[key]!;
}
