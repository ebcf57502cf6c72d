// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { switchOffWhatCannotWork } from '../../../src/system/features.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const config = loadConfig({ FTWALL_LAN_INTERFACE: 'eth1' });

test('flow bypass stays on where conntrack entries can be deleted', async () => {
  const { log, lines } = memoryLogger();
  const fitted = await switchOffWhatCannotWork(config, log, { canCutFlows: async () => null, nftables: async () => null });
  assert.equal(fitted.config, config);
  assert.deepEqual(fitted.featuresOff, {});
  assert.equal(fitted.canCutFlows, true);
  assert.equal(fitted.kernelSets, true);
  assert.deepEqual(lines, []);
});

test('flow bypass and flow cuts are switched off, each with a warning, where they cannot', async () => {
  const { log, lines } = memoryLogger();
  const fitted = await switchOffWhatCannotWork(config, log, { canCutFlows: async () => 'Operation not permitted', nftables: async () => null });
  assert.equal(fitted.config.flowBypass, false);
  assert.ok(Object.isFrozen(fitted.config));
  assert.equal(config.flowBypass, true, 'the configuration read is left as it was');
  assert.deepEqual(fitted.featuresOff, { flow_bypass: 'Operation not permitted', flow_cut: 'Operation not permitted' });
  assert.equal(fitted.canCutFlows, false);
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.feature, line.error]), [
    [40, 'feature_off', 'flow_bypass', 'Operation not permitted'],
    [40, 'feature_off', 'flow_cut', 'Operation not permitted'],
  ]);
});

test('with flow bypass off already, only the flow cuts go', async () => {
  const { log, lines } = memoryLogger();
  const off = loadConfig({ FTWALL_LAN_INTERFACE: 'eth1', FTWALL_FLOW_BYPASS: 'false' });
  const fitted = await switchOffWhatCannotWork(off, log, { canCutFlows: async () => 'Protocol not supported', nftables: async () => null });
  assert.deepEqual(fitted, { config: off, featuresOff: { flow_cut: 'Protocol not supported' }, canCutFlows: false, kernelSets: true });
  assert.deepEqual(lines.map((line) => line.feature), ['flow_cut']);
});

test('a host without nf_tables runs without the kernel sets, with a warning that says so', async () => {
  const { log, lines } = memoryLogger();
  const fitted = await switchOffWhatCannotWork(config, log, { canCutFlows: async () => null, nftables: async () => 'Protocol not supported' });
  assert.equal(fitted.config, config);
  assert.deepEqual(fitted.featuresOff, { kernel_sets: 'Protocol not supported' });
  assert.equal(fitted.kernelSets, false);
  assert.equal(fitted.canCutFlows, true);
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.feature]), [[40, 'feature_off', 'kernel_sets']]);
});
