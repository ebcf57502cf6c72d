// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketView, Protocol, TcpFlag, ipFromString, ipToString, parsePacket } from '../../../src/core/packet.ts';
import { buildIpv4 } from '../../../lab/packets.ts';

test('parses a UDP datagram: addresses, ports, payload', () => {
  const bytes = buildIpv4({ protocol: Protocol.UDP, src: '10.0.0.5', dst: '198.51.100.7', srcPort: 1214, dstPort: 3531, payload: [0x27, 1, 2] });
  const view = new PacketView();
  assert.equal(parsePacket(view, bytes, 0, bytes.length), true);
  assert.equal(ipToString(view.srcIp), '10.0.0.5');
  assert.equal(ipToString(view.dstIp), '198.51.100.7');
  assert.equal(view.srcPort, 1214);
  assert.equal(view.dstPort, 3531);
  assert.deepEqual([...bytes.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength)], [0x27, 1, 2]);
});

test('parses a TCP SYN with options and IP options', () => {
  const bytes = buildIpv4({ protocol: Protocol.TCP, src: '10.0.0.5', dst: '203.0.113.9', srcPort: 40000, dstPort: 1214, tcpFlags: TcpFlag.SYN, ipOptions: 4, tcpOptions: 12, payload: [] });
  const view = new PacketView();
  assert.equal(parsePacket(view, bytes, 0, bytes.length), true);
  assert.equal(view.tcpFlags, TcpFlag.SYN);
  assert.equal(view.dstPort, 1214);
  assert.equal(view.payloadLength, 0);
  assert.equal(view.payloadOffset, 24 + 32);
});

test('works at an offset inside a larger buffer (batch memory)', () => {
  const packet = buildIpv4({ protocol: Protocol.UDP, src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, payload: [9] });
  const big = new Uint8Array(1000);
  big.set(packet, 300);
  const view = new PacketView();
  assert.equal(parsePacket(view, big, 300, packet.length), true);
  assert.equal(big[view.payloadOffset], 9);
});

test('non-first fragments, truncated headers, IPv6 and other protocols have no transport', () => {
  const view = new PacketView();
  const fragment = buildIpv4({ protocol: Protocol.UDP, src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, payload: [1, 2, 3], fragmentOffset: 185 });
  assert.equal(parsePacket(view, fragment, 0, fragment.length), false);
  assert.equal(view.fragment, true);
  const udp = buildIpv4({ protocol: Protocol.UDP, src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, payload: [1] });
  assert.equal(parsePacket(view, udp, 0, 24), false, 'UDP header cut short');
  const ipv6 = new Uint8Array(60);
  ipv6[0] = 0x60;
  assert.equal(parsePacket(view, ipv6, 0, 60), false);
  assert.equal(view.ipv4, false);
  const icmp = buildIpv4({ protocol: 1, src: '1.2.3.4', dst: '5.6.7.8', payload: [8, 0, 0, 0, 0, 0, 0, 0] });
  assert.equal(parsePacket(view, icmp, 0, icmp.length), false);
  assert.equal(view.ipv4, true);
});

test('UDP payload length follows the UDP header, not trailing padding', () => {
  const bytes = buildIpv4({ protocol: Protocol.UDP, src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, payload: [1, 2, 3] });
  const padded = new Uint8Array(bytes.length + 10);
  padded.set(bytes);
  const view = new PacketView();
  parsePacket(view, padded, 0, padded.length);
  assert.equal(view.payloadLength, 3);
});

test('dotted quads convert both ways', () => {
  assert.equal(ipFromString('255.1.0.10'), 0xff01000a);
  assert.equal(ipToString(0xff01000a), '255.1.0.10');
  assert.ok(Number.isNaN(ipFromString('1.2.3')));
  assert.ok(Number.isNaN(ipFromString('1.2.3.256')));
});
