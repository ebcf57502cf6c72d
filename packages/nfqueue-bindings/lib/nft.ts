// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nftables commands through libnftables, no nft program: the script (nft -f syntax) is parsed and
 * sent over netlink as one transaction (all of it applies, or none) on a libuv pool thread.
 * Needs CAP_NET_ADMIN in the network namespace.
 */
import { loadBinding } from './native.ts';

/** libnftables' NFT_CTX_OUTPUT_JSON and NFT_CTX_OUTPUT_TERSE. */
const OUTPUT_JSON = 1 << 4;
const OUTPUT_TERSE = 1 << 11;

/**
 * Runs an nft script; resolves with what its commands printed (JSON with `json`; listings without
 * set elements with `terse`), rejects with libnftables' error text. Calls are independent; callers
 * that need an order must wait for each.
 */
export function runNft(script: string, options: { json?: boolean; terse?: boolean } = {}): Promise<string> {
  return loadBinding().runNft(script, (options.json ? OUTPUT_JSON : 0) | (options.terse ? OUTPUT_TERSE : 0));
}
