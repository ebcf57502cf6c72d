// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The protocol modules a configuration runs (FTWALL_PROTOCOLS), in order: a module's index is its
 * protocol id in the shared state, the workers' spoof requests and the lock timings. Main thread
 * and workers build the same list from the same names.
 */
import type { ProtocolModule } from '../core/protocol.ts';
import { createProtocols } from '../core/protocols/index.ts';
import type { Config } from './schema.ts';

/** Each protocol's lock period setting (seconds), by module name. */
const LOCK_SECONDS: Readonly<Record<string, (config: Config) => number>> = {
  fasttrack: (config) => config.lockSeconds,
  bittorrent: (config) => config.bittorrentLockSeconds,
};

/** The protocol modules ftwall runs, built for `config`. */
export function protocolsFor(config: Config): ProtocolModule[] {
  return createProtocols(config.protocols, { networkNames: config.networkNames });
}

/** Lock seconds by protocol id (0: that protocol does not lock). */
export function lockSecondsFor(config: Config): number[] {
  return config.protocols.map((name) => LOCK_SECONDS[name]?.(config) ?? config.lockSeconds);
}
