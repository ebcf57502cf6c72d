// SPDX-License-Identifier: GPL-2.0-or-later
/** The one place that runs iptables: backend choice, leftover removal, install, uninstall. */
import { runProgram as run, type Program } from '../system/programs.ts';
import { findOwned, hasTable, isPristineTable, matchesPlan, queuedByRules, renderInstall, renderRemoval, type TablePlan } from './plan.ts';

export type Backend = 'nft' | 'legacy';

export class IptablesError extends Error {}

/**
 * iptables' complaint as one line: its first line, the failing line number, and, when the kernel
 * (or iptables) lacks an extension ftwall's rules use, which module that is and how to do without.
 */
export function describeIptablesFailure(stderr: string, status: number | null): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('Try `'));
  if (lines.length === 0) return `exit ${status}`;
  const at = lines.find((line) => /^Error occurred at line/.test(line));
  let text = lines[0]!;
  if (at && at !== text) text += ` (${at.toLowerCase()})`;
  const name = /Couldn't load (?:match|target) `([\w-]+)'/.exec(stderr)?.[1] ?? /Extension ([\w-]+) revision \d+ not supported/.exec(stderr)?.[1];
  if (name) {
    const without = name === 'u32' ? ' (or set FTWALL_SAFETY_NET=false and FTWALL_FLOW_BYPASS=false)'
      : name === 'connbytes' || name === 'limit' ? ' (or set FTWALL_SAFETY_NET=false)'
        : ['CONNMARK', 'connmark'].includes(name) ? ' (or set FTWALL_FLOW_BYPASS=false)' : '';
    text += `: the kernel lacks the ${name} extension; load its module (xt_${name}${name === 'NFQUEUE' ? ' and nfnetlink_queue' : ''})${without}`;
  }
  return text;
}

const binary = (backend: Backend, tool: '' | '-save' | '-restore'): Program => `iptables-${backend}${tool}`;

/** Counts `-A` rules a backend holds; null when its tools are missing or fail. */
export function ruleCount(backend: Backend): number | null {
  const result = run(binary(backend, '-save'), []);
  if (result.missing || result.status !== 0) return null;
  return result.stdout.split('\n').filter((text) => text.startsWith('-A ')).length;
}

/**
 * auto: the backend that already holds the host's rules (like kube-proxy's iptables-wrapper),
 * nft on a tie. Throws IptablesError when the chosen backend's tools are missing.
 */
export function chooseBackend(wanted: 'auto' | Backend): Backend {
  if (wanted !== 'auto') {
    if (ruleCount(wanted) === null) {
      throw new IptablesError(`FTWALL_IPTABLES=${wanted}: ${binary(wanted, '-save')} is missing or does not work (install iptables)`);
    }
    return wanted;
  }
  const nft = ruleCount('nft');
  const legacy = ruleCount('legacy');
  if (nft === null && legacy === null) {
    throw new IptablesError('iptables is missing: neither iptables-nft-save nor iptables-legacy-save works (install iptables)');
  }
  if (nft === null) return 'legacy';
  if (legacy === null) return 'nft';
  return legacy > nft ? 'legacy' : 'nft';
}

/** Applies ftwall's rules with one backend. Every change is one atomic iptables-restore. */
export class IptablesRules {
  readonly backend: Backend;
  /** Tables that did not exist before this process installed rules into them. */
  readonly #createdTables = new Set<string>();

  constructor(backend: Backend) {
    this.backend = backend;
  }

  /** iptables-save output of every table (callers select theirs); `-c` adds packet counters. */
  save(args: string[] = []): string {
    const result = run(binary(this.backend, '-save'), args);
    if (result.status !== 0) throw new IptablesError(`${binary(this.backend, '-save')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** Whether a chain exists in a table (e.g. DOCKER-USER). */
  hasChain(table: string, chain: string): boolean {
    let current = '';
    return this.save().split('\n').some((text) => {
      if (text.startsWith('*')) current = text.slice(1).trim();
      return current === table && text.startsWith(`:${chain} `);
    });
  }

  private restore(script: string): void {
    const result = run(binary(this.backend, '-restore'), ['--noflush', '--wait'], script);
    if (result.status !== 0) {
      throw new IptablesError(`${binary(this.backend, '-restore')} failed: ${describeIptablesFailure(result.stderr, result.status)}`);
    }
  }

  /** Removes every chain and jump of ours in `table`; returns how many it removed. */
  #removeRules(table: string): number {
    const owned = findOwned(table, this.save());
    const script = renderRemoval(owned);
    if (script) this.restore(script);
    return owned.chains.length + owned.jumps.length;
  }

  /**
   * Uninstall: removes every chain and jump of ours in `table`, and deletes the table itself when
   * this process created it and nothing but pristine built-in chains is left in it (nf_tables only,
   * with nft; a legacy table cannot be unloaded). Returns how many chains and jumps it removed.
   */
  removeOwned(table: string): number {
    const removed = this.#removeRules(table);
    if (this.#createdTables.has(table) && this.backend === 'nft') {
      const saved = this.save();
      if (hasTable(table, saved) && isPristineTable(table, saved)) run('nft', ['delete', 'table', 'ip', table]);
      this.#createdTables.delete(table);
    }
    return removed;
  }

  /** Clears leftovers, then installs the plan atomically. Returns how many leftovers were removed. */
  install(plan: TablePlan): number {
    const existed = hasTable(plan.table, this.save());
    const leftovers = this.#removeRules(plan.table);
    this.restore(renderInstall(plan));
    if (!existed) this.#createdTables.add(plan.table);
    return leftovers;
  }

  /**
   * One read for the rules checker: whether exactly the plan's chains, jumps and rules are present,
   * and how many packets ftwall's NFQUEUE rules have sent to the queues (their counters).
   */
  check(plan: TablePlan): { installed: boolean; queuedByRules: number } {
    const counted = this.save(['-c']);
    const plain = counted.replace(/^\[\d+:\d+\] /gm, '');
    return { installed: matchesPlan(plan, findOwned(plan.table, plain)), queuedByRules: queuedByRules(counted) };
  }
}
