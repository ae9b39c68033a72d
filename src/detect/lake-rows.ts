import type { DuckDBConnection, DuckDBDoubleVector } from '@duckdb/node-api';

/**
 * Rows of a lake table after a row-id watermark, in time order: text fields (null for NULL) and, optionally,
 * numeric fields.
 *
 * DuckDB joins each row's text fields into one string (unit separator between fields, record separator for
 * NULL) which JS splits: converting one string per row is about 5× faster than one per cell. Numbers come as
 * DOUBLE columns, whose values JS reads from the vector's memory without a native call each. JSON text
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

/**
 * A chunk of rows: `text[i]` holds row i's text fields; `numbers[k][i]` its k-th numeric field (NaN for
 * NULL). Numbers travel as DOUBLE vectors, read without converting each value.
 */
export interface RowChunk {
  text: Cell[][];
  numbers: Float64Array[];
}

export async function* joinedRows(
  connection: DuckDBConnection,
  table: string,
  fields: readonly string[],
  after: number,
  upTo: number,
  options: { freeText?: ReadonlySet<string>; numbers?: readonly string[] } = {},
): AsyncGenerator<RowChunk> {
  const freeText = options.freeText ?? new Set();
  const numbers = options.numbers ?? [];
  const text = (f: string) => (freeText.has(f) ? `replace((${f})::VARCHAR, chr(31), chr(9247))` : `(${f})::VARCHAR`);
  const joined = `concat_ws(chr(31), ${fields.map((f) => `coalesce(${text(f)}, chr(30))`).join(', ')})`;
  const numeric = numbers.map((f) => `, coalesce((${f})::DOUBLE, 'NaN'::DOUBLE)`).join('');
  const result = await connection.stream(`SELECT ${joined}${numeric} FROM ${table} WHERE rowid > ${after} AND rowid <= ${upTo} ORDER BY time, rowid`);
  // The next chunk is fetched (on DuckDB's threads) while detections work through this one.
  let next = result.fetchChunk();
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) return;
    next = result.fetchChunk();
    yield {
      text: (chunk.getColumnValues(0) as string[]).map((row) => row.split(FIELD_SEPARATOR).map((field) => (field === NULL_MARK ? null : field))),
      numbers: numbers.map((_, k) => doubles(chunk.getColumnVector(k + 1) as DuckDBDoubleVector)),
    };
  }
}

/** A DOUBLE vector's values; NULL never occurs (coalesced to NaN in SQL). */
export function doubles(vector: DuckDBDoubleVector): Float64Array {
  const values = new Float64Array(vector.itemCount);
  for (let i = 0; i < values.length; i++) values[i] = vector.getItem(i) ?? Number.NaN;
  return values;
}
