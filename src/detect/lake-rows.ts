import type { DuckDBConnection, DuckDBDoubleVector } from '@duckdb/node-api';
import { type LakeConnections, type SliceSize, slicedChunks, timeSlices } from './time-slices.js';

/**
 * Rows of a lake table after a row-id watermark, in time order: text fields (null for NULL) and, optionally,
 * numeric fields and columns shared by many rows (read once per distinct combination).
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

/**
 * The order rows are read in: by time, then, for rows of the same second, by their record's content (the dedup
 * key). Row ids would do for the ties, but a parallel ingest numbers rows in no fixed order, so the same logs
 * ingested twice would put tied rows, and the findings built from them, in different orders.
 */
export const readOrder = (alias: string) => `ORDER BY ${alias}.time, ${alias}.dedup_key`;

/** Rows stored after `after` up to and including `upTo` (row ids). */
export const rowRange = (after: number, upTo: number) => `rowid > ${after} AND rowid <= ${upTo}`;

/** A numeric field as DOUBLE, NaN standing for NULL (read back with `orNull`). */
export const asDouble = (sql: string) => `coalesce((${sql})::DOUBLE, 'NaN'::DOUBLE)`;
export const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/** The highest row id in a table: the watermark a run processes up to. */
export async function tableWatermark(connection: DuckDBConnection, table: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT coalesce(max(rowid), -1)::BIGINT FROM ${table}`);
  return Number(reader.getRows()[0]![0]);
}

/** How many rows of a table have a row id up to `rowId`. */
export async function rowsUpTo(connection: DuckDBConnection, table: string, rowId: number): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${table} WHERE rowid <= ${rowId}`);
  return Number(reader.getRows()[0]![0]);
}

/**
 * Where a run that processed the first `rows` rows of a table stopped: the row id `stored` with that count
 * while it still ends that many rows, else the row id of the `rows`-th row in row-id order (-1 for none). A
 * checkpoint that compacts deleted rows away gives the rows after them lower row ids, so a stored row id can
 * end up past rows stored later; the rows a run processed stay the first ones (an ingest deletes only rows it
 * appended, and `gumshoe prune` only processed rows, lowering the count by as many), so their count finds the
 * place again.
 */
export async function rowIdOfRow(connection: DuckDBConnection, table: string, rows: number, stored: number): Promise<number> {
  if (rows <= 0) return -1;
  // Usually no checkpoint has renumbered rows since: the row id stored still ends the first `rows` rows.
  if (stored >= 0 && (await rowsUpTo(connection, table, stored)) === rows) return stored;
  // Fewer rows than that (a lake restored from an older copy): all of them were processed.
  const reader = await connection.runAndReadAll(`SELECT coalesce((SELECT rowid FROM ${table} ORDER BY rowid LIMIT 1 OFFSET ${rows - 1}),
    (SELECT max(rowid) FROM ${table}), -1)::BIGINT`);
  return Number(reader.getRows()[0]![0]);
}

/**
 * A chunk's rows, each made as it is iterated. Made all at once, a chunk's 2,048 objects live through the
 * work on the whole chunk, long enough to be moved out of V8's young generation, and die in the old one:
 * hundreds of MB of old-generation garbage per million rows, which V8 lets pile up (heap 0.5 GB against
 * 0.1 GB live over 5M flow records) before collecting it.
 */
export function* oneByOne<T>(length: number, make: (i: number) => T): Generator<T> {
  for (let i = 0; i < length; i++) yield make(i);
}

/**
 * A chunk of rows as DuckDB gave them, before any row is made: plain arrays, so that a detection lane on
 * another thread can be sent a copy (lanes.ts). `codes` index the reader's dictionary of shared values.
 */
export interface RowChunk {
  text: Cell[][];
  numbers: Float64Array[];
  codes?: Float64Array;
}

/** A chunk and the dictionary its codes refer to: the same object for every chunk of one read. */
export interface ReadChunk<D> {
  dictionary: D;
  chunk: RowChunk;
}

/**
 * Where the rows of a joined read find their shared columns: a code into `shared`, or, past the limit of
 * combinations held, their own fields from `sharedFrom` on.
 */
export interface JoinedDictionary {
  shared?: Cell[][];
  sharedFrom?: number;
}

/**
 * Makes row i of a chunk: its text fields, its shared columns' values, and the chunk's numeric fields
 * (`numbers[k][i]` is its k-th numeric field, NaN for NULL).
 */
export type RowMaker<T> = (text: Cell[], shared: Cell[], numbers: Float64Array[], i: number) => T;

/** SQL for one row's text fields joined into one string (see the module comment). */
function joinedText(fields: readonly string[], freeText: ReadonlySet<string>): string {
  const text = (f: string) => (freeText.has(f) ? `replace((${f})::VARCHAR, chr(31), chr(9247))` : `(${f})::VARCHAR`);
  return `concat_ws(chr(31), ${fields.map((f) => `coalesce(${text(f)}, chr(30))`).join(', ')})`;
}

/** At most this many combinations of shared columns are held (memory); past it each row carries its own. */
const MAX_SHARED = 100_000;

const NO_CELLS: Cell[] = [];
const splitRow = (row: string): Cell[] => row.split(FIELD_SEPARATOR).map((field) => (field === NULL_MARK ? null : field));

/**
 * Columns whose values repeat across many rows (where a record was logged, who made a call), read once per
 * distinct combination among the rows of `range`: a table holds each combination under a code, which the
 * rows' query joins in. Saves converting and splitting the same strings row after row, and one value is
 * then one string (hashed once as a map key). The table is in the instance's in-memory database, not the
 * lake, so every connection reading a slice joins the same one.
 */
export interface SharedColumns {
  /** The combinations, by code: `values[code][k]` is the k-th column's value. */
  values: Cell[][];
  /** The joined combination's code, as a DOUBLE column expression. */
  code: string;
  /** Joins the combinations to the rows of `alias`, giving each its `code`. */
  join(alias: string): string;
  drop(): Promise<void>;
}

/** Numbers the in-memory tables of shared columns: readers of one process never share one. */
let sharedTables = 0;

export async function sharedColumns(
  connection: DuckDBConnection,
  table: string,
  columns: readonly string[],
  range: string,
  freeText: ReadonlySet<string> = new Set(),
  limit = Infinity,
): Promise<SharedColumns | undefined> {
  const name = `memory.main.${table}_shared_${++sharedTables}`;
  // Aliased s0, s1, …: the rows' own columns keep their names unqualified in the query that joins them.
  await connection.run(`CREATE TABLE ${name} AS
    SELECT (row_number() OVER () - 1)::DOUBLE AS code, * FROM (SELECT DISTINCT ${columns.map((c, k) => `${c} AS s${k}`).join(', ')} FROM ${table} WHERE ${range})`);
  const drop = async () => {
    await connection.run(`DROP TABLE IF EXISTS ${name}`);
  };
  const count = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${name}`)).getRows()[0]![0]);
  if (count > limit) {
    await drop();
    return undefined;
  }
  const values: Cell[][] = [];
  const reader = await connection.runAndReadAll(`SELECT code, ${joinedText(columns.map((_, k) => `s${k}`), new Set(columns.flatMap((c, k) => (freeText.has(c) ? [`s${k}`] : []))))} FROM ${name}`);
  for (const [code, row] of reader.getRowsJS()) values[Number(code)] = splitRow(String(row));
  return {
    values,
    code: 'shared.code',
    join: (alias) => `JOIN ${name} AS shared ON ${columns.map((c, k) => `${alias}.${c} IS NOT DISTINCT FROM shared.s${k}`).join(' AND ')}`,
    drop,
  };
}

/** How a reader of rows is cut (tests cut finer): rows per time slice (time-slices.ts), shared columns held. */
export interface ReadOptions {
  sliceRows?: number;
  sharedLimit?: number;
}

/** A reader's slice size, unless the options set the rows per slice. */
export const sliceSize = (options: ReadOptions, size: SliceSize): SliceSize => (options.sliceRows ? { rows: options.sliceRows } : size);

/** The chunks of `range` in time order, time slice by time slice (time-slices.ts); rows are made by `joinedRows`. */
export async function* joinedChunks(
  lake: LakeConnections,
  table: string,
  fields: readonly string[],
  after: number,
  upTo: number,
  options: ReadOptions & { slice: SliceSize; freeText?: ReadonlySet<string>; numbers?: readonly string[]; shared?: readonly string[] },
): AsyncGenerator<ReadChunk<JoinedDictionary>> {
  const { connection } = lake;
  const freeText = options.freeText ?? new Set();
  const numbers = options.numbers ?? [];
  const range = rowRange(after, upTo);
  const sharedFields = options.shared ?? [];
  const shared = sharedFields.length ? await sharedColumns(connection, table, sharedFields, range, freeText, options.sharedLimit ?? MAX_SHARED) : undefined;
  // Too many combinations to hold: the shared columns are read with each row instead, after its own fields.
  const rowFields = shared ? fields : [...fields, ...sharedFields];
  const dictionary: JoinedDictionary = shared ? { shared: shared.values } : sharedFields.length ? { sharedFrom: fields.length } : {};
  try {
    const numeric = numbers.map((f) => `, ${asDouble(f)}`).join('');
    const slices = await timeSlices(connection, table, range, sliceSize(options, options.slice));
    const sql = (slice: string) => `SELECT ${joinedText(rowFields, freeText)}${numeric}${shared ? `, ${shared.code}` : ''}
      FROM (SELECT *, rowid AS row_id FROM ${table} WHERE ${range} AND ${slice}) t ${shared?.join('t') ?? ''}
      ${readOrder('t')}`;
    for await (const chunk of slicedChunks(lake, table, slices, sql)) {
      yield {
        dictionary,
        chunk: {
          text: [chunk.getColumnValues(0) as string[]],
          numbers: numbers.map((_, k) => doubles(chunk.getColumnVector(k + 1) as DuckDBDoubleVector)),
          codes: shared ? doubles(chunk.getColumnVector(numbers.length + 1) as DuckDBDoubleVector) : undefined,
        },
      };
    }
  } finally {
    await shared?.drop();
  }
}

/** The rows of a chunk `joinedChunks` read, each made by `make` as it is iterated. */
export function joinedRows<T>(dictionary: JoinedDictionary, chunk: RowChunk, make: RowMaker<T>): Generator<T> {
  const rows = chunk.text[0] as string[];
  const { codes } = chunk;
  return oneByOne(rows.length, (i) => {
    const text = splitRow(rows[i]!);
    const ownShared = codes ? dictionary.shared![codes[i]!]! : dictionary.sharedFrom === undefined ? NO_CELLS : text.splice(dictionary.sharedFrom);
    return make(text, ownShared, chunk.numbers, i);
  });
}

/** A DOUBLE vector's values; NULL never occurs (coalesced to NaN in SQL). */
export function doubles(vector: DuckDBDoubleVector): Float64Array {
  const values = new Float64Array(vector.itemCount);
  for (let i = 0; i < values.length; i++) values[i] = vector.getItem(i) ?? Number.NaN;
  return values;
}
