// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The "internet" of FastTrack supernodes, run inside the test bed's internet namespace:
 *   node supernodes.ts nets=198.51.100,198.18.0 count=200
 * Each address answers 0x27 pings with a 0x28 pong (UDP) and accepts TCP: on the client's 12 clear
 * bytes it answers 8 (the handshake) and sends a node list of 200 fresh addresses. Prints
 * {"listening":true}, then a report on stdin "report": pings seen and handshakes completed.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';
import { encodeNodeList, isPing, pong, sessionAnswer, supernodeAddresses } from './wire.ts';

const options = Object.fromEntries(process.argv.slice(2).map((arg) => arg.split('=') as [string, string]));
const nets = (options.nets ?? '198.51.100').split(',');
const count = Number(options.count ?? 200);
const addresses = nets.flatMap((n) => supernodeAddresses(n, count));
const freshList = supernodeAddresses(nets[nets.length - 1]!, count);

let pingsSeen = 0;
let handshakes = 0;
const handshakeFrom = new Set<string>();

await Promise.all(addresses.map(async ({ ip, port }) => {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, remote) => {
    if (!isPing(message)) return;
    pingsSeen++;
    socket.send(pong(message[4]), remote.port, remote.address);
  });
  socket.bind(port, ip);
  await once(socket, 'listening');
}));

await Promise.all(addresses.map(async ({ ip, port }) => {
  const server = net.createServer((socket) => {
    let received = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (!answered && received.length >= 12) {
        answered = true;
        handshakes++;
        handshakeFrom.add(`${socket.remoteAddress}->${ip}:${port}`);
        socket.write(sessionAnswer());
        socket.end(encodeNodeList(freshList));
      }
    });
    socket.on('error', () => {});
  });
  server.listen(port, ip);
  await once(server, 'listening');
}));

process.stdout.write(`${JSON.stringify({ listening: true, addresses: addresses.length })}\n`);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'report') process.stdout.write(`${JSON.stringify({ pingsSeen, handshakes, handshakeFrom: [...handshakeFrom] })}\n`);
});
