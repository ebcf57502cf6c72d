// SPDX-License-Identifier: GPL-2.0-or-later
/** A client daemon in a namespace: its output to a file (nobody reads a pipe it could fill), and a clean stop. */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { exitOf } from '../json-lines.ts';
import type { TestBed } from '../netns.ts';

export class Daemon {
  readonly child: ChildProcess;
  readonly outputFile: string;
  #stopping: Promise<void> | null = null;

  constructor(bed: TestBed, ns: string, args: string[], outputFile: string, env?: NodeJS.ProcessEnv) {
    const fd = openSync(outputFile, 'a');
    try {
      this.child = bed.spawn(ns, args, { stdio: ['ignore', fd, fd], env: env ? { ...process.env, ...env } : process.env });
    } finally {
      closeSync(fd);
    }
    this.outputFile = outputFile;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs = 5_000): Promise<void> {
    this.#stopping ??= (async () => {
      if (!this.running) return;
      const exited = exitOf(this.child);
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return this.#stopping;
  }
}

/** A random port in the dynamic range (49152-65535), as clients pick theirs. */
export function randomPort(): number {
  return 49152 + Math.floor(Math.random() * (65536 - 49152));
}
