// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PeerStore, parsePeerStore } from '../../../src/state/peer-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'ftwall-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('lines are ip:port; comments and blanks are fine; corrupt lines are skipped by number', () => {
  const result = parsePeerStore('# peers\n198.51.100.7:1214\n\nnot a peer\n300.1.1.1:80\n198.51.100.8:0\n192.0.2.1:3531\n');
  assert.deepEqual(result.peers, [{ ip: 0xc6336407, port: 1214 }, { ip: 0xc0000201, port: 3531 }]);
  assert.deepEqual(result.skipped.map((s) => s.line), [4, 5, 6]);
  assert.equal(result.tornTail, false);
});

test('a torn last line (crash mid-write) is skipped and the next append starts on a new line', () => {
  const path = join(dir, 'peers.txt');
  writeFileSync(path, '198.51.100.7:1214\n198.51.10');
  const store = new PeerStore(path);
  const loaded = store.load();
  assert.equal(loaded.peers.length, 1);
  assert.deepEqual(loaded.skipped, [{ line: 2, text: '198.51.10' }]);
  store.append(['198.51.100.9:80', '198.51.100.10:81']);
  assert.equal(readFileSync(path, 'utf8'), '198.51.100.7:1214\n198.51.10\n198.51.100.9:80\n198.51.100.10:81\n');
  assert.equal(new PeerStore(path).load().peers.length, 3);
});

test('a missing store is an empty one, in a directory it creates', () => {
  const store = new PeerStore(join(dir, 'new', 'peers.txt'));
  assert.deepEqual(store.load().peers, []);
});
