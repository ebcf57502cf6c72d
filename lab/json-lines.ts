// SPDX-License-Identifier: GPL-2.0-or-later
/** Collects the JSON lines a child prints and lets a caller wait for one (a readiness signal, not a sleep). */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

export type JsonLine = Record<string, unknown>;

export class JsonLines {
  readonly lines: JsonLine[] = [];
  readonly text: string[] = [];
  #waiters: Array<{ match: (line: JsonLine) => boolean; resolve: (line: JsonLine) => void }> = [];
  #textWaiters: Array<{ match: RegExp; resolve: (line: string) => void }> = [];
  #ended = false;
  #endWaiters: Array<() => void> = [];

  constructor(stream: Readable) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const raw = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.text.push(raw);
        this.#textWaiters = this.#textWaiters.filter((waiter) => {
          if (!waiter.match.test(raw)) return true;
          waiter.resolve(raw);
          return false;
        });
        let parsed: JsonLine | undefined;
        try { parsed = JSON.parse(raw) as JsonLine; } catch { parsed = undefined; }
        if (!parsed || typeof parsed !== 'object') continue;
        this.lines.push(parsed);
        this.#waiters = this.#waiters.filter((waiter) => {
          if (!waiter.match(parsed)) return true;
          waiter.resolve(parsed);
          return false;
        });
      }
    });
    stream.on('end', () => {
      this.#ended = true;
      for (const resolve of this.#endWaiters.splice(0)) resolve();
    });
  }

  /** Resolves with the first raw text line (seen or future) matching `pattern`; rejects after timeoutMs. */
  waitForText(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const seen = this.text.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; last lines:\n${this.text.slice(-15).join('\n')}`)), timeoutMs);
      this.#textWaiters.push({ match: pattern, resolve: (line) => { clearTimeout(timer); resolve(line); } });
    });
  }

  /** Resolves with the first line (already seen or future) that matches; rejects after timeoutMs or at end of stream. */
  waitFor(match: (line: JsonLine) => boolean, timeoutMs = 20_000, what = 'a matching line'): Promise<JsonLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${this.text.slice(-15).join('\n')}`)), timeoutMs);
      const waiter = { match, resolve: (line: JsonLine) => { clearTimeout(timer); resolve(line); } };
      this.#waiters.push(waiter);
      const onEnd = () => {
        if (!this.#waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`stream ended before ${what}; last lines:\n${this.text.slice(-15).join('\n')}`));
      };
      if (this.#ended) onEnd();
      else this.#endWaiters.push(onEnd);
    });
  }
}

/** Resolves with the exit code and signal of a child. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
