// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ipFromString } from '../../../src/core/packet.ts';
import { NeighbourWatcher, isRealLanHost, parseArpTable } from '../../../src/state/neighbours.ts';
import { SharedState } from '../../../src/state/shared-state.ts';

const dir = mkdtempSync(join(tmpdir(), 'ftwall-neigh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// As the kernel writes it: complete (0x2), permanent (0x6), incomplete (0x0, MAC zero), another device, not Ethernet.
const ARP = `IP address       HW type     Flags       HW address            Mask     Device
10.77.1.10       0x1         0x2         02:77:01:00:00:10     *        lan0
10.77.1.20       0x1         0x6         02:77:01:00:00:11     *        lan0
10.77.1.105      0x1         0x0         00:00:00:00:00:00     *        lan0
203.0.113.2      0x1         0x2         aa:bb:cc:dd:ee:ff     *        wan0
10.77.1.30       0x20        0x2         02:77:01:00:00:12     *        lan0
garbage line
`;

test('only complete Ethernet entries on the LAN interfaces count', () => {
  const entries = parseArpTable(ARP, ['lan0']);
  assert.deepEqual(entries, [
    { ip: ipFromString('10.77.1.10'), macHigh: 0x02770100, macLow: 0x00100000 },
    { ip: ipFromString('10.77.1.20'), macHigh: 0x02770100, macLow: 0x00110000 },
  ]);
  assert.equal(parseArpTable(ARP).length, 3, 'every interface when none is named');
  assert.deepEqual(parseArpTable(''), []);
});

test('the watcher fills the shared table; a host verifies with its own MAC, recently listed, only', () => {
  const state = new SharedState(SharedState.create({ maxPeers: 64, maxClients: 64, nowMs: 0 }));
  const path = join(dir, 'arp');
  writeFileSync(path, ARP);
  const errors: Error[] = [];
  const watcher = new NeighbourWatcher(state, ['lan0'], (error) => errors.push(error), path);
  watcher.refresh(100);
  assert.equal(watcher.count, 2);
  const host = ipFromString('10.77.1.10');
  assert.equal(isRealLanHost(state, host, 0x02770100, 0x00100000, 100), true);
  assert.equal(isRealLanHost(state, host, 0x02770100, 0x00110000, 100), false, 'another MAC');
  assert.equal(isRealLanHost(state, ipFromString('10.77.1.105'), 0x02770100, 0x00100000, 100), false, 'an address nobody answers for');
  assert.equal(isRealLanHost(state, host, 0, 0, 100), false, 'no MAC seen');
  assert.equal(isRealLanHost(state, host, 0x02770100, 0x00100000, 131), false, 'not listed for over 3 s');
  rmSync(path);
  watcher.refresh(140);
  watcher.refresh(150);
  assert.equal(errors.length, 1, 'an unreadable table is reported once');
});
