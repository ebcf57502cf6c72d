// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The time lock's rules, in one place and pure (docs/FTWALL.md, decisions 3 and 4; README
 * "Security"). Plain values in (a host's lock record, the time in ticks, the lock timing), the
 * next step out; the shared-table writer (state/apply.ts) and the main thread's sweep
 * (actions/lock-keeper.ts) only read and write the record and carry the step out.
 * - A locking packet (a SYN to a known peer, a safety-net hit, a probe answer) starts the lock or
 *   pushes its end to one lock period from now; started and refreshed are reported (refreshes at
 *   most once a second per host).
 * - Half a lock period after the lock started or was last confirmed, the host gets a probe. Its
 *   answer confirms the lock; a probe left unanswered for the answer window ends the lock at once and
 *   makes the host suspect: whoever sent the traffic in its name, it is not running the client.
 * - A suspect host is not locked again until it answers a probe; whenever it does something that
 *   would lock it, it is probed (at most once per answer window) and the lock is withheld.
 * - A lock that reaches its end without being refreshed expires.
 */
import { TICK_MS, ticksFor } from './time.ts';

/** A host's lock, as the shared table keeps it (ticks; 0 = never). */
export interface HostLock {
  /** Tick the lock ends; 0 = not locked. */
  lockUntil: number;
  /** Tick the current lock started. */
  lockStarted: number;
  probeSent: number;
  /** Tick of the last probe answer from this host. */
  probeAnswered: number;
  /** Tick a suspect host last did something that would lock it. */
  probeWanted: number;
  /** Tick a lock_started/refreshed/withheld was last reported. */
  refreshReported: number;
  /** It left a probe unanswered and has not answered one since. */
  suspect: boolean;
}

/** The lock's durations for one FTWALL_LOCK_SECONDS, in ticks. */
export interface LockTiming {
  lockTicks: number;
  /** After this long since the lock started or was confirmed, the host is probed. */
  probeAfterTicks: number;
  /** How long a probed host has to answer. */
  answerTicks: number;
}

/** At most one lock_refreshed or lock_withheld report per host per this many ticks. */
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

/** What a locking packet does to its host's lock. */
export interface LockActivity {
  /** The lock's new end (never earlier than the current one), or 0: leave the lock as it is (withheld). */
  lockUntil: number;
  /** The lock starts now (it was not running). */
  started: boolean;
  /** Ask for a probe now (a suspect host): lock it only when it answers. */
  probeWanted: boolean;
  /** What to report, or null (rate limited, see REPORT_EVERY_TICKS). */
  report: 'lock_started' | 'lock_refreshed' | 'lock_withheld' | null;
}

/** A packet that locks its host arrived at `now`. */
export function lockActivity(lock: Readonly<HostLock>, now: number, timing: LockTiming): LockActivity {
  const reportDue = now - lock.refreshReported >= REPORT_EVERY_TICKS;
  if (lock.suspect) return { lockUntil: 0, started: false, probeWanted: true, report: reportDue ? 'lock_withheld' : null };
  const started = lock.lockUntil <= now;
  return {
    lockUntil: Math.max(lock.lockUntil, now + timing.lockTicks),
    started,
    probeWanted: false,
    report: started ? 'lock_started' : reportDue ? 'lock_refreshed' : null,
  };
}

/** What the sweep does for one host. */
export const SweepStep = {
  /** Not locked and nothing to do. */
  IDLE: 0,
  /** Not locked, suspect, and it did something that would lock it: probe it. */
  PROBE_SUSPECT: 1,
  /** The lock ran its period without a refresh: end it. */
  EXPIRE: 2,
  /** The probe went unanswered for the answer window: end the lock, mark the host suspect. */
  EXPIRE_UNANSWERED: 3,
  /** Locked, a probe is out and its window still open. */
  AWAIT_ANSWER: 4,
  /** Locked, and half a lock period has passed since it was confirmed: probe it. */
  PROBE: 5,
  /** Locked, nothing due. */
  HOLD: 6,
} as const;
export type SweepStep = (typeof SweepStep)[keyof typeof SweepStep];

/** The sweep's step for one host at `now`. */
export function sweepStep(lock: Readonly<HostLock>, now: number, timing: LockTiming): SweepStep {
  if (lock.lockUntil === 0) {
    const due = lock.suspect && lock.probeWanted > lock.probeSent && now >= lock.probeSent + timing.answerTicks;
    return due ? SweepStep.PROBE_SUSPECT : SweepStep.IDLE;
  }
  if (now >= lock.lockUntil) return SweepStep.EXPIRE;
  const confirmedAt = Math.max(lock.lockStarted, lock.probeAnswered);
  if (lock.probeSent > confirmedAt) {
    // A probe of this lock period is out: answered (confirmedAt moves past it) or not yet.
    return now >= lock.probeSent + timing.answerTicks ? SweepStep.EXPIRE_UNANSWERED : SweepStep.AWAIT_ANSWER;
  }
  return now >= confirmedAt + timing.probeAfterTicks ? SweepStep.PROBE : SweepStep.HOLD;
}

/** Whether a sweep step leaves the host locked (for the locked-hosts gauge). */
export function isLockedStep(step: SweepStep): boolean {
  return step === SweepStep.AWAIT_ANSWER || step === SweepStep.PROBE || step === SweepStep.HOLD;
}
