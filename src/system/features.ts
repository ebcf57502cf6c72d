// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Features this host cannot run, switched off at start instead of failing. Cutting flows to newly
 * learned peers (and flows from before start) needs conntrack deletion over netlink; flow bypass is
 * safe only with it: a host without it runs with both off (every packet decided), slower, and
 * without the cuts. The kernel sets (rules/kernel-sets.ts) need nf_tables: a host without it runs
 * on the queue alone, as before they existed. Each said in a warning, and listed for the
 * `ftwall.feature.off` metric.
 */
import { FlowCutter } from '../actions/flow-cutter.ts';
import type { Config } from '../config/schema.ts';
import { KernelSets } from '../rules/kernel-sets.ts';
import type { Logger } from '../telemetry/logger.ts';

/** The config as this host can run it, and the features switched off: name -> why. */
export interface FittedConfig {
  config: Config;
  featuresOff: Record<string, string>;
  /** Conntrack entries can be deleted: flows to newly learned peers are cut. */
  canCutFlows: boolean;
  /** nf_tables works: ftwall's table enforces what it knows in the kernel. */
  kernelSets: boolean;
}

/** Each check says why a feature cannot run here, or null when it can. */
export interface FeatureChecks {
  canCutFlows: () => Promise<string | null>;
  nftables: () => Promise<string | null>;
}

const HOST_CHECKS: FeatureChecks = { canCutFlows: () => FlowCutter.check(), nftables: () => KernelSets.check() };

/** `config` less what this host cannot do. */
export async function switchOffWhatCannotWork(config: Config, log: Logger, checks: Partial<FeatureChecks> = {}): Promise<FittedConfig> {
  const { canCutFlows, nftables } = { ...HOST_CHECKS, ...checks };
  const featuresOff: Record<string, string> = {};
  let fitted = config;
  const reason = await canCutFlows();
  if (reason !== null) {
    if (config.flowBypass) {
      log.warn({ event: 'feature_off', feature: 'flow_bypass', error: reason },
        `flow bypass switched off: conntrack entries cannot be deleted on this host (${reason}); every packet of every LAN flow is decided instead`);
      featuresOff.flow_bypass = reason;
      fitted = Object.freeze({ ...config, flowBypass: false });
    }
    log.warn({ event: 'feature_off', feature: 'flow_cut', error: reason },
      `flow cuts switched off: conntrack entries cannot be deleted on this host (${reason}); a flow opened before its peer was known (or before ftwall started) runs on`);
    featuresOff.flow_cut = reason;
  }
  const noNftables = await nftables();
  if (noNftables !== null) {
    log.warn({ event: 'feature_off', feature: 'kernel_sets', error: noNftables },
      `kernel sets switched off: nftables does not work on this host (${noNftables}; load nf_tables); locks and peers are enforced by the queue alone, and no per-source limit applies`);
    featuresOff.kernel_sets = noNftables;
  }
  return { config: fitted, featuresOff, canCutFlows: reason === null, kernelSets: noNftables === null };
}
