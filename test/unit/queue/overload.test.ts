// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OverflowCounter } from '../../../src/queue/overflow.ts';
import { OverloadReport } from '../../../src/queue/overload.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

function setup(failClosed: boolean) {
  const { log, lines } = memoryLogger();
  const overflow = new OverflowCounter();
  const report = new OverloadReport({ overflow, failClosed, kernelQueues: () => [], log });
  return { overflow, report, lines };
}

test('the warning counts the packets overflowed since the last one, and only when there are any', () => {
  const { overflow, report, lines } = setup(false);
  report.report();
  assert.equal(lines.length, 0);
  overflow.update(100, []);
  report.report();
  overflow.update(130, []);
  report.report();
  report.report();
  assert.deepEqual(lines.map((line) => [line.event, line.overflow, line.overflow_total]), [['overload', 100, 100], ['overload', 30, 130]]);
  assert.match(lines[0]!.msg, /100 packets passed undecided/);
});

test('with FTWALL_FAIL=closed the warning says the packets were dropped', () => {
  const { overflow, report, lines } = setup(true);
  overflow.update(5, []);
  report.report();
  assert.match(lines[0]!.msg, /5 packets were dropped/);
});
