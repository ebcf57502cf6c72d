// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The peer store (FTWALL_PEER_STORE, the original -f): an append-only text file, one `ip:port`
 * per line, reloaded at start so a restart forgets nothing. A torn last line (crash mid-write)
 * and corrupt lines are skipped with a warning naming the line.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ipFromString } from '../core/packet.ts';

export interface StoredPeer { ip: number; port: number }
export interface LoadResult { peers: StoredPeer[]; skipped: Array<{ line: number; text: string }>; tornTail: boolean }

/** Parses the store's text. Pure. */
export function parsePeerStore(text: string): LoadResult {
  const peers: StoredPeer[] = [];
  const skipped: Array<{ line: number; text: string }> = [];
  const lines = text.split('\n');
  const tornTail = text.length > 0 && !text.endsWith('\n');
  if (!tornTail) lines.pop(); // the empty string after the final newline
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(trimmed);
    const ip = match ? ipFromString(match[1]!) : Number.NaN;
    const port = match ? Number(match[2]) : 0;
    if (Number.isNaN(ip) || port < 1 || port > 65535 || (tornTail && index === lines.length - 1)) {
      skipped.push({ line: index + 1, text: trimmed.slice(0, 80) });
      return;
    }
    peers.push({ ip, port });
  });
  return { peers, skipped, tornTail };
}

export class PeerStore {
  readonly path: string;
  #needsNewline = false;

  constructor(path: string) {
    this.path = path;
  }

  /** Reads the store (missing file: empty). Creates its directory. */
  load(): LoadResult {
    mkdirSync(dirname(this.path), { recursive: true });
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const result = parsePeerStore(text);
    this.#needsNewline = result.tornTail;
    return result;
  }

  /** Appends peers, one line each, in one write (O_APPEND: lines from one write stay whole). */
  append(lines: string[]): void {
    if (lines.length === 0) return;
    const prefix = this.#needsNewline ? '\n' : '';
    this.#needsNewline = false;
    appendFileSync(this.path, `${prefix}${lines.join('\n')}\n`);
  }
}
