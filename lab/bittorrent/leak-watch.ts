// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Proof that the lab's traffic stays in the lab: tcpdump on every interface of the given namespaces,
 * keeping only packets that are not lab-to-lab. What is lab traffic:
 *   IPv4 between lab addresses (the LAN, the router's link, the internet namespace's nets),
 *     including LAN multicast and broadcast (LPD, IGMP);
 *   loopback inside a namespace (the clients' RPC);
 *   ARP, and the kernel's own IPv6 link-local chatter (neighbour discovery, MLD).
 * Everything else is a stray, and so is any DNS (no name server is in the lab: a DNS packet means a
 * client tried to resolve a name, say a public bootstrap host).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { JsonLines, exitOf } from '../json-lines.ts';
import { FRESH_PEER_NET, INTERNET_IP, LAN_PREFIX, PEER_NET, WEB_NET, type TestBed } from '../netns.ts';
import type { ChildProcess } from 'node:child_process';

const LAB_NETS = [`${LAN_PREFIX}.0/24`, `${PEER_NET}.0/24`, `${FRESH_PEER_NET}.0/24`, `${WEB_NET}.0/24`, `${INTERNET_IP.split('.').slice(0, 3).join('.')}.0/24`];

/** The tcpdump filter for strays (exported for the report). */
export function strayFilter(): string {
  const fromLab = LAB_NETS.map((net) => `src net ${net}`).join(' or ');
  const toLab = [...LAB_NETS.map((net) => `dst net ${net}`), 'dst net 224.0.0.0/4', 'dst host 255.255.255.255'].join(' or ');
  return [
    '(not arp',
    'and not (ip6 and (src net fe80::/10 or src host ::) and (dst net fe80::/10 or dst net ff02::/16))',
    'and not (ip and src net 127.0.0.0/8 and dst net 127.0.0.0/8)',
    `and not (ip and (${fromLab}) and (${toLab})))`,
    'or port 53',
  ].join(' ');
}

export interface Strays {
  /** Stray packets by namespace, as tcpdump prints them. */
  byNamespace: Record<string, string[]>;
  total: number;
}

export class LeakWatch {
  readonly #captures: Array<{ ns: string; child: ChildProcess; file: string }>;

  private constructor(captures: Array<{ ns: string; child: ChildProcess; file: string }>) {
    this.#captures = captures;
  }

  /** Starts a capture in each namespace and resolves once every one is listening. */
  static async start(bed: TestBed, namespaces: string[]): Promise<LeakWatch> {
    const filter = strayFilter();
    const captures = namespaces.map((ns, index) => {
      const file = join(bed.tempDir, `strays-${index}.pcap`);
      const child = bed.spawn(ns, ['tcpdump', '-i', 'any', '-nn', '-U', '-Z', 'root', '-w', file, filter]);
      return { ns, child, file };
    });
    await Promise.all(captures.map(({ ns, child }) => new JsonLines(child.stderr!).waitForText(/listening on/, 10_000).catch((error: Error) => {
      throw new Error(`tcpdump in ${ns}: ${error.message}`);
    })));
    return new LeakWatch(captures);
  }

  /** Stops the captures and returns what they kept. */
  async stop(): Promise<Strays> {
    const byNamespace: Record<string, string[]> = {};
    for (const { ns, child, file } of this.#captures) {
      const exited = exitOf(child);
      child.kill('SIGINT');
      await exited;
      const read = spawnSync('tcpdump', ['-nn', '-r', file], { encoding: 'utf8' });
      byNamespace[ns] = (read.stdout ?? '').split('\n').filter(Boolean);
    }
    return { byNamespace, total: Object.values(byNamespace).reduce((sum, lines) => sum + lines.length, 0) };
  }
}
