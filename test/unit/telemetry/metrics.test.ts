// SPDX-License-Identifier: GPL-2.0-or-later
// The metrics as both readers see them: /metrics (the Prometheus exporter) and what OTLP carries,
// with one Prometheus name per metric whichever path it took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { SharedCounters } from '../../../src/telemetry/counters.ts';
import { DECISION_SECONDS, HISTOGRAMS, SharedHistograms } from '../../../src/telemetry/histograms.ts';
import { MetricsBridge, type MetricsSource } from '../../../src/telemetry/metrics.ts';

class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function source(overrides: Partial<MetricsSource> = {}): MetricsSource {
  const histograms = new SharedHistograms(SharedHistograms.create(1));
  histograms.record(0, HISTOGRAMS.indexOf(DECISION_SECONDS), 3e-6, 64);
  return {
    counters: new SharedCounters(SharedCounters.create(1)), histograms,
    peersKnown: () => 0, clientsLocked: () => ({ fasttrack: 0, bittorrent: 0 }), spoofs: () => ({ sent: 1 }), probes: () => ({ sent: 1, not_lan: 1 }), probesByProtocol: () => ({ sent: { bittorrent: 1 }, answered: {} }), eventsSuppressed: () => 0,
    kernelQueues: () => [{ queue: 1214, portId: 1, queueTotal: 0, copyMode: 2, copyRange: 0xffff, queueDropped: 0, userDropped: 0, idSequence: 9 }],
    queueOverflow: () => 0, flowCuts: () => ({ cut: 1 }), featuresOff: () => ['flow_cut'], forgotten: () => ({ clients: 0, peers: 0 }),
    neighbours: () => 0, kernelDropped: () => ({ client_locked: 1 }), kernelSetUpdates: () => ({ applied: 1 }),
    rulesReinstalled: () => ({ iptables: 2, nftables: 1 }), workersRestarted: () => 3,
    ...overrides,
  };
}

async function collectBoth(metricsSource: MetricsSource): Promise<{ otlp: MetricData[]; text: string }> {
  const bridge = new MetricsBridge();
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [bridge] });
  const otlp = new PullReader({ metricProducers: [bridge] });
  const provider = new MeterProvider({ readers: [prometheus, otlp] });
  bridge.register(provider.getMeter('ftwall'));
  bridge.source = metricsSource;
  const scraped = await prometheus.collect();
  const pushed = await otlp.collect();
  await provider.shutdown();
  return { otlp: pushed.resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics), text: new PrometheusSerializer().serialize(scraped.resourceMetrics) };
}

/** The name an OTLP metric gets in Prometheus through the collector or Prometheus' OTLP receiver (unit and _total suffixes added). */
function prometheusNameViaOtlp(metric: MetricData): string {
  const tokens = metric.descriptor.name.split(/[^a-zA-Z0-9]+/).filter(Boolean);
  const unit = ({ s: 'seconds', ms: 'milliseconds', By: 'bytes' } as Record<string, string>)[metric.descriptor.unit] ?? '';
  if (unit && !tokens.includes(unit)) tokens.push(unit);
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic && tokens.at(-1) !== 'total') tokens.push('total');
  return tokens.join('_');
}

test('rule reinstalls (by rules) and worker restarts are counted', async () => {
  const { otlp, text } = await collectBoth(source());
  assert.match(text, /\nftwall_rules_reinstalled_total\{[^}]*rules="iptables"[^}]*\} 2\b/);
  assert.match(text, /\nftwall_rules_reinstalled_total\{[^}]*rules="nftables"[^}]*\} 1\b/);
  assert.match(text, /\nftwall_workers_restarted_total\{[^}]*\} 3\b/);
  const restarted = otlp.find((metric) => metric.descriptor.name === 'ftwall.workers.restarted');
  assert.equal(restarted?.dataPoints[0]?.value, 3);
  const reinstalled = otlp.find((metric) => metric.descriptor.name === 'ftwall.rules.reinstalled');
  assert.deepEqual(reinstalled?.dataPoints.map((point) => [point.attributes.rules, point.value]).sort(), [['iptables', 2], ['nftables', 1]]);
});

test('every metric has the same Prometheus name on /metrics and through OTLP, the decision histogram included', async () => {
  const { otlp, text } = await collectBoth(source());
  // Every instrument and histogram has data here (ftwall.packets only once a packet is counted).
  assert.equal(otlp.length, 24 - 1 + HISTOGRAMS.length);
  const scraped = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
  for (const metric of otlp) assert.ok(scraped.has(prometheusNameViaOtlp(metric)), `${metric.descriptor.name}: ${prometheusNameViaOtlp(metric)} not on /metrics`);
  assert.match(text, /\nftwall_decision_duration_seconds_bucket\{[^}]*le="0.000005"[^}]*\} 64\b/);
  assert.match(text, /\nftwall_decision_duration_seconds_count\{[^}]*\} 64\b/);
});
