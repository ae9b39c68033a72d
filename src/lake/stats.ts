import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_TABLES, type EventTable } from './schema.js';

/** What the lake holds: per table, per account, region and day; the time range; quarantine and files. */
export interface LakeStats {
  tables: Record<EventTable, TableStats>;
  quarantined: number;
  quarantineReasons: { reason: string; count: number }[];
  files: { status: string; count: number }[];
  lastRun?: Record<string, unknown>;
}

export interface TableStats {
  events: number;
  first?: string;
  last?: string;
  undated: number;
  byAccount: { account: string | null; count: number }[];
  byRegion: { region: string | null; count: number }[];
  byDay: { day: string; count: number }[];
}

const SOURCE_NAMES: Record<EventTable, string> = {
  api_activity: 'CloudTrail (API Activity)',
  network_activity: 'VPC Flow Logs (Network Activity)',
  dns_activity: 'Route 53 Resolver (DNS Activity)',
  detection_finding: 'GuardDuty findings (Detection Finding)',
};

export function sourceName(table: EventTable): string {
  return SOURCE_NAMES[table];
}

/** A lake time (UTC) as ISO 8601, as `query --format json` writes it. */
const iso = (column: string) => `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

export async function lakeStats(connection: DuckDBConnection): Promise<LakeStats> {
  const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
  const tables = {} as Record<EventTable, TableStats>;
  for (const table of EVENT_TABLES) {
    const [totals] = await rows(`SELECT count(*) AS events, ${iso('min(time)')} AS first, ${iso('max(time)')} AS last,
      count(*) FILTER (time IS NULL) AS undated FROM ${table}`);
    const group = async (expression: string) =>
      (await rows(`SELECT ${expression} AS key, count(*) AS count FROM ${table} GROUP BY 1 ORDER BY 1 NULLS LAST`)).map((r) => ({
        key: r.key === null ? null : String(r.key),
        count: Number(r.count),
      }));
    tables[table] = {
      events: Number(totals!.events),
      first: totals!.first === null ? undefined : String(totals!.first),
      last: totals!.last === null ? undefined : String(totals!.last),
      undated: Number(totals!.undated),
      byAccount: (await group('cloud_account_uid')).map(({ key, count }) => ({ account: key, count })),
      byRegion: (await group('cloud_region')).map(({ key, count }) => ({ region: key, count })),
      byDay: (await group(`strftime(time, '%Y-%m-%d')`)).filter((r) => r.key !== null).map(({ key, count }) => ({ day: key!, count })),
    };
  }
  const [quarantine] = await rows('SELECT count(*) AS n FROM quarantine');
  const reasons = await rows(`SELECT regexp_replace(reason, ': .*', '') AS reason, count(*) AS count FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1`);
  const files = await rows('SELECT status, count(*) AS count FROM ingested_files GROUP BY 1 ORDER BY 1');
  const [lastRun] = await rows(`SELECT run_id, ${iso('started_at')} AS started_at, ${iso('finished_at')} AS finished_at, files, files_unchanged,
    files_skipped, records_read, stored, duplicates, quarantined FROM ingest_runs ORDER BY run_id DESC LIMIT 1`);
  return {
    tables,
    quarantined: Number(quarantine!.n),
    quarantineReasons: reasons.map((r) => ({ reason: String(r.reason), count: Number(r.count) })),
    files: files.map((r) => ({ status: String(r.status), count: Number(r.count) })),
    lastRun: lastRun ? Object.fromEntries(Object.entries(lastRun).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) : undefined,
  };
}
