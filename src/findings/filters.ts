import type { DuckDBConnection } from '@duckdb/node-api';
import { type FindingCriteria, matchesCriteria, parseCriteria } from './criteria.js';
import type { GuardDutyFinding } from './guardduty-finding.js';

/**
 * Saved filters and suppression rules, as GuardDuty's CreateFilter/UpdateFilter keep them (guardduty.md
 * §6.1, §6.4): `NOOP` filters are saved views, `ARCHIVE` filters archive every new finding and new
 * occurrence they match. Ranks are dense (1…n) and shift like the GuardDuty console's when a filter is
 * inserted, moved or removed.
 */
export const FILTER_DDL: string[] = [
  `CREATE TABLE IF NOT EXISTS finding_filters (
    name VARCHAR PRIMARY KEY,
    description VARCHAR NOT NULL DEFAULT '',
    action VARCHAR NOT NULL CHECK (action IN ('NOOP', 'ARCHIVE')),
    rank INTEGER NOT NULL,
    criteria JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL)`,
];

export const FILTER_ACTIONS = ['NOOP', 'ARCHIVE'] as const;
export type FilterAction = (typeof FILTER_ACTIONS)[number];

/** GuardDuty's limits: 100 filters per account and region, ranks 1–100, descriptions of 512 characters. */
export const MAX_FILTERS = 100;
const MAX_DESCRIPTION = 512;
const NAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;

/** One filter, in GuardDuty's GetFilter field names. Times are ISO-8601 UTC. */
export interface FindingFilter {
  name: string;
  description: string;
  action: FilterAction;
  rank: number;
  findingCriteria: FindingCriteria;
  createdAt: string;
  updatedAt: string;
  /** 1 when created, incremented by every update. */
  version: number;
}

export interface NewFilter {
  name: string;
  /** Criteria in any form `parseCriteria` accepts. */
  findingCriteria: unknown;
  /** GuardDuty's default: a saved view that archives nothing. */
  action?: FilterAction;
  /** 1 is applied first; omitted or past the end places the filter last. */
  rank?: number;
  description?: string;
}

export type FilterChanges = Partial<Omit<NewFilter, 'name'>>;

/** A filter request that cannot be carried out (bad name, rank, duplicate, missing filter, limit). */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

export async function addFilter(connection: DuckDBConnection, filter: NewFilter): Promise<FindingFilter> {
  if (!NAME_PATTERN.test(filter.name)) {
    throw new FilterError(`filter name "${filter.name}" must be 3–64 characters of letters, digits, '.', '_' and '-'`);
  }
  const criteria = parseCriteria(filter.findingCriteria);
  checkFields(filter);
  return transaction(connection, async () => {
    if (await readFilter(connection, filter.name)) throw new FilterError(`a filter named "${filter.name}" already exists`);
    const count = await filterCount(connection);
    if (count >= MAX_FILTERS) throw new FilterError(`there are already ${MAX_FILTERS} filters, GuardDuty's limit; remove one first`);
    const rank = Math.min(filter.rank ?? count + 1, count + 1);
    await connection.run('UPDATE finding_filters SET rank = rank + 1 WHERE rank >= $1', [rank]);
    const now = timestamp();
    await connection.run(
      `INSERT INTO finding_filters VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, $6::TIMESTAMP, 1)`,
      [filter.name, filter.description ?? '', filter.action ?? 'NOOP', rank, JSON.stringify(criteria), now],
    );
    return (await readFilter(connection, filter.name))!;
  });
}

export async function updateFilter(connection: DuckDBConnection, name: string, changes: FilterChanges): Promise<FindingFilter> {
  if (Object.values(changes).every((value) => value === undefined)) throw new FilterError('nothing to update: give criteria, action, rank or description');
  const criteria = changes.findingCriteria === undefined ? undefined : parseCriteria(changes.findingCriteria);
  checkFields(changes);
  return transaction(connection, async () => {
    const current = await readFilter(connection, name);
    if (!current) throw new FilterError(`no filter named "${name}"`);
    if (changes.rank !== undefined) {
      const rank = Math.min(changes.rank, await filterCount(connection));
      if (rank < current.rank) {
        await connection.run('UPDATE finding_filters SET rank = rank + 1 WHERE rank >= $1 AND rank < $2', [rank, current.rank]);
      } else if (rank > current.rank) {
        await connection.run('UPDATE finding_filters SET rank = rank - 1 WHERE rank > $1 AND rank <= $2', [current.rank, rank]);
      }
      await connection.run('UPDATE finding_filters SET rank = $1 WHERE name = $2', [rank, name]);
    }
    await connection.run(
      `UPDATE finding_filters SET description = $1, action = $2, criteria = $3, updated_at = $4::TIMESTAMP, version = version + 1
       WHERE name = $5`,
      [
        changes.description ?? current.description,
        changes.action ?? current.action,
        JSON.stringify(criteria ?? current.findingCriteria),
        timestamp(),
        name,
      ],
    );
    return (await readFilter(connection, name))!;
  });
}

export async function removeFilter(connection: DuckDBConnection, name: string): Promise<void> {
  await transaction(connection, async () => {
    const current = await readFilter(connection, name);
    if (!current) throw new FilterError(`no filter named "${name}"`);
    await connection.run('DELETE FROM finding_filters WHERE name = $1', [name]);
    await connection.run('UPDATE finding_filters SET rank = rank - 1 WHERE rank > $1', [current.rank]);
  });
}

/** All filters in rank order; none from a read-only lake made before the table existed. */
export async function listFilters(connection: DuckDBConnection): Promise<FindingFilter[]> {
  if (!(await tableExists(connection))) return [];
  return (await connection.runAndReadAll(`${SELECT} ORDER BY rank, name`)).getRowObjectsJS().map(toFilter);
}

export async function getFilter(connection: DuckDBConnection, name: string): Promise<FindingFilter | undefined> {
  return (await tableExists(connection)) ? readFilter(connection, name) : undefined;
}

/**
 * The suppression rule that archives this finding: the first ARCHIVE filter in rank order whose criteria
 * match. NOOP filters never archive.
 */
export function suppressingFilter(finding: GuardDutyFinding, filters: readonly FindingFilter[]): string | undefined {
  return [...filters]
    .sort((a, b) => a.rank - b.rank)
    .find((filter) => filter.action === 'ARCHIVE' && matchesCriteria(finding, filter.findingCriteria))?.name;
}

function checkFields(filter: FilterChanges): void {
  if (filter.action !== undefined && !FILTER_ACTIONS.includes(filter.action)) {
    throw new FilterError(`filter action "${filter.action}" must be NOOP or ARCHIVE`);
  }
  if (filter.rank !== undefined && !(Number.isInteger(filter.rank) && filter.rank >= 1 && filter.rank <= MAX_FILTERS)) {
    throw new FilterError(`filter rank ${filter.rank} must be an integer from 1 to ${MAX_FILTERS}`);
  }
  if (filter.description !== undefined && filter.description.length > MAX_DESCRIPTION) {
    throw new FilterError(`filter description has ${filter.description.length} characters, at most ${MAX_DESCRIPTION} are allowed`);
  }
}

async function tableExists(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'finding_filters'`,
  );
  return Number(reader.getRowObjectsJS()[0]!.n) > 0;
}

async function transaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
}

const SELECT = `SELECT name, description, action, rank, criteria,
  strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at,
  strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS updated_at, version
  FROM finding_filters`;

async function readFilter(connection: DuckDBConnection, name: string): Promise<FindingFilter | undefined> {
  const rows = (await connection.runAndReadAll(`${SELECT} WHERE name = $1`, [name])).getRowObjectsJS();
  return rows.length ? toFilter(rows[0]!) : undefined;
}

async function filterCount(connection: DuckDBConnection): Promise<number> {
  return Number((await connection.runAndReadAll('SELECT count(*) AS n FROM finding_filters')).getRowObjectsJS()[0]!.n);
}

function toFilter(row: Record<string, unknown>): FindingFilter {
  return {
    name: String(row.name),
    description: String(row.description),
    action: row.action as FilterAction,
    rank: Number(row.rank),
    // Stored only after parseCriteria validated it.
    findingCriteria: JSON.parse(String(row.criteria)) as FindingCriteria,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    version: Number(row.version),
  };
}

/** Now as a UTC TIMESTAMP literal (no zone suffix, so the session time zone plays no part). */
function timestamp(): string {
  return new Date().toISOString().slice(0, -1);
}
