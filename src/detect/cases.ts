import type { Occurrence } from '../findings/build.js';
import { staticIntel } from '../intel/static.js';
import { datasetRecords } from './dataset-records.js';
import { type CloudTrailRecord, DEFAULT_SETTINGS, type Detection, type NetworkCase, type DetectionCase, type DetectSettings } from './detection.js';
import { apiEventFromRecord } from './from-record.js';
import { dnsFromRecord, flowFromLine } from './network-records.js';
import { payloadRule, withoutUnreadPayloads } from './payloads.js';
import { DetectionRunner, StateStore } from './runner.js';

/** Settings a case runs with: the defaults, overridden by the case. */
function caseSettings(detectionCase: DetectionCase): DetectSettings {
  const { organizationAccounts, ...rest } = detectionCase.settings ?? {};
  return {
    ...DEFAULT_SETTINGS,
    ...rest,
    organizationAccounts: new Set(organizationAccounts ?? DEFAULT_SETTINGS.organizationAccounts),
  };
}

/** A case's records: its dataset references resolved, then its own records. */
export function caseRecords(detectionCase: DetectionCase): CloudTrailRecord[] {
  return [...(detectionCase.datasets ?? []).flatMap(datasetRecords), ...(detectionCase.records ?? [])];
}

/**
 * Replays a case's records, in order, through the detections (by default only the one the case belongs
 * to) and returns the findings raised. Records are sorted by eventTime as the engine does.
 */
export function runCase(detections: readonly Detection[], detectionCase: DetectionCase): Occurrence[] {
  const intel = staticIntel(detectionCase.intel ?? {});
  const build = { intel, detectorId: '0'.repeat(32), partition: 'aws' };
  const runner = new DetectionRunner(detections, intel, caseSettings(detectionCase), new StateStore(), build);
  const byTime = <T extends { time: number }>(list: T[]) => list.sort((a, b) => a.time - b.time);
  const payloads = payloadRule(detections);
  const events = caseRecords(detectionCase).map((record, index) => withoutUnreadPayloads(apiEventFromRecord(record, null, index + 1), payloads));
  for (const event of byTime(events)) runner.process(event);
  const network = detectionCase as NetworkCase;
  for (const flow of byTime((network.flows ?? []).map((line, index) => flowFromLine(line, index + 1)))) runner.processFlow(flow);
  for (const query of byTime((network.dns ?? []).map((record, index) => dnsFromRecord(record, index + 1)))) runner.processDns(query);
  return runner.finish();
}

/** The detections a case runs: the ones it names in `with` from `all`, then its own. */
export function caseDetections(detection: Detection, detectionCase: DetectionCase, all: readonly Detection[]): Detection[] {
  const others = (detectionCase.with ?? []).map((id) => {
    const found = all.find((d) => d.id === id);
    if (!found) throw new Error(`case ${detectionCase.name}: no detection ${id}`);
    return found;
  });
  return [...others, detection];
}

/** The distinct finding types raised by a case, sorted. */
export function typesRaised(occurrences: Occurrence[]): string[] {
  return [...new Set(occurrences.map((o) => o.finding.type))].sort();
}
