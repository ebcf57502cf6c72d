// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Cuts bypassed UDP flows to a peer learned after they were judged clean: deletes their conntrack
 * entries (conntrack-tools), so their next packet is a new flow, queued and dropped as going to a
 * known peer. TCP needs nothing: a new connection always starts with a queued SYN. At most
 * MAX_RUNNING deletions run at once; the rest wait in a bounded queue (overflow is counted).
 */
import { spawn } from 'node:child_process';

const MAX_RUNNING = 4;
const MAX_WAITING = 4096;

export class FlowCutter {
  readonly #waiting: Array<[string, number]> = [];
  #running = 0;
  readonly counts = { requested: 0, cut: 0, overflow: 0, failed: 0 };
  readonly #onMissingTool: (message: string) => void;
  #missingReported = false;

  constructor(onMissingTool: (message: string) => void) {
    this.#onMissingTool = onMissingTool;
  }

  /** Deletes the conntrack entries of UDP flows to ip:port (asynchronously). */
  cut(ip: string, port: number): void {
    this.counts.requested++;
    if (this.#waiting.length >= MAX_WAITING) {
      this.counts.overflow++;
      return;
    }
    this.#waiting.push([ip, port]);
    this.#next();
  }

  #next(): void {
    while (this.#running < MAX_RUNNING && this.#waiting.length > 0) {
      const [ip, port] = this.#waiting.shift()!;
      this.#running++;
      const child = spawn('conntrack', ['-D', '-p', 'udp', '--orig-dst', ip, '--orig-port-dst', String(port)], { stdio: 'ignore' });
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.counts.failed++;
        if (error.code === 'ENOENT' && !this.#missingReported) {
          this.#missingReported = true;
          this.#onMissingTool('conntrack (conntrack-tools) is missing: bypassed UDP flows to newly learned peers cannot be cut');
        }
      });
      child.once('close', (code) => {
        // conntrack exits 1 when no entry matched: nothing to cut.
        if (code === 0) this.counts.cut++;
        this.#running--;
        this.#next();
      });
    }
  }
}
