// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Keeps ftwall's nftables table (rules/nft-sets.ts) in step with what ftwall knows, over netlink
 * through libnftables (nfqueue-bindings' runNft, off the event loop), one transaction at a time:
 * - install at start: any table of that name is replaced, in the same transaction as the sets are
 *   loaded from the state ftwall restored (peers.txt, clients.json) and with the elements of an
 *   earlier run's table that are still running out (a lock the client store had not written yet);
 * - state-change events become element updates, gathered for BATCH_MS and sent as one script;
 * - every FULL_LOAD_INTERVAL_MS every element is reloaded from the state (timeouts refreshed); after
 *   a failed update, at the next check;
 * - check() (with the rules watchdog): the table is put back when someone removed or changed it,
 *   its counters feed `ftwall.kernel.dropped`, and limited sources are logged;
 * - remove at stop. After SIGKILL the table stays: its entries go on enforcing until their timeouts.
 */
import { runNft } from 'nfqueue-bindings';
import { formatMac, type FtEvent } from '../core/events.ts';
import { isLocked } from '../core/lock.ts';
import { ipToString } from '../core/packet.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import { ClientStatus } from '../core/types.ts';
import { Client, Peer, PeerSource, type SharedState } from '../state/shared-state.ts';
import type { Logger } from '../telemetry/logger.ts';
import {
  COUNTERS, FULL_LOAD_INTERVAL_MS, PEER_SET_SECONDS, SET_NAMES, TABLE, chainRules, lastPerElement, leftoverElements, lockSeconds, readTableStatus,
  renderElements, renderReload, renderTable, updatesFor, type KernelDropReason, type KernelSetsPlan, type SetUpdate, type TableStatus,
} from './nft-sets.ts';

/** Events are gathered this long into one transaction. */
export const BATCH_MS = 100;
/** At most one source_limited log line per this many ms. */
export const SOURCE_LIMITED_LOG_MS = 10_000;
/**
 * How often the chains' rules and the counters are read. nft 1.0.6 fetches every set element to
 * list a chain or a counter (about 2.5 s with 100,000 peers), so each 2 s check only lists the sets
 * (a few ms whatever their size) and the `limited` set; the rest every STATUS_INTERVAL_MS.
 */
export const STATUS_INTERVAL_MS = 30_000;
/**
 * Peer and client elements sent per second at most (locks always go). A LAN host spraying pings at
 * random addresses teaches ftwall a peer per ping: its bounded tables evict, but kernel elements
 * would pile up for an hour and each batch would grow. The rest are skipped and counted; the
 * queue holds them meanwhile, and the 15-minute reload brings what ftwall still knows.
 */
export const PEER_ELEMENTS_PER_SECOND = 2000;
/** Events whose elements (peers, clients) count against PEER_ELEMENTS_PER_SECOND. */
const PEER_EVENTS = new Set(['peer_learned', 'peer_confirmed', 'client_identified']);
/** The sets that prove the table is there. */
const ALL_SETS = [...SET_NAMES, 'flood', 'limited', 'guesses'];

export type RunNft = (script: string, options?: { json?: boolean; terse?: boolean }) => Promise<string>;

/** The elements ftwall's state calls for now: every peer (the operator's too), every identified client, every lock. */
export function stateElements(state: SharedState, nowMs: number): SetUpdate[] {
  const updates: SetUpdate[] = [];
  const peers = state.peers;
  peers.forEach((slot, ip, port) => {
    const confirmed = (peers.get(slot, Peer.sources) & PeerSource.CONFIRMED) !== 0;
    updates.push({ set: confirmed ? 'peers' : 'learned', key: `${ipToString(ip)} . ${port}`, seconds: PEER_SET_SECONDS });
  });
  // The operator's peers (pinned-peers.ts) are held back from everyone, like confirmed ones.
  state.pinned.forEach((ip, port) => updates.push({ set: 'peers', key: `${ipToString(ip >>> 0)} . ${port}`, seconds: PEER_SET_SECONDS }));
  const clients = state.clients;
  clients.forEach((slot, ip) => {
    const high = clients.get(slot, Client.macHigh);
    const low = clients.get(slot, Client.macLow);
    if (high === 0 && (low >>> 16) === 0) return; // no MAC seen: the queue alone governs it
    const key = `${ipToString(ip)} . ${formatMac(high, low)}`;
    if ((clients.get(slot, Client.flags) & ClientStatus.IDENTIFIED) !== 0) updates.push({ set: 'clients', key, seconds: PEER_SET_SECONDS });
    const lockUntil = clients.get(slot, Client.lockUntil);
    const seconds = isLocked(lockUntil, state.ticks(nowMs)) ? lockSeconds(state.toMs(lockUntil), nowMs) : 0;
    if (seconds > 0) updates.push({ set: 'locked', key, seconds });
  });
  return updates;
}

export interface KernelSetsOptions {
  plan: KernelSetsPlan;
  /** The elements ftwall's state calls for now (stateElements over the shared state). */
  elements: () => SetUpdate[];
  log: Logger;
  run?: RunNft;
}

/** ftwall's nftables table over one run. */
export class KernelSets {
  readonly #plan: KernelSetsPlan;
  readonly #elements: () => SetUpdate[];
  readonly #log: Logger;
  readonly #run: RunNft;
  readonly #expectedRules: { pre: number; post: number; answers: number };
  /** One transaction at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();
  #pending: SetUpdate[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #lastFullLoadMs = 0;
  #needsFullLoad = false;
  #lastFailureLogMs = -Infinity;
  #limitedSeen = 0;
  #lastLimitedLogMs = -Infinity;
  #lastStatusMs = -Infinity;
  #closed = false;
  /** A check is running (a full load of many peers may outlast the check interval). */
  #checking = false;
  /** Packets the table's rules dropped (counted only, in monitor mode), by reason. */
  readonly dropped: Record<KernelDropReason, number> = { client_locked: 0, known_peer: 0, unconfirmed_peer: 0, source_limited: 0, answer_limited: 0 };
  /** Transactions by outcome (applied, failed), and peer or client elements skipped over the rate. */
  readonly updates = { applied: 0, failed: 0, skipped: 0 };
  /** Times check() put the table back since start (the ftwall.rules.reinstalled metric). */
  reinstalled = 0;
  readonly #bucket = new TokenBucket(PEER_ELEMENTS_PER_SECOND);

  constructor(options: KernelSetsOptions) {
    this.#plan = options.plan;
    this.#elements = options.elements;
    this.#log = options.log;
    this.#run = options.run ?? runNft;
    const rules = chainRules(options.plan);
    this.#expectedRules = { pre: rules.pre.length, post: rules.post.length, answers: rules.answers.length };
  }

  /** Whether this host can run nftables at all: null when it can, else why not. */
  static async check(run: RunNft = runNft): Promise<string | null> {
    try {
      await run('list tables');
      return null;
    } catch (error) {
      return (error as Error).message.trim().split('\n')[0] || 'nf_tables is not available';
    }
  }

  /** Queues one transaction behind the others; resolves with its output, rejects with its error. */
  #serial(script: string, options?: { json?: boolean; terse?: boolean }): Promise<string> {
    const result = this.#tail.then(() => this.#run(script, options));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Replaces any table of ours (an earlier run's) with the current plan and the state's elements,
   * plus the earlier table's elements still running out. Resolves with how many of those it carried
   * over (-1: there was no earlier table). Throws when the table cannot be installed.
   */
  async install(): Promise<number> {
    let carried: SetUpdate[] = [];
    let earlier = false;
    try {
      carried = leftoverElements(await this.#serial(`list table ip ${TABLE}`, { json: true }));
      earlier = true;
    } catch { /* no earlier table */ }
    const elements = lastPerElement([...carried, ...this.#elements()]);
    await this.#serial(renderTable(this.#plan, elements));
    this.#lastFullLoadMs = Date.now();
    this.#needsFullLoad = false;
    this.#limitedSeen = 0;
    return earlier ? carried.length : -1;
  }

  /** Takes one state-change event: its set updates go out with the next batch. */
  take(event: FtEvent, nowMs = Date.now()): void {
    if (this.#closed) return;
    // Checked before anything is built: a spray brings hundreds of thousands of these.
    if (PEER_EVENTS.has(event.event) && !this.#bucket.take(nowMs)) {
      this.updates.skipped++;
      return;
    }
    const updates = updatesFor(event, nowMs);
    if (updates.length === 0) return;
    for (const update of updates) this.#pending.push(update);
    this.#flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Sends the gathered updates now, as one transaction. */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const updates = lastPerElement(this.#pending.splice(0));
    if (updates.length === 0) return;
    try {
      await this.#serial(renderElements(updates, true).join('\n') + '\n');
      this.updates.applied++;
    } catch (error) {
      this.#failed('update', error as Error);
    }
  }

  #failed(what: string, error: Error, nowMs = Date.now()): void {
    this.updates.failed++;
    this.#needsFullLoad = true;
    if (nowMs - this.#lastFailureLogMs < 60_000) return;
    this.#lastFailureLogMs = nowMs;
    this.#log.error({ event: 'kernel_sets_failed', action: what, error: error.message.trim().split('\n')[0] }, `kernel set ${what} failed; the sets are reloaded from ftwall's state at the next check`);
  }

  /** Reloads every element from the state, timeouts refreshed, in transactions of RELOAD_CHUNK elements. */
  async fullLoad(): Promise<void> {
    this.#lastFullLoadMs = Date.now();
    this.#needsFullLoad = false;
    for (const script of renderReload(this.#elements())) {
      if (this.#closed) return;
      try {
        await this.#serial(script);
        this.updates.applied++;
      } catch (error) {
        this.#failed('reload', error as Error);
        return;
      }
    }
  }

  /**
   * The periodic check (with the rules watchdog): the table is reinstalled when it is missing or
   * its chains changed, the counters are read, the sets reloaded when due.
   */
  async check(nowMs = Date.now(), fullLoadIntervalMs = FULL_LOAD_INTERVAL_MS): Promise<void> {
    if (this.#closed || this.#checking) return;
    this.#checking = true;
    try {
      await this.#check(nowMs, fullLoadIntervalMs);
    } finally {
      this.#checking = false;
    }
  }

  async #check(nowMs: number, fullLoadIntervalMs: number): Promise<void> {
    let quick: TableStatus | undefined;
    try {
      // Two runs: in one, libnftables 1.0.6 would list only the sets the last command names.
      const sets = await this.#serial(`list sets table ip ${TABLE}`, { json: true });
      quick = readTableStatus(`${sets}\n${await this.#serial(`list set ip ${TABLE} limited`, { json: true })}`);
      quick.limited = quick.limited.filter((source, i, all) => all.indexOf(source) === i);
    } catch { /* gone: reinstalled below */ }
    let intact = quick !== undefined && ALL_SETS.every((name) => quick.sets.includes(name));
    const limitedDue = (quick?.limited.length ?? 0) > 0 && nowMs - this.#lastLimitedLogMs >= SOURCE_LIMITED_LOG_MS;
    if (intact && (limitedDue || nowMs - this.#lastStatusMs >= STATUS_INTERVAL_MS)) {
      this.#lastStatusMs = nowMs;
      try {
        const status = readTableStatus(await this.#serial(`list table ip ${TABLE}`, { json: true, terse: true }));
        intact = status.rules.pre === this.#expectedRules.pre && status.rules.post === this.#expectedRules.post
          && (status.rules.answers ?? 0) === this.#expectedRules.answers;
        for (const [reason, name] of Object.entries(COUNTERS) as Array<[KernelDropReason, string]>) {
          this.dropped[reason] = Math.max(this.dropped[reason], status.counters[name] ?? 0);
        }
      } catch {
        intact = false;
      }
    }
    if (!intact) {
      try {
        await this.install();
        this.reinstalled++;
        this.#log.warn({ event: 'kernel_sets_reinstalled' }, 'ftwall\'s nftables table was changed or removed by someone else; reinstalled with the sets reloaded');
      } catch (error) {
        this.#failed('reinstall', error as Error, nowMs);
      }
      return;
    }
    if (limitedDue) this.#reportLimited(quick!.limited, nowMs);
    if (this.#needsFullLoad || nowMs - this.#lastFullLoadMs >= fullLoadIntervalMs) await this.fullLoad();
  }

  /** A source_limited warning naming the sources limited in the last 30 s (at most every 10 s). */
  #reportLimited(sources: string[], nowMs: number): void {
    const total = this.dropped.source_limited;
    this.#lastLimitedLogMs = nowMs;
    if (total <= this.#limitedSeen) return; // listed still, but nothing dropped since the last line
    this.#log.warn({ event: 'source_limited', dropped: total - this.#limitedSeen, sources: sources.slice(0, 20), limit: this.#plan.sourceNewFlows },
      `new flows over ${this.#plan.sourceNewFlows}/s from ${sources.length} LAN host(s) dropped before the queue`);
    this.#limitedSeen = total;
  }

  /** Stops taking events and deletes the table (at stop, or when start fails); logs, never throws. */
  async remove(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#pending = [];
    try {
      await this.#serial(`add table ip ${TABLE}\ndelete table ip ${TABLE}\n`);
      this.#log.info({ event: 'kernel_sets_removed', table: `ip ${TABLE}` }, 'nftables table removed');
    } catch (error) {
      this.#log.error({ event: 'kernel_sets_remove_failed', error: (error as Error).message }, 'could not remove the nftables table');
    }
  }
}

/** The table could not be installed at start (a start-up error). */
export class KernelSetsError extends Error {}

/** Installs ftwall's table, loaded from the restored state (replacing an earlier run's), and logs it. */
export async function openKernelSets(plan: KernelSetsPlan, state: SharedState, log: Logger, run?: RunNft): Promise<KernelSets> {
  const sets = new KernelSets({ plan, elements: () => stateElements(state, Date.now()), log, run });
  const carried = await sets.install().catch((error: Error) => {
    throw new KernelSetsError(`cannot install ftwall's nftables table: ${error.message.trim().split('\n')[0]} (a kernel without nft_ct or nft_limit?)`);
  });
  log.info({ event: 'kernel_sets_installed', table: `ip ${TABLE}`, replaced: carried >= 0, carried: Math.max(0, carried), source_limit: plan.sourceNewFlows },
    carried >= 0 ? `nftables table installed, replacing an earlier run's (${carried} of its entries kept)` : 'nftables table installed');
  return sets;
}
