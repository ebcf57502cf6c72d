// SPDX-License-Identifier: GPL-2.0-or-later
/** Typed state-change events for unit tests of what consumes them. */
import type { PacketFields } from '../../src/core/events.ts';

/** The eve fields of a blocked UDP packet from `src_ip` (port 3531) to dest_ip:dest_port. */
export function packetFields(src_ip: string, dest_ip = '198.51.100.7', dest_port = 1214): PacketFields {
  return { src_ip, dest_ip, src_port: 3531, dest_port, proto: 'UDP', action: 'blocked', reason: 'test' };
}
