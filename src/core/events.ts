// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The state-change events ftwall reports (one log line each, never one per packet at info level),
 * as a typed union: each kind with exactly its fields. Built by the state writer and the lock
 * sweep, consumed by telemetry. Field names follow Suricata's eve format where one exists.
 */

/** The packet that caused an event, as eve names it. */
export interface PacketFields {
  src_ip: string;
  dest_ip: string;
  src_port: number;
  dest_port: number;
  proto: 'UDP' | 'TCP';
  /** What ftwall did with the packet (eve's alert.action). */
  action: 'allowed' | 'blocked';
  /** Why (the metrics' reason label). */
  reason: string;
  /** The source MAC, when the queue saw one. */
  src_mac?: string;
  /** The peer-to-peer protocol (a module's name): the one that recognised the packet, else the host's. */
  protocol?: string;
}

/** How a peer became known. */
export type PeerSourceName = 'udp' | 'safety_net' | 'x_kazaa_supernodeip';

export type FtEvent =
  | ({ event: 'client_identified' } & PacketFields)
  | ({ event: 'p2p_noted' } & PacketFields)
  | ({ event: 'peer_learned'; source: PeerSourceName; confirmed: boolean } & PacketFields)
  | ({ event: 'peer_confirmed'; quorum: number } & PacketFields)
  | ({ event: 'safety_net_hit'; supernode?: string } & PacketFields)
  | ({ event: 'probe_answered' } & PacketFields)
  | ({ event: 'lock_started' | 'lock_refreshed'; lock_until: string } & PacketFields)
  | { event: 'lock_expired'; src_ip: string; src_mac?: string; reason: string; protocol?: string }
  | { event: 'probe_sent'; dest_ip: string; dest_port: number; src_port: number; proto: 'UDP'; dest_mac?: string; protocol?: string }
  | { event: 'pong_spoofed'; src_ip: string; src_port: number; dest_ip: string; dest_port: number; proto: 'UDP'; protocol?: string }
  | { event: 'client_forgotten'; src_ip: string; src_mac?: string; quiet_seconds: number; protocol?: string }
  | { event: 'peer_forgotten'; dest_ip: string; dest_port: number; confirmed: boolean; quiet_seconds: number }
  | { event: 'operator_unlocked'; src_ip: string; src_mac?: string; was_locked: boolean; lock_seconds_left: number }
  | { event: 'operator_forgot_peer'; dest_ip: string; dest_port: number; was: 'confirmed' | 'learned' | 'operator' };

export type EventName = FtEvent['event'];

/** Formats a MAC given as two big-endian words (bytes 0-3, bytes 4-5 in the upper half). */
export function formatMac(high: number, low: number): string {
  const bytes = [high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (low >>> 24) & 0xff, (low >>> 16) & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
