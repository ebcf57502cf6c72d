// SPDX-License-Identifier: GPL-2.0-or-later
/** podman with private storage (its own --root/--runroot) and the test containers.conf. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CONF = fileURLToPath(new URL('../container/containers.conf', import.meta.url));

export function podmanAvailable(): string | false {
  return spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (scripts/dev.sh installs it)';
}

export class Podman {
  readonly root: string;
  readonly runroot: string;
  /** Run podman inside this network namespace (nsenter --net), so hostNetwork means it. */
  readonly netns: string | undefined;

  constructor(root: string, runroot: string, netns?: string) {
    this.root = root;
    this.runroot = runroot;
    this.netns = netns;
  }

  #command(args: string[]): [string, string[]] {
    const podman = ['podman', '--root', this.root, '--runroot', this.runroot, ...args];
    return this.netns ? ['nsenter', [`--net=/run/netns/${this.netns}`, ...podman]] : [podman[0]!, podman.slice(1)];
  }

  must(args: string[], timeoutMs = 120_000): string {
    const [command, argv] = this.#command(args);
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CONTAINERS_CONF: CONF } });
    if (result.status !== 0) throw new Error(`podman ${args.join(' ')} failed (${result.status}):\n${(result.stdout ?? '') + (result.stderr ?? '')}`);
    return result.stdout;
  }

  spawn(args: string[]): ChildProcess {
    const [command, argv] = this.#command(args);
    return spawn(command, argv, { env: { ...process.env, CONTAINERS_CONF: CONF } });
  }

  /** Removes everything this podman created, including its mounts. */
  destroy(): void {
    try { this.must(['rm', '--all', '--force'], 60_000); } catch { /* nothing to remove */ }
    try { this.must(['pod', 'rm', '--all', '--force'], 60_000); } catch { /* nothing to remove */ }
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '')
      .filter((path) => path.startsWith(this.root) || path.startsWith(this.runroot)).reverse();
    for (const path of mounts) spawnSync('umount', ['-l', path]);
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.runroot, { recursive: true, force: true });
  }
}
