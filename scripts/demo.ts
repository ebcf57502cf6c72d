// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The ftwall demo: builds a LAN (an emulated Kazaa client and a normal user), a router running the
 * real ftwall, and an "internet" of 200 FastTrack supernodes and a web server, all in throwaway
 * network namespaces; runs the story; prints a short report; removes everything. Needs root.
 */
import { FtwallProcess } from '../lab/ftwall-process.ts';
import { Emulator, Supernodes } from '../lab/fasttrack/scenario.ts';
import { TestBed, WEB_NET, privilegedSkipReason } from '../lab/netns.ts';
import { AgentServer, runAgent, runAgentAsync } from '../lab/traffic.ts';

const LOCK_SECONDS = 4;
const WEB = `${WEB_NET}.80:80`;
const say = (text: string) => process.stdout.write(`${text}\n`);

const cannot = privilegedSkipReason();
if (cannot) {
  process.stderr.write(`demo: ${cannot}\n`);
  process.exit(2);
}

const bed = TestBed.create({ hosts: ['kazaa', 'user'] });
// Whatever ends this process (a signal, a broken stdout pipe, an error), the namespaces go with it.
process.once('exit', () => bed.destroy());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
try {
  say(`== test bed ${bed.prefix}: LAN 10.77.1.0/24 (kazaa ${bed.host('kazaa').ip}, user ${bed.host('user').ip}) -> router -> internet`);
  const supernodes = await Supernodes.start(bed);
  await AgentServer.start(bed, bed.internet, 'tcp-server', WEB);
  const dns = await AgentServer.start(bed, bed.internet, 'udp-server', `${WEB_NET}.53:53`);

  say('== without ftwall: the Kazaa client reaches a supernode at once');
  const free = await Emulator.start(bed, bed.host('kazaa').ns, { modes: '1,2,3', count: 40 }).finished();
  say(`   mode 1: ${free.modes['1']!.pings} pings, ${free.modes['1']!.handshakes} sessions -> it never needs mode 2`);

  say(`== starting ftwall in the router (FTWALL_LOCK_SECONDS=${LOCK_SECONDS}, 2 workers)`);
  const ftwall = FtwallProcess.start(bed, { FTWALL_LOCK_SECONDS: String(LOCK_SECONDS), FTWALL_WORKERS: '2', FTWALL_LOG_LEVEL: 'info' });
  try {
    await ftwall.ready();
    const before = await supernodes.report();
    say('== the Kazaa client tries mode 1 (UDP flood), 2 (parallel TCP), 3 (slow sequential TCP)');
    const emulator = Emulator.start(bed, bed.host('kazaa').ns, { modes: '1,2,3', mode3Seconds: 2 * LOCK_SECONDS, mode3TimeoutMs: 1500 });
    await emulator.modeStarted(2);
    await dns.report();
    const [web, dnsSent, kazaaWeb] = await Promise.all([
      runAgentAsync(bed, bed.host('user').ns, 'tcp-send', { to: WEB, bytes: 500_000 }),
      runAgentAsync(bed, bed.host('user').ns, 'udp-send', { to: `${WEB_NET}.53:53`, count: 100, size: 60 }),
      runAgentAsync(bed, bed.host('kazaa').ns, 'tcp-send', { to: WEB, bytes: 10, timeout: 1500 }),
    ]);
    const dnsDelivered = (await dns.report()).unique as number;
    const report = await emulator.finished();
    const stopped = Date.now();
    const back = runAgent(bed, bed.host('kazaa').ns, 'tcp-until', { to: WEB, max: 20_000 });
    const backMs = Date.now() - stopped;
    const after = await supernodes.report();

    say('');
    say('== report');
    for (const [mode, m] of Object.entries(report.modes)) {
      say(`   mode ${mode}: ${String(m.pings).padStart(3)} pings, ${String(m.pongs).padStart(3)} (spoofed) pongs, ${String(m.attempts).padStart(3)} TCP attempts blocked, ${m.handshakes} sessions  (${(m.ms / 1000).toFixed(1)} s)`);
    }
    say(`   sessions completed at the supernodes: ${after.handshakes - before.handshakes}; pings that left the LAN: ${after.pingsSeen - before.pingsSeen}`);
    say(`   FastTrack clients identified: ${ftwall.events('client_identified').map((e) => `${e.src_ip} (${e.src_mac})`).join(', ')}`);
    say(`   peers learned: ${ftwall.events('peer_learned').length}; locks started: ${ftwall.events('lock_started').length}; probes sent: ${ftwall.events('probe_sent').length}, answered: ${ftwall.events('probe_answered').length}`);
    say(`   the Kazaa host's own web while FastTrack ran: ${kazaaWeb.connected ? 'reachable' : 'blocked (time lock)'}; back ${(backMs / 1000).toFixed(1)} s after FastTrack stopped (lock ${LOCK_SECONDS} s)${back.connected ? '' : ' - NOT back'}`);
    say(`   the normal user while FastTrack ran: web ${web.connected ? 'ok' : 'FAILED'}, DNS-like UDP ${dnsDelivered}/${dnsSent.sent} delivered`);
  } finally {
    await ftwall.stop();
  }
  say('== ftwall stopped, its rules removed; removing the test bed');
} finally {
  bed.destroy();
}
