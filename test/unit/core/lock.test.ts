// SPDX-License-Identifier: GPL-2.0-or-later
// The time lock's rules with plain values (core/lock.ts): no table, no sockets, no clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SweepStep, UNLOCKED, answerInWindow, answerWindowMs, isLocked, isLockedStep, lockActivity, lockTiming, sweepIntervalMs, sweepStep, type HostLock } from '../../../src/core/lock.ts';

/** A 4 s lock = 40 ticks: probe half-way (20 ticks), answer window 1 s (10 ticks). */
const timing = lockTiming(4);
const lock = (fields: Partial<HostLock> = {}): HostLock => ({
  lockUntil: 0, lockStarted: 0, probeSent: 0, probeAnswered: 0, refreshReported: 0, probePort: 0, ...fields,
});

test('a lock holds until its end, not at it; an unlocked host (never locked, expired, released) is never locked', () => {
  assert.equal(isLocked(140, 139), true);
  assert.equal(isLocked(140, 140), false, 'at its end the lock is over');
  assert.equal(isLocked(140, 141), false);
  assert.equal(UNLOCKED, 0, 'the shared table\'s zero: a host never locked');
  assert.equal(isLocked(UNLOCKED, 1), false, 'the earliest tick');
  assert.equal(isLocked(1_700_000_060_000, 1_700_000_000_000), true, 'the same rule in ms');
});

test('the lock\'s other rules agree with isLocked: a locking packet starts a lock exactly when none holds, the sweep expires one exactly when it stops holding', () => {
  for (const now of [139, 140, 141]) {
    const held = lock({ lockUntil: 140, lockStarted: 100 });
    assert.equal(lockActivity(held, now, timing).started, !isLocked(held.lockUntil, now), `start at ${now}`);
    assert.equal(sweepStep(held, now, timing) === SweepStep.EXPIRE, !isLocked(held.lockUntil, now), `expiry at ${now}`);
    assert.equal(isLockedStep(sweepStep(held, now, timing)), isLocked(held.lockUntil, now), `counted as locked at ${now}`);
  }
  assert.equal(sweepStep(lock({ lockUntil: UNLOCKED }), 5, timing), SweepStep.IDLE);
});

test('timing: a quarter lock period to answer, within [0.2 s, 5 s]; probes half-way; the sweep at most every second', () => {
  assert.deepEqual(timing, { lockTicks: 40, probeAfterTicks: 20, answerTicks: 10 });
  assert.equal(answerWindowMs(4), 1000);
  assert.equal(answerWindowMs(120), 5000);
  assert.equal(answerWindowMs(0.4), 200);
  assert.equal(sweepIntervalMs(120), 1000);
  assert.equal(sweepIntervalMs(4), 200);
  assert.equal(sweepIntervalMs(0.4), 100);
});

test('a locking packet starts a lock, then refreshes it; refreshes are reported at most once a second', () => {
  const started = lockActivity(lock(), 100, timing);
  assert.deepEqual(started, { lockUntil: 140, started: true, report: 'lock_started' });
  const quiet = lockActivity(lock({ lockUntil: 140, lockStarted: 100, refreshReported: 100 }), 105, timing);
  assert.deepEqual(quiet, { lockUntil: 145, started: false, report: null });
  const reported = lockActivity(lock({ lockUntil: 145, lockStarted: 100, refreshReported: 100 }), 110, timing);
  assert.equal(reported.report, 'lock_refreshed');
  assert.equal(reported.lockUntil, 150);
  assert.equal(lockActivity(lock({ lockUntil: 140 }), 140, timing).started, true, 'a lock that reached its end starts anew');
});

test('the sweep: hold, probe half a period after the start or the last answer, wait for the answer, expire', () => {
  const held = lock({ lockUntil: 140, lockStarted: 100 });
  assert.equal(sweepStep(held, 119, timing), SweepStep.HOLD);
  assert.equal(sweepStep(held, 120, timing), SweepStep.PROBE);
  const probed = { ...held, probeSent: 120 };
  assert.equal(sweepStep(probed, 129, timing), SweepStep.AWAIT_ANSWER);
  const answered = { ...probed, probeAnswered: 122, lockUntil: 162 };
  assert.equal(sweepStep(answered, 131, timing), SweepStep.HOLD, 'answered: confirmed');
  assert.equal(sweepStep(answered, 142, timing), SweepStep.PROBE, 'half a period after the answer');
  assert.equal(sweepStep(answered, 162, timing), SweepStep.EXPIRE, 'the end of the period');
  assert.equal(sweepStep(lock(), 500, timing), SweepStep.IDLE);
});

test('an unanswered probe never extends the lock, and ends it only when the host has been quiet since the probe went out', () => {
  // Quiet: last refreshed at 110 (lockUntil 150), probed at 120 from port 41500, no answer, nothing since.
  const quiet = lock({ lockUntil: 150, lockStarted: 100, probeSent: 120, probePort: 41500 });
  assert.equal(sweepStep(quiet, 125, timing), SweepStep.AWAIT_ANSWER);
  assert.equal(sweepStep(quiet, 129, timing), SweepStep.AWAIT_ANSWER, 'the window (10 ticks) still open');
  assert.equal(sweepStep(quiet, 130, timing), SweepStep.RELEASE, 'the window closed, no answer, no activity since the probe: the client is gone');
  // Active after the probe (a refresh at 121 set lockUntil 161): still locked, probed again.
  const active = lock({ lockUntil: 161, lockStarted: 100, probeSent: 120, probePort: 41500 });
  assert.equal(sweepStep(active, 130, timing), SweepStep.HOLD, 'a host that keeps behaving like a client is never freed by an unanswered probe');
  assert.equal(sweepStep(active, 140, timing), SweepStep.PROBE);
  // No real probe out (no seed to probe with): the lock runs its course.
  const unprobed = lock({ lockUntil: 150, lockStarted: 100, probeSent: 120, probePort: 0 });
  assert.equal(sweepStep(unprobed, 130, timing), SweepStep.HOLD);
  assert.equal(sweepStep(unprobed, 150, timing), SweepStep.EXPIRE);
});

test('an unanswered probe to a host active when it went out changes nothing: probed again half a period later, the lock runs its course', () => {
  const probed = lock({ lockUntil: 160, lockStarted: 100, probeSent: 120, probePort: 41500 });
  assert.equal(sweepStep(probed, 130, timing), SweepStep.HOLD, 'the window closed without an answer: still locked');
  assert.equal(sweepStep(probed, 139, timing), SweepStep.HOLD);
  assert.equal(sweepStep(probed, 140, timing), SweepStep.PROBE, 'probed again');
  assert.equal(sweepStep(probed, 160, timing), SweepStep.EXPIRE, 'and it ends when its period does, not before');
  const refreshed = lockActivity(probed, 150, timing);
  assert.equal(refreshed.lockUntil, 190, 'a host that keeps behaving like a client stays locked, probes or not');
});

test('an answer counts only within the window of the probe it answers', () => {
  assert.equal(answerInWindow(120, 120, timing.answerTicks), true);
  assert.equal(answerInWindow(120, 130, timing.answerTicks), true);
  assert.equal(answerInWindow(120, 131, timing.answerTicks), false, 'late');
  assert.equal(answerInWindow(120, 119, timing.answerTicks), false, 'before the probe');
  assert.equal(answerInWindow(0, 5, timing.answerTicks), false, 'no probe sent');
});

test('which steps leave a host locked', () => {
  assert.deepEqual(Object.values(SweepStep).filter(isLockedStep), [SweepStep.AWAIT_ANSWER, SweepStep.PROBE, SweepStep.HOLD]);
});
