// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The HTTP endpoint: /healthz (process alive and serving), /readyz (rules installed, every worker
 * reading), /metrics (Prometheus text of the OpenTelemetry metrics).
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
}

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
    } else {
      reply(404, 'not found: try /healthz, /readyz or /metrics');
    }
  });
  server.listen(address.port, address.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => { throw error; })]);
  return server;
}
