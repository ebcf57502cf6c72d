// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Where every state-change event of the workers and the lock keeper goes, on the main thread:
 * - its span (episodes.ts), and one log line inside it, at most EVENT_LINES_PER_SECOND per kind
 *   (the rest are counted, and summarised by reportSuppressed());
 * - the probe-answer count of the metrics;
 * - the client store's "changed" flag (every event but the peer-only ones);
 * - the client directory (FTWALL_CLIENT_DIR): a file added when a client is identified, removed
 *   when its lock expires or it is forgotten.
 */
import { context, trace, type Tracer } from '@opentelemetry/api';
import type { FtEvent } from '../core/events.ts';
import type { ClientDirectory } from '../state/client-dir.ts';
import { Episodes } from './episodes.ts';
import { EventLimiter } from './event-limiter.ts';
import { EVENT_MESSAGES } from './events.ts';
import type { Logger } from './logger.ts';

/** State-change log lines of one kind per second at most; the rest are counted and summarised. */
export const EVENT_LINES_PER_SECOND = 50;
/** Events that change nothing the client store keeps. */
const PEER_EVENTS = new Set(['peer_learned', 'peer_confirmed', 'peer_forgotten', 'safety_net_hit', 'probe_sent', 'operator_forgot_peer']);

/** What the sink writes to. */
export interface EventSinkOptions {
  log: Logger;
  tracer: Tracer;
  /** Called for each event that changes what the client store keeps. */
  onClientsChanged: () => void;
}

/** The one consumer of state-change events on the main thread. */
export class EventSink {
  readonly #log: Logger;
  readonly #episodes: Episodes;
  readonly #limiter = new EventLimiter(EVENT_LINES_PER_SECOND);
  readonly #onClientsChanged: () => void;
  #clientDir: ClientDirectory | undefined;
  /** Probes sent and answered since start, by protocol (the host's). */
  readonly probes = { sent: {} as Record<string, number>, answered: {} as Record<string, number> };

  constructor(options: EventSinkOptions) {
    this.#log = options.log;
    this.#episodes = new Episodes(options.tracer);
    this.#onClientsChanged = options.onClientsChanged;
  }

  /** Log lines held back by the rate limit since start. */
  get suppressed(): number {
    return this.#limiter.total;
  }

  /** Keeps `directory` in step with the identified clients from now on. */
  useClientDirectory(directory: ClientDirectory): void {
    this.#clientDir = directory;
  }

  /** Takes one event: span, rate-limited log line, counts, client directory. */
  report(event: FtEvent, nowMs = Date.now()): void {
    if (event.event === 'probe_answered' || event.event === 'probe_sent') {
      const counts = event.event === 'probe_sent' ? this.probes.sent : this.probes.answered;
      const protocol = event.protocol ?? 'unknown';
      counts[protocol] = (counts[protocol] ?? 0) + 1;
    }
    if (!PEER_EVENTS.has(event.event)) this.#onClientsChanged();
    const span = this.#episodes.onEvent(event, nowMs);
    if (this.#limiter.admit(event.event, nowMs)) {
      const log = () => this.#log.info(event, EVENT_MESSAGES[event.event]);
      if (span) context.with(trace.setSpan(context.active(), span), log);
      else log();
    }
    if (!this.#clientDir) return;
    if (event.event === 'client_identified') this.#clientDir.add(event.src_ip, { mac: event.src_mac, port: event.src_port });
    else if (event.event === 'lock_expired' || event.event === 'client_forgotten' || event.event === 'operator_unlocked') this.#clientDir.remove(event.src_ip);
  }

  /** Says how many log lines the rate limit held back since the last report (nothing when none). */
  reportSuppressed(): void {
    const counts = this.#limiter.takeSuppressed();
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    if (total > 0) this.#log.warn({ event: 'events_suppressed', counts }, `${total} state-change log lines not written (over ${EVENT_LINES_PER_SECOND}/s per kind); metrics count them all`);
  }

  /** Ends the peer-learning spans that went quiet (run every second). */
  sweep(): void {
    this.#episodes.sweep();
  }

  /** Ends every open span (on stop). */
  endSpans(): void {
    this.#episodes.endAll();
  }

  /** Removes the client directory's files of this run (on stop). */
  clearClientDirectory(): void {
    this.#clientDir?.clear();
  }
}
