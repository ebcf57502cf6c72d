// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Features this host cannot run, switched off at start instead of failing. Flow bypass is safe
 * only while ftwall can cut a bypassed flow whose peer it learns later (conntrack over netlink): a
 * host without that runs with bypass off (every packet decided), slower, never less safe. Said in
 * a warning, and listed for the `ftwall.feature.off` metric.
 */
import { FlowCutter } from '../actions/flow-cutter.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';

/** The config as this host can run it, and the features switched off: name -> why. */
export interface FittedConfig {
  config: Config;
  featuresOff: Record<string, string>;
}

/** `config` less what this host cannot do; `canCutFlows` says why conntrack entries cannot be deleted (null: they can). */
export async function switchOffWhatCannotWork(config: Config, log: Logger, canCutFlows: () => Promise<string | null> = () => FlowCutter.check()): Promise<FittedConfig> {
  if (!config.flowBypass) return { config, featuresOff: {} };
  const reason = await canCutFlows();
  if (reason === null) return { config, featuresOff: {} };
  log.warn({ event: 'feature_off', feature: 'flow_bypass', error: reason },
    `flow bypass switched off: conntrack entries cannot be deleted on this host (${reason}); every packet of every LAN flow is decided instead`);
  return { config: Object.freeze({ ...config, flowBypass: false }), featuresOff: { flow_bypass: reason } };
}
