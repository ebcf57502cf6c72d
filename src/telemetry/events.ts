// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The log message of each state-change event (the events themselves are core/events.ts).
 */

import type { EventName } from '../core/events.ts';

export type { EventName, FtEvent } from '../core/events.ts';

/** Human text for each event, the pino message. */
export const EVENT_MESSAGES: Record<EventName, string> = {
  client_identified: 'FastTrack client identified',
  peer_learned: 'FastTrack peer learned',
  lock_started: 'time lock started',
  lock_refreshed: 'time lock refreshed',
  lock_expired: 'time lock expired',
  probe_sent: 'probe sent',
  probe_answered: 'probe answered: FastTrack still running',
  safety_net_hit: 'FastTrack seen by the safety net (HTTP, or the session handshake)',
  pong_spoofed: 'spoofed pong sent',
  peer_confirmed: 'FastTrack peer confirmed by a quorum of clients: now held back from every host',
  client_forgotten: 'FastTrack client forgotten: no FastTrack activity for FTWALL_CLIENT_QUIET_SECONDS',
  peer_forgotten: 'FastTrack peer forgotten: not seen for FTWALL_PEER_QUIET_SECONDS',
  operator_unlocked: 'operator released the host (ftwall unlock): its lock ended, it is no longer identified',
  operator_forgot_peer: 'operator forgot the peer (ftwall forget): no longer held back',
};
