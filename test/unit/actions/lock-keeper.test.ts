// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LockKeeper } from '../../../src/actions/lock-keeper.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { ClientStatus } from '../../../src/core/types.ts';
import { ipFromString } from '../../../src/core/packet.ts';
import { Client, SharedState, storeSeed } from '../../../src/state/shared-state.ts';
import type { FtEvent } from '../../../src/telemetry/events.ts';

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
  const probes: Array<[number, number, number[]]> = [];
  const events: FtEvent[] = [];
  const keeper = new LockKeeper(state, 4, createProtocols(['fasttrack'], { networkNames: ['KaZaA'] }), (ip, port, ping) => {
    if (!accept()) return false;
    probes.push([ip, port, [...ping]]);
    return true;
  }, (event) => events.push(event));
  return { state, probes, events, keeper };
}

test('a probe goes out once, half a lock period after the lock started, as a copy of the client\'s ping; refreshes do not postpone it', () => {
  const { state, probes, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(119);
  assert.equal(probes.length, 0, 'not before half the period');
  state.clients.set(slot, Client.lockUntil, 159); // a forged SYN refreshing the lock
  keeper.sweep(120);
  keeper.sweep(125);
  assert.equal(probes.length, 1, 'once');
  assert.deepEqual(probes[0], [ipFromString('10.77.1.10'), 3531, PING]);
  assert.equal(events[0]!.event, 'probe_sent');
});

test('an answered probe keeps the lock; the next probe is half a period after the answer; the lock ends at its end', () => {
  const { state, probes, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(120);
  state.clients.set(slot, Client.probeAnswered, 122); // the writer's doing on a probe answer
  keeper.sweep(131);
  assert.equal(state.clients.get(slot, Client.lockUntil), 140, 'answered: not ended');
  keeper.sweep(141);
  assert.equal(probes.length, 1);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0);
  assert.deepEqual(events.map((e) => e.event), ['probe_sent', 'lock_expired']);
  assert.equal(events[1]!.event === 'lock_expired' && events[1]!.suspect, undefined);
  assert.equal(state.clients.get(slot, Client.flags) & ClientStatus.SUSPECT, 0);
});

test('an unanswered probe ends the lock at once and marks the host suspect', () => {
  const { state, events, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(120);
  state.clients.set(slot, Client.lockUntil, 160); // still being refreshed by forged SYNs
  keeper.sweep(129);
  assert.equal(state.clients.get(slot, Client.lockUntil), 160, 'within the answer window');
  keeper.sweep(130);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0);
  assert.notEqual(state.clients.get(slot, Client.flags) & ClientStatus.SUSPECT, 0);
  assert.equal(events.at(-1)!.event, 'lock_expired');
  const last = events.at(-1)!;
  assert.equal(last.event === 'lock_expired' && last.suspect, true);
  assert.equal(keeper.lockedCount, 0);
});

test('a lock with no ping to copy cannot be confirmed and ends the same way', () => {
  const { state, probes, keeper } = setup();
  const slot = lockedClient(state, '10.77.1.10', 100, 140, []);
  keeper.sweep(120);
  keeper.sweep(130);
  assert.equal(probes.length, 0);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0);
  assert.notEqual(state.clients.get(slot, Client.flags) & ClientStatus.SUSPECT, 0);
});

test('a suspect host that would be locked is probed, at most once per answer window, and again when the rate limit refused', () => {
  let accept = false;
  const { state, probes, keeper } = setup(() => accept);
  const slot = lockedClient(state, '10.77.1.10', 0, 0);
  state.clients.setBits(slot, Client.flags, ClientStatus.SUSPECT);
  keeper.sweep(200);
  assert.equal(probes.length, 0, 'nothing wanted');
  state.clients.set(slot, Client.probeWanted, 201);
  keeper.sweep(202);
  assert.equal(probes.length, 0, 'refused by the rate limit');
  accept = true;
  keeper.sweep(203);
  assert.equal(probes.length, 1);
  state.clients.set(slot, Client.probeWanted, 205);
  keeper.sweep(206);
  assert.equal(probes.length, 1, 'once per answer window');
  keeper.sweep(213);
  assert.equal(probes.length, 2);
});
