// SPDX-License-Identifier: GPL-2.0-or-later
/** Reads the environment through convict into a frozen Config, or fails with one clear line; logConfig() reports it at start. */
import convict from 'convict';
import type { Logger } from '../telemetry/logger.ts';
import { SETTINGS, type Config, type SettingKey } from './schema.ts';

/** A configuration problem: `message` is one line naming the variable. Exit code 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];

function buildSchema(): convict.Schema<Record<SettingKey, unknown>> {
  const schema: Record<string, convict.SchemaObj> = {};
  for (const key of KEYS) {
    const setting = SETTINGS[key];
    schema[key] = {
      doc: setting.doc,
      env: setting.env,
      default: setting.default,
      // Validation happens in loadConfig with our own parsers, which name the variable.
      format: (value: unknown) => void value,
    };
  }
  return schema as convict.Schema<Record<SettingKey, unknown>>;
}

/** Loads and validates every FTWALL_* setting from `env`. Throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const store = convict(buildSchema(), { env, args: [] });
  const values: Record<string, unknown> = {};
  for (const key of KEYS) {
    const setting = SETTINGS[key];
    try {
      values[key] = setting.parse(store.get(key));
    } catch (error) {
      throw new ConfigError(`${setting.env}: ${(error as Error).message}`);
    }
  }
  store.validate({ allowed: 'strict' });
  if ((values.probePort as number) + (values.probePorts as number) - 1 > 65535) {
    throw new ConfigError(`FTWALL_PROBE_PORTS: FTWALL_PROBE_PORT + FTWALL_PROBE_PORTS - 1 must be a port (at most 65535), not ${(values.probePort as number) + (values.probePorts as number) - 1}`);
  }
  if (values.mark === values.bypassMark) throw new ConfigError(`FTWALL_BYPASS_MARK: must differ from FTWALL_MARK (both ${String(env.FTWALL_MARK ?? SETTINGS.mark.default)})`);
  return Object.freeze(values) as Config;
}

/** FTWALL_* variables in `env` that no setting reads: likely typos. */
export function unknownVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set<string>(KEYS.map((key) => SETTINGS[key].env));
  return Object.keys(env).filter((name) => name.startsWith('FTWALL_') && !known.has(name)).sort();
}

/** The configuration as the operator would write it (for the startup log line). */
export function describeConfig(config: Config): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const key of KEYS) summary[SETTINGS[key].env] = config[key];
  return summary;
}

/** The startup lines about the configuration: unknown FTWALL_* variables, the settings, and fail-closed or monitor mode. */
export function logConfig(config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): void {
  for (const name of unknownVariables(env)) log.warn({ event: 'config_unknown_variable', variable: name }, `unknown variable ${name} (typo?) is ignored`);
  log.info({ event: 'config', config: describeConfig(config) }, 'configuration');
  if (config.fail === 'closed') {
    log.warn({ event: 'fail_closed' }, 'FTWALL_FAIL=closed: while ftwall is stopped, crashed or overloaded, queued LAN traffic is DROPPED, not passed');
  }
  if (config.mode === 'monitor') log.warn({ event: 'monitor_mode' }, 'FTWALL_MODE=monitor: deciding and logging only, every packet is accepted');
}
