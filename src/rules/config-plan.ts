// SPDX-License-Identifier: GPL-2.0-or-later
/** The rule plan a configuration asks for: the one `ftwall rules` prints and the daemon installs. Pure. */
import { lockSecondsFor, protocolsFor } from '../config/protocols.ts';
import { anyLocks } from '../core/lock.ts';
import type { Config } from '../config/schema.ts';
import type { LocalUdp } from '../core/protocol.ts';
import type { KernelSetsPlan } from './nft-sets.ts';
import { planRules, type TablePlan } from './plan.ts';

/**
 * The plan for `config`; `dockerUser` when the host has a DOCKER-USER chain to hook as well;
 * `kernelSets` when ftwall's nftables table runs (it then pre-matches the protocols' UDP shapes on
 * bypassed flows, rules/nft-sets.ts; without it, the iptables chain does, with u32).
 */
export function rulePlanFor(config: Config, dockerUser: boolean, kernelSets: boolean): TablePlan {
  return planRules({
    udpShapes: kernelSets ? [] : protocolsFor(config).flatMap((module) => module.udpShapes),
    lanInterfaces: config.lanInterfaces, queueBase: config.queueBase, workers: config.workers,
    mark: config.mark, probePort: config.probePort, probePorts: config.probePorts, dockerUser, safetyNet: config.safetyNet,
    bypassMark: config.flowBypass ? config.bypassMark : 0,
    failClosed: config.fail === 'closed',
    localUdp: localUdpFor(config),
  });
}

/** The configured protocols' UDP to the router itself, each (group, port) once. */
export function localUdpFor(config: Config): LocalUdp[] {
  const seen = new Map<string, LocalUdp>();
  for (const local of protocolsFor(config).flatMap((module) => module.localUdp)) seen.set(`${local.group}:${local.port}`, local);
  return [...seen.values()];
}

/** What ftwall's nftables table (rules/nft-sets.ts) holds for `config`. */
export function kernelSetsPlanFor(config: Config): KernelSetsPlan {
  return {
    lanInterfaces: config.lanInterfaces, exempt: config.exempt.entries.map((entry) => entry.text),
    enforce: config.mode === 'enforce', blockUdp: config.blockUdp, locks: anyLocks(lockSecondsFor(config)),
    sourceNewFlows: config.sourceLimit, probePort: config.probePort, probePorts: config.probePorts,
    udpShapes: protocolsFor(config).flatMap((module) => module.udpShapes),
    bypassMark: config.flowBypass ? config.bypassMark : 0,
  };
}
