// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the typed layer over a fake native queue: no root needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { META_WORDS, Meta, NfQueue, VERDICT_FLAG_SET_MARK, Verdict, type NativeQueue, type NativeQueueOptions } from '../lib/index.ts';

class FakeNative implements NativeQueue {
  static last: FakeNative | undefined;
  readonly packets = new ArrayBuffer(4096);
  readonly meta: ArrayBuffer;
  readonly verdicts: ArrayBuffer;
  readonly batchSize: number;
  onBatch: ((count: number) => void) | undefined;
  closed = 0;
  readonly options: NativeQueueOptions;
  constructor(options: NativeQueueOptions) {
    this.options = options;
    this.batchSize = options.batchSize ?? 4;
    this.meta = new ArrayBuffer(this.batchSize * META_WORDS * 4);
    this.verdicts = new ArrayBuffer(this.batchSize * 2 * 4);
    FakeNative.last = this;
  }
  start(onBatch: (count: number) => void): void { this.onBatch = onBatch; }
  close(): void { this.closed++; }
  counters() {
    return { packets: 0, batches: 0, verdicts: 0, verdictMessages: 0, enobufs: 0, receiveErrors: 0, sendErrors: 0, skippedMessages: 0 };
  }
  ref(): void {}
  unref(): void {}
  /** Simulates the native side: fill rows, prefill ACCEPT, call JS. */
  deliver(rows: Array<{ id: number; mark: number; offset: number; length: number }>): Uint32Array {
    const meta = new Uint32Array(this.meta);
    const verdicts = new Uint32Array(this.verdicts);
    rows.forEach((row, i) => {
      meta[i * META_WORDS + Meta.id] = row.id;
      meta[i * META_WORDS + Meta.mark] = row.mark;
      meta[i * META_WORDS + Meta.packetOffset] = row.offset;
      meta[i * META_WORDS + Meta.packetLength] = row.length;
      verdicts[i * 2] = Verdict.ACCEPT;
      verdicts[i * 2 + 1] = 0;
    });
    this.onBatch?.(rows.length);
    return verdicts;
  }
}

test('a batch exposes each packet row and records verdicts with marks', () => {
  const queue = new NfQueue({ queue: 3, batchSize: 4, native: FakeNative });
  const native = FakeNative.last!;
  assert.equal(native.options.queue, 3);
  assert.equal('native' in native.options, false, 'the injected constructor is not passed to native code');
  const seen: number[] = [];
  queue.start((batch) => {
    for (let i = 0; i < batch.count; i++) {
      seen.push(batch.id(i), batch.mark(i), batch.packetOffset(i), batch.packetLength(i));
    }
    batch.drop(0);
    batch.repeat(2, 0x10);
  });
  const verdicts = native.deliver([
    { id: 7, mark: 1, offset: 0, length: 28 },
    { id: 8, mark: 2, offset: 600, length: 40 },
    { id: 9, mark: 3, offset: 1200, length: 60 },
  ]);
  assert.deepEqual(seen, [7, 1, 0, 28, 8, 2, 600, 40, 9, 3, 1200, 60]);
  assert.deepEqual([...verdicts.subarray(0, 6)], [Verdict.DROP, 0, Verdict.ACCEPT, 0, (Verdict.REPEAT | VERDICT_FLAG_SET_MARK) >>> 0, 0x10]);
});

test('close is idempotent and reaches the native queue once', () => {
  const queue = new NfQueue({ queue: 0, native: FakeNative });
  queue.close();
  queue.close();
  assert.equal(FakeNative.last!.closed, 1);
  assert.equal(queue.closed, true);
});

test('the payload bytes are a view over native memory, not a copy', () => {
  const queue = new NfQueue({ queue: 0, native: FakeNative });
  const native = FakeNative.last!;
  new Uint8Array(native.packets)[100] = 0x45;
  assert.equal(queue.batch.bytes[100], 0x45);
  assert.equal(queue.batch.bytes.buffer, native.packets);
});
