// SPDX-License-Identifier: GPL-2.0-or-later
/** Crafting IPv4/UDP packets with correct checksums (payloads are the protocol modules'). Pure. */

/** Internet checksum (RFC 1071) over bytes[start, end), starting from `initial`. */
export function checksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((end - start) % 2 === 1) sum += bytes[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface UdpPacketSpec {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** IP identification field. */
  id?: number;
  ttl?: number;
}

/** A complete IPv4 header + UDP header + payload, both checksums filled in. */
export function buildUdpPacket(spec: UdpPacketSpec): Uint8Array {
  const length = 28 + spec.payload.length;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x45;
  view.setUint16(2, length);
  view.setUint16(4, spec.id ?? 0);
  view.setUint16(6, 0x4000); // don't fragment
  bytes[8] = spec.ttl ?? 64;
  bytes[9] = 17;
  view.setUint32(12, spec.srcIp >>> 0);
  view.setUint32(16, spec.dstIp >>> 0);
  view.setUint16(10, checksum(bytes, 0, 20));
  view.setUint16(20, spec.srcPort);
  view.setUint16(22, spec.dstPort);
  view.setUint16(24, 8 + spec.payload.length);
  bytes.set(spec.payload, 28);
  // UDP checksum over the pseudo-header (addresses, protocol, UDP length) and the datagram.
  const udpLength = 8 + spec.payload.length;
  let pseudo = (spec.srcIp >>> 16) + (spec.srcIp & 0xffff) + (spec.dstIp >>> 16) + (spec.dstIp & 0xffff) + 17 + udpLength;
  while (pseudo > 0xffff) pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
  const sum = checksum(bytes, 20, length, pseudo);
  view.setUint16(26, sum === 0 ? 0xffff : sum);
  return bytes;
}
