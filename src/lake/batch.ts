import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { cloudTrailNormalizer } from '../normalize/cloudtrail.js';
import { ChunkKind, type StageChunk } from '../normalize/frame.js';
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

/** One group of parsed records, ready to be stored. */
interface Prepared {
  normalizer: Normalizer;
  /** Temp table of the parsed rows; `<parsed>_known` holds the keys the lake already has. */
  parsed: string;
  perFile: Record<string, unknown>[];
  read: number;
  bad: number;
  /** Whether the group repeats a record within itself (only then is the costlier first-of-each kept). */
  repeats: boolean;
}

/** Malformed-JSON quarantine rows get the parser's own words, for at most this many per batch. */
const DETAILED_JSON_ERRORS = 10_000;

/**
 * Framed records wait in a connection-local staging table; `commit` turns them into lake rows in one
 * transaction: split, normalize, drop what the lake already holds, quarantine the rest with reasons.
 */
export class StagedBatch {
  private appender?: DuckDBAppender;
  private files = new Map<number, BatchFile>();
  stagedBytes = 0;
  stagedRecords = 0;

  private constructor(private readonly connection: DuckDBConnection) {}

  static async create(connection: DuckDBConnection): Promise<StagedBatch> {
    const batch = new StagedBatch(connection);
    await batch.resetStage();
    return batch;
  }

  /** A fresh table rather than DELETE: deleted rows of a temp table keep their memory until it is dropped. */
  private async resetStage(): Promise<void> {
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE stage (
      file_id INTEGER, kind UTINYINT, first_line BIGINT, first_index BIGINT, text VARCHAR, element_lines VARCHAR, broken VARCHAR)`);
  }

  get isEmpty(): boolean {
    return this.files.size === 0;
  }

  addFile(file: BatchFile): void {
    this.files.set(file.fileId, file);
  }

  async append(fileId: number, chunk: StageChunk): Promise<void> {
    this.appender ??= await this.connection.createAppender('stage', null, 'temp');
    const a = this.appender;
    a.appendInteger(fileId);
    a.appendUTinyInt(chunk.kind);
    a.appendBigInt(BigInt(chunk.firstLine));
    a.appendBigInt(BigInt(chunk.firstIndex));
    a.appendVarchar(chunk.text);
    if (chunk.elementLines) a.appendVarchar(chunk.elementLines.join(','));
    else a.appendNull();
    if (chunk.broken) a.appendVarchar(chunk.broken);
    else a.appendNull();
    a.endRow();
    this.stagedBytes += chunk.text.length;
    this.stagedRecords += chunk.records;
  }

  /** Normalizes and stores everything staged, then empties the stage. `finish` runs in the same transaction. */
  async commit(finish: (connection: DuckDBConnection, result: BatchResult) => Promise<void>): Promise<BatchResult> {
    this.appender?.closeSync();
    this.appender = undefined;
    const c = this.connection;
    const result: BatchResult = { byType: new Map(), byFile: new Map() };
    // Parsing happens outside the transaction: temp-table work inside one is copied again at COMMIT.
    // Only this process writes the lake (DuckDB's file lock), so keys looked up now stay valid.
    const prepared: Prepared[] = [];
    const byType = new Map<SourceType, BatchFile[]>();
    for (const file of this.files.values()) byType.set(file.sourceType, [...(byType.get(file.sourceType) ?? []), file]);
    for (const [sourceType, files] of byType) {
      const normalizer = NORMALIZERS[sourceType];
      for (const select of normalizer.selects(files, recordsOf)) {
        const ready = await this.prepare(normalizer, select, `parsed_${prepared.length}`);
        if (ready) prepared.push(ready);
      }
    }
    await c.run('BEGIN TRANSACTION');
    try {
      for (const ready of prepared) await this.store(ready, result);
      await this.explainMalformedJson();
      await finish(c, result);
      await c.run('COMMIT');
    } catch (error) {
      await c.run('ROLLBACK');
      throw error;
    }
    for (const ready of prepared) await c.run(`DROP TABLE IF EXISTS ${ready.parsed}; DROP TABLE IF EXISTS ${ready.parsed}_known`);
    await this.resetStage();
    this.files.clear();
    this.stagedBytes = 0;
    this.stagedRecords = 0;
    return result;
  }

  /** Parses one group of records into a temp table and looks up which of them the lake already holds. */
  private async prepare(normalizer: Normalizer, select: string, parsed: string): Promise<Prepared | undefined> {
    const c = this.connection;
    await c.run(`CREATE OR REPLACE TEMP TABLE ${parsed} AS ${select}`);
    const perFile = (
      await c.runAndReadAll(`SELECT source_file_id AS file_id, count(*) AS read, count(*) FILTER (reason IS NOT NULL) AS bad,
        min(time) FILTER (reason IS NULL)::VARCHAR AS lo, max(time) FILTER (reason IS NULL)::VARCHAR AS hi,
        bool_or(time IS NULL AND reason IS NULL) AS undated
        FROM ${parsed} GROUP BY 1`)
    ).getRowObjectsJS();
    if (perFile.length === 0) return undefined;
    const summary = summarize(perFile);
    // Only rows in the batch's time range can be the same events; zone maps skip the rest of the table.
    const window = [
      summary.lo ? `x.time BETWEEN ${sqlString(summary.lo)} AND ${sqlString(summary.hi!)}` : 'false',
      summary.undated ? 'x.time IS NULL' : 'false',
    ].join(' OR ');
    // A semi join builds its hash table on the batch and only scans the lake's key column.
    await c.run(`CREATE OR REPLACE TEMP TABLE ${parsed}_known AS
      SELECT DISTINCT x.dedup_key FROM ${normalizer.table} x SEMI JOIN ${parsed} p ON x.dedup_key = p.dedup_key WHERE ${window}`);
    const [{ repeats }] = (
      await c.runAndReadAll(`SELECT count(*) - count(DISTINCT dedup_key) AS repeats FROM ${parsed} WHERE reason IS NULL`)
    ).getRowObjectsJS() as [{ repeats: bigint }];
    return { normalizer, parsed, perFile, read: summary.read, bad: summary.bad, repeats: Number(repeats) > 0 };
  }

  private async store(ready: Prepared, result: BatchResult): Promise<void> {
    const { normalizer, parsed, read, bad } = ready;
    const keepFirst = ready.repeats
      ? 'QUALIFY row_number() OVER (PARTITION BY dedup_key ORDER BY source_file_id, source_line, record_index) = 1'
      : '';
    const inserted = await this.connection.run(`INSERT INTO ${normalizer.table} BY NAME
      SELECT * EXCLUDE (reason, record_index) FROM ${parsed} p
      WHERE reason IS NULL AND dedup_key NOT IN (SELECT dedup_key FROM ${parsed}_known)
      ${keepFirst}`);
    const stored = Number(inserted.rowsChanged);
    if (bad > 0) await this.quarantine(normalizer.sourceType, parsed);
    for (const row of ready.perFile) {
      const tally = result.byFile.get(Number(row.file_id)) ?? { read: 0, quarantined: 0 };
      tally.read += Number(row.read);
      tally.quarantined += Number(row.bad);
      result.byFile.set(Number(row.file_id), tally);
    }
    const counts = result.byType.get(normalizer.sourceType) ?? { read: 0, stored: 0, duplicates: 0, quarantined: 0 };
    counts.read += read;
    counts.stored += stored;
    counts.quarantined += bad;
    counts.duplicates += read - bad - stored;
    result.byType.set(normalizer.sourceType, counts);
  }

  private async quarantine(sourceType: SourceType, parsed: string): Promise<void> {
    const fileIds = [...this.files.keys()].join(', ');
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE batch_files AS
      SELECT * FROM (VALUES ${[...this.files.values()].map((f) => `(${f.fileId}, ${sqlString(f.uri)})`).join(', ')}) v(file_id, uri)`);
    await this.connection.run(`INSERT INTO quarantine
      WITH located AS (
        SELECT p.*, f.uri,
          'line ' || p.source_line || coalesce(', record ' || (p.record_index + 1), '') AS location
        FROM ${parsed} p JOIN batch_files f ON f.file_id = p.source_file_id
        WHERE p.reason IS NOT NULL
      )
      SELECT source_file_id, uri, ${sqlString(sourceType)}, source_line, location, reason, raw, md5_number(uri || '#' || location)
      FROM located
      WHERE md5_number(uri || '#' || location) NOT IN (SELECT dedup_key FROM quarantine WHERE source_file_id IN (${fileIds}))`);
  }

  /** The lake only knows a record did not parse; JSON.parse says where and what, which is what a user needs. */
  private async explainMalformedJson(): Promise<void> {
    if (this.files.size === 0) return;
    const c = this.connection;
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

/** The framed records of some files, one row each, with the line (and document index) each came from. */
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

function recordsOf(fileIds: number[]): string {
  return `(
    WITH pieces AS (
      SELECT file_id, kind, broken, first_line, first_index, element_lines,
        CASE kind WHEN ${ChunkKind.Lines} THEN string_split(text, chr(10))
                  WHEN ${ChunkKind.Elements} THEN string_split(text, chr(30))
                  ELSE [text] END AS parts
      FROM stage WHERE file_id IN (${fileIds.join(', ')})
    ), records AS (
      SELECT file_id, kind, broken,
        unnest(parts) AS raw,
        unnest(CASE kind WHEN ${ChunkKind.Elements} THEN string_split(element_lines, ',')::BIGINT[]
                         WHEN ${ChunkKind.Lines} THEN range(first_line, first_line + len(parts))
                         ELSE [first_line] END) AS line,
        unnest(range(first_index, first_index + len(parts))) AS idx
      FROM pieces
    )
    SELECT file_id, line, CASE WHEN kind = ${ChunkKind.Lines} THEN NULL ELSE idx END AS idx, raw, broken
    FROM records
    -- Blank lines are not records.
    WHERE broken IS NOT NULL OR raw <> ''
  )`;
}
