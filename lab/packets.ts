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
