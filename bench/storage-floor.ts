/**
 * The storage floor: how fast a lake table takes rows that are already typed, with nothing else to do (no
 * reading, parsing, mapping or duplicate checks). No ingest can be faster on the same machine.
 *
 * Up to FLOOR_ROWS rows of an ingested lake's table are copied into a TEMP table of a fresh lake opened with
 * Lake.open, so memory limit, row group size and schema are the ones ingest writes with; then one
 * `INSERT INTO <table> SELECT * FROM <temp>` and its COMMIT are timed, with insertion order off as in ingest.
 */
import { rm } from 'node:fs/promises';
import { Lake } from '../src/lake/db.js';
import type { EventTable } from '../src/lake/schema.js';

const FLOOR_ROWS = 500_000;

export const FLOOR_EXPLANATION = `storage floor: inserting pre-typed rows (up to ${FLOOR_ROWS.toLocaleString('en-US')} copied from the ingested lake), ` +
  'nothing else: the fastest ingest this storage allows';

export interface StorageFloor {
  rows: number;
  seconds: number;
  recordsPerSecond: number;
}

/** A lake file with its write-ahead log and spill directory. */
export async function removeLake(file: string): Promise<void> {
  await Promise.all([file, `${file}.wal`, `${file}.tmp`].map((name) => rm(name, { recursive: true, force: true })));
}

/** Undefined when the ingested lake holds no rows of `table`. `scratchFile` is created and removed. */
export async function measureStorageFloor(ingestedFile: string, table: EventTable, scratchFile: string): Promise<StorageFloor | undefined> {
  await removeLake(scratchFile);
  const lake = await Lake.open(scratchFile);
  try {
    const sql = (statement: string) => lake.connection.run(statement);
    await sql(`ATTACH '${ingestedFile.replaceAll("'", "''")}' AS ingested (READ_ONLY)`);
    await sql(`CREATE TEMP TABLE staged AS SELECT * FROM ingested.${table} LIMIT ${FLOOR_ROWS}`);
    await sql('DETACH ingested');
    const rows = Number((await lake.connection.runAndReadAll('SELECT count(*) FROM temp.staged')).getRowsJS()[0]![0]);
    if (rows === 0) return undefined;
    await sql('SET preserve_insertion_order = false');
    const started = performance.now();
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} SELECT * FROM temp.staged`);
    await sql('COMMIT');
    const seconds = (performance.now() - started) / 1000;
    return { rows, seconds, recordsPerSecond: rows / seconds };
  } finally {
    lake.close();
    await removeLake(scratchFile);
  }
}
