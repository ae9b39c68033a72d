import type { DuckDBConnection } from '@duckdb/node-api';
import type { BatchFile } from '../normalize/normalizer.js';
import { frameRecords } from '../normalize/frame.js';
import type { InputObject } from '../sources/input.js';
import { listLocalObjects } from '../sources/local.js';
import { listS3Objects } from '../sources/s3.js';
import { type BatchResult, type FileTally, StagedBatch } from './batch.js';
import type { Lake } from './db.js';
import type { IngestOptions, IngestSummary, RecordCounts } from './ingest-api.js';

export * from './ingest-api.js';

/**
 * A batch commits once it holds a DuckDB row group's worth of records (122,880): smaller commits go through
 * the write-ahead log and are compressed again at each checkpoint, several times slower. Staged text is
 * capped too, so very large records cannot grow a batch without bound.
 */
const BATCH_RECORDS = Number(process.env.GUMSHOE_BATCH_RECORDS ?? 122_880);
const BATCH_BYTES = Number(process.env.GUMSHOE_BATCH_BYTES ?? 256 << 20);

/**
 * Reads every input (paths or s3:// prefixes) into the lake. Each file is read once: a file already read
 * with the same fingerprint is passed over, and records the lake already holds are counted as duplicates,
 * so an interrupted run can simply be run again.
 */
export async function ingest(lake: Lake, targets: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  const started = Date.now();
  const connection = await lake.connect();
  // Row order inside a table carries no meaning (time and source_line do); letting DuckDB write in parallel is faster.
  await connection.run('SET preserve_insertion_order = false');
  const run = new IngestRun(connection, options);
  try {
    await run.begin(targets);
    for (const target of targets) {
      const objects = target.startsWith('s3://')
        ? listS3Objects(target, { endpoint: options.endpoint, region: options.region })
        : listLocalObjects(target);
      for await (const object of objects) await run.readObject(object);
    }
    await run.flush();
    return await run.finish((Date.now() - started) / 1000);
  } finally {
    connection.closeSync();
  }
}

interface KnownFile {
  fileId: number;
  fingerprint: string;
  status: string;
}

class IngestRun {
  private batch!: StagedBatch;
  private runId = 0;
  private readonly summary: IngestSummary = {
    files: 0, filesUnchanged: 0, filesSkipped: 0, read: 0, stored: 0, duplicates: 0, quarantined: 0,
    byType: {}, warnings: [], seconds: 0,
  };
  /** Tallies of files whose records span several batches, until their last batch commits. */
  private readonly openTallies = new Map<number, FileTally>();
  /** Files whose records are all staged in the current batch. */
  private completed: BatchFile[] = [];
  private bytesRead = 0;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly options: IngestOptions,
  ) {}

  async begin(targets: string[]): Promise<void> {
    this.batch = await StagedBatch.create(this.connection);
    const reader = await this.connection.runAndReadAll(
      `INSERT INTO ingest_runs (run_id, started_at, inputs) VALUES (nextval('run_id_seq'), now()::TIMESTAMP, $1) RETURNING run_id`,
      [JSON.stringify(targets)],
    );
    this.runId = Number(reader.getRows()[0]![0]);
  }

  async readObject(object: InputObject): Promise<void> {
    const known = await this.knownFile(object.uri);
    if (known && known.fingerprint === object.fingerprint && (known.status === 'complete' || known.status === 'skipped')) {
      this.summary.filesUnchanged++;
      return;
    }
    const fileId = known?.fileId ?? (await this.registerFile(object));
    if (known && known.fingerprint !== object.fingerprint) {
      await this.connection.run('UPDATE ingested_files SET fingerprint = $1, status = $2 WHERE file_id = $3', [
        object.fingerprint, 'reading', fileId,
      ]);
    }
    let file: BatchFile | undefined;
    for await (const item of frameRecords(await object.open(), object.uri, this.options.forceType)) {
      if ('skip' in item) {
        await this.markSkipped(fileId, item.skip);
        this.summary.filesSkipped++;
        this.summary.warnings.push(`skipped ${object.uri}: ${item.skip}`);
        return;
      }
      if ('format' in item) {
        file = {
          fileId,
          uri: object.uri,
          sourceType: item.format.sourceType,
          envelope: item.format.envelope,
          flowFields: item.format.flowFields,
          formatError: item.format.formatError,
        };
        this.batch.addFile(file);
        continue;
      }
      await this.batch.append(fileId, item.chunk);
      this.bytesRead += item.chunk.text.length;
      if (this.batch.stagedRecords >= BATCH_RECORDS || this.batch.stagedBytes >= BATCH_BYTES) {
        await this.flush();
        this.batch.addFile(file!);
      }
    }
    this.summary.files++;
    if (!file) {
      // An empty object: nothing to store, but it has been read.
      await this.markSkipped(fileId, 'empty');
      return;
    }
    this.completed.push(file);
    this.options.onProgress?.({ filesDone: this.summary.files, records: this.summary.read, bytes: this.bytesRead, currentUri: object.uri });
  }

  async flush(): Promise<void> {
    if (this.batch.isEmpty) return;
    const completed = this.completed;
    this.completed = [];
    const result = await this.batch.commit((c, r) => this.recordFiles(c, completed, r));
    for (const [sourceType, counts] of result.byType) {
      const total = (this.summary.byType[sourceType] ??= { files: 0, read: 0, stored: 0, duplicates: 0, quarantined: 0 });
      addCounts(total, counts);
      addCounts(this.summary, counts);
    }
    for (const file of completed) this.summary.byType[file.sourceType]!.files++;
    this.options.onProgress?.({ filesDone: this.summary.files, records: this.summary.read, bytes: this.bytesRead });
  }

  /** Inside the batch's transaction: files whose last records are in it become complete. */
  private async recordFiles(connection: DuckDBConnection, completed: BatchFile[], result: BatchResult): Promise<void> {
    for (const [fileId, tally] of result.byFile) {
      const open = this.openTallies.get(fileId) ?? { read: 0, quarantined: 0 };
      open.read += tally.read;
      open.quarantined += tally.quarantined;
      this.openTallies.set(fileId, open);
    }
    if (completed.length === 0) return;
    const rows = completed.map((file) => {
      const tally = this.openTallies.get(file.fileId) ?? { read: 0, quarantined: 0 };
      this.openTallies.delete(file.fileId);
      const format = file.flowFields?.join(' ') ?? null;
      return `(${file.fileId}, '${file.sourceType}', ${format === null ? 'NULL' : `'${format.replaceAll("'", "''")}'`}, ${tally.read}, ${tally.quarantined})`;
    });
    await connection.run(`UPDATE ingested_files SET status = 'complete', source_type = v.source_type, format = v.format,
        records_read = v.records_read, quarantined = v.quarantined, completed_at = now()::TIMESTAMP, note = NULL
      FROM (VALUES ${rows.join(', ')}) v(file_id, source_type, format, records_read, quarantined)
      WHERE ingested_files.file_id = v.file_id`);
  }

  async finish(seconds: number): Promise<IngestSummary> {
    this.summary.seconds = seconds;
    const s = this.summary;
    await this.connection.run(
      `UPDATE ingest_runs SET finished_at = now()::TIMESTAMP, files = $1, files_unchanged = $2, files_skipped = $3,
        records_read = $4, stored = $5, duplicates = $6, quarantined = $7 WHERE run_id = $8`,
      [s.files, s.filesUnchanged, s.filesSkipped, s.read, s.stored, s.duplicates, s.quarantined, this.runId],
    );
    return s;
  }

  private async knownFile(uri: string): Promise<KnownFile | undefined> {
    const rows = (
      await this.connection.runAndReadAll('SELECT file_id, fingerprint, status FROM ingested_files WHERE uri = $1', [uri])
    ).getRowObjectsJS();
    const row = rows[0];
    return row ? { fileId: Number(row.file_id), fingerprint: String(row.fingerprint), status: String(row.status) } : undefined;
  }

  private async registerFile(object: InputObject): Promise<number> {
    const reader = await this.connection.runAndReadAll(
      `INSERT INTO ingested_files (file_id, uri, fingerprint, status, first_seen_at)
       VALUES (nextval('file_id_seq'), $1, $2, 'reading', now()::TIMESTAMP) RETURNING file_id`,
      [object.uri, object.fingerprint],
    );
    return Number(reader.getRows()[0]![0]);
  }

  private async markSkipped(fileId: number, note: string): Promise<void> {
    await this.connection.run(`UPDATE ingested_files SET status = 'skipped', note = $1, completed_at = now()::TIMESTAMP WHERE file_id = $2`, [
      note, fileId,
    ]);
  }
}

function addCounts(target: RecordCounts, counts: RecordCounts): void {
  target.read += counts.read;
  target.stored += counts.stored;
  target.duplicates += counts.duplicates;
  target.quarantined += counts.quarantined;
}
