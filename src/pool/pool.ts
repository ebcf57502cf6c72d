// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The worker pool: one worker thread per queue. Starts them all, reports when every one is
 * reading, restarts one that dies (its queue flows meanwhile: the rules use --queue-bypass), and
 * stops them all. Typed events; close() settles everything.
 */
import { EventEmitter, once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { SpoofRequest } from '../state/apply.ts';
import type { FtEvent } from '../telemetry/events.ts';
import type { MainMessage, WorkerInit, WorkerMessage } from './messages.ts';

export interface PoolEvents {
  /** A worker (first start or restart) is reading its queue. */
  ready: [queue: number, restarts: number];
  /** A worker exited without being asked to. */
  died: [queue: number, exitCode: number, error: string | undefined];
  /** A restarted worker could not open its queue. */
  failed: [queue: number, message: string];
  /** The state changes and actions of one worker batch. */
  batch: [events: FtEvent[], spoofs: SpoofRequest[]];
}

export interface PoolOptions {
  /** Worker inits, one per queue. */
  inits: WorkerInit[];
  /** The worker module (injectable for tests). */
  workerUrl: URL;
  /** First restart delay; doubles per consecutive failure up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** Thrown by start() when a worker cannot open its queue. */
export class QueueOpenError extends Error {}

interface Slot {
  init: WorkerInit;
  worker: Worker | undefined;
  ready: boolean;
  restarts: number;
  stopping: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class WorkerPool extends EventEmitter<PoolEvents> {
  readonly #options: Required<PoolOptions>;
  readonly #slots: Slot[];
  #closed = false;
  /** Workers restarted (reading their queue again after dying) since start. */
  restarted = 0;

  constructor(options: PoolOptions) {
    super();
    this.#options = { restartDelayMs: 100, maxRestartDelayMs: 5000, ...options };
    this.#slots = options.inits.map((init) => ({ init, worker: undefined, ready: false, restarts: 0, stopping: false, timer: undefined }));
  }

  /** Number of workers currently reading their queue. */
  get readyCount(): number { return this.#slots.filter((slot) => slot.ready).length; }
  get size(): number { return this.#slots.length; }
  get allReady(): boolean { return this.readyCount === this.#slots.length; }

  /** Starts every worker; resolves once all read their queue, rejects with QueueOpenError otherwise. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.#slots.map((slot) => this.#spawn(slot)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      await this.close();
      throw (failure as PromiseRejectedResult).reason;
    }
  }

  #spawn(slot: Slot): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.#options.workerUrl, { workerData: slot.init, name: `ftwall-queue-${slot.init.queue}` });
      slot.worker = worker;
      let settled = false;
      let lastError: string | undefined;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'batch') {
          this.emit('batch', message.events, message.spoofs);
        } else if (message.type === 'ready') {
          slot.ready = true;
          settled = true;
          if (slot.restarts > 0) this.restarted++;
          this.emit('ready', slot.init.queue, slot.restarts);
          resolve();
        } else if (message.type === 'fatal') {
          settled = true;
          reject(new QueueOpenError(message.message));
        }
      });
      worker.on('error', (error) => { lastError = error.stack ?? String(error); });
      worker.on('exit', (code) => {
        slot.ready = false;
        slot.worker = undefined;
        if (!settled) {
          settled = true;
          reject(new QueueOpenError(lastError ?? `worker for queue ${slot.init.queue} exited with code ${code}`));
          return;
        }
        if (slot.stopping || this.#closed) return;
        this.emit('died', slot.init.queue, code, lastError);
        this.#scheduleRestart(slot);
      });
    });
  }

  #scheduleRestart(slot: Slot): void {
    const delay = Math.min(this.#options.maxRestartDelayMs, this.#options.restartDelayMs * 2 ** Math.min(slot.restarts, 16));
    slot.restarts++;
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.#closed) return;
      this.#spawn(slot).catch((error: Error) => {
        this.emit('failed', slot.init.queue, error.message);
        if (!this.#closed && !slot.worker) this.#scheduleRestart(slot);
      });
    }, delay);
  }

  /** Asks every worker to close its queue and waits for them to exit. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map(async (slot) => {
      if (slot.timer) clearTimeout(slot.timer);
      const worker = slot.worker;
      if (!worker) return;
      slot.stopping = true;
      const exited = once(worker, 'exit');
      worker.postMessage({ type: 'stop' } satisfies MainMessage);
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    }));
  }
}
