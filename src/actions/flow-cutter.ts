// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Cuts bypassed UDP flows to a peer learned after they were judged clean: deletes their conntrack
 * entries (conntrack-tools), so their next packet is a new flow, queued and dropped as going to a
 * known peer. TCP needs nothing: a new connection always starts with a queued SYN. A LAN host that
 * sprays pings at random addresses must not make ftwall fork a process per address: at most
 * CUTS_PER_SECOND deletions start per second (the rest are skipped and counted), MAX_RUNNING at once.
 */
import { spawn } from 'node:child_process';

const MAX_RUNNING = 4;
const MAX_WAITING = 256;
const CUTS_PER_SECOND = 20;

export class FlowCutter {
  readonly #waiting: Array<[string, number]> = [];
  #running = 0;
  readonly counts = { requested: 0, cut: 0, overflow: 0, rate_limited: 0, failed: 0 };
  #tokens = CUTS_PER_SECOND;
  #refilledAt: number | undefined;
  readonly #spawnCut: (ip: string, port: number) => ReturnType<typeof spawn>;
  readonly #onMissingTool: (message: string) => void;
  #missingReported = false;

  constructor(onMissingTool: (message: string) => void,
    spawnCut = (ip: string, port: number) => spawn('conntrack', ['-D', '-p', 'udp', '--orig-dst', ip, '--orig-port-dst', String(port)], { stdio: 'ignore' })) {
    this.#onMissingTool = onMissingTool;
    this.#spawnCut = spawnCut;
  }

  /** Deletes the conntrack entries of UDP flows to ip:port (asynchronously). */
  cut(ip: string, port: number, nowMs = Date.now()): void {
    this.counts.requested++;
    this.#tokens = Math.min(CUTS_PER_SECOND, this.#tokens + ((nowMs - (this.#refilledAt ?? nowMs)) * CUTS_PER_SECOND) / 1000);
    this.#refilledAt = nowMs;
    if (this.#tokens < 1) {
      this.counts.rate_limited++;
      return;
    }
    this.#tokens -= 1;
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
      const child = this.#spawnCut(ip, port);
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
