// SPDX-License-Identifier: GPL-2.0-or-later
// Hand-built BitTorrent messages for the bittorrent-*.test.ts files, from the layouts in
// docs/BITTORRENT.md (no captured bytes but where a test says so).

export type Bencodable = number | string | Uint8Array | Bencodable[] | { [key: string]: Bencodable };

/** Bencodes a value; dictionary keys sorted as BEP 3 wants, unless `unsorted`. */
export function bencode(value: Bencodable, unsorted = false): Buffer {
  if (typeof value === 'number') return Buffer.from(`i${value}e`);
  if (typeof value === 'string') value = Buffer.from(value, 'latin1');
  if (value instanceof Uint8Array) return Buffer.concat([Buffer.from(`${value.length}:`), value]);
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map((item) => bencode(item, unsorted)), Buffer.from('e')]);
  const keys = Object.keys(value);
  if (!unsorted) keys.sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((key) => [bencode(key), bencode(value[key]!, unsorted)]), Buffer.from('e')]);
}

export const NODE_ID = Buffer.from('0123456789abcdefghij', 'latin1');
export const INFO_HASH = Buffer.from('aa7ic4S0de06241873da', 'latin1');
export const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** A KRPC query. */
export const query = (method: string, args: Record<string, Bencodable> = {}, extra: Record<string, Bencodable> = {}) =>
  bencode({ a: { id: NODE_ID, ...args }, q: method, t: 'aa', y: 'q', ...extra });
/** A KRPC response. */
export const response = (values: Record<string, Bencodable> = {}, extra: Record<string, Bencodable> = {}) =>
  bencode({ r: { id: NODE_ID, ...values }, t: 'aa', y: 'r', ...extra });
/** A KRPC error. */
export const krpcError = (code = 201, message = 'A Generic Error Ocurred') => bencode({ e: [code, message], t: 'aa', y: 'e' });

/** A uTP header (BEP 29) with `extensions` ([type, bytes] in chain order) and `payload`. */
export function utp(type: number, fields: { ext?: [number, number[]][]; connectionId?: number; timestamp?: number; timestampDifference?: number; window?: number; seq?: number; ack?: number; payload?: Uint8Array | number[] } = {}): Buffer {
  const extensions = fields.ext ?? [];
  const header = Buffer.alloc(20);
  header[0] = (type << 4) | 1;
  header[1] = extensions[0]?.[0] ?? 0;
  header.writeUInt16BE(fields.connectionId ?? 0x5302, 2);
  header.writeUInt32BE(fields.timestamp ?? 0x10eeb2f0, 4);
  header.writeUInt32BE(fields.timestampDifference ?? 0, 8);
  header.writeUInt32BE(fields.window ?? 0x100000, 12);
  header.writeUInt16BE(fields.seq ?? 0xe7f5, 16);
  header.writeUInt16BE(fields.ack ?? 0, 18);
  const chain = extensions.map(([, bytes], i) => Buffer.from([extensions[i + 1]?.[0] ?? 0, bytes.length, ...bytes]));
  return Buffer.concat([header, ...chain, Buffer.from(fields.payload ?? [])]);
}
export const ST_DATA = 0;
export const ST_FIN = 1;
export const ST_STATE = 2;
export const ST_RESET = 3;
export const ST_SYN = 4;

export const HANDSHAKE = Buffer.concat([Buffer.from('\x13BitTorrent protocol', 'latin1'), Buffer.alloc(8), INFO_HASH, Buffer.from('-qB4650-abcdefghijkl', 'latin1')]);

/** A UDP tracker connect request (BEP 15). */
export const trackerConnect = (transaction = 0x12345678) => {
  const bytes = hex('00000417 27101980 00000000 00000000');
  bytes.writeUInt32BE(transaction, 12);
  return bytes;
};

/** A UDP tracker announce request (BEP 15), with BEP 41 `options` after the 98 fixed bytes. */
export function trackerAnnounce(fields: { action?: number; downloaded?: bigint; left?: bigint; uploaded?: bigint; event?: number; numWant?: number; options?: number[] } = {}): Buffer {
  const bytes = Buffer.alloc(98);
  bytes.writeBigUInt64BE(0x8f3a2c1d5e6b7a09n, 0); // the tracker's connection id
  bytes.writeUInt32BE(fields.action ?? 1, 8);
  bytes.writeUInt32BE(0xcafe0001, 12);
  INFO_HASH.copy(bytes, 16);
  Buffer.from('-TR2940-chho92c56pul', 'latin1').copy(bytes, 36);
  bytes.writeBigUInt64BE(fields.downloaded ?? 0n, 56);
  bytes.writeBigUInt64BE(fields.left ?? 282050560n, 64);
  bytes.writeBigUInt64BE(fields.uploaded ?? 0n, 72);
  bytes.writeUInt32BE(fields.event ?? 2, 80);
  bytes.writeUInt32BE(0, 84);
  bytes.writeUInt32BE(0x3b5502cc, 88);
  bytes.writeInt32BE(fields.numWant ?? -1, 92);
  bytes.writeUInt16BE(51413, 96);
  return Buffer.concat([bytes, Buffer.from(fields.options ?? [])]);
}

/** An LSD announcement (BEP 14). */
export const lsd = (host = '239.192.152.143:6771', infohash = 'ED4F1085E885F98F9A69B70EE89EB988B8FD9115', start = 'BT-SEARCH * HTTP/1.1') =>
  Buffer.from(`${start}\r\nHost: ${host}\r\nPort: 61197\r\nInfohash: ${infohash}\r\n\r\n\r\n`, 'latin1');
