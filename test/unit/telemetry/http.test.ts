// SPDX-License-Identifier: GPL-2.0-or-later
// The HTTP endpoint's routes: health, the status page and its JSON, the redirect from /.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startHttpServer, type HttpSources } from '../../../src/telemetry/http.ts';

async function serve(sources: HttpSources) {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0 }, sources);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}
const health = { notReadyReason: () => null, unhealthyReason: () => null, serveMetrics: () => undefined };

test('/status serves the page under a policy that loads nothing, /status.json the report, / redirects', async () => {
  const { base, close } = await serve({ ...health, statusPage: () => '<!DOCTYPE html><p>page</p>', statusReport: () => ({ hosts: [{ ip: '10.0.0.10' }] }) });
  try {
    const page = await fetch(`${base}/status?x=1`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.equal(await page.text(), '<!DOCTYPE html><p>page</p>');
    const json = await fetch(`${base}/status.json`);
    assert.match(json.headers.get('content-type')!, /^application\/json/);
    assert.deepEqual(await json.json(), { hosts: [{ ip: '10.0.0.10' }] });
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/status');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /\/status/);
  } finally {
    await close();
  }
});

test('without a status source there is no /status', async () => {
  const { base, close } = await serve(health);
  try {
    assert.equal((await fetch(`${base}/status`)).status, 404);
    assert.equal((await fetch(`${base}/`, { redirect: 'manual' })).status, 404);
  } finally {
    await close();
  }
});
