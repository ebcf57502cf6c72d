// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import type { WorkerInit } from '../../../src/pool/messages.ts';
import { QueueOpenError, WorkerPool } from '../../../src/pool/pool.ts';

test('a worker that dies is restarted, and close() stops them all', async () => {
  const crashed = new SharedArrayBuffer(4);
  const alreadyCrashed = new SharedArrayBuffer(4);
  new Int32Array(alreadyCrashed)[0] = 1; // queue 6 stays up
  const pool = new WorkerPool({
    inits: [{ queue: 5, crashed } as unknown as WorkerInit, { queue: 6, crashed: alreadyCrashed } as unknown as WorkerInit],
    workerUrl: new URL('../../fixtures/crash-once-worker.ts', import.meta.url),
    restartDelayMs: 10,
  });
  const died = once(pool, 'died');
  await pool.start();
  assert.equal(pool.restarted, 0, 'first starts are not restarts');
  const [queue, , error] = await died;
  assert.equal(queue, 5);
  assert.match(String(error), /deliberate crash/);
  const [readyQueue, restarts] = await once(pool, 'ready');
  assert.equal(readyQueue, 5);
  assert.equal(restarts, 1);
  assert.equal(pool.restarted, 1, 'ftwall.workers.restarted');
  assert.equal(pool.allReady, true);
  await pool.close();
  assert.equal(pool.readyCount, 0);
});

test('a worker that cannot open its queue fails start() with its message', async () => {
  const pool = new WorkerPool({
    inits: [{ queue: 1 } as unknown as WorkerInit],
    workerUrl: new URL('data:text/javascript,import { parentPort, workerData } from "node:worker_threads"; parentPort.postMessage({ type: "fatal", queue: workerData.queue, message: "cannot bind queue 1" }); process.exit(1);'),
  });
  await assert.rejects(pool.start(), (error: unknown) => error instanceof QueueOpenError && /cannot bind queue 1/.test(error.message));
});
