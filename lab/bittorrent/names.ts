// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Name resolution inside the bed's namespaces: none. Real clients know public names (Transmission
 * 3.00 falls back to dht.transmissionbt.com when its DHT has fewer than 40 good nodes, which the lab
 * never has, and has no setting to turn that off). `ip netns exec` bind-mounts /etc/netns/<ns>/<file>
 * over /etc/<file>, so a process started in a confined namespace sees:
 *   nsswitch.conf  hosts: files    (no DNS, and no nss-resolve: systemd-resolved's socket is shared
 *                                   across network namespaces and would resolve through the host)
 *   hosts          localhost only
 *   resolv.conf    nameserver 127.0.0.1 (nothing listens there; used only if something skips nsswitch)
 * so a lookup fails at once (no hang) and no query leaves. The files go with the bed.
 */
import { existsSync, mkdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestBed } from '../netns.ts';

const NETNS_ETC = '/etc/netns';
const NSCD_SOCKETS = ['/var/run/nscd/socket', '/run/nscd/socket'];

/** Throws where a confined namespace could still resolve through the host (a running nscd answers over a shared socket). */
export function assertNoHostResolverCache(): void {
  const socket = NSCD_SOCKETS.find((path) => existsSync(path));
  if (socket) throw new Error(`nscd is running (${socket}): processes in the lab's namespaces would resolve names through the host; stop it first`);
}

/** Gives each namespace the confined resolver files; call before starting processes there. */
export function confineNames(bed: TestBed, namespaces: string[]): void {
  assertNoHostResolverCache();
  const created: string[] = [];
  const hadRoot = existsSync(NETNS_ETC);
  bed.onDestroy(() => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
    if (!hadRoot) {
      try { rmdirSync(NETNS_ETC); } catch { /* another bed's files are there */ }
    }
  });
  for (const ns of namespaces) {
    const dir = join(NETNS_ETC, ns);
    if (existsSync(dir)) throw new Error(`${dir} exists already`);
    mkdirSync(dir, { recursive: true });
    created.push(dir);
    writeFileSync(join(dir, 'nsswitch.conf'), 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n');
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n`);
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  }
}

const confined = new WeakSet<TestBed>();

/** confineNames() for every namespace of the bed, once per bed. */
export function confineBed(bed: TestBed): void {
  if (confined.has(bed)) return;
  confined.add(bed);
  confineNames(bed, [bed.router, bed.internet, ...bed.hosts.map((host) => host.ns)]);
}
