import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { bulkInsert } from '../lake/bulk-insert.js';
import { DEFAULT_MEMORY_LIMIT, isOutOfMemory, type Lake, setMemoryLimit } from '../lake/db.js';
import { countSetting, memorySetting } from '../lake/env-settings.js';
import { DEFAULT_PARTITION, type Occurrence } from '../findings/build.js';
import { type FindingFilter, listFilters, suppressingFilter } from '../findings/filters.js';
import type { GuardDutyFinding } from '../findings/guardduty-finding.js';
import { addSessionDetails } from '../findings/session-context.js';
import { evidenceToAdd, type FindingWrite, linkSequenceMembers, loadFindings, writeFindings } from '../findings/store.js';
import { packageGeo } from '../intel/geo.js';
import { loadIntelData } from '../intel/load.js';
import type { IntelLookup } from '../intel/lookup.js';
import { declaredOrgAccounts } from '../intel/store.js';
import { buildLookup } from '../intel/matcher.js';
import { DEFAULT_SETTINGS, type Detection, type DetectSettings } from './detection.js';
import { DETECTION_HEAP_BUDGET, HeapBudget } from './heap-budget.js';
import { apiChunks, apiWatermark } from './lake-events.js';
import { rowIdOfRow, rowsUpTo } from './lake-rows.js';
import { planLanes } from './lane-plan.js';
import { DetectionLanes, type StateRow } from './lanes.js';
import { payloadCondition, payloadRule } from './payloads.js';
import { dnsChunks, dnsWatermark, flowChunks, flowWatermark, undatedFlows } from './lake-network-events.js';
import { DETECTIONS } from './registry.js';
import { DetectionRunner, type SavedStateRow, StateStore } from './runner.js';

/**
 * State not used for this long in event time is dropped, so per-principal state stays bounded as principals
 * come and go: measured from the latest record time processed (StateStore), not from the wall clock.
 */
const STATE_RETENTION_MS = 180 * 86_400_000;
/**
 * DuckDB's memory limit while detections run on a lake at the default limit. Most of it goes to sorting the
 * new rows into time order, two time slices at a time (time-slices.ts). A run that runs out of memory is run
 * again at the lake's own limit (nothing is stored before a run's end).
 */
const DETECT_MEMORY_LIMIT = '256MB';

export interface DetectOptions {
  detections?: readonly Detection[];
  settings?: Partial<DetectSettings>;
  /** Replaces the intel read from the lake (tests). */
  intel?: IntelLookup;
  onProgress?: (events: number) => void;
  /** Threads detections run on (lanes.ts; default: see detectionThreads); always 1 with `intel` given. */
  threads?: number;
  /** DuckDB's memory limit while detecting on a lake at the default limit (default 256MB, or GUMSHOE_DETECT_MEMORY_LIMIT). */
  memoryLimit?: string;
  /**
   * Writes out the run's findings (`gumshoe detect --output`), called once they are final and before they are
   * committed: a run killed or failing before its findings are out stores nothing, so the next run publishes
   * them again, rather than storing findings that no later run would publish.
   */
  publish?: (summary: DetectSummary) => Promise<void>;
  /**
   * The run's wall clock (epoch ms), by default now: how far CloudTrail can have delivered (DetectionContext.now);
   * records dated after it move no state's time (STATE_RETENTION_MS). Tests replay logs as if they were live with it.
   */
  clock?: number;
}

export interface DetectSummary {
  /** CloudTrail events, flow records and DNS queries examined. */
  events: number;
  flows: number;
  queries: number;
  signals: number;
  /** Signals dropped because the remote IP is on a trusted list. */
  trusted: number;
  created: number;
  updated: number;
  /** Findings created or updated that a suppression rule archived (not published). */
  suppressed: number;
  /** Findings created or updated by this run and not suppressed: what gets published. */
  findings: GuardDutyFinding[];
  warnings: string[];
}

async function detectorId(connection: DuckDBConnection): Promise<string> {
  const reader = await connection.runAndReadAll(`SELECT value FROM lake_meta WHERE key = 'detector_id'`);
  const existing = reader.getRowsJS()[0]?.[0];
  if (existing) return String(existing);
  const id = randomBytes(16).toString('hex');
  await connection.run(`INSERT INTO lake_meta VALUES ('detector_id', '${id}') ON CONFLICT DO NOTHING`);
  return id;
}

/** A row id (or a count of rows) per event table. */
export type Watermarks = { api: number; flow: number; dns: number };

/** The event tables detections read, under their keys in Watermarks. */
export const SOURCES = [
  { key: 'api', table: 'api_activity', name: 'CloudTrail event' },
  { key: 'flow', table: 'network_activity', name: 'flow record' },
  { key: 'dns', table: 'dns_activity', name: 'DNS query' },
] as const;

/** `value` of each event table, one query at a time (one connection). */
async function perSource(value: (key: keyof Watermarks, table: string) => Promise<number>): Promise<Watermarks> {
  const values: Watermarks = { api: -1, flow: -1, dns: -1 };
  for (const { key, table } of SOURCES) values[key] = await value(key, table);
  return values;
}

/**
 * How many rows of each event table earlier runs processed, in lake_meta: row ids alone do not say, since a
 * checkpoint that compacts deleted rows (an ingest's repeats, pruned rows) away renumbers the rows after them (rowIdOfRow).
 */
const PROCESSED_ROWS_KEY = 'detect_processed_rows';

/** The last row id of each event table that earlier runs processed (-1: none yet). */
export async function lastWatermarks(connection: DuckDBConnection): Promise<Watermarks> {
  const reader = await connection.runAndReadAll('SELECT max(api_up_to), max(flow_up_to), max(dns_up_to) FROM detection_runs');
  const [api, flow, dns] = reader.getRowsJS()[0] ?? [];
  const mark = (value: unknown) => (value === null || value === undefined ? -1 : Number(value));
  const stored = { api: mark(api), flow: mark(flow), dns: mark(dns) };
  const counted = await connection.runAndReadAll(`SELECT value FROM lake_meta WHERE key = '${PROCESSED_ROWS_KEY}'`);
  const processed = counted.getRowsJS()[0]?.[0];
  // A lake whose runs predate the count has their row ids only.
  if (processed === undefined) return stored;
  const rows = JSON.parse(String(processed)) as Watermarks;
  return perSource((key, table) => rowIdOfRow(connection, table, rows[key], stored[key]));
}

/** How many rows of each event table are processed once this run is stored. */
export async function processedRows(connection: DuckDBConnection, after: Watermarks, upTo: Watermarks): Promise<Watermarks> {
  return perSource((key, table) => rowsUpTo(connection, table, Math.max(after[key], upTo[key])));
}

/** Stores how many rows of each event table are processed (what lastWatermarks reads); run inside the caller's transaction. */
export async function storeProcessedRows(connection: DuckDBConnection, rows: Watermarks): Promise<void> {
  await connection.run(`INSERT INTO lake_meta VALUES ('${PROCESSED_ROWS_KEY}', '${JSON.stringify(rows)}')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
}

/** Lateness normal delivery brings (files of the last minutes arriving after newer ones); beyond it, rows are a backfill. */
const BACKFILL_SLACK = '1 HOUR';

/**
 * Warnings for sources whose new rows are older than rows earlier runs processed (a backfill): learned state
 * takes them in (first seen is the earliest event), but windows over that period are judged out of order.
 * When a prune deleted every row earlier runs processed of a source, the latest record time state was
 * measured from (`clock`) stands in for them.
 */
async function backfillWarnings(connection: DuckDBConnection, after: Watermarks, upTo: Watermarks, clock: number): Promise<string[]> {
  const warnings: string[] = [];
  const ran = (await connection.runAndReadAll('SELECT max(api_up_to), max(flow_up_to), max(dns_up_to) FROM detection_runs')).getRowsJS()[0] ?? [];
  const stateTime = Number.isFinite(clock) ? `make_timestamp(${Math.floor(clock)}::BIGINT * 1000)` : 'NULL';
  for (const [i, { key, table, name }] of SOURCES.entries()) {
    const processedBefore = ran[i] !== null && ran[i] !== undefined && Number(ran[i]) >= 0;
    if (!processedBefore || upTo[key] <= after[key]) continue;
    const reader = await connection.runAndReadAll(`WITH learned AS (SELECT coalesce(max(time), ${stateTime}) AS t FROM ${table} WHERE rowid <= ${after[key]})
      SELECT count(*)::DOUBLE, strftime(any_value(learned.t), '%Y-%m-%dT%H:%MZ') FROM ${table}, learned
      WHERE rowid > ${after[key]} AND rowid <= ${upTo[key]} AND time < learned.t - INTERVAL ${BACKFILL_SLACK}`);
    const [older, latest] = reader.getRowsJS()[0] ?? [];
    if (Number(older) > 0) {
      warnings.push(`${Number(older).toLocaleString('en-US')} ${name}(s) of this run are older than what earlier runs processed (up to ${String(latest)}): ` +
        'baselines and first-seen times take them in, but windows over that period (bursts, brute force, scans, floods, sequences) were judged out of order');
    }
  }
  return warnings;
}

/**
 * The latest record time (epoch ms) state retirement was measured from, in lake_meta. Its presence also says
 * that detection_state's used_at is in event time: earlier versions stamped the wall clock of the run.
 */
const STATE_CLOCK_KEY = 'detect_state_clock';

/** The stored state, and the latest record time earlier runs processed (-Infinity: none known). */
interface SavedState {
  rows: StateRow[];
  clock: number;
}

async function loadState(connection: DuckDBConnection, after: Watermarks, now: number): Promise<SavedState> {
  const reader = await connection.runAndReadAll('SELECT detection_id, key, value::VARCHAR, epoch_ms(used_at)::DOUBLE FROM detection_state');
  const rows = reader.getRowsJS().map(([detection, key, value, usedAt]): StateRow => [String(detection), String(key), JSON.parse(String(value)), Number(usedAt)]);
  const stored = (await connection.runAndReadAll(`SELECT value FROM lake_meta WHERE key = '${STATE_CLOCK_KEY}'`)).getRowsJS()[0]?.[0];
  if (stored !== undefined) return { rows, clock: Number(stored) };
  // Wall-clock stamps: no use was later than the latest record processed then, which is what a use now stamps.
  const clock = await processedUntil(connection, after, now);
  if (Number.isFinite(clock)) for (const row of rows) row[3] = Math.min(row[3], clock);
  return { rows, clock };
}

/** The latest record time of the rows earlier runs processed, leaving out records dated after `now` as runs do (StateStore.advance). */
async function processedUntil(connection: DuckDBConnection, after: Watermarks, now: number): Promise<number> {
  const times = await perSource(async (key, table) => {
    if (after[key] < 0) return Number.NEGATIVE_INFINITY;
    const reader = await connection.runAndReadAll(`SELECT epoch_ms(max(time))::DOUBLE FROM ${table} WHERE rowid <= ${after[key]} AND time <= make_timestamp(${Math.floor(now)}::BIGINT * 1000)`);
    const latest = reader.getRowsJS()[0]?.[0];
    return latest === null || latest === undefined ? Number.NEGATIVE_INFINITY : Number(latest);
  });
  return Math.max(times.api, times.flow, times.dns);
}

/**
 * Replaces the stored state with `state`, less what was last used STATE_RETENTION_MS or more before `clock`
 * (the latest record time processed so far), and stores `clock`.
 */
async function saveState(connection: DuckDBConnection, state: SavedStateRow[], clock: number): Promise<void> {
  await connection.run('DELETE FROM detection_state');
  if (Number.isFinite(clock)) {
    await connection.run(`INSERT INTO lake_meta VALUES ('${STATE_CLOCK_KEY}', '${clock}') ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  }
  const rows = state
    .filter(([, , , usedAt]) => !(clock - usedAt >= STATE_RETENTION_MS))
    .map(([detectionId, key, value, usedAt]) => [detectionId, key, value, new Date(usedAt).toISOString().replace('T', ' ').replace('Z', '')]);
  await bulkInsert(
    connection,
    'detection_state',
    [{ name: 'detection_id', type: 'VARCHAR' }, { name: 'key', type: 'VARCHAR' }, { name: 'value', type: 'JSON' }, { name: 'used_at', type: 'TIMESTAMP' }],
    rows,
  );
}

/**
 * The organisation's accounts, for "outside account" and "affiliated" decisions unless given: those owning
 * events in the lake, and those declared with `gumshoe intel accounts add` (which a per-account trail never shows).
 */
async function organizationAccounts(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll('SELECT DISTINCT cloud_account_uid FROM api_activity WHERE cloud_account_uid IS NOT NULL');
  return new Set([...reader.getRowsJS().map(([account]) => String(account)), ...(await declaredOrgAccounts(connection))]);
}

/**
 * Folds this run's occurrence into the stored finding: count and first/last seen accumulate, details are
 * the latest occurrence's, and suppression rules decide whether it is archived.
 */
function mergeWithStored(occurrence: Occurrence, stored: { finding: GuardDutyFinding } | undefined, now: string, filters: FindingFilter[]): { finding: GuardDutyFinding; archivedBy: string | null } {
  const run = occurrence.finding;
  let finding: GuardDutyFinding;
  if (!stored) {
    // A continued occurrence whose first report is gone (a finding deleted by hand) is counted here.
    finding = { ...run, createdAt: now, updatedAt: now, service: { ...run.service, count: Math.max(1, run.service.count) } };
  } else {
    const before = stored.finding;
    const newer = run.service.eventLastSeen >= before.service.eventLastSeen ? run : before;
    // A member finding keeps its attack sequence when it recurs in a run that raises none.
    const sequenceArn = run.associatedAttackSequenceArn ?? before.associatedAttackSequenceArn;
    finding = {
      ...newer,
      ...(sequenceArn ? { associatedAttackSequenceArn: sequenceArn } : {}),
      severity: Math.max(before.severity, run.severity),
      createdAt: before.createdAt,
      updatedAt: now,
      service: {
        ...newer.service,
        count: before.service.count + run.service.count,
        eventFirstSeen: before.service.eventFirstSeen < run.service.eventFirstSeen ? before.service.eventFirstSeen : run.service.eventFirstSeen,
        eventLastSeen: before.service.eventLastSeen > run.service.eventLastSeen ? before.service.eventLastSeen : run.service.eventLastSeen,
      },
    };
  }
  // A suppression rule archives new findings and new occurrences that match it, for as long as it exists
  // (guardduty.md §6.4): only the ARCHIVE rules of now decide. So once the rule that archived a finding is
  // removed, made NOOP or narrowed, the finding's next occurrence is current and published again, as a
  // finding archived by hand comes back when it occurs again. Until it recurs it stays archived.
  const archivedBy = suppressingFilter({ ...finding, service: { ...finding.service, archived: false } }, filters) ?? null;
  finding.service = { ...finding.service, archived: archivedBy !== null };
  return { finding, archivedBy };
}

/**
 * Below this many new records a run keeps to one thread unless told otherwise: starting a worker (0.2–0.4 s,
 * and 50 MB) costs more than it saves.
 */
const LANES_FROM_RECORDS = 100_000;
/**
 * Threads used by default, however many cores: every thread makes its own events and has its own heap (50–160
 * MB more per thread on the benchmark's lakes), and past a few lanes each holds only one or two detections.
 */
const DEFAULT_MAX_THREADS = 4;

/**
 * The threads a run of `records` new records detects on: as asked (or GUMSHOE_DETECT_THREADS), else one per
 * core up to DEFAULT_MAX_THREADS from LANES_FROM_RECORDS records on.
 */
export function detectionThreads(records: number, asked?: number): number {
  const setting = asked ?? countSetting('GUMSHOE_DETECT_THREADS');
  if (setting !== undefined) return setting;
  return records >= LANES_FROM_RECORDS ? Math.min(availableParallelism(), DEFAULT_MAX_THREADS) : 1;
}

/** Runs every detection over the CloudTrail, flow and DNS records stored since the last run, and stores the findings. */
export async function runDetections(lake: Lake, options: DetectOptions = {}): Promise<DetectSummary> {
  if (lake.memoryLimit !== DEFAULT_MEMORY_LIMIT) return detectOnce(lake, options);
  const limit = options.memoryLimit ?? memorySetting('GUMSHOE_DETECT_MEMORY_LIMIT', DETECT_MEMORY_LIMIT);
  await setMemoryLimit(lake.connection, limit);
  try {
    return await detectOnce(lake, options);
  } catch (error) {
    if (!isOutOfMemory(error)) throw error;
    await setMemoryLimit(lake.connection, lake.memoryLimit);
    const summary = await detectOnce(lake, options);
    summary.warnings.push(`detection ran out of memory at ${limit} and was run again at ${lake.memoryLimit}`);
    return summary;
  } finally {
    await setMemoryLimit(lake.connection, lake.memoryLimit);
  }
}

async function detectOnce(lake: Lake, options: DetectOptions): Promise<DetectSummary> {
  const { connection } = lake;
  const started = new Date();
  const now = options.clock ?? started.getTime();
  const after = await lastWatermarks(connection);
  // Worker threads build their own lookup from the intel as data; a lookup given (tests) keeps to one thread.
  const intelData = options.intel ? undefined : await loadIntelData(connection);
  const intel = options.intel ?? buildLookup({ ...intelData!, geo: packageGeo() });
  const settings: DetectSettings = {
    ...DEFAULT_SETTINGS,
    ...options.settings,
    organizationAccounts: options.settings?.organizationAccounts ?? (await organizationAccounts(connection)),
  };
  const detections = options.detections ?? DETECTIONS;
  // A source no detection reads keeps its watermark, so detections added later still see its backlog.
  const reads = (source: Detection['source']) => detections.some((d) => d.source === source);
  const upTo = {
    api: await apiWatermark(connection),
    flow: reads('vpcflow') ? await flowWatermark(connection) : after.flow,
    dns: reads('dns') ? await dnsWatermark(connection) : after.dns,
  };
  const plan = planLanes(detections, intelData ? detectionThreads(upTo.api - after.api + upTo.flow - after.flow + upTo.dns - after.dns, options.threads) : 1);
  const savedState = await loadState(connection, after, now);
  // Uses before any record (a run with none) count as at the latest record earlier runs processed.
  const since = Number.isFinite(savedState.clock) ? Math.min(savedState.clock, now) : now;
  const onWorkers = DetectionLanes.workerIds(plan);
  const state = new StateStore(now, since);
  for (const [detectionId, key, value, usedAt] of savedState.rows) if (!onWorkers.has(detectionId)) state.load(detectionId, key, value, usedAt);
  // Each finding's partition follows its region (partitionOf); this one is for findings with no region.
  const build = { detectorId: await detectorId(connection), partition: DEFAULT_PARTITION };
  const runner = new DetectionRunner(plan[0]!, intel, settings, state, { intel, ...build });

  const lanes = DetectionLanes.start(runner, plan, savedState.rows, intelData && { ...build, intel: intelData, settings, now, since, shareCity: upTo.api > after.api });
  let laneResults: Awaited<ReturnType<DetectionLanes['finish']>>;
  try {
    const heap = new HeapBudget(DETECTION_HEAP_BUDGET);
    const progress = () => {
      heap.check();
      options.onProgress?.(lanes.rows.api + lanes.rows.flow + lanes.rows.dns);
    };
    const payloads = payloadCondition(payloadRule(detections));
    for await (const read of apiChunks(lake, after.api, upTo.api, payloads)) {
      await lanes.process('api', read);
      progress();
    }
    for await (const read of flowChunks(lake, after.flow, upTo.flow)) {
      await lanes.process('flow', read);
      progress();
    }
    for await (const read of dnsChunks(lake, after.dns, upTo.dns)) {
      await lanes.process('dns', read);
      progress();
    }
    laneResults = await lanes.finish();
  } finally {
    await lanes.stop();
  }
  const { occurrences } = laneResults;
  await addSessionDetails(connection, occurrences);

  const filters = await listFilters(connection);
  const stored = await loadFindings(connection, occurrences.map((o) => o.finding.id));
  const isoNow = started.toISOString();
  const writes: FindingWrite[] = occurrences.map((occurrence) => {
    const before = stored.get(occurrence.finding.id);
    const { finding, archivedBy } = mergeWithStored(occurrence, before, isoNow, filters);
    return { finding, occurrence, archivedBy, newEvidence: evidenceToAdd(occurrence, before?.evidenceCount ?? 0) };
  });

  const summary: DetectSummary = {
    events: lanes.rows.api,
    flows: lanes.rows.flow,
    queries: lanes.rows.dns,
    signals: laneResults.signals,
    trusted: laneResults.trusted,
    created: writes.filter((w) => !stored.has(w.finding.id)).length,
    updated: writes.filter((w) => stored.has(w.finding.id)).length,
    suppressed: writes.filter((w) => w.archivedBy !== null).length,
    findings: writes.filter((w) => w.archivedBy === null).map((w) => w.finding),
    warnings: await backfillWarnings(connection, after, upTo, savedState.clock),
  };
  const processed = await processedRows(connection, after, upTo);
  const undated = reads('vpcflow') ? await undatedFlows(connection, after.flow, upTo.flow) : 0;
  if (undated > 0) summary.warnings.push(`${undated.toLocaleString('en-US')} flow record(s) have no time (their log format has neither start nor end) and were not examined`);

  await connection.run('BEGIN TRANSACTION');
  try {
    await writeFindings(connection, writes);
    await linkSequenceMembers(connection, writes.map((w) => w.finding));
    // Records dated after the wall clock moved no lane's time (StateStore.advance); a clock stored by a run
    // whose wall clock was later is held to this one's.
    await saveState(connection, laneResults.state, Math.min(now, Math.max(savedState.clock, laneResults.latest)));
    await connection.run(
      `INSERT INTO detection_runs VALUES (nextval('detection_run_seq'), '${started.toISOString()}', now(), ${after.api},
        ${Math.max(after.api, upTo.api)}, ${Math.max(after.flow, upTo.flow)}, ${Math.max(after.dns, upTo.dns)},
        ${summary.events}, ${summary.flows}, ${summary.queries}, ${summary.signals}, ${summary.trusted},
        ${summary.created}, ${summary.updated}, ${summary.suppressed})`,
    );
    await storeProcessedRows(connection, processed);
    summary.findings.sort((a, b) => b.severity - a.severity || a.type.localeCompare(b.type));
    await options.publish?.(summary);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
  return summary;
}
