// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, describeConfig, loadConfig, logConfig, unknownVariables } from '../../../src/config/load.ts';
import { SETTINGS } from '../../../src/config/schema.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

const base = { FTWALL_LAN_INTERFACE: 'eth1' };

test('defaults come from the schema and are typed', () => {
  const config = loadConfig({ ...base, FTWALL_WORKERS: '3' });
  assert.deepEqual(config.lanInterfaces, ['eth1']);
  assert.equal(config.workers, 3);
  assert.equal(config.lockSeconds, 120);
  assert.equal(config.queueBase, 1214);
  assert.deepEqual(config.httpAddress, { host: '127.0.0.1', port: 9490 });
  assert.equal(config.iptables, 'auto');
  assert.equal(config.mark, 0x100000);
  assert.ok(Object.isFrozen(config));
});

test('FTWALL_WORKERS=0 means one worker per CPU', () => {
  assert.ok(loadConfig({ ...base, FTWALL_WORKERS: '0' }).workers >= 1);
});

test('lists, hex and IPv6 addresses parse', () => {
  const config = loadConfig({ FTWALL_LAN_INTERFACE: ' eth1, wlan0 ,eth1', FTWALL_MARK: '0x8000', FTWALL_HTTP_ADDRESS: '[::1]:9000' });
  assert.deepEqual(config.lanInterfaces, ['eth1', 'wlan0']);
  assert.equal(config.mark, 0x8000);
  assert.deepEqual(config.httpAddress, { host: '::1', port: 9000 });
});

test('each bad value fails with one line naming its variable', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /^FTWALL_LAN_INTERFACE: must name at least one/],
    [{ ...base, FTWALL_LAN_INTERFACE: 'eth 1' }, /^FTWALL_LAN_INTERFACE: "eth 1" is not a valid interface name/],
    [{ ...base, FTWALL_WORKERS: '-1' }, /^FTWALL_WORKERS: must be a whole number from 0 to 64/],
    [{ ...base, FTWALL_LOCK_SECONDS: '2m' }, /^FTWALL_LOCK_SECONDS: must be a whole number/],
    [{ ...base, FTWALL_MARK: '0x3' }, /^FTWALL_MARK: must be a single bit/],
    [{ ...base, FTWALL_HTTP_ADDRESS: '127.0.0.1:70000' }, /^FTWALL_HTTP_ADDRESS: port must be 1..65535/],
    [{ ...base, FTWALL_LOG_LEVEL: 'loud' }, /^FTWALL_LOG_LEVEL: must be one of fatal, error/],
    [{ ...base, FTWALL_QUEUE_BASE: '65500' }, /^FTWALL_QUEUE_BASE: must be a whole number from 0 to 65471/],
    [{ ...base, FTWALL_BYPASS_MARK: '0x100000' }, /^FTWALL_BYPASS_MARK: must differ from FTWALL_MARK/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(() => loadConfig(env), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.exitCode, 2);
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, expected);
      return true;
    });
  }
});

test('unknown FTWALL_* variables are reported as likely typos', () => {
  assert.deepEqual(unknownVariables({ ...base, FTWALL_LOCK_SECOND: '5', FTWALL_WORKERS: '1', OTHER: 'x' }), ['FTWALL_LOCK_SECOND']);
});

test('the config summary is keyed by variable name and covers every setting', () => {
  const summary = describeConfig(loadConfig(base));
  assert.deepEqual(Object.keys(summary).sort(), Object.values(SETTINGS).map((s) => s.env).sort());
});

test('at start the log names unknown variables, gives the settings and warns of fail-closed and monitor mode', () => {
  const env = { ...base, FTWALL_LOCK_SECOND: '5', FTWALL_FAIL: 'closed', FTWALL_MODE: 'monitor' };
  const { log, lines } = memoryLogger();
  logConfig(loadConfig(env), log, env);
  assert.deepEqual(lines.map((line) => [line.level, line.event]), [[40, 'config_unknown_variable'], [30, 'config'], [40, 'fail_closed'], [40, 'monitor_mode']]);
  assert.equal(lines[0]!.variable, 'FTWALL_LOCK_SECOND');
  const quiet = memoryLogger();
  logConfig(loadConfig(base), quiet.log, base);
  assert.deepEqual(quiet.lines.map((line) => line.event), ['config']);
});
