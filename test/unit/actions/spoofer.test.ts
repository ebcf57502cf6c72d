// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Spoofer, type RawSender } from '../../../src/actions/spoofer.ts';
import { CidrList } from '../../../src/core/cidr.ts';
import { ipFromString } from '../../../src/core/packet.ts';
import { createProtocols } from '../../../src/core/protocols/index.ts';
import { DEFAULT_NETWORK_NAMES, FastTrackUdp, NetworkNames, classifyFastTrackUdp } from '../../../src/core/protocols/fasttrack/udp.ts';

class FakeRaw implements RawSender {
  sent: Array<{ address: string; bytes: Buffer }> = [];
  options: number[][] = [];
  send(buffer: Buffer, offset: number, length: number, address: string) { this.sent.push({ address, bytes: Buffer.from(buffer.subarray(offset, offset + length)) }); }
  setOption(level: number, option: number, value: number) { this.options.push([level, option, value]); }
  pauseRecv() {}
  close() {}
}

const PING = Uint8Array.from([0x27, 0, 0, 0, 0x29, 0x80, ...Buffer.from('KaZaA\0')]);
const protocols = createProtocols(['fasttrack'], { networkNames: DEFAULT_NETWORK_NAMES });
const request = (client: string, peer: string, peerPort = 1214) => ({
  protocol: 0, clientIp: ipFromString(client), clientPort: 3531, peerIp: ipFromString(peer), peerPort, request: Buffer.from(PING).toString('latin1'),
});

test('pongs go only to LAN hosts, once per pair per second, under a global rate, marked', () => {
  const raw = new FakeRaw();
  const spoofer = new Spoofer({ protocols, lanNetworks: CidrList.parse('10.77.1.0/24'), ratePerSecond: 3, mark: 0x100000, socket: raw });
  assert.deepEqual(raw.options, [[1, 36, 0x100000]], 'SO_MARK set');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.7'), 1000), 'sent');
  assert.equal(raw.sent[0]!.address, '10.77.1.10');
  const pong = raw.sent[0]!.bytes.subarray(28);
  assert.equal(classifyFastTrackUdp(pong, 0, pong.length, new NetworkNames(DEFAULT_NETWORK_NAMES)), FastTrackUdp.PONG, 'the module\'s reply: a 0x28 pong');
  assert.equal(pong.readUInt32BE(1), 0x29, 'echoing the ping\'s encryption type');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.7'), 1000), 'repeat');
  assert.equal(spoofer.send(request('203.0.113.9', '198.51.100.7'), 1000), 'not_lan', 'never to a non-LAN address');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.8'), 1000), 'sent');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.9'), 1000), 'sent');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.10'), 1000), 'rate_limited', '3 per second in all');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.7'), 1999), 'repeat', 'still within the pair\'s second');
  assert.equal(spoofer.send(request('10.77.1.10', '198.51.100.10'), 2000), 'sent', 'tokens refill');
  assert.equal(raw.sent.length, 4);
  assert.deepEqual(spoofer.counts, { sent: 4, not_lan: 1, rate_limited: 1, repeat: 2 });
});
