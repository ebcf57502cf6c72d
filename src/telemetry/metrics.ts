// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * ftwall's metrics on the OpenTelemetry API: observable instruments read the workers' shared
 * counters and the main thread's tallies at collection time (nothing is recorded per packet), and a
 * MetricProducer turns the workers' shared histograms into histogram data for every reader.
 */
import type { Meter } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { ValueType } from '@opentelemetry/api';
import type { KernelQueueStats } from 'nfqueue-bindings';
import { REASON_NAMES } from '../core/types.ts';
import { Counter, MAX_PROTOCOLS, SharedCounters, packetColumn } from './counters.ts';
import { HISTOGRAMS, type SharedHistograms } from './histograms.ts';

/** What the daemon exposes to metrics; read at collection time. */
export interface MetricsSource {
  counters: SharedCounters;
  /** The configured protocol modules' names, by protocol id (the packets' protocol label). */
  protocols?: readonly string[];
  histograms: SharedHistograms;
  peersKnown(): number;
  /** Hosts under a time lock, by protocol. */
  clientsLocked(): Record<string, number>;
  spoofs(): Record<string, number>;
  /** Probes by outcome: sent, not_lan, rate_limited. */
  probes(): Record<string, number>;
  /** Probes sent and answered, by protocol. */
  probesByProtocol(): { sent: Record<string, number>; answered: Record<string, number> };
  /** Event log lines not written because their kind was over its rate (they are still counted here). */
  eventsSuppressed(): number;
  kernelQueues(): KernelQueueStats[];
  /** Packets ftwall's rules sent to a queue that could not take them (see queue/overflow.ts). */
  queueOverflow(): number;
  /** Flow cutter outcomes: requested, cut (entries), overflow, rate_limited, failed. */
  flowCuts(): Record<string, number>;
  /** Features switched off at start because this host cannot run them (e.g. flow_bypass). */
  featuresOff(): string[];
  /** Clients and peers the decay sweep forgot since start. */
  forgotten(): { clients: number; peers: number };
  /** Complete entries in the router's neighbour table at its last read (the hosts that can count towards a quorum). */
  neighbours(): number;
  /** Packets ftwall's nftables rules dropped (counted only, in monitor mode), by reason. */
  kernelDropped(): Record<string, number>;
  /** Kernel set transactions (applied, failed) and elements skipped over their rate (skipped). */
  kernelSetUpdates(): Record<string, number>;
  /** Times ftwall's rules were put back after someone changed or removed them: iptables (the rules watchdog), nftables (the kernel sets' table). */
  rulesReinstalled(): { iptables: number; nftables: number };
  /** Workers restarted after dying. */
  workersRestarted(): number;
}

/** Lets metrics be registered at SDK start, before the daemon that feeds them exists. */
export class MetricsBridge implements MetricProducer {
  source: MetricsSource | undefined;
  readonly #startTime: [number, number];

  constructor() {
    const now = Date.now();
    this.#startTime = [Math.floor(now / 1000), (now % 1000) * 1e6];
  }

  /** Registers the observable instruments on `meter`. */
  register(meter: Meter): void {
    const packets = meter.createObservableCounter('ftwall.packets', { description: 'Packets decided, by verdict and reason; those a protocol module recognised also by protocol', unit: '{packet}' });
    const peers = meter.createObservableGauge('ftwall.peers', { description: 'FastTrack peers known', unit: '{peer}' });
    const locked = meter.createObservableGauge('ftwall.clients.locked', { description: 'LAN clients under a time lock now', unit: '{client}' });
    const spoofs = meter.createObservableCounter('ftwall.spoofs', { description: 'Spoofed pongs, by outcome (sent, or why not)', unit: '{packet}' });
    const probes = meter.createObservableCounter('ftwall.probes.sent', { description: 'Probes sent to locked clients', unit: '{packet}' });
    const probesSkipped = meter.createObservableCounter('ftwall.probes.skipped', { description: 'Probes not sent, by reason (not_lan, rate_limited)', unit: '{packet}' });
    const suppressed = meter.createObservableCounter('ftwall.events.suppressed', { description: 'State-change log lines not written because their kind exceeded its rate (a summary line says how many)', unit: '{event}' });
    const answers = meter.createObservableCounter('ftwall.probes.answered', { description: 'Probe answers received', unit: '{packet}' });
    const overflow = meter.createObservableCounter('ftwall.queue.overflow', { description: 'Packets ftwall\'s rules sent to a queue that could not take them: passed undecided with FTWALL_FAIL=open, dropped with closed', unit: '{packet}' });
    const starts = meter.createObservableCounter('ftwall.safety_net.starts', { description: 'TCP flow starts the safety net stopped watching before judging them: evicted (pushed out of the reassembly memory by newer flows), limit (byte or segment limit reached with a header block still open); their flows were accepted', unit: '{flow}' });
    const errors = meter.createObservableCounter('ftwall.decision.errors', { description: 'Packets accepted because deciding them failed', unit: '{packet}' });
    const queued = meter.createObservableCounter('ftwall.queue.packets', { description: 'Packets the kernel queued (id_sequence)', unit: '{packet}' });
    const waiting = meter.createObservableGauge('ftwall.queue.waiting', { description: 'Packets waiting in the kernel queue (queue_total)', unit: '{packet}' });
    const queueDropped = meter.createObservableCounter('ftwall.queue.dropped', { description: 'Packets the kernel dropped because the queue was full (queue_dropped; FTWALL_FAIL=closed only: fail-open overflow is counted by ftwall.queue.overflow)', unit: '{packet}' });
    const userDropped = meter.createObservableCounter('ftwall.queue.user_dropped', { description: 'Packets the kernel could not hand to ftwall (socket buffer full, user_dropped)', unit: '{packet}' });
    const flowCuts = meter.createObservableCounter('ftwall.flows.cut', { description: 'Conntrack deletions of bypassed UDP flows to newly learned peers, by outcome (requested: peers; cut: entries deleted; rate_limited, overflow, failed: not done)', unit: '{flow}' });
    const clientsForgotten = meter.createObservableCounter('ftwall.clients.forgotten', { description: 'Identified clients forgotten after FTWALL_CLIENT_QUIET_SECONDS without FastTrack activity', unit: '{client}' });
    const peersForgotten = meter.createObservableCounter('ftwall.peers.forgotten', { description: 'Learned and confirmed peers forgotten after FTWALL_PEER_QUIET_SECONDS unseen', unit: '{peer}' });
    const neighbours = meter.createObservableGauge('ftwall.neighbours', { description: 'Complete entries in the router\'s neighbour table on the LAN interfaces: the hosts whose reveals count towards a peer quorum', unit: '{host}' });
    const featureOff = meter.createObservableGauge('ftwall.feature.off', { description: 'Features switched off at start because this host cannot run them (1 per feature; the feature_off warning says why)', unit: '{feature}' });
    const kernelDropped = meter.createObservableCounter('ftwall.kernel.dropped', { description: 'Packets ftwall\'s nftables rules dropped without the queue, by reason (client_locked, known_peer, unconfirmed_peer: the queue did not decide them; source_limited: a host\'s new flows over FTWALL_SOURCE_LIMIT; answer_limited: a host\'s datagrams to the probe ports over 10 a second, guesses at a probe\'s port); in monitor mode counted, not dropped', unit: '{packet}' });
    const kernelUpdates = meter.createObservableCounter('ftwall.kernel_sets.updates', { description: 'Transactions on ftwall\'s nftables sets by outcome (applied, failed), and peer or client elements not sent because they came faster than 2000/s (skipped: the queue holds them; the 15-minute reload brings them)', unit: '{update}' });
    const reinstalled = meter.createObservableCounter('ftwall.rules.reinstalled', { description: 'Times ftwall\'s rules were put back after someone changed or removed them, by rules (iptables: the rules watchdog; nftables: ftwall\'s nftables table)', unit: '{reinstall}' });
    const restarted = meter.createObservableCounter('ftwall.workers.restarted', { description: 'Worker threads restarted after dying (their queue passed traffic meanwhile)', unit: '{restart}' });
    meter.addBatchObservableCallback((result) => {
      const source = this.source;
      if (!source) return;
      const protocols = source.protocols ?? [];
      for (let slot = 0; slot <= MAX_PROTOCOLS; slot++) {
        // Packets a module recognised carry its name; the others have no protocol label.
        const protocol = slot === 0 ? {} : { protocol: protocols[slot - 1] ?? `protocol_${slot - 1}` };
        for (let reason = 0; reason < REASON_NAMES.length; reason++) {
          for (const verdict of ['accepted', 'dropped'] as const) {
            const value = source.counters.total(packetColumn(slot, reason, verdict === 'dropped'));
            if (value > 0) result.observe(packets, value, { verdict, reason: REASON_NAMES[reason], ...protocol });
          }
        }
      }
      result.observe(peers, source.peersKnown());
      for (const [protocol, value] of Object.entries(source.clientsLocked())) result.observe(locked, value, { protocol });
      for (const [outcome, value] of Object.entries(source.spoofs())) result.observe(spoofs, value, { outcome });
      for (const [outcome, value] of Object.entries(source.probes())) {
        if (outcome !== 'sent') result.observe(probesSkipped, value, { reason: outcome });
      }
      // Every protocol that locks shows both counters from the start (0 until its first probe).
      const byProtocol = source.probesByProtocol();
      for (const protocol of new Set([...Object.keys(source.clientsLocked()), ...Object.keys(byProtocol.sent), ...Object.keys(byProtocol.answered)])) {
        result.observe(probes, byProtocol.sent[protocol] ?? 0, { protocol });
        result.observe(answers, byProtocol.answered[protocol] ?? 0, { protocol });
      }
      result.observe(suppressed, source.eventsSuppressed());
      result.observe(errors, source.counters.total(Counter.handlerErrors));
      result.observe(starts, source.counters.total(Counter.startsEvicted), { outcome: 'evicted' });
      result.observe(starts, source.counters.total(Counter.startsGivenUp), { outcome: 'limit' });
      result.observe(overflow, source.queueOverflow());
      for (const [outcome, value] of Object.entries(source.flowCuts())) result.observe(flowCuts, value, { outcome });
      for (const feature of source.featuresOff()) result.observe(featureOff, 1, { feature });
      const forgotten = source.forgotten();
      result.observe(clientsForgotten, forgotten.clients);
      result.observe(peersForgotten, forgotten.peers);
      result.observe(neighbours, source.neighbours());
      for (const [reason, value] of Object.entries(source.kernelDropped())) result.observe(kernelDropped, value, { reason });
      for (const [outcome, value] of Object.entries(source.kernelSetUpdates())) result.observe(kernelUpdates, value, { outcome });
      for (const [rules, value] of Object.entries(source.rulesReinstalled())) result.observe(reinstalled, value, { rules });
      result.observe(restarted, source.workersRestarted());
      for (const queue of source.kernelQueues()) {
        const attributes = { queue: queue.queue };
        result.observe(queued, queue.idSequence, attributes);
        result.observe(waiting, queue.queueTotal, attributes);
        result.observe(queueDropped, queue.queueDropped, attributes);
        result.observe(userDropped, queue.userDropped, attributes);
      }
    }, [packets, peers, locked, spoofs, probes, probesSkipped, suppressed, answers, errors, starts, overflow, queued, waiting, queueDropped, userDropped, flowCuts, featureOff, clientsForgotten, peersForgotten, neighbours, kernelDropped, kernelUpdates, reinstalled, restarted]);
  }

  /** MetricProducer: the workers' histograms, cumulative since start. */
  async collect(): Promise<CollectionResult> {
    const source = this.source;
    const now = Date.now();
    const endTime: [number, number] = [Math.floor(now / 1000), (now % 1000) * 1e6];
    const metrics = !source ? [] : HISTOGRAMS.map((spec, index) => {
      const snapshot = source.histograms.snapshot(index);
      return {
        descriptor: { name: spec.name, description: spec.description, unit: spec.unit, valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM as const,
        dataPoints: [{
          startTime: this.#startTime, endTime, attributes: {},
          value: { buckets: { boundaries: [...snapshot.boundaries], counts: snapshot.counts }, sum: snapshot.sum, count: snapshot.count },
        }],
      };
    });
    return { resourceMetrics: { resource: undefined as never, scopeMetrics: [{ scope: { name: 'ftwall.workers' }, metrics }] }, errors: [] };
  }
}
