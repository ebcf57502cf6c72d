// SPDX-License-Identifier: GPL-2.0-or-later
import type { PacketView } from './packet.ts';
import { Reason, Verdict, type Decision, type PacketDecider } from './types.ts';

/** Accepts everything: the packet path without FastTrack decisions (tests, benchmarks). */
export class PassThroughDecider implements PacketDecider {
  decide(packet: PacketView, _nowMs: number, out: Decision): void {
    out.verdict = Verdict.ACCEPT;
    out.reason = packet.transport ? Reason.NOT_FASTTRACK : Reason.NOT_INSPECTED;
  }
}
