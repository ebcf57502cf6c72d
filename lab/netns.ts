// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The namespace test bed: LAN hosts on a bridge behind a router, and an "internet" beyond it.
 *
 *   <p>-c1 10.77.1.10 ─┐                         ┌─ <p>-net 203.0.113.2, and every address of
 *   <p>-c2 10.77.1.20 ─┼─ lan0 (bridge) 10.77.1.1 │   198.51.100.0/24, 198.18.0.0/24, 192.0.2.0/24 (local routes)
 *   ...               ─┘   <p>-rtr   wan0 203.0.113.1
 *
 * Names carry a random prefix per run; traffic stays inside these namespaces (they have no link to the
 * host); destroy() deletes them all and is safe to call twice. Register it with the test's after()
 * (the bench and the demo also destroy it on process exit).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LAN_PREFIX = '10.77.1';
export const ROUTER_LAN_IP = '10.77.1.1';
export const ROUTER_WAN_IP = '203.0.113.1';
export const INTERNET_IP = '203.0.113.2';
/** Address ranges answered by the internet namespace (every address is local there). */
export const PEER_NET = '198.51.100';
/** Where the fresh node lists that supernodes hand out point. */
export const FRESH_PEER_NET = '198.18.0';
export const WEB_NET = '192.0.2';
const INTERNET_NETS = [PEER_NET, FRESH_PEER_NET, WEB_NET];

export interface LanHost {
  name: string;
  ns: string;
  ip: string;
  mac: string;
}

export interface TestBedOptions {
  /** LAN hosts to create, by short name (e.g. ['client', 'benign']); addresses .10, .20, ... */
  hosts?: string[];
}

function sh(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Why privileged tests cannot run here, or false when they can. */
export function privilegedSkipReason(): string | false {
  if (!isRoot()) return 'needs root: network namespaces, iptables and NFQUEUE';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (ip)';
  if (spawnSync('iptables', ['--version']).status !== 0) return 'needs iptables';
  return false;
}

export class TestBed {
  readonly prefix: string;
  readonly router: string;
  readonly internet: string;
  readonly hosts: LanHost[] = [];
  /** A scratch directory for this bed (peer stores, replay files), removed by destroy(). */
  readonly tempDir: string;
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();
  readonly #cleanups: Array<() => void> = [];

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.router = `${prefix}-rtr`;
    this.internet = `${prefix}-net`;
    this.tempDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  }

  static create(options: TestBedOptions = {}): TestBed {
    const bed = new TestBed(`ftw${randomBytes(3).toString('hex')}`);
    try {
      bed.#build(options.hosts ?? ['client', 'benign']);
    } catch (error) {
      bed.destroy();
      throw error;
    }
    return bed;
  }

  #addNamespace(name: string): void {
    sh(['ip', 'netns', 'add', name]);
    this.#namespaces.push(name);
    this.run(name, ['ip', 'link', 'set', 'lo', 'up']);
  }

  #build(hostNames: string[]): void {
    const r = this.router;
    const n = this.internet;
    this.#addNamespace(r);
    this.#addNamespace(n);
    // Router <-> internet.
    sh(['ip', 'link', 'add', 'wan0', 'netns', r, 'type', 'veth', 'peer', 'name', 'up0', 'netns', n]);
    this.run(r, ['ip', 'addr', 'add', `${ROUTER_WAN_IP}/24`, 'dev', 'wan0']);
    this.run(r, ['ip', 'link', 'set', 'wan0', 'up']);
    this.run(n, ['ip', 'addr', 'add', `${INTERNET_IP}/24`, 'dev', 'up0']);
    this.run(n, ['ip', 'link', 'set', 'up0', 'up']);
    this.run(n, ['ip', 'route', 'add', `${LAN_PREFIX}.0/24`, 'via', ROUTER_WAN_IP]);
    for (const net of INTERNET_NETS) this.run(n, ['ip', 'route', 'add', 'local', `${net}.0/24`, 'dev', 'lo']);
    // Router: LAN bridge, forwarding on.
    this.run(r, ['ip', 'link', 'add', 'lan0', 'type', 'bridge']);
    this.run(r, ['ip', 'addr', 'add', `${ROUTER_LAN_IP}/24`, 'dev', 'lan0']);
    this.run(r, ['ip', 'link', 'set', 'lan0', 'up']);
    this.run(r, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    for (const net of INTERNET_NETS) this.run(r, ['ip', 'route', 'add', `${net}.0/24`, 'via', INTERNET_IP]);
    hostNames.forEach((name, index) => this.#addHost(name, `${LAN_PREFIX}.${10 * (index + 1)}`, index));
  }

  #addHost(name: string, ip: string, index: number): void {
    const ns = `${this.prefix}-${name}`;
    this.#addNamespace(ns);
    const port = `lp${index}`;
    sh(['ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.router]);
    this.run(this.router, ['ip', 'link', 'set', port, 'master', 'lan0']);
    this.run(this.router, ['ip', 'link', 'set', port, 'up']);
    const mac = `02:77:01:00:00:${(0x10 + index).toString(16).padStart(2, '0')}`;
    this.run(ns, ['ip', 'link', 'set', 'eth0', 'address', mac]);
    this.run(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    this.run(ns, ['ip', 'link', 'set', 'eth0', 'up']);
    this.run(ns, ['ip', 'route', 'add', 'default', 'via', ROUTER_LAN_IP]);
    this.hosts.push({ name, ns, ip, mac });
  }

  host(name: string): LanHost {
    const host = this.hosts.find((candidate) => candidate.name === name);
    if (!host) throw new Error(`no LAN host ${name}`);
    return host;
  }

  /** Runs a command in a namespace and returns its stdout; throws on failure. */
  run(ns: string, args: string[], input?: string): string {
    return execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Like run() but never throws: status, stdout and stderr. */
  try(ns: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', input });
    return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  }

  /** Starts a long-running process in a namespace; it is killed by destroy() if still running. */
  spawn(ns: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Runs `cleanup` in destroy(), after the children are killed and before the namespaces go (last added, first run). */
  onDestroy(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  /** Kills every child still running and deletes every namespace. Idempotent. */
  destroy(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#children.clear();
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try { cleanup(); } catch { /* the rest still has to go */ }
    }
    for (const ns of this.#namespaces.splice(0).reverse()) {
      // Processes left inside (ip netns exec children) die with SIGKILL before the namespace goes.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.trim().split(/\s+/).filter(Boolean) ?? [];
      for (const pid of pids) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}
