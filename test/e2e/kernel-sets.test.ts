// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 14 end to end: what ftwall knows is enforced by its nftables table, so a killed ftwall lets
// no locked host and no known peer through while the set entries last; one host's flood of new
// flows is cut down before the queue; stop and start keep the table tidy.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { FtwallProcess } from '../../lab/ftwall-process.ts';
import { Emulator, Supernodes } from '../../lab/fasttrack/scenario.ts';
import { FRESH_PEER_NET, TestBed, WEB_NET, privilegedSkipReason } from '../../lab/netns.ts';
import { AgentServer, metric, type ReportingProcess, runAgent, runAgentAsync } from '../../lab/traffic.ts';

const skip = privilegedSkipReason();
const LOCK_SECONDS = 8;
const WEB = `${WEB_NET}.80:80`;
/** An address the tests make a known peer, served over TCP and UDP. */
const PEER_IP = `${WEB_NET}.90`;

describe('kernel sets', { skip }, () => {
  let bed: TestBed;
  let supernodes: Supernodes;
  let peerUdp: ReportingProcess;
  let dns: ReportingProcess;
  const host = (name: string) => bed.host(name);
  const nft = (...args: string[]) => bed.run(bed.router, ['nft', ...args]);
  const counter = (name: string) => Number(/packets (\d+)/.exec(nft('list', 'counter', 'ip', 'ftwall', name))?.[1] ?? -1);
  const hasTable = () => nft('list', 'tables').includes('table ip ftwall');

  before(async () => {
    bed = TestBed.create({ hosts: ['client', 'benign', 'flooder'] });
    supernodes = await Supernodes.start(bed);
    await AgentServer.start(bed, bed.internet, 'tcp-server', WEB);
    await AgentServer.start(bed, bed.internet, 'tcp-server', `${PEER_IP}:1214`);
    peerUdp = await AgentServer.start(bed, bed.internet, 'udp-server', `${PEER_IP}:1214`);
    dns = await AgentServer.start(bed, bed.internet, 'udp-server', `${WEB_NET}.53:53`);
  });
  after(() => {
    try { bed?.run(bed.router, ['nft', 'delete', 'table', 'ip', 'ftwall']); } catch { /* already gone */ }
    bed?.destroy();
  });

  test('kill -9 during mode 2 of a locked client: still 0 sessions and no new TCP while the entries last, then web back', async (t) => {
    const stateDir = `${bed.tempDir}/kill`;
    mkdirSync(stateDir, { recursive: true });
    const before = await supernodes.report();
    const ftwall = FtwallProcess.start(bed, { FTWALL_LOCK_SECONDS: String(LOCK_SECONDS), FTWALL_STATE_DIR: stateDir });
    await ftwall.ready();
    const emulator = Emulator.start(bed, host('client').ns, { modes: '1,2' });
    await emulator.modeStarted(2);
    await ftwall.waitForEvent('lock_started');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the batch reaches the kernel (100 ms)
    assert.match(nft('list', 'set', 'ip', 'ftwall', 'locked'), new RegExp(`10\\.77\\.1\\.10 \\. ${host('client').mac}`), 'the lock is in the kernel');
    ftwall.child.kill('SIGKILL');
    const killedAt = Date.now();
    await ftwall.exited();
    assert.ok(hasTable(), 'SIGKILL leaves the table');

    // Nobody reads the queues (bypass): only the table stands between the client and the internet.
    const web = runAgent(bed, host('client').ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 });
    assert.equal(web.connected, false, 'the locked client opens no new TCP connection');
    assert.equal(runAgent(bed, host('benign').ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 }).connected, true, 'the benign host does');
    const report = await emulator.finished();
    const modeTwoEndedMs = Date.now() - killedAt;
    assert.ok(modeTwoEndedMs < LOCK_SECONDS * 1000, `mode 2 ran out (${modeTwoEndedMs} ms after the kill) before the lock's entry could`);
    assert.equal(report.modes['1']!.handshakes, 0);
    assert.equal(report.modes['2']!.handshakes, 0, 'no session in mode 2, after the kill too');
    assert.ok(report.modes['2']!.attempts >= 150, `mode 2 attempts: ${report.modes['2']!.attempts}`);
    const after = await supernodes.report();
    assert.equal(after.handshakes - before.handshakes, 0, 'no supernode completed a handshake');
    const locked = counter('locked_dropped');
    const learned = counter('learned_dropped');
    t.diagnostic(`after the kill: mode 2 ended ${modeTwoEndedMs} ms later with ${report.modes['2']!.attempts} attempts; kernel drops: locked ${locked}, learned peers ${learned}`);
    assert.ok(locked > 0, 'the locked host\'s SYNs were dropped by the kernel');
    assert.ok(learned > 0, 'SYNs to learned peers that the queue did not decide were dropped by the kernel');

    // Then the entry runs out (lock period + 1 s after its last refresh): web is back.
    const back = runAgent(bed, host('client').ns, 'tcp-until', { to: WEB, max: 20_000 });
    assert.equal(back.connected, true);
    const backMs = Date.now() - killedAt;
    t.diagnostic(`web back ${backMs} ms after the kill (lock ${LOCK_SECONDS} s)`);
    assert.ok(backMs <= (LOCK_SECONDS + 3) * 1000, `web back within the lock's entry (${backMs} ms)`);
    nft('delete', 'table', 'ip', 'ftwall');
  });

  test('a known peer stays blocked across kill -9 and restart', async () => {
    const stateDir = `${bed.tempDir}/peer`;
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(`${stateDir}/peers.txt`, `${PEER_IP}:1214\n`); // an operator-seeded, confirmed peer
    const reachable = () => runAgent(bed, host('benign').ns, 'tcp-send', { to: `${PEER_IP}:1214`, bytes: 10, timeout: 1000 }).connected;
    const udpArrives = async () => {
      await peerUdp.report();
      runAgent(bed, host('benign').ns, 'udp-send', { to: `${PEER_IP}:1214`, count: 20, size: 40 });
      return (await peerUdp.report()).unique as number;
    };
    assert.equal(reachable(), true, 'reference: reachable without ftwall');
    const first = FtwallProcess.start(bed, { FTWALL_STATE_DIR: stateDir });
    await first.ready();
    assert.equal(reachable(), false, 'blocked while ftwall runs');
    first.child.kill('SIGKILL');
    await first.exited();
    assert.equal(reachable(), false, 'TCP still blocked after kill -9');
    assert.equal(await udpArrives(), 0, 'and UDP');
    const second = FtwallProcess.start(bed, { FTWALL_STATE_DIR: stateDir });
    try {
      const installed = await second.waitForEvent('kernel_sets_installed');
      assert.equal(installed.replaced, true, 'the restart replaced the leftover table');
      await second.ready();
      assert.equal(reachable(), false, 'blocked after the restart');
    } finally {
      assert.equal((await second.stop()).code, 0);
    }
    assert.equal(hasTable(), false, 'stop removes the table');
    assert.equal(reachable(), true, 'and with it the block');
  });

  test('one host\'s flood of new flows is limited before the queue, counted and logged; other hosts are not touched', async (t) => {
    const LIMIT = 200;
    const ftwall = FtwallProcess.start(bed, { FTWALL_SOURCE_LIMIT: String(LIMIT), FTWALL_STATE_DIR: '', FTWALL_LOG_LEVEL: 'info' });
    try {
      await ftwall.ready();
      await dns.report();
      const startedAt = Date.now();
      const [flood, dnsSent, web] = await Promise.all([
        runAgentAsync(bed, host('flooder').ns, 'udp-spray', { net: FRESH_PEER_NET, count: 20_000, hex: '00112233445566778899' }),
        runAgentAsync(bed, host('benign').ns, 'udp-send', { to: `${WEB_NET}.53:53`, count: 200, size: 60, interval: 2 }),
        runAgentAsync(bed, host('benign').ns, 'tcp-send', { to: WEB, bytes: 100_000, timeout: 3000 }),
      ]);
      const seconds = (Date.now() - startedAt) / 1000;
      const limited = counter('source_limited');
      const decided = metric(bed, 'ftwall_packets_total');
      t.diagnostic(`${String(flood.sent)} new flows in ${String(flood.ms)} ms from one host: ${limited} dropped before the queue, ${decided} packets decided in all over ${seconds.toFixed(1)} s`);
      assert.equal(flood.sent, 20_000);
      assert.ok(limited >= 20_000 - LIMIT * (seconds + 2), `the excess was dropped (${limited})`);
      assert.ok(decided <= LIMIT * (seconds + 2) + 1000, `the queue saw the host's share and the others' traffic only (${decided})`);
      assert.equal(dnsSent.sent, 200);
      assert.equal((await dns.report()).unique, 200, 'the benign host\'s UDP all arrived');
      assert.equal(web.connected, true, 'the benign host\'s web works');
      const line = await ftwall.waitForEvent('source_limited', () => true, 5000);
      assert.deepEqual(line.sources, [host('flooder').ip], 'the log names the flooding host, and only it');
      // While sources are being limited the counters are read at most every 10 s (see STATUS_INTERVAL_MS).
      let counted = 0;
      for (const until = Date.now() + 15_000; Date.now() < until && counted < limited;) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        counted = metric(bed, 'ftwall_kernel_dropped_total', 'reason="source_limited"');
      }
      assert.ok(counted >= limited, `the metric counts them (${counted} of ${limited})`);
    } finally {
      assert.equal((await ftwall.stop()).code, 0);
    }
  });

  test('start replaces a leftover table (whatever it held), the checker puts a removed one back, stop removes it', async () => {
    bed.run(bed.router, ['nft', '-f', '-'], [
      'table ip ftwall {',
      '  set locked { type ipv4_addr . ether_addr; flags timeout; elements = { 10.77.1.99 . 02:77:01:00:00:99 timeout 300s } }',
      '  chain junk { type filter hook forward priority 10; policy drop; }',
      '}',
    ].join('\n') + '\n');
    const ftwall = FtwallProcess.start(bed, { FTWALL_STATE_DIR: '' });
    try {
      await ftwall.ready();
      const installed = ftwall.events('kernel_sets_installed')[0]!;
      assert.deepEqual([installed.replaced, installed.carried], [true, 1], 'the leftover\'s running lock was kept');
      const table = nft('list', 'table', 'ip', 'ftwall');
      assert.doesNotMatch(table, /chain junk/, 'the leftover chain is gone');
      assert.match(table, /chain pre/);
      assert.match(table, /chain post/);
      assert.match(table, /10\.77\.1\.99 \. 02:77:01:00:00:99/);
      assert.equal(runAgent(bed, host('benign').ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 }).connected, true, 'the leftover policy drop no longer applies');
      nft('delete', 'table', 'ip', 'ftwall');
      await ftwall.waitForEvent('kernel_sets_reinstalled', () => true, 5000);
      assert.ok(hasTable(), 'put back');
    } finally {
      assert.equal((await ftwall.stop()).code, 0);
    }
    assert.equal(hasTable(), false, 'stop removes the table');
  });
});
