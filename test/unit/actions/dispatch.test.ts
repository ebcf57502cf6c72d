// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchDispatcher } from '../../../src/actions/dispatch.ts';
import type { SpoofOutcome } from '../../../src/actions/spoofer.ts';
import { ipFromString } from '../../../src/core/packet.ts';
import type { SpoofRequest } from '../../../src/state/apply.ts';
import type { FtEvent } from '../../../src/core/events.ts';
import { packetFields } from '../../helpers/events.ts';
import { memoryLogger } from '../../helpers/memory-log.ts';

function setup(options: { bypass?: boolean; outcome?: SpoofOutcome } = {}) {
  const reported: FtEvent[] = [];
  const appended: string[][] = [];
  const cuts: Array<[string, number]> = [];
  const sent: SpoofRequest[] = [];
  const { log, lines } = memoryLogger();
  const dispatcher = new BatchDispatcher({
    sink: { report: (event) => { reported.push(event); } },
    stores: { appendPeers: (storeLines) => { appended.push(storeLines); } },
    spoofer: { send: (request) => { sent.push(request); return options.outcome ?? 'sent'; }, protocolName: () => 'fasttrack' },
    flowCutter: options.bypass === false ? undefined : { cut: (ip, port) => { cuts.push([ip, port]); } },
    log,
  });
  return { dispatcher, reported, appended, cuts, sent, lines };
}

const learned: FtEvent = { event: 'peer_learned', source: 'udp', confirmed: false, ...packetFields('192.168.1.10', '198.51.100.7', 1214) };
const learnedConfirmed: FtEvent = { event: 'peer_learned', source: 'udp', confirmed: true, ...packetFields('192.168.1.11', '198.51.100.8', 80) };
const confirmed: FtEvent = { event: 'peer_confirmed', quorum: 3, ...packetFields('192.168.1.12', '198.51.100.7', 1214) };
const lock: FtEvent = { event: 'lock_started', lock_until: '2026-01-01T00:02:00.000Z', ...packetFields('192.168.1.10') };
const request: SpoofRequest = { protocol: 0, clientIp: ipFromString('192.168.1.10'), clientPort: 3531, peerIp: ipFromString('198.51.100.7'), peerPort: 1214, request: '\x27\0\0\0\x29' };

test('every event goes to the sink; learned and confirmed peers go to the store in one append and have their flows cut', () => {
  const { dispatcher, reported, appended, cuts } = setup();
  dispatcher.dispatch([learned, lock, learnedConfirmed, confirmed], []);
  assert.deepEqual(reported, [learned, lock, learnedConfirmed, confirmed]);
  assert.deepEqual(appended, [['198.51.100.7:1214 learned', '198.51.100.8:80 confirmed', '198.51.100.7:1214 confirmed']], 'never a plain (operator\'s) line');
  assert.deepEqual(cuts, [['198.51.100.7', 1214], ['198.51.100.8', 80], ['198.51.100.7', 1214]]);
});

test('a safety-net hit cuts its flow even when its destination was a peer before (nothing to store)', () => {
  const { dispatcher, appended, cuts } = setup();
  dispatcher.dispatch([{ event: 'safety_net_hit', supernode: undefined, ...packetFields('192.168.1.10', '192.0.2.82', 8082) }], []);
  assert.deepEqual(cuts, [['192.0.2.82', 8082]]);
  assert.deepEqual(appended, []);
});

test('a batch without peers writes nothing to the store; without flow bypass nothing is cut', () => {
  const { dispatcher, appended } = setup({ bypass: false });
  dispatcher.dispatch([lock], []);
  assert.deepEqual(appended, []);
  dispatcher.dispatch([learned], []);
  assert.equal(appended.length, 1);
});

test('spoof requests go to the spoofer; a pong sent is logged at debug, one refused is not', () => {
  const { dispatcher, sent, lines } = setup();
  dispatcher.dispatch([], [request]);
  assert.deepEqual(sent, [request]);
  assert.deepEqual(lines, [{ level: 20, event: 'pong_spoofed', src_ip: '198.51.100.7', src_port: 1214, dest_ip: '192.168.1.10', dest_port: 3531, proto: 'UDP', protocol: 'fasttrack', msg: 'spoofed pong sent' }]);
  const refused = setup({ outcome: 'rate_limited' });
  refused.dispatcher.dispatch([], [request]);
  assert.equal(refused.sent.length, 1);
  assert.deepEqual(refused.lines, []);
});
