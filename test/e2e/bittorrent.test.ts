// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16 end to end: real BitTorrent clients (Transmission, aria2) on a LAN host, encryption
// required, DHT, uTP, PEX and LSD on, against real seeders, a tracker and DHT nodes beyond the
// router (lab/bittorrent/), with ftwall on the router. With a tracker and trackerless (magnet, DHT
// only). Each run: the client host is identified and locked within 10 s of the client's start, at
// most 1 MiB of the torrent reaches it while it tries (FTWALL_BT_TRY_SECONDS, default 30 here;
// `npm run bench` section 7 tries for 10 minutes), a benign host's DNS, STUN and QUIC datagrams and
// its web pass and identify nothing, and after the client quits the host's web is back within two
// probe periods. The bed's baseline (the same swarms without ftwall: the whole torrent arrives) is
// test/e2e/bittorrent-bed.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import { BT_BENIGN_SINK, BT_WEB, blockedRun } from '../../lab/bittorrent/blocked-run.ts';
import { BITTORRENT_PROGRAMS } from '../../lab/bittorrent/programs.ts';
import { Swarm, type SwarmOptions } from '../../lab/bittorrent/swarm.ts';
import type { ClientKind } from '../../lab/bittorrent/types.ts';
import { FtwallProcess } from '../../lab/ftwall-process.ts';
import { ROUTER_LAN_IP, TestBed, WEB_NET, privilegedSkipReason } from '../../lab/netns.ts';
import { AgentServer, runAgent, type ReportingProcess } from '../../lab/traffic.ts';
import { readCapture } from '../helpers/pcap.ts';

const missing = Object.keys(BITTORRENT_PROGRAMS).filter((program) => spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0);
const skip = privilegedSkipReason() || (missing.length > 0 ? `needs ${missing.join(', ')} (scripts/dev.sh test installs them)` : false);

const KINDS: ClientKind[] = ['transmission', 'aria2'];
const LOCK_SECONDS = 10;
/** A probe goes out half a lock period after the lock started or was confirmed (core/lock.ts). */
const PROBE_PERIOD_MS = (LOCK_SECONDS * 1000) / 2;
const TRY_SECONDS = Number(process.env.FTWALL_BT_TRY_SECONDS ?? 30);
const MIB = 1024 * 1024;
const WEB = BT_WEB;
const PCAPS = new URL('../../../shared/pcaps/', import.meta.url);
/** The benign host's traffic during every run: the DNS, STUN and QUIC captures' datagrams. */
const BENIGN_CAPTURES = ['dns.pcap', 'stun.pcap', 'stun_classic.pcap', 'quic.pcap', 'youtube_quic.pcap'];
const ENV = { FTWALL_BITTORRENT_LOCK_SECONDS: String(LOCK_SECONDS), FTWALL_STATE_DIR: '', FTWALL_WORKERS: '2' };

function hexLines(files: readonly string[], dir: string): string[] {
  const lines: string[] = [];
  for (const file of files) {
    for (const segment of readCapture(new URL(`${dir}/${file}`, PCAPS).pathname)) {
      if (segment.protocol === 'udp' && segment.payload.length <= 1472) lines.push(Buffer.from(segment.payload).toString('hex'));
    }
  }
  return lines;
}

function variant(title: string, swarmOptions: SwarmOptions, source: 'torrent' | 'magnet'): void {
  describe(title, { skip }, () => {
    let bed: TestBed;
    let swarm: Swarm;
    let sink: ReportingProcess;
    let benignFile: string;

    before(async () => {
      bed = TestBed.create({ hosts: ['client', 'benign'] });
      await AgentServer.start(bed, bed.internet, 'tcp-server', BT_WEB);
      sink = await AgentServer.start(bed, bed.internet, 'udp-hash-server', BT_BENIGN_SINK);
      benignFile = `${bed.tempDir}/benign.hex`;
      writeFileSync(benignFile, `${hexLines(BENIGN_CAPTURES, 'benign').join('\n')}\n`);
      swarm = await Swarm.start(bed, swarmOptions);
    });
    after(async () => {
      await swarm?.stop();
      bed?.destroy();
    });

    for (const kind of KINDS) {
      test(`${kind} (${source}): locked within 10 s, at most 1 MiB in ${TRY_SECONDS} s, the benign host untouched, web back within two probe periods of quitting`, { timeout: (TRY_SECONDS + 120) * 1000 }, async (t: TestContext) => {
        const run = await blockedRun(bed, swarm, { kind, source, trySeconds: TRY_SECONDS, lockSeconds: LOCK_SECONDS, benignFile, sink });
        t.diagnostic(JSON.stringify(run));
        assert.equal(run.identifiedProtocol, 'bittorrent', `identified by ${run.identifiedBy}`);
        assert.equal(run.lockProtocol, 'bittorrent');
        assert.ok(run.lockedAfterMs !== null && run.lockedAfterMs <= 10_000, `locked ${run.lockedAfterMs} ms after the client started`);
        assert.ok(run.completedBytes <= MIB, `${run.completedBytes} bytes of payload reached the client`);
        assert.ok(run.clientWebBlocked, 'the client host has no new TCP while the client runs');
        assert.equal(run.benignWebOk, run.benignWebTries, 'the benign host\'s web');
        assert.ok(run.benignDatagramsDelivered > 0 && run.benignDatagramsDelivered === run.benignDatagramsSent, `benign datagrams: ${run.benignDatagramsDelivered} of ${run.benignDatagramsSent} delivered`);
        assert.equal(run.benignIdentified + run.benignLocked, 0, 'the benign host is never identified nor locked');
        assert.ok(run.webBackMs !== null && run.webBackMs <= 2 * PROBE_PERIOD_MS, `web back ${run.webBackMs} ms after the client quit (two probe periods: ${2 * PROBE_PERIOD_MS} ms)`);
      });
    }
  });
}

variant('BitTorrent with a tracker (.torrent, HTTP and UDP announce)', { tracker: true, dht: false }, 'torrent');
variant('BitTorrent trackerless (magnet, DHT only)', { tracker: false, dht: true }, 'magnet');

/** Captures recognised but noted only: nobody is identified by them. */
const NOTED_ONLY = ['bt-dns.pcap'];
/** Data segments of a capture's first TCP flow played through the router (both sides). */
const SCRIPT_SEGMENTS = 12;

describe('BitTorrent captures', { skip: privilegedSkipReason() }, () => {
  const files = readdirSync(new URL('p2p', PCAPS)).filter((name) => /^(bittorrent|bt[-_])/.test(name));
  let bed: TestBed;
  before(() => {
    // One LAN host per capture: each is identified by its capture alone.
    bed = TestBed.create({ hosts: ['benign', 'lsd', 'dns', ...files.map((_, index) => `cap${index}`)] });
  });
  after(() => bed?.destroy());

  test('every BitTorrent capture is recognised through the real path (UDP replayed, a TCP flow played both sides, its start also sent the other way round); the benign captures identify nobody', async (t: TestContext) => {
    const sink = await AgentServer.start(bed, bed.internet, 'udp-hash-server', `${WEB_NET}.99:9000`);
    await AgentServer.start(bed, bed.internet, 'tcp-server', WEB);
    const ftwall = FtwallProcess.start(bed, { ...ENV, FTWALL_PROTOCOLS: 'bittorrent' });
    try {
      await ftwall.ready();
      const benign = hexLines(readdirSync(new URL('benign', PCAPS)), 'benign');
      writeFileSync(`${bed.tempDir}/benign.hex`, `${benign.join('\n')}\n`);
      runAgent(bed, bed.host('benign').ns, 'udp-replay', { to: `${WEB_NET}.99:9000`, file: `${bed.tempDir}/benign.hex` });
      assert.equal(((await sink.report()).hashes as string[]).length, benign.length, 'every benign datagram delivered');
      assert.equal(ftwall.events('client_identified').length, 0, 'no benign capture identifies its host');

      for (const [index, file] of files.entries()) {
        const host = bed.host(`cap${index}`);
        const udp = hexLines([file], 'p2p');
        if (udp.length > 0) {
          writeFileSync(`${bed.tempDir}/${file}.hex`, `${udp.join('\n')}\n`);
          runAgent(bed, host.ns, 'udp-replay', { to: `${WEB_NET}.99:9000`, file: `${bed.tempDir}/${file}.hex` });
        }
        // A TCP capture's first flow with data, either way round: the LAN host opens it and plays the
        // first sender's side of its first data segments against a server outside that plays the
        // other's (each waits for the other's bytes, as captured), and it answers a flow opened from
        // outside with the other side's first bytes (an echo server on the LAN host sends back what
        // the outside sends it).
        const segments = readCapture(new URL(`p2p/${file}`, PCAPS).pathname).filter((segment) => segment.protocol === 'tcp' && segment.payload.length > 0);
        const tcp = segments[0];
        if (tcp) {
          const flow = segments.filter((segment) => (segment.srcPort === tcp.srcPort && segment.dstPort === tcp.dstPort && segment.src === tcp.src) || (segment.srcPort === tcp.dstPort && segment.dstPort === tcp.srcPort && segment.src === tcp.dst));
          const script = `${bed.tempDir}/${file}.script`;
          writeFileSync(script, flow.slice(0, SCRIPT_SEGMENTS).map((segment) => `${segment.src === tcp.src ? 'client' : 'server'} ${Buffer.from(segment.payload).toString('hex')}`).join('\n'));
          const server = `${WEB_NET}.99:${7100 + index}`;
          await AgentServer.script(bed, bed.internet, server, script);
          const played = runAgent(bed, host.ns, 'tcp-script', { side: 'client', to: server, file: script, timeout: 3000 });
          t.diagnostic(`${file}: its first TCP flow played from the LAN host: ${JSON.stringify(played)}`);
          assert.ok(played.connected && (played.steps as number) < (played.of as number), `${file}: the flow is stopped before its script ends`);
          const answer = segments.find((segment) => segment.src === tcp.dst && segment.srcPort === tcp.dstPort && segment.dst === tcp.src && segment.dstPort === tcp.srcPort);
          if (answer) {
            await AgentServer.start(bed, host.ns, 'tcp-echo', `${host.ip}:7000`);
            runAgent(bed, bed.internet, 'tcp-text', { to: `${host.ip}:7000`, hex: Buffer.from(answer.payload).toString('hex'), timeout: 1000 });
          }
        }
        // A lookup is noted, not identified (README: a web page or a LAN resolver makes one).
        const event = NOTED_ONLY.includes(file) ? 'p2p_noted' : 'client_identified';
        const recognised = await ftwall.waitForEvent(event, (line) => line.src_ip === host.ip, 5000);
        t.diagnostic(`${file}: ${udp.length} datagrams${tcp ? ', a TCP flow' : ''}; ${event} by ${recognised.reason} (${recognised.protocol})`);
        assert.equal(recognised.protocol, 'bittorrent');
      }
      assert.ok(files.length >= 6, `the BitTorrent captures: ${files.join(', ')}`);

      // Discovery to the router itself: LSD to its group (a router neither forwards nor receives it
      // unless it joins: ftwall does, on the LAN interfaces), and a lookup of a client's domain to
      // the router as the LAN's resolver. Both queued on INPUT; the lookup passes.
      const lsdHost = bed.host('lsd');
      runAgent(bed, lsdHost.ns, 'udp-once', { to: '239.192.152.143:6771', hex: hexLines(['bt_search.pcap'], 'p2p')[0]! });
      const lsd = await ftwall.waitForEvent('client_identified', (line) => line.src_ip === lsdHost.ip, 5000);
      assert.deepEqual([lsd.protocol, lsd.reason, lsd.dest_ip], ['bittorrent', 'p2p_udp', '239.192.152.143']);
      await ftwall.waitForEvent('lock_started', (line) => line.src_ip === lsdHost.ip, 5000);
      const dnsHost = bed.host('dns');
      runAgent(bed, dnsHost.ns, 'udp-once', { to: `${ROUTER_LAN_IP}:53`, hex: hexLines(['bt-dns.pcap'], 'p2p')[0]! });
      const lookup = await ftwall.waitForEvent('p2p_noted', (line) => line.src_ip === dnsHost.ip, 5000);
      assert.deepEqual([lookup.protocol, lookup.reason, lookup.action], ['bittorrent', 'p2p_lookup', 'allowed']);
      assert.equal(ftwall.events('lock_started').filter((line) => line.src_ip === dnsHost.ip).length, 0, 'a lookup locks nothing');
      assert.equal(ftwall.events('client_identified').filter((line) => line.src_ip === dnsHost.ip).length, 0, 'nor identifies its host');
      assert.equal(ftwall.events('peer_learned').filter((line) => line.dest_ip === ROUTER_LAN_IP || line.dest_ip === '239.192.152.143').length, 0, 'the router and the group are never peers');
    } finally {
      await ftwall.stop();
    }
  });
});
