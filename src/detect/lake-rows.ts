import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Rows of a lake table after a row-id watermark, in time order, as arrays of text fields (null for NULL).
 *
 * DuckDB joins each row's fields into one string (unit separator between fields, record separator for
 * NULL) which JS splits: converting one value per row is about 5× faster than one per cell. JSON text
 * cannot hold a raw separator; in the `freeText` columns (a user agent, say) it is shown as ␟ (U+241F), so a
 * row always splits into its fields. The verbatim record in the lake keeps the original.
 */
export type Cell = string | null;

const FIELD_SEPARATOR = '\u001f';
const NULL_MARK = '\u001e';

/** The highest row id in a table: the watermark a run processes up to. */
export async function tableWatermark(connection: DuckDBConnection, table: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT coalesce(max(rowid), -1)::BIGINT FROM ${table}`);
  return Number(reader.getRows()[0]![0]);
}

export async function* joinedRows(
  connection: DuckDBConnection,
  table: string,
  fields: readonly string[],
  after: number,
  upTo: number,
  freeText: ReadonlySet<string> = new Set(),
): AsyncGenerator<Cell[][]> {
  const text = (f: string) => (freeText.has(f) ? `replace((${f})::VARCHAR, chr(31), chr(9247))` : `(${f})::VARCHAR`);
  const joined = `concat_ws(chr(31), ${fields.map((f) => `coalesce(${text(f)}, chr(30))`).join(', ')})`;
  const result = await connection.stream(`SELECT ${joined} FROM ${table} WHERE rowid > ${after} AND rowid <= ${upTo} ORDER BY time, rowid`);
  // The next chunk is fetched (on DuckDB's threads) while detections work through this one.
  let next = result.fetchChunk();
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) return;
    next = result.fetchChunk();
    yield (chunk.getColumnValues(0) as string[]).map((text) => text.split(FIELD_SEPARATOR).map((field) => (field === NULL_MARK ? null : field)));
  }
}
