import type { CloudTrailRecord } from '../detect/detection.js';
import type { StaticIntelSpec } from '../intel/static.js';

/**
 * An attack (or a single technique) the simulator mixes into the background: the raw records it leaves in
 * each log source, the intel it relies on, and the finding types it must raise.
 */
export interface Scenario {
  /** Stable id, e.g. `root-credential-usage/root-access-key-used-from-the-cli` or `incident/leaked-access-key`. */
  id: string;
  description: string;
  /** Finding types Gumshoe must raise on this scenario's events. */
  expect: string[];
  /** Stratus Red Team technique ids the scenario reproduces. */
  techniques: string[];
  /** Where the events come from: a detection's own case, or a hand-written incident. */
  origin: 'case' | 'incident';
  records: CloudTrailRecord[];
  /** Flow-log lines in FLOW_CASE_HEADER's format. */
  flows: string[];
  /** Route 53 Resolver query-log records. */
  dns: Record<string, unknown>[];
  intel: StaticIntelSpec;
}

/** Where and when a scenario was written, as recorded in scenarios.json. */
export interface PlacedScenario {
  id: string;
  description: string;
  expect: string[];
  techniques: string[];
  origin: Scenario['origin'];
  /** First and last event time after placement, ISO. */
  window: { start: string; end: string };
  /** Principals, access keys, IPs, instances, buckets and domains the events name. */
  entities: Record<string, string[]>;
  /** Files written for this scenario, relative to the output directory. */
  files: string[];
}
