// SPDX-License-Identifier: GPL-2.0-or-later
// The time lock's rules with plain values (core/lock.ts): no table, no sockets, no clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SweepStep, answerWindowMs, isLockedStep, lockActivity, lockTiming, sweepIntervalMs, sweepStep, type HostLock } from '../../../src/core/lock.ts';

/** A 4 s lock = 40 ticks: probe half-way (20 ticks), answer window 1 s (10 ticks). */
const timing = lockTiming(4);
const lock = (fields: Partial<HostLock> = {}): HostLock => ({
  lockUntil: 0, lockStarted: 0, probeSent: 0, probeAnswered: 0, probeWanted: 0, refreshReported: 0, suspect: false, ...fields,
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
  assert.deepEqual(started, { lockUntil: 140, started: true, probeWanted: false, report: 'lock_started' });
  const quiet = lockActivity(lock({ lockUntil: 140, lockStarted: 100, refreshReported: 100 }), 105, timing);
  assert.deepEqual(quiet, { lockUntil: 145, started: false, probeWanted: false, report: null });
  const reported = lockActivity(lock({ lockUntil: 145, lockStarted: 100, refreshReported: 100 }), 110, timing);
  assert.equal(reported.report, 'lock_refreshed');
  assert.equal(reported.lockUntil, 150);
  assert.equal(lockActivity(lock({ lockUntil: 140 }), 140, timing).started, true, 'a lock that reached its end starts anew');
});

test('a suspect host is not locked: a probe is wanted and the withholding reported at most once a second', () => {
  const withheld = lockActivity(lock({ suspect: true }), 100, timing);
  assert.deepEqual(withheld, { lockUntil: 0, started: false, probeWanted: true, report: 'lock_withheld' });
  assert.equal(lockActivity(lock({ suspect: true, refreshReported: 95 }), 100, timing).report, null);
});

test('the sweep: hold, probe half a period after the start or the last answer, wait for the answer, expire', () => {
  const held = lock({ lockUntil: 140, lockStarted: 100 });
  assert.equal(sweepStep(held, 119, timing), SweepStep.HOLD);
  assert.equal(sweepStep(held, 120, timing), SweepStep.PROBE);
  const probed = { ...held, probeSent: 120 };
  assert.equal(sweepStep(probed, 129, timing), SweepStep.AWAIT_ANSWER);
  assert.equal(sweepStep(probed, 130, timing), SweepStep.EXPIRE_UNANSWERED);
  const answered = { ...probed, probeAnswered: 122 };
  assert.equal(sweepStep(answered, 131, timing), SweepStep.HOLD, 'answered: confirmed');
  assert.equal(sweepStep(answered, 142, timing), SweepStep.EXPIRE, 'the end of the period');
  assert.equal(sweepStep({ ...answered, lockUntil: 180 }, 142, timing), SweepStep.PROBE, 'half a period after the answer');
  assert.equal(sweepStep(lock(), 500, timing), SweepStep.IDLE);
});

test('a suspect host that wants a probe gets one, at most once per answer window', () => {
  assert.equal(sweepStep(lock({ suspect: true }), 200, timing), SweepStep.IDLE, 'nothing wanted');
  assert.equal(sweepStep(lock({ suspect: true, probeWanted: 201 }), 202, timing), SweepStep.PROBE_SUSPECT);
  assert.equal(sweepStep(lock({ suspect: true, probeWanted: 205, probeSent: 203 }), 206, timing), SweepStep.IDLE, 'within the window');
  assert.equal(sweepStep(lock({ suspect: true, probeWanted: 205, probeSent: 203 }), 213, timing), SweepStep.PROBE_SUSPECT);
  assert.equal(sweepStep(lock({ probeWanted: 205 }), 213, timing), SweepStep.IDLE, 'only suspects');
});

test('which steps leave a host locked', () => {
  assert.deepEqual(Object.values(SweepStep).filter(isLockedStep), [SweepStep.AWAIT_ANSWER, SweepStep.PROBE, SweepStep.HOLD]);
});
