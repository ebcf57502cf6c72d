// SPDX-License-Identifier: GPL-2.0-or-later
/** Facts about this host's network interfaces, read from /sys and os.networkInterfaces(). */
import { existsSync } from 'node:fs';
import os from 'node:os';
import type { Config } from '../config/schema.ts';
import { CidrList, parseCidr } from '../core/cidr.ts';

/** Interfaces from `names` that do not exist in this network namespace. */
export function missingInterfaces(names: readonly string[]): string[] {
  return names.filter((name) => !existsSync(`/sys/class/net/${name}`));
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
