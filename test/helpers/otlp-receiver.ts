// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A minimal OTLP/HTTP receiver for tests: `node otlp-receiver.ts bind=127.0.0.1:4318`. Decodes
 * http/protobuf requests with OpenTelemetry's own generated protobuf code and prints one JSON line
 * per request: {kind:'traces', spans:[...]}, {kind:'metrics', names:[...]}, {kind:'logs', records:[...]}.
 */
import { createRequire } from 'node:module';
import http from 'node:http';

interface ProtoType { decode(buffer: Uint8Array): unknown; toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown> }
const require = createRequire(import.meta.url);
const root = require('otlp-proto-decoder/build/src/generated/root.js') as { opentelemetry: { proto: { collector: Record<string, Record<string, Record<string, ProtoType>>> } } };
const collector = root.opentelemetry.proto.collector;
const types: Record<string, ProtoType> = {
  '/v1/traces': collector.trace!.v1!.ExportTraceServiceRequest!,
  '/v1/metrics': collector.metrics!.v1!.ExportMetricsServiceRequest!,
  '/v1/logs': collector.logs!.v1!.ExportLogsServiceRequest!,
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
