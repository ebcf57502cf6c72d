// SPDX-License-Identifier: GPL-2.0-or-later
// The status page (GET /status) and the history behind its chart and event list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FtEvent } from '../../../src/core/events.ts';
import { HISTORY_MINUTES, HistoryRecorder, RECENT_EVENTS } from '../../../src/control/history.ts';
import { PEERS_ON_PAGE, escapeHtml, formatDuration, renderStatusPage } from '../../../src/control/status-page.ts';
import { HISTORY, NOW, REPORT } from '../../helpers/status-fixture.ts';

test('the page shows the locked host with MAC and time left, verdicts, events, peers, and a chart', () => {
  const page = renderStatusPage(REPORT, HISTORY, NOW);
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<meta http-equiv="refresh" content="10">/);
  assert.match(page, /<td class="ip">10\.0\.0\.10<\/td><td class="mac">02:77:01:00:00:10<\/td><td class="protocol">fasttrack<\/td><td><strong>LOCKED<\/strong><\/td><td class="left" data-seconds="95">1 min 35 s<\/td>/);
  assert.match(page, /<td class="ip">10\.0\.0\.11<\/td><td class="mac">02:77:01:00:00:11<\/td><td class="protocol"><\/td><td>identified<\/td><td class="left" data-seconds="0">-<\/td>/);
  assert.match(page, /Hosts \(2: 1 locked\)/);
  assert.match(page, /<td>p2p_udp<\/td><td class="n">0<\/td><td class="n">42<\/td><td class="n">100\.0 %<\/td>/);
  assert.match(page, /<td>all<\/td><td class="n">1234<\/td><td class="n">42<\/td>/);
  assert.match(page, /<td>11:59:40 <span class="ago">\(20 s ago\)<\/span><\/td><td>lock_started<\/td><td>10\.0\.0\.10:3531<\/td><td>198\.51\.100\.7:1214<\/td>/);
  assert.match(page, /Peers \(3: 1 confirmed, 1 learned, 1 yours\)/);
  assert.match(page, /<td>198\.51\.100\.8:3531<\/td><td>confirmed<\/td><td class="n">3 host\(s\)<\/td><td>40 s ago<\/td>/);
  const paths = [...page.matchAll(/<path class="(accepted|dropped)" d="([^"]+)"\/>/g)];
  assert.deepEqual(paths.map((match) => match[1]), ['accepted', 'dropped']);
  for (const [, , d] of paths) assert.equal(d!.split(/[ML]/).filter(Boolean).length, 60, 'one point a minute');
  assert.match(page, /version 9\.9\.9, up 2 h 1 min/);
});

test('the page is self-contained: no script, nothing fetched from elsewhere', () => {
  const page = renderStatusPage(REPORT, HISTORY, NOW);
  assert.doesNotMatch(page, /<script|<link|<img|<iframe|src=|@import|url\(/i);
  assert.doesNotMatch(page, /https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
});

test('every value is escaped', () => {
  const evil = '<script>alert(1)</script>"\'&';
  const report = structuredClone(REPORT);
  report.version = evil;
  report.hosts[0]!.ip = evil;
  report.hosts[0]!.mac = evil;
  report.hosts[0]!.why = evil;
  report.peers.list[0]!.peer = evil;
  report.packets = { [evil]: { accepted: 1, dropped: 1 } };
  const history = structuredClone(HISTORY);
  history.events[0] = { timeMs: NOW, event: evil, src: evil, dest: evil, reason: evil };
  const page = renderStatusPage(report, history, NOW);
  assert.doesNotMatch(page, /<script/);
  assert.doesNotMatch(page, /"'&</);
  assert.equal(page.split(escapeHtml(evil)).length - 1, 11, 'version, ip, mac, why, peer, packet reason, event (class and text), src, dest, event reason');
  assert.equal(escapeHtml(evil), '&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;');
});

test('an empty daemon gets a page that says so, with an empty chart', () => {
  const page = renderStatusPage({ version: '1', uptime_seconds: 3, hosts: [], peers: { total: 0, confirmed: 0, learned: 0, operator: 0, list: [] }, packets: {} }, { minutes: [], events: [] }, NOW);
  assert.match(page, /No host is locked or identified/);
  assert.match(page, /No packet decided yet/);
  assert.match(page, /No state change since start/);
  assert.match(page, /No peer known/);
  assert.match(page, /no minute recorded yet/);
  assert.doesNotMatch(page, /<path /);
});

test('peers beyond the first ones are counted, not listed; minutes older than an hour are not charted', () => {
  const list = Array.from({ length: PEERS_ON_PAGE + 5 }, (_, index) => ({ peer: `198.51.100.${index}:1214`, status: 'learned' as const, revealers: 1 }));
  const old = { endMs: NOW - (HISTORY_MINUTES + 5) * 60_000, accepted: 1, dropped: 1 };
  const page = renderStatusPage({ ...REPORT, peers: { total: 300, confirmed: 0, learned: 300, operator: 0, list } }, { minutes: [old, ...HISTORY.minutes], events: [] }, NOW);
  assert.equal(page.match(/<td>198\.51\.100\.\d+:1214<\/td><td>learned/g)?.length, PEERS_ON_PAGE);
  assert.match(page, /First 50 of 300 listed/);
  const d = /<path class="accepted" d="([^"]+)"/.exec(page)![1]!;
  assert.equal(d.split(/[ML]/).filter(Boolean).length, 60);
});

test('formatDuration', () => {
  assert.deepEqual([0, 45, 60, 95, 3600, 7300].map(formatDuration), ['0 s', '45 s', '1 min', '1 min 35 s', '1 h', '2 h 1 min']);
});

test('history: per-minute deltas in a 60-slot ring; the newest 50 events, probes left out', () => {
  const totals = { packets: 10, dropped: 2 };
  const history = new HistoryRecorder(() => ({ ...totals }));
  totals.packets += 100;
  totals.dropped += 30;
  history.sample(1000);
  assert.deepEqual(history.snapshot().minutes, [{ endMs: 1000, accepted: 70, dropped: 30 }], 'what was counted before the recorder started is not this minute\'s');
  for (let minute = 2; minute <= HISTORY_MINUTES + 10; minute++) {
    totals.packets += minute;
    history.sample(minute * 1000);
  }
  const minutes = history.snapshot().minutes;
  assert.equal(minutes.length, HISTORY_MINUTES);
  assert.deepEqual(minutes.at(-1), { endMs: (HISTORY_MINUTES + 10) * 1000, accepted: HISTORY_MINUTES + 10, dropped: 0 });
  assert.equal(minutes[0]!.endMs, 11_000);

  for (let index = 0; index < RECENT_EVENTS + 7; index++) {
    history.record({ event: 'lock_expired', src_ip: `10.0.0.${index}`, reason: 'quiet' } as FtEvent, index);
    history.record({ event: 'probe_sent', dest_ip: '10.0.0.1', dest_port: 1, src_port: 2, proto: 'UDP' }, index);
  }
  history.record({ event: 'peer_forgotten', dest_ip: '198.51.100.7', dest_port: 1214, confirmed: false, quiet_seconds: 9 }, 99);
  const events = history.snapshot().events;
  assert.equal(events.length, RECENT_EVENTS);
  assert.deepEqual(events[0], { timeMs: 99, event: 'peer_forgotten', dest: '198.51.100.7:1214' });
  assert.deepEqual(events[1], { timeMs: RECENT_EVENTS + 6, event: 'lock_expired', src: `10.0.0.${RECENT_EVENTS + 6}`, reason: 'quiet' });
  assert.ok(events.every((event) => event.event !== 'probe_sent'));
});
