// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The main thread's sweep over LAN hosts: core/lock.ts says, for each host, whether to probe it,
 * end its lock or leave it; this adapter reads the record from the shared table, carries the step
 * out (sends the probe the host's protocol builds from its kept request, from a port picked at
 * random among the probe ports and recorded, so only an answer to that port counts; clears the
 * lock) and reports it. The sender is injected and may refuse (rate limit); it opens no sockets.
 */
import { randomInt } from 'node:crypto';
import { formatMac, type FtEvent } from '../core/events.ts';
import { SweepStep, isLockedStep, lockTimings, sweepIntervalMs, sweepStep, timingOf, type LockSeconds, type LockTiming } from '../core/lock.ts';
import { ipToString } from '../core/packet.ts';
import { PROBE_SEED_MAX_BYTES, type ProtocolModule } from '../core/protocol.ts';
import { Client, emptyLock, loadSeed, readLock, type SharedState } from '../state/shared-state.ts';

/** Sends one probe from `fromPort`; false when it was not sent (rate limit): the keeper tries again later. */
export type ProbeSender = (clientIp: number, clientPort: number, probe: Uint8Array, fromPort: number) => boolean;

/** The router's probe ports (FTWALL_PROBE_PORT, FTWALL_PROBE_PORTS) and a source of randomness. */
export interface ProbePorts {
  first: number;
  count: number;
  /** An integer in [0, count): crypto's randomInt by default (a forger must not predict it). */
  pick?: (count: number) => number;
}

const EXPIRED = 'no peer-to-peer activity and no probe answered for one lock period';
const RELEASED = 'probe unanswered, and no peer-to-peer activity since it went out';

export class LockKeeper {
  readonly #state: SharedState;
  /** By protocol id: each host's lock runs on its protocol's timing (Client.protocol). */
  readonly #timings: LockTiming[];
  readonly #protocols: readonly ProtocolModule[];
  readonly #send: ProbeSender;
  readonly #report: (event: FtEvent) => void;
  readonly #ports: Required<ProbePorts>;
  readonly #seed = new Uint8Array(PROBE_SEED_MAX_BYTES);
  readonly #lock = emptyLock();
  /** Hosts under a lock at the last sweep. */
  lockedCount = 0;
  /** The same, by protocol module name (the host's protocol). */
  lockedByProtocol: Record<string, number> = {};

  constructor(state: SharedState, lockSeconds: LockSeconds, protocols: readonly ProtocolModule[], ports: ProbePorts, send: ProbeSender, report: (event: FtEvent) => void) {
    this.#ports = { pick: (count) => randomInt(0, count), ...ports };
    this.#state = state;
    this.#timings = lockTimings(lockSeconds);
    this.#protocols = protocols;
    this.#send = send;
    this.#report = report;
  }

  /** How often sweep() should run for these lock periods (ms): as often as the shortest asks. */
  static intervalMs(lockSeconds: LockSeconds): number {
    const positive = (typeof lockSeconds === 'number' ? [lockSeconds] : lockSeconds).filter((seconds) => seconds > 0);
    return sweepIntervalMs(positive.length > 0 ? Math.min(...positive) : 0);
  }

  sweep(now: number): void {
    const clients = this.#state.clients;
    const byProtocol = new Array<number>(this.#protocols.length).fill(0);
    clients.forEach((slot, ip) => {
      const protocol = clients.get(slot, Client.protocol);
      const lock = readLock(clients, slot, this.#lock);
      const step = sweepStep(lock, now, timingOf(this.#timings, protocol));
      let locked = isLockedStep(step);
      if (step === SweepStep.PROBE) this.#probe(slot, ip, now);
      // A refresh that raced the sweep keeps the lock (and the host counts as locked).
      else if ((step === SweepStep.EXPIRE || step === SweepStep.RELEASE) && !this.#endLock(slot, ip, lock.lockUntil, step === SweepStep.RELEASE ? RELEASED : EXPIRED)) locked = true;
      if (locked && protocol < byProtocol.length) byProtocol[protocol]!++;
    });
    this.lockedByProtocol = Object.fromEntries(this.#protocols.map((module, id) => [module.name, byProtocol[id]!]));
    this.lockedCount = byProtocol.reduce((sum, count) => sum + count, 0);
  }

  /** Clears the lock (unless a refresh raced us); true when this call ended it. */
  #endLock(slot: number, ip: number, until: number, reason: string): boolean {
    const clients = this.#state.clients;
    if (clients.compareExchange(slot, Client.lockUntil, until, 0) !== until) return false;
    clients.set(slot, Client.probePort, 0);
    this.#report({ event: 'lock_expired', src_ip: ipToString(ip), src_mac: this.#mac(slot), reason, protocol: this.#protocols[clients.get(slot, Client.protocol)]?.name });
    return true;
  }

  /** Sends the host a probe built from its kept request; a host with none counts as probed (it cannot answer). */
  #probe(slot: number, ip: number, now: number): void {
    const clients = this.#state.clients;
    const port = clients.get(slot, Client.clientPort);
    const length = loadSeed(clients, slot, this.#seed);
    const protocol = this.#protocols[clients.get(slot, Client.protocol)];
    if (port === 0 || length === 0 || !protocol) {
      // Nothing to probe with (a host locked by TCP only): its lock runs on its own activity.
      clients.set(slot, Client.probeSent, now);
      return;
    }
    const fromPort = this.#ports.first + this.#ports.pick(this.#ports.count);
    if (!this.#send(ip, port, protocol.buildProbe(this.#seed.subarray(0, length)), fromPort)) return;
    // The port first, then the time: an answer is checked against both.
    clients.set(slot, Client.probePort, fromPort);
    clients.set(slot, Client.probeSent, now);
    this.#report({ event: 'probe_sent', dest_ip: ipToString(ip), dest_port: port, src_port: fromPort, proto: 'UDP', dest_mac: this.#mac(slot), protocol: protocol.name });
  }

  #mac(slot: number): string | undefined {
    const clients = this.#state.clients;
    const high = clients.get(slot, Client.macHigh);
    const low = clients.get(slot, Client.macLow);
    return high === 0 && low === 0 ? undefined : formatMac(high, low);
  }
}
