// SPDX-License-Identifier: GPL-2.0-or-later
/** The router's interface counters: proof that a transfer crossed it (the LAN has no other way out). */
import type { TestBed } from '../netns.ts';

export interface WanCounters {
  /** Bytes the router received from the internet side (downloads towards the LAN). */
  rxBytes: number;
  /** Bytes it sent to the internet side. */
  txBytes: number;
}

export function wanCounters(bed: TestBed): WanCounters {
  const read = (counter: string) => Number(bed.run(bed.router, ['cat', `/sys/class/net/wan0/statistics/${counter}`]).trim());
  return { rxBytes: read('rx_bytes'), txBytes: read('tx_bytes') };
}
