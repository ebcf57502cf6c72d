// SPDX-License-Identifier: GPL-2.0-or-later
// FastTrack behind the protocol contract (core/protocol.ts): what the core and the actions see.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TcpSign, UdpSign } from '../../../../../src/core/protocol.ts';
import { createProtocols } from '../../../../../src/core/protocols/index.ts';
import { buildPong } from '../../../../../src/core/protocols/fasttrack/pong.ts';
import { DEFAULT_NETWORK_NAMES, FastTrackUdp, NetworkNames, classifyFastTrackUdp } from '../../../../../src/core/protocols/fasttrack/udp.ts';

const [fasttrack] = createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES });
const names = new NetworkNames(DEFAULT_NETWORK_NAMES);
const PING = Uint8Array.from([0x27, 0, 0, 0, 0xa9, 0x80, ...Buffer.from('Grokster\0')]);
const sign = (bytes: Uint8Array) => fasttrack!.recogniseUdp(bytes, 0, bytes.length);

test('UDP signs: a ping is a strong request, a pong strong, 0x29 and 0x2A weak, anything else none', () => {
  assert.equal(sign(PING), UdpSign.STRONG | UdpSign.REQUEST);
  assert.equal(sign(buildPong(0x29, Buffer.from('KaZaA'))), UdpSign.STRONG);
  assert.equal(sign(Uint8Array.from([0x2a, 0, 0, 0, 0])), UdpSign.WEAK);
  assert.equal(sign(Uint8Array.from([0x29, 0, 0, 0, 0x29, 1, 0, 0, 0, 1, 2, 3, 4])), UdpSign.WEAK);
  assert.equal(sign(Uint8Array.from([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('Other\0')])), UdpSign.NONE);
});

test('the reply to a ping is a valid 0x28 pong echoing its encryption type and name (17 bytes with KaZaA)', () => {
  const pong = fasttrack!.buildReply(PING)!;
  assert.equal(classifyFastTrackUdp(pong, 0, pong.length, names), FastTrackUdp.PONG);
  assert.equal(new DataView(pong.buffer).getUint32(1), 0xa9);
  assert.equal(Buffer.from(pong.subarray(11, pong.length - 1)).toString(), 'Grokster');
  assert.equal(fasttrack!.buildReply(Uint8Array.from([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')]))!.length, 17);
});

test('the probe is a copy of the kept ping; any FastTrack datagram answers it, weak ones only from a known client', () => {
  const seed = PING.slice();
  const probe = fasttrack!.buildProbe(seed);
  assert.deepEqual(probe, PING);
  seed[0] = 0;
  assert.equal(probe[0], 0x27, 'a copy: the caller may reuse its seed buffer');
  assert.equal(fasttrack!.isProbeAnswer(PING, 0, PING.length, false), true);
  const setup = Uint8Array.from([0x2a, 0, 0, 0, 0]);
  assert.equal(fasttrack!.isProbeAnswer(setup, 0, 5, false), false);
  assert.equal(fasttrack!.isProbeAnswer(setup, 0, 5, true), true);
});

test('TCP: file-transfer HTTP is a session start and may name a supernode; an open header block asks for more', () => {
  const request = Buffer.from('GET /.files HTTP/1.1\r\nX-Kazaa-SupernodeIP: 198.51.100.9:1214\r\n\r\n', 'latin1');
  assert.equal(fasttrack!.recogniseTcp(request, 0, request.length), TcpSign.MATCH);
  assert.deepEqual(fasttrack!.namedPeer(request, 0, request.length), { ip: (198 << 24 >>> 0) + (51 << 16) + (100 << 8) + 9, port: 1214 });
  const web = Buffer.from('GET / HTTP/1.1\r\nHost: example.org\r\n\r\n', 'latin1');
  assert.equal(fasttrack!.recogniseTcp(web, 0, web.length), TcpSign.NONE, 'the header block ended without a marker');
  const lower = Buffer.from('get /x HTTP/1.1\r\nx-kazaa-username: a\r\n', 'latin1');
  assert.equal(fasttrack!.recogniseTcp(lower, 0, lower.length), TcpSign.MATCH, 'header names in any case');
  for (const open of ['', 'GET /.hash=8e0c', 'GET / HTTP/1.1\r\nHost: example.org\r\nX-Ka', 'GIVE 12', 'HTTP/1.1 200 OK\r\n']) {
    const bytes = Buffer.from(open, 'latin1');
    assert.equal(fasttrack!.recogniseTcp(bytes, 0, bytes.length), TcpSign.MORE, JSON.stringify(open));
  }
  for (const done of ['\x16\x03\x01\x02\x00\x01\x00', 'SSH-2.0-x\r\n\x00\x00\x05', '\r\n', 'A\r\n\r\n', 'A\n\nB', 'a\x7f']) {
    const bytes = Buffer.from(done, 'latin1');
    assert.equal(fasttrack!.recogniseTcp(bytes, 0, bytes.length), TcpSign.NONE, JSON.stringify(done));
  }
});
