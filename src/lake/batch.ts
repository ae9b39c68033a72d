import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { cloudTrailNormalizer } from '../normalize/cloudtrail.js';
import { CARRIAGE_RETURN, ChunkKind, chunkSize, NEWLINE, type StageChunk, type TextChunk, UNIT_SEPARATOR } from '../normalize/chunks.js';
import { explainUnparsed } from '../normalize/json-fields.js';
import { guardDutyNormalizer } from '../normalize/guardduty.js';
import type { BatchFile, Normalizer } from '../normalize/normalizer.js';
import { route53Normalizer } from '../normalize/route53.js';
import { sqlString, vpcFlowNormalizer } from '../normalize/vpcflow.js';
import type { RecordCounts, SourceType } from './ingest-api.js';
import { isOutOfMemory } from './db.js';

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

/** Malformed-JSON quarantine rows get the parser's own words, for at most this many per batch. */
const DETAILED_JSON_ERRORS = 10_000;

/** Separates the fields of a stage-file line; valid JSON and flow-log text never contain it. */
const FIELD = String.fromCharCode(UNIT_SEPARATOR);
/** Stage lines are copied straight into this buffer from the bytes read, never made strings: the JS heap stays small. */
const OUT_BUFFER_BYTES = 1 << 20;
/**
 * Longer records (in bytes) go to the staging table.
 * DuckDB reads a CSV file in parallel by buffers, which must hold the longest line allowed: small buffers
 * (so even a small batch spreads over both cores) need a bound.
 */
const MAX_FILE_LINE = 256 << 10;
/** The CSV reader's line bound: a record and its prefix, with room to spare (2 MB buffers read well in parallel). */
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
  /** Records staged per file, counted as the lake will count them (blank lines are not records). */
  private readonly recordsByFile = new Map<number, number>();
  /** Bytes staged per file. */
  private readonly bytesByFile = new Map<number, number>();
  /** Files of the batch that an earlier run read (a changed file, or one a killed run left half-read). */
  private readonly readBefore = new Set<number>();

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

  /** Whether an earlier run read any of the batch's files: its known keys are then looked up, which needs memory. */
  get rereads(): boolean {
    return this.readBefore.size > 0;
  }

  addFile(file: BatchFile, readBefore: boolean): void {
    this.files.set(file.fileId, file);
    if (readBefore) this.readBefore.add(file.fileId);
  }

  append(fileId: number, chunk: StageChunk): void {
    const size = chunkSize(chunk);
    this.stagedBytes += size;
    this.bytesByFile.set(fileId, (this.bytesByFile.get(fileId) ?? 0) + size);
    let records = 0;
    if (chunk.kind === ChunkKind.Elements) {
      const { bytes, starts, ends } = chunk;
      for (let i = 0; i < starts.length; i++) {
        const start = starts[i]!;
        const end = ends[i]!;
        const line = chunk.elementLines[i]!;
        if (end - start > MAX_FILE_LINE || (!chunk.plain && holdsLineBreak(bytes, start, end))) {
          this.toTable(fileId, { kind: ChunkKind.Single, firstLine: line, firstIndex: chunk.firstIndex + i, text: bytes.toString('utf8', start, end) });
        } else {
          this.writeBytes(`${fileId}${FIELD}${line}${FIELD}${chunk.firstIndex + i}${FIELD}`, bytes, start, end);
          records++;
        }
      }
      this.count(fileId, records);
      return;
    }
    if (chunk.kind === ChunkKind.LineBytes) {
      const { bytes, firstLine } = chunk;
      if (bytes.includes(UNIT_SEPARATOR)) {
        this.toTable(fileId, { kind: ChunkKind.Lines, firstLine, firstIndex: 0, text: bytes.toString('utf8') });
        return;
      }
      for (let start = 0, line = firstLine; start <= bytes.length; line++) {
        const newline = bytes.indexOf(NEWLINE, start);
        const end = newline === -1 ? bytes.length : newline;
        // Blank lines, empty or of spaces and tabs only, are not records.
        if (end - start > MAX_FILE_LINE) {
          this.toTable(fileId, { kind: ChunkKind.Lines, firstLine: line, firstIndex: 0, text: bytes.toString('utf8', start, end) });
        } else if (!isBlank(bytes, start, end)) {
          this.writeBytes(`${fileId}${FIELD}${line}${FIELD}${FIELD}`, bytes, start, end);
          records++;
        }
        start = end + 1;
      }
      this.count(fileId, records);
      return;
    }
    this.toTable(fileId, chunk);
  }

  /** Counts records staged for a file (in the stage file or the staging table). */
  private count(fileId: number, records: number): void {
    this.stagedRecords += records;
    this.recordsByFile.set(fileId, (this.recordsByFile.get(fileId) ?? 0) + records);
  }

  /**
   * Staged bytes per record of the source with the widest records in the batch (0 when it holds none): each
   * source is stored by its own INSERT, and the widest sets what the batch needs.
   */
  widestRecordBytes(): number {
    const bySource = new Map<SourceType, { bytes: number; records: number }>();
    for (const { fileId, sourceType } of this.files.values()) {
      const source = bySource.get(sourceType) ?? { bytes: 0, records: 0 };
      source.bytes += this.bytesByFile.get(fileId) ?? 0;
      source.records += this.recordsByFile.get(fileId) ?? 0;
      bySource.set(sourceType, source);
    }
    let widest = 0;
    for (const { bytes, records } of bySource.values()) if (records > 0) widest = Math.max(widest, bytes / records);
    return widest;
  }

  /** Appends one stage line: `prefix`, the record's bytes `bytes[start, end)`, a newline. */
  private writeBytes(prefix: string, bytes: Buffer, start: number, end: number): void {
    const most = prefix.length * 3 + (end - start) + 1;
    if (this.outBytes + most > OUT_BUFFER_BYTES) this.flushFile();
    if (most > OUT_BUFFER_BYTES) {
      writeSync(this.stageFd, prefix);
      writeSync(this.stageFd, bytes, start, end - start);
      writeSync(this.stageFd, '\n');
      return;
    }
    this.outBytes += this.out.write(prefix, this.outBytes);
    this.outBytes += bytes.copy(this.out, this.outBytes, start, end);
    this.out[this.outBytes++] = NEWLINE;
  }

  private flushFile(): void {
    if (this.outBytes === 0) return;
    writeSync(this.stageFd, this.out, 0, this.outBytes);
    this.outBytes = 0;
  }

  private toTable(fileId: number, chunk: TextChunk): void {
    this.tableChunks.push({ fileId, chunk });
    this.count(fileId, tableRecords(chunk));
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

  /**
   * Normalizes and stores everything staged, then empties the stage. `finish` runs in the same transaction.
   * When DuckDB runs out of memory before `finish` (which may change its caller's state), `onOutOfMemory`
   * is called: if it raised the limit (true), the batch is committed again.
   */
  async commit(
    c: DuckDBConnection,
    finish: (connection: DuckDBConnection, result: BatchResult) => Promise<void>,
    onOutOfMemory?: () => Promise<boolean>,
  ): Promise<BatchResult> {
    this.flushFile();
    let outcome = await this.attempt(c, finish);
    while ('outOfMemory' in outcome && (await onOutOfMemory?.())) outcome = await this.attempt(c, finish);
    if ('outOfMemory' in outcome) throw outcome.outOfMemory;
    const { result, tempTables } = outcome;
    for (const name of tempTables) await c.run(`DROP TABLE IF EXISTS ${name}`);
    await c.run('DROP VIEW IF EXISTS batch_records; DROP TABLE IF EXISTS stage');
    closeSync(this.stageFd);
    this.stageFd = openSync(this.stageFile, 'w');
    this.tableChunks = [];
    this.files.clear();
    this.recordsByFile.clear();
    this.bytesByFile.clear();
    this.readBefore.clear();
    this.stagedBytes = 0;
    this.stagedRecords = 0;
    return result;
  }

  /**
   * One try at storing the batch, in one transaction (rolled back on failure). Running out of memory before
   * `finish` is reported rather than thrown: nothing outside the transaction has changed, so it can be retried.
   */
  private async attempt(
    c: DuckDBConnection,
    finish: (connection: DuckDBConnection, result: BatchResult) => Promise<void>,
  ): Promise<{ result: BatchResult; tempTables: string[] } | { outOfMemory: Error }> {
    const result: BatchResult = { byType: new Map(), byFile: new Map() };
    const tempTables: string[] = [];
    let finishing = false;
    try {
      await this.stageTable(c);
      await c.run(`CREATE OR REPLACE TEMP VIEW batch_records AS ${stagedRecords(this.stageFile)}`);
      await c.run('BEGIN TRANSACTION');
      try {
        for (const [sourceType, files] of this.filesByType()) tempTables.push(...(await this.storeSource(c, NORMALIZERS[sourceType], files, result)));
        await this.explainMalformedJson(c);
        finishing = true;
        await finish(c, result);
        await c.run('COMMIT');
      } catch (error) {
        // A failed COMMIT (the disk full) may have ended the transaction already: its error is the one to tell.
        await c.run('ROLLBACK').catch(() => {});
        throw error;
      }
    } catch (error) {
      if (!finishing && isOutOfMemory(error)) return { outOfMemory: error };
      throw error;
    }
    return { result, tempTables };
  }

  private filesByType(): Map<SourceType, BatchFile[]> {
    const byType = new Map<SourceType, BatchFile[]>();
    for (const file of this.files.values()) byType.set(file.sourceType, [...(byType.get(file.sourceType) ?? []), file]);
    return byType;
  }

  /** Adds one source's counts to the batch's, per file (`file_id`, `read`, `bad`) and per source type. */
  private tally(result: BatchResult, sourceType: SourceType, perFile: { fileId: number; read: number; bad: number }[], stored: number): void {
    const counts = result.byType.get(sourceType) ?? { read: 0, stored: 0, duplicates: 0, quarantined: 0 };
    for (const { fileId, read, bad } of perFile) {
      const tally = result.byFile.get(fileId) ?? { read: 0, quarantined: 0 };
      tally.read += read;
      tally.quarantined += bad;
      result.byFile.set(fileId, tally);
      counts.read += read;
      counts.quarantined += bad;
      counts.duplicates += read - bad;
    }
    counts.stored += stored;
    counts.duplicates -= stored;
    result.byType.set(sourceType, counts);
  }

  /**
   * Stores one source's records, inside the batch's transaction: every valid record goes into the table in
   * one pass (each record is mapped once), less those whose key the lake holds from files read before (a
   * changed file, or one a killed run left half-read); then what the lake already held otherwise (same key,
   * in the batch's time range) and repeats within the batch (all but the first) are deleted again, and the
   * invalid records are quarantined. Returns the temp tables it made, to drop after the commit.
   */
  private async storeSource(c: DuckDBConnection, normalizer: Normalizer, files: BatchFile[], result: BatchResult): Promise<string[]> {
    const table = normalizer.table;
    const columns = (await columnsOf(c, table)).join(', ');
    const value = async (sql: string) => (await c.runAndReadAll(sql)).getRows()[0]![0];
    // Rows this transaction appends get row ids above every earlier row's.
    const start = String((await value(`SELECT coalesce(max(rowid), -1) FROM ${table}`)) as bigint | number);
    await this.dropSupersededQuarantine(c, normalizer.sourceType, files);
    await this.dropRereadQuarantine(c, files);
    const known = await this.knownKeys(c, table, files);
    const unknown = known ? `ANTI JOIN ${known} k ON ${sameRecord('k', 's')}` : '';
    for (const select of normalizer.selects(files, recordsOf)) {
      await c.run(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM (${select}) s ${unknown} WHERE s.reason IS NULL`);
    }
    const inserted = new Map<number, number>();
    for (const row of (await c.runAndReadAll(`SELECT source_file_id, count(*) FROM ${table} WHERE rowid > ${start} GROUP BY 1`)).getRows()) {
      inserted.set(Number(row[0]), Number(row[1]));
    }
    // Records not stored were invalid or already known: the files that have any are mapped again, to tell which.
    const short = files.filter((f) => (this.recordsByFile.get(f.fileId) ?? 0) > (inserted.get(f.fileId) ?? 0));
    const rejected = short.length > 0 ? await this.reject(c, normalizer, short, known) : undefined;
    const bad = new Map<number, number>();
    const skipped = new Map<number, number>();
    if (rejected) {
      const counts = await c.runAndReadAll(`SELECT source_file_id, count(*) FILTER (reason IS NOT NULL), count(*) FILTER (reason IS NULL) FROM ${rejected} GROUP BY 1`);
      for (const [fileId, invalid, alreadyKnown] of counts.getRows()) {
        bad.set(Number(fileId), Number(invalid));
        skipped.set(Number(fileId), Number(alreadyKnown));
      }
    }
    const perFile = files.map(({ fileId }) => {
      const n = (map: Map<number, number>) => map.get(fileId) ?? 0;
      return { fileId, read: n(inserted) + n(bad) + n(skipped), bad: n(bad) };
    });
    for (const { fileId, read } of perFile) {
      // Every staged record is stored, known or invalid; anything else would be a record lost.
      const staged = this.recordsByFile.get(fileId) ?? 0;
      if (read !== staged) throw new Error(`${staged} records of ${this.files.get(fileId)!.uri} were staged, but ${read} were stored, known or quarantined`);
    }
    const range = (await c.runAndReadAll(`SELECT min(time)::VARCHAR AS lo, max(time)::VARCHAR AS hi, bool_or(time IS NULL) AS undated
      FROM ${table} WHERE rowid > ${start}`)).getRowObjectsJS()[0]!;
    const window = [
      range.lo !== null ? `time BETWEEN ${sqlString(String(range.lo))} AND ${sqlString(String(range.hi))}` : 'false',
      range.undated === true ? 'time IS NULL' : 'false',
    ].join(' OR ');
    // A repeat is the same key at the same time, within the batch as against the lake, so that where batches
    // end cannot decide it (a CloudTrail key is the eventID alone, and samples reuse ids at other times).
    const removed = await c.run(`DELETE FROM ${table} WHERE rowid IN (
      WITH batch AS (SELECT rowid AS id, dedup_key, time, source_file_id, source_line FROM ${table} WHERE rowid > ${start}),
      repeated AS (SELECT dedup_key FROM batch GROUP BY 1 HAVING count(*) > 1)
      SELECT id FROM batch b SEMI JOIN (
        SELECT dedup_key, time FROM ${table} WHERE rowid <= ${start} AND (${window}) AND dedup_key IN (SELECT dedup_key FROM batch)) known
        ON ${sameRecord('known', 'b')}
      UNION ALL
      SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY dedup_key, time ORDER BY source_file_id, source_line, id) AS n
        FROM batch SEMI JOIN repeated USING (dedup_key))
      WHERE n > 1)`);
    const stored = [...inserted.values()].reduce((sum, n) => sum + n, 0) - Number(removed.rowsChanged);
    if (rejected && [...bad.values()].some((n) => n > 0)) await this.quarantine(c, normalizer.sourceType, rejected, short);
    this.tally(result, normalizer.sourceType, perFile, stored);
    return [known, rejected].filter((name): name is string => name !== undefined);
  }

  /** The keys and times the lake holds from those of `files` an earlier run read, in a temp table; undefined when none. */
  private async knownKeys(c: DuckDBConnection, table: string, files: BatchFile[]): Promise<string | undefined> {
    const readBefore = files.filter((f) => this.readBefore.has(f.fileId)).map((f) => f.fileId);
    if (readBefore.length === 0) return undefined;
    const name = `known_${table}`;
    await c.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT DISTINCT dedup_key, time FROM ${table} WHERE source_file_id IN (${readBefore.join(', ')})`);
    return name;
  }

  /**
   * Some files' records that were not stored, in a temp table: the invalid ones with their reasons and text,
   * and (reason NULL) those left out as known. Returns its name.
   */
  private async reject(c: DuckDBConnection, normalizer: Normalizer, files: BatchFile[], known: string | undefined): Promise<string> {
    const name = `rejected_${normalizer.table}`;
    const isKnown = known ? ` OR EXISTS (SELECT 1 FROM ${known} k WHERE ${sameRecord('k', 'r')})` : '';
    const selects = normalizer.selects(files, recordsOf).map(
      (select) => `SELECT source_file_id, source_line, record_index, reason, CASE WHEN reason IS NOT NULL THEN raw END AS raw
        FROM (${select}) r WHERE reason IS NOT NULL${isKnown}`,
    );
    await c.run(`CREATE OR REPLACE TEMP TABLE ${name} AS ${selects.join(' UNION ALL ')}`);
    return name;
  }

  /**
   * A file read before as another source type (a mistaken --type) is read again as this one: what that reading
   * quarantined is superseded, and would otherwise count its records twice.
   */
  private async dropSupersededQuarantine(c: DuckDBConnection, sourceType: SourceType, files: BatchFile[]): Promise<void> {
    const readBefore = files.filter((f) => this.readBefore.has(f.fileId)).map((f) => f.fileId);
    if (readBefore.length === 0) return;
    await c.run(`DELETE FROM quarantine WHERE source_file_id IN (${readBefore.join(', ')}) AND source_type IS DISTINCT FROM ${sqlString(sourceType)}`);
  }

  /**
   * A file read again (it changed, or a killed run left it half-read): what an earlier reading quarantined at
   * the places this batch reads again is superseded by this reading, which quarantines again what is still
   * bad there. A last line cut off while the file was being written, whole now, is then no longer reported.
   */
  private async dropRereadQuarantine(c: DuckDBConnection, files: BatchFile[]): Promise<void> {
    const reread = files.filter((f) => this.readBefore.has(f.fileId));
    if (reread.length === 0) return;
    const uris = reread.map((file) => `(${file.fileId}, ${sqlString(file.uri)})`).join(', ');
    await c.run(`DELETE FROM quarantine WHERE source_file_id IN (${reread.map((f) => f.fileId).join(', ')}) AND dedup_key IN (
      SELECT md5_number(f.uri || '#' || ${recordLocation('r.line', 'r.idx')})
      FROM batch_records r JOIN (VALUES ${uris}) f(file_id, uri) ON f.file_id = r.file_id)`);
  }

  /** Quarantines the records of a `reject` table (records already in quarantine from an earlier run are skipped). */
  private async quarantine(c: DuckDBConnection, sourceType: SourceType, rejected: string, files: BatchFile[]): Promise<void> {
    const uris = files.map((file) => `(${file.fileId}, ${sqlString(file.uri)})`);
    await c.run(`CREATE OR REPLACE TEMP TABLE batch_files AS SELECT * FROM (VALUES ${uris.join(', ')}) v(file_id, uri)`);
    await c.run(`INSERT INTO quarantine
      WITH located AS (
        SELECT v.source_file_id, v.source_line, v.reason, v.raw, f.uri,
          ${recordLocation('v.source_line', 'v.record_index')} AS location
        FROM ${rejected} v JOIN batch_files f ON f.file_id = v.source_file_id
        WHERE v.reason IS NOT NULL
      )
      SELECT source_file_id, uri, ${sqlString(sourceType)}, source_line, location, reason, raw, md5_number(uri || '#' || location)
      FROM located
      WHERE md5_number(uri || '#' || location) NOT IN (SELECT dedup_key FROM quarantine WHERE source_file_id IN (${files.map((f) => f.fileId).join(', ')}))`);
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

/** Where a record is in its file, as quarantine keys and shows it: `line 12`, or `line 1, record 3` in a document. */
const recordLocation = (line: string, index: string) => `'line ' || ${line} || coalesce(', record ' || (${index} + 1), '')`;

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

/** SQL: rows `a` and `b` are the same record, a repeat: the same dedup key at the same time (or both undated). */
const sameRecord = (a: string, b: string) => `${a}.dedup_key = ${b}.dedup_key AND ${a}.time IS NOT DISTINCT FROM ${b}.time`;

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
  -- Blank lines, empty or of spaces and tabs only, are not records.
  WHERE broken IS NOT NULL OR trim(raw, ' ' || chr(9) || chr(13)) <> ''`;

/** Every staged record: the stage file, read in parallel, and the few records staged in the table. */
function stagedRecords(stageFile: string): string {
  return `SELECT file_id, line, idx, raw, NULL::VARCHAR AS broken
    FROM read_csv(${sqlString(stageFile)}, delim = '${FIELD}', quote = '', escape = '', header = false, auto_detect = false,
      new_line = '\\n', max_line_size = ${MAX_LINE_BYTES}, buffer_size = ${MAX_LINE_BYTES * 2},
      columns = {'file_id': 'INTEGER', 'line': 'BIGINT', 'idx': 'BIGINT', 'raw': 'VARCHAR'})
    UNION ALL SELECT * FROM (${SPLIT_RECORDS})`;
}

/** The records of some files. */
function recordsOf(fileIds: number[]): string {
  return `(SELECT r.* FROM batch_records r WHERE r.file_id IN (${fileIds.join(', ')}))`;
}

/** How many records a staging-table chunk holds, counted as SPLIT_RECORDS counts them. */
function tableRecords(chunk: TextChunk): number {
  if (chunk.kind !== ChunkKind.Lines) return chunk.broken || chunk.text !== '' ? 1 : 0;
  const parts = chunk.text.split('\n');
  return chunk.broken ? parts.length : parts.filter((part) => !BLANK_LINE.test(part)).length;
}

/** A line of spaces, tabs and carriage returns only (the stage SQL's `trim` uses the same three). */
const BLANK_LINE = /^[ \t\r]*$/;
const SPACE = 0x20;
const TAB = 0x09;

/** Whether bytes `[start, end)` are a blank line. Records start with a non-blank byte, so most lines cost one test. */
function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b !== SPACE && b !== TAB && b !== CARRIAGE_RETURN) return false;
  }
  return true;
}

/** Whether bytes `[start, end)` hold a byte that cannot be inside a stage-file line. */
function holdsLineBreak(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === NEWLINE || b === CARRIAGE_RETURN || b === UNIT_SEPARATOR) return true;
  }
  return false;
}
