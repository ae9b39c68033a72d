// A detection run's JS heap is collected in full once it passes its budget, and not before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { HeapBudget } from '../src/detect/heap-budget.js';

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
