// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A DNS query (RFC 1035 4.1) for a BitTorrent client's own domains (docs/BITTORRENT.md "Lookups"):
 * the DHT bootstrap routers (router.bittorrent.com, router.utorrent.com, dht.transmissionbt.com,
 * dht.libtorrent.org, router.bitcomet.com, dht.aelitis.com) and the clients' update servers. A client
 * makes one at its start; so does a browser on the vendor's web site, or any web page that names
 * such a host: a lookup identifies its host, nothing more. Only a plain query (not an answer), one
 * question, the name at a label boundary, any case. Pure; no allocation.
 */
import { ascii, startsWith } from '../bytes.ts';

const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;

/** The domains, in wire form (length-prefixed labels, the root's 0 last), lower case. */
const DOMAINS: readonly Uint8Array[] = [
  'bittorrent.com', 'utorrent.com', 'transmissionbt.com', 'libtorrent.org', 'bitcomet.com', 'aelitis.com',
  'vuze.com', 'qbittorrent.org',
].map((name) => ascii(`${name.split('.').map((label) => String.fromCharCode(label.length) + label).join('')}\0`));

/** Whether bytes[offset, offset+length) is a DNS query for one of a BitTorrent client's domains or a name under one. */
export function isClientLookup(bytes: Uint8Array, offset: number, length: number): boolean {
  if (length < HEADER_BYTES + 5) return false;
  const at = offset;
  // Flags: QR 0 (a query), opcode 0 (QUERY), no TC; Z and RCODE 0 (AD and CD may be set: glibc
  // with trust-ad and validating stubs set them). One question, no answer or authority records,
  // at most one additional (EDNS's OPT).
  if ((bytes[at + 2]! & 0xfa) !== 0 || (bytes[at + 3]! & 0x4f) !== 0) return false;
  if (bytes[at + 4] !== 0 || bytes[at + 5] !== 1 || bytes[at + 6] !== 0 || bytes[at + 7] !== 0
    || bytes[at + 8] !== 0 || bytes[at + 9] !== 0 || bytes[at + 10] !== 0 || bytes[at + 11]! > 1) return false;
  const end = offset + length;
  const nameStart = at + HEADER_BYTES;
  // Find the name's end: labels of 1-63 bytes, then 0, QTYPE and QCLASS within the datagram.
  let p = nameStart;
  while (p < end && bytes[p] !== 0) {
    const label = bytes[p]!;
    if (label > 63) return false; // a compression pointer or a reserved form: not in a plain query
    p += label + 1;
    if (p - nameStart > MAX_NAME_BYTES) return false;
  }
  if (p + 5 > end) return false;
  const nameEnd = p + 1;
  // Each label boundary, from the first: does the rest of the name equal a domain?
  for (let label = nameStart; label < nameEnd - 1; label += bytes[label]! + 1) {
    for (const domain of DOMAINS) {
      if (nameEnd - label === domain.length && startsWith(bytes, label, nameEnd, domain, true)) return true;
    }
  }
  return false;
}
