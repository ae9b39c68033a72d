// A detection run's JS heap is collected in full once it passes its budget, and not before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { CollectionLock, HeapBudget } from '../src/detect/heap-budget.js';

const MB = 2 ** 20;
const usedHeap = () => v8.getHeapStatistics().used_heap_size;

/** Leaves about `mb` MB of garbage in the heap: arrays held together long enough to reach the old generation. */
function makeGarbage(mb: number): void {
  const held: number[][] = [];
  for (let i = 0; i < mb * 16; i++) held.push(new Array<number>(8192).fill(i));
}

test('a heap under the budget is left to V8', () => {
  const budget = new HeapBudget(usedHeap() + 512 * MB);
  budget.check();
  assert.equal(budget.collections, 0);
});

test('a heap past the budget is collected back to what is live, and not again until it grows back', () => {
  const live = Array.from({ length: 4 * 16 }, (_, i) => new Array<number>(8192).fill(i));
  const budget = new HeapBudget(usedHeap() + 32 * MB);
  makeGarbage(64);
  const before = usedHeap();
  budget.check();
  assert.equal(budget.collections, 1);
  assert.ok(usedHeap() < before - 32 * MB, `heap went from ${before} to ${usedHeap()} bytes`);
  // Right after a collection the heap is far under its next budget (at least the floor).
  budget.check();
  assert.equal(budget.collections, 1);
  assert.equal(live.length, 64);
});

test("a thread's collection waits while another thread of the process holds the lock, then takes it", async () => {
  const lock = new CollectionLock();
  // Another thread takes the lock through the shared buffer and gives it back 300 ms later.
  const holder = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
    const cell = new Int32Array(workerData);
    Atomics.store(cell, 0, 1);
    parentPort.postMessage('held');
    setTimeout(() => { Atomics.store(cell, 0, 0); Atomics.notify(cell, 0); }, 300);`,
    { eval: true, workerData: lock.buffer },
  );
  try {
    await once(holder, 'message');
    const asked = Date.now();
    let ranAt = 0;
    lock.hold(() => (ranAt = Date.now()));
    assert.ok(ranAt - asked >= 250, `ran ${ranAt - asked} ms after asking`);
    // Released again: the next holder does not wait.
    const again = Date.now();
    lock.hold(() => (ranAt = Date.now()));
    assert.ok(ranAt - again < 100);
  } finally {
    await holder.terminate();
  }
});
