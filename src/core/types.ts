// SPDX-License-Identifier: GPL-2.0-or-later
/** The decision core's contract: a packet (and time, and a read-only state view) in, a Decision out. */
import type { PacketView } from './packet.ts';

export const Verdict = { ACCEPT: 0, DROP: 1 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Why a packet got its verdict; also the metrics label. Index into REASON_NAMES. */
export const Reason = {
  NOT_INSPECTED: 0,
  NOT_FASTTRACK: 1,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
export const REASON_NAMES = ['not_inspected', 'not_fasttrack'] as const;

/** What the core decided for one packet. Reused across packets: the caller reads it before the next call. */
export class Decision {
  verdict: Verdict = Verdict.ACCEPT;
  reason: Reason = Reason.NOT_INSPECTED;
  reset(): void {
    this.verdict = Verdict.ACCEPT;
    this.reason = Reason.NOT_INSPECTED;
  }
}

/** Decides one packet. Implementations keep no timers and touch no sockets. */
export interface PacketDecider {
  decide(packet: PacketView, nowMs: number, out: Decision): void;
}
