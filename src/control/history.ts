// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The little memory the status page needs and the counters do not keep: packets decided per
 * minute over the last hour (accepted and dropped), and the last state-change events. Both are
 * bounded rings on the main thread; nothing here is persisted (a restart starts an empty chart).
 */
import type { FtEvent } from '../core/events.ts';

/** Minutes of packet history the page charts. */
export const HISTORY_MINUTES = 60;
/** State-change events the page lists. */
export const RECENT_EVENTS = 50;
/** Events not kept: one per locked host per sweep, they would push out everything else. */
const NOT_KEPT = new Set(['probe_sent']);

/** Packets decided in one minute, ending at `endMs`. */
export interface MinuteSample {
  endMs: number;
  accepted: number;
  dropped: number;
}

/** One state-change event as the page lists it. */
export interface RecentEvent {
  timeMs: number;
  event: string;
  /** The LAN side (src_ip[:port]) and the far side (dest_ip[:port]), when the event has them. */
  src?: string;
  dest?: string;
  reason?: string;
}

export interface History {
  /** Oldest first. */
  minutes: MinuteSample[];
  /** Newest first. */
  events: RecentEvent[];
}

export class HistoryRecorder {
  readonly #totals: () => { packets: number; dropped: number };
  #last: { packets: number; dropped: number };
  readonly #minutes: MinuteSample[] = [];
  readonly #events: RecentEvent[] = [];

  /** `totals`: packets decided since start, and how many were dropped (SharedCounters.verdictTotals). */
  constructor(totals: () => { packets: number; dropped: number }) {
    this.#totals = totals;
    this.#last = totals();
  }

  /** Closes a minute: what was decided since the last call (run every minute). */
  sample(nowMs = Date.now()): void {
    const now = this.#totals();
    const packets = Math.max(0, now.packets - this.#last.packets);
    const dropped = Math.max(0, now.dropped - this.#last.dropped);
    this.#last = now;
    this.#minutes.push({ endMs: nowMs, accepted: Math.max(0, packets - dropped), dropped });
    if (this.#minutes.length > HISTORY_MINUTES) this.#minutes.shift();
  }

  /** Keeps one state-change event (the newest RECENT_EVENTS). */
  record(event: FtEvent, nowMs = Date.now()): void {
    if (NOT_KEPT.has(event.event)) return;
    const fields = event as { src_ip?: string; src_port?: number; dest_ip?: string; dest_port?: number; reason?: string };
    const end = (ip?: string, port?: number) => (ip === undefined ? undefined : port === undefined ? ip : `${ip}:${port}`);
    const src = end(fields.src_ip, fields.src_port);
    const dest = end(fields.dest_ip, fields.dest_port);
    this.#events.unshift({ timeMs: nowMs, event: event.event, ...(src ? { src } : {}), ...(dest ? { dest } : {}), ...(fields.reason ? { reason: fields.reason } : {}) });
    if (this.#events.length > RECENT_EVENTS) this.#events.pop();
  }

  snapshot(): History {
    return { minutes: this.#minutes.map((minute) => ({ ...minute })), events: this.#events.map((event) => ({ ...event })) };
  }
}
