// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PeerStore, parsePeerStore, peerLine } from '../../../src/state/peer-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'ftwall-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('lines are ip:port; comments and blanks are fine; corrupt lines are skipped by number', () => {
  const result = parsePeerStore('# peers\n198.51.100.7:1214\n\nnot a peer\n300.1.1.1:80\n198.51.100.8:0\n192.0.2.1:3531\n');
  assert.deepEqual(result.peers, [{ ip: 0xc6336407, port: 1214, kind: 'pinned' }, { ip: 0xc0000201, port: 3531, kind: 'pinned' }]);
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

test('"learned" and "confirmed" are ftwall\'s lines; a plain line is the operator\'s and wins; duplicates are one peer', () => {
  const result = parsePeerStore('198.51.100.7:1214 learned\n198.51.100.8:80 learned\n198.51.100.7:1214\n198.51.100.8:80 confirmed\n198.51.100.9:80 learnt\n198.51.100.8:80 learned\n198.51.100.7:1214 confirmed\n');
  assert.deepEqual(result.peers, [{ ip: 0xc6336407, port: 1214, kind: 'pinned' }, { ip: 0xc6336408, port: 80, kind: 'confirmed' }]);
  assert.deepEqual(result.skipped.map((s) => s.line), [5]);
  assert.equal(peerLine('198.51.100.8', 80, 'learned'), '198.51.100.8:80 learned');
  assert.equal(peerLine('198.51.100.8', 80, 'confirmed'), '198.51.100.8:80 confirmed');
  assert.equal(peerLine('198.51.100.8', 80, 'pinned'), '198.51.100.8:80');
});

test('the store knows when it is full and is rewritten atomically', () => {
  const path = join(dir, 'bounded.txt');
  const store = new PeerStore(path, 3);
  store.load();
  store.append(['198.51.100.1:1', '198.51.100.2:2']);
  assert.equal(store.full, false);
  store.append(['198.51.100.3:3']);
  assert.equal(store.full, true);
  store.rewrite(['198.51.100.3:3']);
  assert.equal(readFileSync(path, 'utf8'), '198.51.100.3:3\n');
  assert.equal(store.lines, 1);
  assert.equal(store.full, false);
  assert.equal(new PeerStore(path).load().lines, 1);
});
