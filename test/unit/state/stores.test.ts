// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { ipToString } from '../../../src/core/packet.ts';
import { Peer, PeerSource, SharedState } from '../../../src/state/shared-state.ts';
import { Stores } from '../../../src/state/stores.ts';
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
  state.peers.forEach((slot, ip, port) => peers.push(`${ipToString(ip)}:${port}${(state.peers.get(slot, Peer.sources) & PeerSource.CONFIRMED) ? '' : ' learned'}`));
  return peers.sort();
}

test('loading the peer store fills the peer table, leaves FTWALL_NEVER_PEER out and names each skipped line', () => {
  const { stateDir, state, lines, stores } = setup('load', { FTWALL_NEVER_PEER: '10.0.0.0/8' });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'peers.txt'), '198.51.100.7:1214\n198.51.100.8:80 learned\n10.1.2.3:1214\nnot a peer\n');
  stores.loadPeers();
  assert.deepEqual(peersIn(state), ['198.51.100.7:1214', '198.51.100.8:80 learned']);
  assert.deepEqual(lines.map((line) => [line.event, line.line ?? line.peers]), [['peer_store_line_skipped', 4], ['peer_store_loaded', 3]]);
});

test('learned peers are appended; a full store is rewritten from the peer table', () => {
  const { stateDir, state, lines, stores } = setup('append');
  stores.loadPeers();
  stores.appendPeers(['198.51.100.9:80 learned']);
  const path = join(stateDir, 'peers.txt');
  assert.equal(readFileSync(path, 'utf8'), '198.51.100.9:80 learned\n');
  state.peers.upsert(0xc6336407, 1214);
  stores.appendPeers(Array.from({ length: 1024 }, () => '198.51.100.9:80 learned'));
  assert.equal(readFileSync(path, 'utf8'), '198.51.100.7:1214 learned\n', 'only what the table remembers');
  assert.equal(lines.at(-1)?.event, 'peer_store_compacted');
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
