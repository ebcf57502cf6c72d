// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * `npm run bench` (root): ftwall's benchmark, in throwaway network namespaces. Each figure is the
 * median of several runs, and each ratio is measured side by side in the same run. Prints a table
 * and writes bench/results/<timestamp>.json. `--quick`: one run each, shorter.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { FtwallProcess } from '../test/helpers/ftwall-process.ts';
import { JsonLines } from '../test/helpers/json-lines.ts';
import { PEER_NET, TestBed, WEB_NET, privilegedSkipReason } from '../test/helpers/netns.ts';
import { AgentServer, httpGet, packetsQueued, runAgent } from '../test/helpers/traffic.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 2 : 4;
const FLOOD_PORT = 9;
const say = (text: string) => process.stdout.write(`${text}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const cannot = privilegedSkipReason();
if (cannot) { process.stderr.write(`bench: ${cannot}\n`); process.exit(2); }

/** Builds the C helpers (the reference consumer and the load generator) into bench/.build. */
function buildC(): { nfqAccept: string; udpFlood: string } {
  const out = `${ROOT}bench/.build`;
  mkdirSync(out, { recursive: true });
  for (const name of ['nfq-accept', 'udp-flood']) {
    execFileSync('gcc', ['-O2', '-Wall', '-o', `${out}/${name}`, `${ROOT}bench/c/${name}.c`, '-lnetfilter_queue', '-lmnl']);
  }
  return { nfqAccept: `${out}/nfq-accept`, udpFlood: `${out}/udp-flood` };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ
}

/** Sum of ftwall_packets_total from /metrics. */
function ftwallPackets(bed: TestBed): number {
  const { body } = httpGet(bed, bed.router, 'http://127.0.0.1:9490/metrics');
  return body.split('\n').filter((line) => line.startsWith('ftwall_packets_total{')).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

const bin = buildC();
const bed = TestBed.create({ hosts: ['client', 'benign'] });
// Whatever ends this process (a signal, a broken stdout pipe, an error), the namespaces go with it.
process.once('exit', () => bed.destroy());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
const results: Record<string, unknown> = {
  machine: { cpus: os.availableParallelism(), cpu: os.cpus()[0]?.model, kernel: os.release(), node: process.version, memory_gb: Math.round(os.totalmem() / 2 ** 30) },
  runs: RUNS, seconds: SECONDS,
};

try {
  // The internet drops the flood silently (no ICMP storms back through the router).
  bed.run(bed.internet, ['iptables', '-A', 'INPUT', '-p', 'udp', '--dport', String(FLOOD_PORT), '-j', 'DROP']);
  const client = bed.host('client').ns;
  const benign = bed.host('benign').ns;

  /** 1 and 6: packets decided per second at saturation, and CPU per packet. */
  async function ftwallThroughput(workers: number): Promise<{ pps: number; cpu_us_per_packet: number }> {
    const ftwall = FtwallProcess.start(bed, { FTWALL_WORKERS: String(workers), FTWALL_FLOW_BYPASS: 'false', OTEL_SDK_DISABLED: 'true', FTWALL_LOG_LEVEL: 'info', FTWALL_STATE_DIR: '' });
    try {
      await ftwall.ready();
      const packets0 = ftwallPackets(bed);
      const cpu0 = cpuSeconds(ftwall.child.pid!);
      const { seconds } = JSON.parse(bed.run(client, [bin.udpFlood, PEER_NET, '1', '64', String(FLOOD_PORT), '18', String(SECONDS)]).trim()) as { seconds: number };
      const packets = ftwallPackets(bed) - packets0;
      const cpu = cpuSeconds(ftwall.child.pid!) - cpu0;
      return { pps: Math.round(packets / seconds), cpu_us_per_packet: Math.round((cpu / packets) * 1e6 * 100) / 100 };
    } finally {
      await ftwall.stop();
    }
  }

  async function referenceThroughput(verdict: 'accept' | 'repeat'): Promise<{ pps: number; cpu_us_per_packet: number }> {
    const rule = ['FORWARD', '-i', 'lan0', '-p', 'udp', '-j', 'NFQUEUE', '--queue-num', '1214', '--queue-bypass'];
    const decided = ['FORWARD', '-m', 'mark', '--mark', '0x100000/0x100000', '-j', 'RETURN'];
    bed.run(bed.router, ['iptables', '-I', ...rule]);
    bed.run(bed.router, ['iptables', '-I', ...decided]);
    try {
      const consumer = bed.spawn(bed.router, [bin.nfqAccept, '1214', String(SECONDS + 1.5), verdict]);
      const lines = new JsonLines(consumer.stdout!);
      await lines.waitFor((line) => line.ready === true, 5000, 'reference consumer ready');
      const { seconds } = JSON.parse(bed.run(client, [bin.udpFlood, PEER_NET, '1', '64', String(FLOOD_PORT), '18', String(SECONDS)]).trim()) as { seconds: number };
      const report = await lines.waitFor((line) => 'packets' in line, 10_000, 'reference report');
      return { pps: Math.round((report.packets as number) / seconds), cpu_us_per_packet: Math.round(((report.cpu_s as number) / (report.packets as number)) * 1e6 * 100) / 100 };
    } finally {
      bed.run(bed.router, ['iptables', '-D', ...rule]);
      bed.run(bed.router, ['iptables', '-D', ...decided]);
    }
  }

  say(`== 1. queued throughput (small UDP, every packet decided; ${RUNS} runs x ${SECONDS} s)`);
  const ftwallRuns: Array<{ pps: number; cpu_us_per_packet: number }> = [];
  const referenceRuns: Array<{ pps: number; cpu_us_per_packet: number }> = [];
  const repeatRuns: Array<{ pps: number; cpu_us_per_packet: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    referenceRuns.push(await referenceThroughput('accept'));
    repeatRuns.push(await referenceThroughput('repeat'));
    ftwallRuns.push(await ftwallThroughput(1));
  }
  const queued = {
    ftwall_1_worker_pps: median(ftwallRuns.map((r) => r.pps)), ftwall_cpu_us_per_packet: median(ftwallRuns.map((r) => r.cpu_us_per_packet)),
    c_reference_pps: median(referenceRuns.map((r) => r.pps)), c_reference_cpu_us_per_packet: median(referenceRuns.map((r) => r.cpu_us_per_packet)),
    c_repeat_pps: median(repeatRuns.map((r) => r.pps)), c_repeat_cpu_us_per_packet: median(repeatRuns.map((r) => r.cpu_us_per_packet)),
    ratio: 0, ratio_to_c_repeat: 0,
  };
  queued.ratio = Math.round((queued.ftwall_1_worker_pps / queued.c_reference_pps) * 100) / 100;
  queued.ratio_to_c_repeat = Math.round((queued.ftwall_1_worker_pps / queued.c_repeat_pps) * 100) / 100;
  results.queued_throughput = queued;
  say(`   ftwall (1 worker): ${queued.ftwall_1_worker_pps} pps, ${queued.ftwall_cpu_us_per_packet} us CPU/packet`);
  say(`   C reference:       ${queued.c_reference_pps} pps, ${queued.c_reference_cpu_us_per_packet} us CPU/packet   ratio ${queued.ratio} (target >= 0.9)`);
  say(`   C with REPEAT:     ${queued.c_repeat_pps} pps, ${queued.c_repeat_cpu_us_per_packet} us CPU/packet   ratio ${queued.ratio_to_c_repeat} (same verdict as ftwall)`);

  say('== 6. workers');
  const workers: Record<string, number> = {};
  for (const count of [...new Set([1, 2, os.availableParallelism()])]) {
    const runs: number[] = [];
    for (let run = 0; run < RUNS; run++) runs.push((await ftwallThroughput(count)).pps);
    workers[String(count)] = median(runs);
    say(`   ${count} worker(s): ${workers[String(count)]} pps`);
  }
  results.workers_pps = workers;

  say('== 2. added latency (UDP request/response through the router; us)');
  await AgentServer.start(bed, bed.internet, 'udp-echo', `${WEB_NET}.7:7`);
  const rtt = () => runAgent(bed, client, 'udp-rtt', { to: `${WEB_NET}.7:7`, count: QUICK ? 1000 : 3000 }) as { p50: number; p99: number; p999: number };
  const halfRate = Math.round(queued.ftwall_1_worker_pps / 2);
  const underLoad = async (measure: () => { p50: number; p99: number; p999: number }) => {
    const load = spawn('ip', ['netns', 'exec', benign, bin.udpFlood, PEER_NET, '65', '64', String(FLOOD_PORT), '18', '30', String(halfRate)], { stdio: 'ignore' });
    try { return measure(); } finally { load.kill('SIGKILL'); }
  };
  const plainIdle = rtt();
  const plainLoaded = await underLoad(rtt);
  const added = (a: { p50: number; p99: number; p999: number }, b: typeof a) => ({ p50: Math.round(a.p50 - b.p50), p99: Math.round(a.p99 - b.p99), p999: Math.round(a.p999 - b.p999) });
  const fmt = (r: { p50: number; p99: number; p999: number }) => `p50 ${Math.round(r.p50)} p99 ${Math.round(r.p99)} p99.9 ${Math.round(r.p999)}`;
  say(`   without ftwall:  idle ${fmt(plainIdle)} | half load ${fmt(plainLoaded)}`);
  const latency: Record<string, unknown> = { without_idle: plainIdle, without_half_load: plainLoaded, half_load_pps: halfRate };
  // Default configuration (flow bypass: the request flow is decided once), and every packet decided.
  for (const [name, bypass] of [['bypass', 'true'], ['every_packet', 'false']] as const) {
    const ftwall = FtwallProcess.start(bed, { FTWALL_FLOW_BYPASS: bypass, OTEL_SDK_DISABLED: 'true', FTWALL_LOG_LEVEL: 'info', FTWALL_STATE_DIR: '' });
    try {
      await ftwall.ready();
      const idle = rtt();
      const loaded = await underLoad(rtt);
      latency[name] = { idle, half_load: loaded, added_idle: added(idle, plainIdle), added_half_load: added(loaded, plainLoaded) };
      say(`   with ftwall (${name === 'bypass' ? 'default, flow bypass' : 'every packet decided'}): idle ${fmt(idle)} | half load ${fmt(loaded)}  (added p99 at half load ${Math.round(loaded.p99 - plainLoaded.p99)}; target < 200)`);
    } finally {
      await ftwall.stop();
    }
  }
  results.latency_us = latency;

  say('== 3. flow bypass (iperf3 through the router)');
  const iperf = async (udp: boolean) => {
    const server = spawn('ip', ['netns', 'exec', bed.internet, 'iperf3', '-s', '-1', '--forceflush', '-B', `${PEER_NET}.7`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new JsonLines(server.stdout!).waitForText(/Server listening/, 5000);
      const args = ['iperf3', '-c', `${PEER_NET}.7`, '-t', String(SECONDS), '-J', ...(udp ? ['-u', '-b', '0', '-l', '1400'] : [])];
      const report = JSON.parse(bed.run(client, args)) as { end: { sum_received?: { bits_per_second: number }; sum?: { bits_per_second: number } } };
      return Math.round(((udp ? report.end.sum?.bits_per_second : report.end.sum_received?.bits_per_second) ?? 0) / 1e6);
    } finally {
      server.kill();
    }
  };
  const bypass: Record<string, unknown> = {};
  for (const udp of [false, true]) {
    const name = udp ? 'udp' : 'tcp';
    const plain: number[] = [];
    const withFtwall: number[] = [];
    const queuedPackets: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      plain.push(await iperf(udp));
      const ftwallBypass = FtwallProcess.start(bed, { OTEL_SDK_DISABLED: 'true', FTWALL_LOG_LEVEL: 'info', FTWALL_STATE_DIR: '' });
      try {
        await ftwallBypass.ready();
        const before = packetsQueued(bed);
        withFtwall.push(await iperf(udp));
        queuedPackets.push(packetsQueued(bed) - before);
      } finally {
        await ftwallBypass.stop();
      }
    }
    bypass[name] = { plain_mbps: median(plain), ftwall_mbps: median(withFtwall), ratio: Math.round((median(withFtwall) / median(plain)) * 100) / 100, packets_to_userspace: median(queuedPackets) };
    say(`   ${name}: plain ${median(plain)} Mbit/s, with ftwall ${median(withFtwall)} Mbit/s (ratio ${(bypass[name] as { ratio: number }).ratio}; target >= 0.95); packets that reached ftwall: ${median(queuedPackets)}`);
  }
  results.flow_bypass = bypass;

  say('== 4. state scale (decision time and RSS; 65k LAN clients)');
  const scale: unknown[] = [];
  for (const peers of [1000, 100_000, 1_000_000]) {
    const line = JSON.parse(execFileSync(process.execPath, [`${ROOT}bench/state-scale.ts`, String(peers), '65536'], { encoding: 'utf8' }).trim()) as { ns_per_decision: number; rss_mb: number };
    scale.push(line);
    say(`   ${String(peers).padStart(7)} peers: ${line.ns_per_decision} ns/decision, RSS ${line.rss_mb} MB (target < 150 MB at 1M)`);
  }
  results.state_scale = scale;

  say('== 5. startup (process start to ready, /readyz 200)');
  const startups: number[] = [];
  for (let run = 0; run < Math.max(3, RUNS); run++) {
    const started = Date.now();
    const ftwallStart = FtwallProcess.start(bed, { OTEL_SDK_DISABLED: 'true', FTWALL_LOG_LEVEL: 'info', FTWALL_STATE_DIR: '' });
    try {
      // 'ready' is logged at the moment /readyz turns 200.
      await ftwallStart.ready();
      startups.push(Date.now() - started);
      if (httpGet(bed, bed.router, 'http://127.0.0.1:9490/readyz').status !== 200) throw new Error('ready but /readyz is not 200');
    } finally {
      await ftwallStart.stop();
    }
  }
  results.startup_ms = median(startups);
  say(`   ${median(startups)} ms (target < 2000)`);

  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  const file = `${ROOT}bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  say(`== written ${file}`);
} finally {
  bed.destroy();
}
