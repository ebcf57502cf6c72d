// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's outward side in one object (control/control-plane.ts): the control socket and the
// HTTP endpoint started and closed together, the status page fed by the events it records.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { askDaemon } from '../../../src/control/channel.ts';
import { ControlPlane } from '../../../src/control/control-plane.ts';
import type { StatusReport } from '../../../src/control/operator.ts';
import { ConfigError } from '../../../src/config/load.ts';
import { SharedState } from '../../../src/state/shared-state.ts';
import { SharedCounters } from '../../../src/telemetry/counters.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function setup(options: { statusPage: boolean; controlSocket?: string; port?: number }) {
  const { log, lines } = memoryLogger();
  const saved = { clients: 0, peers: [] as string[] };
  const port = options.port ?? await freePort();
  const plane = new ControlPlane({
    config: { protocols: ['fasttrack', 'bittorrent'], controlSocket: options.controlSocket ?? `${mkdtempSync(`${tmpdir()}/ftwall-plane-`)}/control.sock`, httpAddress: { host: '127.0.0.1', port }, statusPage: options.statusPage },
    state: new SharedState(SharedState.create({ maxPeers: 16, maxClients: 16 })), version: '9.9.9', counters: new SharedCounters(SharedCounters.create(1)),
    stores: { saveClients: () => { saved.clients++; }, compactPeers: (why) => { saved.peers.push(why); } },
    report: () => {}, log,
    health: { notReadyReason: () => 'rules not installed', unhealthyReason: () => null, serveMetrics: (_request, response) => { response.end('# metrics\n'); } },
  });
  return { plane, lines, saved, base: `http://127.0.0.1:${port}` };
}

test('start: the control socket answers the operator, HTTP serves health, metrics and the status page; close ends both', async () => {
  const socket = `${mkdtempSync(`${tmpdir()}/ftwall-plane-`)}/control.sock`;
  const { plane, base } = await setup({ statusPage: true, controlSocket: socket });
  await plane.start();
  try {
    assert.equal((await askDaemon(socket, 'status') as StatusReport).version, '9.9.9');
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    assert.equal(await (await fetch(`${base}/metrics`)).text(), '# metrics\n');
    assert.equal((await (await fetch(`${base}/status.json`)).json() as StatusReport).version, '9.9.9');
    plane.record({ event: 'peer_learned', source: 'udp', confirmed: false, src_ip: '10.0.0.10', src_port: 1214, dest_ip: '198.51.100.7', dest_port: 1214, proto: 'UDP', action: 'blocked', reason: 'fasttrack_udp' });
    const page = await (await fetch(`${base}/status`)).text();
    assert.match(page, /198\.51\.100\.7:1214/, 'the recorded event is on the page');
  } finally {
    await plane.close();
  }
  assert.equal(existsSync(socket), false, 'the socket file is removed');
  await assert.rejects(fetch(`${base}/healthz`), 'HTTP is closed');
});

test('without FTWALL_STATUS_PAGE there is no /status; an unusable control socket is a warning, a taken HTTP address a ConfigError', async () => {
  const notADirectory = `${mkdtempSync(`${tmpdir()}/ftwall-plane-`)}/file`;
  writeFileSync(notADirectory, '');
  const { plane, base, lines } = await setup({ statusPage: false, controlSocket: `${notADirectory}/control.sock` });
  await plane.start();
  try {
    assert.equal((await fetch(`${base}/status`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.deepEqual(lines.filter((line) => line.level === 40).map((line) => line.event), ['control_unavailable']);
    const port = Number(new URL(base).port);
    const second = (await setup({ statusPage: false, port })).plane;
    await assert.rejects(second.start(), (error: Error) => error instanceof ConfigError && error.message.startsWith(`FTWALL_HTTP_ADDRESS: cannot listen on 127.0.0.1:${port}`));
    await second.close();
  } finally {
    await plane.close();
  }
});
