// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * OpenTelemetry, started before anything else. Configured by the standard OTEL_* variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_TRACES_EXPORTER,
 * OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER, OTEL_SDK_DISABLED, ...); OTLP over http/protobuf unless
 * OTEL_EXPORTER_OTLP_PROTOCOL says otherwise. Metrics go to two readers: OTLP (periodic) and the
 * Prometheus text served on ftwall's own /metrics. Export happens on the main thread, off the
 * packet path: an unreachable collector costs failed exports, never packet latency.
 */
import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { envDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MetricsBridge } from './metrics.ts';

export interface Telemetry {
  tracer: Tracer;
  meter: Meter;
  /** Feeds the worker-derived metrics once the daemon exists. */
  metrics: MetricsBridge;
  /** Serves GET /metrics (Prometheus text). */
  serveMetrics(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

const listFromEnv = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);

async function otlpMetricExporter(): Promise<PushMetricExporter> {
  const protocol = (process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol === 'grpc') return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
}

export async function startTelemetry(serviceVersion: string): Promise<Telemetry> {
  const bridge = new MetricsBridge();
  const disabled = (process.env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true';
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [bridge] });
  const readers: IMetricReader[] = [prometheus];
  const exporters = listFromEnv('OTEL_METRICS_EXPORTER', 'otlp');
  if (!disabled && exporters.includes('otlp') && !exporters.includes('none')) {
    const interval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
    readers.push(new PeriodicExportingMetricReader({
      exporter: await otlpMetricExporter(),
      exportIntervalMillis: interval,
      // The SDK requires timeout <= interval.
      exportTimeoutMillis: Math.min(interval, Number(process.env.OTEL_METRIC_EXPORT_TIMEOUT ?? 30_000)),
      metricProducers: [bridge],
    }));
  }
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'ftwall',
    metricReaders: readers,
    instrumentations: [],
    // OTEL_RESOURCE_ATTRIBUTES only: no host or process detection at start.
    resourceDetectors: [envDetector],
  });
  sdk.start();
  // With OTEL_SDK_DISABLED=true NodeSDK installs nothing, but /metrics is always served.
  if (disabled) metrics.setGlobalMeterProvider(new MeterProvider({ readers: [prometheus] }));
  const meter = metrics.getMeter('ftwall', serviceVersion);
  bridge.register(meter);
  return {
    tracer: trace.getTracer('ftwall', serviceVersion),
    meter,
    metrics: bridge,
    serveMetrics: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    shutdown: () => sdk.shutdown(),
  };
}
