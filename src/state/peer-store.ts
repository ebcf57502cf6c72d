// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The peer store (FTWALL_STATE_DIR/peers.txt, the original -f): an append-only text file, one peer
 * per line, reloaded at start so a restart forgets nothing.
 *   ip:port            the operator's: held back from every host, never evicted, never forgotten,
 *                      always kept by compaction (how an operator seeds one)
 *   ip:port confirmed  revealed by a quorum of verified hosts: held back from every host
 *   ip:port learned    revealed by fewer: held back from identified clients only
 * ftwall itself writes only `confirmed` and `learned` lines. (Before the `confirmed` marker existed
 * ftwall wrote confirmed peers without one: such lines now read as the operator's.) A peer may
 * appear on several lines: the operator's wins, then confirmed. A torn last line (crash mid-write)
 * and corrupt lines are skipped with a warning naming the line. The file never grows past a bound:
 * when it reaches it, it is rewritten (atomically) from what ftwall remembers, the operator's first.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ipFromString } from '../core/packet.ts';
import { replaceFile, type AtomicFs } from './atomic-file.ts';

/** How a stored peer is held: the operator's (pinned), confirmed by a quorum, or learned. */
export type PeerKind = 'pinned' | 'confirmed' | 'learned';
const RANK: Record<PeerKind, number> = { learned: 0, confirmed: 1, pinned: 2 };

export interface StoredPeer { ip: number; port: number; kind: PeerKind }
export interface LoadResult { peers: StoredPeer[]; skipped: Array<{ line: number; text: string }>; tornTail: boolean; lines: number }

/** One store line; `address` is dotted-quad text. */
export function peerLine(address: string, port: number, kind: PeerKind): string {
  return `${address}:${port}${kind === 'pinned' ? '' : ` ${kind}`}`;
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
    const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(?:\s+(learned|confirmed))?$/.exec(trimmed);
    const ip = match ? ipFromString(match[1]!) : Number.NaN;
    const port = match ? Number(match[2]) : 0;
    if (Number.isNaN(ip) || port < 1 || port > 65535 || (tornTail && index === lines.length - 1)) {
      skipped.push({ line: index + 1, text: trimmed.slice(0, 80) });
      return;
    }
    const kind = (match![3] as PeerKind | undefined) ?? 'pinned';
    const key = `${ip}:${port}`;
    const known = byKey.get(key);
    if (!known) byKey.set(key, { ip, port, kind });
    else if (RANK[kind] > RANK[known.kind]) known.kind = kind;
  });
  return { peers: [...byKey.values()], skipped, tornTail, lines: count };
}

export class PeerStore {
  readonly path: string;
  /** Lines the file may reach before it is rewritten. */
  readonly maxLines: number;
  #lines = 0;
  #needsNewline = false;
  readonly #fs: AtomicFs | undefined;

  constructor(path: string, maxLines = Number.POSITIVE_INFINITY, fs?: AtomicFs) {
    this.path = path;
    this.maxLines = maxLines;
    this.#fs = fs;
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

  /** Replaces the file's contents with `lines`: written beside it, fsynced, then renamed over it. */
  rewrite(lines: string[]): void {
    replaceFile(this.path, lines.length === 0 ? '' : `${lines.join('\n')}\n`, this.#fs);
    this.#lines = lines.length;
    this.#needsNewline = false;
  }
}
