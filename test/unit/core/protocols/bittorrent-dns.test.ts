// SPDX-License-Identifier: GPL-2.0-or-later
// A DNS query for a BitTorrent client's domains is noted only (UdpSign.IDENTIFY,
// docs/BITTORRENT.md "Lookups"); answers, other names and look-alikes are nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UdpSign } from '../../../../src/core/protocol.ts';
import { isClientLookup } from '../../../../src/core/protocols/bittorrent/dns.ts';
import { recogniseBitTorrentUdp } from '../../../../src/core/protocols/bittorrent/index.ts';

/** A DNS message: id, flags, one question for `name` (type A), no other records but `additional`. */
function query(name: string, { flags = 0x0100, additional = 0, counts }: { flags?: number; additional?: number; counts?: number[] } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x6ff1, 0);
  header.writeUInt16BE(flags, 2);
  const [qd, an, ns, ar] = counts ?? [1, 0, 0, additional];
  header.writeUInt16BE(qd!, 4);
  header.writeUInt16BE(an!, 6);
  header.writeUInt16BE(ns!, 8);
  header.writeUInt16BE(ar!, 10);
  const labels = name.split('.').filter(Boolean).map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  const opt = additional ? Buffer.from('0000291000000000000000', 'hex') : Buffer.alloc(0);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1]), opt]);
}
const lookup = (bytes: Uint8Array) => isClientLookup(bytes, 0, bytes.length);

test('the clients\' domains and names under them, any case, with or without EDNS', () => {
  const ad = query('router.utorrent.com', { flags: 0x0120 });
  assert.equal(lookup(ad), true, 'with AD set (glibc trust-ad)');
  assert.equal(lookup(query('router.utorrent.com', { flags: 0x0110 })), true, 'with CD set');
  assert.equal(lookup(query('router.utorrent.com', { flags: 0x0103 })), false, 'an RCODE in a query');
  for (const name of ['utorrent.com', 'router.utorrent.com', 'router.bittorrent.com', 'dht.transmissionbt.com', 'dht.libtorrent.org', 'router.bitcomet.com', 'dht.aelitis.com', 'UTorrent.COM', 'update.qbittorrent.org']) {
    assert.equal(lookup(query(name)), true, name);
    assert.equal(lookup(query(name, { additional: 1 })), true, `${name} with EDNS`);
  }
  const sign = recogniseBitTorrentUdp(query('router.bittorrent.com'), 0, query('router.bittorrent.com').length);
  assert.equal(sign, UdpSign.STRONG | UdpSign.IDENTIFY | UdpSign.SERVER, 'identifies only: no LOCK, no REQUEST');
});

test('not a lookup: other names, look-alikes at no label boundary, answers, other opcodes, several questions, cut or compressed names', () => {
  for (const name of ['example.com', 'myutorrent.com', 'utorrent.com.evil.net', 'utorrent.co', 'bittorrent.org', 'torrent.com', 'com']) assert.equal(lookup(query(name)), false, name);
  assert.equal(lookup(query('utorrent.com', { flags: 0x8180 })), false, 'an answer');
  assert.equal(lookup(query('utorrent.com', { flags: 0x2800 })), false, 'an UPDATE');
  assert.equal(lookup(query('utorrent.com', { counts: [2, 0, 0, 0] })), false, 'two questions');
  assert.equal(lookup(query('utorrent.com', { counts: [1, 1, 0, 0] })), false, 'with an answer record');
  const whole = query('router.utorrent.com');
  for (let n = 0; n < whole.length; n++) assert.equal(lookup(whole.subarray(0, n)), false, `cut at ${n}`);
  const pointer = Buffer.concat([whole.subarray(0, 12), Buffer.from([6, 0x72, 0x6f, 0x75, 0x74, 0x65, 0x72, 0xc0, 0x0c, 0, 1, 0, 1])]);
  assert.equal(lookup(pointer), false, 'a compression pointer');
});
