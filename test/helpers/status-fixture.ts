// SPDX-License-Identifier: GPL-2.0-or-later
// A fixed StatusReport and History for the status page tests (unit and headless Chromium).
import type { History } from '../../src/control/history.ts';
import type { StatusReport } from '../../src/control/operator.ts';

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

export const REPORT: StatusReport = {
  version: '9.9.9', uptime_seconds: 7300,
  hosts: [
    { ip: '10.0.0.10', mac: '02:77:01:00:00:10', protocol: 'fasttrack', identified: true, locked: true, lock_seconds_left: 95, why: 'locked: it sent FastTrack traffic', last_seen_seconds_ago: 5, probe_answered: true },
    { ip: '10.0.0.11', mac: '02:77:01:00:00:11', identified: true, locked: false, lock_seconds_left: 0, why: 'identified as a FastTrack client <b>x</b>', last_seen_seconds_ago: 300, probe_answered: false },
  ],
  peers: {
    total: 3, confirmed: 1, learned: 1, operator: 1,
    list: [
      { peer: '198.51.100.99:1214', status: 'operator', revealers: 0 },
      { peer: '198.51.100.7:1214', status: 'learned', revealers: 1, last_seen_seconds_ago: 12 },
      { peer: '198.51.100.8:3531', status: 'confirmed', revealers: 3, last_seen_seconds_ago: 40 },
    ],
  },
  packets: { p2p_udp: { accepted: 0, dropped: 42 }, not_p2p: { accepted: 1234, dropped: 0 } },
};

/** 60 minutes of traffic: accepted a slow wave around 400/min, dropped a burst 20 minutes ago. */
export const HISTORY: History = {
  minutes: Array.from({ length: 60 }, (_, index) => ({
    endMs: NOW - (59 - index) * 60_000,
    accepted: Math.round(400 + 150 * Math.sin(index / 6)),
    dropped: index >= 38 && index < 44 ? 120 : 3,
  })),
  events: [
    { timeMs: NOW - 20_000, event: 'lock_started', src: '10.0.0.10:3531', dest: '198.51.100.7:1214', reason: 'syn_to_known_peer' },
    { timeMs: NOW - 25_000, event: 'peer_learned', src: '10.0.0.10:3531', dest: '198.51.100.7:1214', reason: 'p2p_udp' },
    { timeMs: NOW - 26_000, event: 'client_identified', src: '10.0.0.10:3531', dest: '198.51.100.7:1214', reason: 'p2p_udp' },
  ],
};
