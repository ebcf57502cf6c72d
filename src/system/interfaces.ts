// SPDX-License-Identifier: GPL-2.0-or-later
/** Facts about this host's network interfaces, read from /sys and os.networkInterfaces(). */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { CidrList, parseCidr } from '../core/cidr.ts';
import type { Logger } from '../telemetry/logger.ts';

/** Interfaces from `names` that do not exist in this network namespace. */
export function missingInterfaces(names: readonly string[]): string[] {
  return names.filter((name) => !existsSync(`/sys/class/net/${name}`));
}

/** Throws ConfigError naming the LAN interfaces that do not exist here. */
export function requireInterfaces(names: readonly string[]): void {
  const missing = missingInterfaces(names);
  if (missing.length > 0) throw new ConfigError(`FTWALL_LAN_INTERFACE: no such interface: ${missing.join(', ')}`);
}

/** IPv4 addresses with prefix length of an interface (empty when none). */
export function ipv4Addresses(name: string): Array<{ address: string; prefixLength: number }> {
  return (os.networkInterfaces()[name] ?? [])
    .filter((entry) => entry.family === 'IPv4')
    .map((entry) => ({ address: entry.address, prefixLength: Number(entry.cidr?.split('/')[1] ?? 32) }));
}

/**
 * The LAN hosts' networks (FTWALL_LAN_NETWORKS, else the LAN interfaces' own IPv4 networks): only
 * their packets change state, and spoofed replies and probes go only there.
 */
export function lanNetworks(config: Config): CidrList {
  if (config.lanNetworks.size > 0) return config.lanNetworks;
  return new CidrList(config.lanInterfaces.flatMap((name) => ipv4Addresses(name).map((a) => parseCidr(`${a.address}/${a.prefixLength}`))));
}

/** lanNetworks(config), logged: which networks they are, or a warning that there are none. */
export function lanNetworksLogged(config: Config, log: Logger): CidrList {
  const lan = lanNetworks(config);
  if (lan.size === 0) log.warn({ event: 'lan_without_ipv4', interfaces: config.lanInterfaces }, 'the LAN interfaces have no IPv4 address and FTWALL_LAN_NETWORKS is empty: FastTrack is still dropped, but no client is identified or locked');
  else log.info({ event: 'lan_networks', networks: lan.entries.map((entry) => entry.text) }, 'LAN networks');
  return lan;
}
