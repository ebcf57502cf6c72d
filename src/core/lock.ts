// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The time lock's rules, in one place and pure (docs/FTWALL.md, decisions 3 and 4; README
 * "Security"). Plain values in (a host's lock record, the time in ticks, the lock timing), the
 * next step out; the shared-table writer (state/apply.ts) and the main thread's sweep
 * (actions/lock-keeper.ts) only read and write the record and carry the step out.
 * - A locking packet (a SYN or a segment to a known peer, a safety-net hit) starts the lock or
 *   pushes its end to one lock period from now; started and refreshed are reported (refreshes at
 *   most once a second per host). So a host that keeps behaving like a client stays locked, as
 *   with the original ftwall's SYN-refreshed lock, whatever happens to probes.
 * - Half a lock period after the lock started or was last confirmed, and again every half period
 *   while no answer comes, the host gets a probe from a port picked at random. An answer to that
 *   port, from that host, within the answer window confirms the lock and extends it by a period:
 *   a client that has gone quiet on TCP but still runs stays locked. An unanswered probe never
 *   extends the lock, and ends it only when the host has been quiet since the probe went out
 *   (no locking packet: the client has quit, or hides): a host that keeps behaving like a client
 *   is never freed by an unanswered probe. So a quit client's host is free at most half a lock
 *   period plus the answer window after its last activity.
 * - A lock that reaches its end without a refresh or an answer expires.
 */
import { TICK_MS, ticksFor } from './time.ts';

/** A host's lock, as the shared table keeps it (ticks; 0 = never). */
export interface HostLock {
  /** Tick the lock ends; UNLOCKED (0) = not locked. */
  lockUntil: number;
  /** Tick the current lock started. */
  lockStarted: number;
  probeSent: number;
  /** Tick of the last valid probe answer from this host. */
  probeAnswered: number;
  /** Tick a lock_started/refreshed was last reported. */
  refreshReported: number;
  /** The port the probe out came from; 0 when none is out (answered, or the host had no seed to probe with). */
  probePort: number;
}

/** The lock's durations for one FTWALL_LOCK_SECONDS, in ticks. */
export interface LockTiming {
  lockTicks: number;
  /** After this long since the lock started, was confirmed or last probed, the host is probed. */
  probeAfterTicks: number;
  /** How long a probed host has to answer. */
  answerTicks: number;
}

/** The lock end of a host without a lock: never locked, expired, or released by the operator. */
export const UNLOCKED = 0;

/**
 * Whether a lock ending at `lockUntil` still holds at `now`: until its end, not at it. The one
 * test of "is this host locked", in ticks (the shared table) or in ms (stored and reported locks)
 * alike; UNLOCKED is never locked, as `now` is at least 1 tick (SharedState.ticks).
 */
export function isLocked(lockUntil: number, now: number): boolean {
  return lockUntil > now;
}

/** At most one lock_refreshed report per host per this many ticks. */
export const REPORT_EVERY_TICKS = ticksFor(1000);

/** How long a probed host has to answer (ms): a quarter lock period, within [2 ticks, 5 s]. */
export function answerWindowMs(lockSeconds: number): number {
  return Math.min(5000, Math.max(2 * TICK_MS, (lockSeconds * 1000) / 4));
}

/** How often the sweep should run for this lock period (ms). */
export function sweepIntervalMs(lockSeconds: number): number {
  return Math.min(1000, Math.max(TICK_MS, (lockSeconds * 1000) / 20));
}

export function lockTiming(lockSeconds: number): LockTiming {
  return {
    lockTicks: ticksFor(lockSeconds * 1000),
    probeAfterTicks: Math.max(1, ticksFor((lockSeconds * 1000) / 2)),
    answerTicks: Math.max(1, ticksFor(answerWindowMs(lockSeconds))),
  };
}

/** Lock seconds per protocol id (core/protocol.ts), or one number for every protocol. */
export type LockSeconds = number | readonly number[];

/** The timings of `seconds`, by protocol id. */
export function lockTimings(seconds: LockSeconds): LockTiming[] {
  return (typeof seconds === 'number' ? [seconds] : seconds).map(lockTiming);
}

/** The timing of a host whose protocol id is `protocol` (the first one's when there is none for it). */
export function timingOf(timings: readonly LockTiming[], protocol: number): LockTiming {
  return timings[protocol] ?? timings[0]!;
}

/** Whether any protocol locks at all (a lock period above 0). */
export function anyLocks(seconds: LockSeconds): boolean {
  return (typeof seconds === 'number' ? [seconds] : seconds).some((value) => value > 0);
}

/** What a locking packet does to its host's lock. */
export interface LockActivity {
  /** The lock's new end (never earlier than the current one). */
  lockUntil: number;
  /** The lock starts now (it was not running). */
  started: boolean;
  /** What to report, or null (rate limited, see REPORT_EVERY_TICKS). */
  report: 'lock_started' | 'lock_refreshed' | null;
}

/** A packet that locks its host (or a valid probe answer) arrived at `now`. */
export function lockActivity(lock: Readonly<HostLock>, now: number, timing: LockTiming): LockActivity {
  const started = !isLocked(lock.lockUntil, now);
  return {
    lockUntil: Math.max(lock.lockUntil, now + timing.lockTicks),
    started,
    report: started ? 'lock_started' : now - lock.refreshReported >= REPORT_EVERY_TICKS ? 'lock_refreshed' : null,
  };
}

/** Whether a probe answer arriving at `now` is within the window of the probe sent at `probeSent`. */
export function answerInWindow(probeSent: number, now: number, answerTicks: number): boolean {
  return probeSent > 0 && now >= probeSent && now <= probeSent + answerTicks;
}

/** What the sweep does for one host. */
export const SweepStep = {
  /** Not locked: nothing to do. */
  IDLE: 0,
  /** The lock ran its period without a refresh or an answer: end it. */
  EXPIRE: 1,
  /** Locked, a probe is out and its window still open. */
  AWAIT_ANSWER: 2,
  /** Locked, and half a lock period has passed since it was confirmed or last probed: probe it. */
  PROBE: 3,
  /** Locked, nothing due. */
  HOLD: 4,
  /** Locked, but its probe went unanswered and nothing locked the host since it went out (the client quit): end it. */
  RELEASE: 5,
} as const;
export type SweepStep = (typeof SweepStep)[keyof typeof SweepStep];

/** The sweep's step for one host at `now`. */
export function sweepStep(lock: Readonly<HostLock>, now: number, timing: LockTiming): SweepStep {
  if (timing.lockTicks === 0 && isLocked(lock.lockUntil, now)) return SweepStep.HOLD; // its protocol does not lock: never probed
  if (lock.lockUntil === UNLOCKED) return SweepStep.IDLE;
  if (!isLocked(lock.lockUntil, now)) return SweepStep.EXPIRE;
  const confirmedAt = Math.max(lock.lockStarted, lock.probeAnswered);
  if (lock.probeSent > confirmedAt) {
    if (now < lock.probeSent + timing.answerTicks) return SweepStep.AWAIT_ANSWER;
    // A real probe went unanswered and nothing locked the host since it went out (its last
    // refresh set lockUntil one period after it): the client is gone; the lock ends.
    if (lock.probePort !== 0 && lock.lockUntil - timing.lockTicks < lock.probeSent) return SweepStep.RELEASE;
  }
  // Otherwise unanswered probes change nothing but the time of the next one.
  return now >= Math.max(confirmedAt, lock.probeSent) + timing.probeAfterTicks ? SweepStep.PROBE : SweepStep.HOLD;
}

/** Whether a sweep step leaves the host locked (for the locked-hosts gauge). */
export function isLockedStep(step: SweepStep): boolean {
  return step === SweepStep.AWAIT_ANSWER || step === SweepStep.PROBE || step === SweepStep.HOLD;
}
