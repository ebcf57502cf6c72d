// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LockKeeper } from '../../../src/actions/lock-keeper.ts';
import type { FtEvent } from '../../../src/core/events.ts';
import { ipFromString } from '../../../src/core/packet.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { Client, SharedState, storeSeed } from '../../../src/state/shared-state.ts';

const PING = [0x27, 0, 0, 0, 0x29, 0x80, 0x4b, 0x61, 0x5a, 0x61, 0x41, 0];

/** A 4 s lock = 40 ticks: probe half-way (20 ticks), answer window 1 s (10 ticks). */
function lockedClient(state: SharedState, ip: string, started: number, until: number, ping: number[] = PING) {
  const slot = state.clients.upsert(ipFromString(ip), 0);
  state.clients.set(slot, Client.lockUntil, until);
  state.clients.set(slot, Client.lockStarted, started);
  state.clients.set(slot, Client.clientPort, ping.length ? 3531 : 0);
  storeSeed(state.clients, slot, Uint8Array.from(ping), 0, ping.length);
  return slot;
}

function setup(accept: () => boolean = () => true) {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const probes: Array<[number, number, number[], number]> = [];
  const events: FtEvent[] = [];
  let picks = 0;
  const keeper = new LockKeeper(state, 4, createProtocols(['fasttrack'], { networkNames: ['KaZaA'] }), { first: 41214, count: 1024, pick: () => 300 + picks++ }, (ip, port, ping, from) => {
    if (!accept()) return false;
    probes.push([ip, port, [...ping], from]);
    return true;
  }, (event) => events.push(event));
  return { state, probes, events, keeper };
}

test('a probe goes out once, half a lock period after the lock started, as a copy of the client\'s ping, from a port picked for it and recorded', () => {
  const { state, probes, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(119);
  assert.equal(probes.length, 0, 'not before half the period');
  state.clients.set(slot, Client.lockUntil, 159); // a SYN refreshing the lock
  keeper.sweep(120);
  keeper.sweep(125);
  assert.equal(probes.length, 1, 'once');
  assert.deepEqual(probes[0], [ipFromString('10.77.1.10'), 3531, PING, 41214 + 300]);
  assert.equal(state.clients.get(slot, Client.probePort), 41514, 'only an answer to this port will count');
  assert.equal(state.clients.get(slot, Client.probeSent), 120);
  const sent = events[0]!;
  assert.equal(sent.event === 'probe_sent' && sent.src_port, 41514);
});

test('an answered probe keeps the lock; the next probe is half a period after the answer, from a new port; the lock ends at its end', () => {
  const { state, probes, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(120);
  state.clients.set(slot, Client.probeAnswered, 122); // the writer's doing on a valid answer
  state.clients.set(slot, Client.probePort, 0);
  keeper.sweep(131);
  assert.equal(state.clients.get(slot, Client.lockUntil), 140, 'answered: not ended');
  keeper.sweep(141);
  assert.equal(probes.length, 1);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0);
  assert.deepEqual(events.map((e) => e.event), ['probe_sent', 'lock_expired']);
});

test('an unanswered probe does not end the lock: the host is probed again half a period later (from another port) while its lock runs', () => {
  const { state, probes, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 180);
  keeper.sweep(120);
  keeper.sweep(130);
  assert.equal(state.clients.get(slot, Client.lockUntil), 180, 'still locked after the window');
  assert.equal(keeper.lockedCount, 1);
  keeper.sweep(140);
  assert.equal(probes.length, 2);
  assert.notEqual(probes[0]![3], probes[1]![3], 'a new port per probe');
  keeper.sweep(180);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0, 'it ends when its period does');
  assert.deepEqual(events.map((e) => e.event), ['probe_sent', 'probe_sent', 'lock_expired']);
  assert.equal(state.clients.get(slot, Client.probePort), 0, 'no answer is expected after the lock');
});

test('a lock with no ping to copy is not probed; it runs on its host\'s own activity', () => {
  const { state, probes, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140, []);
  keeper.sweep(120);
  keeper.sweep(130);
  assert.equal(probes.length, 0);
  assert.equal(state.clients.get(slot, Client.lockUntil), 140);
});

test('a probe refused by the rate limit is tried again at the next sweep', () => {
  let accept = false;
  const { state, probes, keeper } = setup(() => accept);
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(120);
  assert.equal(probes.length, 0, 'refused');
  assert.equal(state.clients.get(slot, Client.probeSent), 0);
  accept = true;
  keeper.sweep(121);
  assert.equal(probes.length, 1);
});

test('a host quiet since an unanswered probe is freed when the window closes, with a reason that says so', () => {
  const { state, probes, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140); // last activity at 100 (lock 40 ticks)
  keeper.sweep(120);
  assert.equal(probes.length, 1);
  keeper.sweep(129);
  assert.equal(state.clients.get(slot, Client.lockUntil), 140, 'the window still open');
  keeper.sweep(130);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0, 'freed 10 ticks before its period would have ended');
  const expired = events.at(-1)!;
  assert.equal(expired.event, 'lock_expired');
  assert.match(String((expired as { reason: string }).reason), /unanswered/);
});
