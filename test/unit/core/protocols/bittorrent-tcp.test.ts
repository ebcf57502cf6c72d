// SPDX-License-Identifier: GPL-2.0-or-later
// BitTorrent at the start of a TCP flow: the peer wire handshake (BEP 3) and an HTTP tracker
// announce; MORE while the bytes so far could still become one; WATCH for a start that could be
// MSE/PE, and the handshake in the clear in a watched flow's later segments (docs/BITTORRENT.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TcpSign } from '../../../../src/core/protocol.ts';
import { REQUEST_LINE_MAX_BYTES } from '../../../../src/core/protocols/bittorrent/http.ts';
import { recogniseBitTorrentTcp } from '../../../../src/core/protocols/bittorrent/index.ts';
import { createProtocols } from '../../../../src/core/protocols/index.ts';
import { HANDSHAKE } from './bittorrent-messages.ts';

const bt = createProtocols(['bittorrent'], { networkNames: [] })[0]!;

const sign = (bytes: Uint8Array | string) => {
  const value = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  return recogniseBitTorrentTcp(value, 0, value.length);
};
// The request line of the capture bt-http.pcapng (Transmission 2.94), cut short.
const ANNOUNCE = 'GET /announce?info_hash=%aa7i%c4S%0d%de%06%24%18s%da%d4%3a%b5%cc%ec%2c%e6%22&peer_id=-TR2940-chho92c56pul&port=51413&uploaded=0&downloaded=0&left=282050560&compact=1&event=started HTTP/1.1\r\n';

test('the peer wire handshake: its 20 fixed bytes match, a prefix of them asks for more', () => {
  assert.equal(sign(HANDSHAKE), TcpSign.MATCH);
  assert.equal(sign(HANDSHAKE.subarray(0, 20)), TcpSign.MATCH);
  for (let n = 1; n < 20; n++) assert.equal(sign(HANDSHAKE.subarray(0, n)), TcpSign.MORE, `${n} bytes`);
  assert.equal(sign(new Uint8Array(0)), TcpSign.MORE, 'nothing yet');
  assert.equal(sign('\x13BitTorrent protocoL'), TcpSign.NONE);
  assert.equal(sign('\x13BitTorrent'), TcpSign.MORE);
  assert.equal(sign('\x13BitX'), TcpSign.NONE);
  assert.equal(sign('\x12BitTorrent protocol'), TcpSign.NONE);
  assert.equal(sign(Buffer.concat([Buffer.from([0]), HANDSHAKE])), TcpSign.NONE, 'only at the start');
  // An MSE/PE start (a Diffie-Hellman public value) has no fixed bytes: the capture bittorrent_tcp_miss.pcapng's first 16 are watched.
  assert.equal(sign(Buffer.from('5a05be68a0a535134059a917fb0289a6', 'hex')), TcpSign.WATCH);
});

test('a start that could be MSE/PE (16 random-looking bytes) is watched; text, TLS and length-prefixed headers are not', () => {
  assert.equal(sign(Buffer.from('5a05be68a0a535134059a917fb0289a6', 'hex')), TcpSign.WATCH);
  assert.equal(sign(Buffer.from('5a05be68a0a535134059a917fb0289', 'hex')), TcpSign.NONE, 'fewer than 16 bytes: an MSE start is 96 or more');
  assert.equal(sign(Buffer.from('13a535134059a917fb0289a6015bfc74f7', 'hex')), TcpSign.WATCH, 'a key may start with 0x13 too');
  assert.equal(sign(Buffer.from('160301020001000001fc03035e3b9c0d8a', 'hex')), TcpSign.NONE, 'a TLS ClientHello');
  assert.equal(sign('SSH-2.0-OpenSSH_9.2p1 Debian\r\n'), TcpSign.NONE);
  assert.equal(sign('POST /upload HTTP/1.1\r\nHost: x\r\n'), TcpSign.NONE);
  assert.equal(sign(Buffer.from('000000a4fe534d4240000100000000000000', 'hex')), TcpSign.NONE, 'SMB2 over TCP');
  let watched = 0;
  for (let i = 0; i < 1000; i++) if (sign(crypto.getRandomValues(new Uint8Array(96))) === TcpSign.WATCH) watched++;
  assert.ok(watched > 900, `${watched} of 1000 random 96-byte starts watched`);
});

test('later segments of a watched flow: the handshake\'s 20 fixed bytes anywhere in one segment, either way', () => {
  const later = (bytes: Uint8Array) => bt.recogniseTcpLater(bytes, 0, bytes.length);
  const random = crypto.getRandomValues(new Uint8Array(300));
  assert.equal(later(HANDSHAKE), true);
  assert.equal(later(Buffer.concat([random, HANDSHAKE])), true, 'after MSE/PE\'s last bytes in the same segment');
  assert.equal(later(Buffer.concat([random, HANDSHAKE.subarray(0, 19)])), false, 'cut: not in this segment');
  assert.equal(later(random), false);
  const offset = Buffer.concat([HANDSHAKE, random]);
  assert.equal(bt.recogniseTcpLater(offset, 1, offset.length - 1), false, 'only within the segment\'s bounds');
  assert.equal(bt.recogniseTcpLater(offset, 0, 19), false);
});

test('an HTTP tracker announce: GET with info_hash and peer_id among the query\'s parameters', () => {
  assert.equal(sign(ANNOUNCE), TcpSign.MORE, 'the header block says who sent it');
  assert.equal(sign(`${ANNOUNCE}Host: tracker.example\r\nUser-Agent: Transmission/3.00\r\n\r\n`), TcpSign.MATCH, 'a client: locks');
  assert.equal(sign(`${ANNOUNCE}Host: tracker.example\r\n\r\n`), TcpSign.MATCH);
  assert.equal(sign('GET /a/b/announce.php?passkey=x&peer_id=-UT3550-abcdefghijkl&info_hash=%01 HTTP/1.0\nHost: t\n\n'), TcpSign.MATCH, 'any order, HTTP/1.0, bare LF');
  assert.equal(sign('GET http://tracker.example/announce?info_hash=1&peer_id=2 HTTP/1.1\r\n\r\n'), TcpSign.MATCH, 'absolute form (through a proxy)');
  // A browser, made to fetch such a URL by any web page: identified only (no lock, no peer).
  for (const header of ['User-Agent: Mozilla/5.0 (X11; Linux x86_64)', 'user-agent:mozilla/5.0', 'Sec-Fetch-Mode: no-cors', 'Referer: https://example.com/', 'Origin: https://example.com']) {
    assert.equal(sign(`${ANNOUNCE}Host: t\r\n${header}\r\n\r\n`), TcpSign.IDENTIFY, header);
  }
  assert.equal(sign(`${ANNOUNCE}Host: t\r\nUser-Agent: aria2/1.36.0\r\n`), TcpSign.MORE, 'a block not ended yet');
  assert.equal(sign(`${ANNOUNCE.replace('event=started', 'event=stopped')}Host: t\r\n\r\n`), TcpSign.IDENTIFY, 'a client that quits: not locked anew');
  for (const none of [
    'GET /scrape?info_hash=%aa HTTP/1.1\r\n', // a scrape names no peer
    'GET /announce?xinfo_hash=1&xpeer_id=2 HTTP/1.1\r\n', // not parameter names
    'GET /info_hash=1&peer_id=2 HTTP/1.1\r\n', // no query
    'GET /a?info_hash=1&peer_id=2 HTTP/2.0\r\n',
    'GET /a?info_hash=1&peer_id=2 HTTP/1.1\r\r\n',
    'GET /a?info_hash=1&peer_id=2 HTTP/1.1 \r\n',
    'GET /a?info_hash=1\x01&peer_id=2 HTTP/1.1\r\n',
    'GET  /a?info_hash=1&peer_id=2 HTTP/1.1\r\n',
    'POST /announce?info_hash=1&peer_id=2 HTTP/1.1\r\n',
    'get /announce?info_hash=1&peer_id=2 HTTP/1.1\r\n',
    'GET / HTTP/1.1\r\nHost: example.org\r\n\r\n',
    'GEX',
    'HTTP/1.1 200 OK\r\n',
  ]) assert.equal(sign(none), TcpSign.NONE, JSON.stringify(none));
});

test('an announce\'s request line split across segments asks for more, up to a bound', () => {
  for (const open of ['G', 'GE', 'GET', 'GET ', 'GET /announce?info_hash=%aa', ANNOUNCE.slice(0, -12), ANNOUNCE.slice(0, -3), ANNOUNCE.slice(0, -1), 'GET / HTTP/1.', 'GET / HTTP/1.1\r']) {
    assert.equal(sign(open), TcpSign.MORE, JSON.stringify(open));
  }
  const long = `GET /announce?info_hash=1&peer_id=2&pad=${'x'.repeat(REQUEST_LINE_MAX_BYTES)}`;
  assert.equal(sign(long.slice(0, REQUEST_LINE_MAX_BYTES - 1)), TcpSign.MORE);
  assert.equal(sign(long.slice(0, REQUEST_LINE_MAX_BYTES)), TcpSign.NONE, 'given up at the bound');
  assert.equal(sign(`${long} HTTP/1.1\r\n`), TcpSign.IDENTIFY, 'a whole line is judged whatever its length');
});
