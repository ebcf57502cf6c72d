// SPDX-License-Identifier: GPL-2.0-or-later
/** The protocol modules ftwall knows: one line each (see ../protocol.ts for the contract). */
import type { ProtocolFactory, ProtocolModule, ProtocolOptions } from '../protocol.ts';
import { createBitTorrent } from './bittorrent/index.ts';
import { createFastTrack } from './fasttrack/index.ts';

export const PROTOCOL_FACTORIES: Readonly<Record<string, ProtocolFactory>> = {
  fasttrack: createFastTrack,
  bittorrent: createBitTorrent,
};

/** Every protocol module's name, in registration order (FTWALL_PROTOCOLS' choices and default). */
export const PROTOCOL_NAMES = Object.keys(PROTOCOL_FACTORIES);

/** The modules named (in that order); a module's index in the result is its protocol id. */
export function createProtocols(names: readonly string[], options: ProtocolOptions): ProtocolModule[] {
  return names.map((name) => {
    const factory = PROTOCOL_FACTORIES[name];
    if (!factory) throw new Error(`unknown protocol ${name}`);
    return factory(options);
  });
}
