// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * ftwall's probe to a BitTorrent client: a DHT `ping` query (BEP 5; docs/BITTORRENT.md "Probe"),
 * sent to the port the client's own DHT queries came from. Any DHT node answers a ping with a
 * response carrying its id, which isProbeAnswer accepts. Pure.
 */
import { ascii } from '../bytes.ts';
import { NODE_ID_BYTES } from './krpc.ts';

/** Bytes of the transaction id. */
export const PROBE_TID_BYTES = 2;

const HEAD = ascii('d1:ad2:id20:');
const MIDDLE = ascii('e1:q4:ping1:t2:');
const TAIL = ascii('1:y1:qe');

/** Bytes of a probe: `d1:ad2:id20:<id>e1:q4:ping1:t2:<tid>1:y1:qe`. */
export const PROBE_BYTES = HEAD.length + NODE_ID_BYTES + MIDDLE.length + PROBE_TID_BYTES + TAIL.length;

/** A KRPC ping query from node `id` (20 bytes) with transaction id `tid` (2 bytes). */
export function buildPing(id: Uint8Array, tid: Uint8Array): Uint8Array {
  if (id.length !== NODE_ID_BYTES || tid.length !== PROBE_TID_BYTES) throw new Error('a ping needs a 20-byte id and a 2-byte transaction id');
  const bytes = new Uint8Array(PROBE_BYTES);
  let at = 0;
  for (const part of [HEAD, id, MIDDLE, tid, TAIL]) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
