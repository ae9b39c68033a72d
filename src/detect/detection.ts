import type {
  FindingAction,
  FindingResource,
  FindingService,
  InstanceDetails,
  S3BucketDetail,
} from '../findings/guardduty-finding.js';
import type { Occurrence } from '../findings/build.js';
import type { IntelLookup, ThreatMatch } from '../intel/lookup.js';
import type { StaticIntelSpec } from '../intel/static.js';
import type { ApiEvent } from './api-event.js';
import type { InstanceLookup } from './instance-inventory.js';
import type { DnsEvent, FlowEvent, NetworkEvent } from './network-event.js';

/** Where a finding type's evidence comes from, as GuardDuty's catalogue names it. */
export type DataSource = 'CloudTrailManagement' | 'S3DataEvents' | 'VPCFlowLogs' | 'DNSLogs';

/**
 * One finding type: its catalogue entry. Title and description are templates; `{name}` is replaced by the
 * signal's `vars.name` (or by the common variables the engine fills: api, service, principal, ip,
 * bucket, listName, userAgent, account, region).
 */
export interface FindingTypeSpec {
  /** Exact GuardDuty name, or `Gumshoe:…/…` for types of our own. */
  type: string;
  dataSource: DataSource;
  /** Default severity, 1–10 (GuardDuty: High 8, Medium 5, Low 2). */
  severity: number;
  resourceType: FindingResource['resourceType'];
  /** MITRE ATT&CK tactic and technique, e.g. `TA0007 Discovery`, `T1580 Cloud Infrastructure Discovery`. */
  mitre: { tactic: string; technique: string };
  title: string;
  description: string;
  remediation: string;
}

export interface Signal {
  /** One of the detection's own types. */
  type: string;
  /** The event that triggered it: sets time, account, region, the caller and the API call action. */
  event: ApiEvent;
  /** Overrides the type's default severity (variable-severity types). */
  severity?: number;
  resourceRole?: 'ACTOR' | 'TARGET';
  /**
   * Distinguishes findings of the same type on the same resource that should not be merged, e.g. the
   * threat list or the remote account. Repeats with the same key update one finding.
   */
  aggregateBy?: string;
  /** The principal or resource the finding is about when it is not the caller's access key. */
  resource?: Partial<FindingResource>;
  buckets?: S3BucketDetail[];
  instance?: InstanceDetails;
  /** Replaces the API call action built from the event (network and DNS types). */
  action?: FindingAction;
  threat?: ThreatMatch;
  remoteAccount?: { accountId: string; affiliated: boolean };
  additionalInfo?: Record<string, unknown>;
  /** Extra values for the title/description templates. */
  vars?: Record<string, string | number>;
  /** Further events that make up this occurrence (for evidence); the triggering event is always included. */
  related?: ApiEvent[];
  /** `service.detection` content (anomaly profiles, attack-sequence signals). */
  detection?: FindingService['detection'];
  /** When the activity began, if before `event` (an attack sequence's first signal): the finding's eventFirstSeen. */
  since?: number;
  /** When the activity ended, if after `event` (a burst's last call, `event` its telling one): the finding's eventLastSeen. */
  until?: number;
  /**
   * Reports again an occurrence an earlier signal counted (a burst or sequence that grew, maybe in a later
   * run): it updates the finding without counting it again, so a split run counts as a batch does.
   */
  continues?: boolean;
}

/** Settings that tune stateful detections; persisted nowhere, passed per run. */
export interface DetectSettings {
  /** Days a principal/resource is only learned before first-seen and anomaly types may fire. */
  learningDays: number;
  /** Accounts that belong to the organisation (affiliated for InstanceCredentialExfiltration.InsideAWS). */
  organizationAccounts: ReadonlySet<string>;
}

export const DEFAULT_SETTINGS: DetectSettings = { learningDays: 7, organizationAccounts: new Set() };

export interface DetectionContext {
  emit(signal: Signal): void;
  intel: IntelLookup;
  settings: DetectSettings;
  /**
   * The detection's persisted state under `key`: created by `init` the first time, then the same
   * JSON-serialisable object on every later call and in later runs. Keep it bounded. Ask again on each use:
   * an entry is retired 180 days (in event time) after its last asking, and a cached object's last asking
   * stays at the first.
   */
  state<T>(key: string, init: () => T): T;
  /**
   * When the run started (epoch ms, the wall clock): how far CloudTrail can have delivered, for decisions
   * that wait for an event that may come in a later run's files.
   */
  now: number;
}

/** A raw CloudTrail record, as delivered (plain JSON object). */
export type CloudTrailRecord = Record<string, unknown>;

/**
 * Real labelled events from ../shared/datasets, referenced rather than copied: a Panther rule test by rule
 * id and test name, every record of a Stratus Red Team technique, or the OTRF cloud-breach capture.
 */
export type DatasetRef =
  | { panther: string; test: string }
  | { stratus: string }
  | { otrf: 'all' | 'malicious' | 'benign' };

export interface DetectionCase {
  name: string;
  /** Events replayed in time order through the detection (and, in the engine test, through a real lake). */
  records?: CloudTrailRecord[];
  datasets?: DatasetRef[];
  /** Finding types that must be raised (empty: nothing may be raised). */
  expect: string[];
  /** The Stratus Red Team technique a hand-made case reproduces (dataset cases name theirs already). */
  technique?: string;
  /** Intel the case needs (threat and trusted lists, Tor nodes, AWS ranges). */
  intel?: StaticIntelSpec;
  settings?: Partial<Omit<DetectSettings, 'organizationAccounts'>> & { organizationAccounts?: string[] };
  /**
   * Ids of other detections run alongside (correlations build on their findings); only this detection's
   * own types are then compared with `expect`.
   */
  with?: string[];
}

/**
 * A detection module: one finding type or one family, with its metadata, logic and test cases together.
 * `apis` lets the engine route only matching events to it; omit it to see every event.
 */
export interface ApiDetection {
  id: string;
  source: 'cloudtrail';
  types: FindingTypeSpec[];
  apis?: readonly string[];
  /**
   * Events, beyond its routed `apis`, whose JSON payloads (request, response, additional data, resources)
   * the detection reads. The engine reads payloads only for these; the case harness strips the others, so
   * a missing declaration fails the detection's own cases.
   */
  payloads?: { apis?: readonly string[]; services?: readonly string[] };
  /**
   * Sees VPC endpoints' network activity events too, and only those (they repeat a call logged elsewhere,
   * so other detections never get them; for a caller of another account they are all the endpoint's owner sees).
   */
  networkActivity?: boolean;
  onEvent(event: ApiEvent, context: DetectionContext): void;
  /** Called once after the last event of a run (flush windows). */
  finish?(context: DetectionContext): void;
  /**
   * Called after every detection has finished, with the run's findings so far (correlation: attack
   * sequences). Signals emitted here must carry the event of the finding they build on.
   */
  correlate?(occurrences: readonly Occurrence[], context: DetectionContext): void;
  /** Built when asked, not at import: building every detection's cases took ~0.4 s of each command's start. */
  cases(): DetectionCase[];
}

/** A signal from VPC flow or DNS records: the finding's action is always the detection's own. */
export interface NetworkSignal {
  type: string;
  event: NetworkEvent;
  action: FindingAction;
  severity?: number;
  resourceRole?: 'ACTOR' | 'TARGET';
  aggregateBy?: string;
  /** The affected instance; by default resolved from the event (instance id, interface, local IP). */
  instance?: InstanceDetails;
  /** The remote party, checked against trusted lists (IP lists for flows; entity lists for DNS). */
  remoteIp?: string;
  domain?: string;
  threat?: ThreatMatch;
  /**
   * Every list behind an occurrence that aggregates several remote parties (port probes by scanners on
   * different lists), latest first; the evidence names each. Defaults to `threat` alone.
   */
  threats?: ThreatMatch[];
  additionalInfo?: Record<string, unknown>;
  vars?: Record<string, string | number>;
  related?: NetworkEvent[];
  /**
   * When the activity began, for threshold types raised on the record that crossed the threshold: the
   * window's first event, the finding's eventFirstSeen.
   */
  since?: number;
  /**
   * When the activity ended, if after `event`: a record delivered late that completes a window already holding
   * newer ones raises it, and the window's newest record is the finding's eventLastSeen.
   */
  until?: number;
}

export interface NetworkDetectionContext {
  emit(signal: NetworkSignal): void;
  intel: IntelLookup;
  settings: DetectSettings;
  state<T>(key: string, init: () => T): T;
  instances: InstanceLookup;
}

/** Test input for network detections: flow lines in FLOW_CASE_HEADER's format, raw Route 53 query records. */
export interface NetworkCase extends DetectionCase {
  flows?: string[];
  dns?: Record<string, unknown>[];
}

export interface FlowDetection {
  id: string;
  source: 'vpcflow';
  types: FindingTypeSpec[];
  onFlow(flow: FlowEvent, context: NetworkDetectionContext): void;
  finish?(context: NetworkDetectionContext): void;
  cases(): NetworkCase[];
}

export interface DnsDetection {
  id: string;
  source: 'dns';
  types: FindingTypeSpec[];
  onDns(query: DnsEvent, context: NetworkDetectionContext): void;
  finish?(context: NetworkDetectionContext): void;
  cases(): NetworkCase[];
}

export type Detection = ApiDetection | FlowDetection | DnsDetection;
