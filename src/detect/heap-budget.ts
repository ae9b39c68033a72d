import v8 from 'node:v8';
import vm from 'node:vm';

/** The JS heap a detection run (each of its threads) may fill before its garbage is collected in full. */
export const DETECTION_HEAP_BUDGET = 256 * 2 ** 20;

/** How long a thread waits for another's collection before collecting anyway (that thread may be gone). */
const LOCK_WAIT_MS = 10_000;

/**
 * Makes the flag, collect, flag sequence of `HeapBudget` exclusive among the threads of the process. V8's
 * flags are process-wide: without it, a detection worker clearing the flag while the main thread collects
 * would leave that collection uncompacted. Workers are given the main thread's lock by its buffer (lanes.ts).
 */
export class CollectionLock {
  private readonly cell: Int32Array;

  constructor(readonly buffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(buffer);
  }

  hold(work: () => void): void {
    const deadline = Date.now() + LOCK_WAIT_MS;
    // Past the deadline the lock is taken over: released below like one acquired.
    while (Atomics.compareExchange(this.cell, 0, 0, 1) !== 0 && Date.now() < deadline) Atomics.wait(this.cell, 0, 1, deadline - Date.now());
    try {
      work();
    } finally {
      Atomics.store(this.cell, 0, 0);
      Atomics.notify(this.cell, 0);
    }
  }
}

/** This thread's lock. The main thread's is the process's: workers are given its buffer (lanes.ts) and use that. */
export const processCollectionLock = new CollectionLock();

/**
 * Keeps the JS heap of a long detection run within a multiple of what it holds live. Detections keep
 * bounded state whose entries are replaced all the time (windows, least-recently-used tables), and V8,
 * sizing its heap by the machine's memory, lets that garbage grow to several times the live state before
 * collecting it: 933 MB of heap for under 200 MB live over 20M flow records. Once the heap passes the
 * budget, a full, compacting collection brings it back to the live state, and the next budget is `GROWTH`
 * times that (never below `floor`). Runs whose heap stays under `floor` never pay for a collection.
 */
export class HeapBudget {
  private static readonly GROWTH = 2;
  private static collect: (() => void) | undefined;
  private budget: number;
  collections = 0;

  constructor(
    private readonly floor: number,
    private readonly lock = processCollectionLock,
  ) {
    this.budget = floor;
    if (!HeapBudget.collect) {
      // Node exposes a full collection only behind this flag; a fresh context picks up the `gc` it defines.
      v8.setFlagsFromString('--expose-gc');
      HeapBudget.collect = vm.runInNewContext('gc') as () => void;
    }
  }

  /** Collects when the heap has grown past the budget, then sets the next budget from what stayed live. */
  check(): void {
    if (v8.getHeapStatistics().used_heap_size < this.budget) return;
    // Compacting moves the survivors out of half-empty pages, so the pages are returned, not just the
    // objects freed; only this collection compacts, V8's own keep their usual cost.
    this.lock.hold(() => {
      v8.setFlagsFromString('--compact-on-every-full-gc');
      try {
        HeapBudget.collect!();
      } finally {
        v8.setFlagsFromString('--no-compact-on-every-full-gc');
      }
    });
    this.collections++;
    this.budget = Math.max(this.floor, v8.getHeapStatistics().used_heap_size * HeapBudget.GROWTH);
  }
}
