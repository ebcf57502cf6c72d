// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The state-change events ftwall logs (one pino line each, never one per packet at info level).
 * Field names follow Suricata's eve format where one exists.
 */

export type EventName =
  | 'client_identified' | 'peer_learned' | 'lock_started' | 'lock_refreshed' | 'lock_expired'
  | 'probe_sent' | 'probe_answered' | 'safety_net_hit' | 'pong_spoofed'
  | 'peer_confirmed' | 'lock_withheld';

export interface FtEvent {
  event: EventName;
  src_ip?: string;
  dest_ip?: string;
  src_port?: number;
  dest_port?: number;
  proto?: 'UDP' | 'TCP';
  /** What ftwall did with the packet: allowed or blocked (eve's alert.action). */
  action?: 'allowed' | 'blocked';
  reason?: string;
  src_mac?: string;
  /** Extra detail (peer source, lock end, ...). */
  [key: string]: unknown;
}

/** Human text for each event, the pino message. */
export const EVENT_MESSAGES: Record<EventName, string> = {
  client_identified: 'FastTrack client identified',
  peer_learned: 'FastTrack peer learned',
  lock_started: 'time lock started',
  lock_refreshed: 'time lock refreshed',
  lock_expired: 'time lock expired',
  probe_sent: 'probe sent',
  probe_answered: 'probe answered: FastTrack still running',
  safety_net_hit: 'FastTrack HTTP seen by the safety net',
  pong_spoofed: 'spoofed pong sent',
  peer_confirmed: 'FastTrack peer confirmed by a quorum of clients: now held back from every host',
  lock_withheld: 'not locked: this host left a probe unanswered (forged source?) until it answers one',
};
