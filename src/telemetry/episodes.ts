// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Trace spans for what lasts: one span per lock episode of a client (from lock_started to
 * lock_expired, with events for refreshes, probes and answers), and one span per peer-learning
 * burst of a client (its peers learned until QUIET_MS pass without a new one). Never a span per
 * packet. Each event is logged inside its span, so its log line carries the trace and span ids.
 */
import { SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { FtEvent } from './events.ts';

/** A learning burst ends after this long without a new peer from the client. */
export const QUIET_MS = 2000;

export class Episodes {
  readonly #tracer: Tracer;
  readonly #locks = new Map<string, Span>();
  readonly #bursts = new Map<string, { span: Span; peers: number; lastMs: number }>();

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  /** Updates spans for `event`; returns the span to log it in (if any). */
  onEvent(event: FtEvent, nowMs = Date.now()): Span | undefined {
    if (event.event === 'peer_forgotten' || event.event === 'operator_forgot_peer') return undefined;
    const client = event.event === 'probe_sent' ? event.dest_ip : event.src_ip;
    if (!client) return undefined;
    switch (event.event) {
      case 'lock_started': {
        this.#locks.get(client)?.end();
        const span = this.#tracer.startSpan('ftwall.lock', { attributes: { 'client.address': client, 'ftwall.reason': String(event.reason ?? '') } });
        this.#locks.set(client, span);
        return span;
      }
      case 'lock_refreshed': case 'probe_sent': case 'probe_answered': {
        const span = this.#locks.get(client);
        span?.addEvent(event.event, event.dest_ip ? { 'destination.address': event.dest_ip, 'destination.port': Number(event.dest_port ?? 0) } : {});
        return span;
      }
      case 'lock_expired': case 'operator_unlocked': {
        const span = this.#locks.get(client);
        if (!span) return undefined;
        span.addEvent(event.event);
        span.end();
        this.#locks.delete(client);
        return span;
      }
      case 'client_identified': case 'peer_learned': case 'safety_net_hit': {
        let burst = this.#bursts.get(client);
        if (!burst) {
          burst = { span: this.#tracer.startSpan('ftwall.peer_learning', { attributes: { 'client.address': client } }), peers: 0, lastMs: nowMs };
          this.#bursts.set(client, burst);
        }
        if (event.event === 'peer_learned') {
          burst.peers++;
          burst.lastMs = nowMs;
          burst.span.addEvent('peer_learned', { 'destination.address': String(event.dest_ip), 'destination.port': Number(event.dest_port ?? 0) });
        } else {
          burst.span.addEvent(event.event);
        }
        return burst.span;
      }
      default:
        return undefined;
    }
  }

  /** Ends learning bursts that went quiet. */
  sweep(nowMs = Date.now()): void {
    for (const [client, burst] of this.#bursts) {
      if (nowMs - burst.lastMs < QUIET_MS) continue;
      burst.span.setAttribute('ftwall.peers_learned', burst.peers);
      burst.span.end();
      this.#bursts.delete(client);
    }
  }

  /** Ends every open span (on stop). */
  endAll(): void {
    for (const span of this.#locks.values()) {
      span.setStatus({ code: SpanStatusCode.UNSET, message: 'ftwall stopped' });
      span.end();
    }
    this.#locks.clear();
    this.sweep(Number.POSITIVE_INFINITY);
  }
}
