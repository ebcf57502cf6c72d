// SPDX-License-Identifier: GPL-2.0-or-later
// BitTorrent over real captures (nDPI's test corpus beside the repository, ../shared/pcaps, see
// its SOURCES.md): every datagram and every TCP payload judged alone, as the module sees them.
// Each BitTorrent capture must show BitTorrent (a strong datagram or a TCP match); no other
// capture may show any: no strong or weak datagram, no TCP match.
//
// Measured (module-level, per datagram or per TCP payload):
//   bittorrent.pcap             TCP: 41 handshakes in 24 flows captured without their SYNs (both
//                               sides' in 17, the first sender's only in 7), no UDP
//   bittorrent_tcp_miss.pcapng  TCP: 1 handshake, the responder's, in the clear after an MSE/PE
//                               exchange the initiator opened (the initiator's own start is MSE:
//                               nothing fixed; the safety net watches such a start and finds the
//                               handshake in the answer: safety-net-captures.test.ts)
//   bittorrent_utp.pcap         UDP: 3 DHT get_peers queries (strong requests), 2 uTP SYNs, 2 uTP
//                               data opening with the handshake (strong), 84 other uTP (weak), and
//                               1 malformed uTP FIN (frame 79: an extension chain that runs past the
//                               datagram) not recognised
//   bt-dns.pcap                 UDP: 1 lookup, a DNS query for utorrent.com (A), which identifies
//                               its host only; its answer (from the server) is nothing
//   bt-http.pcapng              TCP: 1 HTTP tracker announce (Transmission 2.94, GET /announce)
//   bt_search.pcap              UDP: 2 LSD announcements (BT-SEARCH to 239.192.152.143:6771)
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { TcpSign, UdpSign } from '../../../../src/core/protocol.ts';
import { createProtocols } from '../../../../src/core/protocols/index.ts';
import { classifyHttpAnnounce, HttpAnnounce } from '../../../../src/core/protocols/bittorrent/http.ts';
import { startsWithHandshake } from '../../../../src/core/protocols/bittorrent/handshake.ts';
import { Krpc, classifyKrpc } from '../../../../src/core/protocols/bittorrent/krpc.ts';
import { isClientLookup } from '../../../../src/core/protocols/bittorrent/dns.ts';
import { isLsd } from '../../../../src/core/protocols/bittorrent/lsd.ts';
import { UdpTracker, classifyUdpTracker } from '../../../../src/core/protocols/bittorrent/tracker.ts';
import { Utp, classifyUtp } from '../../../../src/core/protocols/bittorrent/utp.ts';
import { readCapture } from '../../../helpers/pcap.ts';

const PCAPS = new URL('../../../../../shared/pcaps/', import.meta.url);
const [bittorrent] = createProtocols(['bittorrent'], { networkNames: [] });
const bt = bittorrent!;
const isBitTorrentCapture = (file: string) => /^(bittorrent|bt)/.test(file);

type Counts = Record<string, number>;

/** What the module says of each payload of a capture, by kind. */
function countKinds(path: string): Counts {
  const counts: Counts = {};
  const add = (kind: string) => { counts[kind] = (counts[kind] ?? 0) + 1; };
  for (const segment of readCapture(path)) {
    const { payload } = segment;
    if (segment.protocol === 'udp') {
      const sign = bt.recogniseUdp(payload, 0, payload.length);
      if (sign === UdpSign.NONE) continue;
      const strength = sign & UdpSign.STRONG ? 'strong' : 'weak';
      const krpc = classifyKrpc(payload, 0, payload.length);
      const utp = classifyUtp(payload, 0, payload.length);
      const kind = krpc !== Krpc.NONE ? ['', 'dht-query', 'dht-response', 'dht-error'][krpc]
        : utp !== Utp.NONE ? ['', 'utp-syn', 'utp-handshake', 'utp-other'][utp]
          : isLsd(payload, 0, payload.length) ? 'lsd'
            : isClientLookup(payload, 0, payload.length) ? 'lookup'
            : ['', 'tracker-connect', 'tracker-announce'][classifyUdpTracker(payload, 0, payload.length)] ?? '?';
      add(`udp ${strength} ${kind}`);
    } else if (payload.length > 0 && [TcpSign.MATCH, TcpSign.IDENTIFY].includes(bt.recogniseTcp(payload, 0, payload.length) as 1 | 3)) {
      add(startsWithHandshake(payload, 0, payload.length) ? 'tcp handshake' : classifyHttpAnnounce(payload, 0, payload.length) === HttpAnnounce.MATCH ? 'tcp http-announce' : 'tcp ?');
    }
  }
  return counts;
}

const filesIn = (dir: string) => readdirSync(new URL(dir, PCAPS)).map((file) => ({ file, path: new URL(`${dir}/${file}`, PCAPS).pathname }));
const recognised = (counts: Counts) => Object.entries(counts).some(([kind, n]) => n > 0 && (kind.startsWith('udp strong') || kind.startsWith('tcp')));

test('every BitTorrent capture shows BitTorrent', (t) => {
  const all: Record<string, Counts> = {};
  for (const { file, path } of filesIn('p2p').filter(({ file }) => isBitTorrentCapture(file))) {
    const counts = countKinds(path);
    all[file] = counts;
    t.diagnostic(`${file}: ${JSON.stringify(counts)}`);
  }
  assert.deepEqual(Object.keys(all).sort(), ['bittorrent.pcap', 'bittorrent_tcp_miss.pcapng', 'bittorrent_utp.pcap', 'bt-dns.pcap', 'bt-http.pcapng', 'bt_search.pcap']);
  for (const [file, counts] of Object.entries(all)) {
    assert.ok(recognised(counts), `${file}: ${JSON.stringify(counts)}`);
  }
  assert.deepEqual(all['bittorrent.pcap'], { 'tcp handshake': 41 });
  assert.deepEqual(all['bittorrent_tcp_miss.pcapng'], { 'tcp handshake': 1 });
  assert.deepEqual(all['bittorrent_utp.pcap'], { 'udp strong dht-query': 3, 'udp strong utp-syn': 2, 'udp strong utp-handshake': 2, 'udp weak utp-other': 84 });
  assert.deepEqual(all['bt-http.pcapng'], { 'tcp http-announce': 1 });
  assert.deepEqual(all['bt_search.pcap'], { 'udp strong lsd': 2 });
  // bt-dns.pcap: a DNS query for utorrent.com and its answer, nothing else: the query is a lookup.
  const dns = readCapture(new URL('p2p/bt-dns.pcap', PCAPS).pathname);
  assert.deepEqual(dns.map((segment) => [segment.protocol, segment.srcPort === 53 || segment.dstPort === 53]), [['udp', true], ['udp', true]]);
  assert.deepEqual(all['bt-dns.pcap'], { 'udp strong lookup': 1 });
});

test('must not match: no datagram of any other capture (benign, other P2P, synthetic FastTrack) is BitTorrent, strong or weak; no TCP payload is, at its start or anywhere in it', () => {
  let udp = 0;
  let tcp = 0;
  const hits: string[] = [];
  const others = [...filesIn('benign'), ...filesIn('p2p').filter(({ file }) => !isBitTorrentCapture(file)), ...filesIn('synthetic')];
  for (const { file, path } of others) {
    for (const segment of readCapture(path)) {
      const { payload } = segment;
      if (segment.protocol === 'udp') {
        udp++;
        // Weak counts too: a weak uTP packet from a known client teaches a peer, and a DNS
        // resolver or a VPN server taken for one would be cut off from that client.
        if (bt.recogniseUdp(payload, 0, payload.length) !== UdpSign.NONE) hits.push(`${file} frame ${segment.frame} udp`);
      } else if (payload.length > 0) {
        tcp++;
        if ([TcpSign.MATCH, TcpSign.IDENTIFY].includes(bt.recogniseTcp(payload, 0, payload.length) as 1 | 3)) hits.push(`${file} frame ${segment.frame} tcp`);
        if (bt.recogniseTcpLater(payload, 0, payload.length)) hits.push(`${file} frame ${segment.frame} tcp later`);
      }
    }
  }
  assert.deepEqual(hits, []);
  assert.ok(udp > 6000 && tcp > 1000, `${udp} UDP and ${tcp} TCP payloads checked`);
});
