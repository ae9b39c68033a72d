import type { Writable } from 'node:stream';
import {
  type DuckDBArrayValue,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  type DuckDBExtractedStatements,
  DuckDBIntervalValue,
  type DuckDBListValue,
  type DuckDBMapValue,
  type DuckDBResult,
  type DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBUnionValue,
  type DuckDBValue,
  StatementType,
} from '@duckdb/node-api';
import { jsonInteger, renderTable } from '../cli/output.js';
import { UserError } from '../sources/input.js';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

/** Rows shown by the table format before it stops and says how many it left out. */
const TABLE_ROW_LIMIT = 1000;

/** Runs one SQL statement and prints its rows: an aligned table, JSON lines, or RFC 4180 CSV. */
export async function runQuery(connection: DuckDBConnection, sql: string, format: QueryFormat, out: Writable): Promise<number> {
  const result = await queryResult(connection, sql, format);
  const columns = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  let count = 0;
  const tableRows: string[][] = [];
  if (format === 'csv') out.write(csvLine(columns.map(csvCell)));
  for await (const rows of result.yieldRows()) {
    for (const row of rows) {
      count++;
      if (format === 'json') {
        out.write(`${jsonObject(columns.map((name, i) => [name, row[i], types[i]]))}\n`);
      } else if (format === 'csv') {
        out.write(csvLine(row.map(csvCell)));
      } else if (tableRows.length < TABLE_ROW_LIMIT) {
        tableRows.push(row.map(textCell));
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

/**
 * The rows of the one statement in `sql`. DuckDB ends a streamed result at an error inside it (a cast that
 * fails at row 50,000, say) as if there were no more rows, so a SELECT's rows are first computed in full.
 */
async function queryResult(connection: DuckDBConnection, sql: string, format: QueryFormat): Promise<DuckDBResult> {
  const statements = await statementsIn(connection, sql);
  if (statements.count > 1) throw new UserError(`query takes one SQL statement; this has ${statements.count} (run them one at a time)`);
  try {
    if ((await statements.prepare(0)).statementType !== StatementType.SELECT) return await connection.stream(sql);
    return await materializedResult(connection, sql, format);
  } catch (error) {
    throw new UserError(`query failed: ${(error as Error).message}`);
  }
}

async function statementsIn(connection: DuckDBConnection, sql: string): Promise<DuckDBExtractedStatements> {
  try {
    return await connection.extractStatements(sql);
  } catch (error) {
    const message = (error as Error).message;
    // node-api fails on SQL with no statement (empty, or only comments) without a message from DuckDB.
    throw new UserError(/^Failed to extract statements: /.test(message) ? `query failed: ${message}` : 'the query is empty: give one SQL statement');
  }
}

/**
 * A SELECT's rows from a materialized CTE, which spills to disk past the memory limit and, unlike a temporary
 * table, is not in the catalog the query may read. What cannot be wrapped (SHOW, DESCRIBE, SUMMARIZE, PRAGMA,
 * or a comment after the closing semicolon) is streamed as it is.
 */
async function materializedResult(connection: DuckDBConnection, sql: string, format: QueryFormat): Promise<DuckDBResult> {
  try {
    return await connection.stream(materialized(sql, format));
  } catch (error) {
    const message = (error as Error).message;
    if (/^(Failed to extract statements: )?Parser Error/.test(message)) return connection.stream(sql);
    throw new Error(withUserLineNumbers(message));
  }
}

/**
 * `sql` computed in full before its first row comes out. The user's SQL starts on a line of its own, so
 * DuckDB's error context quotes it rather than the wrapper; a closing semicolon would be a syntax error inside
 * the CTE. Table and CSV cells are each value as DuckDB casts it to text.
 */
function materialized(sql: string, format: QueryFormat): string {
  const values = format === 'json' ? '*' : 'COLUMNS(*)::VARCHAR';
  return `WITH gumshoe_rows AS MATERIALIZED (\n${sql.replace(/[\s;]+$/, '')}\n) SELECT ${values} FROM gumshoe_rows`;
}

/**
 * DuckDB numbers the lines of the wrapped statement, whose first line is the wrapper's. The label keeps its
 * width, so the caret under the quoted line still points at the fault.
 */
function withUserLineNumbers(message: string): string {
  return message.replace(/^LINE (\d+): /m, (label, line: string) => `LINE ${Number(line) - 1}: `.padEnd(label.length));
}

/** A table or CSV cell. Materialized rows are DuckDB's text already; a streamed statement's values give their own. */
function textCell(value: DuckDBValue): string {
  return value === null ? '' : String(value);
}

function csvLine(cells: string[]): string {
  return `${cells.join(',')}\r\n`;
}

/** NULL is an empty field and the empty string `""`, as DuckDB's own COPY writes them, so the two stay apart. */
function csvCell(value: DuckDBValue): string {
  if (value === null) return '';
  const text = String(value);
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A JSON object from [name, value, type] entries: a row, a STRUCT or a MAP with text keys. */
function jsonObject(entries: [string, DuckDBValue, DuckDBType][]): string {
  return `{${entries.map(([name, value, type]) => `${JSON.stringify(name)}:${jsonText(value, type)}`).join(',')}}`;
}

/** A value as JSON text; nested values stay nested, and JSON-typed values are embedded as JSON. */
function jsonText(value: DuckDBValue, type: DuckDBType): string {
  if (value === null) return 'null';
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return `[${(value as DuckDBListValue | DuckDBArrayValue).items.map((item) => jsonText(item, type.valueType)).join(',')}]`;
    case DuckDBTypeId.STRUCT:
      return jsonObject(type.entryNames.map((name, i) => [name, (value as DuckDBStructValue).entries[name], type.entryTypes[i]]));
    case DuckDBTypeId.MAP: {
      const { entries } = value as DuckDBMapValue;
      if (type.keyType.typeId === DuckDBTypeId.VARCHAR) return jsonObject(entries.map((e) => [e.key as string, e.value, type.valueType]));
      return `[${entries.map((e) => jsonObject([['key', e.key, type.keyType], ['value', e.value, type.valueType]])).join(',')}]`;
    }
    case DuckDBTypeId.UNION: {
      const union = value as DuckDBUnionValue;
      return `{"tag":${JSON.stringify(union.tag)},"value":${jsonText(union.value, type.memberTypeForTag(union.tag))}}`;
    }
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? embeddedJson(value as string) : JSON.stringify(value);
    default:
      return JSON.stringify(jsonScalar(value));
  }
}

/**
 * A JSON-typed value as it is stored, so no digit of a large number is lost, on one line (a raw line break in
 * valid JSON can only be whitespace between tokens). DuckDB also takes NaN and trailing commas, which JSON
 * readers refuse: such a value stays a string.
 */
function embeddedJson(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    return JSON.stringify(text);
  }
  return text.replace(/[\r\n]+/g, ' ');
}

/** What a scalar is in JSON: numbers that a double holds exactly, else DuckDB's text (NaN and infinities too). */
function jsonScalar(value: DuckDBValue): unknown {
  if (typeof value === 'bigint') return jsonInteger(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof DuckDBDecimalValue) return jsonDecimal(value);
  if (value instanceof DuckDBDateValue) return dateText(value);
  if (value instanceof DuckDBTimestampTZValue) return isoTimestamp(new DuckDBTimestampValue(value.micros));
  if (isTimestamp(value)) return isoTimestamp(value);
  if (value instanceof DuckDBIntervalValue) return { months: value.months, days: value.days, micros: jsonInteger(value.micros) };
  return typeof value === 'object' ? String(value) : value;
}

/** Significant digits a double keeps exactly: a decimal with more is a string, so none is lost. */
const DOUBLE_DIGITS = 15;

function jsonDecimal(decimal: DuckDBDecimalValue): number | string {
  const text = decimal.toString();
  const significant = (decimal.value < 0n ? -decimal.value : decimal.value).toString().replace(/0+$/, '');
  // Parsed from the text, not divided by a power of ten, which a double holds inexactly past 10^22.
  return significant.length <= DOUBLE_DIGITS ? Number(text) : text;
}

/** node-api prints DATE's infinities as dates millions of years away; DuckDB prints them as words. */
function dateText(date: DuckDBDateValue): string {
  if (date.days === DuckDBDateValue.PosInf.days) return 'infinity';
  if (date.days === DuckDBDateValue.NegInf.days) return '-infinity';
  return date.toString();
}

type Timestamp = DuckDBTimestampValue | DuckDBTimestampSecondsValue | DuckDBTimestampMillisecondsValue | DuckDBTimestampNanosecondsValue;

function isTimestamp(value: DuckDBValue): value is Timestamp {
  return (
    value instanceof DuckDBTimestampValue ||
    value instanceof DuckDBTimestampSecondsValue ||
    value instanceof DuckDBTimestampMillisecondsValue ||
    value instanceof DuckDBTimestampNanosecondsValue
  );
}

/**
 * A timestamp (UTC) in ISO 8601 with at least milliseconds, as JSON output has always had, and as many more
 * digits as it holds; DuckDB's words (infinity) and BC dates stay as DuckDB writes them.
 */
function isoTimestamp(timestamp: Timestamp): string {
  const text = timestamp.toString();
  const parts = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?$/.exec(text);
  return parts ? `${parts[1]}T${parts[2]}.${(parts[3] ?? '').padEnd(3, '0')}Z` : text;
}
