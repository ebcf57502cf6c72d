#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
/** `ftwall`: run the daemon (default), print the rules it would install, or explain itself. */
import { askDaemon, ControlError } from './control/channel.ts';
import { cleanup, doctor, formatChecks } from './control/maintenance.ts';
import { formatStatus } from './control/status-text.ts';
import type { StatusReport } from './control/operator.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { SETTINGS } from './config/schema.ts';
import { VERSION } from './config/version.ts';
import { Daemon, StartupError } from './main.ts';
import { rulePlanFor } from './rules/config-plan.ts';
import { IptablesError, chooseBackend, IptablesRules } from './rules/iptables.ts';
import { renderInstall } from './rules/plan.ts';
import { createLogger } from './telemetry/logger.ts';
import { startTelemetry } from './telemetry/otel.ts';

/** Longest a stopping ftwall waits for its last telemetry export (the rules are already gone). */
const TELEMETRY_FLUSH_MS = 1000;

export function helpText(): string {
  const width = Math.max(...Object.values(SETTINGS).map((setting) => setting.env.length));
  const settings = Object.values(SETTINGS).map((setting) => {
    const fallback = setting.default === '' ? '(required)' : `(default ${setting.default})`;
    return `  ${setting.env.padEnd(width)}  ${setting.doc} ${fallback}`;
  });
  return [
    `ftwall ${VERSION}: stops FastTrack (Kazaa, KazaaLite, iMesh, Grokster) clients on the LAN from reaching peers outside.`,
    '',
    'Usage:',
    '  ftwall [run]     run the daemon: install its iptables NFQUEUE rules, decide queued packets,',
    '                   remove the rules on SIGTERM/SIGINT',
    '  ftwall rules     print the exact rules it would install (iptables-restore --noflush input); changes nothing',
    '  ftwall status [--json]   ask the running daemon: hosts identified and locked (time left, why), peers, packets',
    '  ftwall unlock HOST       end the locks of that LAN host (IP) and forget it as a client (logged, saved)',
    '  ftwall forget PEER       forget a peer, ip:port or ip (learned, confirmed or your own in peers.txt; logged, saved)',
    '  ftwall cleanup           remove every rule, table and socket a crashed run left (refuses while one runs)',
    '  ftwall doctor            check this host: capabilities, ip_forward, interfaces, iptables backend, modules,',
    '                           conntrack, nftables, the state directory; one line each, with the fix',
    '  ftwall --help    this text',
    '  ftwall --version',
    '',
    'Configuration (environment variables):',
    ...settings,
    '',
    'OpenTelemetry: the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL',
    '(default http/protobuf), OTEL_SERVICE_NAME (default ftwall), OTEL_TRACES_SAMPLER, OTEL_TRACES_EXPORTER,',
    'OTEL_METRICS_EXPORTER, OTEL_METRIC_EXPORT_INTERVAL, OTEL_LOGS_EXPORTER, OTEL_SDK_DISABLED, ...).',
    '',
    'Exit codes: 0 stopped cleanly, 1 failed while running, 2 bad configuration or cannot start (nothing installed).',
    'Needs CAP_NET_ADMIN and CAP_NET_RAW (root, or a privileged container with host networking).',
  ].join('\n');
}

function printRules(): number {
  const config = loadConfig();
  let backend = config.iptables === 'auto' ? 'auto' : config.iptables;
  let dockerUser = false;
  try {
    // Read-only: iptables-save to pick the backend and see whether DOCKER-USER exists.
    const chosen = chooseBackend(config.iptables);
    backend = chosen;
    dockerUser = new IptablesRules(chosen).hasChain('filter', 'DOCKER-USER');
  } catch (error) {
    if (!(error instanceof IptablesError)) throw error;
  }
  // As installed on a host with nftables (kernel sets on): its table pre-matches UDP shapes.
  const plan = rulePlanFor(config, dockerUser, true);
  const tool = backend === 'auto' ? 'iptables-restore' : `iptables-${backend}-restore`;
  process.stdout.write(`# ftwall ${VERSION}: applied with \`${tool} --noflush\` after removing any FTWALL-* leftovers\n`);
  process.stdout.write(renderInstall(plan));
  return 0;
}

async function runDaemon(): Promise<number> {
  // OpenTelemetry first, so that everything after it is traced and measured.
  const telemetry = await startTelemetry(VERSION);
  try {
    return await runWithTelemetry(telemetry);
  } finally {
    // Bounded: an unreachable collector must not hold up the exit.
    await Promise.race([telemetry.shutdown().catch(() => {}), new Promise((resolve) => setTimeout(resolve, TELEMETRY_FLUSH_MS).unref())]);
  }
}

async function runWithTelemetry(telemetry: Awaited<ReturnType<typeof startTelemetry>>): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { otlp: config.otlpLogs });
  const daemon = new Daemon(config, log, telemetry);
  let stopped: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => { stopped = resolve; });
  const stop = (reason: string, code: number) => {
    daemon.stop(reason).then(() => stopped(code), (error: Error) => {
      log.fatal({ event: 'stop_failed', error: error.message }, 'stop failed');
      stopped(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM', 0));
  process.once('SIGINT', () => stop('SIGINT', 0));
  process.on('uncaughtException', (error) => {
    log.fatal({ event: 'crash', error: error.stack }, 'unexpected error; removing rules and exiting');
    stop('crash', 1);
  });
  try {
    await daemon.start();
  } catch (error) {
    if (error instanceof StartupError) {
      log.fatal({ event: 'start_failed', error: error.message }, error.message);
      process.stderr.write(`ftwall: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return done;
}

/** FTWALL_CONTROL_SOCKET alone (the commands that talk to a daemon need no other setting). */
function controlSocketPath(): string {
  const setting = SETTINGS.controlSocket;
  const path = setting.parse(process.env[setting.env] ?? setting.default);
  if (!path) throw new ConfigError(`${setting.env} is empty: this daemon has no control channel`);
  return path;
}

/** status, unlock, forget: one request to the running daemon over its control socket. */
async function control(command: string, args: string[]): Promise<number> {
  const json = args.includes('--json');
  const operands = args.filter((arg) => arg !== '--json');
  if (command !== 'status' && operands.length !== 1) {
    process.stderr.write(`ftwall: usage: ftwall ${command} ${command === 'unlock' ? 'HOST' : 'PEER'}\n`);
    return 2;
  }
  try {
    const result = await askDaemon(controlSocketPath(), command, operands);
    process.stdout.write(`${json || command !== 'status' ? JSON.stringify(result, null, json ? 2 : 0) : formatStatus(result as StatusReport)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    process.stderr.write(`ftwall: ${error.message}\n`);
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'run';
  try {
    switch (command) {
      case '--help': case '-h': case 'help':
        process.stdout.write(`${helpText()}\n`);
        return 0;
      case '--version': case '-v':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case 'rules':
        return printRules();
      case 'status': case 'unlock': case 'forget':
        return await control(command, argv.slice(1));
      case 'cleanup': {
        const lines = await cleanup(controlSocketPath());
        process.stdout.write(`${lines.length > 0 ? lines.join('\n') : 'nothing of ftwall was left'}\n`);
        return 0;
      }
      case 'doctor': {
        const checks = await doctor(loadConfig());
        process.stdout.write(`${formatChecks(checks)}\n`);
        return checks.every((check) => check.ok) ? 0 : 1;
      }
      case 'run':
        return await runDaemon();
      default:
        process.stderr.write(`ftwall: unknown command "${command}" (try ftwall --help)\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ftwall: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

// Explicit exit: everything was closed and flushed above; no exporter socket may keep a stopped daemon alive.
process.exit(await main(process.argv.slice(2)));
