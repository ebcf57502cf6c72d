// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The payload the lab's swarms share: deterministic pseudo-random bytes (the same seed gives the same
 * file, so a hash mismatch is a real transfer error), a .torrent made by mktorrent with the lab
 * tracker's announce URLs, the same torrent without them (trackerless: identical info dictionary,
 * so the same info hash), and the magnet link, from the info hash computed here.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, field } from './bencode.ts';

export interface TorrentData {
  /** Directory holding the file (a client's download dir for seeding). */
  dir: string;
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

export interface Torrent {
  data: TorrentData;
  /** .torrent with the tracker's announce URLs (one tier each), or null when made without a tracker. */
  trackerTorrent: string | null;
  /** .torrent with no announce at all. */
  trackerlessTorrent: string;
  infoHash: string;
  pieceLength: number;
  pieces: number;
  /** magnet:?xt=urn:btih:<hash>&dn=<name>, with no tracker: peers come from the DHT only. */
  magnet: string;
  /** The same with the tracker URLs as tr= (null without a tracker). */
  trackerMagnet: string | null;
  announce: string[];
}

/** `bytes` of AES-128-CTR keystream keyed by the seed: fast, deterministic, incompressible. */
export function pseudoRandomBytes(bytes: number, seed: string): Buffer {
  const key = createHash('sha256').update(`ftwall-lab:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
}

export function writeTorrentData(dir: string, options: { bytes: number; seed: string; name?: string }): TorrentData {
  mkdirSync(dir, { recursive: true });
  const name = options.name ?? `ftwall-lab-${options.seed}.bin`;
  const path = join(dir, name);
  const content = pseudoRandomBytes(options.bytes, options.seed);
  writeFileSync(path, content);
  return { dir, name, path, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The info hash of a .torrent: SHA-1 of its info dictionary's bytes as they are in the file. */
export function infoHashOf(torrentFile: Buffer): string {
  const { spans } = decode(torrentFile);
  const span = spans.info;
  if (!span) throw new Error('torrent has no info dictionary');
  return createHash('sha1').update(torrentFile.subarray(span[0], span[1])).digest('hex');
}

export function magnetOf(infoHash: string, name: string, trackers: string[] = []): string {
  return `magnet:?xt=urn:btih:${infoHash}&dn=${encodeURIComponent(name)}${trackers.map((url) => `&tr=${encodeURIComponent(url)}`).join('')}`;
}

/**
 * Makes the torrents for `data` in `dir` with mktorrent (public: no private flag; no creation date,
 * so the same data and options give the same file). `announce`: the tracker's URLs, each its own tier.
 */
export function makeTorrent(dir: string, data: TorrentData, options: { announce?: string[]; pieceLengthLog2?: number } = {}): Torrent {
  mkdirSync(dir, { recursive: true });
  const announce = options.announce ?? [];
  const pieceLog = options.pieceLengthLog2 ?? 18;
  const trackerless = join(dir, `${data.name}.trackerless.torrent`);
  execFileSync('mktorrent', ['-d', '-l', String(pieceLog), '-o', trackerless, data.path], { stdio: 'pipe' });
  let trackerTorrent: string | null = null;
  if (announce.length > 0) {
    trackerTorrent = join(dir, `${data.name}.torrent`);
    execFileSync('mktorrent', ['-d', '-l', String(pieceLog), ...announce.flatMap((url) => ['-a', url]), '-o', trackerTorrent, data.path], { stdio: 'pipe' });
  }
  const raw = readFileSync(trackerless);
  const infoHash = infoHashOf(raw);
  if (trackerTorrent && infoHashOf(readFileSync(trackerTorrent)) !== infoHash) throw new Error('mktorrent gave the two torrents different info dictionaries');
  const info = field(decode(raw).value, 'info');
  const pieceLength = field(info, 'piece length') as number;
  const pieces = (field(info, 'pieces') as Buffer).length / 20;
  return {
    data,
    trackerTorrent,
    trackerlessTorrent: trackerless,
    infoHash,
    pieceLength,
    pieces,
    magnet: magnetOf(infoHash, data.name),
    trackerMagnet: announce.length > 0 ? magnetOf(infoHash, data.name, announce) : null,
    announce,
  };
}

/** A compact IPv4 node or peer list (4 address bytes and 2 port bytes each). */
export function compactContacts(contacts: Array<{ ip: string; port: number }>): Buffer {
  return Buffer.concat(contacts.map(({ ip, port }) => {
    const entry = Buffer.alloc(6);
    ip.split('.').forEach((octet, index) => entry.writeUInt8(Number(octet), index));
    entry.writeUInt16BE(port, 4);
    return entry;
  }));
}

export function parseCompactContacts(compact: Buffer): Array<{ ip: string; port: number }> {
  const contacts: Array<{ ip: string; port: number }> = [];
  for (let offset = 0; offset + 6 <= compact.length; offset += 6) {
    contacts.push({ ip: [...compact.subarray(offset, offset + 4)].join('.'), port: compact.readUInt16BE(offset + 4) });
  }
  return contacts;
}
