// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Runs inside a namespace and makes HTTP requests there for the test process (which lives in the
 * host's namespace and must not reach into the bed's by itself): the clients' RPC servers listen on
 * the namespace's loopback. One JSON line per request on stdin:
 *   {"id":1,"url":"http://127.0.0.1:9091/transmission/rpc","method":"POST","headers":{},"body":"..."}
 * one JSON line per answer on stdout: {"id":1,"status":200,"headers":{...},"body":"..."} (status 0 and
 * "error" when the request failed; with "binary":true the body is base64). Prints {"listening":true} first.
 */
import readline from 'node:readline';

interface Request { id: number; url: string; method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; binary?: boolean }

const write = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let request: Request;
  try { request = JSON.parse(line) as Request; } catch { return; }
  fetch(request.url, { method: request.method ?? 'GET', headers: request.headers, body: request.body, signal: AbortSignal.timeout(request.timeoutMs ?? 10_000) })
    .then(async (response) => write({ id: request.id, status: response.status, headers: Object.fromEntries(response.headers), body: request.binary ? Buffer.from(await response.arrayBuffer()).toString('base64') : await response.text() }))
    .catch((error: unknown) => write({ id: request.id, status: 0, error: String(error) }));
}).on('close', () => process.exit(0));
write({ listening: true });
