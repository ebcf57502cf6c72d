// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Conntrack deletion over ctnetlink, no conntrack program: the kernel deletes only whole tuples, so
 * the addon dumps the entries that match (filtered in the kernel) and deletes each one by its tuple
 * and id, on a libuv pool thread. Needs CAP_NET_ADMIN in the network namespace.
 */
import { loadBinding, type ConntrackDeletion } from './native.ts';

export type { ConntrackDeletion } from './native.ts';

/** Which entries to delete, by their original direction (as the LAN host opened them). */
export interface ConntrackFilter {
  protocol?: 'tcp' | 'udp';
  /** Dotted IPv4. */
  source?: string;
  destination?: string;
  /** Needs a protocol. */
  destinationPort?: number;
  /** The destination must be one of these ip:port pairs (one dump serves them all). */
  destinations?: ReadonlyArray<readonly [string, number]>;
}

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17 } as const;

function ipv4Number(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const parts = text.split('.');
  const octets = parts.map(Number);
  if (parts.length !== 4 || octets.some((octet, i) => !/^\d{1,3}$/.test(parts[i]!) || octet > 255)) {
    throw new TypeError(`deleteConntrack: ${field} is not a dotted IPv4 address: ${text}`);
  }
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

/** Deletes every IPv4 conntrack entry that matches; resolves with what matched and what it deleted. */
export function deleteConntrack(filter: ConntrackFilter): Promise<ConntrackDeletion> {
  return loadBinding().deleteConntrack({
    protocol: filter.protocol && PROTOCOL_NUMBERS[filter.protocol],
    source: ipv4Number(filter.source, 'source'),
    destination: ipv4Number(filter.destination, 'destination'),
    destinationPort: filter.destinationPort,
    destinations: filter.destinations?.flatMap(([ip, port]) => [ipv4Number(ip, 'destinations')!, port]),
  });
}
