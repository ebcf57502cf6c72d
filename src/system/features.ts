// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Features this host cannot run, switched off at start instead of failing. Cutting flows to newly
 * learned peers (and flows from before start) needs conntrack deletion over netlink; flow bypass is
 * safe only with it: a host without it runs with both off (every packet decided), slower, and
 * without the cuts. Each said in a warning, and listed for the `ftwall.feature.off` metric.
 */
import { FlowCutter } from '../actions/flow-cutter.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../telemetry/logger.ts';

/** The config as this host can run it, and the features switched off: name -> why. */
export interface FittedConfig {
  config: Config;
  featuresOff: Record<string, string>;
  /** Conntrack entries can be deleted: flows to newly learned peers are cut. */
  canCutFlows: boolean;
}

/** `config` less what this host cannot do; `canCutFlows` says why conntrack entries cannot be deleted (null: they can). */
export async function switchOffWhatCannotWork(config: Config, log: Logger, canCutFlows: () => Promise<string | null> = () => FlowCutter.check()): Promise<FittedConfig> {
  const reason = await canCutFlows();
  if (reason === null) return { config, featuresOff: {}, canCutFlows: true };
  const featuresOff: Record<string, string> = {};
  let fitted = config;
  if (config.flowBypass) {
    log.warn({ event: 'feature_off', feature: 'flow_bypass', error: reason },
      `flow bypass switched off: conntrack entries cannot be deleted on this host (${reason}); every packet of every LAN flow is decided instead`);
    featuresOff.flow_bypass = reason;
    fitted = Object.freeze({ ...config, flowBypass: false });
  }
  log.warn({ event: 'feature_off', feature: 'flow_cut', error: reason },
    `flow cuts switched off: conntrack entries cannot be deleted on this host (${reason}); a flow opened before its peer was known (or before ftwall started) runs on`);
  featuresOff.flow_cut = reason;
  return { config: fitted, featuresOff, canCutFlows: false };
}
