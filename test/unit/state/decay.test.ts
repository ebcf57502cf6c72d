// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FtEvent } from '../../../src/core/events.ts';
import { ipFromString } from '../../../src/core/packet.ts';
import { ClientStatus, PeerStatus } from '../../../src/core/types.ts';
import { Learned, StateWriter } from '../../../src/state/apply.ts';
import { DecaySweep } from '../../../src/state/decay.ts';
import { Client, PeerSource, SharedState } from '../../../src/state/shared-state.ts';
import { compactedPeerLines } from '../../../src/state/stores.ts';
import { SharedStateView } from '../../../src/state/view.ts';

// Ticks are 100 ms: a quiet time of 60 s is 600 ticks.
const SETTINGS = { clientQuietSeconds: 60, peerQuietSeconds: 120 };

function setup() {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const events: FtEvent[] = [];
  return { state, events, sweep: new DecaySweep(state, SETTINGS, (event) => events.push(event)), view: new SharedStateView(state), writer: new StateWriter(state, 4, 1) };
}

function identify(state: SharedState, ip: string, lastSeen: number, lockUntil = 0): number {
  const slot = state.clients.upsert(ipFromString(ip), 7);
  state.clients.setBits(slot, Client.flags, ClientStatus.IDENTIFIED);
  state.clients.set(slot, Client.lastSeen, lastSeen);
  state.clients.set(slot, Client.lockUntil, lockUntil);
  return slot;
}

test('a client quiet for FTWALL_CLIENT_QUIET_SECONDS and not locked loses its identification, once', () => {
  const { state, events, sweep, view } = setup();
  identify(state, '10.77.1.10', 1000);
  identify(state, '10.77.1.20', 1000, 2000); // locked until tick 2000
  identify(state, '10.77.1.30', 1500);
  assert.deepEqual(sweep.sweep(1599), { clients: 0, peers: 0 }, 'not yet 60 s');
  assert.deepEqual(sweep.sweep(1600), { clients: 1, peers: 0 });
  assert.equal(view.clientStatus(ipFromString('10.77.1.10'), 7), ClientStatus.NONE);
  assert.equal(view.clientStatus(ipFromString('10.77.1.20'), 7), ClientStatus.IDENTIFIED, 'a locked client is never quiet');
  assert.equal(view.clientStatus(ipFromString('10.77.1.30'), 7), ClientStatus.IDENTIFIED);
  assert.deepEqual(sweep.sweep(2001), { clients: 1, peers: 0 }, 'the lock over, it goes too');
  assert.deepEqual(sweep.sweep(2100), { clients: 1, peers: 0 });
  assert.deepEqual(sweep.sweep(5000), { clients: 0, peers: 0 }, 'forgotten once');
  assert.deepEqual(events.map((e) => e.event === 'client_forgotten' && e.src_ip), ['10.77.1.10', '10.77.1.20', '10.77.1.30']);
  assert.deepEqual(sweep.forgotten, { clients: 3, peers: 0 });
});

test('a peer unseen for FTWALL_PEER_QUIET_SECONDS is forgotten, confirmed or not; seen again, it is new; the operator\'s never go', () => {
  const { state, events, sweep, view, writer } = setup();
  state.pin([{ ip: ipFromString('198.51.100.1'), port: 1214 }]);
  const learned = ipFromString('198.51.100.2');
  const confirmed = ipFromString('198.51.100.3');
  const fresh = ipFromString('198.51.100.4');
  writer.learnPeer(learned, 80, ipFromString('10.77.1.10'), 1, false, PeerSource.UDP, 100);
  writer.learnPeer(confirmed, 80, ipFromString('10.77.1.10'), 1, true, PeerSource.UDP, 100); // quorum 1
  writer.learnPeer(ipFromString('198.51.100.1'), 1214, ipFromString('10.77.1.10'), 1, true, PeerSource.UDP, 100); // the operator's, revealed too
  writer.learnPeer(fresh, 80, ipFromString('10.77.1.10'), 1, false, PeerSource.UDP, 1000);
  assert.equal(view.peerStatus(confirmed, 80), PeerStatus.CONFIRMED);
  assert.deepEqual(sweep.sweep(1299), { clients: 0, peers: 0 });
  assert.deepEqual(sweep.sweep(1300), { clients: 0, peers: 3 });
  assert.equal(view.peerStatus(learned, 80), PeerStatus.NONE);
  assert.equal(view.peerStatus(confirmed, 80), PeerStatus.NONE);
  assert.equal(view.peerStatus(fresh, 80), PeerStatus.LEARNED);
  assert.equal(view.peerStatus(ipFromString('198.51.100.1'), 1214), PeerStatus.CONFIRMED, 'pinned');
  assert.deepEqual(events.map((e) => e.event === 'peer_forgotten' && [e.dest_ip, e.confirmed]).sort(), [['198.51.100.1', true], ['198.51.100.2', false], ['198.51.100.3', true]]);
  assert.deepEqual(compactedPeerLines(state).sort(), ['198.51.100.1:1214', '198.51.100.4:80 learned'], 'forgotten peers leave the store');
  assert.equal(writer.learnPeer(confirmed, 80, ipFromString('10.77.1.11'), 2, false, PeerSource.UDP, 1400), Learned.NEW, 'revealed again: new, from no revealers');
  assert.equal(view.peerStatus(confirmed, 80), PeerStatus.LEARNED);
  assert.equal(DecaySweep.intervalMs({ clientQuietSeconds: 3600, peerQuietSeconds: 86400 }), 60_000);
  assert.equal(DecaySweep.intervalMs({ clientQuietSeconds: 10, peerQuietSeconds: 86400 }), 1000);
});
