// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The rules ftwall owns, as data. Pure: no processes, no kernel. install = remove leftovers,
 * then add this plan; uninstall = remove everything ftwall owns (found in iptables-save output).
 */

import type { LocalUdp, UdpShape } from '../core/protocol.ts';

/** Every chain ftwall creates starts with this; nothing else of ours exists. */
export const CHAIN_PREFIX = 'FTWALL-'; // keep in sync with the FTWALL- pattern in findOwned
export const FORWARD_CHAIN = `${CHAIN_PREFIX}FORWARD`;
export const INPUT_CHAIN = `${CHAIN_PREFIX}INPUT`;
export const SAFETY_NET_CHAIN = `${CHAIN_PREFIX}SAFETYNET`;
/** Packets forwarded towards the LAN (servers' answers), with the safety net only. */
export const REPLY_CHAIN = `${CHAIN_PREFIX}REPLY`;
/**
 * The safety net looks at a TCP flow's first packets only (original direction: SYN, ACK, data...):
 * its data segments among them are queued until ftwall has judged the flow's start (then the flow
 * carries the bypass bit). The cap bounds a flow that is never judged (flow bypass off).
 */
export const SAFETY_NET_PACKETS = 16;
/**
 * A server's first data (in the flow's first packets back, SYN-ACK included) on a flow whose start
 * is not judged yet is queued: it decides a handshake known by its sizes (core/protocol.ts), and
 * the server's retransmissions stay queued (dropped) until the flow's cut lands.
 */
export const REPLY_PACKETS = 16;
/** Segments a second of flows conntrack does not know, from outside towards the LAN, that are queued. */
export const REPLY_UNKNOWN_PER_SECOND = 200;
/**
 * Datagrams a second of the protocols' discovery to the router itself (LSD, DNS) that are queued,
 * all LAN hosts together; past it they go to the router unqueued, so a flood to its resolver
 * cannot fill the queues the forwarded traffic is decided in.
 */
export const LOCAL_UDP_PER_SECOND = 200;

/**
 * u32: a TCP segment with at least one byte of payload and a 20-byte IP header. From offset 0 it
 * reads the data offset (TCP header word 3, at IP offset 32), jumps that many bytes and reads 4
 * bytes at 17 more: possible only when the packet holds 20 + data offset + 1 bytes. u32 cannot
 * subtract, hence the fixed IP header length; segments with IP options are queued by IP_OPTIONS.
 */
export const TCP_DATA_MATCH = '0>>24&0xF=5&&32>>26&0x3C@17=0:0xFFFFFFFF';
const IP_OPTIONS_MATCH = '0>>24&0xF=6:15';

export interface RulePlanOptions {
  lanInterfaces: readonly string[];
  queueBase: number;
  workers: number;
  /** Mark bit of decided packets: our chains RETURN on it so REPEATed packets go on to later rules. */
  mark: number;
  probePort: number;
  /** How many probe ports, from probePort on. */
  probePorts: number;
  /** Hook DOCKER-USER as well (when the chain exists). */
  dockerUser: boolean;
  /** Queue the data segments among a TCP flow's first packets until its start is judged. */
  safetyNet: boolean;
  /** The protocol modules' UDP shapes, queued whatever their flow's bypass mark (flow bypass only). */
  udpShapes: readonly UdpShape[];
  /** Mark bit of flows judged clean; 0 disables flow bypass. */
  bypassMark: number;
  /** Fail closed: no --queue-bypass, so queued traffic is dropped while nobody reads the queues. */
  failClosed?: boolean;
  /** The protocols' UDP to the router itself (a multicast group, a local service), queued on INPUT. */
  localUdp?: readonly LocalUdp[];
}

/**
 * The u32 expression for a UDP shape (first fragments only): the payload's first byte, at the IP
 * header length plus 8, and the UDP length field (payload + 8), at the IP header length plus 4.
 */
export function udpShapeMatch(shape: UdpShape): string {
  const [firstLow, firstHigh] = shape.firstByte;
  const [lengthLow, lengthHigh] = shape.payloadLength;
  return [
    '4&0x1FFF=0', // the fragment offset (low 13 bits of the word at 4) is 0
    `0>>22&0x3C@8>>24=${hex(firstLow)}:${hex(firstHigh)}`,
    `0>>22&0x3C@4>>16=${lengthLow + 8}:${lengthHigh + 8}`,
  ].join('&&');
}

/** Rules of one table: chains to create, rules appended to them, jumps inserted into built-ins. */
export interface TablePlan {
  table: 'filter';
  chains: string[];
  /** `-A CHAIN ...` argument lists for our own chains. */
  rules: string[][];
  /** `-I BUILTIN 1 ...` argument lists hooking our chains. */
  jumps: string[][];
}

const hex = (value: number) => `0x${(value >>> 0).toString(16)}`;

/** NFQUEUE target arguments: balanced over the worker queues, bypassed when nobody listens (fail-open). */
export function queueTarget(queueBase: number, workers: number, failClosed = false): string[] {
  const target = workers > 1
    ? ['--queue-balance', `${queueBase}:${queueBase + workers - 1}`]
    : ['--queue-num', String(queueBase)];
  return ['-j', 'NFQUEUE', ...target, ...(failClosed ? [] : ['--queue-bypass'])];
}

export function planRules(options: RulePlanOptions): TablePlan {
  const queue = queueTarget(options.queueBase, options.workers, options.failClosed);
  const decided = ['-m', 'mark', '--mark', `${hex(options.mark)}/${hex(options.mark)}`, '-j', 'RETURN'];
  const bypass = `${hex(options.bypassMark)}/${hex(options.bypassMark)}`;
  const rules: string[][] = [];
  // Our chains are entered only from the LAN interfaces (see the jumps): no -i inside them.
  if (options.bypassMark) {
    // A protocol-shaped datagram is decided even on a flow judged clean (a client may open a flow
    // with junk). With ftwall's nftables table, its `pre` chain does that (udpShapes is empty
    // here); without it, a u32 pre-match of its first byte and length, on packets not yet decided.
    // It is the first rule, so bulk UDP pays for it: two u32 word reads per shape.
    for (const shape of options.udpShapes) {
      rules.push(['-A', FORWARD_CHAIN, '-p', 'udp', '-m', 'mark', '!', '--mark', `${hex(options.mark)}/${hex(options.mark)}`, '-m', 'u32', '--u32', udpShapeMatch(shape), ...queue]);
    }
    // Bypassed UDP flows leave first: the safety net is TCP only, and this is the rule nearly every
    // packet of a bulk UDP flow meets, so the fewer rules before it, the better.
    rules.push(['-A', FORWARD_CHAIN, '-p', 'udp', '-m', 'connmark', '--mark', bypass, '-j', 'RETURN']);
    // A packet ftwall accepted as clean comes back (REPEAT) with the bypass bit: copy it to its flow.
    rules.push(['-A', FORWARD_CHAIN, '-m', 'mark', '--mark', bypass, '-j', 'CONNMARK', '--save-mark', '--nfmask', hex(options.bypassMark), '--ctmask', hex(options.bypassMark)]);
  }
  rules.push(['-A', FORWARD_CHAIN, ...decided]);
  if (options.safetyNet) {
    // The header block sits in a flow's first packets: their data segments are queued (ftwall
    // reassembles and judges the start), until ftwall gives the flow the bypass bit; bulk data and
    // bare ACKs never are.
    const notJudged = options.bypassMark ? ['-m', 'connmark', '!', '--mark', bypass] : [];
    rules.push(['-A', FORWARD_CHAIN, '-p', 'tcp', ...notJudged, '-m', 'connbytes', '--connbytes', `0:${SAFETY_NET_PACKETS}`, '--connbytes-dir', 'original', '--connbytes-mode', 'packets', '-j', SAFETY_NET_CHAIN]);
    rules.push(['-A', SAFETY_NET_CHAIN, '-m', 'u32', '--u32', TCP_DATA_MATCH, ...queue]);
    rules.push(['-A', SAFETY_NET_CHAIN, '-m', 'u32', '--u32', IP_OPTIONS_MATCH, ...queue]);
    // Towards the LAN: a server's first data on a flow not judged clean (most are, by the client's
    // first bytes, before the server answers), and segments of flows conntrack does not know (cut:
    // ftwall drops those from a known peer).
    rules.push(['-A', REPLY_CHAIN, ...decided]);
    // From a LAN interface (LAN to LAN, or a LAN host forging an outside source): not an answer.
    for (const lan of options.lanInterfaces) rules.push(['-A', REPLY_CHAIN, '-i', lan, '-j', 'RETURN']);
    if (options.bypassMark) rules.push(['-A', REPLY_CHAIN, '-m', 'connmark', '--mark', bypass, '-j', 'RETURN']);
    // Rate-limited: anyone outside can send segments of flows that do not exist; past the limit
    // they go on unqueued, as they did before (the queue must not fill for them).
    rules.push(['-A', REPLY_CHAIN, '-p', 'tcp', '!', '--syn', '-m', 'conntrack', '--ctstate', 'NEW,INVALID', '-m', 'limit', '--limit', `${REPLY_UNKNOWN_PER_SECOND}/second`, '--limit-burst', String(2 * REPLY_UNKNOWN_PER_SECOND), ...queue]);
    const answers = ['-p', 'tcp', '-m', 'conntrack', '--ctdir', 'REPLY', '-m', 'connbytes', '--connbytes', `0:${REPLY_PACKETS}`, '--connbytes-dir', 'reply', '--connbytes-mode', 'packets'];
    rules.push(['-A', REPLY_CHAIN, ...answers, '-m', 'u32', '--u32', TCP_DATA_MATCH, ...queue]);
    rules.push(['-A', REPLY_CHAIN, ...answers, '-m', 'u32', '--u32', IP_OPTIONS_MATCH, ...queue]);
  }
  // TCP flows judged clean skip the queue once past the safety net; new connections (a SYN, a new
  // UDP flow) never carry the bit.
  if (options.bypassMark) rules.push(['-A', FORWARD_CHAIN, '-p', 'tcp', '-m', 'connmark', '--mark', bypass, '-j', 'RETURN']);
  // A TCP segment of a flow conntrack does not know: opened before ftwall ran (or while it was
  // down), or cut by ftwall when its peer was learned. Decided once, then bypassed or dropped.
  rules.push(['-A', FORWARD_CHAIN, '-p', 'tcp', '!', '--syn', '-m', 'conntrack', '--ctstate', 'NEW,INVALID', ...queue]);
  // docs/FTWALL.md: UDP and TCP SYNs from the LAN, forwarded.
  rules.push(['-A', FORWARD_CHAIN, '-p', 'udp', ...queue]);
  rules.push(['-A', FORWARD_CHAIN, '-p', 'tcp', '--syn', ...queue]);
  // Answers to ftwall's own probes come to the router itself.
  rules.push(['-A', INPUT_CHAIN, ...decided]);
  const probePorts = options.probePorts > 1 ? `${options.probePort}:${options.probePort + options.probePorts - 1}` : String(options.probePort);
  rules.push(['-A', INPUT_CHAIN, '-p', 'udp', '--dport', probePorts, ...queue]);
  // A client's discovery to the router itself: a multicast group ftwall joined (LSD), a service
  // (DNS, when the router is the resolver). Judged, never learned; fail-open like the rest.
  // Always with --queue-bypass, even failing closed: the router's own DNS must not die with ftwall.
  const localQueue = queueTarget(options.queueBase, options.workers, false);
  const localLimit = ['-m', 'limit', '--limit', `${LOCAL_UDP_PER_SECOND}/second`, '--limit-burst', String(2 * LOCAL_UDP_PER_SECOND)];
  for (const local of options.localUdp ?? []) {
    rules.push(['-A', INPUT_CHAIN, '-p', 'udp', ...(local.group ? ['-d', `${local.group}/32`] : []), '--dport', String(local.port), ...localLimit, ...localQueue]);
  }
  // No `-m comment` on the jumps: the target (FTWALL-...) says whose rule it is, and iptables-nft
  // runs a comment match for every forwarded packet (twice with REPEAT).
  const jump = (from: string, lan: string, to: string) => ['-I', from, '1', '-i', lan, '-j', to];
  // Towards the LAN, TCP only: other packets leaving on a LAN interface never enter a chain of ours.
  const replyJump = (from: string, lan: string) => ['-I', from, '1', '-o', lan, '-p', 'tcp', '-j', REPLY_CHAIN];
  const jumps: string[][] = [];
  for (const lan of options.lanInterfaces) {
    jumps.push(jump('FORWARD', lan, FORWARD_CHAIN), jump('INPUT', lan, INPUT_CHAIN));
    if (options.safetyNet) jumps.push(replyJump('FORWARD', lan));
    if (options.dockerUser) {
      jumps.push(jump('DOCKER-USER', lan, FORWARD_CHAIN));
      if (options.safetyNet) jumps.push(replyJump('DOCKER-USER', lan));
    }
  }
  const chains = options.safetyNet ? [FORWARD_CHAIN, INPUT_CHAIN, SAFETY_NET_CHAIN, REPLY_CHAIN] : [FORWARD_CHAIN, INPUT_CHAIN];
  return { table: 'filter', chains, rules, jumps };
}

/** Quotes one argument for iptables-restore input. */
function quote(arg: string): string {
  return /^[A-Za-z0-9_.:/,!@%+=-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

const line = (args: readonly string[]) => args.map(quote).join(' ');

/** iptables-restore --noflush input that creates our chains and hooks them. */
export function renderInstall(plan: TablePlan): string {
  return [
    `*${plan.table}`,
    ...plan.chains.map((chain) => `:${chain} - [0:0]`),
    ...plan.rules.map(line),
    ...plan.jumps.map(line),
    'COMMIT',
    '',
  ].join('\n');
}

/** What ftwall owns in one table's iptables-save output. */
export interface OwnedRules {
  table: string;
  chains: string[];
  /** Jump rules from chains that are not ours, exactly as iptables-save prints them (`-A ...`). */
  jumps: string[];
  /** Number of rules in each of our chains. */
  ruleCounts: Record<string, number>;
}

/** Finds ftwall's chains and every rule elsewhere that jumps to them (any run's, any config). */
export function findOwned(table: string, saveOutput: string): OwnedRules {
  const chains: string[] = [];
  const jumps: string[] = [];
  const ruleCounts: Record<string, number> = {};
  let current = '';
  for (const raw of saveOutput.split('\n')) {
    const text = raw.trim();
    if (text.startsWith('*')) current = text.slice(1);
    if (current !== table) continue;
    if (text.startsWith(`:${CHAIN_PREFIX}`)) chains.push(text.slice(1).split(/\s+/)[0]!);
    const rule = /^-A (\S+) .*-j (\S+)/.exec(text);
    if (rule && !rule[1]!.startsWith(CHAIN_PREFIX) && rule[2]!.startsWith(CHAIN_PREFIX)) jumps.push(text);
    const inOurs = /^-A (FTWALL-\S+) /.exec(text);
    if (inOurs) ruleCounts[inOurs[1]!] = (ruleCounts[inOurs[1]!] ?? 0) + 1;
  }
  return { table, chains, jumps, ruleCounts };
}

/** iptables-restore --noflush input removing what findOwned found; null when nothing is ours. */
export function renderRemoval(owned: OwnedRules): string | null {
  if (owned.chains.length === 0 && owned.jumps.length === 0) return null;
  return [
    `*${owned.table}`,
    ...owned.jumps.map((rule) => `-D${rule.slice(2)}`),
    ...owned.chains.map((chain) => `-F ${chain}`),
    ...owned.chains.map((chain) => `-X ${chain}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** Whether `owned` (from iptables-save) holds exactly the plan's chains, jumps and rule counts. */
export function matchesPlan(plan: TablePlan, owned: OwnedRules): boolean {
  if (owned.jumps.length !== plan.jumps.length) return false;
  if (owned.chains.length !== plan.chains.length || !plan.chains.every((chain) => owned.chains.includes(chain))) return false;
  return plan.chains.every((chain) => (owned.ruleCounts[chain] ?? 0) === plan.rules.filter((rule) => rule[1] === chain).length);
}

/** Whether iptables-save output shows `table` at all. */
export function hasTable(table: string, saveOutput: string): boolean {
  return saveOutput.split('\n').some((line) => line.trim() === `*${table}`);
}

/**
 * Whether `table` in iptables-save output is as a fresh kernel would show it once touched: only
 * built-in chains, all with policy ACCEPT, and no rules. Removing such a table changes nothing.
 */
export function isPristineTable(table: string, saveOutput: string): boolean {
  let current = '';
  for (const raw of saveOutput.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) current = line.slice(1);
    if (current !== table || line === '' || line.startsWith('#') || line.startsWith('*') || line === 'COMMIT') continue;
    if (!/^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT /.test(line)) return false;
  }
  return true;
}

/** Sum of the packet counters of ftwall's NFQUEUE rules in `iptables-save -c` output. */
export function queuedByRules(saveWithCounters: string): number {
  let packets = 0;
  for (const line of saveWithCounters.split('\n')) {
    const match = /^\[(\d+):\d+\] -A FTWALL-\S+ .*-j NFQUEUE/.exec(line);
    if (match) packets += Number(match[1]);
  }
  return packets;
}
