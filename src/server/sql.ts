import { type DuckDBConnection, type DuckDBValue, listValue, timestampValue } from '@duckdb/node-api';

/**
 * Query helpers. SQL text is always a constant of the calling module (identifiers from fixed maps only);
 * request values travel as named parameters ($name).
 */
export type Params = Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

export const ts = (ms: number) => timestampValue(BigInt(Math.round(ms)) * 1000n);
export const list = (values: readonly string[]) => listValue(values as string[]);

/** Rows as JSON-ready objects: BIGINT → number, TIMESTAMP → epoch ms (callers format times). */
export async function rows(connection: DuckDBConnection, sql: string, params: Params = {}): Promise<Row[]> {
  // DuckDB rejects named values the statement does not use; shared parameter sets carry a few extra.
  const used = Object.fromEntries(Object.entries(params).filter(([name]) => new RegExp(`\\$${name}\\b`).test(sql)));
  const reader = await connection.runAndReadAll(sql, used);
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

export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
export const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
export const time = (value: unknown): string | null => (typeof value === 'number' ? new Date(value).toISOString() : null);
