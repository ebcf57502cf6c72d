// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Worker set-up: what each worker is started with (one WorkerInit per queue, from the config and
 * the shared buffers), and the pool built from them with its workers' deaths and restarts logged.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockSecondsFor } from '../config/protocols.ts';
import type { Config } from '../config/schema.ts';
import type { CidrList } from '../core/cidr.ts';
import type { SharedState } from '../state/shared-state.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { WorkerInit } from './messages.ts';
import { WorkerPool } from './pool.ts';

/** The worker module, beside this one (worker.ts from source, worker.js from dist/). */
export const WORKER_URL = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** One init per queue (FTWALL_QUEUE_BASE + index), sharing `state`, `counters` and `histograms`; `lan` may change state. */
export function workerInits(config: Config, state: SharedState, counters: SharedArrayBuffer, histograms: SharedArrayBuffer, lan: CidrList): WorkerInit[] {
  return Array.from({ length: config.workers }, (_, index) => ({
    index,
    queue: config.queueBase + index,
    batchSize: config.batchSize,
    copyRange: config.queueCopyBytes,
    maxLength: config.queueMaxLength,
    socketBufferBytes: config.socketBufferBytes,
    mark: config.mark,
    bypassMark: config.flowBypass ? config.bypassMark : 0,
    failClosed: config.fail === 'closed',
    policy: {
      protocols: [...config.protocols],
      networkNames: config.networkNames,
      blockUdp: config.blockUdp,
      lockSeconds: lockSecondsFor(config),
      probePort: config.probePort,
      probePorts: config.probePorts,
      exempt: config.exempt.entries.map((entry) => entry.text).join(','),
      lanNetworks: lan.entries.map((entry) => entry.text).join(','),
      neverPeer: config.neverPeer.entries.map((entry) => entry.text).join(','),
      peerQuorum: config.peerQuorum,
      safetyNet: config.safetyNet,
      monitor: config.mode === 'monitor',
    },
    state: state.init,
    counters,
    histograms,
  }));
}

/** A pool (not started) for `inits` that logs a worker's death, its restart and a failed restart. */
export function createWorkerPool(inits: WorkerInit[], log: Logger, workerUrl: URL = WORKER_URL): WorkerPool {
  const pool = new WorkerPool({ inits, workerUrl });
  pool.on('died', (queue, exitCode, error) => log.error({ event: 'worker_died', queue, exit_code: exitCode, error }, `worker of queue ${queue} died; restarting (its queue passes traffic meanwhile)`));
  pool.on('ready', (queue, restarts) => { if (restarts > 0) log.warn({ event: 'worker_restarted', queue, restarts }, `worker of queue ${queue} restarted`); });
  pool.on('failed', (queue, message) => log.error({ event: 'worker_restart_failed', queue, error: message }, `worker of queue ${queue} could not restart`));
  return pool;
}
