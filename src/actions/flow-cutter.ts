// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Cuts bypassed UDP flows to a peer learned after they were judged clean: deletes their conntrack
 * entries over ctnetlink (nfqueue-bindings, no program to run), so their next packet is a new flow,
 * queued and dropped as going to a known peer. TCP needs nothing: a new connection always starts
 * with a queued SYN. A LAN host that sprays pings at random addresses must not turn into a stream
 * of kernel table walks: at most CUTS_PER_SECOND deletions start per second (the rest are skipped
 * and counted), MAX_RUNNING at once on the libuv pool, MAX_WAITING queued behind them.
 */
import { deleteConntrack, type ConntrackDeletion, type ConntrackFilter } from 'nfqueue-bindings';
import { TokenBucket } from '../core/token-bucket.ts';

const MAX_RUNNING = 4;
const MAX_WAITING = 256;
const CUTS_PER_SECOND = 20;
/** An address no forwarded flow goes to: the start-up check's deletion matches nothing. */
const CHECK_FILTER: ConntrackFilter = { protocol: 'udp', destination: '0.0.0.1', destinationPort: 9 };

export type DeleteFlows = (filter: ConntrackFilter) => Promise<ConntrackDeletion>;

/** Outcomes counted by the cutter (the `ftwall.flows.cut` metric's `outcome`). */
export interface FlowCutCounts {
  /** Peers whose flows were looked for. */
  requested: number;
  /** Conntrack entries deleted. */
  cut: number;
  overflow: number;
  rate_limited: number;
  failed: number;
}

export class FlowCutter {
  readonly #waiting: Array<[string, number]> = [];
  #running = 0;
  readonly counts: FlowCutCounts = { requested: 0, cut: 0, overflow: 0, rate_limited: 0, failed: 0 };
  readonly #bucket = new TokenBucket(CUTS_PER_SECOND);
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

  /** Deletes the conntrack entries of UDP flows to ip:port (asynchronously). */
  cut(ip: string, port: number, nowMs = Date.now()): void {
    this.counts.requested++;
    if (!this.#bucket.take(nowMs)) {
      this.counts.rate_limited++;
      return;
    }
    if (this.#waiting.length >= MAX_WAITING) {
      this.counts.overflow++;
      return;
    }
    this.#waiting.push([ip, port]);
    this.#next();
  }

  /** Deletions started and not yet finished. */
  get running(): number {
    return this.#running;
  }

  #next(): void {
    while (this.#running < MAX_RUNNING && this.#waiting.length > 0) {
      const [ip, port] = this.#waiting.shift()!;
      this.#running++;
      this.#deleteFlows({ protocol: 'udp', destination: ip, destinationPort: port }).then(
        (result) => { this.counts.cut += result.deleted; },
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
