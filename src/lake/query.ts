import type { Writable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import { displayValue, jsonReplacer, renderTable } from '../cli/output.js';
import { UserError } from '../sources/input.js';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

/** Rows shown by the table format before it stops and says how many it left out. */
const TABLE_ROW_LIMIT = 1000;

/** Runs one SQL statement and streams its rows: an aligned table, JSON lines, or RFC 4180 CSV. */
export async function runQuery(connection: DuckDBConnection, sql: string, format: QueryFormat, out: Writable): Promise<number> {
  let result;
  try {
    result = await connection.stream(sql);
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
