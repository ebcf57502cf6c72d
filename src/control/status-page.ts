// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * GET /status: the operator's view as one HTML page for routers without Grafana. Locked and
 * identified hosts with their time left, verdict rates, a chart of the last hour (inline SVG),
 * the recent state-change events, the peers. Pure: one self-contained page (inline CSS, no script,
 * nothing fetched), every value escaped; it reloads itself every 10 seconds.
 */
import { HISTORY_MINUTES, type History, type MinuteSample } from './history.ts';
import type { StatusReport } from './operator.ts';

/** Peers listed on the page (the totals count them all). */
export const PEERS_ON_PAGE = 50;
export const REFRESH_SECONDS = 10;

/** HTML-escapes text for element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
const esc = escapeHtml;

/** 95 -> "1 min 35 s"; 7300 -> "2 h 1 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export function renderStatusPage(report: StatusReport, history: History, nowMs = Date.now()): string {
  const locked = report.hosts.filter((host) => host.locked);
  const totals = Object.values(report.packets).reduce((sum, counts) => ({ accepted: sum.accepted + counts.accepted, dropped: sum.dropped + counts.dropped }), { accepted: 0, dropped: 0 });
  const minutes = history.minutes.filter((minute) => nowMs - minute.endMs <= HISTORY_MINUTES * 60_000);
  const lastMinute = minutes.at(-1);
  const hour = minutes.reduce((sum, minute) => ({ accepted: sum.accepted + minute.accepted, dropped: sum.dropped + minute.dropped }), { accepted: 0, dropped: 0 });
  const perMinute = (value: number) => (minutes.length ? (value / minutes.length).toFixed(1) : '-');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ftwall status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>ftwall status</h1><p>version ${esc(report.version)}, up ${esc(formatDuration(report.uptime_seconds))}; ${esc(clock(nowMs))} UTC; reloads every ${REFRESH_SECONDS} s</p></header>
<section class="cards">
${card('locked hosts', locked.length, locked.length ? 'bad' : '')}
${card('identified hosts', report.hosts.length - locked.length, '')}
${card('known peers', report.peers.total, '')}
${card('packets decided', totals.accepted + totals.dropped, '')}
${card('packets dropped', totals.dropped, totals.dropped ? 'bad' : '')}
${card('decided last minute', lastMinute ? lastMinute.accepted + lastMinute.dropped : '-', '')}
</section>

<section id="hosts"><h2>Hosts (${report.hosts.length}: ${locked.length} locked)</h2>
${report.hosts.length === 0 ? '<p class="none">No host is locked or identified.</p>' : `<table>
<thead><tr><th>IP</th><th>MAC</th><th>protocol</th><th>state</th><th>time left</th><th>last seen</th><th>why</th></tr></thead>
<tbody>
${report.hosts.map((host) => `<tr class="${host.locked ? 'locked' : 'identified'}"><td class="ip">${esc(host.ip)}</td><td class="mac">${esc(host.mac ?? '')}</td><td class="protocol">${esc(host.protocol ?? '')}</td><td>${host.locked ? '<strong>LOCKED</strong>' : 'identified'}</td><td class="left" data-seconds="${esc(host.lock_seconds_left)}">${host.locked ? esc(formatDuration(host.lock_seconds_left)) : '-'}</td><td>${esc(formatDuration(host.last_seen_seconds_ago))} ago${host.probe_answered ? ', answers probes' : ''}</td><td class="why">${esc(host.why)}</td></tr>`).join('\n')}
</tbody></table>`}
</section>

<section id="chart"><h2>Packets decided per minute, last hour</h2>
${chart(minutes, nowMs)}
</section>

<section id="verdicts"><h2>Verdicts</h2>
<p>Last hour: ${esc(perMinute(hour.accepted + hour.dropped))} decided and ${esc(perMinute(hour.dropped))} dropped per minute on average${lastMinute ? `; last minute ${esc(lastMinute.accepted + lastMinute.dropped)} decided, ${esc(lastMinute.dropped)} dropped` : ''}.</p>
${Object.keys(report.packets).length === 0 ? '<p class="none">No packet decided yet.</p>' : `<table>
<thead><tr><th>reason</th><th class="n">accepted</th><th class="n">dropped</th><th class="n">dropped share</th></tr></thead>
<tbody>
${Object.entries(report.packets).map(([reason, counts]) => `<tr><td>${esc(reason)}</td><td class="n">${esc(counts.accepted)}</td><td class="n">${esc(counts.dropped)}</td><td class="n">${esc(share(counts.dropped, counts.accepted + counts.dropped))}</td></tr>`).join('\n')}
<tr class="total"><td>all</td><td class="n">${esc(totals.accepted)}</td><td class="n">${esc(totals.dropped)}</td><td class="n">${esc(share(totals.dropped, totals.accepted + totals.dropped))}</td></tr>
</tbody></table>`}
</section>

<section id="events"><h2>Recent events (last ${history.events.length})</h2>
${history.events.length === 0 ? '<p class="none">No state change since start.</p>' : `<table>
<thead><tr><th>time (UTC)</th><th>event</th><th>source</th><th>destination</th><th>reason</th></tr></thead>
<tbody>
${history.events.map((event) => `<tr class="ev-${esc(event.event)}"><td>${esc(clock(event.timeMs))} <span class="ago">(${esc(formatDuration((nowMs - event.timeMs) / 1000))} ago)</span></td><td>${esc(event.event)}</td><td>${esc(event.src ?? '')}</td><td>${esc(event.dest ?? '')}</td><td>${esc(event.reason ?? '')}</td></tr>`).join('\n')}
</tbody></table>`}
</section>

<section id="peers"><h2>Peers (${esc(report.peers.total)}: ${esc(report.peers.confirmed)} confirmed, ${esc(report.peers.learned)} learned, ${esc(report.peers.operator)} yours)</h2>
${report.peers.list.length === 0 ? '<p class="none">No peer known.</p>' : `<table>
<thead><tr><th>peer</th><th>status</th><th class="n">revealed by</th><th>last seen</th></tr></thead>
<tbody>
${report.peers.list.slice(0, PEERS_ON_PAGE).map((peer) => `<tr><td>${esc(peer.peer)}</td><td>${esc(peer.status)}</td><td class="n">${peer.revealers ? esc(`${peer.revealers} host(s)`) : ''}</td><td>${peer.last_seen_seconds_ago === undefined ? '' : `${esc(formatDuration(peer.last_seen_seconds_ago))} ago`}</td></tr>`).join('\n')}
</tbody></table>
${report.peers.total > Math.min(report.peers.list.length, PEERS_ON_PAGE) ? `<p class="none">First ${esc(Math.min(report.peers.list.length, PEERS_ON_PAGE))} of ${esc(report.peers.total)} listed; <code>ftwall status</code> or <a href="/status.json">/status.json</a> lists more.</p>` : ''}`}
</section>
<footer><a href="/status.json">/status.json</a> · <a href="/metrics">/metrics</a></footer>
</body>
</html>
`;
}

function card(label: string, value: number | string, kind: string): string {
  return `<div class="card ${kind}"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
}

function share(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)} %`;
}

const CHART = { width: 760, height: 220, left: 56, right: 12, top: 12, bottom: 28 };

/** The last hour as two lines, accepted and dropped per minute; x is minutes before now. */
function chart(minutes: MinuteSample[], nowMs: number): string {
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceCeiling(Math.max(2, ...minutes.map((minute) => Math.max(minute.accepted, minute.dropped))));
  const x = (endMs: number) => left + plotW * (1 - Math.min(HISTORY_MINUTES, Math.max(0, (nowMs - endMs) / 60_000)) / HISTORY_MINUTES);
  const y = (value: number) => top + plotH * (1 - value / max);
  const line = (pick: (minute: MinuteSample) => number) => minutes.map((minute, index) => `${index === 0 ? 'M' : 'L'}${x(minute.endMs).toFixed(1)} ${y(pick(minute)).toFixed(1)}`).join(' ');
  const dots = (pick: (minute: MinuteSample) => number, kind: string) => (minutes.length === 1 ? `<circle class="${kind}" cx="${x(minutes[0]!.endMs).toFixed(1)}" cy="${y(pick(minutes[0]!)).toFixed(1)}" r="3"/>` : '');
  const grid = [0, 0.5, 1].map((f) => `<line class="grid" x1="${left}" x2="${width - right}" y1="${y(max * f).toFixed(1)}" y2="${y(max * f).toFixed(1)}"/><text class="axis" x="${left - 6}" y="${(y(max * f) + 4).toFixed(1)}" text-anchor="end">${esc(max * f)}</text>`).join('');
  const ticks = [60, 45, 30, 15, 0].map((ago) => `<text class="axis" x="${(left + plotW * (1 - ago / HISTORY_MINUTES)).toFixed(1)}" y="${height - 8}" text-anchor="middle">${ago === 0 ? 'now' : `-${ago} min`}</text>`).join('');
  const body = minutes.length === 0
    ? `<text class="axis" x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle">no minute recorded yet (the first closes a minute after start)</text>`
    : `<path class="accepted" d="${line((minute) => minute.accepted)}"/><path class="dropped" d="${line((minute) => minute.dropped)}"/>${dots((minute) => minute.accepted, 'accepted')}${dots((minute) => minute.dropped, 'dropped')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="packets accepted and dropped per minute, last hour">
<title>packets accepted and dropped per minute, last hour</title>
${grid}${ticks}${body}
</svg>
<p class="legend"><span class="key accepted"></span> accepted <span class="key dropped"></span> dropped (per minute)</p>`;
}

/** The smallest of 1, 2, 5 x 10^n at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#1d2330;background:#f7f8fa}
h1{font-size:22px;margin:0}h2{font-size:16px;margin:22px 0 8px}header p{margin:2px 0;color:#5a6272}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.card{background:#fff;border:1px solid #d9dde5;border-radius:6px;padding:8px 14px;min-width:120px}
.card .value{font-size:22px;font-weight:600}.card .label{color:#5a6272;font-size:12px}
.card.bad .value{color:#b42318}
table{border-collapse:collapse;background:#fff;border:1px solid #d9dde5;min-width:60%}
th,td{padding:4px 10px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.locked td{background:#fdecea}tr.locked strong{color:#b42318}tr.total td{font-weight:600}
td.ip,td.mac,td.left{font-family:ui-monospace,monospace;white-space:nowrap}td.why{color:#5a6272;font-size:12px;max-width:420px}
.ago{color:#8a91a0}.none{color:#5a6272}
svg{background:#fff;border:1px solid #d9dde5}
.grid{stroke:#eceef2}.axis{fill:#5a6272;font-size:11px}
path.accepted,path.dropped{fill:none;stroke-width:2}
.accepted{stroke:#2563eb;fill:#2563eb}.dropped{stroke:#d92d20;fill:#d92d20}
.legend .key{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-left:8px}
.legend .key.accepted{background:#2563eb}.legend .key.dropped{background:#d92d20}
footer{margin-top:24px;color:#5a6272}
`;
