// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowCutter, type DeleteFlows } from '../../../src/actions/flow-cutter.ts';

test('a spray of learned peers cannot start a deletion per peer', () => {
  const started: string[] = [];
  const cutter = new FlowCutter(() => {}, (filter) => {
    started.push(`${filter.destination}:${filter.destinationPort}`);
    return new Promise(() => {}); // never settles: every deletion stays "running"
  });
  for (let i = 0; i < 10_000; i++) cutter.cut(`198.18.${i >> 8 & 0xff}.${i & 0xff}`, 1214, 1000);
  assert.equal(started.length, 8, 'at most 4 cuts at once (a UDP and a TCP deletion each)');
  assert.equal(cutter.counts.rate_limited, 10_000 - 20, 'at most 20 per second start or wait');
  cutter.cut('192.0.2.1', 80, 2000);
  assert.equal(cutter.counts.rate_limited, 10_000 - 20, 'the budget refills');
});

test('a flow the safety net caught has its own budget', () => {
  const started: string[] = [];
  const cutter = new FlowCutter(() => {}, (filter) => {
    started.push(`${filter.destination}:${filter.destinationPort}`);
    return new Promise(() => {});
  });
  for (let i = 0; i < 1000; i++) cutter.cut(`198.18.0.${i & 0xff}`, 1000 + i, 1000);
  cutter.cut('203.0.113.9', 1214, 1000, true);
  assert.equal(cutter.counts.rate_limited, 1000 - 20, 'the spray used up the learned peers\' budget');
  assert.equal(cutter.counts.requested - cutter.counts.rate_limited - cutter.counts.overflow, 21, 'the hit was taken');
  for (let i = 0; i < 100; i++) cutter.cut('203.0.113.10', i, 1000, true);
  assert.equal(cutter.counts.rate_limited, 1000 - 20 + 100 - 49, 'its own budget: 50 a second');
  assert.deepEqual(started.slice(0, 2), ['198.18.0.0:1000', '198.18.0.0:1000'], 'the first learned peer was running already');
  assert.ok(started.length <= 8);
});

test('a cut deletes the UDP and TCP flows to the peer and counts the entries; the first failure is reported once', async () => {
  const filters: unknown[] = [];
  const errors: string[] = [];
  let fail = false;
  const deleteFlows: DeleteFlows = async (filter) => {
    filters.push(filter);
    if (fail) throw new Error('conntrack delete failed: Operation not permitted');
    return { matched: 2, deleted: 2 };
  };
  const cutter = new FlowCutter((message) => errors.push(message), deleteFlows);
  cutter.cut('198.18.0.9', 1214, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(filters, [
    { protocol: 'udp', destination: '198.18.0.9', destinationPort: 1214 },
    { protocol: 'tcp', destination: '198.18.0.9', destinationPort: 1214 },
  ]);
  assert.equal(cutter.counts.cut, 4);
  fail = true;
  cutter.cut('198.18.0.10', 1214, 0);
  cutter.cut('198.18.0.11', 1214, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(cutter.counts.failed, 2);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /Operation not permitted/);
  assert.equal(cutter.running, 0);
});

test('the start-up check says why deletions cannot work, or null', async () => {
  assert.equal(await FlowCutter.check(async () => ({ matched: 0, deleted: 0 })), null);
  assert.match(String(await FlowCutter.check(async () => { throw new Error('conntrack dump failed: Protocol not supported'); })), /Protocol not supported/);
});

test('at start, one deletion cuts the flows to every known peer; a failure is reported, never thrown', async () => {
  const filters: unknown[] = [];
  const errors: string[] = [];
  const cutter = new FlowCutter((message) => errors.push(message), async (filter) => {
    filters.push(filter);
    if (filters.length > 1) throw new Error('conntrack dump failed: Operation not permitted');
    return { matched: 3, deleted: 3 };
  });
  const peers = [['198.18.0.9', 1214], ['198.18.0.10', 3531]] as const;
  assert.equal(await cutter.cutAll(peers), 3);
  assert.deepEqual(filters, [{ destinations: peers }]);
  assert.equal(await cutter.cutAll([]), 0, 'nothing to cut: no dump');
  assert.equal(filters.length, 1);
  assert.equal(await cutter.cutAll(peers), 0);
  assert.match(errors[0]!, /Operation not permitted/);
});
