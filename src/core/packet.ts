// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * IPv4 packet parsing into a reusable view: no allocation per packet. Pure.
 * Anything that is not a well-formed IPv4 UDP/TCP first fragment parses with `transport` false,
 * and the decision core accepts it.
 */

export const Protocol = { TCP: 6, UDP: 17 } as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** One parsed packet. Fields are valid only as far as `ipv4` and `transport` say. */
export class PacketView {
  bytes: Uint8Array = new Uint8Array(0);
  /** Netfilter hook it was queued from (set by the caller, not by parsePacket): 1 INPUT, 2 FORWARD. */
  hook = 2;
  /** Source hardware address (set by the caller): bytes 0-3 and 4-7 (a MAC's bytes 4-5 in the upper half), big-endian; 0 when unknown. */
  srcMacHigh = 0;
  srcMacLow = 0;
  /** Offset of the IP header in bytes. */
  offset = 0;
  /** Captured length from `offset`. */
  length = 0;
  /** A complete IPv4 header was present. */
  ipv4 = false;
  /** The UDP or TCP header was present (first fragment only). */
  transport = false;
  /** A non-first fragment, or a first fragment with more to come. */
  fragment = false;
  protocol = 0;
  /** Source and destination IPv4 addresses as unsigned 32-bit numbers. */
  srcIp = 0;
  dstIp = 0;
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (0 for UDP). */
  tcpFlags = 0;
  /** TCP sequence number, as a signed 32-bit number (0 for UDP). */
  tcpSeq = 0;
  /** Offset and captured length of the UDP/TCP payload in bytes. */
  payloadOffset = 0;
  payloadLength = 0;

  /** Sees the packet from the other end: addresses and ports swapped, the source MAC given. */
  turnAround(macHigh: number, macLow: number): void {
    const ip = this.srcIp;
    this.srcIp = this.dstIp;
    this.dstIp = ip;
    const port = this.srcPort;
    this.srcPort = this.dstPort;
    this.dstPort = port;
    this.srcMacHigh = macHigh;
    this.srcMacLow = macLow;
  }
}

/**
 * The LAN host's key beside its IP: a hash of its whole source MAC (all six bytes) keyed with a
 * secret chosen when the state is created, so a forger who does not know the secret cannot pick a
 * MAC that lands on another host's key (1 in 2^32 per MAC tried). 0 when the MAC is unknown.
 */
export function macKey(macHigh: number, macLow: number, secret: number): number {
  if (macHigh === 0 && macLow === 0) return 0;
  let h = Math.imul(macHigh ^ secret, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ (macLow >>> 16) ^ Math.imul(secret, 0x9e3779b1), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (secret >>> 7), 0x27d4eb2f);
  h ^= h >>> 15;
  return h === 0 ? 1 : h | 0;
}

/** The packet's host key (see macKey). */
export function hostKeyOf(view: PacketView, secret: number): number {
  return macKey(view.srcMacHigh, view.srcMacLow, secret);
}

/** Fills `view` from the IPv4 packet at bytes[offset .. offset+length). Returns view.transport. */
export function parsePacket(view: PacketView, bytes: Uint8Array, offset: number, length: number): boolean {
  view.bytes = bytes;
  view.offset = offset;
  view.length = length;
  view.ipv4 = false;
  view.transport = false;
  view.fragment = false;
  view.protocol = 0;
  view.srcPort = 0;
  view.dstPort = 0;
  view.tcpFlags = 0;
  view.tcpSeq = 0;
  view.payloadOffset = offset;
  view.payloadLength = 0;
  if (length < 20) return false;
  const versionIhl = bytes[offset]!;
  const headerLength = (versionIhl & 0x0f) * 4;
  if (versionIhl >> 4 !== 4 || headerLength < 20 || headerLength > length) return false;
  const totalLength = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
  if (totalLength < headerLength) return false;
  view.ipv4 = true;
  view.protocol = bytes[offset + 9]!;
  view.srcIp = ((bytes[offset + 12]! << 24) | (bytes[offset + 13]! << 16) | (bytes[offset + 14]! << 8) | bytes[offset + 15]!) >>> 0;
  view.dstIp = ((bytes[offset + 16]! << 24) | (bytes[offset + 17]! << 16) | (bytes[offset + 18]! << 8) | bytes[offset + 19]!) >>> 0;
  const fragmentWord = (bytes[offset + 6]! << 8) | bytes[offset + 7]!;
  const moreFragments = (fragmentWord & 0x2000) !== 0;
  const fragmentOffset = fragmentWord & 0x1fff;
  view.fragment = moreFragments || fragmentOffset !== 0;
  if (fragmentOffset !== 0) return false; // no transport header in later fragments
  // The captured bytes may be fewer than totalLength (copy range) or more (padding): use the smaller.
  const end = offset + Math.min(length, totalLength);
  const transport = offset + headerLength;
  if (view.protocol === Protocol.UDP) {
    if (end - transport < 8) return false;
    view.srcPort = (bytes[transport]! << 8) | bytes[transport + 1]!;
    view.dstPort = (bytes[transport + 2]! << 8) | bytes[transport + 3]!;
    const udpLength = (bytes[transport + 4]! << 8) | bytes[transport + 5]!;
    view.payloadOffset = transport + 8;
    view.payloadLength = Math.max(0, Math.min(end, transport + Math.max(8, udpLength)) - view.payloadOffset);
    view.transport = true;
  } else if (view.protocol === Protocol.TCP) {
    if (end - transport < 20) return false;
    const dataOffset = (bytes[transport + 12]! >> 4) * 4;
    if (dataOffset < 20 || transport + dataOffset > end) return false;
    view.srcPort = (bytes[transport]! << 8) | bytes[transport + 1]!;
    view.dstPort = (bytes[transport + 2]! << 8) | bytes[transport + 3]!;
    view.tcpFlags = bytes[transport + 13]!;
    view.tcpSeq = (bytes[transport + 4]! << 24) | (bytes[transport + 5]! << 16) | (bytes[transport + 6]! << 8) | bytes[transport + 7]!;
    view.payloadOffset = transport + dataOffset;
    view.payloadLength = end - view.payloadOffset;
    view.transport = true;
  }
  return view.transport;
}

/** Dotted-quad text of an address held as an unsigned 32-bit number (for logs, not the hot path). */
export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Parses dotted-quad text to an unsigned 32-bit number; NaN when it is not one. */
export function ipFromString(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return Number.NaN;
  let ip = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return Number.NaN;
    ip = ip * 256 + Number(part);
  }
  return ip;
}

/** A MAC folded to one word (its last four bytes), for tables that keep and compare the whole MAC themselves. */
export function hostKeyOfMac(macHigh: number, macLow: number): number {
  return (((macHigh & 0xffff) << 16) | (macLow >>> 16)) | 0;
}
