// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The daemon's MetricsSource (telemetry/metrics.ts): what each metric reads, and from which of the
 * daemon's parts. The parts start() makes are read through `running` at collection time, so before
 * start() has made one (or when its feature is off) its metrics read 0.
 */
import type { KernelQueueStats } from 'nfqueue-bindings';
import type { SharedCounters } from './counters.ts';
import type { SharedHistograms } from './histograms.ts';
import type { MetricsSource } from './metrics.ts';

type Counts = Readonly<Record<string, number>>;

/** The daemon's parts that exist from its construction on. */
export interface MetricsParts {
  counters: SharedCounters;
  /** The configured protocol modules' names, by protocol id. */
  protocols: readonly string[];
  histograms: SharedHistograms;
  state: { readonly peers: { stats(): { entries: number } }; readonly pinned: { readonly size: number } };
  sink: { readonly probes: { readonly sent: Readonly<Record<string, number>>; readonly answered: Readonly<Record<string, number>> }; readonly suppressed: number };
  overflow: { readonly total: number };
  decay: { readonly forgotten: { clients: number; peers: number } };
  /** Features switched off at start: name -> why. */
  featuresOff(): Record<string, string>;
  kernelQueues(): KernelQueueStats[];
}

/** The parts start() makes, as far as it got. */
export interface RunningParts {
  readonly lockKeeper?: { readonly lockedByProtocol: Readonly<Record<string, number>> };
  readonly actions?: { readonly spoofer: { readonly counts: Counts }; readonly probes: { readonly counts: Counts }; readonly flowCutter?: { readonly counts: Counts } };
  readonly neighbours?: { readonly count: number };
  readonly kernelSets?: { readonly dropped: Counts; readonly updates: Counts; readonly reinstalled: number };
  readonly watchdog?: { readonly reinstalled: number };
  readonly pool?: { readonly restarted: number };
}

export function metricsSource(parts: MetricsParts, running: RunningParts): MetricsSource {
  const { state, sink, overflow, decay } = parts;
  return {
    counters: parts.counters,
    protocols: parts.protocols,
    histograms: parts.histograms,
    peersKnown: () => state.peers.stats().entries + state.pinned.size,
    clientsLocked: () => ({ ...(running.lockKeeper?.lockedByProtocol ?? {}) }),
    spoofs: () => ({ ...(running.actions?.spoofer.counts ?? {}) }),
    probes: () => ({ ...(running.actions?.probes.counts ?? {}) }),
    probesByProtocol: () => ({ sent: { ...sink.probes.sent }, answered: { ...sink.probes.answered } }),
    eventsSuppressed: () => sink.suppressed,
    kernelQueues: () => parts.kernelQueues(),
    queueOverflow: () => overflow.total,
    flowCuts: () => ({ ...(running.actions?.flowCutter?.counts ?? {}) }),
    featuresOff: () => Object.keys(parts.featuresOff()),
    forgotten: () => ({ ...decay.forgotten }),
    neighbours: () => running.neighbours?.count ?? 0,
    kernelDropped: () => ({ ...(running.kernelSets?.dropped ?? {}) }),
    kernelSetUpdates: () => ({ ...(running.kernelSets?.updates ?? {}) }),
    rulesReinstalled: () => ({ iptables: running.watchdog?.reinstalled ?? 0, nftables: running.kernelSets?.reinstalled ?? 0 }),
    workersRestarted: () => running.pool?.restarted ?? 0,
  };
}
