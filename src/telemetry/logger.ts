// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * pino JSON logs on stdout: one event name per line (`event`), eve-like fields for packets, and
 * trace_id/span_id when logged inside a span. Optionally also to OpenTelemetry Logs (otlp-logs.ts).
 */
import { context, trace, isSpanContextValid } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import { otlpLogStream } from './otlp-logs.ts';

export type { Logger };

/** Adds the active span's ids, as OpenTelemetry's pino instrumentation names them. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: `0${spanContext.traceFlags.toString(16)}` };
}

export function createLogger(level: string, options: { otlp?: boolean } = {}): Logger {
  const stdout = pino.destination({ dest: 1, sync: true });
  const destination = options.otlp ? pino.multistream([{ stream: stdout, level: level as pino.Level }, { stream: otlpLogStream(), level: level as pino.Level }]) : stdout;
  return pino(
    {
      level,
      base: { service: 'ftwall' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    destination,
  );
}
