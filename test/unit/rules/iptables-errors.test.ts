// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeIptablesFailure } from '../../../src/rules/iptables.ts';

test('a missing extension becomes one line naming the module and the setting that avoids it', () => {
  const stderr = "iptables-restore v1.8.9 (nf_tables): Couldn't load match `u32':No such file or directory\n\nError occurred at line: 14\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n";
  const text = describeIptablesFailure(stderr, 2);
  assert.equal(text.includes('\n'), false);
  assert.match(text, /Couldn't load match `u32'.*\(error occurred at line: 14\): the kernel lacks the u32 extension; load its module \(xt_u32\) \(or set FTWALL_SAFETY_NET=false and FTWALL_FLOW_BYPASS=false\)$/);
  assert.match(describeIptablesFailure("iptables-restore: Couldn't load target `NFQUEUE':No such file or directory\n", 2), /xt_NFQUEUE and nfnetlink_queue/);
  assert.match(describeIptablesFailure('Extension connbytes revision 0 not supported, missing kernel module?\n', 1), /\(or set FTWALL_SAFETY_NET=false\)$/);
  assert.match(describeIptablesFailure("Couldn't load target `CONNMARK'\n", 1), /\(or set FTWALL_FLOW_BYPASS=false\)$/);
  assert.equal(describeIptablesFailure('', 4), 'exit 4');
});
