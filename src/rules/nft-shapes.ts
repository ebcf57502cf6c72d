// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The protocols' UDP shapes (core/protocol.ts UdpShape) as nftables rules: what the `pre` chain of
 * ftwall's table (nft-sets.ts) tests on bypassed datagrams, and the `answers` chain on datagrams
 * to the probe ports. Pure.
 */
import type { UdpShape } from '../core/protocol.ts';

/** An inclusive range in nft syntax: one value, or low-high. */
const span = ([low, high]: readonly [number, number]) => (low === high ? String(low) : `${low}-${high}`);

/** A UdpShape's length as an nft expression: udp length is the payload's plus 8. */
const lengthMatch = (shape: UdpShape) => `udp length ${span([shape.payloadLength[0] + 8, shape.payloadLength[1] + 8])}`;

/** A UdpShape as nft expressions: its length, and @th,64,8 the payload's first byte. */
export function nftShapeMatch(shape: UdpShape): string {
  return `${lengthMatch(shape)} @th,64,8 ${span(shape.firstByte)}`;
}

/**
 * The pre chain's shape pre-match: bypassed datagrams whose length fits some shape (one test that
 * bulk UDP fails) are sent by their first byte, through one verdict map, to their shape's chain,
 * which tests the length again and takes the flow's bypass bit away. `shapes`: the chains' rules,
 * `shape_0`, `shape_1`, ... Shapes whose first bytes overlap get one rule each in `pre` instead.
 */
export function shapeRules(shapes: readonly UdpShape[], bypassMark: number): { pre: string[]; shapes: string[] } {
  const bit = `0x${bypassMark.toString(16)}`;
  const clear = `ct mark set ct mark & 0x${(~bypassMark >>> 0).toString(16)}`;
  if (shapes.length === 0) return { pre: [], shapes: [] };
  const sorted = [...shapes].sort((a, b) => a.firstByte[0] - b.firstByte[0]);
  const overlap = sorted.some((shape, index) => index > 0 && shape.firstByte[0] <= sorted[index - 1]!.firstByte[1]);
  if (overlap || shapes.length === 1) {
    return { pre: shapes.map((shape) => `${nftShapeMatch(shape)} ct mark & ${bit} == ${bit} ${clear}`), shapes: [] };
  }
  const low = Math.min(...shapes.map((shape) => shape.payloadLength[0])) + 8;
  const high = Math.max(...shapes.map((shape) => shape.payloadLength[1])) + 8;
  const map = shapes.map((shape, index) => `${span(shape.firstByte)} : jump shape_${index}`).join(', ');
  return {
    pre: [`udp length ${low}-${high} ct mark & ${bit} == ${bit} @th,64,8 vmap { ${map} }`],
    shapes: shapes.map((shape) => `${lengthMatch(shape)} ${clear}`),
  };
}
