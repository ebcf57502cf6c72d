// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpMarker, findHttpMarker, findSupernodeAddress } from '../../../../../src/core/protocols/fasttrack/http.ts';

const marker = (text: string) => { const b = Buffer.from(text, 'latin1'); return findHttpMarker(b, 0, b.length); };
const supernode = (text: string) => { const b = Buffer.from(text, 'latin1'); return findSupernodeAddress(b, 0, b.length); };
const HASH = '8e0cda92da564448da5ec5070f3231907abac2a1';

test('request lines, headers and pushes of FastTrack transfers', () => {
  assert.equal(marker(`GET /.hash=${HASH} HTTP/1.1\r\nHost: 1.2.3.4\r\n\r\n`), HttpMarker.HASH_REQUEST);
  assert.equal(marker('GET /.files HTTP/1.1\r\nX-Kazaa-Username: bob\r\n\r\n'), HttpMarker.KAZAA_HEADER);
  assert.equal(marker('GET /1234/song.mp3 HTTP/1.1\r\nUserAgent: KazaaClient Nov  3 2002\r\n\r\n'), HttpMarker.KAZAA_AGENT);
  assert.equal(marker('HTTP/1.1 200 OK\r\nServer: KazaaClient\r\n\r\n'), HttpMarker.KAZAA_AGENT);
  assert.equal(marker('x-kazaa-network: KaZaA\r\n\r\n'), HttpMarker.KAZAA_HEADER, 'a header block continued in a later segment');
  assert.equal(marker('GIVE 4253679545\r\n'), HttpMarker.GIVE);
});

test('ordinary HTTP and near misses are not', () => {
  assert.equal(marker('GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n'), HttpMarker.NONE);
  assert.equal(marker('GET /.well-known/acme-challenge/x HTTP/1.1\r\n\r\n'), HttpMarker.NONE);
  assert.equal(marker(`GET /.hash=${HASH.slice(1)} HTTP/1.1\r\n\r\n`), HttpMarker.NONE, '39 hex digits');
  assert.equal(marker('GET / HTTP/1.1\r\nHost: x\r\n\r\nX-Kazaa-Username: in the body\r\n'), HttpMarker.NONE, 'only the header block counts');
  assert.equal(marker('GET / HTTP/1.1\r\nReferer: http://x/?X-Kazaa-IP\r\n\r\n'), HttpMarker.NONE, 'anchored at the line start');
  assert.equal(marker('GIVE 42\r\nmore'), HttpMarker.NONE, 'GIVE is the whole segment');
  assert.equal(marker('GIVE me a break\r\n'), HttpMarker.NONE);
});

test('X-Kazaa-SupernodeIP names a second peer', () => {
  assert.deepEqual(supernode(`GET /.hash=${HASH} HTTP/1.1\r\nX-Kazaa-SupernodeIP: 198.51.100.9:3531\r\n\r\n`), [0xc6336409, 3531]);
  assert.equal(supernode('GET / HTTP/1.1\r\nX-Kazaa-SupernodeIP: 300.1.1.1:80\r\n\r\n'), null);
  assert.equal(supernode('GET / HTTP/1.1\r\n\r\nX-Kazaa-SupernodeIP: 1.1.1.1:80\r\n'), null);
});
