// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Where the running daemon is asked from outside, in one object: the control socket (`ftwall
 * status`, `unlock`, `forget`, answered by control/operator.ts) and the HTTP endpoint
 * (telemetry/http.ts: health, metrics, and with FTWALL_STATUS_PAGE the status page and its
 * report), with the page's memory (control/history.ts: packets per minute, the last events). The
 * daemon starts it, hands it every state-change event (record) and a sample a minute, and closes it.
 */
import type http from 'node:http';
import type net from 'node:net';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { FtEvent } from '../core/events.ts';
import type { SharedState } from '../state/shared-state.ts';
import type { Stores } from '../state/stores.ts';
import type { SharedCounters } from '../telemetry/counters.ts';
import { startHttpServer, type HttpSources } from '../telemetry/http.ts';
import type { Logger } from '../telemetry/logger.ts';
import { closeControl, serveControl } from './channel.ts';
import { HistoryRecorder } from './history.ts';
import { Operator, packetsByReason, type StatusReport } from './operator.ts';
import { renderStatusPage } from './status-page.ts';

export interface ControlPlaneOptions {
  /** FTWALL_CONTROL_SOCKET (empty: no control channel), FTWALL_HTTP_ADDRESS, FTWALL_STATUS_PAGE. */
  config: Pick<Config, 'protocols' | 'controlSocket' | 'httpAddress' | 'statusPage'>;
  state: SharedState;
  version: string;
  /** The workers' counters: packets by reason for the report, verdict totals for the chart. */
  counters: SharedCounters;
  /** The daemon's health and metrics, served over HTTP. */
  health: Omit<HttpSources, 'statusPage' | 'statusReport'>;
  /** Takes the events of an operator's change (log, kernel sets, client directory, the page). */
  report: (event: FtEvent) => void;
  /** Where an operator's changes are made durable at once: the client store, the peer store. */
  stores: Pick<Stores, 'saveClients' | 'compactPeers'>;
  log: Logger;
}

export class ControlPlane {
  readonly #o: ControlPlaneOptions;
  /** Packets per minute and the last events, for the status page. */
  readonly #history: HistoryRecorder;
  /** The operator's commands (control socket) and the status page's report. */
  readonly #operator: Operator;
  #server: net.Server | undefined;
  #http: http.Server | undefined;

  constructor(options: ControlPlaneOptions, startedMs = Date.now()) {
    const { state, version, counters, stores, report } = options;
    this.#o = options;
    this.#history = new HistoryRecorder(() => counters.verdictTotals());
    this.#operator = new Operator({
      state, protocols: options.config.protocols, version, startedMs, report,
      saveClients: () => stores.saveClients(true), compactPeers: (why) => stores.compactPeers(why),
      packets: () => packetsByReason((reason, dropped) => counters.reasonTotal(reason, dropped)),
    });
  }

  /** Listens on the control socket, if one is configured, then on HTTP (ConfigError when it cannot). */
  async start(): Promise<void> {
    const { config: { controlSocket: path, httpAddress: address, statusPage }, log } = this.#o;
    if (path) {
      // Not a reason to leave the LAN unprotected: without it only the operator commands are missing.
      this.#server = await serveControl(path, (request) => this.#operator.handle(request)).catch((error: Error) => {
        log.warn({ event: 'control_unavailable', path, error: error.message }, `no control channel (ftwall status, unlock, forget will not reach this daemon): cannot listen on ${path}: ${error.message}`);
        return undefined;
      });
    }
    const pages = statusPage ? { statusPage: () => this.statusPage(), statusReport: () => this.status() } : {};
    this.#http = await startHttpServer(address, { ...this.#o.health, ...pages }).catch((error: Error) => {
      throw new ConfigError(`FTWALL_HTTP_ADDRESS: cannot listen on ${address.host}:${address.port}: ${error.message}`);
    });
  }

  /** Stops serving HTTP (open connections too), then the control socket. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve()));
    this.#http?.closeAllConnections();
    closeControl(this.#server, this.#o.config.controlSocket);
    this.#server = undefined;
  }

  /** The report `ftwall status` prints and /status.json serves. */
  status(): StatusReport {
    return this.#operator.status();
  }

  /** The status page (HTML). */
  statusPage(): string {
    return renderStatusPage(this.status(), this.#history.snapshot());
  }

  /** A state-change event, for the page's list of the last ones. */
  record(event: FtEvent): void {
    this.#history.record(event);
  }

  /** Once a minute: the packets decided since the last sample, for the page's chart. */
  sample(): void {
    this.#history.sample();
  }
}
