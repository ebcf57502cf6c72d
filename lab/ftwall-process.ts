// SPDX-License-Identifier: GPL-2.0-or-later
/** The real `ftwall` daemon (dist/cli.js) running in the router namespace of a test bed. */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JsonLines, exitOf, type JsonLine } from './json-lines.ts';
import type { TestBed } from './netns.ts';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export class FtwallProcess {
  readonly child: ChildProcess;
  readonly log: JsonLines;
  stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    this.log = new JsonLines(child.stdout!);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => { this.stderr += chunk; });
  }

  /**
   * Starts ftwall in the router namespace with FTWALL_LAN_INTERFACE=lan0, a peer store in the bed's
   * scratch directory, and `env` on top.
   */
  static start(bed: TestBed, env: Record<string, string> = {}, args: string[] = []): FtwallProcess {
    const child = bed.spawn(bed.router, [process.execPath, CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', FTWALL_LAN_INTERFACE: 'lan0', FTWALL_LOG_LEVEL: 'debug',
        FTWALL_STATE_DIR: bed.tempDir, FTWALL_CONTROL_SOCKET: `${bed.tempDir}/control/ftwall.sock`, ...env,
      },
    });
    return new FtwallProcess(child);
  }

  /** Waits for the log event `event` (optionally also matching `where`). */
  waitForEvent(event: string, where: (line: JsonLine) => boolean = () => true, timeoutMs = 20_000): Promise<JsonLine> {
    return this.log.waitFor((line) => line.event === event && where(line), timeoutMs, `log event ${event}`);
  }

  /** Waits for "ready" (rules installed, every worker reading). */
  ready(): Promise<JsonLine> {
    return this.waitForEvent('ready');
  }

  events(event: string): JsonLine[] {
    return this.log.lines.filter((line) => line.event === event);
  }

  exited() {
    return exitOf(this.child);
  }

  /** SIGTERM, then the exit status. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGTERM');
    return this.exited();
  }
}
