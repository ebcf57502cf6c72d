// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 4's telemetry: OTLP traces, metrics and logs reach a receiver with the expected names and
// trace ids; pino lines carry the same trace ids; /metrics serves Prometheus text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { FtwallProcess } from '../../lab/ftwall-process.ts';
import { Emulator, Supernodes } from '../../lab/fasttrack/scenario.ts';
import { JsonLines, type JsonLine } from '../../lab/json-lines.ts';
import { TestBed, privilegedSkipReason } from '../../lab/netns.ts';
import { httpGet } from '../../lab/traffic.ts';

const skip = privilegedSkipReason();
const noPrometheus = spawnSync('prometheus', ['--version']).status === 0 ? false : 'needs prometheus (Debian package; scripts/dev.sh installs it)';
if (noPrometheus && !skip) process.stderr.write(`\n*** PROMETHEUS TEST SKIPPED: ${noPrometheus} ***\n\n`);
const RECEIVER = fileURLToPath(new URL('../helpers/otlp-receiver.ts', import.meta.url));
type Span = { name: string; traceId: string; spanId: string; parentSpanId: string; events: string[] };

describe('telemetry', { skip }, () => {
  let bed: TestBed;
  let received: JsonLines;
  let ftwall: FtwallProcess;

  before(async () => {
    bed = TestBed.create({ hosts: ['client'] });
    await Supernodes.start(bed, 20);
    received = new JsonLines(bed.spawn(bed.router, [process.execPath, RECEIVER, 'bind=127.0.0.1:4318']).stdout!);
    await received.waitFor((line) => line.listening === true, 10_000, 'OTLP receiver');
    ftwall = FtwallProcess.start(bed, {
      FTWALL_LOCK_SECONDS: '2', FTWALL_STATE_DIR: '', FTWALL_OTLP_LOGS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100',
    });
    await ftwall.ready();
    await Emulator.start(bed, bed.host('client').ns, { modes: '1', count: 20, mode1ConnectTimeoutMs: 300 }).finished();
    await ftwall.waitForEvent('lock_expired', () => true, 15_000);
  });
  after(async () => {
    await ftwall?.stop();
    bed?.destroy();
  });

  const spans = () => received.lines.filter((line) => line.kind === 'traces').flatMap((line) => line.spans as Span[]);
  const waitForSpan = async (name: string) => {
    await received.waitFor((line) => line.kind === 'traces' && (line.spans as Span[]).some((span) => span.name === name), 15_000, `span ${name}`);
    return spans().find((span) => span.name === name)!;
  };

  test('startup is one trace: config to ready as child spans of ftwall.start', async () => {
    const start = await waitForSpan('ftwall.start');
    for (const step of ['ftwall.backend.detect', 'ftwall.workers.start', 'ftwall.rules.install']) {
      const child = spans().find((span) => span.name === step);
      assert.ok(child, step);
      assert.equal(child.traceId, start.traceId);
      assert.equal(child.parentSpanId, start.spanId);
    }
  });

  test('a lock episode is one span with its probe events; a learning burst is one span; no span per packet', async () => {
    const lock = await waitForSpan('ftwall.lock');
    assert.ok(lock.events.includes('lock_expired'));
    const learning = await waitForSpan('ftwall.peer_learning');
    assert.ok(learning.events.filter((event) => event === 'peer_learned').length >= 10);
    assert.ok(spans().length < 30, `${spans().length} spans for hundreds of packets`);
  });

  test('log lines carry the trace and span ids of their episode, on stdout and over OTLP', async () => {
    const lock = await waitForSpan('ftwall.lock');
    const started = ftwall.events('lock_started')[0]!;
    assert.equal(started.trace_id, lock.traceId);
    assert.equal(started.span_id, lock.spanId);
    const record = await received.waitFor((line) => line.kind === 'logs' && (line.records as JsonLine[]).some((r) => r.event === 'lock_started'), 15_000, 'lock_started over OTLP');
    const otlp = (record.records as JsonLine[]).find((r) => r.event === 'lock_started')!;
    assert.equal(otlp.traceId, lock.traceId);
    assert.equal(otlp.body, 'time lock started');
  });

  test('OTLP metrics arrive with the expected names', async () => {
    const expected = ['ftwall.packets', 'ftwall.peers', 'ftwall.clients.locked', 'ftwall.spoofs', 'ftwall.probes.sent', 'ftwall.probes.answered', 'ftwall.decision.duration.seconds', 'ftwall.batch.size', 'ftwall.queue.packets', 'ftwall.queue.dropped', 'ftwall.queue.user_dropped', 'ftwall.rules.reinstalled', 'ftwall.workers.restarted'];
    const line = await received.waitFor((l) => l.kind === 'metrics' && expected.every((name) => (l.names as string[]).includes(name)), 15_000, 'every metric');
    assert.equal(line.service, 'ftwall');
  });

  test('/metrics serves the same metrics as Prometheus text', () => {
    const { status, body } = httpGet(bed, bed.router, 'http://127.0.0.1:9490/metrics');
    assert.equal(status, 200);
    assert.match(body, /ftwall_packets_total\{[^}]*reason="p2p_udp"[^}]*\} [1-9]/);
    assert.match(body, /\nftwall_peers\{[^}]*\} 15\n/, '15 pinged addresses (a quarter of 20 hidden)');
    assert.match(body, /ftwall_decision_duration_seconds_bucket\{[^}]*le="/);
    assert.match(body, /ftwall_batch_size_count\{[^}]*\} [1-9]/);
    assert.match(body, /service_name="ftwall"/);
    assert.match(body, /ftwall_queue_packets_total\{[^}]*queue="1214"/);
  });

  test('/metrics is served even with OTEL_SDK_DISABLED=true', async () => {
    const fresh = TestBed.create({ hosts: ['client'] });
    const alone = FtwallProcess.start(fresh, { OTEL_SDK_DISABLED: 'true', FTWALL_STATE_DIR: '' });
    try {
      await alone.ready();
      assert.match(httpGet(fresh, fresh.router, 'http://127.0.0.1:9490/metrics').body, /\nftwall_peers\{[^}]*\} 0\n/);
    } finally {
      await alone.stop();
      fresh.destroy();
    }
  });

  test('Prometheus scrapes /metrics and answers PromQL about ftwall', { skip: noPrometheus }, async () => {
    const config = `${bed.tempDir}/prometheus.yml`;
    writeFileSync(config, 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ftwall\n    static_configs:\n      - targets: ["127.0.0.1:9490"]\n');
    const prometheus = bed.spawn(bed.router, ['prometheus', `--config.file=${config}`, `--storage.tsdb.path=${bed.tempDir}/tsdb`, '--web.listen-address=127.0.0.1:9090']);
    await new JsonLines(prometheus.stderr!).waitForText(/Server is ready to receive web requests/, 30_000);
    // Data exists once a scrape (every second) has happened; nothing announces that: poll, bounded.
    const deadline = Date.now() + 30_000;
    let result: { status: number; body: string } = { status: 0, body: '' };
    while (Date.now() < deadline) {
      result = httpGet(bed, bed.router, 'http://127.0.0.1:9090/api/v1/query?query=sum(ftwall_packets_total{reason="p2p_udp"})');
      if (result.status === 200 && /"value":\[[^\]]*,"[1-9]/.test(result.body)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.match(result.body, /"status":"success"/);
    assert.match(result.body, /"value":\[[^\]]*,"[1-9]\d*"\]/, `PromQL sees ftwall's packets: ${result.body}`);
    const up = httpGet(bed, bed.router, 'http://127.0.0.1:9090/api/v1/query?query=up{job="ftwall"}');
    assert.match(up.body, /"value":\[[^\]]*,"1"\]/);
    prometheus.kill('SIGTERM');
  });
});
