// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FtEvent } from '../../../src/core/events.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { kernelSetsPlanFor } from '../../../src/rules/config-plan.ts';
import {
  PEER_SET_SECONDS, chainRules, lastPerElement, leftoverElements, lockSeconds, readTableStatus, renderElements,
  RELOAD_CHUNK, renderReload, renderTable, updatesFor, type KernelSetsPlan, type SetUpdate,
} from '../../../src/rules/nft-sets.ts';

const plan: KernelSetsPlan = { lanInterfaces: ['lan0', 'wlan0'], exempt: ['10.0.0.5', '10.1.0.0/16'], enforce: true, blockUdp: true, locks: true, sourceNewFlows: 500, probePort: 41214, probePorts: 1024, udpShapes: [{ firstByte: [0x27, 0x2a], payloadLength: [5, 21] }], bypassMark: 0 };
const packet = { src_ip: '10.0.0.10', dest_ip: '198.18.0.7', src_port: 3000, dest_port: 1214, proto: 'UDP', action: 'blocked', reason: 'p2p_udp', src_mac: '02:77:01:00:00:10' } as const;
const NOW = Date.parse('2026-01-01T00:00:00Z');

test('the plan follows the configuration', () => {
  const config = loadConfig({ FTWALL_LAN_INTERFACE: 'lan0,wlan0', FTWALL_EXEMPT: '10.0.0.5,10.1.0.0/16', FTWALL_MODE: 'monitor', FTWALL_BLOCK_UDP: 'false', FTWALL_LOCK_SECONDS: '0', FTWALL_BITTORRENT_LOCK_SECONDS: '0', FTWALL_SOURCE_LIMIT: '0', FTWALL_PROTOCOLS: 'fasttrack' });
  assert.deepEqual(kernelSetsPlanFor(config), { lanInterfaces: ['lan0', 'wlan0'], exempt: ['10.0.0.5', '10.1.0.0/16'], enforce: false, blockUdp: false, locks: false, sourceNewFlows: 0, probePort: 41214, probePorts: 1024, udpShapes: [{ firstByte: [0x27, 0x2a], payloadLength: [5, 21] }], bypassMark: 0x200000 });
  assert.equal(kernelSetsPlanFor(loadConfig({ FTWALL_LAN_INTERFACE: 'lan0' })).sourceNewFlows, 500, 'the default limit');
  assert.equal(kernelSetsPlanFor(loadConfig({ FTWALL_LAN_INTERFACE: 'lan0', FTWALL_LOCK_SECONDS: '0' })).locks, true, 'BitTorrent still locks');
  assert.equal(kernelSetsPlanFor(loadConfig({ FTWALL_LAN_INTERFACE: 'lan0' })).udpShapes.length, 4, 'FastTrack\'s shape and BitTorrent\'s three');
  assert.equal(kernelSetsPlanFor(loadConfig({ FTWALL_LAN_INTERFACE: 'lan0', FTWALL_FLOW_BYPASS: 'false' })).bypassMark, 0, 'no flow bypass, no mark');
});

test('pre (before the queue): LAN only, exempt hosts out, a locked host\'s new TCP except to peers, then the per-source limit', () => {
  const { pre } = chainRules(plan);
  assert.deepEqual(pre, [
    'iifname != { "lan0", "wlan0" } return',
    'ip saddr { 10.0.0.5, 10.1.0.0/16 } return',
    'tcp flags & (syn | ack) == syn ip saddr . ether saddr @locked ip daddr . tcp dport != @peers ip daddr . tcp dport != @learned counter name locked_dropped drop',
    'ct state new ct status & confirmed == 0 meta l4proto { tcp, udp } update @flood { ip saddr limit rate over 500/second burst 500 packets } add @limited { ip saddr } counter name source_limited drop',
  ]);
});

test('pre: a protocol-shaped datagram takes its flow\'s bypass bit away (flow bypass on), before anything else: one length test, then a verdict map by first byte', () => {
  const shapes = [...plan.udpShapes, { firstByte: [0, 0], payloadLength: [16, 16] }, { firstByte: [0x64, 0x64], payloadLength: [46, 1100] }] as const;
  const { pre, shapes: chains } = chainRules({ ...plan, bypassMark: 0x200000, udpShapes: shapes });
  assert.deepEqual(pre.slice(2, 3), ['udp length 13-1108 ct mark & 0x200000 == 0x200000 @th,64,8 vmap { 39-42 : jump shape_0, 0 : jump shape_1, 100 : jump shape_2 }']);
  assert.equal(pre[3], 'ct mark & 0x200000 == 0x200000 return', 'then a flow still judged clean leaves: the rest is for new flows');
  assert.deepEqual(chains, [
    'udp length 13-29 ct mark set ct mark & 0xffdfffff',
    'udp length 24 ct mark set ct mark & 0xffdfffff',
    'udp length 54-1108 ct mark set ct mark & 0xffdfffff',
  ]);
  assert.match(renderTable({ ...plan, bypassMark: 0x200000, udpShapes: shapes }, []), /chain shape_1 \{\n {4}udp length 24 ct mark set ct mark & 0xffdfffff\n {2}\}/);
  const overlapping = chainRules({ ...plan, bypassMark: 0x200000, udpShapes: [...plan.udpShapes, { firstByte: [0x28, 0x30], payloadLength: [5, 9] }] });
  assert.deepEqual(overlapping.shapes, [], 'overlapping first bytes: one rule per shape instead');
  assert.deepEqual(overlapping.pre.slice(2, 4), [
    'udp length 13-29 @th,64,8 39-42 ct mark & 0x200000 == 0x200000 ct mark set ct mark & 0xffdfffff',
    'udp length 13-17 @th,64,8 40-48 ct mark & 0x200000 == 0x200000 ct mark set ct mark & 0xffdfffff',
  ]);
  assert.ok(chainRules(plan).pre.every((rule) => !rule.includes('ct mark')), 'without flow bypass there is no bit to clear');
});

test('post: a flow judged clean (its conntrack mark) skips the set lookups', () => {
  assert.equal(chainRules({ ...plan, bypassMark: 0x200000 }).post[2], 'ct mark & 0x200000 == 0x200000 return');
  assert.ok(chainRules(plan).post.every((rule) => !rule.startsWith('ct mark')), 'without flow bypass, every packet is looked up');
});

test('post (after the queue): confirmed peers for everyone, learned peers for identified clients', () => {
  const { post } = chainRules(plan);
  assert.deepEqual(post.slice(2), [
    'meta l4proto { tcp, udp } ip daddr . th dport @peers counter name peer_dropped drop',
    'meta l4proto { tcp, udp } ip saddr . ether saddr @clients ip daddr . th dport @learned counter name learned_dropped drop',
  ]);
});

test('answers (INPUT): a host\'s probe-answer-shaped datagrams to the probe ports over ANSWER_GUESSES a second are dropped, all hosts\' over ANSWER_GUESSES_ALL', () => {
  const shaped = 'udp dport 41214-42237 udp length 13-29 @th,64,8 39-42';
  assert.deepEqual(chainRules(plan).answers.slice(2), [
    `${shaped} update @guesses { ip saddr limit rate over 10/second burst 10 packets } counter name answer_limited drop`,
    `${shaped} limit rate over 500/second burst 500 packets counter name answer_limited drop`,
  ]);
  assert.match(chainRules({ ...plan, probePorts: 1 }).answers.at(-1)!, /^udp dport 41214 udp length/);
  assert.match(renderTable(plan, []), /chain answers \{\n {4}type filter hook input priority -5; policy accept;/);
  assert.match(renderTable(plan, []), /set guesses \{ type ipv4_addr; flags dynamic,timeout; size 65536;/);
});

test('monitor mode counts and drops nothing; no UDP blocking, no locks, no limit leave their rules out', () => {
  const { pre, post, answers } = chainRules({ ...plan, exempt: [], enforce: false, blockUdp: false, locks: false, sourceNewFlows: 0 });
  assert.deepEqual(answers, [], 'no locks, no probes');
  assert.doesNotMatch(renderTable({ ...plan, locks: false }, []), /chain answers/);
  assert.ok(chainRules({ ...plan, enforce: false }).answers.every((rule) => !/\bdrop\b/.test(rule)));
  assert.deepEqual(pre, ['iifname != { "lan0", "wlan0" } return']);
  assert.ok(post.every((rule) => !/\bdrop\b/.test(rule)), post.join('\n'));
  assert.ok(post.slice(1).every((rule) => rule.startsWith('meta l4proto tcp ')), 'TCP only');
});

test('the table replaces any earlier one in the same transaction as its elements are loaded', () => {
  const script = renderTable(plan, [{ set: 'peers', key: '198.18.0.7 . 1214', seconds: 3600 }]);
  const lines = script.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['add table ip ftwall', 'delete table ip ftwall', 'table ip ftwall {']);
  assert.match(script, /set locked \{ type ipv4_addr \. ether_addr; flags timeout; \}/);
  assert.match(script, /set peers \{ type ipv4_addr \. inet_service; flags timeout; \}/);
  assert.match(script, /type filter hook forward priority -5; policy accept;/);
  assert.match(script, /type filter hook forward priority 5; policy accept;/);
  assert.equal(lines.at(-2), 'add element ip ftwall peers { 198.18.0.7 . 1214 timeout 3600s }');
});

test('events become set updates: clients, peers by quorum, locks to their end, expiry removes', () => {
  const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();
  const cases: Array<[FtEvent, unknown]> = [
    [{ event: 'client_identified', ...packet }, [{ set: 'clients', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: PEER_SET_SECONDS }]],
    [{ event: 'client_identified', ...packet, src_mac: undefined }, []],
    [{ event: 'peer_learned', source: 'udp', confirmed: false, ...packet }, [{ set: 'learned', key: '198.18.0.7 . 1214', seconds: PEER_SET_SECONDS }]],
    [{ event: 'peer_learned', source: 'udp', confirmed: true, ...packet }, [{ set: 'peers', key: '198.18.0.7 . 1214', seconds: PEER_SET_SECONDS }]],
    [{ event: 'peer_confirmed', quorum: 3, ...packet }, [{ set: 'peers', key: '198.18.0.7 . 1214', seconds: PEER_SET_SECONDS }]],
    [{ event: 'lock_started', lock_until: at(120), ...packet }, [{ set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: 120 }]],
    [{ event: 'lock_refreshed', lock_until: at(4.2), ...packet }, [{ set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: 4.2 }]],
    [{ event: 'lock_started', lock_until: at(-1), ...packet }, []],
    [{ event: 'lock_expired', src_ip: '10.0.0.10', src_mac: '02:77:01:00:00:10', reason: 'lock_expired' }, [{ set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: null }]],
    [{ event: 'client_forgotten', src_ip: '10.0.0.10', src_mac: '02:77:01:00:00:10', quiet_seconds: 3600 }, [{ set: 'clients', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: null }]],
    [{ event: 'operator_unlocked', src_ip: '10.0.0.10', src_mac: '02:77:01:00:00:10', was_locked: true, lock_seconds_left: 9 }, [
      { set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: null }, { set: 'clients', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: null }]],
    [{ event: 'operator_forgot_peer', dest_ip: '198.18.0.7', dest_port: 1214, was: 'operator' }, [
      { set: 'peers', key: '198.18.0.7 . 1214', seconds: null }, { set: 'learned', key: '198.18.0.7 . 1214', seconds: null }]],
    [{ event: 'probe_sent', dest_ip: '10.0.0.10', dest_port: 3000, src_port: 41500, proto: 'UDP' }, []],
  ];
  for (const [event, expected] of cases) assert.deepEqual(updatesFor(event, NOW), expected, event.event);
  assert.equal(lockSeconds(Number.NaN, NOW), 0);
});

test('updates refresh a timeout (add, delete, add in one script) and remove without failing on a missing element', () => {
  const updates = lastPerElement([
    { set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: 121 },
    { set: 'peers', key: '198.18.0.7 . 1214', seconds: 3600 },
    { set: 'locked', key: '10.0.0.11 . 02:77:01:00:00:11', seconds: 121 },
    { set: 'locked', key: '10.0.0.11 . 02:77:01:00:00:11', seconds: null },
  ]);
  assert.equal(updates.length, 3, 'the later update of an element wins');
  assert.deepEqual(renderElements(updates, true), [
    'add element ip ftwall locked { 10.0.0.10 . 02:77:01:00:00:10 timeout 1s, 10.0.0.11 . 02:77:01:00:00:11 timeout 1s }',
    'delete element ip ftwall locked { 10.0.0.10 . 02:77:01:00:00:10, 10.0.0.11 . 02:77:01:00:00:11 }',
    'add element ip ftwall locked { 10.0.0.10 . 02:77:01:00:00:10 timeout 121s }',
    'add element ip ftwall peers { 198.18.0.7 . 1214 timeout 1s }',
    'delete element ip ftwall peers { 198.18.0.7 . 1214 }',
    'add element ip ftwall peers { 198.18.0.7 . 1214 timeout 3600s }',
  ]);
});

test('a reload refreshes every element, in transactions of at most RELOAD_CHUNK elements', () => {
  const scripts = renderReload([{ set: 'peers', key: '198.18.0.7 . 1214', seconds: 3600 }, { set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: 60 }]);
  assert.deepEqual(scripts.map((script) => script.trim().split('\n')), [[
    'add element ip ftwall peers { 198.18.0.7 . 1214 timeout 1s }',
    'delete element ip ftwall peers { 198.18.0.7 . 1214 }',
    'add element ip ftwall peers { 198.18.0.7 . 1214 timeout 3600s }',
    'add element ip ftwall locked { 10.0.0.10 . 02:77:01:00:00:10 timeout 1s }',
    'delete element ip ftwall locked { 10.0.0.10 . 02:77:01:00:00:10 }',
    'add element ip ftwall locked { 10.0.0.10 . 02:77:01:00:00:10 timeout 60s }',
  ]]);
  const many: SetUpdate[] = Array.from({ length: RELOAD_CHUNK * 2 + 1 }, (_, i) => ({ set: 'peers', key: `10.${i >>> 16}.${(i >>> 8) & 255}.${i & 255} . 1214`, seconds: 3600 }));
  assert.equal(renderReload(many).length, 3);
  assert.deepEqual(renderReload([]), []);
});

test('an earlier run\'s elements still running out are carried over; other sets and types are not', () => {
  const json = JSON.stringify({ nftables: [
    { metainfo: { version: '1.0.6' } },
    { set: { family: 'ip', name: 'locked', table: 'ftwall', type: ['ipv4_addr', 'ether_addr'], elem: [{ elem: { val: { concat: ['10.0.0.10', '02:77:01:00:00:10'] }, timeout: 120, expires: 97 } }] } },
    { set: { family: 'ip', name: 'peers', table: 'ftwall', type: ['ipv4_addr', 'inet_service'], elem: [{ elem: { val: { concat: ['198.18.0.7', 1214] }, timeout: 3600, expires: 3000 } }, { elem: { val: { concat: ['198.18.0.8', 1214] }, timeout: 3600, expires: 0 } }] } },
    { set: { family: 'ip', name: 'clients', table: 'ftwall', type: 'ipv4_addr', elem: ['10.0.0.10'] } },
    { set: { family: 'ip', name: 'flood', table: 'ftwall', type: 'ipv4_addr', elem: ['10.0.0.10'] } },
  ] });
  assert.deepEqual(leftoverElements(json), [
    { set: 'locked', key: '10.0.0.10 . 02:77:01:00:00:10', seconds: 97 },
    { set: 'peers', key: '198.18.0.7 . 1214', seconds: 3000 },
  ]);
  assert.deepEqual(leftoverElements('not json'), []);
});

test('the table status: counters, rules per chain, limited sources', () => {
  const json = JSON.stringify({ nftables: [
    { table: { name: 'ftwall' } },
    { counter: { name: 'source_limited', packets: 42 } }, { counter: { name: 'peer_dropped', packets: 7 } },
    { set: { name: 'limited', elem: [{ elem: { val: '10.0.0.66', timeout: 30, expires: 29 } }, '10.0.0.67'] } },
    { chain: { name: 'pre' } }, { chain: { name: 'post' } },
    { rule: { chain: 'pre' } }, { rule: { chain: 'pre' } }, { rule: { chain: 'post' } },
  ] });
  assert.deepEqual(readTableStatus(json), { counters: { source_limited: 42, peer_dropped: 7 }, rules: { pre: 2, post: 1 }, sets: ['limited'], limited: ['10.0.0.66', '10.0.0.67'] });
});
