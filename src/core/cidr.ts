// SPDX-License-Identifier: GPL-2.0-or-later
/** IPv4 CIDR lists, parsed once, matched without allocation. Pure. */
import { ipFromString } from './packet.ts';

export interface Cidr { network: number; mask: number; text: string }

/** Parses "a.b.c.d/len" or "a.b.c.d"; throws with a one-line reason. */
export function parseCidr(text: string): Cidr {
  const [address, lengthText] = text.trim().split('/');
  const ip = ipFromString(address ?? '');
  const length = lengthText === undefined ? 32 : /^\d{1,2}$/.test(lengthText) ? Number(lengthText) : Number.NaN;
  if (Number.isNaN(ip) || !(length >= 0 && length <= 32)) throw new Error(`"${text.trim()}" is not an IPv4 address or CIDR (e.g. 10.0.0.0/8)`);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return { network: (ip & mask) >>> 0, mask, text: text.trim() };
}

export class CidrList {
  readonly #networks: Int32Array;
  readonly #masks: Int32Array;
  readonly entries: readonly Cidr[];

  constructor(entries: readonly Cidr[]) {
    this.entries = entries;
    this.#networks = Int32Array.from(entries, (entry) => entry.network | 0);
    this.#masks = Int32Array.from(entries, (entry) => entry.mask | 0);
  }

  static parse(text: string): CidrList {
    return new CidrList(text.split(',').map((item) => item.trim()).filter(Boolean).map(parseCidr));
  }

  get size(): number { return this.entries.length; }

  contains(ip: number): boolean {
    for (let i = 0; i < this.#networks.length; i++) if ((ip & this.#masks[i]!) === this.#networks[i]) return true;
    return false;
  }
}
