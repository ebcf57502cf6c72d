// SPDX-License-Identifier: GPL-2.0-or-later
/** A real pino logger that keeps its lines in memory, parsed: for unit tests of what ftwall logs. */
import { context, trace } from '@opentelemetry/api';
import { pino } from 'pino';
import type { Logger } from '../../src/telemetry/logger.ts';

export type LogLine = Record<string, unknown> & { level: number; msg: string; event?: string; span_id?: string };

/**
 * A logger at `level` and the lines it wrote so far (pino's numeric levels: 20 debug, 30 info,
 * 40 warn, 50 error). A line logged inside a span carries its span_id, as with createLogger().
 */
export function memoryLogger(level = 'debug'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const spanId = () => {
    const span = trace.getSpan(context.active());
    return span ? { span_id: span.spanContext().spanId } : {};
  };
  const log = pino({ level, base: undefined, timestamp: false, mixin: spanId }, { write: (text: string) => { lines.push(JSON.parse(text) as LogLine); } });
  return { log, lines };
}
