// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * ftwall's own nftables table (issue 14): what ftwall knows, enforced by the kernel. Pure: the nft
 * scripts (the table, element updates, a full load) and the mapping from state-change events to
 * set updates; rules/kernel-sets.ts runs them through libnftables.
 *
 * `table ip ftwall`, entered only by packets forwarded from the LAN interfaces (exempt hosts return):
 * - chain `pre`, forward hook at priority -5, before iptables' filter chains and so before the queue:
 *   a datagram shaped like a protocol's UDP (UdpShape) clears its flow's bypass bit (flow bypass
 *   on), so the queue decides it whatever the flow carried before. Then a locked host's new TCP connections (its IP and MAC in `locked`) are dropped, except to a known
 *   peer: those reach the queue, whose decision (re)starts the lock. Then the per-source limit: a
 *   host's new flows (the first packet of a UDP or TCP conntrack entry) over FTWALL_SOURCE_LIMIT a
 *   second are dropped and counted, so one host's flood cannot fill the queue into fail-open.
 * - chain `post`, forward hook at priority +5, after iptables' filter chains and so after the queue:
 *   UDP and TCP to a confirmed peer (`peers`) are dropped for every host, to a peer below the quorum
 *   (`learned`) for identified clients (`clients`). Running, ftwall has dropped these already (it
 *   still sees them: they identify clients, count revealers towards the quorum, (re)start locks);
 *   this chain holds them when the queue did not decide: full (fail-open), bypassed (no reader:
 *   ftwall killed, restarting, its worker dead).
 * - chain `answers`, input hook at priority -5: a LAN host's datagrams to the probe ports
 *   (FTWALL_PROBE_PORT on) shaped like a protocol's UDP (UdpShape: what could answer a probe) over
 *   ANSWER_GUESSES a second are dropped and counted, and all hosts' together over
 *   ANSWER_GUESSES_ALL. A client answers a probe once; a forger who did not get the probe must
 *   guess its port, and this bounds how many ports it can try in an answer window. (Whatever the
 *   conntrack direction: a guess that hits the port of a probe just sent is the reply of the
 *   probe's entry.) Other datagrams (the router's own programs' replies) are not limited.
 * Every element has a timeout: a lock's end, or PEER_SET_SECONDS for peers and clients (refreshed
 * by the periodic reload while ftwall runs), so a ftwall that is gone for good stops blocking.
 * In monitor mode the rules count and drop nothing.
 */
import type { FtEvent } from '../core/events.ts';
import { isLocked } from '../core/lock.ts';
import type { UdpShape } from '../core/protocol.ts';
import { nftShapeMatch, shapeRules } from './nft-shapes.ts';

export const TABLE = 'ftwall';
/** Kernel lifetime of a peer or client element; the reload refreshes it well before it ends. */
export const PEER_SET_SECONDS = 3600;
/** How often the sets are reloaded from ftwall's state (timeouts refreshed). */
export const FULL_LOAD_INTERVAL_MS = 15 * 60 * 1000;

export type SetName = 'locked' | 'clients' | 'peers' | 'learned';
export const SET_NAMES: readonly SetName[] = ['locked', 'clients', 'peers', 'learned'];
const SET_TYPES: Record<SetName, string> = {
  locked: 'ipv4_addr . ether_addr',
  clients: 'ipv4_addr . ether_addr',
  peers: 'ipv4_addr . inet_service',
  learned: 'ipv4_addr . inet_service',
};
/** The named counters, by the `reason` of the `ftwall.kernel.dropped` metric. */
export const COUNTERS = { client_locked: 'locked_dropped', known_peer: 'peer_dropped', unconfirmed_peer: 'learned_dropped', source_limited: 'source_limited', answer_limited: 'answer_limited' } as const;
export type KernelDropReason = keyof typeof COUNTERS;
/** How long a limited source stays listed for the source_limited log line. */
const LIMITED_LIST_SECONDS = 30;
/** Probe-answer-shaped datagrams a second (and as burst) each LAN host may send to the probe ports. */
export const ANSWER_GUESSES = 10;
/** The same, all LAN hosts together (a source that changes its address at every packet). */
export const ANSWER_GUESSES_ALL = 500;

/** What the table's rules depend on (from the config). */
export interface KernelSetsPlan {
  lanInterfaces: readonly string[];
  /** FTWALL_EXEMPT, as CIDR texts. */
  exempt: readonly string[];
  /** false in monitor mode: rules count, never drop. */
  enforce: boolean;
  /** FTWALL_BLOCK_UDP: UDP to peers is dropped too. */
  blockUdp: boolean;
  /** FTWALL_LOCK_SECONDS > 0. */
  locks: boolean;
  /** New flows per second per LAN host (FTWALL_SOURCE_LIMIT); 0: no limit. */
  sourceNewFlows: number;
  /** The probe ports: FTWALL_PROBE_PORT and how many from it (FTWALL_PROBE_PORTS). */
  probePort: number;
  probePorts: number;
  /** The protocol modules' UDP shapes: what may answer a probe. */
  udpShapes: readonly UdpShape[];
  /** Conntrack mark bit of flows judged clean (FTWALL_BYPASS_MARK); 0: no flow bypass. */
  bypassMark: number;
}

/** One element and what happens to it: kept `seconds` (to the millisecond) from now, or removed (seconds null). */
export interface SetUpdate {
  set: SetName;
  key: string;
  seconds: number | null;
}

const quote = (name: string) => `"${name.replace(/["\\]/g, '')}"`;

/** The rules of the three chains, in order (each a line of `nft -f` syntax), and the shape chains' (one rule each). */
export function chainRules(plan: KernelSetsPlan): { pre: string[]; post: string[]; answers: string[]; shapes: string[] } {
  const verdict = plan.enforce ? ' drop' : '';
  const gate = [`iifname != { ${plan.lanInterfaces.map(quote).join(', ')} } return`];
  if (plan.exempt.length > 0) gate.push(`ip saddr { ${plan.exempt.join(', ')} } return`);
  const pre = [...gate];
  // A protocol-shaped datagram on a flow judged clean takes the flow's bypass bit away, so the
  // queue decides it (and the flow's next packets, until ftwall judges the flow clean again): a
  // client cannot open a flow with junk and then talk on it unseen. Here, in the hook every
  // forwarded packet meets anyway, bulk UDP pays one length test; the iptables chain keeps one
  // connmark test for it.
  const shaped = plan.bypassMark ? shapeRules(plan.udpShapes, plan.bypassMark) : { pre: [], shapes: [] };
  pre.push(...shaped.pre);
  // Then a flow still judged clean leaves: the rules below are for new connections and new flows,
  // which never carry the bit.
  if (plan.bypassMark) pre.push(`ct mark & 0x${plan.bypassMark.toString(16)} == 0x${plan.bypassMark.toString(16)} return`);
  if (plan.locks) {
    pre.push(`tcp flags & (syn | ack) == syn ip saddr . ether saddr @locked ip daddr . tcp dport != @peers ip daddr . tcp dport != @learned counter name ${COUNTERS.client_locked}${verdict}`);
  }
  if (plan.sourceNewFlows > 0) {
    // `ct status ! confirmed`: the first packet of a flow only (a UDP flow stays `new` until answered);
    // the conntrack tests first, so that established packets leave the rule at once.
    pre.push(`ct state new ct status & confirmed == 0 meta l4proto { tcp, udp } update @flood { ip saddr limit rate over ${plan.sourceNewFlows}/second burst ${plan.sourceNewFlows} packets } add @limited { ip saddr } counter name ${COUNTERS.source_limited}${verdict}`);
  }
  const protocols = plan.blockUdp ? 'meta l4proto { tcp, udp }' : 'meta l4proto tcp';
  const post = [
    ...gate,
    // A flow judged clean (flow bypass) skips the set lookups: learning its peer cuts it (conntrack
    // deletion), and the new entry carries no mark. Bulk traffic pays one conntrack mark test.
    ...(plan.bypassMark ? [`ct mark & 0x${plan.bypassMark.toString(16)} == 0x${plan.bypassMark.toString(16)} return`] : []),
    `${protocols} ip daddr . th dport @peers counter name ${COUNTERS.known_peer}${verdict}`,
    `${protocols} ip saddr . ether saddr @clients ip daddr . th dport @learned counter name ${COUNTERS.unconfirmed_peer}${verdict}`,
  ];
  const ports = plan.probePorts > 1 ? `${plan.probePort}-${plan.probePort + plan.probePorts - 1}` : String(plan.probePort);
  const answers: string[] = [];
  if (plan.locks && plan.udpShapes.length > 0) {
    answers.push(...gate);
    for (const shape of plan.udpShapes) {
      const shaped = `udp dport ${ports} ${nftShapeMatch(shape)}`;
      answers.push(`${shaped} update @guesses { ip saddr limit rate over ${ANSWER_GUESSES}/second burst ${ANSWER_GUESSES} packets } counter name ${COUNTERS.answer_limited}${verdict}`);
      answers.push(`${shaped} limit rate over ${ANSWER_GUESSES_ALL}/second burst ${ANSWER_GUESSES_ALL} packets counter name ${COUNTERS.answer_limited}${verdict}`);
    }
  }
  return { pre, post, answers, shapes: shaped.shapes };
}

/**
 * The table, replacing any table of that name (an earlier run's, whatever its configuration) in
 * the same transaction as its elements are loaded: there is no moment without enforcement.
 */
export function renderTable(plan: KernelSetsPlan, elements: readonly SetUpdate[]): string {
  const { pre, post, answers, shapes } = chainRules(plan);
  const sets = SET_NAMES.map((name) => `  set ${name} { type ${SET_TYPES[name]}; flags timeout; }`);
  return [
    `add table ip ${TABLE}`,
    `delete table ip ${TABLE}`,
    `table ip ${TABLE} {`,
    ...sets,
    `  set flood { type ipv4_addr; flags dynamic,timeout; size 65536; timeout 10s; }`,
    `  set limited { type ipv4_addr; flags dynamic,timeout; size 4096; timeout ${LIMITED_LIST_SECONDS}s; }`,
    '  set guesses { type ipv4_addr; flags dynamic,timeout; size 65536; timeout 10s; }',
    ...Object.values(COUNTERS).map((name) => `  counter ${name} {}`),
    ...shapes.flatMap((rule, index) => [`  chain shape_${index} {`, `    ${rule}`, '  }']),
    '  chain pre {',
    '    type filter hook forward priority -5; policy accept;',
    ...pre.map((rule) => `    ${rule}`),
    '  }',
    '  chain post {',
    '    type filter hook forward priority 5; policy accept;',
    ...post.map((rule) => `    ${rule}`),
    '  }',
    ...(answers.length > 0 ? [
      '  chain answers {',
      '    type filter hook input priority -5; policy accept;',
      ...answers.map((rule) => `    ${rule}`),
      '  }',
    ] : []),
    '}',
    ...renderElements(elements, false),
  ].join('\n') + '\n';
}

/** A timeout in nft's syntax, to the millisecond (at least 1 ms). */
function nftTime(seconds: number): string {
  const ms = Math.max(1, Math.ceil(seconds * 1000));
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Elements kept (with their timeouts) or removed; `refresh`: they may exist already. */
export function renderElements(updates: readonly SetUpdate[], refresh: boolean): string[] {
  const lines: string[] = [];
  const bySet = new Map<SetName, SetUpdate[]>();
  for (const update of updates) {
    const list = bySet.get(update.set) ?? [];
    list.push(update);
    bySet.set(update.set, list);
  }
  for (const [set, list] of bySet) {
    const element = `element ip ${TABLE} ${set}`;
    if (refresh) {
      // `add` leaves an existing element's timeout as it was; add (never fails) + delete first.
      lines.push(`add ${element} { ${list.map((u) => `${u.key} timeout 1s`).join(', ')} }`);
      lines.push(`delete ${element} { ${list.map((u) => u.key).join(', ')} }`);
    }
    const kept = list.filter((u) => u.seconds !== null);
    if (kept.length > 0) lines.push(`add ${element} { ${kept.map((u) => `${u.key} timeout ${nftTime(u.seconds!)}`).join(', ')} }`);
  }
  return lines;
}

/** Merges updates to the same element: the later one wins. */
export function lastPerElement(updates: Iterable<SetUpdate>): SetUpdate[] {
  const byKey = new Map<string, SetUpdate>();
  for (const update of updates) {
    const id = `${update.set} ${update.key}`;
    byKey.delete(id);
    byKey.set(id, update);
  }
  return [...byKey.values()];
}

/** Elements per transaction of a reload: libnftables holds a whole script in memory (~3 KB an element). */
export const RELOAD_CHUNK = 20_000;

/**
 * A reload of every element from the state, timeouts refreshed, as scripts of at most RELOAD_CHUNK
 * elements each (one transaction each; an element is never missing in between). Elements ftwall no
 * longer knows (evicted) are left to run out.
 */
export function renderReload(elements: readonly SetUpdate[]): string[] {
  const scripts: string[] = [];
  for (let i = 0; i < elements.length; i += RELOAD_CHUNK) scripts.push(renderElements(elements.slice(i, i + RELOAD_CHUNK), true).join('\n') + '\n');
  return scripts;
}

const hostKey = (ip: string, mac: string) => `${ip} . ${mac}`;
const peerKey = (ip: string, port: number) => `${ip} . ${port}`;

/** The set updates one state-change event calls for (none for most). */
export function updatesFor(event: FtEvent, nowMs: number): SetUpdate[] {
  switch (event.event) {
    case 'client_identified':
      return event.src_mac ? [{ set: 'clients', key: hostKey(event.src_ip, event.src_mac), seconds: PEER_SET_SECONDS }] : [];
    case 'peer_learned':
      return [{ set: event.confirmed ? 'peers' : 'learned', key: peerKey(event.dest_ip, event.dest_port), seconds: PEER_SET_SECONDS }];
    case 'peer_confirmed':
      return [{ set: 'peers', key: peerKey(event.dest_ip, event.dest_port), seconds: PEER_SET_SECONDS }];
    case 'lock_started':
    case 'lock_refreshed': {
      if (!event.src_mac) return [];
      const seconds = lockSeconds(Date.parse(event.lock_until), nowMs);
      return seconds > 0 ? [{ set: 'locked', key: hostKey(event.src_ip, event.src_mac), seconds }] : [];
    }
    case 'lock_expired':
      return event.src_mac ? [{ set: 'locked', key: hostKey(event.src_ip, event.src_mac), seconds: null }] : [];
    case 'client_forgotten':
      return event.src_mac ? [{ set: 'clients', key: hostKey(event.src_ip, event.src_mac), seconds: null }] : [];
    case 'operator_unlocked':
      return event.src_mac ? [
        { set: 'locked', key: hostKey(event.src_ip, event.src_mac), seconds: null },
        { set: 'clients', key: hostKey(event.src_ip, event.src_mac), seconds: null },
      ] : [];
    case 'peer_forgotten':
    case 'operator_forgot_peer':
      return [
        { set: 'peers', key: peerKey(event.dest_ip, event.dest_port), seconds: null },
        { set: 'learned', key: peerKey(event.dest_ip, event.dest_port), seconds: null },
      ];
    default:
      return [];
  }
}

/** Seconds a lock ending at `untilMs` is kept in the kernel (0: already over). */
export function lockSeconds(untilMs: number, nowMs: number): number {
  if (!Number.isFinite(untilMs) || !isLocked(untilMs, nowMs)) return 0;
  // To the millisecond and no more: the host's web is back the moment its lock ends. A refresh not
  // reported yet (at most one a second) may end the element up to a second early; the queue holds
  // the host meanwhile (its SYNs reach it and are dropped as locked).
  return Math.ceil(untilMs - nowMs) / 1000;
}

/** A set as `nft -j list table` shows it. */
interface JsonSet {
  name: string;
  type: string | string[];
  elem?: Array<{ elem?: { val?: { concat?: Array<string | number> }; expires?: number } } | unknown>;
}

/**
 * The elements of an earlier run's sets still running out (from `nft -j list table ip ftwall`),
 * with their remaining time: carried into the new table so a restart loses no entry, even one the
 * stores had not written yet. Sets of another type (another version) are left out.
 */
export function leftoverElements(json: string): SetUpdate[] {
  let parsed: { nftables?: Array<{ set?: JsonSet }> };
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  const updates: SetUpdate[] = [];
  for (const item of parsed.nftables ?? []) {
    const set = item.set;
    if (!set || !(SET_NAMES as readonly string[]).includes(set.name)) continue;
    const name = set.name as SetName;
    if ([set.type].flat().join(' . ') !== SET_TYPES[name]) continue;
    for (const entry of set.elem ?? []) {
      const elem = (entry as { elem?: { val?: { concat?: Array<string | number> }; expires?: number } }).elem;
      const parts = elem?.val?.concat;
      if (!parts || parts.length !== 2 || !elem?.expires || elem.expires <= 0) continue;
      if (!/^[\d.]+$/.test(String(parts[0])) || !/^[\da-f:]+$/i.test(String(parts[1]))) continue;
      updates.push({ set: name, key: `${parts[0]} . ${parts[1]}`, seconds: Math.ceil(elem.expires) });
    }
  }
  return updates;
}

/** What `nft -j list ...` output says: counter values by name, rules per chain, set names, limited sources. */
export interface TableStatus {
  counters: Record<string, number>;
  rules: Record<string, number>;
  sets: string[];
  limited: string[];
}

/** Reads `nft -j` output (one JSON document per list command). */
export function readTableStatus(json: string): TableStatus {
  const counters: Record<string, number> = {};
  const rules: Record<string, number> = {};
  const sets: string[] = [];
  const limited: string[] = [];
  // libnftables prints one JSON document per list command, each on a line of its own.
  for (const document of json.split('\n').filter((line) => line.trim().startsWith('{'))) {
    let parsed: { nftables?: Array<Record<string, { name?: string; chain?: string; packets?: number; elem?: unknown[] }>> };
    try {
      parsed = JSON.parse(document);
    } catch {
      continue;
    }
    for (const item of parsed.nftables ?? []) {
      if (item.counter?.name) counters[item.counter.name] = item.counter.packets ?? 0;
      if (item.chain?.name) rules[item.chain.name] ??= 0;
      if (item.rule?.chain) rules[item.rule.chain] = (rules[item.rule.chain] ?? 0) + 1;
      if (item.set?.name) sets.push(item.set.name);
      if (item.set?.name === 'limited') for (const entry of item.set.elem ?? []) limited.push(String((entry as { elem?: { val?: unknown } }).elem?.val ?? entry));
    }
  }
  return { counters, rules, sets, limited };
}
