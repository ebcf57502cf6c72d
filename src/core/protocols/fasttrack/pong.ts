// SPDX-License-Identifier: GPL-2.0-or-later
/** FastTrack's 0x28 supernode pong, the reply ftwall spoofs to a 0x27 ping (docs/FASTTRACK.md). Pure. */

/** A 0x28 supernode pong: type, encryption type, 0, counter, outdegree, load, unknown, name NUL. */
export function buildPong(encryptionType: number, networkName: Uint8Array, counter = 1, outdegree = 40, loadPercent = 25): Uint8Array {
  const bytes = new Uint8Array(12 + networkName.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x28;
  view.setUint32(1, encryptionType >>> 0);
  bytes[5] = 0x00;
  bytes[6] = counter & 0xff;
  view.setUint16(7, outdegree);
  bytes[9] = loadPercent;
  bytes[10] = 0x00;
  bytes.set(networkName, 11);
  bytes[11 + networkName.length] = 0;
  return bytes;
}

/** The pong that answers a 0x27 ping: the ping's encryption type and network name echoed. */
export function pongFor(ping: Uint8Array): Uint8Array {
  const encryptionType = new DataView(ping.buffer, ping.byteOffset, ping.byteLength).getUint32(1);
  return buildPong(encryptionType, ping.subarray(6, ping.length - 1));
}
