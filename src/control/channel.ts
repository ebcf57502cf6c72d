// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The daemon's local control channel: a unix socket (FTWALL_CONTROL_SOCKET) in a directory only
 * its owner (root) may enter, the socket itself mode 0600. One request per connection: a JSON line
 * `{"command": ..., "args": [...]}` in, a JSON line `{"ok": true, "result": ...}` or
 * `{"ok": false, "error": "..."}` out.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { once } from 'node:events';

export interface ControlRequest {
  command: string;
  args: string[];
}

export type ControlHandler = (request: ControlRequest) => unknown;

const MAX_REQUEST_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 5000;

/** Serves `handler` on the socket at `path` (a stale socket of a crashed run is replaced). */
export async function serveControl(path: string, handler: ControlHandler): Promise<net.Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  if (existsSync(path)) unlinkSync(path); // the instance lock guarantees no other daemon owns it
  const server = net.createServer((socket) => {
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) return socket.destroy();
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      let reply: unknown;
      try {
        const request = JSON.parse(buffer.slice(0, end)) as Partial<ControlRequest>;
        if (typeof request.command !== 'string') throw new Error('no command');
        const args = Array.isArray(request.args) ? request.args.map(String) : [];
        reply = { ok: true, result: handler({ command: request.command, args }) };
      } catch (error) {
        reply = { ok: false, error: (error as Error).message };
      }
      socket.end(`${JSON.stringify(reply)}\n`);
    });
    socket.on('error', () => {});
  });
  server.listen(path);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => { throw error; })]);
  chmodSync(path, 0o600);
  server.unref();
  return server;
}

/** Closes the server and removes its socket. */
export function closeControl(server: net.Server | undefined, path: string): void {
  if (!server) return;
  server.close();
  try { unlinkSync(path); } catch { /* gone already */ }
}

export class ControlError extends Error {}

/** Sends one request to the daemon and returns its result; ControlError when it cannot or says no. */
export async function askDaemon(path: string, command: string, args: string[] = []): Promise<unknown> {
  const socket = net.createConnection(path);
  socket.setEncoding('utf8');
  let reply = '';
  socket.on('data', (chunk: string) => { reply += chunk; });
  try {
    await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([error]) => { throw error; })]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new ControlError(`ftwall is not running here (no daemon listening on ${path}; FTWALL_CONTROL_SOCKET)`);
    if (code === 'EACCES') throw new ControlError(`${path}: permission denied (run as root)`);
    throw new ControlError(`${path}: ${(error as Error).message}`);
  }
  socket.end(`${JSON.stringify({ command, args })}\n`);
  await Promise.race([once(socket, 'end'), once(socket, 'close'), new Promise((_, reject) => setTimeout(() => reject(new ControlError('the daemon did not answer within 5 s')), REQUEST_TIMEOUT_MS).unref())]);
  socket.destroy();
  let parsed: { ok?: boolean; result?: unknown; error?: string };
  try {
    parsed = JSON.parse(reply.trim()) as typeof parsed;
  } catch {
    throw new ControlError('the daemon sent an unreadable answer');
  }
  if (!parsed.ok) throw new ControlError(parsed.error ?? 'refused');
  return parsed.result;
}
