// SPDX-License-Identifier: GPL-2.0-or-later
// Conntrack deletion over ctnetlink in a throwaway network namespace: needs root and iptables.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const isRoot = process.getuid?.() === 0;
const hasIptables = spawnSync('iptables', ['--version']).status === 0;
const skip = !isRoot ? 'needs root for network namespaces and conntrack' : !hasIptables ? 'needs iptables' : false;

test('deleteConntrack deletes exactly the entries that match, by protocol, address and port', { skip }, () => {
  const ns = `nfqb-ct-${randomBytes(3).toString('hex')}`;
  const port = 42000;
  const run = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    run('ip', 'link', 'set', 'lo', 'up');
    // A rule that uses conntrack makes the kernel track this namespace's connections.
    run('iptables', '-w', '-A', 'OUTPUT', '-m', 'conntrack', '--ctstate', 'NEW,ESTABLISHED', '-j', 'ACCEPT');
    const fixture = fileURLToPath(new URL('./fixtures/conntrack-in-namespace.ts', import.meta.url));
    const report = JSON.parse(run(process.execPath, fixture, String(port)).trim().split('\n').pop()!);
    assert.deepEqual(report.udpTarget, { matched: 3, deleted: 3 }, 'the three UDP flows to the target port');
    assert.deepEqual(report.udpTargetAgain, { matched: 0, deleted: 0 }, 'gone after the first deletion');
    assert.deepEqual(report.udpKept, { matched: 1, deleted: 1 }, 'the flow to the next port was left by the first deletion');
    assert.deepEqual(report.tcpTarget, { matched: 1, deleted: 1 }, 'the TCP connection was left by the UDP deletions');
    assert.deepEqual(report.otherHost, { matched: 0, deleted: 0 });
    assert.deepEqual(report.byList.listed, { matched: 2, deleted: 2 }, 'one dump deletes the flows to every listed destination');
    assert.deepEqual(report.byList.rest, { matched: 1, deleted: 1 }, 'and leaves the flow to an unlisted one');
    assert.match(report.badPort, /needs a protocol/);
    assert.match(report.badAddress, /not a dotted IPv4 address/);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
});
