// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A private Docker daemon for tests: never touches the host's network (no iptables,
 * no bridge, no forwarding changes), its own data root, exec root and socket. With `netns` it runs
 * inside that network namespace, so `docker run --network host` means that namespace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

export function dockerAvailable(): string | false {
  if (spawnSync('dockerd', ['--version']).status !== 0) return 'dockerd is not installed (scripts/dev.sh installs docker.io)';
  if (spawnSync('docker', ['--version']).status !== 0) return 'the docker client is not installed';
  return false;
}

export class Dockerd {
  readonly name: string;
  readonly root: string;
  readonly socket: string;
  readonly #child: ChildProcess;

  private constructor(name: string, root: string, child: ChildProcess) {
    this.name = name;
    this.root = root;
    this.socket = `unix:///run/${name}.sock`;
    this.#child = child;
  }

  static async start(name: string, root: string, netns?: string): Promise<Dockerd> {
    mkdirSync(root, { recursive: true });
    const args = [
      '--iptables=false', '--ip6tables=false', '--bridge=none', '--ip-forward=false', '--ip-masq=false',
      '--data-root', `${root}/data`, '--exec-root', `/run/${name}`, '-H', `unix:///run/${name}.sock`, '--pidfile', `/run/${name}.pid`,
    ];
    const child = netns ? spawn('nsenter', [`--net=/run/netns/${netns}`, 'dockerd', ...args]) : spawn('dockerd', args);
    const daemon = new Dockerd(name, root, child);
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dockerd ${name} not ready in 60 s:\n${log.slice(-2000)}`)), 60_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('API listen on')) { clearTimeout(timer); resolve(); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`dockerd ${name} exited ${code}:\n${log.slice(-2000)}`)); });
    });
    child.stderr!.resume();
    return daemon;
  }

  /** Runs the docker client against this daemon. */
  docker(args: string[], options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync('docker', ['-H', this.socket, ...args], {
      input: options.input, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20,
      env: { ...process.env, DOCKER_BUILDKIT: '0', ...options.env },
    });
    return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  }

  /** Like docker() but throws with docker's message on failure. */
  must(args: string[], options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): string {
    const result = this.docker(args, options);
    if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${result.status}):\n${(result.stdout + result.stderr).slice(-3000)}`);
    return result.stdout;
  }

  /** A long-running docker client process (e.g. `logs -f`). */
  spawn(args: string[]): ChildProcess {
    return spawn('docker', ['-H', this.socket, ...args]);
  }

  /** Stops the daemon, unmounts what it left mounted and removes its directories. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '')
      .filter((path) => path.startsWith(this.root) || path.startsWith(`/run/${this.name}`)).reverse();
    for (const path of mounts) spawnSync('umount', ['-l', path]);
    rmSync(this.root, { recursive: true, force: true });
    rmSync(`/run/${this.name}`, { recursive: true, force: true });
    rmSync(`/run/${this.name}.sock`, { force: true });
    rmSync(`/run/${this.name}.pid`, { force: true });
  }
}
