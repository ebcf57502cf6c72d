// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 15 end to end: the operator's commands against the real daemon in the namespace test bed:
// status, unlock, forget over the control socket (logged, into the kernel, surviving a restart),
// the status page over HTTP, cleanup after kill -9, doctor.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CLI, FtwallProcess } from '../../lab/ftwall-process.ts';
import { TestBed, WEB_NET, privilegedSkipReason } from '../../lab/netns.ts';
import { AgentServer, httpGet, runAgent } from '../../lab/traffic.ts';
import { ping } from '../../lab/fasttrack/wire.ts';

const skip = privilegedSkipReason();
const WEB = `${WEB_NET}.80:80`;
const PEER = '198.51.100.60:1214';
const PING_HEX = ping().toString('hex');

describe('operator commands', { skip }, () => {
  let bed: TestBed;
  let socket: string;
  const ftwall = (...args: string[]) => bed.try(bed.router, ['env', `FTWALL_CONTROL_SOCKET=${socket}`, 'FTWALL_LAN_INTERFACE=lan0', `FTWALL_STATE_DIR=${bed.tempDir}`, process.execPath, CLI, ...args]);

  before(async () => {
    bed = TestBed.create({ hosts: ['client', 'benign'] });
    socket = `${bed.tempDir}/control/ftwall.sock`;
    await AgentServer.start(bed, bed.internet, 'tcp-server', WEB);
  });
  after(() => bed?.destroy());

  test('status shows the locked host with its MAC, time left and why; unlock frees it at once, logged, and a restart keeps it free; forget drops a peer from memory, kernel and peers.txt', async () => {
    const client = bed.host('client');
    let daemon = FtwallProcess.start(bed, { FTWALL_LOCK_SECONDS: '60' });
    try {
      await daemon.ready();
      assert.equal(statSync(socket).mode & 0o777, 0o600, 'only root may use the socket');
      runAgent(bed, client.ns, 'udp-once', { to: PEER, hex: PING_HEX, from: 3531 });
      await daemon.waitForEvent('peer_learned', (line) => line.dest_ip === '198.51.100.60');
      runAgent(bed, client.ns, 'tcp-send', { to: PEER, bytes: 10, timeout: 500 });
      await daemon.waitForEvent('lock_started', (line) => line.src_ip === client.ip);
      assert.equal(runAgent(bed, client.ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1000 }).connected, false, 'locked');

      const status = ftwall('status', '--json');
      assert.equal(status.status, 0, status.stderr);
      const report = JSON.parse(status.stdout) as { hosts: Array<{ ip: string; mac: string; locked: boolean; lock_seconds_left: number; why: string }>; peers: { list: Array<{ peer: string; status: string }> } };
      const host = report.hosts.find((entry) => entry.ip === client.ip);
      assert.ok(host && host.locked && host.mac === client.mac && host.lock_seconds_left > 50 && host.lock_seconds_left <= 61, JSON.stringify(host));
      assert.match(host.why, /FastTrack/);
      assert.ok(report.peers.list.some((peer) => peer.peer === PEER && peer.status === 'learned'));
      assert.match(ftwall('status').stdout, new RegExp(`${client.ip.replace(/\./g, '\\.')} +${client.mac} +fasttrack +LOCKED`));
      const page = httpGet(bed, bed.router, 'http://127.0.0.1:9490/status');
      assert.equal(page.status, 200, page.body);
      const row = new RegExp(`<td class="ip">${client.ip.replace(/\./g, '\\.')}</td><td class="mac">${client.mac}</td><td class="protocol">fasttrack</td><td><strong>LOCKED</strong></td><td class="left" data-seconds="(\\d+)">[^<]+</td>`).exec(page.body);
      assert.ok(row, 'the page shows the host locked, with its MAC and time left');
      assert.ok(Number(row[1]) > 0 && Number(row[1]) <= host.lock_seconds_left, `time left ${row[1]} s, at most the ${host.lock_seconds_left} s status said before`);
      assert.match(page.body, new RegExp(`<td>lock_started</td><td>${client.ip.replace(/\./g, '\\.')}:\\d+</td>`), 'and the event that locked it');
      const json = JSON.parse(httpGet(bed, bed.router, 'http://127.0.0.1:9490/status.json').body) as typeof report;
      assert.ok(json.hosts.some((entry) => entry.ip === client.ip && entry.locked), '/status.json is the same report');

      const unlock = ftwall('unlock', client.ip);
      assert.equal(unlock.status, 0, unlock.stderr);
      const logged = await daemon.waitForEvent('operator_unlocked', (line) => line.src_ip === client.ip);
      assert.equal(logged.was_locked, true);
      assert.equal(runAgent(bed, client.ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 }).connected, true, 'free at once (queue and kernel set)');
      assert.equal(ftwall('unlock', client.ip).status, 1, 'a second unlock says there is nothing to release');

      const forget = ftwall('forget', PEER);
      assert.equal(forget.status, 0, forget.stderr);
      await daemon.waitForEvent('operator_forgot_peer', (line) => line.dest_ip === '198.51.100.60');
      assert.ok(!readFileSync(`${bed.tempDir}/peers.txt`, 'utf8').includes('198.51.100.60:1214'), 'gone from peers.txt');
      // The kernel sets take events in batches (every 100 ms): wait for it, 3 s at most.
      const inSet = () => /198\.51\.100\.60/.test(bed.run(bed.router, ['nft', 'list', 'set', 'ip', 'ftwall', 'learned']));
      for (let i = 0; i < 30 && inSet(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(inSet(), false, 'and from the kernel set');
      assert.equal(ftwall('forget', '198.51.100.61:1').status, 1, 'an unknown peer is an error');
    } finally {
      assert.equal((await daemon.stop()).code, 0);
    }
    daemon = FtwallProcess.start(bed, { FTWALL_LOCK_SECONDS: '60' });
    try {
      await daemon.ready();
      const report = JSON.parse(ftwall('status', '--json').stdout) as { hosts: unknown[]; peers: { total: number } };
      assert.deepEqual(report.hosts, [], 'the unlock survived the restart');
      assert.equal(report.peers.total, 0, 'and so did the forget');
      assert.equal(runAgent(bed, client.ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 }).connected, true);
    } finally {
      assert.equal((await daemon.stop()).code, 0);
    }
  });

  test('without a daemon the commands say so; cleanup removes what a killed run left and refuses while one runs; doctor checks the host', async () => {
    const none = ftwall('status');
    assert.equal(none.status, 1);
    assert.match(none.stderr, /ftwall is not running here/);
    const daemon = FtwallProcess.start(bed, { FTWALL_FAIL: 'closed' });
    await daemon.ready();
    const refused = ftwall('cleanup');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr + refused.stdout, /a running ftwall owns the rules/);
    daemon.child.kill('SIGKILL');
    await new Promise((resolve) => daemon.child.once('exit', resolve));
    assert.match(bed.run(bed.router, ['iptables-save']), /FTWALL-/, 'the killed run left its rules (fail-closed: the LAN is cut off)');
    const cleaned = ftwall('cleanup');
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.match(cleaned.stdout, /removed \d+ chains and jumps/);
    assert.match(cleaned.stdout, /removed table ip ftwall/);
    assert.doesNotMatch(bed.run(bed.router, ['iptables-save']), /FTWALL-/);
    assert.equal(bed.try(bed.router, ['nft', 'list', 'table', 'ip', 'ftwall']).status, 1, 'the table is gone');
    assert.equal(runAgent(bed, bed.host('benign').ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 }).connected, true, 'the LAN works again');
    assert.match(ftwall('cleanup').stdout, /nothing of ftwall was left/);

    const doctor = ftwall('doctor');
    assert.match(doctor.stdout, /^ok +ip_forward: net\.ipv4\.ip_forward = 1$/m);
    assert.match(doctor.stdout, /^ok +lan interfaces: lan0 \(10\.77\.1\.1\/24\)$/m);
    assert.match(doctor.stdout, /^ok +capabilities: CAP_NET_ADMIN yes, CAP_NET_RAW yes$/m);
    assert.match(doctor.stdout, /^(ok|FAIL) +module xt_u32: /m);
    const broken = bed.try(bed.router, ['env', 'FTWALL_LAN_INTERFACE=wan9', 'FTWALL_STATE_DIR=', process.execPath, CLI, 'doctor']);
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, /^FAIL +lan interfaces: missing: wan9; fix: set FTWALL_LAN_INTERFACE/m);
  });
});
