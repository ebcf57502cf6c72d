// SPDX-License-Identifier: GPL-2.0-or-later
/** FastTrack bytes for the emulator and the supernodes (from docs/FASTTRACK.md; the lab's, not the product's). */
import { randomBytes } from 'node:crypto';

export interface PeerAddress { ip: string; port: number }

export const NETWORK_NAME = 'KaZaA';

export function ping(encryptionType = 0x29, name = NETWORK_NAME): Buffer {
  return Buffer.concat([Buffer.from([0x27, 0, 0, 0, encryptionType, 0x80]), Buffer.from(`${name}\0`, 'latin1')]);
}

export function pong(encryptionType = 0x29, name = NETWORK_NAME): Buffer {
  return Buffer.concat([Buffer.from([0x28, 0, 0, 0, encryptionType, 0x00, 0x07, 0x00, 0x28, 0x19, 0x00]), Buffer.from(`${name}\0`, 'latin1')]);
}

export function setupRequest(): Buffer {
  return Buffer.from([0x2a, 0x12, 0x34, 0x56, 0x78]);
}

export const isPing = (message: Buffer) => message.length >= 8 && message[0] === 0x27 && message[5] === 0x80;
export const isPong = (message: Buffer) => message.length >= 13 && message[0] === 0x28;

/**
 * The client's 12 clear bytes: a random word, a cipher seed, an encoded encryption type. Real
 * clients draw the first word (and the seed) afresh; giFT always sends FA 00 B6 2B (`gift`).
 */
export function sessionStart(gift = false): Buffer {
  if (gift) return Buffer.from([0xfa, 0x00, 0xb6, 0x2b, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x29]);
  return randomBytes(12);
}
/** The supernode's 8-byte answer. */
export function sessionAnswer(): Buffer {
  return Buffer.from([0x13, 0x57, 0x24, 0x68, 0x0b, 0xad, 0xc0, 0xde]);
}

/** The node list a supernode sends after connecting (message 0x00): 6 bytes per address. */
export function encodeNodeList(nodes: readonly PeerAddress[]): Buffer {
  const body = Buffer.alloc(nodes.length * 6);
  nodes.forEach((node, i) => {
    node.ip.split('.').forEach((octet, j) => body.writeUInt8(Number(octet), i * 6 + j));
    body.writeUInt16BE(node.port, i * 6 + 4);
  });
  const header = Buffer.alloc(4);
  header.writeUInt8(0x00, 0);
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

export function decodeNodeList(data: Buffer): PeerAddress[] {
  const length = data.readUInt16BE(2);
  const nodes: PeerAddress[] = [];
  for (let at = 4; at + 6 <= 4 + length && at + 6 <= data.length; at += 6) {
    nodes.push({ ip: `${data[at]}.${data[at + 1]}.${data[at + 2]}.${data[at + 3]}`, port: data.readUInt16BE(at + 4) });
  }
  return nodes;
}

/** The supernode ports the test internet uses (clients since 2.0 pick random ports, some 80). */
const PORTS = [1214, 3531, 2345, 80, 8247];

/** `count` supernode addresses in a /24, e.g. 198.51.100.1..200. */
export function supernodeAddresses(net: string, count: number): PeerAddress[] {
  return Array.from({ length: count }, (_, i) => ({ ip: `${net}.${i + 1}`, port: PORTS[i % PORTS.length]! }));
}
