// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Datagrams a benign LAN host sends while a peer-to-peer client runs beside it, built from their
 * RFC layouts (the bench has no captures): DNS queries (RFC 1035), STUN binding requests (RFC 8489)
 * and QUIC long-header initials and short-header packets (RFC 9000: random-looking after their
 * first byte, which takes every value a real one can, 'd' and 0x41 included). As hex lines for the
 * agent's udp-replay.
 */
import { randomBytes } from 'node:crypto';

function dnsQuery(id: number, name: string): Buffer {
  const labels = name.split('.').flatMap((label) => [Buffer.from([label.length]), Buffer.from(label)]);
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

function stunBindingRequest(): Buffer {
  const message = Buffer.alloc(20);
  message.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  message.writeUInt32BE(0x2112a442, 4); // the magic cookie
  randomBytes(12).copy(message, 8); // transaction id
  return message;
}

function quicInitial(): Buffer {
  const packet = randomBytes(1200);
  packet[0] = 0xc0 | (packet[0]! & 0x0f); // long header, Initial
  packet.writeUInt32BE(0x00000001, 1); // version 1
  return packet;
}

function quicShort(firstByte: number, length: number): Buffer {
  const packet = randomBytes(length);
  packet[0] = firstByte;
  return packet;
}

/** About 400 datagrams, hex, one per line. */
export function benignDatagrams(): string[] {
  const datagrams: Buffer[] = [];
  const names = ['example.com', 'www.wikipedia.org', 'mail.example.net', 'update.example.org'];
  for (let i = 0; i < 40; i++) datagrams.push(dnsQuery(0x1000 + i, names[i % names.length]!));
  for (let i = 0; i < 40; i++) datagrams.push(stunBindingRequest());
  for (let i = 0; i < 20; i++) datagrams.push(quicInitial());
  // Every short-header first byte (0x40-0x7f), at ACK sizes and full sizes.
  for (let first = 0x40; first <= 0x7f; first++) datagrams.push(quicShort(first, 40), quicShort(first, 1200));
  for (let i = 0; i < 100; i++) datagrams.push(quicShort(0x40 | (i & 0x3f), 64 + ((i * 37) % 1100)));
  return datagrams.map((datagram) => datagram.toString('hex'));
}
