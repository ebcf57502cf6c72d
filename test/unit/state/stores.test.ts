// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { ipToString } from '../../../src/core/packet.ts';
import { PeerStatus } from '../../../src/core/types.ts';
import { StateWriter } from '../../../src/state/apply.ts';
import { Peer, PeerSource, SharedState } from '../../../src/state/shared-state.ts';
import { Stores } from '../../../src/state/stores.ts';
import { SharedStateView } from '../../../src/state/view.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const root = mkdtempSync(join(tmpdir(), 'ftwall-stores-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Stores over a fresh state directory (or none, with `stateDir: ''`). */
function setup(name: string, env: Record<string, string> = {}) {
  const stateDir = join(root, name);
  const config = loadConfig({ FTWALL_LAN_INTERFACE: 'eth1', FTWALL_STATE_DIR: stateDir, FTWALL_MAX_PEERS: '64', ...env });
  const state = new SharedState(SharedState.create({ maxPeers: config.maxPeers, maxClients: 64 }));
  const { log, lines } = memoryLogger();
  return { stateDir, state, lines, stores: new Stores(config, state, log) };
}

/** The peer table as store lines. */
function peersIn(state: SharedState): string[] {
  const peers: string[] = [];
  state.peers.forEach((slot, ip, port) => peers.push(`${ipToString(ip)}:${port}${(state.peers.get(slot, Peer.sources) & PeerSource.CONFIRMED) ? ' confirmed' : ' learned'}`));
  return peers.sort();
}

test('loading the peer store: the operator\'s peers pinned, the rest in the peer table, FTWALL_NEVER_PEER left out, each skipped line named', () => {
  const { stateDir, state, lines, stores } = setup('load', { FTWALL_NEVER_PEER: '10.0.0.0/8' });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'peers.txt'), '198.51.100.7:1214\n198.51.100.8:80 learned\n198.51.100.9:80 confirmed\n10.1.2.3:1214\nnot a peer\n');
  stores.loadPeers();
  assert.deepEqual(peersIn(state), ['198.51.100.8:80 learned', '198.51.100.9:80 confirmed']);
  assert.equal(state.pinned.size, 1);
  assert.equal(state.pinned.has(0xc6336407, 1214), true);
  assert.equal(new SharedStateView(state).peerStatus(0xc6336407, 1214), PeerStatus.CONFIRMED);
  assert.deepEqual(lines.map((line) => [line.event, line.line ?? line.peers]), [['peer_store_line_skipped', 5], ['peer_store_loaded', 4]]);
});

test('learned peers are appended; a full store is rewritten from the peer table', () => {
  const { stateDir, state, lines, stores } = setup('append');
  stores.loadPeers();
  stores.appendPeers(['198.51.100.9:80 learned']);
  const path = join(stateDir, 'peers.txt');
  assert.equal(readFileSync(path, 'utf8'), '198.51.100.9:80 learned\n');
  state.peers.set(state.peers.upsert(0xc6336407, 1214), Peer.lastSeen, 5);
  stores.appendPeers(Array.from({ length: 1024 }, () => '198.51.100.9:80 learned'));
  assert.equal(readFileSync(path, 'utf8'), '198.51.100.7:1214 learned\n', 'only what the table remembers');
  assert.equal(lines.at(-1)?.event, 'peer_store_compacted');
});

test('pinned peers survive 100,000 inserts of others and every compaction; confirmed peers survive the spray in memory', () => {
  const { stateDir, state, stores } = setup('pinned', { FTWALL_MAX_PEERS: '1024' });
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'peers.txt');
  const operators = Array.from({ length: 50 }, (_, i) => `198.51.100.${i + 1}:1214`);
  writeFileSync(path, `${operators.join('\n')}\n198.51.100.200:80 confirmed\n`);
  stores.loadPeers();
  const writer = new StateWriter(state, 4, 3);
  const view = new SharedStateView(state);
  let compactions = 0;
  for (let i = 0; i < 100_000; i++) {
    const ip = 0xc6120000 + (i % 65000);
    writer.learnPeer(ip, 1024 + i, 0x0a4d0164, 1, false, PeerSource.UDP, 10);
    if (i % 1000 === 999) {
      stores.appendPeers(Array.from({ length: 200 }, () => `${ipToString(ip)}:${1024 + i} learned`));
      if (readFileSync(path, 'utf8').split('\n').length < 1000) compactions++;
    }
  }
  assert.ok(compactions > 5, `${compactions} compactions`);
  assert.ok(state.peers.stats().rotations > 100);
  for (let i = 0; i < 50; i++) assert.equal(view.peerStatus(0xc6336401 + i, 1214), PeerStatus.CONFIRMED, `operator's peer ${i}`);
  assert.equal(view.peerStatus(0xc63364c8, 80), PeerStatus.CONFIRMED, 'the confirmed peer is carried through every rotation');
  assert.ok(state.peers.stats().carried > 10, `by the rotations themselves: ${state.peers.stats().carried} times in ${state.peers.stats().rotations} rotations`);
  stores.compactPeers('test');
  const text = readFileSync(path, 'utf8').split('\n');
  assert.deepEqual(text.slice(0, 50).sort(), [...operators].sort(), 'the operator\'s peers first, every one');
  assert.ok(text.includes('198.51.100.200:80 confirmed'));
});

test('clients are saved when they changed, always at the end, and a write failure is logged', () => {
  const { stateDir, lines, stores } = setup('clients');
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'clients.json');
  writeFileSync(path, '{"format":99}');
  stores.loadClients();
  assert.equal(lines.at(-1)?.event, 'client_store_unreadable');
  assert.equal(stores.keepsClients, true);
  stores.saveClients(false);
  assert.equal(readFileSync(path, 'utf8'), '{"format":99}', 'nothing changed: not written');
  stores.clientsChanged();
  stores.saveClients(false);
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { format: number }).format, 1);
  rmSync(path);
  stores.saveClients(true);
  assert.ok(existsSync(path), 'the final save writes even without a change');
  mkdirSync(`${path}.new`);
  stores.clientsChanged();
  stores.saveClients(false);
  assert.equal(lines.at(-1)?.event, 'client_store_write_failed');
});

test('without FTWALL_STATE_DIR there are no stores: nothing is read or written', () => {
  const { stateDir, lines, stores } = setup('none', { FTWALL_STATE_DIR: '' });
  stores.loadPeers();
  stores.loadClients();
  stores.appendPeers(['198.51.100.9:80']);
  stores.clientsChanged();
  stores.saveClients(true);
  assert.equal(stores.keepsClients, false);
  assert.equal(existsSync(stateDir), false);
  assert.deepEqual(lines, []);
});
