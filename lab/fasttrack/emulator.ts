// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A FastTrack client emulator that behaves like docs/FTWALL.md's three modes (the lab's, not the product).
 *   node emulator.ts net=198.51.100 count=200 udpPort=3531 modes=1,2,3 [answerProbes=false] [handshake=gift] [timing options]
 * modes=2,3 is a client that never pings (UDP blocked on its host, or it starts in its TCP modes).
 * junkFirst=true: one junk datagram to each peer before its ping (so the flow is judged clean first).
 * flood=N: during modes 2 and 3, N datagrams a second, each a new UDP flow (random address and
 * port in the peer network), from its own host: to push the router's queues into fail-open.
 * It keeps a cache of supernode addresses and hides a quarter of them from mode 1:
 *  1. UDP flood: 0x27 pings to every visible address; each pong is followed by 0x2A and a TCP SYN.
 *  2. Parallel TCP: when mode 1 brought no session, many simultaneous connections to the whole cache.
 *  3. Slow sequential TCP: one address at a time with a timeout, for `mode3Seconds`.
 * A session counts when the 12/8-byte handshake completes; the supernode then sends 200 fresh
 * addresses, which replace the cache. It answers every ping on its UDP port (probes included).
 * It moves to the next mode only while no session succeeds (it believes it is blocked).
 * Prints JSON lines: {"mode":N} as each mode starts, and a final {"report":...}.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { decodeNodeList, isPing, isPong, ping, pong, sessionStart, setupRequest, supernodeAddresses, type PeerAddress } from './wire.ts';

const options = Object.fromEntries(process.argv.slice(2).map((arg) => arg.split('=') as [string, string]));
const number = (name: string, fallback: number) => (options[name] === undefined ? fallback : Number(options[name]));
const timing = {
  pingIntervalMs: number('pingIntervalMs', 10),
  mode1ConnectTimeoutMs: number('mode1ConnectTimeoutMs', 600),
  mode1TailMs: number('mode1TailMs', 700),
  mode2Parallel: number('mode2Parallel', 20),
  mode2TimeoutMs: number('mode2TimeoutMs', 700),
  mode3TimeoutMs: number('mode3TimeoutMs', 1000),
  mode3Seconds: number('mode3Seconds', 12),
};
const modes = (options.modes ?? '1,2,3').split(',').map(Number);
const udpPort = number('udpPort', 3531);

interface ModeReport { pings: number; pongs: number; attempts: number; handshakes: number; ms: number }
const report = {
  modes: {} as Record<number, ModeReport>,
  probesAnswered: 0,
  cacheRefreshes: 0,
  hiddenAddresses: 0,
};
let cache: PeerAddress[] = supernodeAddresses(options.net ?? '198.51.100', number('count', 200));
let hidden = new Set<string>();
const key = (peer: PeerAddress) => `${peer.ip}:${peer.port}`;
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hideQuarter(): void {
  // Every fourth address is never revealed in mode 1 (docs/FTWALL.md: mode 2 mixes in ones never revealed).
  hidden = new Set(cache.filter((_, i) => i % 4 === 3).map(key));
  report.hiddenAddresses = hidden.size;
}
hideQuarter();

let current: ModeReport = { pings: 0, pongs: 0, attempts: 0, handshakes: 0, ms: 0 };
const udp = dgram.createSocket('udp4');
const pending: Array<Promise<void>> = [];

/** One TCP session attempt: true when the handshake completed. */
function connect(peer: PeerAddress, timeoutMs: number): Promise<boolean> {
  current.attempts++;
  return new Promise((resolve) => {
    const socket = net.connect({ host: peer.ip, port: peer.port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (ok) {
        current.handshakes++;
        const fresh = received.length > 8 ? decodeNodeList(received.subarray(8)) : [];
        if (fresh.length > 0) {
          cache = fresh; // one breakthrough refills the cache
          report.cacheRefreshes++;
          hideQuarter();
        }
      }
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(sessionStart(giftHandshake)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 8) setTimeout(() => finish(true), 50); // let the node list arrive
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(received.length >= 8));
  });
}

/** handshake=gift: giFT's constant first word; else random, as real clients send. */
const giftHandshake = options.handshake === 'gift';

const junkFirst = options.junkFirst === 'true';
const floodPerSecond = number('flood', 0);
const flooder = dgram.createSocket('udp4');
let flooding: NodeJS.Timeout | undefined;
const [netA, netB, netC] = (options.net ?? '198.51.100').split('.');

/** Starts the self-flood: every 10 ms a burst of new UDP 5-tuples (floodPerSecond / 100 each). */
function startFlood(): void {
  if (floodPerSecond <= 0 || flooding) return;
  const junk = Buffer.alloc(16, 0x55);
  flooding = setInterval(() => {
    for (let i = 0; i < Math.ceil(floodPerSecond / 100); i++) {
      flooder.send(junk, 1024 + Math.floor(Math.random() * 60000), `${netA}.${netB}.${netC}.${1 + Math.floor(Math.random() * 254)}`);
    }
  }, 10);
}

/** answerProbes=false: a client that never answers (a host firewall drops the router's datagrams). */
const answerProbes = options.answerProbes !== 'false';

udp.on('message', (message, remote) => {
  if (isPing(message)) {
    if (!answerProbes) return;
    // Answer any ping, even a copy of our own (that is how ftwall's probes find us).
    report.probesAnswered++;
    udp.send(pong(message[4]), remote.port, remote.address);
    return;
  }
  if (isPong(message) && current === report.modes[1]) {
    current.pongs++;
    const peer = { ip: remote.address, port: remote.port };
    udp.send(setupRequest(), peer.port, peer.ip);
    pending.push(connect(peer, timing.mode1ConnectTimeoutMs).then(() => undefined));
  }
});
udp.bind(udpPort);
await once(udp, 'listening');

async function mode1(): Promise<void> {
  for (const peer of cache) {
    if (hidden.has(key(peer))) continue;
    if (junkFirst) udp.send(Buffer.from('not a ping, just junk'), peer.port, peer.ip);
    current.pings++;
    udp.send(ping(), peer.port, peer.ip);
    await wait(timing.pingIntervalMs);
  }
  await wait(timing.mode1TailMs);
  await Promise.all(pending.splice(0));
}

async function mode2(): Promise<void> {
  // Tried addresses and never-revealed ones, interleaved, many at once.
  const never = cache.filter((p) => hidden.has(key(p)));
  const tried = cache.filter((p) => !hidden.has(key(p)));
  const mixed: PeerAddress[] = [];
  for (let i = 0; i < Math.max(never.length, tried.length); i++) mixed.push(...[never[i], tried[i]].filter((p): p is PeerAddress => p !== undefined));
  for (let i = 0; i < mixed.length; i += timing.mode2Parallel) {
    await Promise.all(mixed.slice(i, i + timing.mode2Parallel).map((peer) => connect(peer, timing.mode2TimeoutMs)));
  }
}

async function mode3(): Promise<void> {
  const end = Date.now() + timing.mode3Seconds * 1000;
  const order = [...cache.filter((p) => hidden.has(key(p))), ...cache.filter((p) => !hidden.has(key(p)))];
  for (let i = 0; Date.now() < end; i++) await connect(order[i % order.length]!, Math.min(timing.mode3TimeoutMs, Math.max(1, end - Date.now())));
}

for (const mode of modes) {
  current = { pings: 0, pongs: 0, attempts: 0, handshakes: 0, ms: 0 };
  report.modes[mode] = current;
  print({ mode });
  const started = Date.now();
  if (mode !== 1) startFlood();
  await (mode === 1 ? mode1() : mode === 2 ? mode2() : mode3());
  current.ms = Date.now() - started;
  // It escalates only while it believes it is blocked: a session means FastTrack works.
  if (current.handshakes > 0) break;
}
if (flooding) clearInterval(flooding);
flooder.close();
udp.close();
print({ report });
