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

/**
 * Rows are read in time slices of whole minutes, each sorted on its own: sorting everything at once held the
 * whole run's rows in DuckDB's memory, so a run's memory grew with its size. A slice holds about this many
 * bytes of joined rows (a minute busier than that is one slice).
 */
const SLICE_BYTES = 64 << 20;

/** SQL conditions on `time` that cut the rows after the watermark into consecutive time slices (NULL times last). */
async function timeSlices(connection: DuckDBConnection, table: string, range: string, rowBytes: number): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT epoch_us(time_bucket(INTERVAL 1 minute, time)) AS minute, count(*)::DOUBLE FROM ${table} WHERE ${range} GROUP BY 1 ORDER BY 1 NULLS LAST`,
  );
  const sliceRows = Math.max(1, Math.floor(SLICE_BYTES / rowBytes));
  const starts: string[] = [];
  let undated = false;
  let rows = sliceRows;
  for (const [minute, count] of reader.getRows() as [bigint | null, number][]) {
    if (minute === null) {
      undated = true;
      continue;
    }
    if (rows >= sliceRows) {
      starts.push(String(minute));
      rows = 0;
    }
    rows += count;
  }
  const at = (us: string) => `make_timestamp(${us}::BIGINT)`;
  const slices = starts.map((start, i) => `time >= ${at(start)}${i + 1 < starts.length ? ` AND time < ${at(starts[i + 1]!)}` : ''}`);
  return undated ? [...slices, 'time IS NULL'] : slices;
}

export async function* joinedRows(
  connection: DuckDBConnection,
  table: string,
  fields: readonly string[],
  after: number,
  upTo: number,
  { freeText = new Set(), rowBytes }: { freeText?: ReadonlySet<string>; rowBytes: number },
): AsyncGenerator<Cell[][]> {
  const text = (f: string) => (freeText.has(f) ? `replace((${f})::VARCHAR, chr(31), chr(9247))` : `(${f})::VARCHAR`);
  const joined = `concat_ws(chr(31), ${fields.map((f) => `coalesce(${text(f)}, chr(30))`).join(', ')})`;
  const range = `rowid > ${after} AND rowid <= ${upTo}`;
  for (const slice of await timeSlices(connection, table, range, rowBytes)) {
    const result = await connection.stream(`SELECT ${joined} FROM ${table} WHERE ${range} AND ${slice} ORDER BY time, rowid`);
    // The next chunk is fetched (on DuckDB's threads) while detections work through this one.
    let next = result.fetchChunk();
    for (;;) {
      const chunk = await next;
      if (!chunk || chunk.rowCount === 0) break;
      next = result.fetchChunk();
      yield (chunk.getColumnValues(0) as string[]).map((line) => line.split(FIELD_SEPARATOR).map((field) => (field === NULL_MARK ? null : field)));
    }
  }
}
