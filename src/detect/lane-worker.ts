import { parentPort, workerData } from 'node:worker_threads';
import { adoptCityData, packageGeo } from '../intel/geo.js';
import { buildLookup } from '../intel/matcher.js';
import { CollectionLock, DETECTION_HEAP_BUDGET, HeapBudget } from './heap-budget.js';
import { type Dictionaries, type EventSource, type FromLane, laneFeeder, type LaneSetup, type ToLane } from './lanes.js';
import { DETECTIONS } from './registry.js';
import { DetectionRunner, StateStore } from './runner.js';

/** A worker thread running one lane of detections (lanes.ts): chunks in, findings and state out. */
const { setup } = workerData as { setup: LaneSetup };
const ids = new Set(setup.detectionIds);
if (setup.cityV4) adoptCityData(setup.cityV4.file, setup.cityV4.data);
const intel = buildLookup({ ...setup.intel, geo: packageGeo() });
const state = new StateStore(setup.now, setup.since);
for (const [detectionId, key, value, usedAt] of setup.state) state.load(detectionId, key, value, usedAt);
const runner = new DetectionRunner(DETECTIONS.filter((d) => ids.has(d.id)), intel, setup.settings, state, { intel, detectorId: setup.detectorId, partition: setup.partition });
const feed = laneFeeder(runner);
const heap = new HeapBudget(DETECTION_HEAP_BUDGET, new CollectionLock(setup.collectionLock));
const dictionaries: Partial<Dictionaries> = {};
const reply = (message: FromLane) => parentPort!.postMessage(message);

parentPort!.on('message', (message: ToLane) => {
  if (message.type === 'chunk') {
    const source: EventSource = message.source;
    if (message.dictionary) (dictionaries as Record<EventSource, unknown>)[source] = message.dictionary;
    feed(source, dictionaries[source]!, message.chunk);
    heap.check();
    reply({ type: 'processed' });
  } else {
    const occurrences = runner.finish();
    reply({ type: 'finished', occurrences, state: state.rows(), signals: runner.counts.signals, trusted: runner.counts.trusted, latest: state.latest });
  }
});
