// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A traffic agent run inside a test-bed namespace: `node agent.ts <role> [key=value ...]`.
 * Prints JSON lines: servers print {"listening":true} when ready and a report on stdin "report";
 * senders print one result line and exit.
 *   udp-server bind=IP:PORT        datagrams carry [seq u32][len u16][sha256(data) 32][data];
 *                                  each report counts what arrived since the previous report
 *   tcp-server bind=IP:PORT        reports bytes and sha256 per connection
 *   udp-send to=IP:PORT count=N size=S [interval=MS] [from=PORT]
 *   udp-once to=IP:PORT hex=BYTES [from=PORT]   one datagram
 *   tcp-echo bind=IP:PORT          echoes every TCP stream back
 *   tcp-trickle to=IP:PORT seconds=S [every=MS]  one long TCP session: 64 bytes every MS (100), echoed
 *                                  back by tcp-echo; prints {flowing} at the first echo, then at the end
 *                                  {connected, echoed, lastEchoAt} (epoch ms of the last echo)
 *   tcp-send to=IP:PORT bytes=N timeout=MS
 *   tcp-until to=IP:PORT max=MS    connects again and again (500 ms timeout each) until one succeeds
 *   tcp-tries to=IP:PORT count=N [timeout=MS]  N connections one after another (each closed at once,
 *                                  MS = 500 to connect); prints {tries, connected}
 *   tcp-text to=IP:PORT hex=BYTES timeout=MS   sends the bytes, reports what came back
 *   tcp-chunks to=IP:PORT hex=BYTES size=N [every=MS] [timeout=MS]  sends the bytes in writes of N
 *                                  bytes, MS (20) apart, without Nagle (one segment each), then
 *                                  closes; reports {connected, written, closed, error} (closed: the
 *                                  socket closed within the timeout, error: why, if it failed)
 *   udp-hash-server bind=IP:PORT   reports the sha256 of every datagram since the last report
 *   udp-replay to=IP:PORT file=PATH  sends each hex line of the file as one datagram
 *   raw-send file=PATH [every=MS] [seconds=S]  sends each hex line of the file (a whole IPv4
 *                                  packet, any source address) through a raw socket, in rounds
 *                                  every MS for S seconds (one round by default)
 *   udp-spray net=A.B.C count=N hex=BYTES  N datagrams to random addresses A.B.C.1-254, random ports
 *   tcp-script side=client to=IP:PORT file=PATH [timeout=MS]   one TCP conversation as captured: the
 *   tcp-script side=server bind=IP:PORT file=PATH                file's lines are `client HEX` or
 *                                  `server HEX`; each side writes its own in turn (one write each,
 *                                  without Nagle) and waits for the other's bytes before its next
 *                                  turn. The client prints {connected, steps, of, received, ended}
 *                                  (steps of `of` done; ended: the peer closed or reset the flow)
 */
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

const [role, ...rest] = process.argv.slice(2);
const options = Object.fromEntries(rest.map((arg) => arg.split('=') as [string, string]));
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const address = (text: string) => {
  const [host, port] = text.split(':');
  return { host: host!, port: Number(port) };
};
const onReport = (report: () => unknown) => {
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'report') print(report());
    if (line.trim() === 'exit') process.exit(0);
  });
};

if (role === 'udp-server') {
  const { host, port } = address(options.bind!);
  // Bursts of large datagrams must not overflow a slow reader's buffer (see udp-hash-server).
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const seqs = new Set<number>();
  let datagrams = 0;
  let corrupt = 0;
  socket.on('message', (message) => {
    datagrams++;
    if (message.length < 38) { corrupt++; return; }
    const seq = message.readUInt32BE(0);
    const length = message.readUInt16BE(4);
    const data = message.subarray(38);
    const ok = data.length === length && createHash('sha256').update(data).digest().equals(message.subarray(6, 38));
    if (!ok) corrupt++;
    else seqs.add(seq);
  });
  socket.bind(port, host, () => print({ listening: true }));
  // Each report covers what arrived since the previous one.
  onReport(() => {
    const report = { datagrams, unique: seqs.size, corrupt };
    seqs.clear();
    datagrams = 0;
    corrupt = 0;
    return report;
  });
} else if (role === 'tcp-server') {
  const { host, port } = address(options.bind!);
  const streams: Array<{ bytes: number; sha256: string }> = [];
  const server = net.createServer((socket) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk) => { bytes += chunk.length; hash.update(chunk); });
    socket.on('end', () => { streams.push({ bytes, sha256: hash.digest('hex') }); socket.end(); });
    socket.on('error', () => {});
  });
  server.listen(port, host, () => print({ listening: true }));
  onReport(() => ({ streams }));
} else if (role === 'tcp-echo') {
  const { host, port } = address(options.bind!);
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(port, host, () => print({ listening: true }));
} else if (role === 'tcp-trickle') {
  const { host, port } = address(options.to!);
  const every = Number(options.every ?? 100);
  const endAt = Date.now() + Number(options.seconds ?? 10) * 1000;
  const socket = net.connect({ host, port });
  let echoed = 0;
  let lastEchoAt = 0;
  let connected = false;
  socket.on('error', () => {});
  socket.on('connect', () => { connected = true; });
  socket.on('data', (chunk) => {
    if (echoed === 0) print({ flowing: true });
    echoed += chunk.length;
    lastEchoAt = Date.now();
  });
  const timer = setInterval(() => {
    if (Date.now() < endAt) {
      if (connected) socket.write(Buffer.alloc(64, 0x61));
      return;
    }
    clearInterval(timer);
    print({ connected, echoed, lastEchoAt });
    socket.destroy();
  }, every);
} else if (role === 'udp-send') {
  const { host, port } = address(options.to!);
  const count = Number(options.count ?? 100);
  const size = Number(options.size ?? 200);
  const interval = Number(options.interval ?? 0);
  const socket = dgram.createSocket('udp4');
  if (options.from) await new Promise<void>((resolve) => socket.bind(Number(options.from), resolve));
  let sent = 0;
  for (let seq = 0; seq < count; seq++) {
    const data = randomBytes(size);
    const header = Buffer.alloc(38);
    header.writeUInt32BE(seq, 0);
    header.writeUInt16BE(size, 4);
    createHash('sha256').update(data).digest().copy(header, 6);
    await new Promise<void>((resolve, reject) => socket.send([header, data], port, host, (error) => (error ? reject(error) : resolve())));
    sent++;
    if (interval > 0) await new Promise((resolve) => setTimeout(resolve, interval));
    else if (seq % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 1)); // pace: do not overrun the receiver
  }
  socket.close();
  print({ sent });
} else if (role === 'tcp-send') {
  const { host, port } = address(options.to!);
  const total = Number(options.bytes ?? 1_000_000);
  const timeoutMs = Number(options.timeout ?? 3000);
  const hash = createHash('sha256');
  const socket = net.connect({ host, port });
  const timer = setTimeout(() => { print({ connected: false, error: 'timeout' }); process.exit(0); }, timeoutMs);
  socket.on('error', (error) => { clearTimeout(timer); print({ connected: false, error: error.message }); process.exit(0); });
  socket.on('connect', async () => {
    clearTimeout(timer);
    let written = 0;
    while (written < total) {
      const chunk = randomBytes(Math.min(65536, total - written));
      hash.update(chunk);
      written += chunk.length;
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    socket.on('close', () => print({ connected: true, bytes: written, sha256: hash.digest('hex') }));
    socket.resume();
  });
} else if (role === 'udp-once') {
  const { host, port } = address(options.to!);
  const socket = dgram.createSocket('udp4');
  if (options.from) await new Promise<void>((resolve) => socket.bind(Number(options.from), resolve));
  await new Promise<void>((resolve, reject) => socket.send(Buffer.from(options.hex!, 'hex'), port, host, (error) => (error ? reject(error) : resolve())));
  socket.close();
  print({ sent: 1 });
} else if (role === 'tcp-until') {
  const { host, port } = address(options.to!);
  const max = Number(options.max ?? 20000);
  const started = Date.now();
  let attempts = 0;
  const attempt = () => new Promise<boolean>((resolve) => {
    attempts++;
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => { socket.destroy(); resolve(false); }, 500);
    socket.on('connect', () => { clearTimeout(timer); socket.destroy(); resolve(true); });
    socket.on('error', () => { clearTimeout(timer); resolve(false); });
  });
  let connected = false;
  while (!connected && Date.now() - started < max) {
    connected = await attempt();
    if (!connected) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  print({ connected, afterMs: Date.now() - started, attempts });
} else if (role === 'tcp-tries') {
  const { host, port } = address(options.to!);
  const count = Number(options.count ?? 100);
  const timeoutMs = Number(options.timeout ?? 500);
  let connected = 0;
  for (let i = 0; i < count; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => { socket.destroy(); resolve(false); }, timeoutMs);
      socket.on('connect', () => { clearTimeout(timer); socket.destroy(); resolve(true); });
      socket.on('error', () => { clearTimeout(timer); resolve(false); });
    });
    if (ok) connected++;
  }
  print({ tries: count, connected });
} else if (role === 'tcp-text') {
  const { host, port } = address(options.to!);
  const timeoutMs = Number(options.timeout ?? 2000);
  const socket = net.connect({ host, port });
  let connected = false;
  let reply = 0;
  socket.on('connect', () => { connected = true; socket.write(Buffer.from(options.hex!, 'hex')); });
  socket.on('data', (chunk) => { reply += chunk.length; });
  socket.on('error', () => {});
  setTimeout(() => { print({ connected, reply }); socket.destroy(); process.exit(0); }, timeoutMs);
} else if (role === 'tcp-chunks') {
  const { host, port } = address(options.to!);
  const data = Buffer.from(options.hex!, 'hex');
  const size = Number(options.size ?? 8);
  const every = Number(options.every ?? 20);
  const socket = net.connect({ host, port, noDelay: true });
  let connected = false;
  let written = 0;
  let error: string | undefined;
  const finish = (closed: boolean) => { print({ connected, written, closed, error }); process.exit(0); };
  setTimeout(() => finish(false), Number(options.timeout ?? 3000));
  socket.on('error', (problem) => { error = problem.message; });
  socket.on('close', () => { if (connected) finish(true); });
  socket.on('connect', async () => {
    connected = true;
    for (let at = 0; at < data.length; at += size) {
      socket.write(data.subarray(at, at + size));
      written += Math.min(size, data.length - at);
      await new Promise((resolve) => setTimeout(resolve, every));
    }
    socket.end();
    socket.resume();
  });
} else if (role === 'udp-hash-server') {
  const { host, port } = address(options.bind!);
  // A replay sends thousands of datagrams in bursts: a default-sized buffer overflows (and loses
  // some) whenever this process is slow to read, which is not what a delivery test measures.
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  let hashes: string[] = [];
  socket.on('message', (message) => hashes.push(createHash('sha256').update(message).digest('hex')));
  socket.bind(port, host, () => print({ listening: true }));
  onReport(() => {
    const report = { hashes };
    hashes = [];
    return report;
  });
} else if (role === 'udp-replay') {
  const { host, port } = address(options.to!);
  const payloads = readFileSync(options.file!, 'utf8').split('\n').filter(Boolean).map((line) => Buffer.from(line, 'hex'));
  const socket = dgram.createSocket('udp4');
  let sent = 0;
  for (const payload of payloads) {
    await new Promise<void>((resolve, reject) => socket.send(payload, port, host, (error) => (error ? reject(error) : resolve())));
    if (++sent % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  socket.close();
  print({ sent });
} else if (role === 'raw-send') {
  const raw = (await import('raw-socket')).default;
  const socket = raw.createSocket({ protocol: 255 }); // IPPROTO_RAW: the header is ours
  socket.pauseRecv();
  const packets = readFileSync(options.file!, 'utf8').split('\n').filter(Boolean).map((line) => Buffer.from(line, 'hex'));
  const every = Number(options.every ?? 0);
  const until = Date.now() + Number(options.seconds ?? 0) * 1000;
  let sent = 0;
  do {
    for (const packet of packets) {
      const destination = `${packet[16]}.${packet[17]}.${packet[18]}.${packet[19]}`;
      await new Promise<void>((resolve) => socket.send(packet, 0, packet.length, destination, () => resolve()));
      sent++;
    }
    if (every > 0) await new Promise((resolve) => setTimeout(resolve, every));
  } while (Date.now() < until);
  socket.close();
  print({ sent });
} else if (role === 'udp-spray') {
  const payload = Buffer.from(options.hex!, 'hex');
  const count = Number(options.count);
  const socket = dgram.createSocket('udp4');
  const started = Date.now();
  let sent = 0;
  const random = randomBytes(count * 3);
  while (sent < count) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < 256 && sent < count; i++, sent++) {
      const host = 1 + (random[sent * 3]! % 254);
      const port = 1024 + (random.readUInt16BE(sent * 3 + 1) % 64000);
      batch.push(new Promise<void>((resolve) => socket.send(payload, port, `${options.net}.${host}`, () => resolve())));
    }
    await Promise.all(batch);
  }
  socket.close();
  print({ sent, ms: Date.now() - started });
} else if (role === 'tcp-script') {
  const side = options.side === 'server' ? 'server' : 'client';
  const steps = readFileSync(options.file!, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [from, hex] = line.split(' ');
    return { mine: from === side, bytes: Buffer.from(hex!, 'hex') };
  });
  /** Plays the script on one socket; resolves with how many steps were done. */
  const progress = { steps: 0, of: steps.length, received: 0, ended: false };
  const play = (socket: net.Socket) => new Promise<void>((resolve) => {
    let wanted = 0; // bytes of the other side's turns so far
    const advance = () => {
      while (progress.steps < steps.length) {
        const { mine, bytes } = steps[progress.steps]!;
        if (!mine && progress.received < wanted + bytes.length) return;
        if (mine) socket.write(bytes);
        else wanted += bytes.length;
        progress.steps++;
      }
      resolve();
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk) => { progress.received += chunk.length; advance(); });
    socket.on('error', () => { progress.ended = true; resolve(); });
    socket.on('close', () => { progress.ended = true; resolve(); });
    advance();
  });
  if (side === 'server') {
    const { host, port } = address(options.bind!);
    net.createServer((socket) => void play(socket)).listen(port, host, () => print({ listening: true }));
  } else {
    const { host, port } = address(options.to!);
    const socket = net.connect({ host, port });
    let connected = false;
    const timer = setTimeout(() => { print({ connected, ...progress }); process.exit(0); }, Number(options.timeout ?? 3000));
    socket.on('connect', async () => {
      connected = true;
      await play(socket);
      clearTimeout(timer);
      print({ connected, ...progress });
      socket.destroy();
      process.exit(0);
    });
    socket.on('error', () => {});
  }
} else {
  process.stderr.write(`unknown role ${role}\n`);
  process.exit(2);
}
