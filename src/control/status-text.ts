// SPDX-License-Identifier: GPL-2.0-or-later
/** `ftwall status` as text for a terminal (`--json` prints the report itself). Pure. */
import type { StatusReport } from './operator.ts';

export function formatStatus(report: StatusReport): string {
  const lines = [`ftwall ${report.version}, up ${report.uptime_seconds} s`];
  const locked = report.hosts.filter((host) => host.locked);
  lines.push('', `hosts: ${report.hosts.length} identified or locked, ${locked.length} locked`);
  for (const host of report.hosts) {
    const state = host.locked ? `LOCKED ${host.lock_seconds_left} s left` : 'identified';
    lines.push(`  ${host.ip.padEnd(15)} ${(host.mac ?? '').padEnd(17)} ${(host.protocol ?? '').padEnd(10)} ${state.padEnd(20)} last seen ${host.last_seen_seconds_ago} s ago${host.probe_answered ? ', answers probes' : ''}`);
    lines.push(`    why: ${host.why}`);
  }
  const peers = report.peers;
  lines.push('', `peers: ${peers.total} (${peers.confirmed} confirmed, ${peers.learned} learned, ${peers.operator} yours)${peers.list.length < peers.total ? `, first ${peers.list.length} listed` : ''}`);
  for (const peer of peers.list) lines.push(`  ${peer.peer.padEnd(21)} ${peer.status}${peer.revealers ? `, revealed by ${peer.revealers} host(s)` : ''}${peer.last_seen_seconds_ago !== undefined ? `, seen ${peer.last_seen_seconds_ago} s ago` : ''}`);
  lines.push('', 'packets decided (accepted / dropped):');
  for (const [reason, counts] of Object.entries(report.packets)) lines.push(`  ${reason.padEnd(20)} ${counts.accepted} / ${counts.dropped}`);
  return lines.join('\n');
}
