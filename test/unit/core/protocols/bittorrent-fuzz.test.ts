// SPDX-License-Identifier: GPL-2.0-or-later
// Hostile input for the BitTorrent module: random bytes and random mutations of valid messages
// never throw; random bytes are never strong nor a TCP match; and the allocation-free KRPC walker
// agrees with a plain recursive decoder (written here, for the test only) on random dictionaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TcpSign, UdpSign } from '../../../../src/core/protocol.ts';
import { createProtocols } from '../../../../src/core/protocols/index.ts';
import { Krpc, classifyKrpc } from '../../../../src/core/protocols/bittorrent/krpc.ts';
import { HANDSHAKE, NODE_ID, ST_DATA, ST_STATE, ST_SYN, bencode, krpcError, lsd, query, response, trackerAnnounce, trackerConnect, utp, type Bencodable } from './bittorrent-messages.ts';

const bt = createProtocols(['bittorrent'], { networkNames: [] })[0]!;

/** Everything the module does with a payload. */
function inspect(bytes: Uint8Array, offset: number, length: number): { udp: number; tcp: number } {
  const udp = bt.recogniseUdp(bytes, offset, length);
  const tcp = bt.recogniseTcp(bytes, offset, length);
  bt.isProbeAnswer(bytes, offset, length, true);
  bt.namedPeer(bytes, offset, length);
  bt.recogniseTcpLater(bytes, offset, length);
  return { udp, tcp };
}

test('100,000 random byte strings at random offsets and lengths never throw, and are never strong nor a TCP match', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1600, size: 'max' }), fc.nat(), fc.nat(), fc.constantFrom(-1, 0x64, 0x41, 0x01, 0x21, 0x00, 0x13, 0x47, 0x42), (bytes, a, b, first) => {
    // Most start with a byte a matcher dispatches on, so that they get past the first check.
    if (first >= 0 && bytes.length > 0) bytes[a % bytes.length] = first;
    const offset = bytes.length === 0 ? 0 : a % bytes.length;
    const { udp, tcp } = inspect(bytes, offset, b % (bytes.length - offset + 1));
    assert.equal(udp & UdpSign.STRONG, 0);
    assert.notEqual(tcp, TcpSign.MATCH);
  }), { numRuns: 100_000 });
});

const VALID: Uint8Array[] = [
  query('ping'), query('get_peers', { info_hash: NODE_ID }), query('announce_peer', { implied_port: 1, info_hash: NODE_ID, port: 6881, token: 'tok' }, { ro: 1 }),
  response({ nodes: Buffer.alloc(52, 3), values: [Buffer.alloc(6, 1)] }, { ip: Buffer.alloc(6, 9) }), krpcError(),
  utp(ST_SYN), utp(ST_SYN, { ext: [[2, [0, 0, 0, 0, 0, 0, 0, 0]]] }), utp(ST_STATE, { ext: [[1, [1, 0, 0, 0]]] }), utp(ST_DATA, { payload: HANDSHAKE }),
  trackerConnect(), trackerAnnounce({ options: [2, 4, 0x2f, 0x61, 0x62, 0x63, 0] }), lsd(), HANDSHAKE,
  Buffer.from('GET /announce?info_hash=%aa%bb&peer_id=-TR2940-chho92c56pul&port=51413 HTTP/1.1\r\nHost: t\r\n\r\n', 'latin1'),
];

test('200,000 mutations of valid messages (bytes changed, inserted, removed, cut) never throw', () => {
  const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete', 'cut') });
  fc.assert(fc.property(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 6 }), (valid, edits) => {
    let bytes = Array.from(valid);
    for (const { at, byte, kind } of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === 'set' && bytes.length > 0) bytes[i] = byte;
      else if (kind === 'insert') bytes.splice(i, 0, byte);
      else if (kind === 'delete') bytes.splice(i, 1);
      else bytes = bytes.slice(0, i);
    }
    inspect(Uint8Array.from(bytes), 0, bytes.length);
  }), { numRuns: 200_000 });
});

// A plain bencode decoder as the reference: dictionaries as [key, value] lists (duplicates kept).
type Value = { int: bigint } | { str: Buffer } | { list: Value[] } | { dict: [Buffer, Value][] };

function decode(bytes: Buffer, at: number, depth: number): [Value, number] | null {
  const c = bytes[at];
  if (c === undefined) return null;
  if (c === 0x69) {
    const match = /^i(-?(?:0|[1-9][0-9]*))e/.exec(bytes.toString('latin1', at, at + 24));
    if (!match || match[1] === '-0' || match[1]!.replace('-', '').length > 20) return null;
    return [{ int: BigInt(match[1]!) }, at + match[0].length];
  }
  if (c >= 0x30 && c <= 0x39) {
    const match = /^(0|[1-9][0-9]{0,4}):/.exec(bytes.toString('latin1', at, at + 7));
    if (!match) return null;
    const start = at + match[0].length;
    const end = start + Number(match[1]);
    return end > bytes.length ? null : [{ str: bytes.subarray(start, end) }, end];
  }
  if ((c === 0x6c || c === 0x64) && depth < 16) {
    const items: Value[] = [];
    let i = at + 1;
    while (bytes[i] !== 0x65) {
      const item = decode(bytes, i, depth + 1);
      if (!item) return null;
      items.push(item[0]);
      i = item[1];
    }
    if (c === 0x6c) return [{ list: items }, i + 1];
    if (items.length % 2 !== 0) return null;
    const pairs: [Buffer, Value][] = [];
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k]!;
      if (!('str' in key)) return null;
      pairs.push([key.str, items[k + 1]!]);
    }
    return [{ dict: pairs }, i + 1];
  }
  return null;
}

/** The KRPC rules of docs/BITTORRENT.md, on the decoded message. */
function reference(bytes: Buffer): Krpc {
  if (bytes.length < 26 || bytes[0] !== 0x64) return Krpc.NONE;
  // The top-level dictionary is not counted in the walker's depth: its values may nest 16 deep.
  const decoded = decode(bytes, 0, -1);
  if (!decoded || decoded[1] !== bytes.length || !('dict' in decoded[0])) return Krpc.NONE;
  const seen = new Map<string, Value>();
  for (const [key, value] of decoded[0].dict) {
    const name = key.toString('latin1');
    if (!['y', 't', 'q', 'a', 'r', 'e'].includes(name)) continue;
    if (seen.has(name)) return Krpc.NONE;
    seen.set(name, value);
    const str = 'str' in value ? value.str : null;
    if (name === 'y' && str?.length !== 1) return Krpc.NONE;
    if (name === 't' && (!str || str.length < 1 || str.length > 16)) return Krpc.NONE;
    if (name === 'q' && (!str || !/^[a-z0-9_]{1,32}$/.test(str.toString('latin1')))) return Krpc.NONE;
    if (name === 'a' || name === 'r') {
      if (!('dict' in value)) return Krpc.NONE;
      const id = value.dict.find(([k]) => k.toString('latin1') === 'id')?.[1];
      if (!id || !('str' in id) || id.str.length !== 20) return Krpc.NONE;
    }
    if (name === 'e' && !('list' in value && value.list[0] && 'int' in value.list[0] && value.list[1] && 'str' in value.list[1])) return Krpc.NONE;
  }
  const y = seen.get('y');
  if (!y || !seen.has('t') || !('str' in y)) return Krpc.NONE;
  const type = y.str.toString('latin1');
  if (type === 'q') return seen.has('q') && seen.has('a') ? Krpc.QUERY : Krpc.NONE;
  if (type === 'r') return seen.has('r') ? Krpc.RESPONSE : Krpc.NONE;
  if (type === 'e') return seen.has('e') ? Krpc.ERROR : Krpc.NONE;
  return Krpc.NONE;
}

test('the KRPC walker agrees with a plain decoder on 30,000 random dictionaries and their mutations', (t) => {
  const leaf: fc.Arbitrary<Bencodable> = fc.oneof(
    fc.integer({ min: -1000, max: 100000 }),
    fc.constantFrom('q', 'r', 'e', 'x', 'qq', '', 'aa', 'ping', 'get_peers', 'Ping!'),
    fc.constantFrom(NODE_ID, NODE_ID.subarray(0, 19), Buffer.concat([NODE_ID, Buffer.from('x')])),
    fc.uint8Array({ maxLength: 24 }),
  );
  const { value } = fc.letrec<{ value: Bencodable }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('id', 'a', 'e', 'q', 'r', 't', 'y', 'ip', 'ro', 'v', 'target'), tie('value'), { maxKeys: 5 })),
  }));
  // Mostly the right shapes, sometimes anything: both valid messages and their near misses.
  const mostly = (right: fc.Arbitrary<Bencodable>, wrong: fc.Arbitrary<Bencodable>) => fc.option(fc.oneof({ arbitrary: right, weight: 4 }, { arbitrary: wrong, weight: 1 }), { freq: 8 });
  const message = fc.record({
    y: mostly(fc.constantFrom<Bencodable>('q', 'r', 'e'), fc.constantFrom<Bencodable>('x', 'qq', 1)),
    t: mostly(fc.oneof(fc.constant<Bencodable>('aa'), fc.uint8Array({ minLength: 1, maxLength: 16 })), fc.constantFrom<Bencodable>('', 'x'.repeat(17), 7)),
    q: mostly(fc.constantFrom<Bencodable>('ping', 'find_node', 'get_peers'), fc.oneof(fc.constant<Bencodable>('Ping!'), value)),
    a: mostly(fc.record({ id: fc.constant<Bencodable>(NODE_ID), target: value }, { requiredKeys: ['id'] }), fc.oneof(fc.record({ id: fc.constantFrom<Bencodable>(NODE_ID.subarray(0, 19), 5) }), value)),
    r: mostly(fc.record({ id: fc.constant<Bencodable>(NODE_ID), nodes: value }, { requiredKeys: ['id'] }), fc.oneof(fc.constant<Bencodable>({ id: 'short' }), value)),
    e: mostly(fc.tuple(fc.integer({ min: 200, max: 204 }), fc.string()).map(([code, text]) => [code, text] as Bencodable), value),
    v: fc.option(value),
    ip: fc.option(fc.uint8Array({ minLength: 6, maxLength: 6 })),
  }, { requiredKeys: [] });
  let recognised = 0;
  fc.assert(fc.property(message, fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }), (fields, unsorted, flips) => {
    const dict: Record<string, Bencodable> = {};
    for (const [key, field] of Object.entries(fields)) if (field !== null && field !== undefined) dict[key] = field;
    const bytes = Buffer.from(bencode(dict, unsorted));
    for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
    const expected = reference(bytes);
    assert.equal(classifyKrpc(bytes, 0, bytes.length), expected, bytes.toString('latin1'));
    if (expected !== Krpc.NONE) recognised++;
  }), { numRuns: 30_000 });
  t.diagnostic(`${recognised} of 30,000 recognised as KRPC, by both`);
  assert.ok(recognised > 1000, `${recognised} recognised: the generator reaches valid messages too`);
});
