// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Builds IPv4 packets for the unit tests and the state-scale bench (checksums are not needed by
 * the parser and left zero).
 */
import { ipFromString } from '../src/core/packet.ts';

export interface PacketSpec {
  protocol: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  /** TCP sequence number (0 by default). */
  seq?: number;
  payload: ArrayLike<number>;
  ipOptions?: number;
  tcpOptions?: number;
  fragmentOffset?: number;
}

export function buildIpv4(spec: PacketSpec): Uint8Array {
  const ipHeader = 20 + (spec.ipOptions ?? 0);
  const transportHeader = spec.protocol === 6 ? 20 + (spec.tcpOptions ?? 0) : spec.protocol === 17 ? 8 : 0;
  const total = ipHeader + transportHeader + spec.payload.length;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x40 | (ipHeader / 4);
  view.setUint16(2, total);
  view.setUint16(6, spec.fragmentOffset ?? 0);
  bytes[8] = 64;
  bytes[9] = spec.protocol;
  view.setUint32(12, ipFromString(spec.src));
  view.setUint32(16, ipFromString(spec.dst));
  const t = ipHeader;
  if (spec.protocol === 17) {
    view.setUint16(t, spec.srcPort ?? 0);
    view.setUint16(t + 2, spec.dstPort ?? 0);
    view.setUint16(t + 4, 8 + spec.payload.length);
  } else if (spec.protocol === 6) {
    view.setUint16(t, spec.srcPort ?? 0);
    view.setUint16(t + 2, spec.dstPort ?? 0);
    view.setUint32(t + 4, (spec.seq ?? 0) >>> 0);
    bytes[t + 12] = (transportHeader / 4) << 4;
    bytes[t + 13] = spec.tcpFlags ?? 0;
  }
  bytes.set(Array.from(spec.payload), ipHeader + transportHeader);
  return bytes;
}

/** Fills in the TCP checksum (and a full receive window) of a packet from buildIpv4, for packets a real host must accept. */
export function withTcpChecksum(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t = (bytes[0]! & 0x0f) * 4;
  const length = bytes.length - t;
  view.setUint16(t + 14, 0xffff);
  view.setUint16(t + 16, 0);
  let sum = 6 + length;
  for (let i = 12; i < 20; i += 2) sum += view.getUint16(i);
  for (let i = t; i < bytes.length; i += 2) sum += i + 1 < bytes.length ? view.getUint16(i) : bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(t + 16, ~sum & 0xffff);
  return bytes;
}
