// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildUdpPacket, checksum } from '../../../src/actions/udp-packet.ts';
import { PacketView, ipFromString, ipToString, parsePacket } from '../../../src/core/packet.ts';

test('the IPv4 header checksum verifies and the UDP checksum matches the pseudo-header sum', () => {
  const payload = Uint8Array.from([0x28, 0, 0, 0, 0x29, 0, 1, 0, 40, 25, 0, ...Buffer.from('KaZaA\0')]);
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
