// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { inStepSpan } from '../../../src/telemetry/step.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const tracer = provider.getTracer('test');

test('a step returns what it returns, in one ended span', async () => {
  assert.equal(await inStepSpan(tracer, 'ftwall.step', () => 42), 42);
  await provider.forceFlush();
  const [span] = exporter.getFinishedSpans();
  assert.equal(span?.name, 'ftwall.step');
  assert.equal(span?.status.code, SpanStatusCode.UNSET);
  exporter.reset();
});

test('a step that throws rethrows, its span marked failed with the exception', async () => {
  await assert.rejects(inStepSpan(tracer, 'ftwall.fails', async () => { throw new Error('no backend'); }), /no backend/);
  await provider.forceFlush();
  const [span] = exporter.getFinishedSpans();
  assert.deepEqual(span?.status, { code: SpanStatusCode.ERROR, message: 'no backend' });
  assert.equal(span?.events[0]?.name, 'exception');
  exporter.reset();
});
