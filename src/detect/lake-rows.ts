import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Rows of a lake table after a row-id watermark, in time order, as arrays of text fields (null for NULL).
 *
 * DuckDB joins each row's fields into one string (unit separator between fields, record separator for
 * NULL) which JS splits: converting one value per row is about 5× faster than one per cell. JSON text
 * cannot hold a raw separator; a row whose plain text does is read again the slow way, by row id.
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
): AsyncGenerator<Cell[][]> {
  const all = ['rowid', ...fields];
  const joined = `concat_ws(chr(31), ${all.map((f) => `coalesce((${f})::VARCHAR, chr(30))`).join(', ')})`;
  const result = await connection.stream(`SELECT ${joined} FROM ${table} WHERE rowid > ${after} AND rowid <= ${upTo} ORDER BY time, rowid`);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const rows: Cell[][] = [];
    for (const text of chunk.getColumnValues(0) as string[]) {
      let row: Cell[] = text.split(FIELD_SEPARATOR).map((field) => (field === NULL_MARK ? null : field));
      if (row.length !== all.length) {
        const reader = await connection.runAndReadAll(
          `SELECT ${all.map((f) => `(${f})::VARCHAR`).join(', ')} FROM ${table} WHERE rowid = ${Number(text.slice(0, text.indexOf(FIELD_SEPARATOR)))}`,
        );
        row = reader.getRowsJS()[0]!.map((v) => (v === null ? null : String(v)));
      }
      rows.push(row.slice(1));
    }
    yield rows;
  }
}
