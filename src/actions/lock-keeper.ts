// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The main thread's sweep over LAN hosts under a lock (docs/FTWALL.md decisions 3 and 4), hardened
 * against forged sources (README "Security"):
 * - Half a lock period after a lock started or was last confirmed, the host gets a copy of its own
 *   0x27 ping (the probe). Its answer (from the same IP and MAC) confirms and refreshes the lock.
 * - A probe left unanswered for the answer window ends the lock at once and marks the host
 *   suspect: whoever sent FastTrack in its name, it is not running FastTrack. A suspect host is
 *   not locked again until it answers a probe, which it gets (at most one per answer window)
 *   whenever it does something that would lock it. A lock with no ping to copy (TCP only)
 *   cannot be confirmed and ends the same way.
 * - A lock that reaches its end is cleared and reported.
 * The sender is injected and may refuse (rate limit); the keeper itself opens no sockets.
 */
import { ipToString } from '../core/packet.ts';
import { formatMac } from '../state/apply.ts';
import { Client, ClientFlag, PING_MAX_BYTES, TICK_MS, loadPing, ticksFor, type SharedState } from '../state/shared-state.ts';
import type { FtEvent } from '../telemetry/events.ts';

/** Sends one probe; false when it was not sent (rate limit): the keeper tries again later. */
export type ProbeSender = (clientIp: number, clientPort: number, ping: Uint8Array) => boolean;

/** How long a probed host has to answer (ms): a quarter lock period, within [2 ticks, 5 s]. */
export function answerWindowMs(lockSeconds: number): number {
  return Math.min(5000, Math.max(2 * TICK_MS, (lockSeconds * 1000) / 4));
}

export class LockKeeper {
  readonly #state: SharedState;
  readonly #halfLockTicks: number;
  readonly #answerTicks: number;
  readonly #send: ProbeSender;
  readonly #report: (event: FtEvent) => void;
  readonly #ping = new Uint8Array(PING_MAX_BYTES);
  /** Hosts under a lock at the last sweep. */
  lockedCount = 0;

  constructor(state: SharedState, lockSeconds: number, send: ProbeSender, report: (event: FtEvent) => void) {
    this.#state = state;
    this.#halfLockTicks = Math.max(1, ticksFor((lockSeconds * 1000) / 2));
    this.#answerTicks = Math.max(1, ticksFor(answerWindowMs(lockSeconds)));
    this.#send = send;
    this.#report = report;
  }

  /** How often sweep() should run for this lock period (ms). */
  static intervalMs(lockSeconds: number): number {
    return Math.min(1000, Math.max(TICK_MS, (lockSeconds * 1000) / 20));
  }

  sweep(now: number): void {
    const clients = this.#state.clients;
    let locked = 0;
    clients.forEach((slot, ip) => {
      const until = clients.get(slot, Client.lockUntil);
      if (until === 0) {
        this.#probeSuspect(slot, ip, now);
        return;
      }
      if (now >= until) {
        this.#endLock(slot, ip, until, 'no FastTrack activity for one lock period', false);
        return;
      }
      const sent = clients.get(slot, Client.probeSent);
      const answered = clients.get(slot, Client.probeAnswered);
      const confirmedAt = Math.max(clients.get(slot, Client.lockStarted), answered);
      if (sent > confirmedAt) {
        // A probe of this lock period is out: answered (confirmedAt moves past it) or not yet.
        if (now >= sent + this.#answerTicks && this.#endLock(slot, ip, until, 'probe unanswered: the FastTrack traffic that locked this host did not come from it', true)) return;
        locked++;
        return;
      }
      locked++;
      if (now >= confirmedAt + this.#halfLockTicks) this.#probe(slot, ip, now);
    });
    this.lockedCount = locked;
  }

  /** Clears the lock (unless a refresh raced us); true when this call ended it. */
  #endLock(slot: number, ip: number, until: number, reason: string, suspect: boolean): boolean {
    const clients = this.#state.clients;
    if (Atomics.compareExchange(clients.words, slot + 3 + Client.lockUntil, until, 0) !== until) return false;
    if (suspect) clients.setBits(slot, Client.flags, ClientFlag.SUSPECT);
    this.#report({ event: 'lock_expired', src_ip: ipToString(ip), src_mac: this.#mac(slot), reason, ...(suspect ? { suspect: true } : {}) });
    return true;
  }

  /** A suspect host did something that would lock it: probe it (once per answer window). */
  #probeSuspect(slot: number, ip: number, now: number): void {
    const clients = this.#state.clients;
    if ((clients.get(slot, Client.flags) & ClientFlag.SUSPECT) === 0) return;
    const sent = clients.get(slot, Client.probeSent);
    if (clients.get(slot, Client.probeWanted) > sent && now >= sent + this.#answerTicks) this.#probe(slot, ip, now);
  }

  /** Sends the host a copy of its ping; a host with none counts as probed (it cannot answer). */
  #probe(slot: number, ip: number, now: number): void {
    const clients = this.#state.clients;
    const port = clients.get(slot, Client.fastTrackPort);
    const length = loadPing(clients, slot, this.#ping);
    if (port === 0 || length === 0) {
      clients.set(slot, Client.probeSent, now);
      return;
    }
    if (!this.#send(ip, port, this.#ping.subarray(0, length))) return;
    clients.set(slot, Client.probeSent, now);
    this.#report({ event: 'probe_sent', dest_ip: ipToString(ip), dest_port: port, proto: 'UDP', dest_mac: this.#mac(slot) });
  }

  #mac(slot: number): string | undefined {
    const clients = this.#state.clients;
    const high = clients.get(slot, Client.macHigh);
    const low = clients.get(slot, Client.macLow);
    return high === 0 && low === 0 ? undefined : formatMac(high, low);
  }
}
