import type { DetectSettings, DnsDetection, FlowDetection } from '../../src/detect/detection.js';
import { dnsFromRecord, flowFromLine } from '../../src/detect/network-records.js';
import { DetectionRunner, StateStore } from '../../src/detect/runner.js';
import type { Occurrence } from '../../src/findings/build.js';
import { DEFAULT_SETTINGS } from '../../src/detect/detection.js';
import type { IntelLookup } from '../../src/intel/lookup.js';
import { staticIntel } from '../../src/intel/static.js';

/** What a run of network detections may be given: state persisted across calls (as the engine's), intel, settings. */
export interface NetworkRunOptions {
  state?: StateStore;
  intel?: IntelLookup;
  settings?: Partial<DetectSettings>;
}

function runner(detections: (FlowDetection | DnsDetection)[], o: NetworkRunOptions): DetectionRunner {
  const intel = o.intel ?? staticIntel({});
  return new DetectionRunner(detections, intel, { ...DEFAULT_SETTINGS, ...o.settings }, o.state ?? new StateStore(), { intel, detectorId: '0'.repeat(32), partition: 'aws' });
}

/** Runs flow lines through the detections in time order. */
export function runFlows(detections: FlowDetection[], lines: string[], o: NetworkRunOptions = {}): Occurrence[] {
  const run = runner(detections, o);
  for (const flow of lines.map((line, i) => flowFromLine(line, i + 1)).sort((a, b) => a.time - b.time)) run.processFlow(flow);
  return run.finish();
}

/** Runs Route 53 query records through the detections in the order given. */
export function runQueries(detections: DnsDetection[], records: Record<string, unknown>[], o: NetworkRunOptions = {}): Occurrence[] {
  const run = runner(detections, o);
  for (const query of records.map((record, i) => dnsFromRecord(record, i + 1))) run.processDns(query);
  return run.finish();
}

/** What the engine does between runs: state written as JSON and read back. */
export function reload(state: StateStore): StateStore {
  const next = new StateStore();
  for (const e of state.entries()) next.load(e.detectionId, e.key, JSON.parse(JSON.stringify(e.value)), e.usedAt);
  return next;
}

/** The state's size as the lake stores it (JSON characters). */
export const stateSize = (state: StateStore) => [...state.entries()].reduce((n, e) => n + JSON.stringify(e.value).length, 0);
