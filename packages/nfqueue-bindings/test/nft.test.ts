// SPDX-License-Identifier: GPL-2.0-or-later
// nftables through libnftables in a throwaway network namespace: needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const isRoot = process.getuid?.() === 0;

test('runNft applies a script in one transaction, lists in JSON, and rejects with the error text', { skip: !isRoot && 'needs root for network namespaces' }, () => {
  const ns = `nfqb-nft-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const fixture = fileURLToPath(new URL('./fixtures/nft-in-namespace.ts', import.meta.url));
    const report = JSON.parse(execFileSync('ip', ['netns', 'exec', ns, process.execPath, fixture], { encoding: 'utf8' }).trim().split('\n').pop()!);
    assert.deepEqual(report.elements, [['10.0.0.1', 1214]], 'the element added with the table');
    assert.ok(report.timeout > 0 && report.timeout <= 60, `its timeout (${report.timeout})`);
    assert.match(report.failure, /Error/, 'a bad script is refused with libnftables\' message');
    assert.equal(report.afterFailure, 1, 'and nothing of it applied: the set still holds one element');
    assert.equal(report.terse, null, 'a terse listing leaves the elements out');
    assert.equal(execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' }).trim(), '', 'the table was deleted');
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
});
