import type { DuckDBConnection, DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';
import { ShortRead } from '../lake/db.js';

/**
 * Reading a run's rows in time order, one time slice at a time. Sorted all at once, a run kept detections
 * idle until its last row was sorted (about 5 s of a 5M-flow run) and spilled to temporary files as large
 * as the run (470 MB for 5M flow records). Slices are sorted one by one, each on the other connection while
 * detections work through the one before: the sort overlaps with detection, and holds two slices at most.
 */

/** The connections a reader may use: the lake's own, and others for reading ahead (a Lake is one). */
export interface LakeConnections {
  readonly connection: DuckDBConnection;
  connect(): Promise<DuckDBConnection>;
}

/** A result's chunks; the next is fetched (on DuckDB's threads) while the caller works through this one. */
async function* prefetchedChunks(result: DuckDBResult): AsyncGenerator<DuckDBDataChunk> {
  let next = result.fetchChunk();
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) return;
    next = result.fetchChunk();
    yield chunk;
  }
}

const timestampAt = (micros: number) => `make_timestamp(${micros}::BIGINT)`;

/** One slice of a run: its condition on `time`, and how many rows it holds. */
export interface TimeSlice {
  condition: string;
  rows: number;
}

/**
 * How large a slice may be: at most `rows` rows, and, where rows are wide, about SLICE_BYTES of the text
 * that `rowBytes` (SQL: a row's width in bytes) measures.
 */
export interface SliceSize {
  rows: number;
  rowBytes?: string;
}

/** Text per slice for wide rows: two slices, sorted with their text, share DuckDB's 256MB while detecting. */
const SLICE_BYTES = 48 * 2 ** 20;

/**
 * Slices that cut the rows of `range` (each with a time) in time order, at the exact quantiles of their
 * times (about 0.2 s for 5M rows). One slice when the rows fit.
 */
export async function timeSlices(connection: DuckDBConnection, table: string, range: string, size: SliceSize): Promise<TimeSlice[]> {
  const totals = await connection.runAndReadAll(`SELECT count(*)::DOUBLE, count(time)::DOUBLE, ${size.rowBytes ? `sum(${size.rowBytes})::DOUBLE` : '0'} FROM ${table} WHERE ${range}`);
  const [count, timed, bytes] = (totals.getRowsJS()[0] as (number | null)[]).map(Number) as [number, number, number];
  // No condition on time holds for a row with no time, so it would be in no slice: the caller leaves such rows out.
  if (timed !== count) throw new Error(`${count - timed} rows of ${table} in a time-sliced read have no time`);
  const perSlice = Math.min(size.rows, bytes > 0 ? (count * SLICE_BYTES) / bytes : Infinity);
  const conditions = await cutAtQuantiles(connection, table, range, Math.ceil(count / perSlice));
  if (conditions.length === 1) return [{ condition: conditions[0]!, rows: count }];
  const counts = await connection.runAndReadAll(`SELECT ${conditions.map((c) => `count(*) FILTER (WHERE ${c})::DOUBLE`).join(', ')} FROM ${table} WHERE ${range}`);
  const rows = counts.getRowsJS()[0] as number[];
  return conditions.map((condition, k) => ({ condition, rows: rows[k]! }));
}

/**
 * Conditions that cut the rows of `range` into up to `parts` consecutive runs of time, each ending at a
 * quantile of their times; a run never splits one instant.
 */
async function cutAtQuantiles(connection: DuckDBConnection, table: string, range: string, parts: number): Promise<string[]> {
  if (parts <= 1) return ['true'];
  const fractions = Array.from({ length: parts - 1 }, (_, k) => (k + 1) / parts);
  const reader = await connection.runAndReadAll(`SELECT max(epoch_us(time))::DOUBLE, quantile_disc(epoch_us(time), [${fractions.join(', ')}])::DOUBLE[]
    FROM ${table} WHERE ${range}`);
  const [latest, quantiles] = reader.getRowsJS()[0] as [number, number[]];
  // A quantile equal to the latest time or to the one before would end an empty run.
  const cuts = [...new Set(quantiles)].filter((cut) => cut < latest);
  if (cuts.length === 0) return ['true'];
  const upTo = (micros: number) => `time <= ${timestampAt(micros)}`;
  const after = (micros: number) => `time > ${timestampAt(micros)}`;
  return [upTo(cuts[0]!), ...cuts.slice(1).map((cut, k) => `${after(cuts[k]!)} AND ${upTo(cut)}`), after(cuts.at(-1)!)];
}

/**
 * The chunks of `sql(slice)` for each slice in turn. The next slice's query runs on a second connection
 * while the caller works through this one's chunks; the two connections take turns, and a connection's
 * next query frees what its last one held.
 */
export async function* slicedChunks(lake: LakeConnections, table: string, slices: readonly TimeSlice[], sql: (condition: string) => string): AsyncGenerator<DuckDBDataChunk> {
  const connections: DuckDBConnection[] = [lake.connection];
  const start = async (k: number): Promise<DuckDBResult> => {
    const turn = k % 2;
    connections[turn] ??= await lake.connect();
    return connections[turn].stream(sql(slices[k]!.condition));
  };
  // A query read ahead may fail before it is awaited; it is marked handled here and fails where awaited.
  const readAhead = (k: number) => {
    const result = start(k);
    result.catch(() => undefined);
    return result;
  };
  let next: Promise<DuckDBResult> | undefined = start(0);
  try {
    for (let k = 0; k < slices.length; k++) {
      const result = await next!;
      next = k + 1 < slices.length ? readAhead(k + 1) : undefined;
      let read = 0;
      for await (const chunk of prefetchedChunks(result)) {
        read += chunk.rowCount;
        yield chunk;
      }
      if (read !== slices[k]!.rows) throw new ShortRead(table, read, slices[k]!.rows);
    }
  } finally {
    await next?.catch(() => undefined);
    connections[1]?.closeSync();
  }
}
