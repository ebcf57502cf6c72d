// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LockKeeper } from '../../../src/actions/lock-keeper.ts';
import { ipFromString } from '../../../src/core/packet.ts';
import { Client, SharedState } from '../../../src/state/shared-state.ts';
import type { FtEvent } from '../../../src/telemetry/events.ts';

function lockedClient(state: SharedState, ip: string, refreshed: number, until: number, ping = [0x27, 0, 0, 0, 0x29, 0x80, 0x4b, 0x61, 0x5a, 0x61, 0x41, 0]) {
  const slot = state.clients.upsert(ipFromString(ip), 0);
  state.clients.set(slot, Client.lockUntil, until);
  state.clients.set(slot, Client.lockRefreshed, refreshed);
  state.clients.set(slot, Client.fastTrackPort, 3531);
  state.clients.set(slot, Client.pingLength, ping.length);
  for (let word = 0; word < 3; word++) {
    state.clients.set(slot, Client.ping + word, (ping[word * 4]! << 24) | (ping[word * 4 + 1]! << 16) | (ping[word * 4 + 2]! << 8) | ping[word * 4 + 3]!);
  }
  return slot;
}

test('probes go out once, half a lock period after the last refresh, as a copy of the client\'s ping', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const probes: Array<[number, number, number[]]> = [];
  const events: FtEvent[] = [];
  const keeper = new LockKeeper(state, 4, (ip, port, ping) => probes.push([ip, port, [...ping]]), (event) => events.push(event));
  lockedClient(state, '10.77.1.10', 100, 140); // 4 s lock = 40 ticks, refreshed at 100
  keeper.sweep(119);
  assert.equal(probes.length, 0, 'not before half the period');
  keeper.sweep(120);
  keeper.sweep(125);
  assert.equal(probes.length, 1, 'once per refresh');
  assert.deepEqual(probes[0], [ipFromString('10.77.1.10'), 3531, [0x27, 0, 0, 0, 0x29, 0x80, 0x4b, 0x61, 0x5a, 0x61, 0x41, 0]]);
  assert.equal(events[0]!.event, 'probe_sent');
});

test('an unanswered lock expires at its end and probes stop', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const probes: number[] = [];
  const events: FtEvent[] = [];
  const keeper = new LockKeeper(state, 4, (ip) => probes.push(ip), (event) => events.push(event));
  const slot = lockedClient(state, '10.77.1.10', 100, 140);
  keeper.sweep(121);
  keeper.sweep(140);
  assert.equal(state.clients.get(slot, Client.lockUntil), 0);
  assert.deepEqual(events.map((e) => e.event), ['probe_sent', 'lock_expired']);
  keeper.sweep(150);
  keeper.sweep(170);
  assert.equal(probes.length, 1);
});
