// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelQueueStats } from 'nfqueue-bindings';
import { OverflowCounter } from '../../../src/queue/overflow.ts';
import { planRules } from '../../../src/rules/plan.ts';
import type { IptablesRules } from '../../../src/rules/iptables.ts';
import { RulesWatchdog, installRules } from '../../../src/rules/watchdog.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const plan = planRules({ lanInterfaces: ['lan0'], queueBase: 10, workers: 1, mark: 0x100000, probePort: 41214, probePorts: 1, dockerUser: false, safetyNet: false, udpShapes: [], bypassMark: 0 });
const queue = (idSequence: number): KernelQueueStats => ({ queue: 10, idSequence, portId: 1, queueTotal: 0, copyMode: 2, copyRange: 2048, queueDropped: 0, userDropped: 0 });

function setup(check: () => { installed: boolean; queuedByRules: number }) {
  const { log, lines } = memoryLogger();
  const installs: unknown[] = [];
  const overflow = new OverflowCounter();
  const watchdog = new RulesWatchdog({ rules: { check, install: (p) => { installs.push(p); return 0; } }, plan, overflow, kernelQueues: () => [queue(90)], log });
  return { watchdog, installs, overflow, lines };
}

test('rules in place: nothing reinstalled, the overflow counter learns what the rules sent and the kernel did not queue', () => {
  const { watchdog, installs, overflow, lines } = setup(() => ({ installed: true, queuedByRules: 100 }));
  watchdog.check();
  assert.equal(installs.length, 0);
  assert.equal(watchdog.reinstalled, 0);
  assert.equal(overflow.total, 10);
  assert.deepEqual(lines, []);
});

test('rules changed by someone else: the plan is installed again, with a warning', () => {
  const { watchdog, installs, lines } = setup(() => ({ installed: false, queuedByRules: 0 }));
  watchdog.check();
  assert.deepEqual(installs, [plan]);
  assert.deepEqual(lines.map((line) => [line.level, line.event]), [[40, 'rules_reinstalled']]);
  watchdog.check();
  assert.equal(watchdog.reinstalled, 2, 'ftwall.rules.reinstalled{rules=iptables}');
});

test('a failed check is logged, not thrown', () => {
  const { watchdog, installs, lines } = setup(() => { throw new Error('iptables-nft-save failed'); });
  watchdog.check();
  assert.equal(installs.length, 0);
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.error]), [[50, 'rules_check_failed', 'iptables-nft-save failed']]);
});

test('installRules: an earlier run\'s leftovers are removed with a warning, then the rules installed, said once', () => {
  const { log, lines } = memoryLogger();
  const install = (leftovers: number) => installRules({ backend: 'nft', install: (p: unknown) => { assert.equal(p, plan); return leftovers; } } as unknown as IptablesRules, plan, log);
  install(2);
  install(0);
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.count ?? line.backend]), [[40, 'leftovers_removed', 2], [30, 'rules_installed', 'nft'], [30, 'rules_installed', 'nft']]);
  assert.deepEqual(lines.at(-1), { level: 30, event: 'rules_installed', backend: 'nft', chains: plan.chains, rules: plan.rules.length, jumps: plan.jumps.length, msg: 'rules installed' });
});
