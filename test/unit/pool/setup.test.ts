// SPDX-License-Identifier: GPL-2.0-or-later
import { lockSecondsFor } from '../../../src/config/protocols.ts';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { CidrList, parseCidr } from '../../../src/core/cidr.ts';
import type { WorkerInit } from '../../../src/pool/messages.ts';
import { createWorkerPool, workerInits } from '../../../src/pool/setup.ts';
import { SharedState } from '../../../src/state/shared-state.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64 }));
const counters = new SharedArrayBuffer(8);
const histograms = new SharedArrayBuffer(8);
const lan = new CidrList([parseCidr('192.168.1.0/24')]);

test('one init per queue from FTWALL_QUEUE_BASE, all sharing the state, counters and histograms', () => {
  const config = loadConfig({ FTWALL_LAN_INTERFACE: 'eth1', FTWALL_WORKERS: '3', FTWALL_QUEUE_BASE: '40', FTWALL_EXEMPT: '192.168.1.5/32', FTWALL_NEVER_PEER: '10.0.0.0/8' });
  const inits = workerInits(config, state, counters, histograms, lan);
  assert.deepEqual(inits.map((init) => [init.index, init.queue]), [[0, 40], [1, 41], [2, 42]]);
  for (const init of inits) {
    assert.equal(init.state, state.init);
    assert.equal(init.counters, counters);
    assert.equal(init.histograms, histograms);
  }
  assert.deepEqual(inits[0]!.policy, {
    protocols: config.protocols, networkNames: config.networkNames, blockUdp: true, lockSeconds: lockSecondsFor(config), probePort: config.probePort, probePorts: config.probePorts,
    exempt: '192.168.1.5/32', lanNetworks: '192.168.1.0/24', neverPeer: '10.0.0.0/8',
    peerQuorum: config.peerQuorum, safetyNet: true, monitor: false,
  });
  assert.equal(inits[0]!.bypassMark, config.bypassMark);
  assert.equal(inits[0]!.failClosed, false);
});

test('without flow bypass no bypass mark; monitor mode and fail-closed reach every worker', () => {
  const config = loadConfig({ FTWALL_LAN_INTERFACE: 'eth1', FTWALL_WORKERS: '1', FTWALL_FLOW_BYPASS: 'false', FTWALL_MODE: 'monitor', FTWALL_FAIL: 'closed' });
  const [init] = workerInits(config, state, counters, histograms, lan);
  assert.equal(init!.bypassMark, 0);
  assert.equal(init!.policy.monitor, true);
  assert.equal(init!.failClosed, true);
});

test('the pool logs a worker that died and its restart', async () => {
  const { log, lines } = memoryLogger();
  const pool = createWorkerPool([{ queue: 5, crashed: new SharedArrayBuffer(4) } as unknown as WorkerInit], log, new URL('../../fixtures/crash-once-worker.ts', import.meta.url));
  await pool.start();
  assert.equal(lines.length, 0, 'a first start is not news');
  await once(pool, 'died');
  await once(pool, 'ready');
  await pool.close();
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.queue]), [[50, 'worker_died', 5], [40, 'worker_restarted', 5]]);
});
