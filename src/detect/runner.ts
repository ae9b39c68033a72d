import {
  apiSignalKey,
  type BuildContext,
  buildNetworkOccurrence,
  buildOccurrence,
  type EvidenceRef,
  evidenceOf,
  networkSignalKey,
  type Occurrence,
  PendingOccurrence,
} from '../findings/build.js';
import type { IntelLookup } from '../intel/lookup.js';
import type { ApiEvent } from './api-event.js';
import type {
  ApiDetection,
  Detection,
  DetectionContext,
  DetectSettings,
  DnsDetection,
  FindingTypeSpec,
  FlowDetection,
  NetworkDetectionContext,
  NetworkSignal,
  Signal,
} from './detection.js';
import { hostOf, InstanceInventory } from './instance-inventory.js';
import { DETECTIONS } from './registry.js';
import type { DnsEvent, FlowEvent } from './network-event.js';

/** A detection_state row as stored: detection id, key, value as JSON text, last used (epoch ms). */
export type SavedStateRow = [string, string, string, number];

/**
 * Persisted detection state, keyed by detection id and the detection's own key, with when each was last used:
 * in event time, the latest time of the records processed when it was used, so that what is retired (engine.ts)
 * follows the logs, not the wall clock: a year of logs detected in one afternoon leaves what its last months
 * used, and months without a run forget nothing the logs have not moved past.
 */
export class StateStore {
  /** One map per detection: a lookup hashes the detection's own key only, not a joined one. */
  private readonly byDetection = new Map<string, Map<string, { value: unknown; usedAt: number }>>();
  /** The time of the record being processed (advance): what a use stamps an entry with. */
  private eventTime: number;
  /** The latest record time processed in this run (-Infinity: none yet). */
  private latestTime = Number.NEGATIVE_INFINITY;

  /**
   * `now`: the run's wall clock, which detections read (DetectionContext.now); a record dated after it does
   * not move event time. `since`: the event time uses are stamped with until a record is processed (the
   * latest time earlier runs processed).
   */
  constructor(
    readonly now: number = Date.now(),
    since: number = now,
  ) {
    this.eventTime = since;
  }

  /**
   * The runner is processing a record of `time`. One dated after the wall clock (a skewed or bogus record)
   * keeps the time before it: stamped with its own time, what it touches would outlive everything else.
   */
  advance(time: number): void {
    if (!(time <= this.now)) return;
    this.eventTime = time;
    if (time > this.latestTime) this.latestTime = time;
  }

  /** The latest record time processed in this run (-Infinity: none). */
  get latest(): number {
    return this.latestTime;
  }

  /** Uses after the records (finishing, correlating) count as at the latest one processed. */
  settle(): void {
    if (this.latestTime > this.eventTime) this.eventTime = this.latestTime;
  }

  private values(detectionId: string): Map<string, { value: unknown; usedAt: number }> {
    let values = this.byDetection.get(detectionId);
    if (!values) this.byDetection.set(detectionId, (values = new Map()));
    return values;
  }

  load(detectionId: string, key: string, value: unknown, usedAt: number): void {
    this.values(detectionId).set(key, { value, usedAt });
  }

  get<T>(detectionId: string, key: string, init: () => T): T {
    return this.lookup(this.values(detectionId), key, init);
  }

  /** `get` for one detection, bound once: what the runner hands each detection as its `state`. */
  of(detectionId: string): <T>(key: string, init: () => T) => T {
    const values = this.values(detectionId);
    return (key, init) => this.lookup(values, key, init);
  }

  /** Records are processed in time order per source, not across sources: a use never moves `usedAt` back. */
  private lookup<T>(values: Map<string, { value: unknown; usedAt: number }>, key: string, init: () => T): T {
    const entry = values.get(key);
    if (!entry) {
      const value = init();
      values.set(key, { value, usedAt: this.eventTime });
      return value;
    }
    if (entry.usedAt < this.eventTime) entry.usedAt = this.eventTime;
    return entry.value as T;
  }

  /** Every entry; detections mutate their state objects in place, so all are written back. */
  *entries(): Generator<{ detectionId: string; key: string; value: unknown; usedAt: number }> {
    for (const [detectionId, values] of this.byDetection) {
      for (const [key, { value, usedAt }] of values) yield { detectionId, key, value, usedAt };
    }
  }

  /**
   * The entries as detection_state rows, their values as JSON text: made here, since a value may be a class
   * whose toJSON says what is kept (flow-windows.ts), which a copy to another thread would not keep.
   */
  rows(): SavedStateRow[] {
    return [...this.entries()].map(({ detectionId, key, value, usedAt }) => [detectionId, key, JSON.stringify(value), usedAt]);
  }
}

/**
 * A detection's error, naming the detection: the message alone (a TypeError deep in one of dozens of
 * detections, maybe on a worker thread) does not tell an operator or a bug report which one failed.
 */
export class DetectionFailed extends Error {
  constructor(detectionId: string, cause: unknown) {
    super(`detection ${detectionId} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** `work` with its failure named after the detection. */
const naming = (detectionId: string, work: () => void) => () => {
  try {
    work();
  } catch (error) {
    throw new DetectionFailed(detectionId, error);
  }
};

export interface RunnerCounts {
  events: number;
  flows: number;
  queries: number;
  signals: number;
  /** Signals dropped because the remote IP or domain is on a trusted list. */
  trusted: number;
}

/**
 * Runs detections over events in the order given, merging their signals into one occurrence per finding.
 * It knows nothing of the lake: the engine feeds it from DuckDB, tests from raw records. CloudTrail events
 * come first, so the instance inventory they build is there for the flow and DNS records that follow.
 */
export class DetectionRunner {
  readonly counts: RunnerCounts = { events: 0, flows: 0, queries: 0, signals: 0, trusted: 0 };
  readonly instances: InstanceInventory;
  private readonly pending = new Map<string, PendingOccurrence>();
  /** Keys with signals since their finding was last built. */
  private readonly changed = new Set<string>();
  private readonly byApi = new Map<string, [ApiDetection, DetectionContext][]>();
  private readonly everyEvent: [ApiDetection, DetectionContext][] = [];
  private readonly networkActivity: [ApiDetection, DetectionContext][] = [];
  private readonly flowDetections: [FlowDetection, NetworkDetectionContext][] = [];
  private readonly dnsDetections: [DnsDetection, NetworkDetectionContext][] = [];
  private readonly finishers: (() => void)[] = [];
  private readonly apiContexts: [ApiDetection, DetectionContext][] = [];

  constructor(
    readonly detections: readonly Detection[],
    readonly intel: IntelLookup,
    readonly settings: DetectSettings,
    readonly state: StateStore,
    private readonly build: BuildContext,
  ) {
    this.instances = new InstanceInventory(state);
    for (const detection of detections) {
      const specs = new Map<string, FindingTypeSpec>(detection.types.map((spec) => [spec.type, spec]));
      const spec = (type: string) => {
        const found = specs.get(type);
        if (!found) throw new Error(`detection ${detection.id} emitted ${type}, which it does not declare`);
        return found;
      };
      const common = {
        intel: this.intel,
        settings: this.settings,
        state: this.state.of(detection.id),
      };
      if (detection.source === 'cloudtrail') {
        const context: DetectionContext = { ...common, now: this.state.now, emit: (signal: Signal) => this.emitApi(detection.id, spec(signal.type), signal) };
        this.apiContexts.push([detection, context]);
        if (detection.finish) this.finishers.push(naming(detection.id, () => detection.finish!(context)));
        if (detection.networkActivity) this.networkActivity.push([detection, context]);
        else if (!detection.apis) this.everyEvent.push([detection, context]);
        for (const api of detection.apis ?? []) this.byApi.set(api, [...(this.byApi.get(api) ?? []), [detection, context]]);
      } else {
        const context: NetworkDetectionContext = {
          ...common,
          instances: this.instances,
          emit: (signal: NetworkSignal) => this.emitNetwork(detection.id, spec(signal.type), signal),
        };
        if (detection.finish) this.finishers.push(naming(detection.id, () => detection.finish!(context)));
        if (detection.source === 'vpcflow') this.flowDetections.push([detection, context]);
        else this.dnsDetections.push([detection, context]);
      }
    }
  }

  private record(key: string, time: number, severity: number, evidence: EvidenceRef[], build: () => Occurrence, since?: number, counted?: boolean, until?: number): void {
    this.counts.signals++;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = new PendingOccurrence();
      this.pending.set(key, pending);
    }
    pending.add(time, severity, evidence, build, since, counted, until);
    this.changed.add(key);
  }

  /** Builds the findings of keys that took signals since the last call, into `built`. */
  private buildChanged(built: Map<string, Occurrence>): void {
    for (const key of this.changed) built.set(key, this.pending.get(key)!.build());
    this.changed.clear();
  }

  private emitApi(detectionId: string, spec: FindingTypeSpec, signal: Signal): void {
    const ip = signal.event.sourceIp;
    // An attack sequence is about its member findings (each judged by its own call's address), not its latest call.
    if (ip && !spec.type.startsWith('AttackSequence:') && this.intel.isTrustedIp(ip)) {
      this.counts.trusted++;
      return;
    }
    const evidence = evidenceOf([signal.event, ...(signal.related ?? [])]);
    this.record(apiSignalKey(signal, spec), signal.event.time, signal.severity ?? spec.severity, evidence, () => buildOccurrence(signal, spec, detectionId, this.build), signal.since, !signal.continues, signal.until);
  }

  private emitNetwork(detectionId: string, spec: FindingTypeSpec, signal: NetworkSignal): void {
    // Trusted IP lists cover flow findings; DNS findings are covered only by trusted entity (domain) lists.
    const trusted =
      signal.event.kind === 'flow'
        ? signal.remoteIp !== undefined && this.intel.isTrustedIp(signal.remoteIp)
        : signal.domain !== undefined && this.intel.isTrustedDomain(signal.domain);
    if (trusted) {
      this.counts.trusted++;
      return;
    }
    const { event } = signal;
    const instance = signal.instance ?? (event.kind === 'flow' ? this.instances.forFlow(event) : this.instances.forDns(event));
    // A flow file outside the S3 layout names no region: the instance's, as CloudTrail recorded it.
    const region = event.region ?? this.instances.regionOf(instance, event.accountId) ?? 'unknown';
    const evidence = evidenceOf([event, ...(signal.related ?? [])]);
    this.record(
      networkSignalKey(signal, hostOf(instance).key, region, spec),
      event.time,
      signal.severity ?? spec.severity,
      evidence,
      () => buildNetworkOccurrence(signal, instance, region, spec, detectionId, this.build),
      signal.since,
      true,
      signal.until,
    );
  }

  process(event: ApiEvent): void {
    this.counts.events++;
    this.state.advance(event.time);
    // A VPC endpoint's network activity event repeats a call's envelope without its request or outcome, for
    // the endpoint's owner (whoever the caller is); the call itself is logged as a management or data event.
    // Only the detections that ask for them (networkActivity) get them.
    const networkActivity = event.eventCategory === 'NetworkActivity';
    if (!networkActivity) this.instances.observe(event);
    let current: Detection | undefined;
    try {
      if (networkActivity) {
        for (const [detection, context] of this.networkActivity) (current = detection).onEvent(event, context);
        return;
      }
      for (const [detection, context] of this.everyEvent) (current = detection).onEvent(event, context);
      const routed = this.byApi.get(event.api);
      if (routed) for (const [detection, context] of routed) (current = detection).onEvent(event, context);
    } catch (error) {
      throw new DetectionFailed(current!.id, error);
    }
  }

  processFlow(flow: FlowEvent): void {
    this.counts.flows++;
    this.state.advance(flow.time);
    let current: Detection | undefined;
    try {
      for (const [detection, context] of this.flowDetections) (current = detection).onFlow(flow, context);
    } catch (error) {
      throw new DetectionFailed(current!.id, error);
    }
  }

  processDns(query: DnsEvent): void {
    this.counts.queries++;
    this.state.advance(query.time);
    let current: Detection | undefined;
    try {
      for (const [detection, context] of this.dnsDetections) (current = detection).onDns(query, context);
    } catch (error) {
      throw new DetectionFailed(current!.id, error);
    }
  }

  /**
   * The run's findings: this runner's, and `others` (other lanes' findings, lanes.ts), which correlation
   * sees too. Correlation sees each finding once and may link members to their sequence; only what it emits
   * is built again. It sees them in the order one thread raises them, whichever lane built them: by first
   * event, then by the order detections run in, then by key.
   */
  finish(others: readonly Occurrence[] = []): Occurrence[] {
    this.state.settle();
    for (const finish of this.finishers) finish();
    const built = new Map<string, Occurrence>();
    this.buildChanged(built);
    const found = [...built.values(), ...others].sort(raisedOrder);
    for (const [detection, context] of this.apiContexts) if (detection.correlate) naming(detection.id, () => detection.correlate!(found, context))();
    this.buildChanged(built);
    return [...built.values(), ...others];
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const RUN_ORDER = new Map(DETECTIONS.map((d, k) => [d.id, k]));
const raisedOrder = (a: Occurrence, b: Occurrence) =>
  compare(a.finding.createdAt, b.finding.createdAt) || (RUN_ORDER.get(a.detectionId) ?? -1) - (RUN_ORDER.get(b.detectionId) ?? -1) || compare(a.key, b.key);
