// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What the lab's clients tried to resolve: every log under <bed temp>/bt/ searched for the public
 * DHT bootstrap names clients know. With names.ts each lookup must have failed inside the namespace
 * (Transmission logs "Attempting bootstrap from <name>" once, then one error per try).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBed } from '../netns.ts';

export const PUBLIC_BOOTSTRAP_NAMES = ['dht.transmissionbt.com', 'router.bittorrent.com', 'router.utorrent.com', 'dht.libtorrent.org', 'dht.aelitis.com', 'router.bitcomet.com'];
const LOOKUP_FAILED = /Name or service not known|Temporary failure in name resolution|No address associated with hostname|Could not resolve/i;

export interface NameLookups {
  /** Log lines that name a public bootstrap host, by log file (relative to <bed temp>/bt/). */
  lines: Record<string, string[]>;
  /** Lines saying a lookup was tried, and lines saying one failed. */
  attempts: number;
  failures: number;
}

function logFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return logFiles(path);
    return name.endsWith('.log') ? [path] : [];
  });
}

export function publicNameLookups(bed: TestBed): NameLookups {
  const root = join(bed.tempDir, 'bt');
  const lines: Record<string, string[]> = {};
  let attempts = 0;
  let failures = 0;
  for (const file of logFiles(root)) {
    const found = readFileSync(file, 'utf8').split('\n').filter((line) => PUBLIC_BOOTSTRAP_NAMES.some((name) => line.includes(name)));
    if (found.length === 0) continue;
    lines[file.slice(root.length + 1)] = found;
    for (const line of found) {
      if (LOOKUP_FAILED.test(line)) failures++;
      else attempts++;
    }
  }
  return { lines, attempts, failures };
}
