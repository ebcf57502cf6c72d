// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Reads classic pcap and pcapng files and yields the UDP and TCP payloads inside (IPv4 and IPv6,
 * over Ethernet with VLAN tags, Linux cooked capture, raw IP or BSD loopback). For tests only.
 */
import { readFileSync } from 'node:fs';

export interface CapturedSegment {
  protocol: 'udp' | 'tcp';
  ipVersion: 4 | 6;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** Index of the frame in the file. */
  frame: number;
  /** Source and destination addresses as hex (a flow's key, with the ports). */
  src: string;
  dst: string;
  /** TCP only: sequence number and flags byte. */
  seq?: number;
  flags?: number;
}

/** Offset of the IP header in a link-layer frame, or -1. */
function ipOffset(linkType: number, frame: Uint8Array): number {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (linkType) {
    case 1: { // Ethernet, possibly VLAN-tagged
      let offset = 12;
      let type = frame.length >= 14 ? view.getUint16(offset) : 0;
      while ((type === 0x8100 || type === 0x88a8) && frame.length >= offset + 6) {
        offset += 4;
        type = view.getUint16(offset);
      }
      return type === 0x0800 || type === 0x86dd ? offset + 2 : -1;
    }
    case 113: return frame.length >= 16 ? 16 : -1; // Linux cooked
    case 276: return frame.length >= 20 ? 20 : -1; // Linux cooked v2
    case 0: return frame.length >= 4 ? 4 : -1; // BSD loopback
    case 101: case 228: case 229: return 0; // raw IP
    default: return -1;
  }
}

function segmentOf(frame: Uint8Array, start: number, index: number): CapturedSegment | null {
  if (start < 0 || start >= frame.length) return null;
  const ip = frame.subarray(start);
  const view = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const version = ip[0]! >> 4;
  let protocol: number;
  let transport: number;
  let end: number;
  let src: string;
  let dst: string;
  if (version === 4 && ip.length >= 20) {
    const fragment = view.getUint16(6) & 0x1fff;
    if (fragment !== 0) return null;
    protocol = ip[9]!;
    transport = (ip[0]! & 0x0f) * 4;
    end = Math.min(ip.length, view.getUint16(2));
    src = Buffer.from(ip.subarray(12, 16)).toString('hex');
    dst = Buffer.from(ip.subarray(16, 20)).toString('hex');
  } else if (version === 6 && ip.length >= 40) {
    protocol = ip[6]!; // extension headers are not followed: fine for these captures
    transport = 40;
    end = Math.min(ip.length, 40 + view.getUint16(4));
    src = Buffer.from(ip.subarray(8, 24)).toString('hex');
    dst = Buffer.from(ip.subarray(24, 40)).toString('hex');
  } else {
    return null;
  }
  if (protocol === 17 && end - transport >= 8) {
    return { protocol: 'udp', ipVersion: version as 4 | 6, srcPort: view.getUint16(transport), dstPort: view.getUint16(transport + 2), payload: ip.subarray(transport + 8, end), frame: index, src, dst };
  }
  if (protocol === 6 && end - transport >= 20) {
    const dataOffset = (ip[transport + 12]! >> 4) * 4;
    return { protocol: 'tcp', ipVersion: version as 4 | 6, srcPort: view.getUint16(transport), dstPort: view.getUint16(transport + 2), payload: ip.subarray(transport + dataOffset, end), frame: index, src, dst, seq: view.getUint32(transport + 4), flags: ip[transport + 13]! };
  }
  return null;
}

export function readCapture(path: string): CapturedSegment[] {
  const data = new Uint8Array(readFileSync(path));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const segments: CapturedSegment[] = [];
  const magic = view.getUint32(0, false);
  if (magic === 0x0a0d0d0a) {
    // pcapng: section header, interface descriptions, enhanced/simple packet blocks.
    let little = view.getUint32(8, true) === 0x1a2b3c4d;
    const linkTypes: number[] = [];
    let offset = 0;
    let frame = 0;
    while (offset + 12 <= data.length) {
      const type = view.getUint32(offset, little);
      if (type === 0x0a0d0d0a) little = view.getUint32(offset + 8, true) === 0x1a2b3c4d;
      const length = view.getUint32(offset + 4, little);
      if (length < 12 || offset + length > data.length) break;
      if (type === 1) linkTypes.push(view.getUint16(offset + 8, little));
      if (type === 6) {
        const iface = view.getUint32(offset + 8, little);
        const captured = view.getUint32(offset + 20, little);
        const packet = data.subarray(offset + 28, offset + 28 + captured);
        const segment = segmentOf(packet, ipOffset(linkTypes[iface] ?? 1, packet), frame++);
        if (segment) segments.push(segment);
      } else if (type === 3) {
        const packet = data.subarray(offset + 12, offset + length - 4);
        const segment = segmentOf(packet, ipOffset(linkTypes[0] ?? 1, packet), frame++);
        if (segment) segments.push(segment);
      }
      offset += length;
    }
    return segments;
  }
  const little = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!little && magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${path}: not a pcap or pcapng file`);
  const linkType = view.getUint32(20, little) & 0xffff;
  let offset = 24;
  let frame = 0;
  while (offset + 16 <= data.length) {
    const captured = view.getUint32(offset + 8, little);
    const packet = data.subarray(offset + 16, offset + 16 + captured);
    const segment = segmentOf(packet, ipOffset(linkType, packet), frame++);
    if (segment) segments.push(segment);
    offset += 16 + captured;
  }
  return segments;
}
