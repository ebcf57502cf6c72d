// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { context } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import { ClientDirectory } from '../../../src/state/client-dir.ts';
import { EVENT_LINES_PER_SECOND, EventSink } from '../../../src/telemetry/event-sink.ts';
import type { FtEvent } from '../../../src/core/events.ts';
import { packetFields } from '../../helpers/events.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

context.setGlobalContextManager(new StackContextManager().enable());
const root = mkdtempSync(join(tmpdir(), 'ftwall-sink-'));
after(() => rmSync(root, { recursive: true, force: true }));

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  const { log, lines } = memoryLogger();
  let changes = 0;
  const sink = new EventSink({ log, tracer, onClientsChanged: () => { changes++; } });
  /** The spans ended so far (exported once their export settled). */
  const finished = async () => { await provider.forceFlush(); return exporter.getFinishedSpans(); };
  return { sink, lines, finished, changes: () => changes };
}

const learned = (n: number): FtEvent => ({ event: 'peer_learned', source: 'udp', confirmed: false, ...packetFields('192.168.1.10', `198.51.100.${n % 250}`) });
const lockStarted = (ip: string): FtEvent => ({ event: 'lock_started', lock_until: '2026-01-01T00:02:00.000Z', ...packetFields(ip) });
const lockExpired = (ip: string): FtEvent => ({ event: 'lock_expired', src_ip: ip, reason: 'no FastTrack activity for one lock period' });
const identified = (ip: string): FtEvent => ({ event: 'client_identified', ...packetFields(ip) });

test('each kind is logged at most EVENT_LINES_PER_SECOND a second; the rest are counted and summarised once', () => {
  const { sink, lines } = setup();
  for (let n = 0; n < EVENT_LINES_PER_SECOND + 7; n++) sink.report(learned(n), 1000);
  sink.report(lockStarted('192.168.1.10'), 1000);
  assert.equal(lines.filter((line) => line.event === 'peer_learned').length, EVENT_LINES_PER_SECOND);
  assert.equal(lines.filter((line) => line.event === 'lock_started').length, 1, 'another kind has its own budget');
  assert.equal(sink.suppressed, 7);
  sink.reportSuppressed();
  assert.deepEqual(lines.at(-1), { level: 40, event: 'events_suppressed', counts: { peer_learned: 7 }, msg: `7 state-change log lines not written (over ${EVENT_LINES_PER_SECOND}/s per kind); metrics count them all` });
  const count = lines.length;
  sink.reportSuppressed();
  assert.equal(lines.length, count, 'nothing held back since: no summary');
  sink.report(learned(1), 2000);
  assert.equal(lines.at(-1)?.event, 'peer_learned', 'a second later lines are written again');
  assert.equal(sink.suppressed, 7, 'the total for metrics is kept');
});

test('a lock episode is one span and its events are logged inside it; stopping ends it', async () => {
  const { sink, lines, finished } = setup();
  sink.report(lockStarted('192.168.1.10'));
  sink.report({ event: 'probe_sent', dest_ip: '192.168.1.10', dest_port: 3531, src_port: 41500, proto: 'UDP' });
  sink.report({ event: 'peer_confirmed', quorum: 3, ...packetFields('192.168.1.20') });
  assert.equal((await finished()).length, 0);
  sink.endSpans();
  const [span] = await finished();
  assert.equal(span?.name, 'ftwall.lock');
  assert.deepEqual(lines.map((line) => line.span_id), [span!.spanContext().spanId, span!.spanContext().spanId, undefined]);
});

test('probe answers are counted, and every event but the peer-only ones marks the clients changed', () => {
  const { sink, changes } = setup();
  sink.report({ event: 'probe_answered', ...packetFields('192.168.1.10') });
  sink.report({ event: 'probe_answered', ...packetFields('192.168.1.10') });
  sink.report({ event: 'probe_sent', dest_ip: '192.168.1.10', dest_port: 6881, src_port: 41300, proto: 'UDP', protocol: 'bittorrent' });
  assert.deepEqual(sink.probes.answered, { [String(packetFields('192.168.1.10').protocol ?? 'unknown')]: 2 });
  assert.deepEqual(sink.probes.sent, { bittorrent: 1 });
  assert.equal(changes(), 2, 'a probe sent changes no client');
  sink.report(learned(1));
  sink.report({ event: 'peer_confirmed', quorum: 3, ...packetFields('192.168.1.10') });
  sink.report({ event: 'safety_net_hit', ...packetFields('192.168.1.10') });
  sink.report({ event: 'probe_sent', dest_ip: '192.168.1.10', dest_port: 3531, src_port: 41500, proto: 'UDP' });
  assert.equal(changes(), 2);
  sink.report(lockExpired('192.168.1.10'));
  assert.equal(changes(), 3);
});

test('the client directory gets a file per identified client, removed when its lock expires or at stop', () => {
  const { sink } = setup();
  const dir = join(root, 'clients');
  sink.report(identified('192.168.1.9'));
  sink.useClientDirectory(new ClientDirectory(dir));
  assert.deepEqual(readdirSync(dir), [], 'only clients identified once the directory is in use');
  sink.report({ event: 'client_identified', ...packetFields('192.168.1.10'), src_mac: '02:00:00:00:00:0a' });
  sink.report(identified('192.168.1.11'));
  assert.deepEqual(readdirSync(dir).sort(), ['192.168.1.10', '192.168.1.11']);
  sink.report(lockExpired('192.168.1.10'));
  assert.deepEqual(readdirSync(dir), ['192.168.1.11']);
  sink.clearClientDirectory();
  assert.deepEqual(readdirSync(dir), []);
  assert.ok(existsSync(dir), 'the directory itself stays');
});
