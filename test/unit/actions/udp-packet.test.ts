// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPong, buildUdpPacket, checksum } from '../../../src/actions/udp-packet.ts';
import { DEFAULT_NETWORK_NAMES, FastTrackUdp, NetworkNames, classifyFastTrackUdp } from '../../../src/core/fasttrack.ts';
import { PacketView, ipFromString, ipToString, parsePacket } from '../../../src/core/packet.ts';

test('the IPv4 header checksum verifies and the UDP checksum matches the pseudo-header sum', () => {
  const payload = buildPong(0x29, 'KaZaA');
  const packet = buildUdpPacket({ srcIp: ipFromString('198.51.100.7'), dstIp: ipFromString('10.77.1.10'), srcPort: 1214, dstPort: 3531, payload, id: 0x1234 });
  assert.equal(checksum(packet, 0, 20), 0, 'a correct header sums to zero');
  // Verify the UDP checksum independently: pseudo-header + UDP segment must sum to 0xffff.
  const pseudo = new Uint8Array(12 + packet.length - 20);
  pseudo.set(packet.subarray(12, 20), 0);
  pseudo[9] = 17;
  pseudo[10] = (packet.length - 20) >> 8;
  pseudo[11] = (packet.length - 20) & 0xff;
  pseudo.set(packet.subarray(20), 12);
  assert.equal(checksum(pseudo, 0, pseudo.length), 0);
  const view = new PacketView();
  assert.equal(parsePacket(view, packet, 0, packet.length), true);
  assert.equal(ipToString(view.srcIp), '198.51.100.7');
  assert.equal(view.dstPort, 3531);
});

test('the spoofed pong is itself a valid 0x28 pong echoing the encryption type and name', () => {
  const pong = buildPong(0xa9, 'Grokster');
  assert.equal(classifyFastTrackUdp(pong, 0, pong.length, new NetworkNames(DEFAULT_NETWORK_NAMES)), FastTrackUdp.PONG);
  assert.equal(new DataView(pong.buffer).getUint32(1), 0xa9);
  assert.equal(pong.length, 12 + 'Grokster'.length);
  assert.equal(buildPong(0x29, 'KaZaA').length, 17, 'docs/FASTTRACK.md: 17 bytes with KaZaA');
});
