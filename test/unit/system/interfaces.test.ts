// SPDX-License-Identifier: GPL-2.0-or-later
// The LAN interfaces as start needs them (system/interfaces.ts): all present, and their networks said.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { CidrList } from '../../../src/core/cidr.ts';
import { lanNetworksLogged, requireInterfaces } from '../../../src/system/interfaces.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

test('requireInterfaces names every missing LAN interface in one ConfigError', () => {
  requireInterfaces(['lo']);
  assert.throws(() => requireInterfaces(['lo', 'ftwall-no0', 'ftwall-no1']), (error: Error) => error instanceof ConfigError && error.message === 'FTWALL_LAN_INTERFACE: no such interface: ftwall-no0, ftwall-no1');
});

test('lanNetworksLogged: the networks are logged; none is a warning', () => {
  const { log, lines } = memoryLogger();
  const configured = lanNetworksLogged({ lanNetworks: CidrList.parse('10.0.0.0/24,192.168.1.0/24'), lanInterfaces: ['lan0'] } as unknown as Config, log);
  assert.equal(configured.size, 2);
  const none = lanNetworksLogged({ lanNetworks: CidrList.parse(''), lanInterfaces: ['ftwall-no0'] } as unknown as Config, log);
  assert.equal(none.size, 0);
  assert.deepEqual(lines.map((line) => [line.level, line.event, line.networks ?? line.interfaces]), [[30, 'lan_networks', ['10.0.0.0/24', '192.168.1.0/24']], [40, 'lan_without_ipv4', ['ftwall-no0']]]);
});
