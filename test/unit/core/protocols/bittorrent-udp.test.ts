// SPDX-License-Identifier: GPL-2.0-or-later
// BitTorrent's UDP matchers on hand-built datagrams and their near misses (docs/BITTORRENT.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DEPTH, skipValue } from '../../../../src/core/protocols/bittorrent/bencode.ts';
import { Krpc, classifyKrpc } from '../../../../src/core/protocols/bittorrent/krpc.ts';
import { isLsd } from '../../../../src/core/protocols/bittorrent/lsd.ts';
import { UdpTracker, classifyUdpTracker } from '../../../../src/core/protocols/bittorrent/tracker.ts';
import { Utp, classifyUtp } from '../../../../src/core/protocols/bittorrent/utp.ts';
import {
  HANDSHAKE, INFO_HASH, NODE_ID, ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, bencode, hex, krpcError, lsd, query, response, trackerAnnounce, trackerConnect, utp,
} from './bittorrent-messages.ts';

const krpc = (bytes: Uint8Array) => classifyKrpc(bytes, 0, bytes.length);
const text = (value: string) => Buffer.from(value, 'latin1');

test('bencode walker: finds the end of each value, strictly', () => {
  const end = (value: string) => skipValue(text(value), 0, value.length);
  assert.equal(end('i42e'), 4);
  assert.equal(end('i-7e'), 4);
  assert.equal(end('i0e'), 3);
  assert.equal(end('4:spam'), 6);
  assert.equal(end('0:'), 2);
  assert.equal(end('l4:spami1ee'), 11);
  assert.equal(end('d3:cow3:moo4:spaml1:a1:bee'), 26);
  assert.equal(end('d1:ad2:id1:xee'), 14);
  assert.equal(end('lexyz'), 2, 'the end of the first value, not of the bytes');
  for (const bad of ['i01e', 'i-0e', 'ie', 'i-e', 'i12', '01:a', '5:abc', '3a:abc', 'd1:ae', 'di1ei2ee', 'l', 'd', 'e', 'x', '', 'l4:spam', `i${'1'.repeat(21)}e`, '123456:x']) {
    assert.equal(end(bad), -1, JSON.stringify(bad));
  }
  assert.equal(end(`${'l'.repeat(MAX_DEPTH)}${'e'.repeat(MAX_DEPTH)}`), 2 * MAX_DEPTH);
  assert.equal(end(`${'l'.repeat(MAX_DEPTH + 1)}${'e'.repeat(MAX_DEPTH + 1)}`), -1, 'bounded depth');
  assert.equal(skipValue(text('4:spam'), 0, 5), -1, 'bounded by end');
  assert.equal(skipValue(text('xx4:spamyy'), 2, 8), 8, 'at an offset');
});

test('DHT queries (BEP 5): the four methods, and keys other clients add (BEP 43 ro, BEP 44 cas, v)', () => {
  assert.equal(krpc(query('ping')), Krpc.QUERY);
  assert.equal(query('ping').length, 56);
  assert.equal(krpc(query('find_node', { target: NODE_ID })), Krpc.QUERY);
  assert.equal(krpc(query('get_peers', { info_hash: INFO_HASH })), Krpc.QUERY);
  assert.equal(krpc(query('announce_peer', { implied_port: 1, info_hash: INFO_HASH, port: 6881, token: 'aoeusnth' })), Krpc.QUERY);
  assert.equal(krpc(query('sample_infohashes', { target: NODE_ID })), Krpc.QUERY);
  assert.equal(krpc(query('ping', {}, { ro: 1 })), Krpc.QUERY, 'BEP 43 read-only flag');
  assert.equal(krpc(query('put', { cas: 5, k: Buffer.alloc(32), seq: 6, sig: Buffer.alloc(64), token: 'tk', v: 'hello' })), Krpc.QUERY, 'BEP 44: cas sorts before id');
  assert.equal(krpc(query('ping', {}, { v: 'LT\x01\x02' })), Krpc.QUERY, 'client version');
  assert.equal(krpc(query('ping', {}, { t: 'abcdefgh' })), Krpc.QUERY, '8-byte transaction id');
  assert.equal(krpc(bencode({ y: 'q', t: 'aa', q: 'ping', a: { id: NODE_ID } }, true)), Krpc.QUERY, 'keys out of order');
  assert.equal(krpc(text(`d1:ad2:id20:${NODE_ID.toString('latin1')}e1:q4:ping1:t2:aa1:y1:qe`)), Krpc.QUERY, 'BEP 5\'s own example layout');
});

test('DHT responses and errors, with BEP 42\'s ip key first', () => {
  assert.equal(krpc(response()), Krpc.RESPONSE);
  assert.equal(krpc(response({}, { ip: hex('c0a8010a1ae1') })), Krpc.RESPONSE);
  assert.equal(krpc(response({ nodes: Buffer.alloc(26 * 8, 7), token: 'tok', values: [Buffer.alloc(6, 1), Buffer.alloc(6, 2)] }, { v: 'UT\x01\x02' })), Krpc.RESPONSE);
  assert.equal(krpc(response({ nodes6: Buffer.alloc(38 * 8, 7) })), Krpc.RESPONSE);
  assert.equal(krpc(krpcError()), Krpc.ERROR);
  assert.equal(krpc(krpcError(203, '')), Krpc.ERROR);
  assert.equal(krpc(text('d1:eli201e0:e1:t1:x1:y1:ee')), Krpc.ERROR, 'the shortest message: 26 bytes');
});

test('DHT near misses: the whole dictionary, a 20-byte id, y and t are required', () => {
  const ping = query('ping');
  const misses: [string, Uint8Array][] = [
    ['a byte after the dictionary', Buffer.concat([ping, text('x')])],
    ['two dictionaries', Buffer.concat([ping, ping])],
    ['truncated', ping.subarray(0, ping.length - 1)],
    ['only the usual prefix', text(`d1:ad2:id20:${NODE_ID.toString('latin1')}`)],
    ['19-byte id', query('ping', { id: NODE_ID.subarray(0, 19) })],
    ['21-byte id', query('ping', { id: Buffer.concat([NODE_ID, text('x')]) })],
    ['integer id', query('ping', { id: 5 })],
    ['no id', bencode({ a: { target: NODE_ID }, q: 'ping', t: 'aa', y: 'q' })],
    ['no t', bencode({ a: { id: NODE_ID }, q: 'ping', y: 'q' })],
    ['empty t', query('ping', {}, { t: '' })],
    ['17-byte t', query('ping', {}, { t: 'x'.repeat(17) })],
    ['no y', bencode({ a: { id: NODE_ID }, q: 'ping', t: 'aa' })],
    ['y x', query('ping', {}, { y: 'x' })],
    ['y qq', query('ping', {}, { y: 'qq' })],
    ['no q', bencode({ a: { id: NODE_ID }, t: 'aa', y: 'q' })],
    ['binary method', query('pi\x00g')],
    ['a is a list', bencode({ a: [NODE_ID], q: 'ping', t: 'aa', y: 'q' })],
    ['a query without a', bencode({ q: 'ping', r: { id: NODE_ID }, t: 'aa', y: 'q' })],
    ['a response without r', bencode({ a: { id: NODE_ID }, t: 'aa', y: 'r' })],
    ['an error without e', bencode({ t: 'aa', y: 'e' })],
    ['an error whose e is not [code, message]', bencode({ e: ['oops', 201], t: 'aa', y: 'e' })],
    ['y twice', text(`d1:ad2:id20:${NODE_ID.toString('latin1')}e1:q4:ping1:t2:aa1:y1:q1:y1:re`)],
    ['a torrent file, not KRPC', bencode({ announce: 'http://tracker/announce', info: { length: 1, name: 'x', 'piece length': 16384, pieces: Buffer.alloc(20) } })],
    ['a list', bencode([NODE_ID, 'q'])],
    ['leading zero in a length', text(ping.toString('latin1').replace('1:t2:aa', '1:t02:aa'))],
    ['DNS', hex('6ff101000001000000000000087574 6f7272656e7403636f6d0000010001')],
  ];
  for (const [name, bytes] of misses) assert.equal(krpc(bytes), Krpc.NONE, name);
});

test('uTP (BEP 29): a strictly valid SYN, data opening with the handshake, and the other types', () => {
  // The SYN of the capture bittorrent_utp.pcap (frame 2), libtorrent's: 20 bytes, window 0.
  const captured = hex('4100530210eeb2f00000000000000000e7f50000');
  assert.equal(classifyUtp(captured, 0, captured.length), Utp.SYN);
  const sign = (bytes: Uint8Array) => classifyUtp(bytes, 0, bytes.length);
  assert.equal(sign(utp(ST_SYN)), Utp.SYN);
  assert.equal(sign(utp(ST_SYN, { ext: [[2, [0, 0, 0, 0, 0, 0, 0, 0]]] })), Utp.SYN, 'libutp\'s old extension bits: 30 bytes');
  assert.equal(sign(utp(ST_DATA, { payload: HANDSHAKE })), Utp.HANDSHAKE);
  assert.equal(sign(utp(ST_DATA, { payload: [0, 0, 0, 1, 2] })), Utp.OTHER);
  assert.equal(sign(utp(ST_STATE)), Utp.OTHER);
  assert.equal(sign(utp(ST_STATE, { ext: [[1, [1, 0, 0, 0]]] })), Utp.OTHER, 'a selective ACK');
  assert.equal(sign(utp(ST_STATE, { ext: [[2, [0, 0, 0, 0, 0, 0, 0, 0]], [1, [3, 0, 0, 0, 0, 0, 0, 0]]] })), Utp.OTHER, 'a chain of two');
  assert.equal(sign(utp(ST_FIN, { ext: [[3, [0, 0, 0, 2]]] })), Utp.OTHER, 'libtorrent\'s close reason');
  assert.equal(sign(utp(ST_RESET)), Utp.OTHER);
});

test('uTP near misses', () => {
  const sign = (bytes: Uint8Array) => classifyUtp(bytes, 0, bytes.length);
  const misses: [string, Uint8Array][] = [
    ['19 bytes', utp(ST_SYN).subarray(0, 19)],
    ['version 2', Buffer.from([0x42, ...utp(ST_SYN).subarray(1)])],
    ['version 0', Buffer.from([0x40, ...utp(ST_SYN).subarray(1)])],
    ['type 5', Buffer.from([0x51, ...utp(ST_SYN).subarray(1)])],
    ['a SYN with payload', utp(ST_SYN, { payload: [1] })],
    ['a SYN that measured a delay', utp(ST_SYN, { timestampDifference: 1 })],
    ['a SYN of 66 bytes (over 64)', utp(ST_SYN, { ext: [[1, new Array(44).fill(0)]] })],
    ['a state with payload', utp(ST_STATE, { payload: [1, 2, 3] })],
    ['a FIN with payload', utp(ST_FIN, { payload: [1] })],
    ['data without payload', utp(ST_DATA)],
    ['an unknown extension', utp(ST_STATE, { ext: [[9, [0, 0, 0, 0]]] })],
    ['a selective ACK of 3 bytes', utp(ST_STATE, { ext: [[1, [1, 0, 0]]] })],
    ['extension bits of 4 bytes', utp(ST_SYN, { ext: [[2, [0, 0, 0, 0]]] })],
    ['a chain running past the end', utp(ST_STATE, { ext: [[1, [1, 0, 0, 0]]] }).subarray(0, 24)],
    ['extension named, no header for it', utp(ST_STATE, { ext: [[1, [1, 0, 0, 0]]] }).subarray(0, 20)],
    ['a window of 16 MiB', utp(ST_STATE, { window: 1 << 24 })],
    ['WireGuard handshake initiation', Buffer.concat([hex('01000000'), Buffer.alloc(144, 0x5a)])],
    ['STUN success response', Buffer.concat([hex('0101002c 2112a442'), Buffer.alloc(56, 0x11)])],
    // A DNS query whose id (0x0100) makes a uTP data header: its first label's length lands in wnd_size.
    ['DNS query, id 0x0100', hex('0100 0100 0001 0000 0000 0000 03777777 076578616d706c65 03636f6d 00 0001 0001')],
  ];
  for (const [name, bytes] of misses) assert.equal(sign(bytes), Utp.NONE, name);
  assert.equal(sign(utp(ST_STATE, { window: (1 << 24) - 1 })), Utp.OTHER, 'just under the window bound');
});

test('UDP trackers (BEP 15): the 16-byte connect and a plausible announce, with BEP 41 options', () => {
  const sign = (bytes: Uint8Array) => classifyUdpTracker(bytes, 0, bytes.length);
  assert.equal(sign(trackerConnect()), UdpTracker.CONNECT);
  assert.equal(sign(trackerAnnounce()), UdpTracker.ANNOUNCE);
  assert.equal(trackerAnnounce().length, 98);
  assert.equal(sign(trackerAnnounce({ event: 0, numWant: 50, left: 0n, downloaded: 1n << 40n, uploaded: 123456n })), UdpTracker.ANNOUNCE);
  assert.equal(sign(trackerAnnounce({ left: 0xffffffffffffffffn })), UdpTracker.ANNOUNCE, 'left unknown (-1)');
  assert.equal(sign(trackerAnnounce({ options: [2, 9, ...Buffer.from('/announce'), 0] })), UdpTracker.ANNOUNCE, 'URLData, EndOfOptions');
  assert.equal(sign(trackerAnnounce({ options: [1, 1, 2, 3, 0x2f, 0x61, 0x62] })), UdpTracker.ANNOUNCE, 'NOPs, URLData to the end');
  assert.equal(sign(trackerAnnounce({ options: [0, 0xff, 0xff] })), UdpTracker.ANNOUNCE, 'nothing read after EndOfOptions');
  const misses: [string, Uint8Array][] = [
    ['connect with another protocol id', hex('00000417 27101981 00000000 12345678')],
    ['connect with action 1', hex('00000417 27101980 00000001 12345678')],
    ['connect of 17 bytes', Buffer.concat([trackerConnect(), Buffer.from([0])])],
    ['connect of 15 bytes', trackerConnect().subarray(0, 15)],
    ['announce of 97 bytes', trackerAnnounce().subarray(0, 97)],
    ['scrape (action 2)', trackerAnnounce({ action: 2 })],
    ['event 4', trackerAnnounce({ event: 4 })],
    ['downloaded 2^48', trackerAnnounce({ downloaded: 1n << 48n })],
    ['uploaded -2', trackerAnnounce({ uploaded: 0xfffffffffffffffen })],
    ['num_want 65536', trackerAnnounce({ numWant: 65536 })],
    ['an option running past the end', trackerAnnounce({ options: [2, 10, 0x2f] })],
    ['an option with no length', trackerAnnounce({ options: [2] })],
  ];
  for (const [name, bytes] of misses) assert.equal(sign(bytes), UdpTracker.NONE, name);
});

test('LSD (BEP 14): BT-SEARCH to the LSD group with an info hash', () => {
  const sign = (bytes: Uint8Array) => isLsd(bytes, 0, bytes.length);
  assert.equal(sign(lsd()), true);
  assert.equal(sign(lsd('[ff15::efc0:988f]:6771')), true, 'the IPv6 group');
  assert.equal(sign(text('BT-SEARCH * HTTP/1.1\r\nhost:239.192.152.143:6771 \r\nport: 6881\r\ninfohash: ed4f1085e885f98f9a69b70ee89eb988b8fd9115\r\ncookie: 1a2b\r\n\r\n')), true, 'header names in any case, blanks around values');
  assert.equal(sign(text('BT-SEARCH * HTTP/1.1\nHost: 239.192.152.143:6771\nInfohash: ED4F1085E885F98F9A69B70EE89EB988B8FD9115\n\n')), false, 'BEP 14\'s request line ends with CRLF');
  assert.equal(sign(lsd('239.255.255.250:1900')), false, 'SSDP\'s group');
  assert.equal(sign(lsd('239.192.152.143:6772')), false);
  assert.equal(sign(lsd(undefined, 'ED4F1085E885F98F9A69B70EE89EB988B8FD911')), false, '39 hex digits');
  assert.equal(sign(lsd(undefined, 'ED4F1085E885F98F9A69B70EE89EB988B8FD911G')), false);
  assert.equal(sign(lsd(undefined, undefined, 'BT-SEARCH * HTTP/1.0')), false);
  assert.equal(sign(lsd(undefined, undefined, 'M-SEARCH * HTTP/1.1')), false);
  assert.equal(sign(text('BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n\r\n')), false, 'no info hash');
  assert.equal(sign(text('BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\n\r\nInfohash: ED4F1085E885F98F9A69B70EE89EB988B8FD9115\r\n')), false, 'info hash after the blank line');
});
