// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * One ftwall per network namespace: an abstract unix socket is bound for as long as the process
 * lives. The kernel releases it when the process dies (even by SIGKILL), so there is no stale lock.
 */
import net from 'node:net';
import { once } from 'node:events';

export class InstanceLockedError extends Error {}

export async function acquireInstanceLock(name = 'ftwall'): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  server.listen(`\0${name}`);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => { throw error; })]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new InstanceLockedError('another ftwall is already running in this network namespace; refusing to touch its rules');
    }
    throw error;
  }
  server.unref();
  return server;
}
