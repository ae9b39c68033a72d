import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';

/** A column of a bulk insert: its name and DuckDB type. JSON columns take a JSON text value. */
export interface BulkColumn {
  name: string;
  type: string;
}

/**
 * Inserts rows in one statement by writing them as JSON lines and letting DuckDB read the file: much
 * faster than a prepared INSERT per row for the thousands of findings and state entries a run writes.
 */
export async function bulkInsert(connection: DuckDBConnection, table: string, columns: BulkColumn[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'gumshoe-bulk-'));
  const file = path.join(dir, 'rows.jsonl');
  try {
    writeFileSync(file, rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, row[i] ?? null])))).join('\n'));
    const spec = columns.map((c) => `'${c.name}': '${c.type === 'JSON' ? 'VARCHAR' : c.type}'`).join(', ');
    const select = columns.map((c) => (c.type === 'JSON' ? `"${c.name}"::JSON` : `"${c.name}"`)).join(', ');
    await connection.run(
      `INSERT INTO ${table} (${columns.map((c) => `"${c.name}"`).join(', ')})
       SELECT ${select} FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', columns = {${spec}})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
