// SPDX-License-Identifier: GPL-2.0-or-later
/** Drives lab/agent.ts inside test-bed namespaces. */
import { fileURLToPath } from 'node:url';
import { JsonLines, type JsonLine } from './json-lines.ts';
import type { TestBed } from './netns.ts';

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));

/**
 * A long-running helper process in a namespace that prints a ready line, then answers each stdin
 * line "report" with one JSON line (the agent's servers, the supernodes).
 */
export class ReportingProcess {
  readonly #lines: JsonLines;
  readonly #stdin: NodeJS.WritableStream;
  #reports = 0;

  private constructor(lines: JsonLines, stdin: NodeJS.WritableStream) {
    this.#lines = lines;
    this.#stdin = stdin;
  }

  /** Spawns `args` in `ns` and waits for its ready line ({"listening":true}). */
  static async start(bed: TestBed, ns: string, args: string[], what: string): Promise<ReportingProcess> {
    const child = bed.spawn(ns, args);
    const process = new ReportingProcess(new JsonLines(child.stdout!), child.stdin!);
    await process.#lines.waitFor((line) => line.listening === true, 15_000, `${what} listening`);
    return process;
  }

  /** Asks for the current report. */
  async report(): Promise<JsonLine> {
    const index = ++this.#reports;
    this.#stdin.write('report\n');
    let seen = 0;
    return this.#lines.waitFor((line) => !('listening' in line) && ++seen === index, 10_000, 'a report');
  }
}

/** An agent server role (see agent.ts). */
export const AgentServer = {
  start(bed: TestBed, ns: string, role: 'udp-server' | 'tcp-server' | 'udp-hash-server' | 'tcp-echo', bind: string): Promise<ReportingProcess> {
    return ReportingProcess.start(bed, ns, [process.execPath, AGENT, role, `bind=${bind}`], `${role} on ${bind}`);
  },
  /** The server side of a captured TCP conversation (agent role tcp-script). */
  script(bed: TestBed, ns: string, bind: string, file: string): Promise<ReportingProcess> {
    return ReportingProcess.start(bed, ns, [process.execPath, AGENT, 'tcp-script', 'side=server', `bind=${bind}`, `file=${file}`], `tcp-script server on ${bind}`);
  },
};

/** Runs a one-shot agent role in a namespace and returns its result line. */
export function runAgent(bed: TestBed, ns: string, role: 'udp-send' | 'udp-once' | 'tcp-send' | 'tcp-until' | 'tcp-tries' | 'tcp-text' | 'tcp-chunks' | 'tcp-script' | 'udp-replay' | 'raw-send' | 'udp-spray', args: Record<string, string | number>): JsonLine {
  const output = bed.run(ns, [process.execPath, AGENT, role, ...Object.entries(args).map(([key, value]) => `${key}=${value}`)]);
  return JSON.parse(output.trim().split('\n').pop()!) as JsonLine;
}

/**
 * A long TCP session (agent role tcp-trickle, against a tcp-echo server): resolves `flowing` at the
 * first echo, `finished` with { connected, echoed, lastEchoAt } when its time is up.
 */
export function startTrickle(bed: TestBed, ns: string, to: string, seconds: number): { flowing: Promise<JsonLine>; finished: Promise<JsonLine> } {
  const child = bed.spawn(ns, [process.execPath, AGENT, 'tcp-trickle', `to=${to}`, `seconds=${seconds}`, 'every=50']);
  const lines = new JsonLines(child.stdout!);
  return {
    flowing: lines.waitFor((line) => line.flowing === true, 10_000, 'the trickle flowing'),
    finished: lines.waitFor((line) => 'echoed' in line, (seconds + 10) * 1000, 'the trickle finished'),
  };
}

/** Sum of a Prometheus metric's samples on ftwall's /metrics (in the router) whose labels contain `labels`. */
export function metric(bed: TestBed, name: string, labels = ''): number {
  const body = httpGet(bed, bed.router, 'http://127.0.0.1:9490/metrics').body;
  return body.split('\n')
    .filter((line) => (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** iptables-save of a namespace without comments and counters, for before/after comparisons. */
export function iptablesSnapshot(bed: TestBed, ns: string): string {
  return bed.run(ns, ['iptables-save'])
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n');
}

/** Sum of id_sequence over the router's NFQUEUE queues: how many packets were ever queued. */
export function packetsQueued(bed: TestBed): number {
  const text = bed.try(bed.router, ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout;
  return text.split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[7]), 0);
}

/** GET http://host:port/path from inside a namespace; returns status and body. */
export function httpGet(bed: TestBed, ns: string, url: string): { status: number; body: string } {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })), (e) => console.log(JSON.stringify({ status: 0, body: String(e) })))`;
  return JSON.parse(bed.run(ns, [process.execPath, '-e', script]).trim()) as { status: number; body: string };
}

/** Like runAgent, without blocking the test's event loop (for traffic during a scenario). */
export function runAgentAsync(bed: TestBed, ns: string, role: 'udp-send' | 'tcp-send' | 'tcp-until' | 'tcp-text' | 'raw-send' | 'udp-spray', args: Record<string, string | number>): Promise<JsonLine> {
  const child = bed.spawn(ns, [process.execPath, AGENT, role, ...Object.entries(args).map(([key, value]) => `${key}=${value}`)]);
  const lines = new JsonLines(child.stdout!);
  return lines.waitFor(() => true, 60_000, `${role} result`);
}
