// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Prints the architecture measures of the README's Development section, for the working tree or,
 * given a commit (`node scripts/measure-layout.ts 9442e3d`), for that commit. Lines are newlines,
 * as `wc -l` counts them, of every `src/**\/*.ts`.
 * - files: how many there are.
 * - largest file: the longest one besides `main.ts`, whose lines are given beside it.
 * - median file: the lower middle of their line counts (the middle one when odd).
 * - files holding the lock's rules: the files whose code compares a lock's end (`lockUntil…`,
 *   `until…`, `lock_until`) with a time by itself (<, <=, >, >=), comments left out; where the rule
 *   has one home, only `core/lock.ts` (its isLocked), which also holds the lock's timing, probes,
 *   answer window and expiry.
 * - files holding FastTrack bytes: the files of a `fasttrack/` folder and the files outside it
 *   that import from it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

export interface SourceFile {
  /** Relative to src/. */
  path: string;
  text: string;
}

export interface Layout {
  files: number;
  largest: { path: string; lines: number };
  median: number;
  mainLines: number;
  lockFiles: string[];
  fastTrackFiles: string[];
}

/** The `src/**\/*.ts` files of the working tree, or of `commit`. */
export function sourceFiles(commit?: string): SourceFile[] {
  if (commit) {
    const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return git('ls-tree', '-r', '--name-only', commit, 'src').split('\n').filter((name) => name.endsWith('.ts'))
      .map((name) => ({ path: relative('src', name), text: git('show', `${commit}:${name}`) }));
  }
  const src = join(ROOT, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts')).sort()
    .map((name) => ({ path: name, text: readFileSync(join(src, name), 'utf8') }));
}

export function lineCount(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** The code without its comments (block comments, and line comments not inside a string on that line). */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').map((line) => {
    const at = line.search(/(^|[^:'"`\\])\/\//);
    return at < 0 || /['"`]/.test(line.slice(0, at + 1)) ? line : line.slice(0, at + 1);
  }).join('\n');
}

/** A lock's end: lockUntil, lockUntilMs, until, untilMs, lock_until, on its own or as a member. */
const LOCK_END = String.raw`(?:[\w#]+\.)*(?:lockUntil\w*|until\w*|lock_until)\b`;
/** A relational operator, not part of `=>`. */
const RELATION = String.raw`(?<![=>])(?:<=|>=|<(?!<)|>(?!>))`;
const LOCK_TEST = new RegExp([
  // lockUntil(...) > now, lockUntil) > now, until <= now
  String.raw`${LOCK_END}(?:\((?:[^()]|\([^()]*\))*\))?\)*\s*${RELATION}`,
  // now >= lock.lockUntil
  String.raw`${RELATION}\s*${LOCK_END}`,
].join('|'));

/** Whether the file's code compares a lock's end with a time. */
export function testsLock(text: string): boolean {
  return LOCK_TEST.test(withoutComments(text));
}

const FASTTRACK_FOLDER = /(^|\/)fasttrack\//;
const IMPORTS_FASTTRACK = /^import\b[^;]*from\s+['"][^'"]*\/fasttrack\/[^'"]*['"]/m;

export function measure(files: readonly SourceFile[]): Layout {
  const sized = files.map((file) => ({ path: file.path, lines: lineCount(file.text) }));
  const counts = sized.map((file) => file.lines).sort((a, b) => a - b);
  const others = sized.filter((file) => file.path !== 'main.ts').sort((a, b) => b.lines - a.lines || a.path.localeCompare(b.path));
  return {
    files: files.length,
    largest: others[0] ?? { path: '', lines: 0 },
    median: counts[Math.floor((counts.length - 1) / 2)] ?? 0,
    mainLines: sized.find((file) => file.path === 'main.ts')?.lines ?? 0,
    lockFiles: files.filter((file) => testsLock(file.text)).map((file) => file.path),
    fastTrackFiles: files.filter((file) => FASTTRACK_FOLDER.test(file.path) || IMPORTS_FASTTRACK.test(file.text)).map((file) => file.path),
  };
}

/** "3 in 2 folders: a/x.ts, a/y.ts, b/z.ts" */
function listed(paths: readonly string[]): string {
  const folders = new Set(paths.map((path) => path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.'));
  return `${paths.length} in ${folders.size} folder${folders.size === 1 ? '' : 's'}${paths.length > 0 ? `: ${paths.join(', ')}` : ''}`;
}

export function report(layout: Layout): string {
  return [
    `files: ${layout.files}`,
    `largest file: ${layout.largest.path}, ${layout.largest.lines} (main.ts ${layout.mainLines})`,
    `median file: ${layout.median}`,
    `main.ts: ${layout.mainLines}`,
    `files holding the lock's rules: ${listed(layout.lockFiles)}`,
    `files holding FastTrack bytes: ${listed(layout.fastTrackFiles)}`,
  ].join('\n');
}

if (import.meta.main) process.stdout.write(`${report(measure(sourceFiles(process.argv[2])))}\n`);
