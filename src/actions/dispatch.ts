// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What the main thread does with one worker batch: each event goes to the event sink; a learned or
 * confirmed peer is appended to the peer store and its bypassed UDP flows are cut (flow bypass
 * only); each spoof request becomes a spoofed pong (the spoofer's limits apply), logged at debug.
 */
import type { FtEvent } from '../core/events.ts';
import { ipToString } from '../core/packet.ts';
import type { SpoofRequest } from '../state/apply.ts';
import { peerLine } from '../state/peer-store.ts';
import type { Stores } from '../state/stores.ts';
import type { EventSink } from '../telemetry/event-sink.ts';
import { EVENT_MESSAGES } from '../telemetry/events.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { FlowCutter } from './flow-cutter.ts';
import type { Spoofer } from './spoofer.ts';

/** Where a batch's parts go; the daemon's objects, or fakes in tests. */
export interface DispatchTargets {
  /** Takes every event. */
  sink: Pick<EventSink, 'report'>;
  /** Gets the batch's peer store lines, in one append. */
  stores: Pick<Stores, 'appendPeers'>;
  spoofer: Pick<Spoofer, 'send' | 'protocolName'>;
  /** Present with flow bypass only. */
  flowCutter?: Pick<FlowCutter, 'cut'> | undefined;
  log: Logger;
}

/** Turns worker batches into sink reports, store lines, flow cuts and spoofed pongs. */
export class BatchDispatcher {
  readonly #targets: DispatchTargets;

  constructor(targets: DispatchTargets) {
    this.#targets = targets;
  }

  /** Handles the events and spoof requests of one worker batch. */
  dispatch(events: FtEvent[], spoofs: SpoofRequest[]): void {
    const targets = this.#targets;
    const storeLines: string[] = [];
    for (const event of events) {
      targets.sink.report(event);
      if (event.event === 'peer_learned' || event.event === 'peer_confirmed') {
        const confirmed = event.event === 'peer_confirmed' || event.confirmed === true;
        storeLines.push(peerLine(String(event.dest_ip), Number(event.dest_port), confirmed ? 'confirmed' : 'learned'));
        targets.flowCutter?.cut(String(event.dest_ip), Number(event.dest_port));
      } else if (event.event === 'safety_net_hit') {
        // The flow itself, even to a peer known before: past its first packets the kernel no longer
        // queues it, so its retransmissions would pass; cut, its next packet is decided (dropped).
        targets.flowCutter?.cut(String(event.dest_ip), Number(event.dest_port), Date.now(), true);
      }
    }
    if (storeLines.length > 0) targets.stores.appendPeers(storeLines);
    for (const request of spoofs) {
      if (targets.spoofer.send(request) === 'sent') {
        targets.log.debug({ event: 'pong_spoofed', src_ip: ipToString(request.peerIp), src_port: request.peerPort, dest_ip: ipToString(request.clientIp), dest_port: request.clientPort, proto: 'UDP', protocol: targets.spoofer.protocolName(request.protocol) }, EVENT_MESSAGES.pong_spoofed);
      }
    }
  }
}
