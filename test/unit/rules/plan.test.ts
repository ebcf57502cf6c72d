// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { rulePlanFor } from '../../../src/rules/config-plan.ts';
import { udpShapeMatch, findOwned, hasTable, isPristineTable, matchesPlan, planRules, queueTarget, queuedByRules, renderInstall, renderRemoval } from '../../../src/rules/plan.ts';

const fasttrack = createProtocols(['fasttrack'], { networkNames: ['KaZaA'] });
const udpShapes = fasttrack.flatMap((module) => module.udpShapes);
const options = { lanInterfaces: ['lan0', 'wlan0'], queueBase: 10, workers: 2, mark: 0x100000, probePort: 41214, probePorts: 1, dockerUser: false, safetyNet: false, bypassMark: 0, udpShapes };

test('queue target balances over the worker queues and bypasses when nobody listens', () => {
  assert.deepEqual(queueTarget(10, 2), ['-j', 'NFQUEUE', '--queue-balance', '10:11', '--queue-bypass']);
  assert.deepEqual(queueTarget(7, 1), ['-j', 'NFQUEUE', '--queue-num', '7', '--queue-bypass']);
  assert.deepEqual(queueTarget(7, 1, true), ['-j', 'NFQUEUE', '--queue-num', '7'], 'fail-closed: no bypass');
});

test('the plan queues UDP and SYNs forwarded from the LAN and probe answers on INPUT, entered from each LAN interface only', () => {
  const plan = planRules(options);
  const text = renderInstall(plan);
  assert.match(text, /-A FTWALL-FORWARD -p udp -j NFQUEUE --queue-balance 10:11 --queue-bypass/);
  assert.match(text, /-A FTWALL-FORWARD -p tcp --syn -j NFQUEUE/);
  assert.match(text, /-A FTWALL-INPUT -p udp --dport 41214 -j NFQUEUE/);
  for (const lan of options.lanInterfaces) {
    assert.match(text, new RegExp(`-I FORWARD 1 -i ${lan} -j FTWALL-FORWARD`));
    assert.match(text, new RegExp(`-I INPUT 1 -i ${lan} -j FTWALL-INPUT`));
  }
  assert.equal(plan.jumps.length, 4, 'two hooks per LAN interface');
  // Decided packets come back (REPEAT) with the mark and must leave our chains first.
  assert.ok(text.indexOf('-A FTWALL-FORWARD -m mark --mark 0x100000/0x100000 -j RETURN') < text.indexOf('-A FTWALL-FORWARD -p udp'));
  assert.match(text, /^\*filter\n:FTWALL-FORWARD - \[0:0\]\n:FTWALL-INPUT - \[0:0\]\n/);
  assert.match(text, /-j FTWALL-INPUT\nCOMMIT\n$/);
  assert.doesNotMatch(text, /DOCKER-USER|SAFETYNET/);
});

test('the safety net queues the data segments among a TCP flow\'s first packets, in its own chain, until the flow is judged', () => {
  const plan = planRules({ ...options, safetyNet: true });
  const text = renderInstall(plan);
  assert.deepEqual(plan.chains, ['FTWALL-FORWARD', 'FTWALL-INPUT', 'FTWALL-SAFETYNET', 'FTWALL-REPLY']);
  assert.match(text, /-A FTWALL-FORWARD -p tcp -m connbytes --connbytes 0:16 --connbytes-dir original --connbytes-mode packets -j FTWALL-SAFETYNET/);
  assert.match(text, /-A FTWALL-SAFETYNET -m u32 --u32 "0>>24&0xF=5&&32>>26&0x3C@17=0:0xFFFFFFFF" -j NFQUEUE --queue-balance 10:11 --queue-bypass\n/);
  assert.match(text, /-A FTWALL-SAFETYNET -m u32 --u32 "0>>24&0xF=6:15" -j NFQUEUE/, 'segments with IP options: all of them');
  assert.doesNotMatch(text, /-m string/, 'no string pre-match: it sees one segment in one case');
  assert.doesNotMatch(renderInstall(planRules(options)), /SAFETYNET|u32/);
  const bypassed = renderInstall(planRules({ ...options, safetyNet: true, bypassMark: 0x200000 }));
  assert.match(bypassed, /-A FTWALL-FORWARD -p tcp -m connmark ! --mark 0x200000\/0x200000 -m connbytes --connbytes 0:16 .* -j FTWALL-SAFETYNET/, 'a flow judged clean is queued no more');
});

test('the reply chain: towards the LAN, a server\'s first data on a flow not judged clean, and segments of flows conntrack does not know', () => {
  const plan = planRules({ ...options, safetyNet: true, bypassMark: 0x200000 });
  assert.deepEqual(plan.rules.filter((rule) => rule[1] === 'FTWALL-REPLY').map((rule) => rule.slice(2).join(' ')), [
    '-m mark --mark 0x100000/0x100000 -j RETURN',
    ...options.lanInterfaces.map((lan) => `-i ${lan} -j RETURN`),
    '-m connmark --mark 0x200000/0x200000 -j RETURN',
    '-p tcp ! --syn -m conntrack --ctstate NEW,INVALID -m limit --limit 200/second --limit-burst 400 -j NFQUEUE --queue-balance 10:11 --queue-bypass',
    '-p tcp -m conntrack --ctdir REPLY -m connbytes --connbytes 0:16 --connbytes-dir reply --connbytes-mode packets -m u32 --u32 0>>24&0xF=5&&32>>26&0x3C@17=0:0xFFFFFFFF -j NFQUEUE --queue-balance 10:11 --queue-bypass',
    '-p tcp -m conntrack --ctdir REPLY -m connbytes --connbytes 0:16 --connbytes-dir reply --connbytes-mode packets -m u32 --u32 0>>24&0xF=6:15 -j NFQUEUE --queue-balance 10:11 --queue-bypass',
  ]);
  assert.ok(plan.jumps.some((jump) => jump.join(' ') === `-I FORWARD 1 -o ${options.lanInterfaces[0]} -p tcp -j FTWALL-REPLY`), 'entered by TCP leaving on a LAN interface');
  assert.ok(planRules(options).jumps.every((jump) => !jump.includes('FTWALL-REPLY')), 'not without the safety net');
});

test('flow bypass: the bit is saved to the flow, and flows carrying it skip the queue, TCP flows not the safety net', () => {
  const text = renderInstall(planRules({ ...options, safetyNet: true, bypassMark: 0x200000 }));
  const lines = text.split('\n');
  const save = lines.indexOf('-A FTWALL-FORWARD -m mark --mark 0x200000/0x200000 -j CONNMARK --save-mark --nfmask 0x200000 --ctmask 0x200000');
  const decided = lines.indexOf('-A FTWALL-FORWARD -m mark --mark 0x100000/0x100000 -j RETURN');
  const udpSkip = lines.indexOf('-A FTWALL-FORWARD -p udp -m connmark --mark 0x200000/0x200000 -j RETURN');
  const skip = lines.indexOf('-A FTWALL-FORWARD -p tcp -m connmark --mark 0x200000/0x200000 -j RETURN');
  const strings = lines.findIndex((line) => line.includes('-j FTWALL-SAFETYNET'));
  const udp = lines.findIndex((line) => line.includes('-p udp -j NFQUEUE'));
  assert.ok(strings >= 0 && udp >= 0);
  assert.ok(save >= 0 && save < decided, 'save before the decided RETURN, or it would never run');
  assert.ok(decided < strings && strings < skip, 'the safety net comes before the TCP bypass (it has its own test of the bit)');
  assert.ok(skip < udp, 'bypassed flows skip the UDP and SYN queue rules');
  assert.ok(udpSkip >= 0 && udpSkip < save, 'bypassed UDP flows (no safety net for UDP) leave at the first rule');
  assert.doesNotMatch(renderInstall(planRules(options)), /connmark|CONNMARK/i);
});

test('DOCKER-USER is hooked only when it exists', () => {
  assert.match(renderInstall(planRules({ ...options, dockerUser: true })), /-I DOCKER-USER 1 -i lan0 -j FTWALL-FORWARD/);
});

const saved = `# Generated by iptables-nft-save
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [12:345]
:OUTPUT ACCEPT [0:0]
:FTWALL-FORWARD - [0:0]
:FTWALL-INPUT - [0:0]
:OTHER - [0:0]
-A INPUT -m comment --comment ftwall -j FTWALL-INPUT
-A FORWARD -m comment --comment ftwall -j FTWALL-FORWARD
-A FORWARD -j OTHER
-A FORWARD -p tcp -m tcp --dport 9999 -j DROP
-A FTWALL-FORWARD -m mark --mark 0x100000/0x100000 -j RETURN
-A FTWALL-FORWARD -i old0 -p udp -j NFQUEUE --queue-num 3 --queue-bypass
-A FTWALL-INPUT -m mark --mark 0x100000/0x100000 -j RETURN
-A OTHER -j FTWALL-FORWARD
COMMIT
*nat
:FTWALL-FORWARD - [0:0]
COMMIT
`;

test('leftovers of any earlier run (older versions commented their jumps) are found in iptables-save output, in that table only', () => {
  const owned = findOwned('filter', saved);
  assert.deepEqual(owned.chains, ['FTWALL-FORWARD', 'FTWALL-INPUT']);
  assert.deepEqual(owned.jumps, [
    '-A INPUT -m comment --comment ftwall -j FTWALL-INPUT',
    '-A FORWARD -m comment --comment ftwall -j FTWALL-FORWARD',
    '-A OTHER -j FTWALL-FORWARD',
  ]);
  assert.deepEqual(owned.ruleCounts, { 'FTWALL-FORWARD': 2, 'FTWALL-INPUT': 1 });
});

test('removal deletes jumps before flushing and deleting chains, and touches nothing else', () => {
  const script = renderRemoval(findOwned('filter', saved))!;
  assert.equal(script, [
    '*filter',
    '-D INPUT -m comment --comment ftwall -j FTWALL-INPUT',
    '-D FORWARD -m comment --comment ftwall -j FTWALL-FORWARD',
    '-D OTHER -j FTWALL-FORWARD',
    '-F FTWALL-FORWARD', '-F FTWALL-INPUT', '-X FTWALL-FORWARD', '-X FTWALL-INPUT',
    'COMMIT', '',
  ].join('\n'));
  assert.equal(renderRemoval(findOwned('filter', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n')), null);
});

test('the rules checker sees a missing rule, a missing jump, or an extra jump', () => {
  const plan = planRules({ ...options, lanInterfaces: ['old0'], workers: 1, queueBase: 3 });
  const complete = findOwned('filter', saved.replace('-A OTHER -j FTWALL-FORWARD\n', '')
    .replace('-A FTWALL-INPUT -m mark', '-A FTWALL-FORWARD -p tcp ! --syn -m conntrack --ctstate NEW,INVALID -j NFQUEUE\n-A FTWALL-FORWARD -p tcp --syn -j NFQUEUE\n-A FTWALL-INPUT -p udp -j NFQUEUE\n-A FTWALL-INPUT -m mark'));
  assert.equal(matchesPlan(plan, complete), true);
  assert.equal(matchesPlan(plan, findOwned('filter', saved)), false, 'extra jump and missing rules');
  assert.equal(matchesPlan(plan, { ...complete, jumps: complete.jumps.slice(1) }), false, 'missing jump');
});

test('a table is pristine only with built-in ACCEPT chains and no rules', () => {
  const pristine = '# Generated\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [5:300]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
  assert.equal(hasTable('filter', pristine), true);
  assert.equal(hasTable('filter', ''), false);
  assert.equal(isPristineTable('filter', pristine), true);
  assert.equal(isPristineTable('filter', pristine.replace(':FORWARD ACCEPT', ':FORWARD DROP')), false, 'a changed policy');
  assert.equal(isPristineTable('filter', pristine.replace('COMMIT', '-A INPUT -j ACCEPT\nCOMMIT')), false, 'a rule');
  assert.equal(isPristineTable('filter', pristine.replace('COMMIT', ':MINE - [0:0]\nCOMMIT')), false, 'a user chain');
});

test('queued-by-rules sums only ftwall\'s NFQUEUE rule counters', () => {
  const save = '*filter\n:FORWARD ACCEPT [9:9]\n[5:500] -A FORWARD -i lan0 -j FTWALL-FORWARD\n[3:300] -A FTWALL-FORWARD -p udp -j NFQUEUE --queue-num 1\n[4:400] -A FTWALL-INPUT -p udp -m udp --dport 41214 -j NFQUEUE --queue-num 1\n[7:700] -A OTHER -j NFQUEUE --queue-num 9\nCOMMIT\n';
  assert.equal(queuedByRules(save), 7);
});

test('with flow bypass, FastTrack-shaped UDP is queued before the bypass rule, whatever the flow\'s mark; never a decided packet', () => {
  const plan = planRules({ ...options, bypassMark: 0x200000 });
  const first = plan.rules[0]!.join(' ');
  assert.equal(first, `-A FTWALL-FORWARD -p udp -m mark ! --mark 0x100000/0x100000 -m u32 --u32 ${udpShapeMatch(udpShapes[0]!)} -j NFQUEUE --queue-balance 10:11 --queue-bypass`);
  assert.match(plan.rules[1]!.join(' '), /-m connmark --mark 0x200000\/0x200000 -j RETURN/, 'then the bypass');
  assert.doesNotMatch(renderInstall(planRules(options)), /u32/, 'without bypass every datagram is queued anyway');
});

test('with ftwall\'s nftables table the shapes are pre-matched there: the iptables chain has no u32 for UDP and a bypassed datagram meets the connmark test first', () => {
  const config = loadConfig({ FTWALL_LAN_INTERFACE: 'lan0' });
  const withSets = rulePlanFor(config, false, true).rules.filter((rule) => rule[1] === 'FTWALL-FORWARD').map((rule) => rule.join(' '));
  assert.match(withSets[0]!, /^-A FTWALL-FORWARD -p udp -m connmark --mark 0x200000\/0x200000 -j RETURN$/);
  assert.ok(rulePlanFor(config, false, false).rules[0]!.includes('u32'), 'without the table, u32 does it');
});

test('the FastTrack shape: first byte 0x27-0x2A, payload 5 to 12 + the longest name (UDP length + 8), first fragments only', () => {
  assert.deepEqual(udpShapes, [{ firstByte: [0x27, 0x2a], payloadLength: [5, 17] }]);
  assert.equal(udpShapeMatch(udpShapes[0]!), '4&0x1FFF=0&&0>>22&0x3C@8>>24=0x27:0x2a&&0>>22&0x3C@4>>16=13:25');
});

test('TCP segments of flows conntrack does not know (opened before start, or cut) are queued, after the TCP bypass', () => {
  const plan = planRules({ ...options, bypassMark: 0x200000 });
  const forward = plan.rules.filter((rule) => rule[1] === 'FTWALL-FORWARD').map((rule) => rule.join(' '));
  const pickup = forward.findIndex((rule) => rule.includes('-p tcp ! --syn -m conntrack --ctstate NEW,INVALID -j NFQUEUE'));
  const tcpBypass = forward.findIndex((rule) => rule.includes('-p tcp -m connmark --mark 0x200000/0x200000 -j RETURN'));
  assert.ok(pickup > tcpBypass && tcpBypass >= 0, forward.join('\n'));
});

test('a protocol\'s discovery to the router itself is queued on INPUT: BitTorrent\'s LSD group and DNS port, only when BitTorrent is on', () => {
  const input = (protocols: string) => rulePlanFor(loadConfig({ FTWALL_LAN_INTERFACE: 'lan0', FTWALL_PROTOCOLS: protocols }), false, true).rules
    .filter((rule) => rule[1] === 'FTWALL-INPUT').map((rule) => rule.join(' '));
  const both = input('fasttrack,bittorrent');
  assert.ok(both.some((rule) => /^-A FTWALL-INPUT -p udp -d 239\.192\.152\.143\/32 --dport 6771 -m limit --limit 200\/second --limit-burst 400 -j NFQUEUE .* --queue-bypass$/.test(rule)), both.join('\n'));
  assert.ok(both.some((rule) => /^-A FTWALL-INPUT -p udp --dport 53 -m limit .* -j NFQUEUE .* --queue-bypass$/.test(rule)), both.join('\n'));
  assert.match(both[0]!, /-m mark --mark .* -j RETURN$/, 'decided packets leave first');
  assert.equal(input('fasttrack').length, 2, 'FastTrack alone: the decided return and the probe ports');
});
