// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The HTTP endpoint: /healthz (process alive and serving), /readyz (rules installed, every worker
 * reading), /metrics (Prometheus text of the OpenTelemetry metrics), /status (the operator's page;
 * / redirects there) and /status.json (the report `ftwall status --json` prints).
 */
import http from 'node:http';
import { once } from 'node:events';

export interface HttpSources {
  /** Null when ready, else why not. */
  notReadyReason(): string | null;
  /** Null when healthy, else why not. */
  unhealthyReason(): string | null;
  /** Serves GET /metrics. */
  serveMetrics(request: http.IncomingMessage, response: http.ServerResponse): void;
  /** The status page (HTML) and its report (JSON); without them /status is not served. */
  statusPage?(): string;
  statusReport?(): unknown;
}

/** The page is self-contained: nothing may be loaded or run, only its inline style applied. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function startHttpServer(address: { host: string; port: number }, health: HttpSources): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      response.end(`${body}\n`);
    };
    if (path === '/healthz') {
      const reason = health.unhealthyReason();
      reply(reason ? 503 : 200, reason ?? 'ok');
    } else if (path === '/readyz') {
      const reason = health.notReadyReason();
      reply(reason ? 503 : 200, reason ?? 'ready');
    } else if (path === '/metrics') {
      health.serveMetrics(request, response);
    } else if (path === '/' && health.statusPage) {
      response.writeHead(302, { location: '/status', 'cache-control': 'no-store' });
      response.end();
    } else if (path === '/status' && health.statusPage) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_POLICY, 'x-content-type-options': 'nosniff' });
      response.end(health.statusPage());
    } else if (path === '/status.json' && health.statusReport) {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      response.end(`${JSON.stringify(health.statusReport(), null, 2)}\n`);
    } else {
      reply(404, `not found: try /healthz, /readyz, /metrics${health.statusPage ? ' or /status' : ''}`);
    }
  });
  server.listen(address.port, address.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => { throw error; })]);
  return server;
}
