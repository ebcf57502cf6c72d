// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { HttpMarker, findHttpMarker } from '../../../../../src/core/protocols/fasttrack/http.ts';
import { DEFAULT_NETWORK_NAMES, FastTrackUdp, NetworkNames, classifyFastTrackUdp } from '../../../../../src/core/protocols/fasttrack/udp.ts';
import { readCapture } from '../../../../helpers/pcap.ts';

const names = new NetworkNames(DEFAULT_NETWORK_NAMES);
const PCAPS = new URL('../../../../../../shared/pcaps/', import.meta.url);
const classify = (bytes: number[] | Uint8Array, list = names) => classifyFastTrackUdp(Uint8Array.from(bytes), 0, bytes.length, list);
const hex = (text: string) => [...Buffer.from(text.replace(/\s+/g, ''), 'hex')];

test('0x27 pings with each allowed name, including the 12-byte KaZaA ping', () => {
  assert.equal(classify(hex('27 00000029 80 4B615A614100')), FastTrackUdp.PING);
  assert.equal(hex('27 00000029 80 4B615A614100').length, 12);
  assert.equal(classify(hex('27 000000A9 80 4B615A614100')), FastTrackUdp.PING, 'mldonkey encryption type');
  assert.equal(classify([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('Grokster\0')]), FastTrackUdp.PING);
  assert.equal(classify([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('fileshare\0')]), FastTrackUdp.PING);
  assert.equal(classify([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('MusicCity\0')]), FastTrackUdp.PING);
});

test('near misses of the ping are not FastTrack', () => {
  // A real GTP' packet starts like a ping (libprotoident's mistake): byte 5 is not 0x80.
  const gtpPrime = hex('27 00 00 00 02 59 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00');
  assert.equal(gtpPrime.length, 39);
  assert.equal(classify(gtpPrime), FastTrackUdp.NONE);
  assert.equal(classify(hex('27 00000029 80 4B615A6141')), FastTrackUdp.NONE, 'no NUL');
  assert.equal(classify(hex('27 00000029 80 4B615A614100 00')), FastTrackUdp.NONE, 'bytes after the NUL');
  assert.equal(classify(hex('27 00000029 80 6B617A616100')), FastTrackUdp.NONE, '"kazaa" is not "KaZaA"');
  assert.equal(classify([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('Gnutella\0')]), FastTrackUdp.NONE, 'name not allowed');
  assert.equal(classify([0x00, 0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')]), FastTrackUdp.NONE, 'name anchored at its offset');
  assert.equal(classify(hex('27 00000029 80 4B615A614100'), new NetworkNames(['Grokster'])), FastTrackUdp.NONE, 'configurable allow-list');
});

test('pongs and setup messages by their layouts', () => {
  assert.equal(classify(hex('28 00000029 00 2a 3c13 50 07 4B615A614100')), FastTrackUdp.PONG);
  assert.equal(classify(hex('28 00000029 00 2a 3c13 e0 07 4B615A614100')), FastTrackUdp.NONE, 'load over 100%');
  assert.equal(classify(hex('29 000000a9 01 00 0000 11223344')), FastTrackUdp.PONG2);
  assert.equal(classify(hex('29 000000a9 01 01 0000 11223344 c0a8010a 0dcb 0000')), FastTrackUdp.PONG2);
  assert.equal(classify(hex('29 000000a9 01 01 0000 11223344')), FastTrackUdp.NONE, 'flag 1 needs 21 bytes');
  assert.equal(classify(hex('29 000000a9 03 00 0000 11223344')), FastTrackUdp.NONE);
  assert.equal(classify(hex('2a 11223344')), FastTrackUdp.SETUP);
  assert.equal(classify(hex('2a 1122334455')), FastTrackUdp.NONE);
});

test('the synthetic FastTrack capture: every UDP packet and both HTTP flows are recognised', () => {
  const segments = readCapture(new URL('synthetic/fasttrack_synthetic.pcap', PCAPS).pathname);
  const udp = segments.filter((s) => s.protocol === 'udp').map((s) => classifyFastTrackUdp(s.payload, 0, s.payload.length, names));
  assert.deepEqual(udp, [FastTrackUdp.PING, FastTrackUdp.PONG, FastTrackUdp.PING, FastTrackUdp.PONG2, FastTrackUdp.PING, FastTrackUdp.PING]);
  const tcp = segments.filter((s) => s.protocol === 'tcp' && s.payload.length > 0).map((s) => findHttpMarker(s.payload, 0, s.payload.length));
  assert.ok(tcp.includes(HttpMarker.HASH_REQUEST));
  assert.ok(tcp.includes(HttpMarker.GIVE));
  assert.equal(tcp[0], HttpMarker.NONE, 'the encrypted session start has no marker');
});

test('must not match: no UDP payload and no TCP payload of any real capture is FastTrack', () => {
  let udpPayloads = 0;
  let tcpPayloads = 0;
  for (const dir of ['benign', 'p2p']) {
    for (const file of readdirSync(new URL(dir, PCAPS))) {
      for (const segment of readCapture(new URL(`${dir}/${file}`, PCAPS).pathname)) {
        const { payload } = segment;
        if (segment.protocol === 'udp') {
          udpPayloads++;
          assert.equal(classifyFastTrackUdp(payload, 0, payload.length, names), FastTrackUdp.NONE, `${dir}/${file} frame ${segment.frame}`);
        } else if (payload.length > 0) {
          tcpPayloads++;
          assert.equal(findHttpMarker(payload, 0, payload.length), HttpMarker.NONE, `${dir}/${file} frame ${segment.frame}`);
        }
      }
    }
  }
  assert.ok(udpPayloads > 3000 && tcpPayloads > 1000, `${udpPayloads} UDP and ${tcpPayloads} TCP payloads checked`);
});
