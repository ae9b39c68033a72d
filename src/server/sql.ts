import { type DuckDBConnection, DuckDBListValue, type DuckDBType, type DuckDBValue, LIST, listValue, timestampValue, VARCHAR } from '@duckdb/node-api';

/**
 * Query helpers. SQL text is always a constant of the calling module (identifiers from fixed maps only);
 * request values travel as named parameters ($name).
 */
/** GUMSHOE_SQL_TIMING=1 logs each query's time to stderr (for tuning). */
const TIMING = process.env.GUMSHOE_SQL_TIMING === '1';

export type Params = Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

export const ts = (ms: number) => timestampValue(BigInt(Math.round(ms)) * 1000n);
export const list = (values: readonly string[]) => listValue(values as string[]);

/** Rows as JSON-ready objects: BIGINT → number, TIMESTAMP → epoch ms (callers format times). */
export async function rows(connection: DuckDBConnection, sql: string, params: Params = {}): Promise<Row[]> {
  // DuckDB rejects named values the statement does not use; shared parameter sets carry a few extra.
  const used = Object.fromEntries(Object.entries(params).filter(([name]) => new RegExp(`\\$${name}\\b`).test(sql)));
  // Lists are always of strings here; typed explicitly so that an empty one binds too.
  const types: Record<string, DuckDBType> = {};
  for (const [name, value] of Object.entries(used)) if (value instanceof DuckDBListValue) types[name] = LIST(VARCHAR);
  const started = TIMING ? performance.now() : 0;
  const reader = await connection.runAndReadAll(sql, used, types);
  if (TIMING) console.error(`sql ${(performance.now() - started).toFixed(1)} ms: ${sql.replace(/\s+/g, ' ').slice(0, 140)}`);
  return reader.getRowObjectsJS().map((row) => {
    const plain: Row = {};
    for (const [key, value] of Object.entries(row)) plain[key] = plainValue(value);
    return plain;
  });
}

export async function one(connection: DuckDBConnection, sql: string, params: Params = {}): Promise<Row | undefined> {
  return (await rows(connection, sql, params))[0];
}

function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}

/** `($name0, $name1, …)` for an IN list, the values added to `params`: IN pushes down into scans, list_contains does not. */
export function inList(name: string, values: readonly string[], params: Params): string {
  values.forEach((value, i) => (params[`${name}${i}`] = value));
  return values.length ? `(${values.map((_, i) => `$${name}${i}`).join(', ')})` : '(NULL)';
}

export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
export const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
export const time = (value: unknown): string | null => (typeof value === 'number' ? new Date(value).toISOString() : null);
