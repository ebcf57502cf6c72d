// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The main thread's sweep over locked clients (FTWALL.md decisions 3 and 4): half a lock period
 * after a lock's last (re)start it sends the client a copy of its own 0x27 ping (the probe); a
 * lock that reaches its end is cleared and reported. Probes stop when the lock expires.
 * The sender is injected; the keeper itself opens no sockets.
 */
import { ipToString } from '../core/packet.ts';
import { Client, PING_MAX_BYTES, TICK_MS, ticksFor, type SharedState } from '../state/shared-state.ts';
import type { FtEvent } from '../telemetry/events.ts';

export type ProbeSender = (clientIp: number, clientPort: number, ping: Uint8Array) => void;

export class LockKeeper {
  readonly #state: SharedState;
  readonly #halfLockTicks: number;
  readonly #send: ProbeSender;
  readonly #report: (event: FtEvent) => void;
  readonly #ping = new Uint8Array(PING_MAX_BYTES);
  /** Clients under a lock at the last sweep. */
  lockedCount = 0;

  constructor(state: SharedState, lockSeconds: number, send: ProbeSender, report: (event: FtEvent) => void) {
    this.#state = state;
    this.#halfLockTicks = Math.max(1, ticksFor((lockSeconds * 1000) / 2));
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
      if (until === 0) return;
      if (now < until) locked++;
      if (now >= until) {
        // Clear only the value we saw: a refresh racing us wins.
        if (Atomics.compareExchange(clients.words, slot + 3 + Client.lockUntil, until, 0) === until) {
          this.#report({ event: 'lock_expired', src_ip: ipToString(ip), reason: 'no FastTrack activity for one lock period' });
        }
        return;
      }
      const refreshed = clients.get(slot, Client.lockRefreshed);
      const probeDue = refreshed + this.#halfLockTicks;
      if (now < probeDue || clients.get(slot, Client.probeSent) >= probeDue) return;
      const port = clients.get(slot, Client.fastTrackPort);
      const length = clients.get(slot, Client.pingLength);
      clients.set(slot, Client.probeSent, now);
      if (port === 0 || length === 0) return; // locked by TCP alone: no ping to copy
      for (let word = 0; word < PING_MAX_BYTES / 4; word++) {
        const value = clients.get(slot, Client.ping + word);
        this.#ping[word * 4] = value >>> 24;
        this.#ping[word * 4 + 1] = (value >>> 16) & 0xff;
        this.#ping[word * 4 + 2] = (value >>> 8) & 0xff;
        this.#ping[word * 4 + 3] = value & 0xff;
      }
      this.#send(ip, port, this.#ping.subarray(0, length));
      this.#report({ event: 'probe_sent', dest_ip: ipToString(ip), dest_port: port, proto: 'UDP' });
    });
    this.lockedCount = locked;
  }
}
