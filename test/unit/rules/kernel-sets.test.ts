// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipFromString } from '../../../src/core/packet.ts';
import { ClientStatus } from '../../../src/core/types.ts';
import { KernelSets, KernelSetsError, PEER_ELEMENTS_PER_SECOND, openKernelSets, stateElements } from '../../../src/rules/kernel-sets.ts';
import type { KernelSetsPlan, SetUpdate } from '../../../src/rules/nft-sets.ts';
import { StateWriter } from '../../../src/state/apply.ts';
import { Client, PeerSource, SharedState } from '../../../src/state/shared-state.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const plan: KernelSetsPlan = { lanInterfaces: ['lan0'], exempt: [], enforce: true, blockUdp: true, locks: true, sourceNewFlows: 500, probePort: 41214, probePorts: 1024, udpShapes: [{ firstByte: [0x27, 0x2a], payloadLength: [5, 21] }], bypassMark: 0 };
const mac = '02:77:01:00:00:10';
const packet = { src_ip: '10.0.0.10', dest_ip: '198.18.0.7', src_port: 3000, dest_port: 1214, proto: 'UDP', action: 'blocked', reason: 'p2p_udp', src_mac: mac } as const;

/** A fake libnftables: records scripts, answers listings from `tables`. */
function fakeNft(answer: (script: string, options?: { json?: boolean; terse?: boolean }) => string = () => '') {
  const scripts: string[] = [];
  const run = async (script: string, options?: { json?: boolean; terse?: boolean }) => {
    scripts.push(script);
    return answer(script, options);
  };
  return { run, scripts };
}

/** `list sets table` plus `list set limited`: every set there, these sources limited. */
const quick = () => `${JSON.stringify({ nftables: ['locked', 'clients', 'peers', 'learned', 'flood', 'limited', 'guesses'].map((name) => ({ set: { name } })) })}\n`;
const limitedSet = (limited: string[] = []) => `${JSON.stringify({ nftables: [{ set: { name: 'limited', elem: limited } }] })}\n`;
const status = (pre: number, post: number, counters: Record<string, number> = {}, answers = 3) => JSON.stringify({ nftables: [
  { table: { name: 'ftwall' } }, { chain: { name: 'pre' } }, { chain: { name: 'post' } }, { chain: { name: 'answers' } },
  ...Array.from({ length: pre }, () => ({ rule: { chain: 'pre' } })), ...Array.from({ length: post }, () => ({ rule: { chain: 'post' } })),
  ...Array.from({ length: answers }, () => ({ rule: { chain: 'answers' } })),
  ...Object.entries(counters).map(([name, packets]) => ({ counter: { name, packets } })),
] });

test('the state\'s elements: peers by quorum, identified clients with a MAC, running locks', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 1_000_000 }));
  const writer = new StateWriter(state, 120, 3);
  const now = state.ticks(1_000_000);
  writer.learnPeer(ipFromString('198.18.0.7'), 1214, 0, 0, false, PeerSource.STORE | PeerSource.CONFIRMED, now);
  writer.learnPeer(ipFromString('198.18.0.8'), 1214, 0, 0, false, PeerSource.STORE, now);
  const slot = state.clients.upsert(ipFromString('10.0.0.10'), 0x01000010);
  state.clients.set(slot, Client.flags, ClientStatus.IDENTIFIED);
  state.clients.set(slot, Client.macHigh, 0x02770100);
  state.clients.set(slot, Client.macLow, 0x00100000);
  state.clients.set(slot, Client.lockUntil, state.ticks(1_000_000 + 60_000));
  const noMac = state.clients.upsert(ipFromString('10.0.0.11'), 0);
  state.clients.set(noMac, Client.flags, ClientStatus.IDENTIFIED);
  const elements = stateElements(state, 1_000_000);
  const sorted = (list: SetUpdate[]) => [...list].sort((a, b) => `${a.set}${a.key}`.localeCompare(`${b.set}${b.key}`));
  assert.deepEqual(sorted(elements), sorted([
    { set: 'peers', key: '198.18.0.7 . 1214', seconds: 3600 },
    { set: 'learned', key: '198.18.0.8 . 1214', seconds: 3600 },
    { set: 'clients', key: `10.0.0.10 . ${mac}`, seconds: 3600 },
    { set: 'locked', key: `10.0.0.10 . ${mac}`, seconds: 60 },
  ]));
});

test('install replaces an earlier table and keeps its entries still running out', async () => {
  const earlier = JSON.stringify({ nftables: [{ set: { name: 'locked', type: ['ipv4_addr', 'ether_addr'], elem: [{ elem: { val: { concat: ['10.0.0.9', mac] }, expires: 50 } }] } }] });
  const nft = fakeNft((script) => (script.startsWith('list table') ? earlier : ''));
  const { log, lines } = memoryLogger();
  const sets = await openKernelSets(plan, new SharedState(SharedState.create({ maxPeers: 16, maxClients: 16 })), log, nft.run);
  assert.ok(sets instanceof KernelSets);
  assert.equal(nft.scripts.length, 2);
  assert.match(nft.scripts[1]!, /^add table ip ftwall\ndelete table ip ftwall\ntable ip ftwall \{/);
  assert.match(nft.scripts[1]!, /add element ip ftwall locked \{ 10\.0\.0\.9 \. 02:77:01:00:00:10 timeout 50s \}/);
  assert.deepEqual(lines.map((line) => [line.event, line.replaced, line.carried]), [['kernel_sets_installed', true, 1]]);
});

test('a table that cannot be installed is a start-up error', async () => {
  const { log } = memoryLogger();
  const run = async (script: string) => { if (script.startsWith('list')) throw new Error('No such file or directory'); throw new Error('Error: Could not process rule: No such file or directory'); };
  await assert.rejects(openKernelSets(plan, new SharedState(SharedState.create({ maxPeers: 16, maxClients: 16 })), log, run), KernelSetsError);
});

test('events within a batch become one transaction; a failed one is logged and reloads the sets at the next check', async () => {
  let fail = true;
  const nft = fakeNft((script) => {
    if (script.startsWith('add element') && fail) throw new Error('Error: Could not process rule: No buffer space available');
    if (script.startsWith('list sets')) return quick();
    if (script.startsWith('list set ')) return limitedSet();
    return script.startsWith('list table') ? status(3, 3) : '';
  });
  const { log, lines } = memoryLogger();
  const sets = new KernelSets({ plan, elements: () => [{ set: 'peers', key: '198.18.0.9 . 1214', seconds: 3600 }], log, run: nft.run });
  sets.take({ event: 'peer_learned', source: 'udp', confirmed: true, ...packet });
  sets.take({ event: 'lock_started', lock_until: new Date(Date.now() + 60_000).toISOString(), ...packet });
  sets.take({ event: 'probe_sent', dest_ip: '10.0.0.10', dest_port: 3000, src_port: 41500, proto: 'UDP' });
  await sets.flush();
  assert.equal(nft.scripts.length, 1, 'one transaction');
  assert.match(nft.scripts[0]!, /add element ip ftwall peers \{ 198\.18\.0\.7 \. 1214 timeout 3600s \}/);
  assert.match(nft.scripts[0]!, /add element ip ftwall locked \{ 10\.0\.0\.10 \. 02:77:01:00:00:10 timeout (60s|59\d{3}ms) \}/);
  assert.deepEqual(sets.updates, { applied: 0, failed: 1, skipped: 0 });
  assert.deepEqual(lines.map((line) => line.event), ['kernel_sets_failed']);
  fail = false;
  await sets.check(Date.now(), Number.MAX_SAFE_INTEGER);
  assert.match(nft.scripts.at(-1)!, /^add element ip ftwall peers \{ 198\.18\.0\.9 \. 1214 timeout 1s \}\n/, 'the sets are reloaded from the state');
});

test('the check reinstalls a removed or changed table, reads the counters and logs limited sources', async () => {
  let present = false;
  let limited: string[] = [];
  let rules = 3;
  const nft = fakeNft((script) => {
    if (script.startsWith('list') && !script.startsWith('list table ip ftwall\n') && !present) throw new Error('No such file or directory');
    if (script.startsWith('list sets')) return quick();
    if (script.startsWith('list set ')) return limitedSet(limited);
    if (script.startsWith('list table')) return status(rules, 3, { source_limited: 1200, peer_dropped: 5 });
    if (script.startsWith('add table')) present = true;
    return '';
  });
  const { log, lines } = memoryLogger();
  const sets = new KernelSets({ plan, elements: () => [], log, run: nft.run });
  await sets.check(1_000_000, Number.MAX_SAFE_INTEGER);
  assert.ok(present, 'reinstalled');
  assert.deepEqual(lines.map((line) => line.event), ['kernel_sets_reinstalled']);
  assert.equal(sets.reinstalled, 1, 'ftwall.rules.reinstalled{rules=nftables}');
  const listed = nft.scripts.length;
  await sets.check(1_002_000, Number.MAX_SAFE_INTEGER);
  assert.equal(nft.scripts.length, listed + 3, 'the first check after install reads the rules and counters too');
  assert.equal(sets.dropped.source_limited, 1200);
  assert.equal(sets.dropped.known_peer, 5);
  await sets.check(1_004_000, Number.MAX_SAFE_INTEGER);
  assert.equal(nft.scripts.length, listed + 5, 'then only the sets are listed (cheap whatever their size)');
  limited = ['10.0.0.66'];
  await sets.check(1_006_000, Number.MAX_SAFE_INTEGER);
  const line = lines.find((entry) => entry.event === 'source_limited');
  assert.ok(line, 'source_limited logged');
  assert.deepEqual([line.sources, line.dropped, line.limit], [['10.0.0.66'], 1200, 500]);
  await sets.check(1_020_000, Number.MAX_SAFE_INTEGER);
  assert.equal(lines.filter((entry) => entry.event === 'source_limited').length, 1, 'not again while the counter stands still');
  rules = 2;
  await sets.check(1_060_000, Number.MAX_SAFE_INTEGER);
  assert.equal(lines.filter((entry) => entry.event === 'kernel_sets_reinstalled').length, 2, 'a rule removed: reinstalled');
  assert.equal(sets.reinstalled, 2);
});

test('remove deletes the table once and takes no more events', async () => {
  const nft = fakeNft();
  const { log, lines } = memoryLogger();
  const sets = new KernelSets({ plan, elements: () => [], log, run: nft.run });
  await sets.remove();
  await sets.remove();
  sets.take({ event: 'peer_learned', source: 'udp', confirmed: true, ...packet });
  await sets.flush();
  assert.deepEqual(nft.scripts, ['add table ip ftwall\ndelete table ip ftwall\n']);
  assert.deepEqual(lines.map((line) => line.event), ['kernel_sets_removed']);
});

test('peer and client elements beyond their rate are skipped and counted; locks always go', async () => {
  const nft = fakeNft();
  const { log } = memoryLogger();
  const sets = new KernelSets({ plan, elements: () => [], log, run: nft.run });
  const now = 5_000_000;
  for (let i = 0; i < PEER_ELEMENTS_PER_SECOND + 500; i++) sets.take({ event: 'peer_learned', source: 'udp', confirmed: false, ...packet, dest_port: 1000 + i }, now);
  sets.take({ event: 'lock_started', lock_until: new Date(now + 60_000).toISOString(), ...packet }, now);
  await sets.flush();
  assert.equal(sets.updates.skipped, 500);
  assert.match(nft.scripts[0]!, /add element ip ftwall locked \{ 10\.0\.0\.10 \. 02:77:01:00:00:10 timeout (60s|59\d{3}ms) \}/);
  assert.equal((nft.scripts[0]!.match(/ timeout 3600s/g) ?? []).length, PEER_ELEMENTS_PER_SECOND);
});
