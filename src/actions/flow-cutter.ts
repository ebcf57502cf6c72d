// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Cuts the flows to a peer that were open before ftwall knew it (judged clean and bypassed, or
 * established before ftwall started or while it was down): deletes their conntrack entries, UDP
 * and TCP, over ctnetlink (nfqueue-bindings, no program to run). The next packet of such a flow is
 * then new to conntrack: a UDP datagram is queued as any new flow is, a TCP segment by the rule for
 * mid-stream pick-ups; both are dropped as going to a known peer. A LAN host that sprays pings at
 * random addresses must not turn into a stream of kernel table walks: at most CUTS_PER_SECOND
 * deletions start per second (the rest are skipped and counted), MAX_RUNNING at once on the libuv
 * pool, MAX_WAITING queued behind them. At start, one dump cuts the flows to every known peer.
 */
import { deleteConntrack, type ConntrackDeletion, type ConntrackFilter } from 'nfqueue-bindings';
import { ipToString } from '../core/packet.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import type { PinnedPeers } from '../state/pinned-peers.ts';
import type { SharedTable } from '../state/shared-table.ts';
import type { Logger } from '../telemetry/logger.ts';

const MAX_RUNNING = 4;
const MAX_WAITING = 256;
const CUTS_PER_SECOND = 20;
/**
 * Cuts of one flow the safety net caught (FastTrack HTTP or handshake) have their own budget: a
 * spray of learned peers must not use it up just before a session the cut has to end.
 */
const HIT_CUTS_PER_SECOND = 50;
/** An address no forwarded flow goes to: the start-up check's deletion matches nothing. */
const CHECK_FILTER: ConntrackFilter = { protocol: 'udp', destination: '0.0.0.1', destinationPort: 9 };

export type DeleteFlows = (filter: ConntrackFilter) => Promise<ConntrackDeletion>;

/**
 * Outcomes counted by the cutter (the `ftwall.flows.cut` metric's `outcome`). A type, not an
 * interface: so it is a Record<string, number>, as the metrics read it.
 */
export type FlowCutCounts = {
  /** Peers whose flows were looked for. */
  requested: number;
  /** Conntrack entries deleted. */
  cut: number;
  overflow: number;
  rate_limited: number;
  failed: number;
};

export class FlowCutter {
  readonly #waiting: Array<[string, number]> = [];
  #running = 0;
  readonly counts: FlowCutCounts = { requested: 0, cut: 0, overflow: 0, rate_limited: 0, failed: 0 };
  readonly #bucket = new TokenBucket(CUTS_PER_SECOND);
  readonly #hitBucket = new TokenBucket(HIT_CUTS_PER_SECOND);
  readonly #deleteFlows: DeleteFlows;
  readonly #onError: (message: string) => void;
  #errorReported = false;

  /** `onError` hears the first failed deletion (later ones are only counted). */
  constructor(onError: (message: string) => void, deleteFlows: DeleteFlows = deleteConntrack) {
    this.#onError = onError;
    this.#deleteFlows = deleteFlows;
  }

  /**
   * Whether conntrack entries can be deleted on this host (ctnetlink present and permitted): null
   * when they can, else why not. Run once at start; flow bypass is unsafe without it.
   */
  static async check(deleteFlows: DeleteFlows = deleteConntrack): Promise<string | null> {
    try {
      await deleteFlows(CHECK_FILTER);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * Deletes the conntrack entries of UDP and TCP flows to ip:port (asynchronously); `hit`: a flow
   * the safety net caught, from its own budget.
   */
  cut(ip: string, port: number, nowMs = Date.now(), hit = false): void {
    this.counts.requested++;
    if (!(hit ? this.#hitBucket : this.#bucket).take(nowMs)) {
      this.counts.rate_limited++;
      return;
    }
    if (this.#waiting.length >= MAX_WAITING) {
      if (!hit) {
        this.counts.overflow++;
        return;
      }
      this.#waiting.pop(); // a learned peer's cut makes way for a caught flow's
      this.counts.overflow++;
    }
    if (hit) this.#waiting.unshift([ip, port]); // next: its retransmissions are queued only so long
    else this.#waiting.push([ip, port]);
    this.#next();
  }

  /**
   * Deletes the flows to every one of `peers` in one dump (at start: flows established before ftwall
   * ran, or while it was down). Resolves with how many entries it deleted; never rejects.
   */
  async cutAll(peers: ReadonlyArray<readonly [string, number]>): Promise<number> {
    if (peers.length === 0) return 0;
    try {
      const { deleted } = await this.#deleteFlows({ destinations: peers });
      this.counts.cut += deleted;
      return deleted;
    } catch (error) {
      this.counts.failed++;
      this.#onError(`cannot delete the conntrack entries of flows to known peers: ${(error as Error).message}`);
      return 0;
    }
  }

  /** Deletions started and not yet finished. */
  get running(): number {
    return this.#running;
  }

  #next(): void {
    while (this.#running < MAX_RUNNING && this.#waiting.length > 0) {
      const [ip, port] = this.#waiting.shift()!;
      this.#running++;
      const cut = (protocol: 'udp' | 'tcp') => this.#deleteFlows({ protocol, destination: ip, destinationPort: port });
      Promise.all([cut('udp'), cut('tcp')]).then(
        ([udp, tcp]) => { this.counts.cut += udp.deleted + tcp.deleted; },
        (error: Error) => {
          this.counts.failed++;
          if (!this.#errorReported) {
            this.#errorReported = true;
            this.#onError(`cannot delete conntrack entries (bypassed UDP flows to newly learned peers stay open): ${error.message}`);
          }
        },
      ).finally(() => {
        this.#running--;
        this.#next();
      });
    }
  }
}

/**
 * With the rules in place (so a cut flow's next packet is decided), cuts the flows to every peer
 * in `peers` (the shared peer table at start): sessions opened before ftwall started, or while it
 * was down.
 */
export async function cutFlowsToKnownPeers(cutter: FlowCutter, peers: SharedTable, pinned: PinnedPeers, log: Logger): Promise<void> {
  const known: Array<[string, number]> = [];
  pinned.forEach((ip, port) => known.push([ipToString(ip), port]));
  peers.forEach((_slot, ip, port) => { if (!pinned.has(ip, port)) known.push([ipToString(ip), port]); });
  const cut = await cutter.cutAll(known);
  if (cut > 0) log.info({ event: 'flows_cut', peers: known.length, flows: cut }, `cut ${cut} flows to known peers left from before start`);
}
