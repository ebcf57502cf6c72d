// SPDX-License-Identifier: GPL-2.0-or-later
/** HTTP requests made from inside a namespace, through one long-running http-relay.ts per namespace. */
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestBed } from '../netns.ts';

const RELAY = fileURLToPath(new URL('./http-relay.ts', import.meta.url));

export interface HttpAnswer { status: number; headers: Record<string, string>; body: string; error?: string }

export class HttpRelay {
  readonly #stdin: NodeJS.WritableStream;
  /** Answers awaited, by request id (answers are not kept: a long bench polls many times a second). */
  readonly #pending = new Map<number, (answer: HttpAnswer) => void>();
  #next = 0;
  #ended: string | null = null;
  readonly #ready: Promise<void>;

  private constructor(child: ChildProcess, ns: string) {
    this.#stdin = child.stdin!;
    let listening: () => void = () => {};
    this.#ready = new Promise((resolve, reject) => {
      listening = resolve;
      setTimeout(() => reject(new Error(`the HTTP relay in ${ns} did not start within 15 s`)), 15_000).unref();
    });
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let answer: HttpAnswer & { id?: number; listening?: boolean };
      try { answer = JSON.parse(line) as HttpAnswer & { id?: number; listening?: boolean }; } catch { return; }
      if (answer.listening === true) listening();
      const resolve = answer.id === undefined ? undefined : this.#pending.get(answer.id);
      if (!resolve) return;
      this.#pending.delete(answer.id!);
      resolve(answer);
    });
    lines.on('close', () => {
      this.#ended = 'the HTTP relay exited';
      for (const resolve of this.#pending.values()) resolve({ status: 0, headers: {}, body: '', error: this.#ended });
      this.#pending.clear();
    });
  }

  static async start(bed: TestBed, ns: string): Promise<HttpRelay> {
    const relay = new HttpRelay(bed.spawn(ns, [process.execPath, RELAY], { stdio: ['pipe', 'pipe', 'ignore'] }), ns);
    await relay.#ready;
    return relay;
  }

  /** One request; status 0 with `error` when nothing answered; `binary`: the body comes back base64. */
  request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; binary?: boolean } = {}): Promise<HttpAnswer> {
    if (this.#ended) return Promise.resolve({ status: 0, headers: {}, body: '', error: this.#ended });
    const id = ++this.#next;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ status: 0, headers: {}, body: '', error: `no answer from the relay within ${(init.timeoutMs ?? 10_000) + 5_000} ms` });
      }, (init.timeoutMs ?? 10_000) + 5_000);
      this.#pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.#stdin.write(`${JSON.stringify({ id, url, ...init })}\n`);
    });
  }
}

/** Relays by namespace, one per namespace and bed. */
const relays = new WeakMap<TestBed, Map<string, Promise<HttpRelay>>>();

export function relayIn(bed: TestBed, ns: string): Promise<HttpRelay> {
  let byNs = relays.get(bed);
  if (!byNs) relays.set(bed, byNs = new Map());
  let relay = byNs.get(ns);
  if (!relay) byNs.set(ns, relay = HttpRelay.start(bed, ns));
  return relay;
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined; throws after timeoutMs with the last reason. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'never polled';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
