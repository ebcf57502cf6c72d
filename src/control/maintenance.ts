// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Commands that run without a daemon: `ftwall cleanup` removes whatever a crashed run left in the
 * kernel (its iptables chains and jumps in either backend, its nftables table, its control socket),
 * whatever that run's configuration was; `ftwall doctor` checks what ftwall needs from this host,
 * one line per check with the fix.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { runNft } from 'nfqueue-bindings';
import { FlowCutter } from '../actions/flow-cutter.ts';
import type { Config } from '../config/schema.ts';
import { KernelSets } from '../rules/kernel-sets.ts';
import { TABLE } from '../rules/nft-sets.ts';
import { IptablesRules, chooseBackend, ruleCount, type Backend } from '../rules/iptables.ts';
import { acquireInstanceLock, InstanceLockedError } from '../system/instance-lock.ts';
import { ipv4Addresses, missingInterfaces } from '../system/interfaces.ts';
import { runProgram } from '../system/programs.ts';

/** Removes every trace of an earlier run; refuses while a daemon runs in this network namespace. */
export async function cleanup(controlSocket: string): Promise<string[]> {
  let lock;
  try {
    lock = await acquireInstanceLock();
  } catch (error) {
    if (error instanceof InstanceLockedError) throw new Error('a running ftwall owns the rules here: stop it (it removes its own rules) instead of cleaning up after it');
    throw error;
  }
  const done: string[] = [];
  try {
    for (const backend of ['nft', 'legacy'] as Backend[]) {
      const save = runProgram(backend === 'nft' ? 'iptables-nft-save' : 'iptables-legacy-save', []);
      if (save.missing || save.status !== 0 || !save.stdout.includes('FTWALL-')) continue;
      const removed = new IptablesRules(backend).removeOwned('filter');
      done.push(`iptables (${backend}): removed ${removed} chains and jumps of ftwall`);
    }
    try {
      await runNft(`delete table ip ${TABLE}`);
      done.push(`nftables: removed table ip ${TABLE}`);
    } catch { /* no such table */ }
    if (controlSocket && existsSync(controlSocket)) {
      unlinkSync(controlSocket);
      done.push(`removed the stale control socket ${controlSocket}`);
    }
  } finally {
    lock.close();
  }
  return done;
}

export interface Check {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** How to fix it (when not ok). */
  fix?: string;
}

/** Kernel modules ftwall's rules and sets use, and what each is for. */
const MODULES: Array<[string, string]> = [
  ['nfnetlink_queue', 'the queues'], ['xt_NFQUEUE', 'the queue rules'], ['nf_conntrack', 'flow state'],
  ['xt_conntrack', 'flow state in rules'], ['xt_connmark', 'flow bypass'], ['xt_connbytes', 'the safety net'],
  ['xt_u32', 'the safety net and UDP pre-match'], ['xt_limit', 'the safety net\'s reply chain'], ['nf_tables', 'kernel sets'],
];

/** Where a module is: loaded, built into the kernel, loadable, or not found. */
function moduleState(name: string): 'loaded' | 'built in' | 'loadable' | 'missing' {
  const loaded = readText('/proc/modules').split('\n').some((line) => line.split(' ')[0] === name);
  if (loaded) return 'loaded';
  const dir = `/lib/modules/${release()}`;
  const builtin = readText(join(dir, 'modules.builtin'));
  if (new RegExp(`/${name}\\.ko(\\.\\w+)?$`, 'm').test(builtin)) return 'built in';
  const all = readText(join(dir, 'modules.dep'));
  if (new RegExp(`/${name}\\.ko(\\.\\w+)?:`, 'm').test(all)) return 'loadable';
  return 'missing';
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Effective capabilities of this process (CapEff), as a bigint. */
function capabilities(): bigint {
  const line = readText('/proc/self/status').split('\n').find((text) => text.startsWith('CapEff:'));
  return line ? BigInt(`0x${line.split(/\s+/)[1]}`) : 0n;
}

export async function doctor(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  const caps = capabilities();
  const netAdmin = (caps & (1n << 12n)) !== 0n;
  const netRaw = (caps & (1n << 13n)) !== 0n;
  checks.push({ name: 'capabilities', ok: netAdmin && netRaw, detail: `CAP_NET_ADMIN ${netAdmin ? 'yes' : 'no'}, CAP_NET_RAW ${netRaw ? 'yes' : 'no'}`, fix: 'run as root, or give the container NET_ADMIN and NET_RAW with host networking' });
  const forward = readText('/proc/sys/net/ipv4/ip_forward').trim();
  checks.push({ name: 'ip_forward', ok: forward === '1', detail: `net.ipv4.ip_forward = ${forward || 'unknown'}`, fix: 'sysctl -w net.ipv4.ip_forward=1 (the router must forward for ftwall to see LAN traffic)' });
  const missing = missingInterfaces(config.lanInterfaces);
  checks.push({ name: 'lan interfaces', ok: missing.length === 0, detail: missing.length === 0 ? config.lanInterfaces.map((name) => `${name} (${ipv4Addresses(name).map((a) => `${a.address}/${a.prefixLength}`).join(', ') || 'no IPv4'})`).join(', ') : `missing: ${missing.join(', ')}`, fix: 'set FTWALL_LAN_INTERFACE to the interfaces of the protected LAN (ip -br link)' });
  try {
    const backend = chooseBackend(config.iptables);
    const counts = (['nft', 'legacy'] as Backend[]).map(ruleCount);
    const [nft, legacy] = counts;
    const both = nft !== null && nft !== undefined && legacy !== null && legacy !== undefined && nft > 0 && legacy > 0;
    checks.push({ name: 'iptables backend', ok: !both, detail: `${backend} (rules: nft ${counts[0] ?? 'n/a'}, legacy ${counts[1] ?? 'n/a'})`, fix: 'both backends hold rules: set FTWALL_IPTABLES to the one your firewall (firewalld, ufw, Docker) uses' });
  } catch (error) {
    checks.push({ name: 'iptables backend', ok: false, detail: (error as Error).message, fix: 'install iptables (iptables-nft or iptables-legacy)' });
  }
  for (const [name, what] of MODULES) {
    const state = moduleState(name);
    checks.push({ name: `module ${name}`, ok: state !== 'missing', detail: `${state} (${what})`, fix: `modprobe ${name}, or build it; the README says which setting does without it` });
  }
  const conntrack = await FlowCutter.check();
  checks.push({ name: 'conntrack netlink', ok: conntrack === null, detail: conntrack ?? 'entries can be deleted', fix: 'load nf_conntrack_netlink; without it flow bypass and flow cuts are switched off' });
  const nftables = await KernelSets.check();
  checks.push({ name: 'nftables', ok: nftables === null, detail: nftables ?? 'tables can be made', fix: 'load nf_tables; without it locks and peers are enforced by the queue alone' });
  if (config.stateDir) {
    let detail = `${config.stateDir} writable`;
    let ok = true;
    try {
      mkdirSync(config.stateDir, { recursive: true });
      accessSync(config.stateDir, constants.W_OK);
      const probe = join(config.stateDir, '.doctor');
      writeFileSync(probe, 'ok');
      unlinkSync(probe);
    } catch (error) {
      ok = false;
      detail = `${config.stateDir}: ${(error as Error).message}`;
    }
    checks.push({ name: 'state directory', ok, detail, fix: 'give FTWALL_STATE_DIR a writable directory (a volume in a container), or set it empty to keep nothing' });
  }
  return checks;
}

/** The checks as lines: `ok   name: detail` or `FAIL name: detail; fix: ...`. */
export function formatChecks(checks: readonly Check[]): string {
  return checks.map((check) => check.ok ? `ok    ${check.name}: ${check.detail}` : `FAIL  ${check.name}: ${check.detail}; fix: ${check.fix}`).join('\n');
}
