// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The rules watchdog: every RULES_CHECK_INTERVAL_MS, one iptables-save tells whether exactly ftwall's
 * plan is still installed (it is put back, with a warning, when someone changed or removed it) and
 * how many packets its NFQUEUE rules sent, which feeds the queue overflow counter. A failed check
 * is logged and tried again at the next interval.
 */
import type { KernelQueueStats } from 'nfqueue-bindings';
import type { OverflowCounter } from '../queue/overflow.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { IptablesRules } from './iptables.ts';
import type { TablePlan } from './plan.ts';

/** How often the watchdog checks that ftwall's rules are still in place. */
export const RULES_CHECK_INTERVAL_MS = 2000;

/** Installs ftwall's rules at start, removing an earlier run's leftovers first, and says so. */
export function installRules(rules: IptablesRules, plan: TablePlan, log: Logger): void {
  const leftovers = rules.install(plan);
  if (leftovers > 0) log.warn({ event: 'leftovers_removed', count: leftovers }, `removed ${leftovers} leftover chains/rules of an earlier run`);
  log.info({ event: 'rules_installed', backend: rules.backend, chains: plan.chains, rules: plan.rules.length, jumps: plan.jumps.length }, 'rules installed');
}

/** Removes ftwall's rules at stop, logging what it removed or why it could not; true when removed. */
export function removeRules(rules: IptablesRules, log: Logger): boolean {
  try {
    const removed = rules.removeOwned('filter');
    log.info({ event: 'rules_removed', count: removed }, 'rules removed');
    return true;
  } catch (error) {
    log.error({ event: 'rules_remove_failed', error: (error as Error).message }, 'could not remove rules');
    return false;
  }
}

/** What the watchdog needs; IptablesRules in the daemon, a fake in tests. */
export interface RulesWatchdogOptions {
  rules: Pick<IptablesRules, 'check' | 'install'>;
  plan: TablePlan;
  overflow: OverflowCounter;
  /** The kernel's statistics of ftwall's queues, read at each check. */
  kernelQueues: () => KernelQueueStats[];
  log: Logger;
}

/** Checks, and if need be reinstalls, one installed plan; check() runs every RULES_CHECK_INTERVAL_MS. */
export class RulesWatchdog {
  readonly #options: RulesWatchdogOptions;
  /** Times the plan was put back since start (the ftwall.rules.reinstalled metric). */
  reinstalled = 0;

  constructor(options: RulesWatchdogOptions) {
    this.#options = options;
  }

  /** One check: updates the overflow counter and reinstalls the plan if it is no longer exactly there. */
  check(): void {
    const { rules, plan, overflow, kernelQueues, log } = this.#options;
    try {
      const { installed, queuedByRules } = rules.check(plan);
      overflow.update(queuedByRules, kernelQueues());
      if (installed) return;
      rules.install(plan);
      this.reinstalled++;
      log.warn({ event: 'rules_reinstalled' }, 'ftwall rules were changed or removed by someone else; reinstalled');
    } catch (error) {
      log.error({ event: 'rules_check_failed', error: (error as Error).message }, 'rules check failed');
    }
  }
}
