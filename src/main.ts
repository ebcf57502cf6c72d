// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The daemon's lifecycle: wires config, rules, worker pool, state, actions and telemetry together.
 * Start: instance lock -> HTTP -> backend -> stores loaded -> raw and probe sockets -> workers
 * bind their queues -> leftovers removed and rules installed -> ready.
 * Stop: rules removed first -> queued packets drained -> workers closed -> sockets closed -> exit 0.
 * What runs in between lives beside its subject: the event fan-out in telemetry/event-sink.ts,
 * batch handling in actions/dispatch.ts, the stores in state/stores.ts, the rules watchdog in
 * rules/watchdog.ts, worker set-up in pool/setup.ts, queue statistics and drain in queue/kernel.ts,
 * the control socket and HTTP in control/control-plane.ts, metrics in telemetry/metrics-source.ts.
 */
import type net from 'node:net';
import { BatchDispatcher } from './actions/dispatch.ts';
import { LockKeeper } from './actions/lock-keeper.ts';
import { cutFlowsToKnownPeers } from './actions/flow-cutter.ts';
import { openActions, type OpenActions } from './actions/open.ts';
import { ConfigError, logConfig } from './config/load.ts';
import { lockSecondsFor, protocolsFor } from './config/protocols.ts';
import { anyLocks } from './core/lock.ts';
import type { Config } from './config/schema.ts';
import { VERSION } from './config/version.ts';
import { ControlPlane } from './control/control-plane.ts';
import type { FtEvent } from './core/events.ts';
import { QueueOpenError, type WorkerPool } from './pool/pool.ts';
import { createWorkerPool, workerInits } from './pool/setup.ts';
import { drainQueues, kernelQueues } from './queue/kernel.ts';
import { OverflowCounter } from './queue/overflow.ts';
import { OVERLOAD_LOG_INTERVAL_MS, OverloadReport } from './queue/overload.ts';
import { kernelSetsPlanFor, localUdpFor, rulePlanFor } from './rules/config-plan.ts';
import { IptablesError, IptablesRules, chooseBackend } from './rules/iptables.ts';
import { KernelSetsError, openKernelSets, type KernelSets } from './rules/kernel-sets.ts';
import { RULES_CHECK_INTERVAL_MS, RulesWatchdog, installRules, removeRules } from './rules/watchdog.ts';
import { ClientDirectory } from './state/client-dir.ts';
import { DecaySweep } from './state/decay.ts';
import { NEIGHBOUR_REFRESH_MS, NeighbourWatcher } from './state/neighbours.ts';
import { SharedState } from './state/shared-state.ts';
import { CLIENT_STORE_SAVE_MS, Stores } from './state/stores.ts';
import { switchOffWhatCannotWork } from './system/features.ts';
import { acquireInstanceLock, InstanceLockedError } from './system/instance-lock.ts';
import { lanNetworksLogged, requireInterfaces } from './system/interfaces.ts';
import { joinGroups, type Memberships } from './system/multicast.ts';
import { Intervals } from './system/timers.ts';
import { SharedCounters } from './telemetry/counters.ts';
import { EventSink } from './telemetry/event-sink.ts';
import { SharedHistograms } from './telemetry/histograms.ts';
import type { Logger } from './telemetry/logger.ts';
import { metricsSource } from './telemetry/metrics-source.ts';
import type { Telemetry } from './telemetry/otel.ts';
import { inStepSpan } from './telemetry/step.ts';

/** A failure before ftwall was running: reported in one line, exit code 2, nothing left installed. */
export class StartupError extends Error {
  readonly exitCode = 2;
}

/** What start() makes, as far as it got: stop and the metrics read it. */
interface Running {
  lock?: net.Server; pool?: WorkerPool; rules?: IptablesRules; actions?: OpenActions;
  lockKeeper?: LockKeeper; neighbours?: NeighbourWatcher; kernelSets?: KernelSets; watchdog?: RulesWatchdog; groups?: Memberships;
}

export class Daemon {
  /** As configured, less what this host cannot do (system/features.ts). */
  #config: Config;
  readonly #log: Logger;
  readonly #telemetry: Telemetry;
  readonly #stores: Stores;
  readonly #sink: EventSink;
  readonly #overflow = new OverflowCounter();
  /** Features switched off at start because this host cannot run them: name -> why. */
  #featuresOff: Record<string, string> = {};
  readonly #run: Running = {};
  readonly #decay: DecaySweep;
  #rulesInstalled = false;
  #stopping = false;
  readonly #timers = new Intervals();
  readonly counters: SharedCounters;
  readonly histograms: SharedHistograms;
  readonly state: SharedState;
  /** The control socket and the HTTP endpoint (health, metrics, the status page). */
  readonly #control: ControlPlane;

  constructor(config: Config, log: Logger, telemetry: Telemetry) {
    this.#config = config;
    this.#log = log;
    this.#telemetry = telemetry;
    this.state = new SharedState(SharedState.create({ maxPeers: config.maxPeers, maxClients: config.maxClients }));
    this.counters = new SharedCounters(SharedCounters.create(config.workers));
    this.histograms = new SharedHistograms(SharedHistograms.create(config.workers));
    this.#stores = new Stores(config, this.state, log);
    this.#sink = new EventSink({ log, tracer: telemetry.tracer, onClientsChanged: () => this.#stores.clientsChanged() });
    this.#control = new ControlPlane({
      config, state: this.state, version: VERSION, counters: this.counters, stores: this.#stores, report: this.#report, log,
      health: { notReadyReason: () => this.notReadyReason(), unhealthyReason: () => this.unhealthyReason(), serveMetrics: (request, response) => telemetry.serveMetrics(request, response) },
    });
    this.#decay = new DecaySweep(this.state, config, (event) => this.#report(event)); // forgotten ones leave the kernel sets too
    telemetry.metrics.source = metricsSource({
      counters: this.counters, protocols: config.protocols, histograms: this.histograms, state: this.state, sink: this.#sink, overflow: this.#overflow, decay: this.#decay,
      featuresOff: () => this.#featuresOff, kernelQueues: () => this.#kernelQueues(),
    }, this.#run);
  }

  /** Every state-change event: logged and counted (the sink), into the kernel sets and the status page. */
  #report = (event: FtEvent): void => {
    this.#sink.report(event);
    this.#run.kernelSets?.take(event);
    this.#control.record(event);
  };

  readonly #kernelQueues = () => kernelQueues(this.#config.queueBase, this.#config.workers);

  /** Runs one startup or shutdown step as a child span of the active one. */
  #step<T>(name: string, run: () => T | Promise<T>): Promise<T> {
    return inStepSpan(this.#telemetry.tracer, name, run);
  }

  notReadyReason(): string | null {
    if (this.#stopping) return 'stopping';
    if (!this.#rulesInstalled) return 'rules not installed';
    if (!this.#run.pool?.allReady) return `${this.#run.pool?.readyCount ?? 0}/${this.#config.workers} workers reading`;
    return null;
  }

  unhealthyReason(): string | null {
    return this.#run.pool && this.#run.pool.readyCount === 0 && !this.#stopping && this.#rulesInstalled ? 'no worker is reading' : null;
  }

  /** Starts everything; throws StartupError (after undoing what it did) when it cannot. */
  start(): Promise<void> {
    return this.#step('ftwall.start', () => this.#start());
  }

  async #start(): Promise<void> {
    const log = this.#log;
    const fitted = await switchOffWhatCannotWork(this.#config, log);
    ({ config: this.#config, featuresOff: this.#featuresOff } = fitted);
    const config = this.#config;
    logConfig(config, log);
    try {
      requireInterfaces(config.lanInterfaces);
      this.#run.lock = await acquireInstanceLock();
      await this.#control.start();
      const backend = await this.#step('ftwall.backend.detect', () => chooseBackend(config.iptables));
      const rules = this.#run.rules = new IptablesRules(backend);
      log.info({ event: 'backend_detected', backend, requested: config.iptables }, `iptables backend ${backend}`);

      await this.#step('ftwall.peer_store.load', () => this.#stores.loadPeers());
      await this.#step('ftwall.client_store.load', () => this.#stores.loadClients());
      if (config.clientDir) this.#sink.useClientDirectory(new ClientDirectory(config.clientDir));
      const lan = lanNetworksLogged(config, log);
      if (fitted.kernelSets) this.#run.kernelSets = await this.#step('ftwall.kernel_sets.install', () => openKernelSets(kernelSetsPlanFor(config), this.state, log));
      const protocols = protocolsFor(config);
      const actions = this.#run.actions = await openActions(config, lan, protocols, fitted.canCutFlows, log);

      const neighbours = this.#run.neighbours = NeighbourWatcher.start(this.state, config.lanInterfaces, log);
      this.#timers.every(NEIGHBOUR_REFRESH_MS, () => neighbours.refresh());
      const pool = this.#run.pool = createWorkerPool(workerInits(config, this.state, this.counters.buffer, this.histograms.buffer, lan), log);
      const dispatcher = new BatchDispatcher({ sink: { report: this.#report }, stores: this.#stores, spoofer: actions.spoofer, flowCutter: actions.flowCutter, log });
      pool.on('batch', (events, spoofs) => dispatcher.dispatch(events, spoofs));
      await this.#step('ftwall.workers.start', () => pool.start());
      log.info({ event: 'workers_up', workers: config.workers, queues: `${config.queueBase}..${config.queueBase + config.workers - 1}` }, 'workers reading their queues');

      const plan = rulePlanFor(config, rules.hasChain('filter', 'DOCKER-USER'), this.#run.kernelSets !== undefined);
      this.#run.groups = await joinGroups(localUdpFor(config).flatMap((local) => (local.group ? [local.group] : [])), config.lanInterfaces, log);
      await this.#step('ftwall.rules.install', () => installRules(rules, plan, log));
      this.#rulesInstalled = true;
      if (actions.flowCutter) await this.#step('ftwall.flows.cut', () => cutFlowsToKnownPeers(actions.flowCutter!, this.state.peers, this.state.pinned, log));

      const watchdog = this.#run.watchdog = new RulesWatchdog({ rules, plan, overflow: this.#overflow, kernelQueues: () => this.#kernelQueues(), log });
      this.#timers.every(RULES_CHECK_INTERVAL_MS, () => { if (!this.#stopping) { watchdog.check(); void this.#run.kernelSets?.check(); } });
      const lockSeconds = lockSecondsFor(config);
      if (anyLocks(lockSeconds)) {
        const keeper = this.#run.lockKeeper = new LockKeeper(this.state, lockSeconds, protocols, { first: config.probePort, count: config.probePorts },
          (ip, port, probe, fromPort) => actions.probes.send(ip, port, probe, fromPort), this.#report);
        this.#timers.every(LockKeeper.intervalMs(lockSeconds), () => keeper.sweep(this.state.ticks()));
      }
      this.#timers.every(1000, () => this.#sink.sweep());
      this.#timers.every(60_000, () => this.#control.sample());
      this.#timers.every(DecaySweep.intervalMs(config), () => { if (this.#decay.sweep(this.state.ticks()).peers > 0) this.#stores.compactPeers('forgotten'); });
      if (this.#stores.keepsClients) this.#timers.every(CLIENT_STORE_SAVE_MS, () => this.#stores.saveClients(false));
      const overload = new OverloadReport({ overflow: this.#overflow, failClosed: config.fail === 'closed', kernelQueues: () => this.#kernelQueues(), log });
      this.#timers.every(OVERLOAD_LOG_INTERVAL_MS, () => { overload.report(); this.#sink.reportSuppressed(); });
      log.info({ event: 'ready', http: `${config.httpAddress.host}:${config.httpAddress.port}` }, 'ready');
    } catch (error) {
      await this.#undoStart();
      const known = [ConfigError, InstanceLockedError, IptablesError, KernelSetsError, QueueOpenError].some((kind) => error instanceof kind);
      throw known ? new StartupError((error as Error).message) : error;
    }
  }

  async #undoStart(): Promise<void> {
    if (this.#rulesInstalled && this.#run.rules) {
      try { this.#run.rules.removeOwned('filter'); } catch { /* reported by stop paths */ }
      this.#rulesInstalled = false;
    }
    await this.#run.kernelSets?.remove();
    await this.#closeAll();
  }

  async #closeAll(): Promise<void> {
    this.#timers.clear();
    await this.#run.pool?.close();
    this.#run.actions?.close();
    this.#run.groups?.close();
    this.#sink.clearClientDirectory();
    await this.#control.close();
    this.#run.lock?.close();
  }

  /** Removes the rules, lets queued packets be decided, closes the workers and sockets. */
  async stop(reason: string): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await this.#step('ftwall.stop', () => this.#stop(reason));
  }

  async #stop(reason: string): Promise<void> {
    const log = this.#log;
    log.info({ event: 'stopping', reason }, `stopping (${reason})`);
    this.#timers.clear();
    if (this.#run.rules && await this.#step('ftwall.rules.remove', () => removeRules(this.#run.rules!, log))) this.#rulesInstalled = false;
    await this.#step('ftwall.kernel_sets.remove', () => this.#run.kernelSets?.remove());
    await this.#step('ftwall.queues.drain', () => drainQueues(() => this.#kernelQueues(), this.#config.drainMilliseconds, log));
    await this.#step('ftwall.workers.stop', () => this.#run.pool?.close());
    this.#stores.saveClients(true);
    this.#sink.endSpans();
    log.info({ event: 'workers_stopped', ...this.counters.verdictTotals(), spoofs: this.#run.actions?.spoofer.counts }, 'workers stopped');
    await this.#closeAll();
  }
}
