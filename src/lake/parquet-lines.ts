import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ParquetReader } from '../normalize/frame.js';
import { sqlString } from '../normalize/vpcflow.js';

/**
 * Reads Parquet files with DuckDB, as the flow-log text lines they stand for: one line per row, the
 * columns in the file's order, separated by spaces, '-' for NULL (or an empty string), as VPC Flow Logs
 * write the text format. The bytes are copied to a scratch file first, since Parquet keeps its schema at the
 * end and an S3 object arrives as a stream; DuckDB then writes the lines to a second scratch file, which
 * is framed like any text file (converting the rows to JS strings one by one would take 3× as long).
 */
export function parquetLineReader(connection: DuckDBConnection, scratchDir: string): ParquetReader {
  let files = 0;
  return async (bytes) => {
    const name = path.join(scratchDir, `parquet-${files++}`);
    const parquet = `${name}.parquet`;
    const text = `${name}.txt`;
    const cleanup = async () => {
      await Promise.all([rm(parquet, { force: true }), rm(text, { force: true })]);
    };
    try {
      await pipeline(Readable.from(bytes), createWriteStream(parquet));
      const source = `read_parquet(${sqlString(parquet)}, file_row_number = true)`;
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ${source}`);
      const columns = described.getRows().map(([name, type]) => ({ name: String(name), type: String(type) }));
      // Rows of no columns would frame as blank lines, which are not records: they would vanish uncounted.
      if (columns.length === 0) throw new Error('the file has no columns');
      const line = `concat_ws(' ', ${columns.map(fieldText).join(', ')})`;
      await connection.run(`COPY (SELECT ${line} FROM ${source} ORDER BY file_row_number) TO ${sqlString(text)}
        (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`);
      await rm(parquet, { force: true });
      return { columns: columns.map((column) => column.name), lines: readLineBytes(text, cleanup), close: cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    }
  };
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/**
 * A column's value as text-format flow logs write it. In text, line breaks inside a value would split its row
 * and tabs separate fields as spaces do: they become spaces (numbers cannot hold them; checking them costs).
 */
function fieldText({ name, type }: { name: string; type: string }): string {
  const text = `CAST(${sqlIdentifier(name)} AS VARCHAR)`;
  if (NUMERIC.test(type)) return `coalesce(${text}, '-')`;
  return `coalesce(nullif(translate(${text}, chr(9) || chr(10) || chr(13), '   '), ''), '-')`;
}

async function* readLineBytes(file: string, cleanup: () => Promise<void>): AsyncGenerator<Buffer> {
  try {
    yield* createReadStream(file, { highWaterMark: 1 << 20 });
  } finally {
    await cleanup();
  }
}

function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
