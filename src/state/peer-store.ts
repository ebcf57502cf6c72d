// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The peer store (FTWALL_STATE_DIR/peers.txt, the original -f): an append-only text file, one peer
 * per line, reloaded at start so a restart forgets nothing.
 *   ip:port          a confirmed peer: held back from every host (also how an operator seeds one)
 *   ip:port learned  revealed by fewer hosts than the quorum: held back from identified clients only
 * A peer may appear on several lines (learned, later confirmed): confirmed wins. A torn last line
 * (crash mid-write) and corrupt lines are skipped with a warning naming the line. The file never
 * grows past a bound: when it reaches it, it is rewritten (atomically) from what ftwall remembers.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ipFromString } from '../core/packet.ts';

export interface StoredPeer { ip: number; port: number; confirmed: boolean }
export interface LoadResult { peers: StoredPeer[]; skipped: Array<{ line: number; text: string }>; tornTail: boolean; lines: number }

/** One store line; `address` is dotted-quad text. */
export function peerLine(address: string, port: number, confirmed: boolean): string {
  return `${address}:${port}${confirmed ? '' : ' learned'}`;
}

/** Parses the store's text; a peer on several lines is one peer. Pure. */
export function parsePeerStore(text: string): LoadResult {
  const byKey = new Map<string, StoredPeer>();
  const skipped: Array<{ line: number; text: string }> = [];
  const lines = text.split('\n');
  const tornTail = text.length > 0 && !text.endsWith('\n');
  if (!tornTail) lines.pop(); // the empty string after the final newline
  let count = 0;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    count++;
    const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(?:\s+(learned))?$/.exec(trimmed);
    const ip = match ? ipFromString(match[1]!) : Number.NaN;
    const port = match ? Number(match[2]) : 0;
    if (Number.isNaN(ip) || port < 1 || port > 65535 || (tornTail && index === lines.length - 1)) {
      skipped.push({ line: index + 1, text: trimmed.slice(0, 80) });
      return;
    }
    const confirmed = match![3] === undefined;
    const key = `${ip}:${port}`;
    const known = byKey.get(key);
    if (known) known.confirmed ||= confirmed;
    else byKey.set(key, { ip, port, confirmed });
  });
  return { peers: [...byKey.values()], skipped, tornTail, lines: count };
}

export class PeerStore {
  readonly path: string;
  /** Lines the file may reach before it is rewritten. */
  readonly maxLines: number;
  #lines = 0;
  #needsNewline = false;

  constructor(path: string, maxLines = Number.POSITIVE_INFINITY) {
    this.path = path;
    this.maxLines = maxLines;
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
    this.#lines = result.lines;
    return result;
  }

  /** Lines in the file now. */
  get lines(): number { return this.#lines; }

  /** Whether the file has reached its bound and should be rewritten. */
  get full(): boolean { return this.#lines >= this.maxLines; }

  /** Appends lines in one write (O_APPEND: lines from one write stay whole). */
  append(lines: string[]): void {
    if (lines.length === 0) return;
    const prefix = this.#needsNewline ? '\n' : '';
    this.#needsNewline = false;
    appendFileSync(this.path, `${prefix}${lines.join('\n')}\n`);
    this.#lines += lines.length;
  }

  /** Replaces the file's contents with `lines`: written beside it, then renamed over it. */
  rewrite(lines: string[]): void {
    const temporary = `${this.path}.new`;
    writeFileSync(temporary, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    renameSync(temporary, this.path);
    this.#lines = lines.length;
    this.#needsNewline = false;
  }
}
