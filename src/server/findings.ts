import type { DuckDBConnection } from '@duckdb/node-api';
import { findingTypeSpecs } from '../detect/registry.js';
import { CriteriaError } from '../findings/criteria.js';
import { addFilter, FilterError } from '../findings/filters.js';
import type { GuardDutyFinding } from '../findings/guardduty-finding.js';
import { setArchived } from '../findings/store.js';
import { ID_SHAPES } from './arns.js';
import { type FindingRow, findingIndex, type IndexedFinding } from './finding-index.js';
import type { ReadContext } from './lake-access.js';
import { iso, parseTime } from './scope.js';
import { list, num, rows, str, ts as tsOf } from './sql.js';
import { badRequest, boolean, HttpError, identifier, integer, notFound, oneOf } from './validation.js';

const SEVERITY_LEVELS = ['Low', 'Medium', 'High', 'Critical'] as const;
const SORTS = ['severity', 'updated', 'count', 'firstSeen', 'lastSeen'] as const;

const sortKey: Record<(typeof SORTS)[number], (f: IndexedFinding) => number> = {
  severity: (f) => f.row.severity,
  updated: (f) => f.updated,
  count: (f) => f.row.count,
  firstSeen: (f) => f.first,
  lastSeen: (f) => f.last,
};

export interface FindingListQuery {
  severity?: string;
  type?: string;
  archived?: string;
  q?: string;
  sort?: string;
  order?: string;
  limit?: string;
  offset?: string;
  from?: string;
  to?: string;
}

/** `severity` is a list of level names (`High,Critical`) or a minimum score (`7`). */
function severityFilter(value: string | undefined): ((severity: number) => boolean) | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const min = Number(value);
    return (s) => s >= min;
  }
  const levels = value.split(',').map((v) => v.trim());
  for (const level of levels) {
    if (!SEVERITY_LEVELS.some((l) => l.toLowerCase() === level.toLowerCase())) {
      throw badRequest(`severity must be a minimum score or a list of ${SEVERITY_LEVELS.join(', ')}; not ${JSON.stringify(level)}`);
    }
  }
  const wanted = new Set(levels.map((l) => l.toLowerCase()));
  return (s) => wanted.has((s >= 9 ? 'critical' : s >= 7 ? 'high' : s >= 4 ? 'medium' : 'low'));
}

/** GET /api/findings: filtered, searched, sorted and paged from the finding index. */
export async function listFindings(context: ReadContext, query: FindingListQuery): Promise<{ total: number; findings: FindingRow[] }> {
  const bySeverity = severityFilter(query.severity);
  const types = query.type ? new Set(query.type.split(',')) : undefined;
  const archived = query.archived === 'all' ? undefined : (boolean('archived', query.archived) ?? false);
  const needle = query.q ? identifier('q', query.q).toLowerCase() : undefined;
  const sort = oneOf('sort', query.sort, SORTS, 'severity');
  const order = oneOf('order', query.order, ['asc', 'desc'] as const, 'desc');
  const limit = integer('limit', query.limit, { min: 1, max: 1000, fallback: 100 });
  const offset = integer('offset', query.offset, { min: 0, max: 1_000_000, fallback: 0 });
  const from = query.from ? parseTime('from', query.from) : undefined;
  const to = query.to ? parseTime('to', query.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw badRequest(`from must be before to (from ${iso(from)}, to ${iso(to)})`);

  const index = await findingIndex(context);
  const matching = index.all.filter((f) =>
    (archived === undefined || f.row.archived === archived) &&
    (!bySeverity || bySeverity(f.row.severity)) &&
    (!types || types.has(f.row.type)) &&
    (from === undefined || f.last >= from) &&
    (to === undefined || f.first < to) &&
    (!needle || [f.row.id, f.row.type, f.row.title, f.row.resource, f.row.principal, f.row.remoteIp, f.row.accountId]
      .some((v) => v?.toLowerCase().includes(needle)) || f.entities.some((e) => e.id.toLowerCase().includes(needle))));
  const key = sortKey[sort];
  const sign = order === 'asc' ? 1 : -1;
  matching.sort((a, b) => sign * (key(a) - key(b)) || sign * (a.updated - b.updated) || a.row.id.localeCompare(b.row.id));
  return { total: matching.length, findings: matching.slice(offset, offset + limit).map((f) => f.row) };
}

export async function requireFinding(context: ReadContext, id: string): Promise<IndexedFinding> {
  const found = ID_SHAPES.finding.test(id) ? (await findingIndex(context)).byId.get(id) : undefined;
  if (!found) throw notFound(`no finding ${id}`);
  return found;
}

/**
 * Event tables by the `source_type` of the file an evidence row points into, and how a row is keyed within
 * its file: a CloudTrail document holds many records on one line, so those are told apart by event id.
 */
const EVIDENCE_TABLES = {
  cloudtrail: { table: 'api_activity', key: "source_file_id::VARCHAR || ':' || metadata_uid", refKey: (r: Record<string, unknown>) => `${num(r.source_file_id)}:${String(r.event_uid)}` },
  vpcflow: { table: 'network_activity', key: "source_file_id::VARCHAR || ':' || source_line::VARCHAR", refKey: lineKey },
  route53: { table: 'dns_activity', key: "source_file_id::VARCHAR || ':' || source_line::VARCHAR", refKey: lineKey },
} as const;

function lineKey(r: Record<string, unknown>): string {
  return `${num(r.source_file_id)}:${num(r.source_line)}`;
}

interface Evidence {
  time: string;
  eventUid: string | null;
  file: string;
  line: number | null;
  raw: unknown;
  source: string | null;
}

/** The events behind a finding, read back from the lake (their times narrow the scan). */
async function evidence(connection: DuckDBConnection, findingId: string): Promise<Evidence[]> {
  const refs = await rows(
    connection,
    `SELECT e.event_uid, e.source_file_id, e.source_line, e.time, f.uri, f.source_type
     FROM finding_evidence e LEFT JOIN ingested_files f ON f.file_id = e.source_file_id
     WHERE e.finding_id = $id ORDER BY e.time, e.source_file_id, e.source_line`,
    { id: findingId },
  );
  const raws = new Map<string, string>();
  const keyOf = (r: Record<string, unknown>) => {
    const source = EVIDENCE_TABLES[r.source_type as keyof typeof EVIDENCE_TABLES];
    return source ? `${String(r.source_type)}/${source.refKey(r)}` : undefined;
  };
  for (const [sourceType, source] of Object.entries(EVIDENCE_TABLES)) {
    const wanted = refs.filter((r) => r.source_type === sourceType && r.time !== null);
    if (wanted.length === 0) continue;
    const times = wanted.map((r) => num(r.time));
    const found = await rows(
      connection,
      `SELECT ${source.key} AS key, raw FROM ${source.table}
       WHERE time >= $from AND time <= $to AND list_contains($keys, ${source.key})`,
      { from: tsOf(Math.min(...times) - 1000), to: tsOf(Math.max(...times) + 1000), keys: list(wanted.map(source.refKey)) },
    );
    for (const r of found) raws.set(`${sourceType}/${String(r.key)}`, String(r.raw));
  }
  return refs.map((r) => {
    const key = keyOf(r);
    const raw = key === undefined ? undefined : raws.get(key);
    let parsed: unknown = raw ?? null;
    if (raw?.startsWith('{')) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
      }
    }
    return {
      time: iso(num(r.time)),
      eventUid: str(r.event_uid),
      file: str(r.uri) ?? '',
      line: r.source_line === null ? null : num(r.source_line),
      raw: parsed,
      source: str(r.source_type),
    };
  });
}

function eventTitle(e: Evidence): { type: string; title: string } {
  const raw = e.raw as Record<string, unknown> | string | null;
  if (raw && typeof raw === 'object') {
    if (typeof raw.eventName === 'string') {
      const who = (raw.userIdentity as { arn?: string } | undefined)?.arn ?? '';
      const outcome = raw.errorCode ? ` failed (${String(raw.errorCode)})` : '';
      return { type: String(raw.eventName), title: `${String(raw.eventSource ?? '')} ${raw.eventName}${outcome}${who ? ` by ${who}` : ''} from ${String(raw.sourceIPAddress ?? '?')}` };
    }
    if (typeof raw.query_name === 'string') return { type: 'DNS query', title: `${raw.query_name} ${String(raw.query_type ?? '')} from ${String(raw.srcaddr ?? '?')}` };
  }
  return { type: e.source === 'vpcflow' ? 'flow' : 'event', title: typeof raw === 'string' ? raw : '' };
}

/** GET /api/findings/:id */
export async function findingDetail(context: ReadContext, id: string) {
  const indexed = await requireFinding(context, id);
  const spec = findingTypeSpecs().get(indexed.row.type);
  const events = await evidence(context.connection, id);
  const timeline = [
    { time: indexed.row.firstSeen, type: 'first seen', title: `${indexed.row.type} first seen` },
    ...events.map((e) => ({ time: e.time, ...eventTitle(e) })),
    { time: indexed.row.lastSeen, type: 'last seen', title: `${indexed.row.type} last seen (${indexed.row.count} occurrence${indexed.row.count === 1 ? '' : 's'})` },
  ].sort((a, b) => a.time.localeCompare(b.time));
  return {
    finding: indexed.finding,
    row: indexed.row,
    spec: {
      mitre: spec?.mitre ?? null,
      remediation: spec?.remediation ?? null,
      dataSource: spec?.dataSource ?? null,
      description: spec?.description ?? null,
    },
    entities: indexed.entities,
    evidence: events,
    timeline,
  };
}

/** POST /api/findings/:id/archive|unarchive, through the same store function as `gumshoe findings archive`. */
export async function archiveFinding(connection: DuckDBConnection, id: string, archived: boolean): Promise<{ id: string; archived: boolean }> {
  // The id was checked against the index (and its shape) by the caller; setArchived looks it up again.
  const [found] = await rows(connection, 'SELECT archived FROM findings WHERE id = $id', { id });
  if (!found) throw notFound(`no finding ${id}`);
  await setArchived(connection, [id], archived);
  return { id, archived };
}

/** The finding's values at a criteria path (arrays fan out), as the strings `equals` compares. */
function valuesAt(finding: GuardDutyFinding, path: string): string[] {
  let current: unknown[] = [finding];
  for (const part of path.split('.')) {
    current = current.flatMap((value) => {
      const next = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
      return Array.isArray(next) ? next : next === undefined || next === null ? [] : [next];
    });
  }
  return [...new Set(current.filter((v) => typeof v !== 'object').map(String))];
}

export interface SuppressBody {
  name?: unknown;
  fields?: unknown;
  description?: unknown;
}

/** POST /api/findings/:id/suppress: an ARCHIVE filter whose criteria equal the finding's values of `fields`. */
export async function suppressFinding(connection: DuckDBConnection, id: string, body: SuppressBody) {
  if (typeof body.name !== 'string') throw badRequest('name: a filter name is required');
  if (!Array.isArray(body.fields) || body.fields.length === 0 || body.fields.length > 50 || body.fields.some((f) => typeof f !== 'string')) {
    throw badRequest('fields: a list of 1 to 50 finding attribute paths is required, e.g. ["type", "resource.accessKeyDetails.userName"]');
  }
  if (body.description !== undefined && typeof body.description !== 'string') throw badRequest('description must be a string');
  const [stored] = await rows(connection, 'SELECT finding::VARCHAR AS finding FROM findings WHERE id = $id', { id });
  if (!stored) throw notFound(`no finding ${id}`);
  const finding = JSON.parse(String(stored.finding)) as GuardDutyFinding;
  const criterion: Record<string, { equals: string[] }> = {};
  for (const field of body.fields as string[]) {
    const values = valuesAt(finding, field);
    if (values.length === 0) throw badRequest(`fields: the finding has no value at ${JSON.stringify(field)}`);
    criterion[field] = { equals: values.slice(0, 50) };
  }
  try {
    const filter = await addFilter(connection, {
      name: body.name,
      findingCriteria: { criterion },
      action: 'ARCHIVE',
      description: (body.description as string | undefined) ?? `Suppression rule created from finding ${finding.id}`,
    });
    return { filter };
  } catch (error) {
    if (error instanceof FilterError || error instanceof CriteriaError) {
      throw new HttpError(/already exists/.test(error.message) ? 409 : 400, error.message);
    }
    throw error;
  }
}
