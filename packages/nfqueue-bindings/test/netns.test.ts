// SPDX-License-Identifier: GPL-2.0-or-later
// Real NFQUEUE in a throwaway network namespace: needs root (CAP_NET_ADMIN) and iptables.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const isRoot = process.getuid?.() === 0;
const hasIptables = spawnSync('iptables', ['--version']).status === 0;
const skip = !isRoot ? 'needs root for network namespaces and NFQUEUE' : !hasIptables ? 'needs iptables' : false;

test('queues in the main thread and in two workers receive, drop, accept and mark', { skip }, () => {
  const ns = `nfqb-${randomBytes(3).toString('hex')}`;
  const base = 41000;
  const run = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    run('ip', 'link', 'set', 'lo', 'up');
    const rules = [
      ['-N', 'NFQB'],
      ['-A', 'OUTPUT', '-j', 'NFQB'],
      // Packets already decided come back through REPEAT with MARK_SEEN and leave our chain...
      ['-A', 'NFQB', '-m', 'mark', '--mark', '0x100/0x100', '-j', 'RETURN'],
      ['-A', 'NFQB', '-o', 'lo', '-p', 'udp', '--dport', String(base), '-j', 'NFQUEUE', '--queue-num', '0'],
      ['-A', 'NFQB', '-o', 'lo', '-p', 'udp', '--dport', String(base + 1), '-j', 'NFQUEUE', '--queue-balance', '1:2'],
      // ...and still meet the table's later rules: mark 0x1, set in the verdict, is dropped here.
      ['-A', 'OUTPUT', '-p', 'udp', '-m', 'mark', '--mark', '0x1/0x1', '-j', 'DROP'],
    ];
    for (const rule of rules) run('iptables', '-w', ...rule);
    const fixture = fileURLToPath(new URL('./fixtures/in-namespace.ts', import.meta.url));
    const output = run(process.execPath, fixture, String(base));
    const report = JSON.parse(output.trim().split('\n').pop()!) as {
      mainPackets: number; hooks: number[]; devices: string[]; marks: number[]; lengthMismatches: number; truncated: number;
      received: string[]; expected: string[];
      workerDelivered: number; workerPackets: number[];
      counters: { packets: number; verdicts: number; verdictMessages: number; sendErrors: number };
      kernel: { queue: number; queueTotal: number; queueDropped: number; userDropped: number; idSequence: number };
    };
    assert.deepEqual(report.received, report.expected, 'only ACCEPTed packets arrive, complete and in order');
    assert.equal(report.mainPackets, 302);
    assert.deepEqual(report.hooks, [3], 'OUTPUT hook');
    assert.deepEqual(report.devices, ['0>1'], 'no input device, output device lo (ifindex 1)');
    assert.deepEqual(report.marks, [0], 'the mark each packet was queued with');
    assert.equal(report.lengthMismatches, 0, 'captured and original lengths match the IP header');
    assert.equal(report.truncated, 1, 'the datagram longer than the copy range');
    assert.equal(report.counters.verdicts, 302);
    assert.equal(report.counters.sendErrors, 0);
    assert.ok(report.counters.verdictMessages < report.counters.verdicts, 'runs of equal verdicts were coalesced');
    assert.equal(report.kernel.queue, 0);
    assert.equal(report.kernel.idSequence, 302, 'the kernel counted the same packets');
    assert.equal(report.kernel.queueDropped + report.kernel.userDropped, 0);
    assert.equal(report.workerDelivered, 200, 'worker-thread queues pass every packet');
    assert.equal(report.workerPackets.reduce((a, b) => a + b, 0), 200);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

test('a worker thread that throws while its queue is open dies alone; the process lives on', { skip }, () => {
  const ns = `nfqb-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const fixture = fileURLToPath(new URL('./fixtures/worker-crash.ts', import.meta.url));
    const result = spawnSync('ip', ['netns', 'exec', ns, process.execPath, fixture, '41999'], { encoding: 'utf8' });
    assert.equal(result.signal, null, `the process was killed by ${result.signal} (teardown ran code of an unloaded addon)`);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim()), { exitCode: 1, error: 'crash while reading' });
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
