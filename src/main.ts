// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The daemon: wires config, rules, worker pool, state, actions and telemetry together.
 * Start: instance lock -> HTTP -> backend -> peer store loaded -> raw and probe sockets -> workers
 * bind their queues -> leftovers removed and rules installed -> ready.
 * Stop: rules removed first -> queued packets drained -> workers closed -> sockets closed -> exit 0.
 */
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { readKernelQueueStats, type KernelQueueStats } from 'nfqueue-bindings';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type http from 'node:http';
import type net from 'node:net';
import { FlowCutter } from './actions/flow-cutter.ts';
import { LockKeeper } from './actions/lock-keeper.ts';
import { ProbeSocket } from './actions/prober.ts';
import { Spoofer, openRawSender } from './actions/spoofer.ts';
import { ConfigError, describeConfig, unknownVariables } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { CidrList, parseCidr } from './core/cidr.ts';
import { ipToString } from './core/packet.ts';
import type { ProtocolModule } from './core/protocol.ts';
import { createProtocols } from './core/protocols/index.ts';
import type { WorkerInit } from './pool/messages.ts';
import { QueueOpenError, WorkerPool } from './pool/pool.ts';
import { IptablesError, IptablesRules, chooseBackend } from './rules/iptables.ts';
import { planRules, type TablePlan } from './rules/plan.ts';
import { StateWriter, type SpoofRequest } from './state/apply.ts';
import { ClientDirectory } from './state/client-dir.ts';
import { ClientStore, restoreClients, snapshotClients } from './state/client-store.ts';
import { PeerStore, peerLine } from './state/peer-store.ts';
import { Peer, PeerSource, SharedState } from './state/shared-state.ts';
import { acquireInstanceLock, InstanceLockedError } from './system/instance-lock.ts';
import { ipv4Addresses, missingInterfaces } from './system/interfaces.ts';
import { SharedCounters } from './telemetry/counters.ts';
import { Episodes } from './telemetry/episodes.ts';
import { EventLimiter } from './telemetry/event-limiter.ts';
import { EVENT_MESSAGES, type FtEvent } from './telemetry/events.ts';
import { SharedHistograms } from './telemetry/histograms.ts';
import { OverflowCounter } from './queue/overflow.ts';
import { startHttpServer } from './telemetry/http.ts';
import type { Logger } from './telemetry/logger.ts';
import type { Telemetry } from './telemetry/otel.ts';

/** How often the rules checker verifies that our rules are still in place. */
const RULES_CHECK_INTERVAL_MS = 2000;
/** At most one overload warning per this many ms (the metric counts every packet). */
const OVERLOAD_LOG_INTERVAL_MS = 10_000;
/** Poll interval while waiting for the kernel queues to empty on stop. */
const DRAIN_POLL_MS = 10;
/** State-change log lines of one kind per second at most; the rest are counted and summarised. */
const EVENT_LINES_PER_SECOND = 50;
/** The peer store is rewritten from memory when it reaches this many lines per remembered peer. */
const PEER_STORE_LINES_PER_PEER = 2;
/** How often the client store is rewritten when clients or locks changed. */
const CLIENT_STORE_SAVE_MS = 5000;
/** Events that change nothing the client store keeps. */
const PEER_EVENTS = new Set(['peer_learned', 'peer_confirmed', 'safety_net_hit', 'probe_sent']);

/** The protocol modules, in order (their index is the protocol id in the shared state). */
const PROTOCOL_NAMES = ['fasttrack'];

/** A failure before ftwall was running: reported in one line, exit code 2, nothing left installed. */
export class StartupError extends Error {
  readonly exitCode = 2;
}

const workerUrl = new URL(`./pool/worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** The protocol modules ftwall runs (FastTrack). */
export function protocolsFor(config: Config): ProtocolModule[] {
  return createProtocols(PROTOCOL_NAMES, { networkNames: config.networkNames });
}

export function rulePlanFor(config: Config, dockerUser: boolean): TablePlan {
  return planRules({
    tcpMarkers: protocolsFor(config).flatMap((module) => module.tcpMarkers),
    lanInterfaces: config.lanInterfaces, queueBase: config.queueBase, workers: config.workers,
    mark: config.mark, probePort: config.probePort, dockerUser, safetyNet: config.safetyNet,
    bypassMark: config.flowBypass ? config.bypassMark : 0,
    failClosed: config.fail === 'closed',
  });
}

export function workerInits(config: Config, state: SharedState, counters: SharedArrayBuffer, histograms: SharedArrayBuffer, lan: CidrList): WorkerInit[] {
  return Array.from({ length: config.workers }, (_, index) => ({
    index,
    queue: config.queueBase + index,
    batchSize: config.batchSize,
    copyRange: config.queueCopyBytes,
    maxLength: config.queueMaxLength,
    socketBufferBytes: config.socketBufferBytes,
    mark: config.mark,
    bypassMark: config.flowBypass ? config.bypassMark : 0,
    failClosed: config.fail === 'closed',
    policy: {
      protocols: [...PROTOCOL_NAMES],
      networkNames: config.networkNames,
      blockUdp: config.blockUdp,
      lockSeconds: config.lockSeconds,
      probePort: config.probePort,
      exempt: config.exempt.entries.map((entry) => entry.text).join(','),
      lanNetworks: lan.entries.map((entry) => entry.text).join(','),
      neverPeer: config.neverPeer.entries.map((entry) => entry.text).join(','),
      peerQuorum: config.peerQuorum,
      safetyNet: config.safetyNet,
      monitor: config.mode === 'monitor',
    },
    state: state.init,
    counters,
    histograms,
  }));
}

/**
 * The LAN hosts' networks (FTWALL_LAN_NETWORKS, else the LAN interfaces' own IPv4 networks): only
 * their packets change state, and spoofed replies and probes go only there.
 */
export function lanNetworks(config: Config): CidrList {
  if (config.lanNetworks.size > 0) return config.lanNetworks;
  return new CidrList(config.lanInterfaces.flatMap((name) => ipv4Addresses(name).map((a) => parseCidr(`${a.address}/${a.prefixLength}`))));
}

export class Daemon {
  /** As configured, less what this host cannot do (see #switchOffWhatCannotWork). */
  #config: Config;
  readonly #log: Logger;
  #lock: net.Server | undefined;
  #http: http.Server | undefined;
  #pool: WorkerPool | undefined;
  #rules: IptablesRules | undefined;
  #plan: TablePlan | undefined;
  #spoofer: Spoofer | undefined;
  #probes: ProbeSocket | undefined;
  #peerStore: PeerStore | undefined;
  #clientStore: ClientStore | undefined;
  #clientsChanged = false;
  #clientDir: ClientDirectory | undefined;
  #lockKeeper: LockKeeper | undefined;
  #flowCutter: FlowCutter | undefined;
  /** Features switched off at start because this host cannot run them: name -> why. */
  readonly #featuresOff: Record<string, string> = {};
  #rulesInstalled = false;
  #stopping = false;
  #timers: NodeJS.Timeout[] = [];
  #probeAnswers = 0;
  readonly #eventLimiter = new EventLimiter(EVENT_LINES_PER_SECOND);
  readonly #telemetry: Telemetry;
  readonly #episodes: Episodes;
  readonly counters: SharedCounters;
  readonly histograms: SharedHistograms;
  readonly state: SharedState;

  constructor(config: Config, log: Logger, telemetry: Telemetry) {
    this.#config = config;
    this.#log = log;
    this.#telemetry = telemetry;
    this.#episodes = new Episodes(telemetry.tracer);
    this.state = new SharedState(SharedState.create({ maxPeers: config.maxPeers, maxClients: config.maxClients }));
    this.counters = new SharedCounters(SharedCounters.create(config.workers));
    this.histograms = new SharedHistograms(SharedHistograms.create(config.workers));
    telemetry.metrics.source = {
      counters: this.counters,
      histograms: this.histograms,
      peersKnown: () => this.state.peers.stats().entries,
      clientsLocked: () => this.#lockKeeper?.lockedCount ?? 0,
      spoofs: () => ({ ...(this.#spoofer?.counts ?? {}) }),
      probes: () => ({ ...(this.#probes?.counts ?? {}) }),
      probeAnswers: () => this.#probeAnswers,
      eventsSuppressed: () => this.#eventLimiter.total,
      kernelQueues: () => this.#kernelQueues(),
      queueOverflow: () => this.#overflow.total,
      flowCuts: () => ({ ...(this.#flowCutter?.counts ?? {}) }),
      featuresOff: () => Object.keys(this.#featuresOff),
    };
  }

  #kernelQueues(): KernelQueueStats[] {
    const first = this.#config.queueBase;
    const last = first + this.#config.workers - 1;
    return readKernelQueueStats().filter((stats) => stats.queue >= first && stats.queue <= last);
  }

  serveMetrics(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.#telemetry.serveMetrics(request, response);
  }

  /** Runs one startup or shutdown step as a child span of the active one. */
  async #step<T>(name: string, run: () => T | Promise<T>): Promise<T> {
    return this.#telemetry.tracer.startActiveSpan(name, async (span) => {
      try {
        return await run();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  notReadyReason(): string | null {
    if (this.#stopping) return 'stopping';
    if (!this.#rulesInstalled) return 'rules not installed';
    if (!this.#pool?.allReady) return `${this.#pool?.readyCount ?? 0}/${this.#config.workers} workers reading`;
    return null;
  }

  unhealthyReason(): string | null {
    return this.#pool && this.#pool.readyCount === 0 && !this.#stopping && this.#rulesInstalled ? 'no worker is reading' : null;
  }

  /** Starts everything; throws StartupError (after undoing what it did) when it cannot. */
  start(): Promise<void> {
    return this.#step('ftwall.start', () => this.#start());
  }

  async #start(): Promise<void> {
    const log = this.#log;
    await this.#switchOffWhatCannotWork();
    const config = this.#config;
    for (const name of unknownVariables()) log.warn({ event: 'config_unknown_variable', variable: name }, `unknown variable ${name} (typo?) is ignored`);
    log.info({ event: 'config', config: describeConfig(config) }, 'configuration');
    if (config.fail === 'closed') {
      log.warn({ event: 'fail_closed' }, 'FTWALL_FAIL=closed: while ftwall is stopped, crashed or overloaded, queued LAN traffic is DROPPED, not passed');
    }
    if (config.mode === 'monitor') log.warn({ event: 'monitor_mode' }, 'FTWALL_MODE=monitor: deciding and logging only, every packet is accepted');
    try {
      const missing = missingInterfaces(config.lanInterfaces);
      if (missing.length > 0) throw new ConfigError(`FTWALL_LAN_INTERFACE: no such interface: ${missing.join(', ')}`);
      this.#lock = await acquireInstanceLock();
      this.#http = await startHttpServer(config.httpAddress, this).catch((error: Error) => {
        throw new ConfigError(`FTWALL_HTTP_ADDRESS: cannot listen on ${config.httpAddress.host}:${config.httpAddress.port}: ${error.message}`);
      });
      const backend = await this.#step('ftwall.backend.detect', () => chooseBackend(config.iptables));
      this.#rules = new IptablesRules(backend);
      log.info({ event: 'backend_detected', backend, requested: config.iptables }, `iptables backend ${backend}`);

      await this.#step('ftwall.peer_store.load', () => this.#loadPeerStore());
      await this.#step('ftwall.client_store.load', () => this.#loadClientStore());
      if (config.clientDir) this.#clientDir = new ClientDirectory(config.clientDir);
      const lan = lanNetworks(config);
      if (lan.size === 0) log.warn({ event: 'lan_without_ipv4', interfaces: config.lanInterfaces }, 'the LAN interfaces have no IPv4 address and FTWALL_LAN_NETWORKS is empty: FastTrack is still dropped, but no client is identified or locked');
      else log.info({ event: 'lan_networks', networks: lan.entries.map((entry) => entry.text) }, 'LAN networks');
      const protocols = protocolsFor(config);
      this.#spoofer = new Spoofer({
        protocols, lanNetworks: lan, ratePerSecond: config.spoofRate, mark: config.mark, socket: await openRawSender(),
        onError: (error) => log.debug({ event: 'spoof_send_failed', error: error.message }, 'spoofed pong not sent'),
      });
      if (config.flowBypass) this.#flowCutter = new FlowCutter((message) => log.error({ event: 'flow_cut_failed' }, message));
      this.#probes = await ProbeSocket.open({ port: config.probePort, lanNetworks: lan, ratePerSecond: config.spoofRate }).catch((error: Error) => {
        throw new ConfigError(`FTWALL_PROBE_PORT: cannot bind UDP port ${config.probePort}: ${error.message}`);
      });

      this.#pool = new WorkerPool({ inits: workerInits(config, this.state, this.counters.buffer, this.histograms.buffer, lan), workerUrl });
      this.#pool.on('died', (queue, exitCode, error) => log.error({ event: 'worker_died', queue, exit_code: exitCode, error }, `worker of queue ${queue} died; restarting (its queue passes traffic meanwhile)`));
      this.#pool.on('ready', (queue, restarts) => { if (restarts > 0) log.warn({ event: 'worker_restarted', queue, restarts }, `worker of queue ${queue} restarted`); });
      this.#pool.on('failed', (queue, message) => log.error({ event: 'worker_restart_failed', queue, error: message }, `worker of queue ${queue} could not restart`));
      this.#pool.on('batch', (events, spoofs) => this.#onBatch(events, spoofs));
      await this.#step('ftwall.workers.start', () => this.#pool!.start());
      log.info({ event: 'workers_up', workers: config.workers, queues: `${config.queueBase}..${config.queueBase + config.workers - 1}` }, 'workers reading their queues');

      this.#plan = rulePlanFor(config, this.#rules.hasChain('filter', 'DOCKER-USER'));
      const leftovers = await this.#step('ftwall.rules.install', () => this.#rules!.install(this.#plan!));
      this.#rulesInstalled = true;
      if (leftovers > 0) log.warn({ event: 'leftovers_removed', count: leftovers }, `removed ${leftovers} leftover chains/rules of an earlier run`);
      log.info({ event: 'rules_installed', backend, chains: this.#plan.chains, rules: this.#plan.rules.length, jumps: this.#plan.jumps.length }, 'rules installed');

      this.#every(RULES_CHECK_INTERVAL_MS, () => this.#checkRules());
      if (config.lockSeconds > 0) {
        const probes = this.#probes;
        const keeper = new LockKeeper(this.state, config.lockSeconds, protocols, (ip, port, ping) => probes.send(ip, port, ping), (event) => this.#report(event));
        this.#lockKeeper = keeper;
        this.#every(LockKeeper.intervalMs(config.lockSeconds), () => keeper.sweep(this.state.ticks()));
      }
      this.#every(1000, () => this.#episodes.sweep());
      if (this.#clientStore) this.#every(CLIENT_STORE_SAVE_MS, () => this.#saveClients(false));
      this.#every(OVERLOAD_LOG_INTERVAL_MS, () => {
        this.#reportOverload();
        this.#reportSuppressed();
      });
      log.info({ event: 'ready', http: `${config.httpAddress.host}:${config.httpAddress.port}` }, 'ready');
    } catch (error) {
      await this.#undoStart();
      if (error instanceof ConfigError || error instanceof InstanceLockedError || error instanceof IptablesError || error instanceof QueueOpenError) {
        throw new StartupError(error.message);
      }
      throw error;
    }
  }

  /**
   * Flow bypass is safe only while ftwall can cut a bypassed flow whose peer it learns later
   * (conntrack over netlink). A host without that runs with bypass off (every packet decided):
   * slower, never less safe. Said in a warning and the `ftwall.feature.off` metric.
   */
  async #switchOffWhatCannotWork(): Promise<void> {
    if (!this.#config.flowBypass) return;
    const reason = await FlowCutter.check();
    if (reason === null) return;
    this.#featuresOff.flow_bypass = reason;
    this.#config = Object.freeze({ ...this.#config, flowBypass: false });
    this.#log.warn({ event: 'feature_off', feature: 'flow_bypass', error: reason },
      `flow bypass switched off: conntrack entries cannot be deleted on this host (${reason}); every packet of every LAN flow is decided instead`);
  }

  readonly #overflow = new OverflowCounter();
  #overflowReported = 0;

  /** Logs, at a bounded rate, packets that ftwall's rules sent to a queue that could not take them. */
  #reportOverload(): void {
    const overflow = this.#overflow.total;
    if (overflow <= this.#overflowReported) return;
    const fresh = overflow - this.#overflowReported;
    this.#overflowReported = overflow;
    const fate = this.#config.fail === 'closed' ? 'were dropped' : 'passed undecided';
    this.#log.warn({ event: 'overload', overflow: fresh, overflow_total: overflow, queues: this.#kernelQueues() },
      `overloaded: ${fresh} packets ${fate} since the last report (queue full or socket overrun)`);
  }

  /** Says how many state-change lines the rate limit held back since the last report. */
  #reportSuppressed(): void {
    const counts = this.#eventLimiter.takeSuppressed();
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    if (total > 0) this.#log.warn({ event: 'events_suppressed', counts }, `${total} state-change log lines not written (over ${EVENT_LINES_PER_SECOND}/s per kind); metrics count them all`);
  }

  #every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  #loadPeerStore(): void {
    if (!this.#config.stateDir) return;
    this.#peerStore = new PeerStore(join(this.#config.stateDir, 'peers.txt'), Math.max(1024, PEER_STORE_LINES_PER_PEER * this.#config.maxPeers));
    const loaded = this.#peerStore.load();
    const writer = new StateWriter(this.state, this.#config.lockSeconds, this.#config.peerQuorum);
    const now = this.state.ticks();
    const neverPeer = this.#config.neverPeer;
    for (const peer of loaded.peers) {
      if (!neverPeer.contains(peer.ip)) writer.learnPeer(peer.ip, peer.port, 0, 0, PeerSource.STORE | (peer.confirmed ? PeerSource.CONFIRMED : 0), now);
    }
    for (const skipped of loaded.skipped) {
      this.#log.warn({ event: 'peer_store_line_skipped', path: this.#peerStore.path, line: skipped.line, text: skipped.text }, `peer store line ${skipped.line} skipped: not ip:port`);
    }
    this.#log.info({ event: 'peer_store_loaded', path: this.#peerStore.path, peers: loaded.peers.length }, `loaded ${loaded.peers.length} peers`);
  }

  #loadClientStore(): void {
    if (!this.#config.stateDir) return;
    const store = new ClientStore(join(this.#config.stateDir, 'clients.json'));
    this.#clientStore = store;
    try {
      const restored = restoreClients(this.state, store.load(), Date.now());
      this.#log.info({ event: 'client_store_loaded', path: store.path, ...restored }, `restored ${restored.clients} clients (${restored.locked} still locked)`);
    } catch (error) {
      this.#log.warn({ event: 'client_store_unreadable', path: store.path, error: (error as Error).message }, 'client store unreadable: starting without its clients (it is rewritten)');
    }
  }

  /** Writes the client store when clients or locks changed (always when `final`). */
  #saveClients(final: boolean): void {
    if (!this.#clientStore || (!this.#clientsChanged && !final)) return;
    this.#clientsChanged = false;
    try {
      this.#clientStore.save(snapshotClients(this.state, this.state.ticks()));
    } catch (error) {
      this.#log.error({ event: 'client_store_write_failed', error: (error as Error).message }, 'could not write the client store');
    }
  }

  /** The events and spoof requests of one worker batch. */
  #onBatch(events: FtEvent[], spoofs: SpoofRequest[]): void {
    const storeLines: string[] = [];
    for (const event of events) {
      this.#report(event);
      if (event.event === 'peer_learned' || event.event === 'peer_confirmed') {
        const confirmed = event.event === 'peer_confirmed' || event.confirmed === true;
        storeLines.push(peerLine(String(event.dest_ip), Number(event.dest_port), confirmed));
        this.#flowCutter?.cut(String(event.dest_ip), Number(event.dest_port));
      }
    }
    if (storeLines.length > 0) this.#appendToPeerStore(storeLines);
    for (const request of spoofs) {
      if (this.#spoofer?.send(request) === 'sent') {
        this.#log.debug({ event: 'pong_spoofed', src_ip: ipToString(request.peerIp), src_port: request.peerPort, dest_ip: ipToString(request.clientIp), dest_port: request.clientPort, proto: 'UDP' }, EVENT_MESSAGES.pong_spoofed);
      }
    }
  }

  #appendToPeerStore(lines: string[]): void {
    const store = this.#peerStore;
    if (!store) return;
    try {
      store.append(lines);
      if (store.full) {
        // Bounded on disk as in memory: keep what the tables still remember.
        const peers = this.state.peers;
        const kept: string[] = [];
        peers.forEach((slot, ip, port) => kept.push(peerLine(ipToString(ip), port, (peers.get(slot, Peer.sources) & PeerSource.CONFIRMED) !== 0)));
        store.rewrite(kept);
        this.#log.info({ event: 'peer_store_compacted', path: store.path, peers: kept.length }, `peer store rewritten with the ${kept.length} peers in memory`);
      }
    } catch (error) {
      this.#log.error({ event: 'peer_store_write_failed', error: (error as Error).message }, 'could not write the peer store');
    }
  }

  /** Logs one state-change event inside its span (at a bounded rate per kind), and keeps the client directory in step. */
  #report(event: FtEvent): void {
    if (event.event === 'probe_answered') this.#probeAnswers++;
    if (!PEER_EVENTS.has(event.event)) this.#clientsChanged = true;
    const span: Span | undefined = this.#episodes.onEvent(event);
    if (this.#eventLimiter.admit(event.event)) {
      const log = () => this.#log.info(event, EVENT_MESSAGES[event.event]);
      if (span) context.with(trace.setSpan(context.active(), span), log);
      else log();
    }
    if (!this.#clientDir) return;
    if (event.event === 'client_identified') this.#clientDir.add(event.src_ip, { mac: event.src_mac, port: event.src_port });
    else if (event.event === 'lock_expired') this.#clientDir.remove(event.src_ip);
  }

  #checkRules(): void {
    if (!this.#rules || !this.#plan || this.#stopping) return;
    try {
      const { installed, queuedByRules } = this.#rules.check(this.#plan);
      this.#overflow.update(queuedByRules, this.#kernelQueues());
      if (installed) return;
      this.#rules.install(this.#plan);
      this.#log.warn({ event: 'rules_reinstalled' }, 'ftwall rules were changed or removed by someone else; reinstalled');
    } catch (error) {
      this.#log.error({ event: 'rules_check_failed', error: (error as Error).message }, 'rules check failed');
    }
  }

  async #undoStart(): Promise<void> {
    if (this.#rulesInstalled && this.#rules) {
      try { this.#rules.removeOwned('filter'); } catch { /* reported by stop paths */ }
      this.#rulesInstalled = false;
    }
    await this.#closeAll();
  }

  async #closeAll(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    await this.#pool?.close();
    this.#spoofer?.close();
    this.#probes?.close();
    this.#clientDir?.clear();
    await new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve()));
    this.#http?.closeAllConnections();
    this.#lock?.close();
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
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    if (this.#rules) {
      try {
        const removed = await this.#step('ftwall.rules.remove', () => this.#rules!.removeOwned('filter'));
        this.#rulesInstalled = false;
        log.info({ event: 'rules_removed', count: removed }, 'rules removed');
      } catch (error) {
        log.error({ event: 'rules_remove_failed', error: (error as Error).message }, 'could not remove rules');
      }
    }
    await this.#step('ftwall.queues.drain', () => this.#drain());
    await this.#step('ftwall.workers.stop', () => this.#pool?.close());
    this.#saveClients(true);
    this.#episodes.endAll();
    log.info({
      event: 'workers_stopped', ...this.counters.verdictTotals(),
      spoofs: this.#spoofer?.counts,
    }, 'workers stopped');
    await this.#closeAll();
  }

  /** Waits until the kernel holds no packet in our queues (or FTWALL_DRAIN_MS passes). */
  async #drain(): Promise<void> {
    const deadline = Date.now() + this.#config.drainMilliseconds;
    for (;;) {
      const waiting = this.#kernelQueues().reduce((sum, stats) => sum + stats.queueTotal, 0);
      if (waiting === 0) return;
      if (Date.now() >= deadline) {
        this.#log.warn({ event: 'drain_timeout', waiting }, `${waiting} packets still queued at stop`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }
}
