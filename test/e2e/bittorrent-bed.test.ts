// SPDX-License-Identifier: GPL-2.0-or-later
// The BitTorrent test bed's baseline, without ftwall: real clients (Transmission, aria2) on a LAN host
// download a torrent from real seeders beyond the router, found through opentracker or, with a magnet
// and no tracker, through the DHT alone; the bytes are right, they crossed the router, and nothing
// left the lab (no stray packet in any namespace, no DNS, public bootstrap names unresolvable).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test, type TestContext } from 'node:test';
import { BtClient } from '../../lab/bittorrent/client.ts';
import { wanCounters } from '../../lab/bittorrent/counters.ts';
import { LeakWatch } from '../../lab/bittorrent/leak-watch.ts';
import { publicNameLookups } from '../../lab/bittorrent/log-scan.ts';
import { BITTORRENT_PROGRAMS } from '../../lab/bittorrent/programs.ts';
import { Swarm, type SwarmOptions } from '../../lab/bittorrent/swarm.ts';
import type { ClientKind } from '../../lab/bittorrent/types.ts';
import { PEER_NET, TestBed, privilegedSkipReason } from '../../lab/netns.ts';

const missing = Object.keys(BITTORRENT_PROGRAMS).filter((program) => spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0);
const skip = privilegedSkipReason() || (missing.length > 0 ? `needs ${missing.join(', ')} (scripts/dev.sh test installs them)` : false);
if (skip && missing.length > 0 && !privilegedSkipReason()) process.stderr.write(`\n*** BITTORRENT BED TESTS SKIPPED: ${skip} ***\n\n`);

const KINDS: ClientKind[] = ['transmission', 'aria2'];
const DOWNLOAD_TIMEOUT_MS = 240_000;
/** Every variant's time, printed at the end (and as test diagnostics). */
const times: Record<string, string> = {};

function variant(title: string, swarmOptions: SwarmOptions, source: 'torrent' | 'magnet'): void {
  describe(title, { skip }, () => {
    let bed: TestBed;
    let swarm: Swarm;
    let watch: LeakWatch;

    before(async () => {
      bed = TestBed.create({ hosts: ['client', 'benign'] });
      // Before anything runs: the capture covers the swarm's start too.
      watch = await LeakWatch.start(bed, [bed.router, bed.internet, ...bed.hosts.map((host) => host.ns)]);
      swarm = await Swarm.start(bed, swarmOptions);
      times[`${title}: swarm ready`] = `${swarm.timings.readyMs} ms (seeding after ${swarm.timings.seedingMs} ms)`;
    });
    after(async () => {
      await swarm?.stop();
      bed?.destroy();
    });

    for (const kind of KINDS) {
      test(`${kind} on the LAN downloads the whole torrent (${source}) from the seeders, through the router`, { timeout: DOWNLOAD_TIMEOUT_MS + 60_000 }, async (t: TestContext) => {
        const host = bed.host('client');
        const before = wanCounters(bed);
        const client = await BtClient.start(bed, host, source === 'torrent'
          ? { kind, torrent: swarm.torrentFile, dhtBootstrap: swarm.dhtBootstrap }
          : { kind, magnet: swarm.torrent.magnet, dhtBootstrap: swarm.dhtBootstrap });
        const seen = swarm.watchPeer(host.ip);
        try {
          const { ms, progress, peersSeen, peersFrom } = await client.waitForCompletion(DOWNLOAD_TIMEOUT_MS);
          const seedersThatSaw = await seen.stop();
          times[`${title}: ${kind}`] = `${ms} ms`;
          t.diagnostic(`${kind}: ${ms} ms; peers ${peersSeen.join(' ')}; seeders that saw ${host.ip}: ${seedersThatSaw.join(' ')}${peersFrom ? `; peers from ${JSON.stringify(peersFrom)}` : ''}`);

          const data = swarm.torrent.data;
          assert.equal(progress.totalBytes, data.bytes);
          assert.equal(progress.completedBytes, data.bytes, 'every byte verified');
          assert.equal(client.fileSha256(data.name), data.sha256, 'the downloaded file is the seeders\' file');

          // It really crossed the router: peers are the seeders' own addresses, the seeders saw the
          // client's LAN address (no NAT in the bed), and the router's WAN side carried the payload.
          assert.ok(peersSeen.length > 0 && peersSeen.every((ip) => ip.startsWith(`${PEER_NET}.`) || ip === host.ip), `peers: ${peersSeen.join(' ')}`);
          assert.ok(seedersThatSaw.length > 0, `a seeder had ${host.ip} as a peer`);
          const received = wanCounters(bed).rxBytes - before.rxBytes;
          assert.ok(received >= data.bytes, `the router received ${received} bytes from the internet side (payload ${data.bytes})`);

          // Where its peers came from: only what the swarm offers (no tracker: the DHT).
          if (peersFrom) {
            if (swarm.tracker) assert.ok((peersFrom.fromTracker ?? 0) > 0, `peers from the tracker: ${JSON.stringify(peersFrom)}`);
            else assert.ok((peersFrom.fromDht ?? 0) > 0, `peers from the DHT: ${JSON.stringify(peersFrom)}`);
          }
        } finally {
          await seen.stop();
          await client.stop();
        }
      });
    }

    test('nothing left the lab: no stray packet in any namespace, no DNS, and every public bootstrap lookup failed inside its namespace', async (t: TestContext) => {
      const strays = await watch.stop();
      const lookups = publicNameLookups(bed);
      t.diagnostic(`public bootstrap name lookups: ${lookups.attempts} attempted, ${lookups.failures} failed (${Object.keys(lookups.lines).join(', ') || 'none'})`);
      assert.equal(strays.total, 0, `stray packets:\n${JSON.stringify(strays.byNamespace, null, 2)}`);
      assert.ok(lookups.failures >= lookups.attempts, `every lookup failed: ${JSON.stringify(lookups.lines, null, 2)}`);
    });
  });
}

variant('with a tracker (.torrent, HTTP and UDP announce)', { tracker: true, dht: false }, 'torrent');
variant('trackerless (magnet, peers from the DHT only)', { tracker: false, dht: true }, 'magnet');

after(() => {
  if (Object.keys(times).length > 0) process.stderr.write(`\nBitTorrent bed baseline times:\n${Object.entries(times).map(([what, time]) => `  ${what}: ${time}`).join('\n')}\n`);
});
