// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Opens what the main thread acts through: the raw socket of spoofed pongs, the probe socket
 * (raw, from the router's LAN address and a random probe port) and, where conntrack entries can be
 * deleted, the flow cutter. Both sockets send to `lan` hosts only, at most FTWALL_SPOOF_RATE per second each.
 */
import type { Config } from '../config/schema.ts';
import type { CidrList } from '../core/cidr.ts';
import type { ProtocolModule } from '../core/protocol.ts';
import type { Logger } from '../telemetry/logger.ts';
import { FlowCutter } from './flow-cutter.ts';
import { ipFromString } from '../core/packet.ts';
import { ipv4Addresses } from '../system/interfaces.ts';
import { ProbeSender } from './prober.ts';
import { Spoofer, openRawSender } from './spoofer.ts';

/** The open actions; close() closes both sockets. */
export interface OpenActions {
  spoofer: Spoofer;
  probes: ProbeSender;
  /** Present where conntrack entries can be deleted (system/features.ts). */
  flowCutter: FlowCutter | undefined;
  close(): void;
}

/** Opens the spoofer (replies built by `protocols`), the flow cutter and the probe socket; a failure leaves nothing open. */
export async function openActions(config: Config, lan: CidrList, protocols: readonly ProtocolModule[], canCutFlows: boolean, log: Logger): Promise<OpenActions> {
  const spoofer = new Spoofer({
    protocols, lanNetworks: lan, ratePerSecond: config.spoofRate, mark: config.mark, socket: await openRawSender(),
    onError: (error) => log.debug({ event: 'spoof_send_failed', error: error.message }, 'spoofed pong not sent'),
  });
  const flowCutter = canCutFlows ? new FlowCutter((message) => log.error({ event: 'flow_cut_failed' }, message)) : undefined;
  const probes = new ProbeSender({
    lanNetworks: lan, ratePerSecond: config.spoofRate, mark: config.mark, socket: await openRawSender(),
    routerAddresses: config.lanInterfaces.flatMap((name) => ipv4Addresses(name)).map((entry) => ({ address: ipFromString(entry.address), prefixLength: entry.prefixLength })),
    onError: (error) => log.debug({ event: 'probe_send_failed', error: error.message }, 'probe not sent'),
  });
  return { spoofer, probes, flowCutter, close: () => { spoofer.close(); probes.close(); } };
}
