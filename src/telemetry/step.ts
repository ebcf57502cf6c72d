// SPDX-License-Identifier: GPL-2.0-or-later
/** One startup or shutdown step as a span: a child of the active span, marked failed (with the exception) when the step throws. */
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';

/** Runs `run` inside a new active span `name`; returns or throws what it does. */
export function inStepSpan<T>(tracer: Tracer, name: string, run: () => T | Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await run();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
