// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A minimal OTLP/HTTP receiver for tests: `node otlp-receiver.ts bind=127.0.0.1:4318`. Decodes
 * http/protobuf requests with protobufjs and the official OTLP schema (opentelemetry-proto v1.11.0,
 * test/fixtures/otlp-proto) and prints one JSON line per request: {kind:'traces', spans:[...]},
 * {kind:'metrics', names:[...]}, {kind:'logs', records:[...]}. (The OpenTelemetry JS packages no
 * longer ship a decoder; an old one brought a second copy of the SDK and peer-dependency warnings.)
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('../fixtures/otlp-proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
root.loadSync(['logs', 'metrics', 'trace'].map((signal) => `opentelemetry/proto/collector/${signal}/v1/${signal}_service.proto`));
const types: Record<string, protobuf.Type> = {
  '/v1/traces': root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  '/v1/metrics': root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  '/v1/logs': root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
};
const options = Object.fromEntries(process.argv.slice(2).map((arg) => arg.split('=') as [string, string]));
const [host, port] = (options.bind ?? '127.0.0.1:4318').split(':');
const hex = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'base64').toString('hex') : '');
type Obj = Record<string, any>;
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function summarise(path: string, body: Obj): unknown {
  if (path === '/v1/traces') {
    const spans = (body.resourceSpans ?? []).flatMap((r: Obj) => (r.scopeSpans ?? []).flatMap((s: Obj) => s.spans ?? []));
    return { kind: 'traces', spans: spans.map((s: Obj) => ({ name: s.name, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), events: (s.events ?? []).map((e: Obj) => e.name) })) };
  }
  if (path === '/v1/metrics') {
    const metrics = (body.resourceMetrics ?? []).flatMap((r: Obj) => (r.scopeMetrics ?? []).flatMap((s: Obj) => s.metrics ?? []));
    const service = (body.resourceMetrics?.[0]?.resource?.attributes ?? []).find((a: Obj) => a.key === 'service.name')?.value?.stringValue;
    return { kind: 'metrics', service, names: metrics.map((m: Obj) => m.name) };
  }
  const records = (body.resourceLogs ?? []).flatMap((r: Obj) => (r.scopeLogs ?? []).flatMap((s: Obj) => s.logRecords ?? []));
  return {
    kind: 'logs',
    records: records.map((r: Obj) => ({
      body: r.body?.stringValue, traceId: hex(r.traceId), spanId: hex(r.spanId),
      event: (r.attributes ?? []).find((a: Obj) => a.key === 'event')?.value?.stringValue,
    })),
  };
}

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const type = types[request.url ?? ''];
    if (!type) {
      response.writeHead(404).end();
      return;
    }
    try {
      const decoded = type.toObject(type.decode(Buffer.concat(chunks)), { longs: String, bytes: String, defaults: false });
      print(summarise(request.url!, decoded as Obj));
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } catch (error) {
      print({ kind: 'error', path: request.url, error: String(error) });
      response.writeHead(400).end();
    }
  });
});
server.listen(Number(port), host, () => print({ listening: true }));
