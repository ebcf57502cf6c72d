// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 6, overload: offered load far above what ftwall decides. Packets keep passing (fail-open),
// the overflow is counted in the metrics and logged at a bounded rate, memory stays bounded, and
// decisions are right again as soon as the load drops.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { FtwallProcess } from '../../lab/ftwall-process.ts';
import { PEER_NET, TestBed, privilegedSkipReason } from '../../lab/netns.ts';
import { httpGet, runAgent } from '../../lab/traffic.ts';

const skip = privilegedSkipReason();
const FLOOD_C = fileURLToPath(new URL('../../bench/c/udp-flood.c', import.meta.url));

/** Packets the internet namespace's DROP rule for the flood port has counted. */
function arrived(bed: TestBed): number {
  const line = bed.run(bed.internet, ['iptables', '-L', 'INPUT', '-v', '-x', '-n']).split('\n').find((text) => text.includes('dpt:9'));
  return Number(line?.trim().split(/\s+/)[0] ?? 0);
}

describe('overload', { skip }, () => {
  let bed: TestBed;
  let flood: string;
  before(() => {
    bed = TestBed.create({ hosts: ['client'] });
    flood = `${bed.tempDir}/udp-flood`;
    execFileSync('gcc', ['-O2', '-o', flood, FLOOD_C]);
    bed.run(bed.internet, ['iptables', '-A', 'INPUT', '-p', 'udp', '--dport', '9', '-j', 'DROP']);
  });
  after(() => bed?.destroy());

  test('far above capacity: traffic passes, overflow counted and logged at a bounded rate, memory bounded, decisions correct after', async () => {
    const ftwall = FtwallProcess.start(bed, {
      FTWALL_WORKERS: '1', FTWALL_QUEUE_MAX_LENGTH: '64', FTWALL_FLOW_BYPASS: 'false', FTWALL_STATE_DIR: '', FTWALL_LOG_LEVEL: 'info',
    });
    try {
      await ftwall.ready();
      const { sent } = JSON.parse(bed.run(bed.host('client').ns, [flood, PEER_NET, '1', '64', '9', '18', '3']).trim()) as { sent: number };
      const passed = arrived(bed);
      assert.ok(passed >= sent * 0.9, `${passed} of ${sent} flood packets passed (fail-open)`);
      const metrics = httpGet(bed, bed.router, 'http://127.0.0.1:9490/metrics').body;
      const warning = await ftwall.waitForEvent('overload', () => true, 15_000);
      const metricsAfter = httpGet(bed, bed.router, 'http://127.0.0.1:9490/metrics').body;
      const overflow = Number(/\nftwall_queue_overflow_total\{[^}]*\} (\d+)/.exec(metricsAfter)?.[1] ?? 0);
      const decided = metrics.split('\n').filter((l) => l.startsWith('ftwall_packets_total{')).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
      const kernel = bed.run(bed.router, ['cat', '/proc/net/netfilter/nfnetlink_queue']);
      // Every flood packet either was decided or overflowed (passed undecided): nothing else.
      assert.ok(overflow > 0 && Math.abs(decided + overflow - sent) <= sent * 0.01, `sent ${sent}, decided ${decided}, overflow ${overflow}; kernel ${kernel}`);
      assert.equal(warning.overflow, overflow, 'the warning reports the same count');
      assert.ok(ftwall.events('overload').length <= 2, 'logged at a bounded rate, not per packet');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ftwall.child.pid}/status`, 'utf8'))?.[1]);
      assert.ok(rssKb < 300 * 1024, `RSS ${Math.round(rssKb / 1024)} MB`);
      // Load gone: the very next FastTrack ping is decided as one.
      const ping = Buffer.from([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')]).toString('hex');
      runAgent(bed, bed.host('client').ns, 'udp-once', { to: `${PEER_NET}.99:1214`, hex: ping, from: 3531 });
      const learned = await ftwall.waitForEvent('peer_learned', () => true, 5000);
      assert.equal(learned.dest_ip, `${PEER_NET}.99`);
    } finally {
      await ftwall.stop();
    }
  });
});
