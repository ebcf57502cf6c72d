// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { NOT_FOUND, SharedTable } from '../../../src/state/shared-table.ts';
import { SharedState } from '../../../src/state/shared-state.ts';

test('upsert then find, values round-trip, raise never lowers', () => {
  const table = new SharedTable(SharedTable.create(64, 2));
  assert.equal(table.find(0x0a000001, 1214), NOT_FOUND);
  const slot = table.upsert(0x0a000001, 1214);
  assert.notEqual(slot, NOT_FOUND);
  assert.equal(table.upsert(0x0a000001, 1214), slot, 'same key, same slot');
  assert.equal(table.find(0x0a000001, 1214), slot);
  assert.equal(table.find(0x0a000001, 1215), NOT_FOUND, 'the port is part of the key');
  table.set(slot, 0, 42);
  table.raise(slot, 1, 10);
  table.raise(slot, 1, 5);
  assert.equal(table.get(slot, 0), 42);
  assert.equal(table.get(slot, 1), 10);
});

test('bounded: inserting far more than the capacity keeps at most ~capacity entries, newest kept', () => {
  const capacity = 1024;
  const table = new SharedTable(SharedTable.create(capacity, 1));
  for (let i = 1; i <= 100_000; i++) assert.notEqual(table.upsert(i, 0), NOT_FOUND);
  const stats = table.stats();
  assert.ok(stats.entries <= capacity, `entries ${stats.entries}`);
  assert.ok(stats.rotations > 100);
  assert.equal(stats.full, 0);
  for (let i = 100_000 - capacity / 4; i <= 100_000; i++) assert.notEqual(table.find(i, 0), NOT_FOUND, `recent key ${i} kept`);
  assert.equal(table.find(1, 0), NOT_FOUND, 'the oldest are evicted');
});

test('an entry written again survives rotations (least recently written go first)', () => {
  const table = new SharedTable(SharedTable.create(256, 1));
  const keep = table.upsert(7, 7);
  table.set(keep, 0, 99);
  for (let i = 1000; i < 20_000; i++) {
    table.upsert(i, 0);
    if (i % 50 === 0) table.upsert(7, 7); // touched now and then
  }
  const slot = table.find(7, 7);
  assert.notEqual(slot, NOT_FOUND);
  assert.equal(table.get(slot, 0), 99, 'values are carried forward');
});

test('forEach visits each live entry once, keys unsigned', () => {
  const table = new SharedTable(SharedTable.create(64, 1));
  for (let i = 1; i <= 20; i++) table.upsert(0xc0000000 + i, 0);
  const seen: number[] = [];
  table.forEach((_slot, key0) => seen.push(key0));
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 0xc0000000 + i + 1));
});

test('keys above 2^31 (most IPv4 addresses) are found', () => {
  const table = new SharedTable(SharedTable.create(64, 1));
  const slot = table.upsert(0xc6336407, 65535);
  assert.equal(table.find(0xc6336407, 65535), slot);
  assert.equal(table.upsert(0xc6336407, 65535), slot);
});

const workers: Worker[] = [];
after(() => Promise.all(workers.map((worker) => worker.terminate())));

function startWorker(init: unknown): Worker {
  const worker = new Worker(new URL('../../fixtures/shared-state-worker.ts', import.meta.url), { workerData: init });
  workers.push(worker);
  return worker;
}

async function ask(worker: Worker, message: unknown): Promise<Record<string, unknown>> {
  worker.postMessage(message);
  const [reply] = await once(worker, 'message');
  return reply as Record<string, unknown>;
}

test('two worker threads share one view: a peer one learns, the other sees at once', async () => {
  const init = SharedState.create({ maxPeers: 1024, maxClients: 64 });
  const [a, b] = [startWorker(init), startWorker(init)];
  assert.deepEqual(await ask(b!, { op: 'find', ip: 0xc6336407, port: 1214 }), { found: false });
  await ask(a!, { op: 'learn', ip: 0xc6336407, port: 1214 });
  assert.deepEqual(await ask(b!, { op: 'find', ip: 0xc6336407, port: 1214 }), { found: true });
  assert.notEqual(new SharedState(init).peers.find(0xc6336407, 1214), NOT_FOUND, 'and so does the main thread');
});

test('concurrent inserts from two workers lose nothing', async () => {
  const init = SharedState.create({ maxPeers: 65536, maxClients: 64 });
  const [a, b] = [startWorker(init), startWorker(init)];
  await Promise.all([ask(a!, { op: 'learn-many', ip: 1, port: 80, count: 20_000 }), ask(b!, { op: 'learn-many', ip: 10_001, port: 80, count: 20_000 })]);
  const state = new SharedState(init);
  let missing = 0;
  for (let ip = 1; ip <= 30_000; ip++) if (state.peers.find(ip, 80) === NOT_FOUND) missing++;
  assert.equal(missing, 0);
});

test('kept entries (their keep bits set) are carried through every rotation; others still go', () => {
  const table = new SharedTable(SharedTable.create(256, 2, { index: 1, bits: 8 }));
  for (let k = 1; k <= 20; k++) table.set(table.upsert(k, 7), 1, k % 2 === 0 ? 8 : 0); // even keys kept
  for (let i = 1000; i < 100_000; i++) table.upsert(i, 0);
  assert.ok(table.stats().rotations > 500);
  for (let k = 1; k <= 20; k++) {
    const slot = table.find(k, 7);
    if (k % 2 === 0) assert.equal(slot === NOT_FOUND ? 0 : table.get(slot, 1), 8, `kept key ${k}`);
    else assert.equal(slot, NOT_FOUND, `ordinary key ${k} evicted`);
  }
  for (let k = 2; k <= 20; k += 2) table.clearBits(table.find(k, 7), 1, 8);
  for (let i = 200_000; i < 201_000; i++) table.upsert(i, 0);
  assert.equal(table.find(2, 7), NOT_FOUND, 'without its bits an entry ages out like any other');
});
