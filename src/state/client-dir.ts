// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The client directory (FTWALL_CLIENT_DIR, the original -c): one file per identified LAN client,
 * named by its address, created when it is identified and removed when its lock expires.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class ClientDirectory {
  readonly #dir: string;
  readonly #present = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  add(ip: string, details: Record<string, unknown>): void {
    writeFileSync(join(this.#dir, ip), `${JSON.stringify({ ip, ...details, identified_at: new Date().toISOString() })}\n`);
    this.#present.add(ip);
  }

  remove(ip: string): void {
    if (!this.#present.delete(ip)) return;
    rmSync(join(this.#dir, ip), { force: true });
  }

  /** Removes every file this run created (on stop). */
  clear(): void {
    for (const ip of [...this.#present]) this.remove(ip);
  }
}
