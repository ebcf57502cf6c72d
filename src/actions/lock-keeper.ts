// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The main thread's sweep over LAN hosts: core/lock.ts says, for each host, whether to probe it,
 * end its lock or leave it; this adapter reads the record from the shared table, carries the step
 * out (sends the probe the host's protocol builds from its kept request, clears the lock) and
 * reports it. The sender is injected and may refuse (rate limit); the keeper opens no sockets.
 */
import { formatMac, type FtEvent } from '../core/events.ts';
import { SweepStep, isLockedStep, lockTiming, sweepIntervalMs, sweepStep, type LockTiming } from '../core/lock.ts';
import { ipToString } from '../core/packet.ts';
import { PROBE_SEED_MAX_BYTES, type ProtocolModule } from '../core/protocol.ts';
import { ClientStatus } from '../core/types.ts';
import { Client, emptyLock, loadSeed, readLock, type SharedState } from '../state/shared-state.ts';

/** Sends one probe; false when it was not sent (rate limit): the keeper tries again later. */
export type ProbeSender = (clientIp: number, clientPort: number, probe: Uint8Array) => boolean;

const EXPIRED = 'no FastTrack activity for one lock period';
const UNANSWERED = 'probe unanswered: the FastTrack traffic that locked this host did not come from it';

export class LockKeeper {
  readonly #state: SharedState;
  readonly #timing: LockTiming;
  readonly #protocols: readonly ProtocolModule[];
  readonly #send: ProbeSender;
  readonly #report: (event: FtEvent) => void;
  readonly #seed = new Uint8Array(PROBE_SEED_MAX_BYTES);
  readonly #lock = emptyLock();
  /** Hosts under a lock at the last sweep. */
  lockedCount = 0;

  constructor(state: SharedState, lockSeconds: number, protocols: readonly ProtocolModule[], send: ProbeSender, report: (event: FtEvent) => void) {
    this.#state = state;
    this.#timing = lockTiming(lockSeconds);
    this.#protocols = protocols;
    this.#send = send;
    this.#report = report;
  }

  /** How often sweep() should run for this lock period (ms). */
  static intervalMs(lockSeconds: number): number {
    return sweepIntervalMs(lockSeconds);
  }

  sweep(now: number): void {
    const clients = this.#state.clients;
    let locked = 0;
    clients.forEach((slot, ip) => {
      const lock = readLock(clients, slot, this.#lock);
      const step = sweepStep(lock, now, this.#timing);
      switch (step) {
        case SweepStep.PROBE:
        case SweepStep.PROBE_SUSPECT:
          this.#probe(slot, ip, now);
          break;
        case SweepStep.EXPIRE:
          this.#endLock(slot, ip, lock.lockUntil, EXPIRED, false);
          break;
        case SweepStep.EXPIRE_UNANSWERED:
          // A refresh that raced the sweep keeps the lock (and the host counts as locked).
          if (!this.#endLock(slot, ip, lock.lockUntil, UNANSWERED, true)) locked++;
          break;
      }
      if (isLockedStep(step)) locked++;
    });
    this.lockedCount = locked;
  }

  /** Clears the lock (unless a refresh raced us); true when this call ended it. */
  #endLock(slot: number, ip: number, until: number, reason: string, suspect: boolean): boolean {
    const clients = this.#state.clients;
    if (clients.compareExchange(slot, Client.lockUntil, until, 0) !== until) return false;
    if (suspect) clients.setBits(slot, Client.flags, ClientStatus.SUSPECT);
    this.#report({ event: 'lock_expired', src_ip: ipToString(ip), src_mac: this.#mac(slot), reason, ...(suspect ? { suspect: true as const } : {}) });
    return true;
  }

  /** Sends the host a probe built from its kept request; a host with none counts as probed (it cannot answer). */
  #probe(slot: number, ip: number, now: number): void {
    const clients = this.#state.clients;
    const port = clients.get(slot, Client.clientPort);
    const length = loadSeed(clients, slot, this.#seed);
    const protocol = this.#protocols[clients.get(slot, Client.protocol)];
    if (port === 0 || length === 0 || !protocol) {
      clients.set(slot, Client.probeSent, now);
      return;
    }
    if (!this.#send(ip, port, protocol.buildProbe(this.#seed.subarray(0, length)))) return;
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
