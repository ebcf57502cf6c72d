// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The log message of each state-change event (the events themselves are core/events.ts).
 */

import type { EventName } from '../core/events.ts';

export type { EventName, FtEvent } from '../core/events.ts';

/** Human text for each event, the pino message. */
export const EVENT_MESSAGES: Record<EventName, string> = {
  client_identified: 'peer-to-peer client identified',
  p2p_noted: 'peer-to-peer traffic noted (a lookup or a browser\'s request: nobody identified)',
  peer_learned: 'peer learned',
  lock_started: 'time lock started',
  lock_refreshed: 'time lock refreshed',
  lock_expired: 'time lock expired',
  probe_sent: 'probe sent',
  probe_answered: 'probe answered: the client still runs',
  safety_net_hit: 'peer-to-peer TCP seen by the safety net (a handshake or an HTTP request)',
  pong_spoofed: 'spoofed pong sent',
  peer_confirmed: 'peer confirmed by a quorum of clients: now held back from every host',
  client_forgotten: 'client forgotten: no activity of its protocol for FTWALL_CLIENT_QUIET_SECONDS',
  peer_forgotten: 'peer forgotten: not seen for FTWALL_PEER_QUIET_SECONDS',
  operator_unlocked: 'operator released the host (ftwall unlock): its lock ended, it is no longer identified',
  operator_forgot_peer: 'operator forgot the peer (ftwall forget): no longer held back',
};
