import type { DuckDBConnection } from '@duckdb/node-api';
import { bulkInsert } from '../lake/bulk-insert.js';
import type { EvidenceRef, Occurrence } from './build.js';
import { EVIDENCE_LIMIT } from './build.js';
import type { GuardDutyFinding } from './guardduty-finding.js';

/**
 * The `findings` table: one row per finding id (aggregation key), the GuardDuty JSON of its latest
 * state, and columns for listing and filtering. Evidence rows point back to the events in the lake.
 */
export const FINDINGS_DDL = [
  `CREATE TABLE IF NOT EXISTS findings (
    id VARCHAR NOT NULL, aggregation_key VARCHAR NOT NULL, detection_id VARCHAR, type VARCHAR NOT NULL,
    severity DOUBLE NOT NULL, account_id VARCHAR, region VARCHAR, resource_type VARCHAR, resource_id VARCHAR,
    principal VARCHAR, remote_ip VARCHAR, title VARCHAR,
    created_at TIMESTAMP, updated_at TIMESTAMP, first_seen TIMESTAMP, last_seen TIMESTAMP, count BIGINT,
    archived BOOLEAN NOT NULL, archived_by VARCHAR, finding JSON NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS finding_evidence (
    finding_id VARCHAR NOT NULL, event_uid VARCHAR, source_file_id INTEGER, source_line BIGINT, time TIMESTAMP)`,
];

/** How a finding came to be archived: by hand, or by the named suppression rule. */
export const MANUAL_ARCHIVE = 'manual';

export interface StoredFinding {
  finding: GuardDutyFinding;
  archivedBy: string | null;
  evidenceCount: number;
}

const sqlList = (values: string[]) => values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');

export async function loadFindings(connection: DuckDBConnection, ids: string[]): Promise<Map<string, StoredFinding>> {
  const found = new Map<string, StoredFinding>();
  for (let i = 0; i < ids.length; i += 1000) {
    const page = ids.slice(i, i + 1000);
    const reader = await connection.runAndReadAll(
      `SELECT f.id, f.finding::VARCHAR, f.archived_by, (SELECT count(*) FROM finding_evidence e WHERE e.finding_id = f.id)
       FROM findings f WHERE f.id IN (${sqlList(page)})`,
    );
    for (const [id, json, archivedBy, evidence] of reader.getRowsJS()) {
      found.set(String(id), { finding: JSON.parse(String(json)) as GuardDutyFinding, archivedBy: archivedBy === null ? null : String(archivedBy), evidenceCount: Number(evidence) });
    }
  }
  return found;
}

/**
 * Points the stored member findings of the attack sequences among `findings` to their sequence: members that
 * earlier runs raised (a sequence a later run completes) are not in the run that raises it. Linking is no
 * occurrence: count and times stay. Run inside the caller's transaction.
 */
export async function linkSequenceMembers(connection: DuckDBConnection, findings: GuardDutyFinding[]): Promise<void> {
  for (const sequence of findings.filter((f) => f.type.startsWith('AttackSequence:'))) {
    const signals = ((sequence.service.detection as { sequence?: { signals?: { type: string; uid: string }[] } } | undefined)?.sequence?.signals ?? []);
    const ids = signals.filter((s) => s.type === 'FINDING').map((s) => s.uid.slice(s.uid.lastIndexOf('/') + 1));
    if (ids.length === 0) continue;
    const link = JSON.stringify({ associatedAttackSequenceArn: sequence.arn }).replaceAll("'", "''");
    await connection.run(`UPDATE findings SET finding = json_merge_patch(finding, '${link}') WHERE id IN (${sqlList(ids)})`);
  }
}

/** A finding to write: its JSON, the occurrence it came from, and the evidence still to add. */
export interface FindingWrite {
  finding: GuardDutyFinding;
  occurrence: Occurrence;
  archivedBy: string | null;
  newEvidence: EvidenceRef[];
}

const toTimestamp = (iso: string) => iso.replace('T', ' ').replace('Z', '');

/** Replaces the rows of these findings and appends their new evidence; run inside the caller's transaction. */
export async function writeFindings(connection: DuckDBConnection, writes: FindingWrite[]): Promise<void> {
  if (writes.length === 0) return;
  for (let i = 0; i < writes.length; i += 1000) {
    await connection.run(`DELETE FROM findings WHERE id IN (${sqlList(writes.slice(i, i + 1000).map((w) => w.finding.id))})`);
  }
  await bulkInsert(
    connection,
    'findings',
    [
      { name: 'id', type: 'VARCHAR' }, { name: 'aggregation_key', type: 'VARCHAR' }, { name: 'detection_id', type: 'VARCHAR' },
      { name: 'type', type: 'VARCHAR' }, { name: 'severity', type: 'DOUBLE' }, { name: 'account_id', type: 'VARCHAR' },
      { name: 'region', type: 'VARCHAR' }, { name: 'resource_type', type: 'VARCHAR' }, { name: 'resource_id', type: 'VARCHAR' },
      { name: 'principal', type: 'VARCHAR' }, { name: 'remote_ip', type: 'VARCHAR' }, { name: 'title', type: 'VARCHAR' },
      { name: 'created_at', type: 'TIMESTAMP' }, { name: 'updated_at', type: 'TIMESTAMP' }, { name: 'first_seen', type: 'TIMESTAMP' },
      { name: 'last_seen', type: 'TIMESTAMP' }, { name: 'count', type: 'BIGINT' }, { name: 'archived', type: 'BOOLEAN' },
      { name: 'archived_by', type: 'VARCHAR' }, { name: 'finding', type: 'JSON' },
    ],
    writes.map(({ finding, occurrence, archivedBy }) => [
      finding.id, occurrence.key, occurrence.detectionId, finding.type, finding.severity, finding.accountId, finding.region,
      finding.resource.resourceType, occurrence.resourceId, occurrence.principal, occurrence.remoteIp, finding.title,
      toTimestamp(finding.createdAt), toTimestamp(finding.updatedAt), toTimestamp(finding.service.eventFirstSeen),
      toTimestamp(finding.service.eventLastSeen), finding.service.count, finding.service.archived, archivedBy, JSON.stringify(finding),
    ]),
  );
  const evidence = writes.flatMap((w) => w.newEvidence.map((e) => [w.finding.id, e.uid, e.fileId, e.line, toTimestamp(new Date(e.time).toISOString())]));
  // Rows appended in this transaction get row ids above every earlier row's.
  const before = Number((await connection.runAndReadAll('SELECT coalesce(max(rowid), -1)::BIGINT FROM finding_evidence')).getRows()[0]![0]);
  await bulkInsert(
    connection,
    'finding_evidence',
    [
      { name: 'finding_id', type: 'VARCHAR' }, { name: 'event_uid', type: 'VARCHAR' }, { name: 'source_file_id', type: 'INTEGER' },
      { name: 'source_line', type: 'BIGINT' }, { name: 'time', type: 'TIMESTAMP' },
    ],
    evidence,
  );
  // A finding continued by a later run (a burst, a sequence) can name an event it already holds: keep one row.
  // Only the findings given evidence now are checked: the whole table grows with the lake's history (sorting
  // 5M rows took 17 s a run).
  if (evidence.length === 0) return;
  await connection.run(`DELETE FROM finding_evidence WHERE rowid IN (
    SELECT id FROM (
      SELECT rowid AS id, row_number() OVER (PARTITION BY finding_id, event_uid, source_file_id, source_line ORDER BY rowid) AS n
      FROM finding_evidence WHERE finding_id IN (SELECT finding_id FROM finding_evidence WHERE rowid > ${before}))
    WHERE n > 1)`);
}

/** Evidence of an occurrence that still fits under the per-finding limit. */
export function evidenceToAdd(occurrence: Occurrence, alreadyStored: number): EvidenceRef[] {
  return occurrence.evidence.slice(0, Math.max(0, EVIDENCE_LIMIT - alreadyStored));
}

export interface FindingQuery {
  archived?: boolean;
  /** Minimum severity (number), or a level name resolved by the caller. */
  minSeverity?: number;
  maxSeverity?: number;
  types?: string[];
  ids?: string[];
  /** At most this many (a whole number ≥ 1); all when left out. */
  limit?: number;
}

/** Findings as GuardDuty JSON, most severe and most recent first. */
export async function queryFindings(connection: DuckDBConnection, query: FindingQuery = {}): Promise<GuardDutyFinding[]> {
  const { limit } = query;
  // 0 or a fraction would otherwise read as "no limit" or reach DuckDB as a bad LIMIT.
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) throw new RangeError(`finding query limit ${limit}: expected a whole number ≥ 1`);
  const where: string[] = [];
  if (query.archived !== undefined) where.push(`archived = ${query.archived}`);
  if (query.minSeverity !== undefined) where.push(`severity >= ${Number(query.minSeverity)}`);
  if (query.maxSeverity !== undefined) where.push(`severity < ${Number(query.maxSeverity)}`);
  if (query.types?.length) where.push(`type IN (${sqlList(query.types)})`);
  if (query.ids?.length) where.push(`id IN (${sqlList(query.ids)})`);
  const sql = `SELECT finding::VARCHAR FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY severity DESC, updated_at DESC, id ${limit === undefined ? '' : `LIMIT ${limit}`}`;
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJS().map(([json]) => JSON.parse(String(json)) as GuardDutyFinding);
}

/** The shortest abbreviation of a finding id looked up by prefix: shorter ones would match too many findings. */
export const MIN_ID_PREFIX = 6;

/** Finding ids as given, full or abbreviated to a unique prefix (as with git), resolved to stored ids. */
export interface ResolvedIds {
  /** Full ids of the findings named, each once, in the order given. */
  found: string[];
  /** What matched no stored finding. */
  unknown: string[];
  /** Prefixes that matched more than one finding, with (some of) the findings they match. */
  ambiguous: [prefix: string, matches: string[]][];
}

export async function resolveFindingIds(connection: DuckDBConnection, ids: string[]): Promise<ResolvedIds> {
  const stored = await loadFindings(connection, ids);
  const resolved: ResolvedIds = { found: [], unknown: [], ambiguous: [] };
  for (const id of new Set(ids)) {
    const matches = stored.has(id) ? [id] : await idsStartingWith(connection, id);
    if (matches.length === 1) resolved.found.push(matches[0]!);
    else if (matches.length === 0) resolved.unknown.push(id);
    else resolved.ambiguous.push([id, matches]);
  }
  resolved.found = [...new Set(resolved.found)];
  return resolved;
}

/** Up to a few stored ids starting with `prefix`; none for a prefix too short or not hexadecimal. */
async function idsStartingWith(connection: DuckDBConnection, prefix: string): Promise<string[]> {
  const normal = prefix.toLowerCase();
  if (normal.length < MIN_ID_PREFIX || !/^[0-9a-f]+$/.test(normal)) return [];
  const reader = await connection.runAndReadAll('SELECT id FROM findings WHERE starts_with(id, $1) ORDER BY id LIMIT 5', [normal]);
  return reader.getRowsJS().map(([id]) => String(id));
}

/**
 * The finding types the lake holds: those of stored findings, and of imported GuardDuty findings
 * (`detection_finding`), including types no Gumshoe detection raises. A lake opened read-only that
 * predates a table has none from it.
 */
export async function findingTypesInLake(connection: DuckDBConnection): Promise<Set<string>> {
  const tables = (await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND table_name IN ('findings', 'detection_finding')`,
  )).getRowsJS().map(([name]) => String(name));
  const selects = [
    ...(tables.includes('findings') ? ['SELECT DISTINCT type FROM findings'] : []),
    ...(tables.includes('detection_finding') ? ['SELECT DISTINCT finding_type FROM detection_finding WHERE finding_type IS NOT NULL'] : []),
  ];
  if (selects.length === 0) return new Set();
  const reader = await connection.runAndReadAll(selects.join(' UNION '));
  return new Set(reader.getRowsJS().map(([type]) => String(type)));
}

/** Archives or unarchives findings by id (GuardDuty ArchiveFindings / UnarchiveFindings); returns how many changed. */
export async function setArchived(connection: DuckDBConnection, ids: string[], archived: boolean): Promise<number> {
  const stored = await loadFindings(connection, ids);
  const now = new Date().toISOString();
  let changed = 0;
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const [id, { finding }] of stored) {
      if (finding.service.archived === archived) continue;
      finding.service.archived = archived;
      finding.updatedAt = now;
      await connection.run(
        `UPDATE findings SET archived = ${archived}, archived_by = ${archived ? `'${MANUAL_ARCHIVE}'` : 'NULL'},
           updated_at = '${toTimestamp(now)}', finding = '${JSON.stringify(finding).replaceAll("'", "''")}'::JSON WHERE id = '${id}'`,
      );
      changed++;
    }
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
  return changed;
}
