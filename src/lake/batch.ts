import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { cloudTrailNormalizer } from '../normalize/cloudtrail.js';
import { ChunkKind, chunkSize, type StageChunk, type TextChunk } from '../normalize/frame.js';
import { explainUnparsed } from '../normalize/json-fields.js';
import { guardDutyNormalizer } from '../normalize/guardduty.js';
import type { BatchFile, Normalizer } from '../normalize/normalizer.js';
import { route53Normalizer } from '../normalize/route53.js';
import { sqlString, vpcFlowNormalizer } from '../normalize/vpcflow.js';
import type { RecordCounts, SourceType } from './ingest-api.js';

const NORMALIZERS: Record<SourceType, Normalizer> = {
  cloudtrail: cloudTrailNormalizer,
  vpcflow: vpcFlowNormalizer,
  route53: route53Normalizer,
  guardduty: guardDutyNormalizer,
};

/** Per-file tallies of one batch: records framed and records quarantined. */
export interface FileTally {
  read: number;
  quarantined: number;
}

export interface BatchResult {
  byType: Map<SourceType, RecordCounts>;
  byFile: Map<number, FileTally>;
}

/**
 * One normalizer SELECT's worth of records, judged: `<name>` holds each record's verdict (reason, key,
 * time), `<name>_keep` the records to store (valid, not yet in the lake, first of any repeats).
 */
interface Judged {
  normalizer: Normalizer;
  name: string;
  /** Index of this group among the normalizer's SELECTs. */
  group: number;
  perFile: Record<string, unknown>[];
  read: number;
  bad: number;
  /** Whether any record of the group is not to be stored (then `<name>_drop` lists them). */
  dropped: boolean;
  /** Whether `<name>` holds the mapped rows themselves, not only their verdicts. */
  materialized: boolean;
}

/**
 * A group whose valid records are recognised by pattern (see `Normalizer.validPattern`): `<name>` holds only
 * the records that do not match, mapped and judged; the rest go straight into the table at store time.
 */
interface Streamed {
  normalizer: Normalizer;
  name: string;
  group: number;
  files: BatchFile[];
}

/** Malformed-JSON quarantine rows get the parser's own words, for at most this many per batch. */
const DETAILED_JSON_ERRORS = 10_000;

/** Separates the fields of a stage-file line; valid JSON and flow-log text never contain it. */
const FIELD = '\x1f';
/** Stage lines are encoded straight into this buffer, not concatenated as strings: CloudTrail's JS heap stays small. */
const OUT_BUFFER_BYTES = 1 << 20;
/** A record that can be one line of the stage file. */
const ONE_LINE = /^[^\n\r\x1f]*$/;
/**
 * Longer records go to the staging table. DuckDB reads a CSV file in parallel by buffers, which must hold
 * the longest line allowed: small buffers (so even a small batch spreads over both cores) need a bound.
 */
const MAX_FILE_LINE = 256 << 10;
/** Bytes: a UTF-8 character takes at most 4. */
const MAX_LINE_BYTES = MAX_FILE_LINE * 4;

/**
 * Framed records wait in a stage file on disk, one line each (`file_id FIELD line FIELD index FIELD raw`),
 * which DuckDB reads in parallel and without holding the batch in memory. The few records that cannot be
 * a single such line (pretty-printed JSON, control characters, the cut-off end of a damaged file) wait in a
 * small staging table instead. `commit` turns both into lake rows in one transaction: normalize, drop what
 * the lake already holds, quarantine the rest with reasons.
 */
export class StagedBatch {
  private files = new Map<number, BatchFile>();
  private readonly stageFile: string;
  private stageFd: number;
  private readonly out = Buffer.allocUnsafe(OUT_BUFFER_BYTES);
  private outBytes = 0;
  /** Records that cannot be a stage-file line; they go through the staging table at commit. */
  private tableChunks: { fileId: number; chunk: TextChunk }[] = [];
  stagedBytes = 0;
  stagedRecords = 0;

  /** `stageFile`'s directory must exist. */
  constructor(stageFile: string) {
    this.stageFile = stageFile;
    this.stageFd = openSync(stageFile, 'w');
  }

  close(): void {
    closeSync(this.stageFd);
    rmSync(this.stageFile, { force: true });
  }

  get isEmpty(): boolean {
    return this.files.size === 0;
  }

  addFile(file: BatchFile): void {
    this.files.set(file.fileId, file);
  }

  append(fileId: number, chunk: StageChunk): void {
    this.stagedBytes += chunkSize(chunk);
    if (chunk.kind === ChunkKind.Elements) {
      for (let i = 0; i < chunk.elements.length; i++) {
        const element = chunk.elements[i]!;
        const line = chunk.elementLines[i]!;
        if (element.length > MAX_FILE_LINE || !(chunk.singleLine ? !element.includes(FIELD) : ONE_LINE.test(element))) {
          this.toTable(fileId, { kind: ChunkKind.Single, firstLine: line, firstIndex: chunk.firstIndex + i, text: element, records: 1 });
        } else {
          this.write(`${fileId}${FIELD}${line}${FIELD}${chunk.firstIndex + i}${FIELD}`, element);
        }
      }
      return;
    }
    if (chunk.kind === ChunkKind.Lines && !chunk.broken && !chunk.text.includes(FIELD)) {
      const lines = chunk.text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        // Blank lines are not records.
        if (line.length > MAX_FILE_LINE) {
          this.toTable(fileId, { kind: ChunkKind.Lines, firstLine: chunk.firstLine + i, firstIndex: 0, text: line, records: 1 });
        } else if (line) {
          this.write(`${fileId}${FIELD}${chunk.firstLine + i}${FIELD}${FIELD}`, line);
        }
      }
      return;
    }
    this.toTable(fileId, chunk);
  }

  /** Appends one stage line: `prefix` (the fields before the record), the record, a newline. */
  private write(prefix: string, record: string): void {
    this.stagedRecords++;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = (prefix.length + record.length) * 3 + 1;
    if (this.outBytes + most > OUT_BUFFER_BYTES) this.flushFile();
    if (most > OUT_BUFFER_BYTES) {
      writeSync(this.stageFd, `${prefix}${record}\n`);
      return;
    }
    this.outBytes += this.out.write(prefix, this.outBytes);
    this.outBytes += this.out.write(record, this.outBytes);
    this.out[this.outBytes++] = 0x0a;
  }

  private flushFile(): void {
    if (this.outBytes === 0) return;
    writeSync(this.stageFd, this.out, 0, this.outBytes);
    this.outBytes = 0;
  }

  private toTable(fileId: number, chunk: TextChunk): void {
    this.tableChunks.push({ fileId, chunk });
    this.stagedRecords += chunk.records;
  }

  /** The staging table, fresh per commit: deleted rows of a temp table keep their memory until it is dropped. */
  private async stageTable(connection: DuckDBConnection): Promise<void> {
    await connection.run(`CREATE OR REPLACE TEMP TABLE stage (
      file_id INTEGER, kind UTINYINT, first_line BIGINT, first_index BIGINT, text VARCHAR, broken VARCHAR)`);
    if (this.tableChunks.length === 0) return;
    const a = await connection.createAppender('stage', null, 'temp');
    for (const { fileId, chunk } of this.tableChunks) {
      a.appendInteger(fileId);
      a.appendUTinyInt(chunk.kind);
      a.appendBigInt(BigInt(chunk.firstLine));
      a.appendBigInt(BigInt(chunk.firstIndex));
      a.appendVarchar(chunk.text);
      if (chunk.broken) a.appendVarchar(chunk.broken);
      else a.appendNull();
      a.endRow();
    }
    a.closeSync();
  }

  /** Normalizes and stores everything staged, then empties the stage. `finish` runs in the same transaction. */
  async commit(
    c: DuckDBConnection,
    finish: (connection: DuckDBConnection, result: BatchResult) => Promise<void>,
  ): Promise<BatchResult> {
    this.flushFile();
    await this.stageTable(c);
    const result: BatchResult = { byType: new Map(), byFile: new Map() };
    // Judging happens outside the transaction (temp-table work inside one is copied again at COMMIT). Only
    // this process writes the lake (DuckDB's file lock), so the keys looked up now stay valid until then.
    await c.run(`CREATE OR REPLACE TEMP VIEW batch_records AS ${stagedRecords(this.stageFile)}`);
    const judged: Judged[] = [];
    const streamed: Streamed[] = [];
    for (const [sourceType, files] of this.filesByType()) {
      const normalizer = NORMALIZERS[sourceType];
      if (normalizer.validPattern) {
        const unmatched = normalizer.selects(files, (fileIds) => this.patternRecords(normalizer, fileIds, false));
        for (const [group, select] of unmatched.entries()) {
          const name = `unmatched_${streamed.length}`;
          await c.run(`CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`);
          streamed.push({ normalizer, name, group, files });
        }
        continue;
      }
      // Without a cheaper verdict, the full mapping is materialized once and serves as both verdict and rows.
      const materialized = !normalizer.verdicts;
      const verdicts = normalizer.verdicts?.(files, recordsOf) ?? normalizer.selects(files, recordsOf);
      for (const [group, verdict] of verdicts.entries()) {
        const earlier = judged.filter((j) => j.normalizer.table === normalizer.table).map((j) => `${j.name}_keep`);
        const ready = await this.judge(c, normalizer, verdict, group, `verdict_${judged.length}`, earlier);
        if (ready) judged.push({ ...ready, materialized });
      }
    }
    await c.run('BEGIN TRANSACTION');
    try {
      for (const ready of judged) await this.store(c, ready, result);
      for (const ready of streamed) await this.storeStreamed(c, ready, result);
      await this.explainMalformedJson(c);
      await finish(c, result);
      await c.run('COMMIT');
    } catch (error) {
      await c.run('ROLLBACK');
      throw error;
    }
    for (const ready of judged) {
      await c.run(`DROP TABLE IF EXISTS ${ready.name}; DROP TABLE IF EXISTS ${ready.name}_keep; DROP TABLE IF EXISTS ${ready.name}_drop`);
    }
    for (const ready of streamed) await c.run(`DROP TABLE IF EXISTS ${ready.name}`);
    await c.run('DROP VIEW IF EXISTS batch_records; DROP TABLE IF EXISTS stage');
    closeSync(this.stageFd);
    this.stageFd = openSync(this.stageFile, 'w');
    this.tableChunks = [];
    this.files.clear();
    this.stagedBytes = 0;
    this.stagedRecords = 0;
    return result;
  }

  private filesByType(): Map<SourceType, BatchFile[]> {
    const byType = new Map<SourceType, BatchFile[]>();
    for (const file of this.files.values()) byType.set(file.sourceType, [...(byType.get(file.sourceType) ?? []), file]);
    return byType;
  }

  /** Decides, for one group of records, which are quarantined, which the lake already has and which to store. */
  private async judge(
    c: DuckDBConnection,
    normalizer: Normalizer,
    verdict: string,
    group: number,
    name: string,
    earlierKeeps: string[],
  ): Promise<Omit<Judged, 'materialized'> | undefined> {
    await c.run(`CREATE OR REPLACE TEMP TABLE ${name} AS ${verdict}`);
    const perFile = (
      await c.runAndReadAll(`SELECT source_file_id AS file_id, count(*) AS read, count(*) FILTER (reason IS NOT NULL) AS bad,
        min(time) FILTER (reason IS NULL)::VARCHAR AS lo, max(time) FILTER (reason IS NULL)::VARCHAR AS hi,
        bool_or(time IS NULL AND reason IS NULL) AS undated
        FROM ${name} GROUP BY 1`)
    ).getRowObjectsJS();
    if (perFile.length === 0) return undefined;
    const summary = summarize(perFile);
    // Only rows in the batch's time range can be the same events; zone maps skip the rest of the table.
    const window = [
      summary.lo ? `x.time BETWEEN ${sqlString(summary.lo)} AND ${sqlString(summary.hi!)}` : 'false',
      summary.undated ? 'x.time IS NULL' : 'false',
    ].join(' OR ');
    // A semi join builds its hash table on the batch and only scans the lake's key column. Records another
    // group of this batch keeps for the same table (e.g. the same events with and without an envelope) count as known.
    const alsoKnown = earlierKeeps.map((keep) => ` UNION ALL SELECT dedup_key FROM ${keep}`).join('');
    await c.run(`CREATE OR REPLACE TEMP TABLE ${name}_keep AS
      WITH known AS (SELECT DISTINCT x.dedup_key FROM ${normalizer.table} x SEMI JOIN ${name} v ON x.dedup_key = v.dedup_key WHERE ${window}${alsoKnown})
      SELECT source_file_id AS file_id, source_line AS line, coalesce(record_index, -1) AS idx, dedup_key FROM ${name}
      WHERE reason IS NULL AND dedup_key NOT IN (SELECT dedup_key FROM known)
      QUALIFY row_number() OVER (PARTITION BY dedup_key ORDER BY source_file_id, source_line, record_index) = 1`);
    // What not to store (quarantined, known, repeats) is usually little or nothing; an anti join against it,
    // unlike a semi join against everything kept, leaves DuckDB free to insert on every core.
    await c.run(`CREATE OR REPLACE TEMP TABLE ${name}_drop AS
      SELECT source_file_id AS file_id, source_line AS line, coalesce(record_index, -1) AS idx FROM ${name}
      EXCEPT SELECT file_id, line, idx FROM ${name}_keep`);
    const dropped = Number((await c.runAndReadAll(`SELECT count(*) FROM ${name}_drop`)).getRows()[0]![0]);
    return { normalizer, name, group, perFile, read: summary.read, bad: summary.bad, dropped: dropped > 0 };
  }

  /** Maps the records to keep into the lake table, and quarantines the invalid ones. */
  private async store(c: DuckDBConnection, ready: Judged, result: BatchResult): Promise<void> {
    const { normalizer, name, read, bad } = ready;
    const files = [...this.files.values()].filter((f) => f.sourceType === normalizer.sourceType);
    const drop = ready.dropped ? `${name}_drop` : undefined;
    const rows = ready.materialized
      ? `SELECT v.* FROM ${name} v ${drop ? `ANTI JOIN ${drop} d ON d.file_id = v.source_file_id AND d.line = v.source_line AND d.idx = coalesce(v.record_index, -1)` : ''}`
      : normalizer.selects(files, (fileIds) => recordsOf(fileIds, drop))[ready.group]!;
    const columns = await columnsOf(c, normalizer.table);
    const inserted = await c.run(`INSERT INTO ${normalizer.table} (${columns.join(', ')})
      SELECT ${columns.join(', ')} FROM (${rows})`);
    const stored = Number(inserted.rowsChanged);
    if (bad > 0) await this.quarantine(c, normalizer.sourceType, name, ready.perFile.map((row) => Number(row.file_id)));
    this.tally(result, normalizer.sourceType, ready.perFile, { read, bad, stored });
  }

  /** Adds one group's counts to the batch's, per file (`file_id`, `read`, `bad`) and per source type. */
  private tally(result: BatchResult, sourceType: SourceType, perFile: Record<string, unknown>[], group: { read: number; bad: number; stored: number }): void {
    for (const row of perFile) {
      const tally = result.byFile.get(Number(row.file_id)) ?? { read: 0, quarantined: 0 };
      tally.read += Number(row.read);
      tally.quarantined += Number(row.bad);
      result.byFile.set(Number(row.file_id), tally);
    }
    const counts = result.byType.get(sourceType) ?? { read: 0, stored: 0, duplicates: 0, quarantined: 0 };
    counts.read += group.read;
    counts.stored += group.stored;
    counts.quarantined += group.bad;
    counts.duplicates += group.read - group.bad - group.stored;
    result.byType.set(sourceType, counts);
  }

  /**
   * The records of some files (one format) that match the normalizer's pattern of valid records, or those that
   * do not (with every damaged record); without a pattern, none match.
   */
  private patternRecords(normalizer: Normalizer, fileIds: number[], matching: boolean): string {
    const pattern = normalizer.validPattern!(this.files.get(fileIds[0]!)!);
    const matches = pattern ? `r.broken IS NULL AND regexp_full_match(r.raw, ${sqlString(pattern)})` : 'false';
    return `(SELECT r.* FROM batch_records r WHERE r.file_id IN (${fileIds.join(', ')}) AND ${matching ? matches : `NOT (${matches})`})`;
  }

  /**
   * Stores a streamed group: the matching records straight from the stage, the valid ones of the rest, then
   * deletes again what the lake already held (same key, in the batch's time range) and repeats within the
   * batch (all but the first), and quarantines the invalid. All inside the batch's transaction.
   */
  private async storeStreamed(c: DuckDBConnection, ready: Streamed, result: BatchResult): Promise<void> {
    const { normalizer, name, group } = ready;
    const table = normalizer.table;
    const columns = (await columnsOf(c, table)).join(', ');
    const value = async (sql: string) => (await c.runAndReadAll(sql)).getRows()[0]![0];
    // Rows this transaction appends get row ids above every earlier row's.
    const start = String((await value(`SELECT coalesce(max(rowid), -1) FROM ${table}`)) as bigint | number);
    const matched = normalizer.selects(ready.files, (fileIds) => this.patternRecords(normalizer, fileIds, true))[group]!;
    await c.run(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM (${matched})`);
    await c.run(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${name} WHERE reason IS NULL`);
    const perFile = (
      await c.runAndReadAll(`SELECT file_id, sum(n)::BIGINT AS read, sum(bad)::BIGINT AS bad FROM (
        SELECT source_file_id AS file_id, count(*) AS n, 0 AS bad FROM ${table} WHERE rowid > ${start} GROUP BY 1
        UNION ALL SELECT source_file_id, count(*), count(*) FROM ${name} WHERE reason IS NOT NULL GROUP BY 1) GROUP BY 1`)
    ).getRowObjectsJS();
    const range = (await c.runAndReadAll(`SELECT min(time)::VARCHAR AS lo, max(time)::VARCHAR AS hi, bool_or(time IS NULL) AS undated
      FROM ${table} WHERE rowid > ${start}`)).getRowObjectsJS()[0]!;
    const window = [
      range.lo !== null ? `time BETWEEN ${sqlString(String(range.lo))} AND ${sqlString(String(range.hi))}` : 'false',
      range.undated === true ? 'time IS NULL' : 'false',
    ].join(' OR ');
    const removed = await c.run(`DELETE FROM ${table} WHERE rowid IN (
      WITH batch AS (SELECT rowid AS id, dedup_key, source_file_id, source_line FROM ${table} WHERE rowid > ${start}),
      repeated AS (SELECT dedup_key FROM batch GROUP BY 1 HAVING count(*) > 1)
      SELECT id FROM batch SEMI JOIN (SELECT dedup_key FROM ${table} WHERE rowid <= ${start} AND (${window})) known USING (dedup_key)
      UNION ALL
      SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY dedup_key ORDER BY source_file_id, source_line) AS n
        FROM batch SEMI JOIN repeated USING (dedup_key))
      WHERE n > 1)`);
    const read = perFile.reduce((sum, row) => sum + Number(row.read), 0);
    const bad = perFile.reduce((sum, row) => sum + Number(row.bad), 0);
    const stored = read - bad - Number(removed.rowsChanged);
    if (bad > 0) await this.quarantine(c, normalizer.sourceType, name, perFile.map((row) => Number(row.file_id)));
    this.tally(result, normalizer.sourceType, perFile, { read, bad, stored });
  }

  /** Quarantines the invalid records of one judged group (its files only: the stage is read again for them). */
  private async quarantine(c: DuckDBConnection, sourceType: SourceType, verdict: string, fileIds: number[]): Promise<void> {
    const uris = fileIds.map((id) => `(${id}, ${sqlString(this.files.get(id)!.uri)})`);
    await c.run(`CREATE OR REPLACE TEMP TABLE batch_files AS SELECT * FROM (VALUES ${uris.join(', ')}) v(file_id, uri)`);
    await c.run(`INSERT INTO quarantine
      WITH located AS (
        SELECT v.source_file_id, v.source_line, v.reason, r.raw, f.uri,
          'line ' || v.source_line || coalesce(', record ' || (v.record_index + 1), '') AS location
        FROM ${verdict} v
        JOIN ${recordsOf(fileIds)} r ON r.file_id = v.source_file_id AND r.line = v.source_line
          AND coalesce(r.idx, -1) = coalesce(v.record_index, -1)
        JOIN batch_files f ON f.file_id = v.source_file_id
        WHERE v.reason IS NOT NULL
      )
      SELECT source_file_id, uri, ${sqlString(sourceType)}, source_line, location, reason, raw, md5_number(uri || '#' || location)
      FROM located
      WHERE md5_number(uri || '#' || location) NOT IN (SELECT dedup_key FROM quarantine WHERE source_file_id IN (${fileIds.join(', ')}))`);
  }

  /** The lake only knows a record did not parse; JSON.parse says where and what, which is what a user needs. */
  private async explainMalformedJson(c: DuckDBConnection): Promise<void> {
    if (this.files.size === 0) return;
    const rows = (
      await c.runAndReadAll(`SELECT rowid AS id, raw FROM quarantine
        WHERE reason = 'malformed JSON' AND source_file_id IN (${[...this.files.keys()].join(', ')})
        LIMIT ${DETAILED_JSON_ERRORS}`)
    ).getRowObjectsJS();
    if (rows.length === 0) return;
    const update = await c.prepare('UPDATE quarantine SET reason = $1 WHERE rowid = $2');
    for (const row of rows) {
      update.bindVarchar(1, explainUnparsed(String(row.raw ?? '')));
      update.bindBigInt(2, BigInt(row.id as bigint));
      await update.run();
    }
  }
}

const tableColumns = new Map<string, string[]>();

/** A lake table's columns, in order (the lake's schema is fixed for the life of the process). */
async function columnsOf(c: DuckDBConnection, table: string): Promise<string[]> {
  let columns = tableColumns.get(table);
  if (!columns) {
    const reader = await c.runAndReadAll(
      `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_catalog = 'lake' AND table_schema = 'main' ORDER BY ordinal_position`,
      [table],
    );
    columns = reader.getRows().map((row) => String(row[0]));
    tableColumns.set(table, columns);
  }
  return columns;
}

function summarize(perFile: Record<string, unknown>[]): { read: number; bad: number; lo?: string; hi?: string; undated: boolean } {
  const summary = { read: 0, bad: 0, lo: undefined as string | undefined, hi: undefined as string | undefined, undated: false };
  for (const row of perFile) {
    summary.read += Number(row.read);
    summary.bad += Number(row.bad);
    if (row.lo !== null && (summary.lo === undefined || String(row.lo) < summary.lo)) summary.lo = String(row.lo);
    if (row.hi !== null && (summary.hi === undefined || String(row.hi) > summary.hi)) summary.hi = String(row.hi);
    summary.undated ||= row.undated === true;
  }
  return summary;
}

/** Records staged in the table: lines split out of their chunks, with the line (and document index) each came from. */
const SPLIT_RECORDS = `
  WITH pieces AS (
    SELECT file_id, kind, broken, first_line, first_index,
      CASE kind WHEN ${ChunkKind.Lines} THEN string_split(text, chr(10)) ELSE [text] END AS parts
    FROM stage
  ), records AS (
    SELECT file_id, kind, broken, first_index,
      unnest(parts) AS raw,
      unnest(range(first_line, first_line + len(parts))) AS line
    FROM pieces
  )
  SELECT file_id, line, CASE WHEN kind = ${ChunkKind.Lines} THEN NULL ELSE first_index END AS idx, raw, broken
  FROM records
  -- Blank lines are not records.
  WHERE broken IS NOT NULL OR raw <> ''`;

/** Every staged record: the stage file, read in parallel, and the few records staged in the table. */
function stagedRecords(stageFile: string): string {
  return `SELECT file_id, line, idx, raw, NULL::VARCHAR AS broken
    FROM read_csv(${sqlString(stageFile)}, delim = '${FIELD}', quote = '', escape = '', header = false, auto_detect = false,
      new_line = '\\n', max_line_size = ${MAX_LINE_BYTES}, buffer_size = ${MAX_LINE_BYTES * 2},
      columns = {'file_id': 'INTEGER', 'line': 'BIGINT', 'idx': 'BIGINT', 'raw': 'VARCHAR'})
    UNION ALL SELECT * FROM (${SPLIT_RECORDS})`;
}

/** The records of some files; with `drop`, less those the verdict chose not to store. */
function recordsOf(fileIds: number[], drop?: string): string {
  const kept = drop ? `ANTI JOIN ${drop} d ON d.file_id = r.file_id AND d.line = r.line AND d.idx = coalesce(r.idx, -1)` : '';
  return `(SELECT r.* FROM batch_records r ${kept} WHERE r.file_id IN (${fileIds.join(', ')}))`;
}
