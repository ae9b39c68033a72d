import { Worker } from 'node:worker_threads';
import type { Occurrence } from '../findings/build.js';
import { sharedCityV4 } from '../intel/geo.js';
import type { IntelData } from '../intel/matcher.js';
import type { Detection, DetectSettings } from './detection.js';
import { processCollectionLock } from './heap-budget.js';
import { INVENTORY_STATE_ID } from './instance-inventory.js';
import { type ApiDictionary, apiEventsOf } from './lake-events.js';
import { dnsEventsOf, type FlowDictionary, flowDecoder } from './lake-network-events.js';
import type { JoinedDictionary, ReadChunk, RowChunk } from './lake-rows.js';
import type { DetectionRunner, SavedStateRow } from './runner.js';

/**
 * Detection on several cores. The main thread reads every chunk from DuckDB, sends a copy to each worker
 * thread whose detections read that source, and then runs its own detections on it; each lane makes the
 * chunk's events itself and keeps its detections' state. At the end the workers' findings join the main
 * thread's, where correlation sees them all (lane-plan.ts decides which detections run where).
 */
export type EventSource = 'api' | 'flow' | 'dns';
export interface Dictionaries {
  api: ApiDictionary;
  flow: FlowDictionary;
  dns: JoinedDictionary;
}

/** One detection_state row: detection id, key, value, last used (epoch ms). */
export type StateRow = [string, string, unknown, number];

/** What a worker lane starts from. */
export interface LaneSetup {
  detectionIds: string[];
  settings: DetectSettings;
  intel: Omit<IntelData, 'geo'>;
  state: StateRow[];
  detectorId: string;
  partition: string;
  now: number;
  /** The latest record time earlier runs processed (StateStore). */
  since: number;
  /** The IPv4 city database, shared with the main thread (geo.ts). */
  cityV4?: { file: string; data: SharedArrayBuffer };
  /** The main thread's lock around heap collections (heap-budget.ts). */
  collectionLock: SharedArrayBuffer;
}

/** What every worker of a run starts from. */
export type WorkerSetup = Omit<LaneSetup, 'detectionIds' | 'state' | 'cityV4' | 'collectionLock'>;

export type ToLane =
  | { type: 'chunk'; source: EventSource; dictionary?: Dictionaries[EventSource]; chunk: RowChunk }
  | { type: 'finish' };
export type FromLane =
  | { type: 'processed' }
  | { type: 'finished'; occurrences: Occurrence[]; state: SavedStateRow[]; signals: number; trusted: number; latest: number };

/** Chunks a worker may have queued before the main thread waits for it: bounds the memory they hold. */
const MAX_QUEUED = 8;

/** The sources a lane's detections need: network detections also need CloudTrail, for the instance inventory. */
export function sourcesOf(detections: readonly Detection[]): Set<EventSource> {
  const sources = new Set<EventSource>();
  for (const d of detections) {
    sources.add('api');
    if (d.source === 'vpcflow') sources.add('flow');
    if (d.source === 'dns') sources.add('dns');
  }
  return sources;
}

/** Makes a chunk's events and runs a runner's detections on them. */
export function laneFeeder(runner: DetectionRunner): <S extends EventSource>(source: S, dictionary: Dictionaries[S], chunk: RowChunk) => void {
  const flows = flowDecoder();
  return (source, dictionary, chunk) => {
    if (source === 'api') for (const event of apiEventsOf(dictionary as ApiDictionary, chunk)) runner.process(event);
    else if (source === 'flow') for (const flow of flows(dictionary as FlowDictionary, chunk)) runner.processFlow(flow);
    else for (const query of dnsEventsOf(dictionary as JoinedDictionary, chunk)) runner.processDns(query);
  };
}

/** Rows in a chunk: every reader reads at least one numeric field. */
const rowsOf = (chunk: RowChunk) => chunk.numbers[0]!.length;

type Finished = Extract<FromLane, { type: 'finished' }>;

/** A worker thread running one lane. */
class WorkerLane {
  private readonly worker: Worker;
  private queued = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: Error) => void;
  private finished: ((result: Finished) => void) | undefined;
  private readonly sent = new Map<EventSource, unknown>();

  constructor(readonly sources: Set<EventSource>, setup: LaneSetup) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
    this.worker = laneWorker(setup);
    this.worker.on('message', (message: FromLane) => {
      if (message.type === 'processed') {
        this.queued--;
        this.wake?.();
      } else this.finished?.(message);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`a detection worker stopped (exit code ${code})`)));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    this.wake?.();
  }

  /** Sends a chunk (with its dictionary, the first time), waiting while too many are queued. */
  async send(source: EventSource, dictionary: unknown, chunk: RowChunk): Promise<void> {
    if (this.failure) throw this.failure;
    const message: ToLane = { type: 'chunk', source, chunk, ...(this.sent.get(source) === dictionary ? {} : { dictionary: dictionary as Dictionaries[EventSource] }) };
    this.sent.set(source, dictionary);
    this.worker.postMessage(message);
    this.queued++;
    while (this.queued >= MAX_QUEUED && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
  }

  finish(): Promise<Finished> {
    const finished = new Promise<Finished>((resolve) => (this.finished = resolve));
    this.worker.postMessage({ type: 'finish' } satisfies ToLane);
    return Promise.race([finished, this.failed]);
  }

  async stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * The worker of a lane. Run from TypeScript source (the tests), it first registers tsx in its own thread,
 * which a worker does not inherit.
 */
function laneWorker(setup: LaneSetup): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './lane-worker.ts' : './lane-worker.js', import.meta.url);
  return fromSource
    ? new Worker(new URL('./tsx-worker.mjs', import.meta.url), { workerData: { entry: entry.href, setup } })
    : new Worker(entry, { workerData: { setup } });
}

/** The run's lanes: the main thread's runner and the workers. */
export class DetectionLanes {
  readonly rows: Record<EventSource, number> = { api: 0, flow: 0, dns: 0 };
  private readonly feed: ReturnType<typeof laneFeeder>;

  private constructor(
    private readonly runner: DetectionRunner,
    private readonly sources: Set<EventSource>,
    private readonly workers: WorkerLane[],
  ) {
    this.feed = laneFeeder(runner);
  }

  /**
   * Starts a worker for every lane past the first; `state` is split so that each lane holds its own
   * detections' state (and a copy of the instance inventory). With `shareCity` (the run has CloudTrail
   * events, whose detections look up every caller's address) the workers share the main thread's city
   * database; otherwise a thread reads it only if it builds a finding with a public address.
   */
  static start(runner: DetectionRunner, plan: Detection[][], state: StateRow[], setup: (WorkerSetup & { shareCity: boolean }) | undefined): DetectionLanes {
    if (plan.length > 1 && !setup) throw new Error('worker lanes need the intel as data');
    const cityV4 = plan.length > 1 && setup!.shareCity ? sharedCityV4() : undefined;
    const workers = plan.slice(1).map((detections) => {
      const ids = new Set(detections.map((d) => d.id));
      const own = state.filter(([id]) => ids.has(id) || id === INVENTORY_STATE_ID);
      return new WorkerLane(sourcesOf(detections), { ...setup!, detectionIds: [...ids], state: own, cityV4, collectionLock: processCollectionLock.buffer });
    });
    return new DetectionLanes(runner, sourcesOf(plan[0]!), workers);
  }

  /** Detection ids whose state a worker holds (the main thread's store leaves them out). */
  static workerIds(plan: Detection[][]): Set<string> {
    return new Set(plan.slice(1).flat().map((d) => d.id));
  }

  async process<S extends EventSource>(source: S, { dictionary, chunk }: ReadChunk<Dictionaries[S]>): Promise<void> {
    this.rows[source] += rowsOf(chunk);
    for (const worker of this.workers) if (worker.sources.has(source)) await worker.send(source, dictionary, chunk);
    if (this.sources.has(source)) this.feed(source, dictionary, chunk);
  }

  /**
   * Every lane's findings, the workers' correlated with the main thread's, every lane's state, and the latest
   * record time any lane processed (a worker may be alone in reading flow or DNS records). Each lane holds
   * its detections' state and a copy of the instance inventory, which lookups may have added (empty)
   * accounts to: the main thread's copy, with what only a worker's has, last used when any lane last used it
   * (a flow lane looks up accounts whose CloudTrail is quiet).
   */
  async finish(): Promise<{ occurrences: Occurrence[]; state: SavedStateRow[]; signals: number; trusted: number; latest: number }> {
    const results = await Promise.all(this.workers.map((worker) => worker.finish()));
    const occurrences = this.runner.finish(results.flatMap((r) => r.occurrences));
    const state = new Map<string, SavedStateRow>();
    for (const row of [...this.runner.state.rows(), ...results.flatMap((r) => r.state)]) {
      const key = `${row[0]}\u0000${row[1]}`;
      const kept = state.get(key);
      if (!kept) state.set(key, row);
      else if (row[3] > kept[3]) kept[3] = row[3];
    }
    return {
      occurrences,
      state: [...state.values()],
      signals: this.runner.counts.signals + results.reduce((sum, r) => sum + r.signals, 0),
      trusted: this.runner.counts.trusted + results.reduce((sum, r) => sum + r.trusted, 0),
      latest: Math.max(this.runner.state.latest, ...results.map((r) => r.latest)),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop()));
  }
}
