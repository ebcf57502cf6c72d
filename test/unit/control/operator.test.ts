// SPDX-License-Identifier: GPL-2.0-or-later
// The operator's view and changes over the shared state, and the control channel that carries them.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { askDaemon, closeControl, ControlError, serveControl } from '../../../src/control/channel.ts';
import { Operator, OperatorError } from '../../../src/control/operator.ts';
import { formatStatus } from '../../../src/control/status-text.ts';
import type { FtEvent } from '../../../src/core/events.ts';
import { ipFromString, macKey } from '../../../src/core/packet.ts';
import { ClientStatus } from '../../../src/core/types.ts';
import { StateWriter } from '../../../src/state/apply.ts';
import { Client, PeerSource, SharedState } from '../../../src/state/shared-state.ts';

function setup() {
  const NOW = 1_000_000_000;
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: NOW - 60_000 }));
  state.pin([{ ip: ipFromString('198.51.100.99'), port: 1214 }]);
  const writer = new StateWriter(state, 120, 3);
  const now = state.ticks(NOW);
  writer.learnPeer(ipFromString('198.51.100.7'), 1214, ipFromString('10.0.0.10'), 1, false, PeerSource.UDP, now);
  writer.learnPeer(ipFromString('198.51.100.8'), 3531, 0, 0, false, PeerSource.STORE | PeerSource.CONFIRMED, now);
  const slot = state.clients.upsert(ipFromString('10.0.0.10') | 0, macKey(0x02770100, 0x00100000, state.hostKeySecret));
  state.clients.set(slot, Client.flags, ClientStatus.IDENTIFIED);
  state.clients.set(slot, Client.lockUntil, state.ticks(NOW + 90_000));
  state.clients.set(slot, Client.macHigh, 0x02770100);
  state.clients.set(slot, Client.macLow, 0x00100000);
  state.clients.set(slot, Client.lastSeen, state.ticks(NOW - 5000));
  const events: FtEvent[] = [];
  const saved = { clients: 0, peers: [] as string[] };
  const operator = new Operator({
    state, protocols: ['fasttrack', 'bittorrent'], version: '9.9.9', startedMs: NOW - 30_000, packets: () => ({ p2p_udp: { accepted: 0, dropped: 5 } }),
    report: (event) => events.push(event), saveClients: () => saved.clients++, compactPeers: (why) => saved.peers.push(why),
  });
  return { NOW, state, operator, events, saved };
}

test('status: locked hosts with MAC, time left and why; peers by kind; packets', () => {
  const { NOW, operator } = setup();
  const report = operator.status(NOW);
  assert.equal(report.uptime_seconds, 30);
  assert.equal(report.hosts.length, 1);
  assert.deepEqual({ ...report.hosts[0], why: undefined }, { ip: '10.0.0.10', mac: '02:77:01:00:00:10', protocol: 'fasttrack', identified: true, locked: true, lock_seconds_left: 90, why: undefined, last_seen_seconds_ago: 5, probe_answered: false });
  assert.match(report.hosts[0]!.why, /FastTrack/);
  assert.deepEqual({ ...report.peers, list: undefined }, { total: 3, confirmed: 1, learned: 1, operator: 1, list: undefined });
  assert.deepEqual(report.peers.list.map((peer) => `${peer.peer} ${peer.status}`).sort(), ['198.51.100.7:1214 learned', '198.51.100.8:3531 confirmed', '198.51.100.99:1214 operator']);
  const text = formatStatus(report);
  assert.match(text, /10\.0\.0\.10 +02:77:01:00:00:10 +fasttrack +LOCKED 90 s left/);
  assert.match(text, /p2p_udp +0 \/ 5/);
});

test('unlock: the lock ends and the host is no longer identified, with an event for the log and the kernel sets, saved at once', () => {
  const { NOW, state, operator, events, saved } = setup();
  assert.deepEqual(operator.unlock('10.0.0.10', NOW), { released: 1 });
  assert.deepEqual(events, [{ event: 'operator_unlocked', src_ip: '10.0.0.10', src_mac: '02:77:01:00:00:10', was_locked: true, lock_seconds_left: 90 }]);
  assert.equal(saved.clients, 1);
  assert.equal(operator.status(NOW).hosts.length, 0);
  const slot = state.clients.find(ipFromString('10.0.0.10') | 0, macKey(0x02770100, 0x00100000, state.hostKeySecret));
  assert.equal(state.clients.get(slot, Client.lockUntil), 0);
  assert.throws(() => operator.unlock('10.0.0.10', NOW), OperatorError, 'nothing left to release');
  assert.throws(() => operator.unlock('10.0.0.300', NOW), /not an IPv4 address/);
});

test('forget: a learned, a confirmed and the operator\'s own peer; the store is rewritten; unknown peers are an error', () => {
  const { state, operator, events, saved } = setup();
  assert.deepEqual(operator.forget('198.51.100.7:1214'), { forgotten: ['198.51.100.7:1214'] });
  assert.deepEqual(operator.forget('198.51.100.8'), { forgotten: ['198.51.100.8:3531'] }, 'an IP alone: every port');
  assert.deepEqual(operator.forget('198.51.100.99:1214'), { forgotten: ['198.51.100.99:1214'] });
  assert.equal(state.pinned.has(ipFromString('198.51.100.99'), 1214), false, 'gone from the operator\'s peers too (every thread sees it)');
  assert.equal(state.pinned.size, 0);
  assert.deepEqual(events.map((event) => event.event === 'operator_forgot_peer' && event.was), ['learned', 'confirmed', 'operator']);
  assert.deepEqual(saved.peers, ['operator', 'operator', 'operator']);
  assert.equal(operator.status().peers.total, 0);
  assert.throws(() => operator.forget('198.51.100.7:1214'), /not a known peer/);
  assert.throws(() => operator.forget('peer'), /not a peer/);
});

test('handle: the control channel\'s commands, and an unknown one refused', () => {
  const { operator } = setup();
  assert.equal((operator.handle({ command: 'status', args: [] }) as { version: string }).version, '9.9.9');
  assert.deepEqual(operator.handle({ command: 'forget', args: ['198.51.100.7:1214'] }), { forgotten: ['198.51.100.7:1214'] });
  assert.throws(() => operator.handle({ command: 'reboot', args: [] }), /unknown command reboot/);
});

test('the control channel: a socket only its owner may use; requests answered, errors carried, no daemon said plainly', async () => {
  const dir = mkdtempSync(`${tmpdir()}/ftwall-control-`);
  const path = `${dir}/run/control.sock`;
  const server = await serveControl(path, (request) => {
    if (request.command === 'boom') throw new OperatorError('no such host');
    return { echo: request.args };
  });
  try {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(`${dir}/run`).mode & 0o777, 0o700);
    assert.deepEqual(await askDaemon(path, 'status', ['a', 'b']), { echo: ['a', 'b'] });
    await assert.rejects(askDaemon(path, 'boom'), (error: Error) => error instanceof ControlError && error.message === 'no such host');
  } finally {
    closeControl(server, path);
  }
  await assert.rejects(askDaemon(path, 'status'), /ftwall is not running here/);
});
