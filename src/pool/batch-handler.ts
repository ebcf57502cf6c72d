// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What a worker does with one batch, without the thread: for each packet, parse into a reused
 * view, decide with the pure core, apply the decision to the shared state at once (so the next
 * packet of any worker sees it), set the verdict and mark. The batch's events and spoof requests
 * go out in one call, only when there are any. Every failure path ends in ACCEPT (DROP with
 * FTWALL_FAIL=closed) and is counted. Unit-tested with a fake batch (test/unit/pool).
 */
import type { FtEvent } from '../core/events.ts';
import { PacketView, parsePacket } from '../core/packet.ts';
import { Decision, Reason, Verdict, type PacketDecider } from '../core/types.ts';
import type { SpoofRequest, StateWriter } from '../state/apply.ts';
import { Counter, packetColumn, protocolSlot, type SharedCounters } from '../telemetry/counters.ts';
import type { SharedHistograms } from '../telemetry/histograms.ts';

/** The part of nfqueue-bindings' PacketBatch a handler uses. */
export interface Batch {
  readonly count: number;
  readonly bytes: Uint8Array;
  packetOffset(i: number): number;
  packetLength(i: number): number;
  hook(i: number): number;
  mark(i: number): number;
  hwaddrLength(i: number): number;
  hwaddrHigh(i: number): number;
  hwaddrLow(i: number): number;
  drop(i: number): void;
  /** Accept by re-running the hook with this mark (later rules still apply). */
  repeat(i: number, mark: number): void;
}

export interface BatchHandlerOptions {
  decider: PacketDecider;
  writer: StateWriter;
  /** The current time in state ticks. */
  ticks: () => number;
  counters: SharedCounters;
  histograms: SharedHistograms;
  /** This worker's row in the shared counters and histograms. */
  row: number;
  /** Mark bit of decided packets. */
  mark: number;
  /** Mark bit of clean flows (saved to the flow by the rules); 0 = no bypass. */
  bypassMark: number;
  /** Errors drop instead of accept (FTWALL_FAIL=closed). */
  failClosed: boolean;
  /** Decide and report, accept everything (FTWALL_MODE=monitor). */
  monitor: boolean;
  /** Receives a batch's events and spoof requests (only when there are any). */
  publish: (events: FtEvent[], spoofs: SpoofRequest[]) => void;
}

const DECISION_HISTOGRAM = 0;
const BATCH_HISTOGRAM = 1;
/** The decision time is measured on one batch in TIMED_BATCH_EVERY (two clock reads saved on the others). */
const TIMED_BATCH_EVERY = 8;

/** Returns the per-batch function a queue calls. */
export function createBatchHandler(options: BatchHandlerOptions): (batch: Batch) => void {
  const { decider, writer, counters, histograms, row } = options;
  const packet = new PacketView();
  const decision = new Decision();
  const mark = options.mark >>> 0;
  const cleanMark = (options.mark | options.bypassMark) >>> 0;
  const dropOnError = options.failClosed;
  const monitor = options.monitor;
  /** This worker's packet counters, by protocol slot, reason and verdict (telemetry/counters.ts). */
  const reasonWords = counters.words;
  const reasonBase = row * counters.columns; // packetColumn() counts from the row's start
  const startsBase = row * counters.columns + Counter.startsEvicted;
  let batchNumber = 0;
  let seenEvicted = 0;
  let seenGivenUp = 0;

  return (batch: Batch) => {
    const timed = batchNumber++ % TIMED_BATCH_EVERY === 0;
    const startedMs = timed ? performance.now() : 0;
    const now = options.ticks();
    let events: FtEvent[] | undefined;
    let spoofs: SpoofRequest[] | undefined;
    for (let i = 0; i < batch.count; i++) {
      decision.reset();
      try {
        parsePacket(packet, batch.bytes, batch.packetOffset(i), batch.packetLength(i));
        packet.hook = batch.hook(i);
        const hasMac = batch.hwaddrLength(i) >= 6;
        packet.srcMacHigh = hasMac ? batch.hwaddrHigh(i) : 0;
        packet.srcMacLow = hasMac ? batch.hwaddrLow(i) : 0;
        decider.decide(packet, now, decision);
        if (decision.identifyClient || decision.learnPeer || decision.lockClient || decision.spoofReply || decision.probeAnswer || decision.noted) {
          if (decision.turnAround) packet.turnAround(decision.clientMacHigh, decision.clientMacLow);
          events ??= [];
          spoofs ??= [];
          writer.apply(packet, decision, now, events, spoofs);
        }
      } catch {
        counters.add(row, Counter.handlerErrors, 1);
        decision.verdict = dropOnError ? Verdict.DROP : Verdict.ACCEPT;
      }
      if (decision.verdict === Verdict.DROP && !monitor) {
        reasonWords[reasonBase + packetColumn(protocolSlot(decision.reason, decision.protocol), decision.reason, true)]!++;
        batch.drop(i);
      } else {
        reasonWords[reasonBase + packetColumn(protocolSlot(decision.reason, decision.protocol), decision.reason, false)]!++;
        // REPEAT with our mark: the hook runs again, our chain RETURNs, later rules still apply.
        // A clean flow also gets the bypass bit, which the rules copy to its conntrack entry.
        // A flow whose start the safety net still watches stays without it: its next data is queued.
        const clean = (decision.reason === Reason.NOT_P2P && !decision.watchFlow) || decision.reason === Reason.EXEMPT;
        batch.repeat(i, (batch.mark(i) | (clean ? cleanMark : mark)) >>> 0);
      }
    }
    // Per batch, not per packet: the average decision time weighted by the batch's packets.
    if (timed) histograms.record(row, DECISION_HISTOGRAM, (performance.now() - startedMs) / 1000 / batch.count, batch.count);
    histograms.record(row, BATCH_HISTOGRAM, batch.count);
    // The reassembly's running totals, added to this worker's row as they grow (a restarted
    // worker's decider starts from 0; the row keeps counting up).
    const evicted = decider.startsEvicted ?? 0;
    const givenUp = decider.startsGivenUp ?? 0;
    reasonWords[startsBase]! += evicted - seenEvicted;
    reasonWords[startsBase + 1]! += givenUp - seenGivenUp;
    seenEvicted = evicted;
    seenGivenUp = givenUp;
    if (events && (events.length > 0 || spoofs!.length > 0)) options.publish(events, spoofs!);
  };
}
