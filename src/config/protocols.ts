// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The protocol modules a configuration runs (FastTrack), in order: a module's index is its
 * protocol id in the shared state and in the workers' spoof requests. Main thread and workers
 * build the same list from the same names.
 */
import type { ProtocolModule } from '../core/protocol.ts';
import { createProtocols } from '../core/protocols/index.ts';
import type { Config } from './schema.ts';

/** The protocol modules' names, in order (core/protocols/index.ts). */
export const PROTOCOL_NAMES: readonly string[] = ['fasttrack'];

/** The protocol modules ftwall runs, built for `config`. */
export function protocolsFor(config: Config): ProtocolModule[] {
  return createProtocols(PROTOCOL_NAMES, { networkNames: config.networkNames });
}
