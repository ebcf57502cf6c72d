// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Fault injection, preloaded into ftwall with NODE_OPTIONS=--import=<this file>: ftwall's process
 * behaves as on a host where conntrack entries cannot be deleted over netlink (no ctnetlink module,
 * or not permitted). The addon is replaced in the require cache before ftwall loads it, with a
 * deleteConntrack that fails as the kernel would. Nothing of this is in ftwall itself.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const path = require.resolve('../../packages/nfqueue-bindings/build/Release/nfqueue_bindings.node');
const binding = require(path) as Record<string, unknown>;
require.cache[path]!.exports = {
  ...binding,
  deleteConntrack: () => Promise.reject(new Error('conntrack dump failed: Protocol not supported')),
};
