// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Multicast groups ftwall joins on the LAN interfaces, so that the kernel delivers a group's
 * datagrams to the router (and its INPUT rules queue them): a router does not forward or receive
 * link-local discovery such as BitTorrent's LSD otherwise. One UDP socket holds the memberships;
 * it reads nothing (the queue decides every datagram first), and closing it leaves the groups.
 */
import dgram from 'node:dgram';
import type { Logger } from '../telemetry/logger.ts';
import { ipv4Addresses } from './interfaces.ts';

export interface Memberships {
  /** "group on interface" for each membership held. */
  readonly joined: readonly string[];
  close(): void;
}

/** Joins each group on each LAN interface's IPv4 address; a membership that fails is logged and skipped. */
export async function joinGroups(groups: readonly string[], lanInterfaces: readonly string[], log: Logger): Promise<Memberships> {
  if (groups.length === 0) return { joined: [], close: () => {} };
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  // Bound to loopback: nothing reaches it from a network (a membership does not need the group's port).
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
  });
  socket.on('error', (error) => log.warn({ event: 'multicast_socket_error', error: error.message }, 'multicast membership socket'));
  const joined: string[] = [];
  for (const name of lanInterfaces) {
    // One membership per interface (its first address): a group is joined on a link, not an address.
    for (const { address } of ipv4Addresses(name).slice(0, 1)) {
      for (const group of groups) {
        try {
          socket.addMembership(group, address);
          joined.push(`${group} on ${name}`);
        } catch (error) {
          log.warn({ event: 'multicast_join_failed', group, interface: name, error: (error as Error).message }, `cannot join ${group} on ${name}: its discovery there is not seen`);
        }
      }
    }
  }
  if (joined.length > 0) log.info({ event: 'multicast_joined', groups: joined }, 'joined the protocols\' discovery groups on the LAN interfaces');
  return { joined, close: () => socket.close() };
}
