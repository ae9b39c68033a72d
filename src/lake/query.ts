import type { Writable } from 'node:stream';
import { type DuckDBConnection, StatementType } from '@duckdb/node-api';
import { displayValue, jsonReplacer, renderTable } from '../cli/output.js';
import { UserError } from '../sources/input.js';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

/** Rows shown by the table format before it stops and says how many it left out. */
const TABLE_ROW_LIMIT = 1000;

/** The temporary table a query's rows are computed into before they are printed. */
const QUERY_ROWS = 'gumshoe_query_rows';

/**
 * The statement whose rows are printed. DuckDB ends a streamed result at an error inside it (a cast that
 * fails at row 50,000, say) as if there were no more rows, so a SELECT's rows are first computed into a
 * temporary table (which spills to disk past the memory limit), where an error is an error, and printed from
 * there. What cannot be wrapped (SHOW, DESCRIBE, PRAGMA, EXPLAIN, several statements) is streamed as it is.
 */
async function checkedQuery(connection: DuckDBConnection, sql: string): Promise<string> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) return sql;
  if ((await statements.prepare(0)).statementType !== StatementType.SELECT) return sql;
  try {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${QUERY_ROWS} AS ${sql}`);
  } catch (error) {
    // A SELECT-like statement that is not a query expression (SHOW, DESCRIBE, SUMMARIZE, PRAGMA).
    if (/^Parser Error/.test((error as Error).message)) return sql;
    throw error;
  }
  return `SELECT * FROM ${QUERY_ROWS}`;
}

/** Runs one SQL statement and prints its rows: an aligned table, JSON lines, or RFC 4180 CSV. */
export async function runQuery(connection: DuckDBConnection, sql: string, format: QueryFormat, out: Writable): Promise<number> {
  let result;
  try {
    result = await connection.stream(await checkedQuery(connection, sql));
  } catch (error) {
    throw new UserError(`query failed: ${(error as Error).message}`);
  }
  const columns = result.deduplicatedColumnNames();
  let count = 0;
  const tableRows: unknown[][] = [];
  if (format === 'csv') out.write(`${columns.map(csvCell).join(',')}\r\n`);
  for await (const rows of result.yieldRowsJs()) {
    for (const row of rows) {
      count++;
      if (format === 'json') {
        out.write(`${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i]])), jsonReplacer)}\n`);
      } else if (format === 'csv') {
        out.write(`${row.map((v) => csvCell(displayValue(v))).join(',')}\r\n`);
      } else if (tableRows.length < TABLE_ROW_LIMIT) {
        tableRows.push(row);
      }
    }
  }
  if (format === 'table') {
    out.write(`${renderTable(columns, tableRows)}\n`);
    const hidden = count - tableRows.length;
    out.write(`(${count} row${count === 1 ? '' : 's'}${hidden > 0 ? `, first ${tableRows.length} shown; use --format json or csv for all` : ''})\n`);
  }
  return count;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
