// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Optional (FTWALL_OTLP_LOGS=true): each pino line also goes to the OpenTelemetry Logs API, whose
 * exporter NodeSDK sets up from OTEL_LOGS_EXPORTER / OTEL_EXPORTER_OTLP_*. A small in-process
 * stream rather than pino-opentelemetry-transport, which would bring a second, older copy of the
 * OpenTelemetry SDK in its own thread.
 */
import { SeverityNumber, logs } from '@opentelemetry/api';
import { Writable } from 'node:stream';

const SEVERITY: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE, debug: SeverityNumber.DEBUG, info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN, error: SeverityNumber.ERROR, fatal: SeverityNumber.FATAL,
};

export function otlpLogStream(): Writable {
  const logger = logs.getLogger('ftwall');
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      try {
        const { level, time, msg, trace_id: _t, span_id: _s, trace_flags: _f, ...attributes } = JSON.parse(chunk.toString()) as Record<string, unknown>;
        const flat: Record<string, string | number | boolean> = {};
        for (const [key, value] of Object.entries(attributes)) {
          if (value !== undefined) flat[key] = typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
        }
        // Emitted inside the caller's context (pino writes synchronously), so the record carries its trace.
        logger.emit({
          severityNumber: SEVERITY[String(level)] ?? SeverityNumber.UNSPECIFIED, severityText: String(level).toUpperCase(),
          body: String(msg ?? ''), timestamp: time ? new Date(String(time)) : new Date(), attributes: flat,
        });
      } catch { /* a line that is not JSON is not a log record */ }
      done();
    },
  });
}
