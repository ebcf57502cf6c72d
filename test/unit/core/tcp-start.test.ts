// SPDX-License-Identifier: GPL-2.0-or-later
// The safety net's reassembly of a TCP flow's start: order, retransmissions, overlaps, limits, LRU.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StartState, TcpStarts } from '../../../src/core/tcp-start.ts';

const A = 0x0a4d010a;
const B = 0xc6336407;
const ISN = 0xfffffff0 | 0; // wraps within the first bytes

function flow(starts: TcpStarts, srcPort = 40000) {
  const add = (seq: number, text: string, syn = false) => {
    const bytes = Buffer.from(`..${text}`); // at an offset, as in a packet
    return starts.add(A, B, srcPort, 1214, seq | 0, syn, bytes, 2, text.length);
  };
  const text = (slot: number) => Buffer.from(starts.bytes.subarray(starts.offset(slot), starts.offset(slot) + starts.length(slot))).toString();
  return { add, text, syn: () => add(ISN, '', true) };
}

test('in order, across the sequence-number wrap', () => {
  const starts = new TcpStarts();
  const { add, text, syn } = flow(starts);
  syn();
  add(ISN + 1, 'GET /.ha');
  const slot = add(ISN + 9, 'sh=1234');
  assert.equal(text(slot), 'GET /.hash=1234');
  assert.equal(starts.segments(slot), 2);
  assert.equal(starts.state(slot), StartState.WATCHING);
});

test('out of order: nothing counts until the gap is filled', () => {
  const starts = new TcpStarts();
  const { add, text, syn } = flow(starts);
  syn();
  let slot = add(ISN + 1 + 11, 'KazaaClient\r\n');
  assert.equal(text(slot), '', 'a gap at the start: no bytes yet');
  slot = add(ISN + 1 + 5, 'gent: ');
  assert.equal(text(slot), '');
  slot = add(ISN + 1, 'UserA');
  assert.equal(text(slot), 'UserAgent: KazaaClient\r\n');
});

test('retransmissions and overlaps: the first copy of a byte wins', () => {
  const starts = new TcpStarts();
  const { add, text, syn } = flow(starts);
  syn();
  add(ISN + 1, 'X-Kaz');
  add(ISN + 1, 'X-Kaz'); // retransmitted
  add(ISN + 1, 'Y-Yyyyyy-'); // overlapping, different bytes: only the new tail counts
  let slot = add(ISN + 4, 'zzzzzz-Username: a\r\n');
  assert.equal(text(slot), 'X-Kazyyy--Username: a\r\n');
  slot = add(ISN - 3, 'xxxxX-Kaz'); // starts before the first byte: clipped
  assert.equal(text(slot), 'X-Kazyyy--Username: a\r\n');
  assert.equal(starts.segments(slot), 5);
});

test('a marker split over three segments, in lower case, with a middle segment lost first', () => {
  const starts = new TcpStarts();
  const { add, text, syn } = flow(starts);
  syn();
  add(ISN + 1, 'GET / HTTP/1.1\r\nx-ka');
  add(ISN + 1 + 24, 'username: x\r\n');
  const slot = add(ISN + 1 + 20, 'zaa');
  assert.equal(text(slot), 'GET / HTTP/1.1\r\nx-kazaa', 'up to the byte still missing');
  assert.equal(text(add(ISN + 1 + 20, 'zaa-')), 'GET / HTTP/1.1\r\nx-kazaa-username: x\r\n');
});

test('without its SYN, the first data segment seen is the start; a new SYN starts afresh', () => {
  const starts = new TcpStarts();
  const { add, text } = flow(starts);
  let slot = add(5000, 'abc');
  add(5003, 'def');
  assert.equal(text(slot), 'abcdef');
  slot = add(77, 'GIVE 1', true); // TFO: data on a SYN starts at ISN + 1
  assert.equal(text(slot), 'GIVE 1');
  assert.equal(starts.state(slot), StartState.WATCHING);
  assert.equal(text(add(77, 'GIVE 1', true)), 'GIVE 1', 'a retransmitted SYN with the same ISN keeps the flow');
  assert.equal(text(add(84, '2\r\n')), 'GIVE 12\r\n');
});

test('the byte limit and the segment limit', () => {
  const starts = new TcpStarts({ flows: 4, bytes: 16, segments: 4 });
  const { add, text, syn } = flow(starts);
  syn();
  let slot = add(ISN + 1, 'abcdefghij');
  assert.equal(starts.full(slot), false);
  slot = add(ISN + 11, 'klmnopqrstuvwxyz');
  assert.equal(text(slot), 'abcdefghijklmnop', 'kept up to the limit');
  assert.equal(starts.full(slot), true);
  const other = flow(starts, 40001);
  other.syn();
  for (let i = 0; i < 3; i++) slot = other.add(ISN + 1, 'a'); // retransmissions count as segments
  assert.equal(starts.full(slot), false);
  slot = other.add(ISN + 1, 'a');
  assert.equal(starts.full(slot), true);
  starts.setState(slot, StartState.CLEAN);
  slot = other.add(ISN + 2, 'bcd');
  assert.equal(other.text(slot), 'a', 'a judged flow takes no more bytes');
});

test('LRU: at most `flows` flows; the least recently used goes, WATCHING ones are counted', () => {
  const starts = new TcpStarts({ flows: 8, bytes: 32, segments: 4 });
  starts.setState(flow(starts, 1).add(100, 'flow 1'), StartState.CLEAN);
  for (let port = 2; port <= 8; port++) flow(starts, port).add(100, `flow ${port}`);
  assert.equal(starts.size, 8);
  const second = flow(starts, 2);
  assert.equal(second.text(second.add(106, '!')), 'flow 2!', 'flow 2 used again: now the most recent');
  for (let port = 9; port <= 12; port++) flow(starts, port).add(100, `flow ${port}`);
  assert.equal(starts.size, 8);
  assert.equal(starts.evicted, 3, 'flows 1, 3, 4, 5 went; flow 1 was judged, so not counted');
  const third = flow(starts, 3);
  assert.equal(third.text(third.add(107, 'again')), 'again', 'flow 3 starts afresh');
  assert.equal(second.text(second.add(107, '')), 'flow 2!', 'flow 2 is still there');
  // Many flows through a small table: every lookup still finds the flows that are in it.
  const big = new TcpStarts({ flows: 64, bytes: 8, segments: 2 });
  for (let i = 0; i < 10_000; i++) {
    const slot = big.add(A + (i % 97), B, 1000 + (i % 131), 80, i, false, Buffer.from('xy'), 0, 2);
    assert.equal(Buffer.from(big.bytes.subarray(big.offset(slot), big.offset(slot) + 2)).toString(), 'xy');
    assert.ok(big.size <= 64);
  }
  for (let i = 9_990; i < 10_000; i++) {
    const slot = big.add(A + (i % 97), B, 1000 + (i % 131), 80, i + 2, false, Buffer.from('z'), 0, 1);
    assert.equal(big.length(slot), 3, `flow ${i} still held`);
  }
});
