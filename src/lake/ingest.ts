import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { chunkSize } from '../normalize/chunks.js';
import { type ParquetReader, frameRecords } from '../normalize/frame.js';
import type { BatchFile } from '../normalize/normalizer.js';
import { type InputObject, UnreadableError, UserError } from '../sources/input.js';
import { checkLocalTarget, listLocalObjects } from '../sources/local.js';
import { checkS3Target, listS3Objects } from '../sources/s3.js';
import { type BatchResult, StagedBatch } from './batch.js';
import { DEFAULT_MEMORY_LIMIT, type Lake, setMemoryLimit } from './db.js';
import { countSetting, memorySetting } from './env-settings.js';
import { IngestMemory } from './ingest-memory.js';
import { type FileRecord, FileRegistry, type KnownFile } from './file-registry.js';
import { ScratchBuffer } from '../normalize/scratch-buffer.js';
import { parquetLineReader } from './parquet-lines.js';
import { parseLogFormat } from '../normalize/vpcflow-fields.js';
import type { IngestOptions, IngestSummary, RecordCounts } from './ingest-api.js';

export * from './ingest-api.js';

/**
 * A batch commits once it holds several row groups' worth of records (the lake's row groups are 32,768
 * rows): smaller commits go through the write-ahead log and are compressed again at each checkpoint, several
 * times slower, and several row groups let both cores write. DuckDB's INSERT costs less per record the larger
 * it is, and each batch's duplicate check scans the lake's rows in its time range: 5M flow records took 30.4 s
 * on average in batches of 1,048,576 against 34.1 s in batches of 524,288, at the same peak RSS. The stage
 * file's size is capped too, which bounds batches of wide records (CloudTrail events) first.
 */
const BATCH_RECORDS = 1_048_576;
const BATCH_BYTES = 512 << 20;
/** Listed objects are checked against the lake a page at a time. */
const LOOKUP_PAGE = 500;
/** The progress line is told about records framed at most this often (it redraws 5 times a second). */
const PROGRESS_INTERVAL_MS = 200;
/**
 * DuckDB settings while ingesting (restored afterwards). Without jemalloc (the Node build has none), memory
 * DuckDB frees stays with the C allocator unless a low flush threshold makes DuckDB hand it back after each
 * bulk free.
 */
const INGEST_SETTINGS: Record<string, string> = {
  allocator_bulk_deallocation_flush_threshold: '4MB',
};
/**
 * DuckDB's memory limit while ingesting into a lake at the default limit, for records 512 bytes or wider
 * (narrower ones start lower: ingest-memory.ts). Peak RSS of the benchmark's 1M CloudTrail events is 459 MB
 * at 160MB against 580 MB at 256MB, at the same speed; at 128MB a batch ran out. What DuckDB needs is not
 * predictable enough from the batch size for a low limit alone, so a batch that runs out of memory is
 * committed again a step up.
 */
const INGEST_MEMORY_LIMIT = '160MB';

/**
 * Reads every input (paths or s3:// prefixes) into the lake. Each file is read once: a file already read
 * with the same fingerprint is passed over, and records the lake already holds are counted as duplicates,
 * so an interrupted run can simply be run again.
 */
export async function ingest(lake: Lake, targets: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  const started = Date.now();
  await checkTargets(targets, options);
  const connection = await lake.connect();
  const restore = await applySettings(connection, INGEST_SETTINGS);
  const lowered = lake.memoryLimit === DEFAULT_MEMORY_LIMIT;
  const chosenLimit = options.memoryLimit ?? memorySetting('GUMSHOE_INGEST_MEMORY_LIMIT');
  // Row order inside a table carries no meaning (time and source_line do); letting DuckDB write in parallel is faster.
  await connection.run('SET preserve_insertion_order = false');
  // Records wait for their batch in a stage file next to the lake (same disk, never held in memory).
  const lakeDir = path.dirname(path.resolve(lake.file));
  removeAbandonedStages(lakeDir);
  const stageDir = path.join(lakeDir, `${STAGE_PREFIX}${process.pid}`);
  // Batches commit on a connection of their own, so the next batch is framed while one is being stored.
  const commitConnection = await lake.connect();
  await commitConnection.run('SET preserve_insertion_order = false');
  const memory = lowered ? new IngestMemory(commitConnection, chosenLimit ?? INGEST_MEMORY_LIMIT, chosenLimit === undefined, lake.memoryLimit) : undefined;
  await memory?.start();
  // Parquet files are converted on a connection of their own while batches commit on theirs.
  const parquetConnection = await lake.connect();
  const parquet = parquetLineReader(parquetConnection, stageDir);
  const run = new IngestRun(connection, commitConnection, options, stageDir, parquet, memory);
  // Ingesting the directory that holds the lake must not read the lake (or its WAL and spill files).
  const lakeFile = path.resolve(lake.file);
  const isLakeFile = (uri: string) => uri === lakeFile || uri.startsWith(`${lakeFile}.`);
  try {
    await run.begin(targets);
    const empty: string[] = [];
    try {
      for (const target of targets) {
        const objects = target.startsWith('s3://')
          ? listS3Objects(target, { endpoint: options.endpoint, region: options.region })
          : listLocalObjects(target);
        let listed = 0;
        for await (const page of pages(objects, LOOKUP_PAGE)) {
          const inputs = page.filter((object) => !isLakeFile(object.uri));
          listed += inputs.length;
          await run.readPage(inputs);
        }
        if (listed === 0) empty.push(target);
      }
    } catch (error) {
      if (error instanceof UserError) throw await run.keepWhatWasRead(error);
      throw error;
    }
    await run.drain();
    const summary = await run.finish();
    // Checkpointed here, after the run's last write and at the ingest limit: left to closing the lake, at its
    // own limit, the checkpoint was the run's peak (790 against 660 MB over 5M flow records; after a
    // checkpoint that came before the run's last write, 507–614 MB against 422 MB over 10M).
    await connection.run('CHECKPOINT');
    summary.seconds = (Date.now() - started) / 1000;
    reportEmptyInputs(empty, targets.length, summary);
    return summary;
  } finally {
    await run.close();
    commitConnection.closeSync();
    parquetConnection.closeSync();
    await applySettings(connection, restore);
    if (lowered) await setMemoryLimit(connection, lake.memoryLimit);
    connection.closeSync();
  }
}

/** Every input (and --flow-format) is checked before any is read: a mistyped last one would otherwise end a long run. */
export async function checkTargets(targets: string[], options: IngestOptions): Promise<void> {
  givenFlowFields(options);
  for (const target of targets) {
    if (target.startsWith('s3://')) checkS3Target(target, { endpoint: options.endpoint, region: options.region });
    else await checkLocalTarget(target);
  }
}

/** The --flow-format field order, checked: a misspelt name is an error before anything is read, as a bad path is. */
function givenFlowFields(options: IngestOptions): string[] | undefined {
  if (options.flowFormat === undefined) return undefined;
  const { fields, error } = parseLogFormat(options.flowFormat);
  if (error) throw new UserError(error);
  return fields;
}

/**
 * An input that lists nothing is most often a mistyped prefix or path, which would otherwise pass as a run
 * that read nothing. When no input listed anything the run is a user error (exit 2, as for a missing path);
 * one empty input among others is a warning, and the others are read.
 */
function reportEmptyInputs(empty: string[], inputs: number, summary: IngestSummary): void {
  const messages = empty.map(nothingListed);
  if (empty.length > 0 && empty.length === inputs) throw new UserError(messages.join('; '));
  summary.warnings.push(...messages);
}

function nothingListed(target: string): string {
  return target.startsWith('s3://') ? `${target} matched no objects; check the prefix` : `${target} holds no files; check the path`;
}

/** Sets global DuckDB settings; returns their previous values. */
async function applySettings(connection: DuckDBConnection, settings: Record<string, string>): Promise<Record<string, string>> {
  const previous: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    const reader = await connection.runAndReadAll(`SELECT current_setting('${name}')`);
    previous[name] = String(reader.getRows()[0]![0]);
    await connection.run(`SET GLOBAL ${name} = '${value.replaceAll("'", "''")}'`);
  }
  return previous;
}

const STAGE_PREFIX = '.gumshoe-stage-';

/** Stage directories left by ingests that were killed (their process is gone). */
function removeAbandonedStages(directory: string): void {
  for (const name of readdirSync(directory)) {
    if (!name.startsWith(STAGE_PREFIX)) continue;
    const pid = Number(name.slice(STAGE_PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) rmSync(path.join(directory, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function* pages<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const item of items) {
    page.push(item);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

class IngestRun {
  /** Batches alternate: records are framed into `current` while `spare` is being committed. */
  private current!: StagedBatch;
  private spare!: StagedBatch;
  private committing?: Promise<void>;
  private readonly registry: FileRegistry;
  private runId = 0;
  private readonly summary: IngestSummary = {
    files: 0, filesUnchanged: 0, filesSkipped: 0, read: 0, stored: 0, duplicates: 0, quarantined: 0,
    byType: {}, warnings: [], unreadable: [], seconds: 0,
  };
  /** Files with records in the current batch, by id; `complete` once all their records are staged. */
  private readonly inBatch = new Map<number, FileRecord>();
  /** Files are framed one at a time, each into this. */
  private readonly scratch = new ScratchBuffer();
  private bytesRead = 0;
  /** Records of the batch being committed, until its counts reach the summary: the progress line counts them. */
  private committingRecords = 0;
  private lastProgress = 0;
  /**
   * Real paths of the files this run read through a symbolic link (a link to a file, a linked directory):
   * the same file under another name is read once. Files reached by their own path the registry keeps.
   */
  private readonly readThroughLinks = new Set<string>();
  private readonly batchRecords = countSetting('GUMSHOE_BATCH_RECORDS', BATCH_RECORDS);
  private readonly batchBytes = countSetting('GUMSHOE_BATCH_BYTES', BATCH_BYTES);
  private readonly flowFields: string[] | undefined;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly commitConnection: DuckDBConnection,
    private readonly options: IngestOptions,
    private readonly stageDir: string,
    private readonly parquet: ParquetReader,
    /** DuckDB's memory limit per batch; undefined leaves the lake's own. */
    private readonly memory?: IngestMemory,
  ) {
    this.registry = new FileRegistry(connection);
    this.flowFields = givenFlowFields(options);
  }

  async close(): Promise<void> {
    await this.committing?.catch(() => {});
    this.current?.close();
    this.spare?.close();
    rmSync(this.stageDir, { recursive: true, force: true });
  }

  async begin(targets: string[]): Promise<void> {
    mkdirSync(this.stageDir, { recursive: true });
    this.current = new StagedBatch(path.join(this.stageDir, 'a.txt'));
    this.spare = new StagedBatch(path.join(this.stageDir, 'b.txt'));
    await this.registry.load();
    const reader = await this.connection.runAndReadAll(
      `INSERT INTO ingest_runs (run_id, started_at, inputs) VALUES (nextval('run_id_seq'), now()::TIMESTAMP, $1) RETURNING run_id`,
      [JSON.stringify(targets)],
    );
    this.runId = Number(reader.getRows()[0]![0]);
  }

  async readPage(objects: InputObject[]): Promise<void> {
    const named = await Promise.all(objects.map(async (object) => ({ object, real: await realPathOf(object) })));
    const known = await this.registry.lookup([...new Set(named.flatMap(({ object, real }) => [object.uri, real]))]);
    for (const { object, real } of named) {
      if (this.takenUpAlready(object.uri, real, known)) continue;
      await this.readObject(object, known.get(object.uri));
    }
  }

  /**
   * Whether this run has read (or passed over) the file already, under this name or another: an input that
   * overlaps another (a directory and a file in it) or a link. Each file is read once per run.
   */
  private takenUpAlready(uri: string, real: string, known: Map<string, KnownFile>): boolean {
    if (this.registry.takenUpThisRun(uri, known.get(uri)) || this.readThroughLinks.has(real)) return true;
    if (real === uri) return false;
    if (this.registry.takenUpThisRun(real, known.get(real))) return true;
    this.readThroughLinks.add(real);
    return false;
  }

  private async readObject(object: InputObject, known: KnownFile | undefined): Promise<void> {
    const fileId = this.registry.takeUp(object.uri, known);
    if (known && known.fingerprint === object.fingerprint && this.passesOver(known)) {
      this.summary.filesUnchanged++;
      return;
    }
    const record: FileRecord = {
      fileId,
      uri: object.uri,
      fingerprint: object.fingerprint,
      status: 'reading',
      recordsRead: 0,
      quarantined: 0,
    };
    try {
      await this.frameObject(object, record, known);
    } catch (error) {
      if (!(error instanceof UnreadableError)) throw error;
      // Not registered as read: records framed before the failure are stored with the file still 'reading',
      // so the next run reads it again (and counts those as duplicates).
      this.summary.unreadable.push(`${object.uri}: ${error.message}`);
    }
  }

  /**
   * Whether an unchanged file read before is passed over. --type reads again a file skipped before (the skip
   * message tells users to do so) and a file read before as another type (a mistaken --type would otherwise
   * keep its records in quarantine for good); --flow-format reads again a file skipped before, which may be a
   * flow log whose lines fit the format given, and a flow log read in another field order that quarantined
   * every record (a header-less log read in a default order before the format was given; a log whose header
   * names its order and has a few bad lines is not read again).
   */
  private passesOver(known: KnownFile): boolean {
    const forced = this.options.forceType;
    if (known.status === 'skipped') return !forced && !this.flowFields;
    const misread = this.flowFields !== undefined && known.sourceType === 'vpcflow' && known.quarantined > 0
      && known.quarantined === known.recordsRead && known.format !== this.flowFields.join(' ');
    return known.status === 'complete' && (!forced || forced === known.sourceType) && !misread;
  }

  private async frameObject(object: InputObject, record: FileRecord, known: KnownFile | undefined): Promise<void> {
    let file: BatchFile | undefined;
    for await (const item of frameRecords(await object.open(), object.uri, { forced: this.options.forceType, flowFields: this.flowFields, parquet: this.parquet, scratch: this.scratch })) {
      if ('skip' in item) {
        this.skip(record, item.skip);
        return;
      }
      if ('format' in item) {
        const format = item.format;
        file = { fileId: record.fileId, uri: object.uri, ...format };
        record.sourceType = format.sourceType;
        record.format = format.flowFields?.join(' ');
        this.current.addFile(file, known !== undefined);
        this.inBatch.set(record.fileId, record);
        continue;
      }
      this.current.append(record.fileId, item.chunk);
      this.bytesRead += chunkSize(item.chunk);
      this.reportProgress(object.uri);
      if (this.current.stagedRecords >= this.batchRecords || this.current.stagedBytes >= this.batchBytes) {
        await this.flush();
        this.current.addFile(file!, known !== undefined);
        this.inBatch.set(record.fileId, record);
      }
    }
    this.summary.files++;
    record.status = 'complete';
    this.reportProgress(object.uri, true);
  }

  /**
   * Tells the progress line the files done and the records framed so far: those committed, those of the
   * batch being committed and those staged. Committed counts alone stay at 0 until the first batch commits,
   * which for an ingest under a batch's size is the end.
   */
  private reportProgress(currentUri: string | undefined, always = false): void {
    const now = Date.now();
    if (!this.options.onProgress || (!always && now - this.lastProgress < PROGRESS_INTERVAL_MS)) return;
    this.lastProgress = now;
    const records = this.summary.read + this.committingRecords + this.current.stagedRecords;
    this.options.onProgress({ filesDone: this.summary.files, records, bytes: this.bytesRead, currentUri });
  }

  private skip(record: FileRecord, reason: string): void {
    record.status = 'skipped';
    record.note = reason;
    this.registry.note(record);
    if (reason === 'empty file') {
      this.summary.files++;
      return;
    }
    this.summary.filesSkipped++;
    this.summary.warnings.push(`skipped ${record.uri}: ${reason}`);
  }

  /**
   * Hands the current batch over to be committed (with the file rows it completes, in one transaction) and
   * goes on framing into the other batch. Commits run one at a time, in order.
   */
  async flush(): Promise<void> {
    if (this.current.isEmpty && !this.registry.hasPending) return;
    const batch = this.current;
    // Whether a file is complete is decided now: its later records may be framed while this batch commits.
    const files = [...this.inBatch.values()].map((record) => ({ record, complete: record.status === 'complete' }));
    this.inBatch.clear();
    await this.committing;
    this.committingRecords = batch.stagedRecords;
    this.current = this.spare;
    this.spare = batch;
    const commit = this.commit(batch, files);
    commit.catch(() => {}); // awaited by the next flush or by drain()
    this.committing = commit;
  }

  /** Commits what is staged and waits for every commit. */
  async drain(): Promise<void> {
    await this.flush();
    await this.committing;
  }

  /**
   * After a fatal problem mid-run (the S3 endpoint gone, credentials expired): the files read so far are
   * committed, so that running the command again goes on after them rather than reading them all again.
   * Returns the error to end the run with, saying so.
   */
  async keepWhatWasRead(error: UserError): Promise<UserError> {
    try {
      await this.drain();
    } catch {
      // The commit failing too leaves the lake as the last commit left it: the same command reads the rest.
      return error;
    }
    const files = this.summary.files;
    if (files === 0) return error;
    return new UserError(`${error.message} (the ${files.toLocaleString('en-US')} file(s) read before that are stored; once that is fixed, the same command reads the rest)`, error.exitCode);
  }

  private async commit(batch: StagedBatch, files: { record: FileRecord; complete: boolean }[]): Promise<void> {
    await this.memory?.forBatch(batch.widestRecordBytes(), batch.rereads);
    const result = await batch.commit(
      this.commitConnection,
      async (c, r) => {
        this.tallyFiles(files, r);
        await this.registry.write(c);
      },
      this.memory && (async () => {
        const raised = await this.memory!.raise();
        if (raised) this.summary.warnings.push(raised);
        return raised !== undefined;
      }),
    );
    this.registry.committed();
    for (const [sourceType, counts] of result.byType) {
      const total = (this.summary.byType[sourceType] ??= { files: 0, read: 0, stored: 0, duplicates: 0, quarantined: 0 });
      addCounts(total, counts);
      addCounts(this.summary, counts);
    }
    this.committingRecords = 0;
    for (const { record, complete } of files) if (complete) this.summary.byType[record.sourceType!]!.files++;
    this.reportProgress(undefined, true);
  }

  private tallyFiles(files: { record: FileRecord; complete: boolean }[], result: BatchResult): void {
    for (const { record, complete } of files) {
      const tally = result.byFile.get(record.fileId);
      record.recordsRead += tally?.read ?? 0;
      record.quarantined += tally?.quarantined ?? 0;
      this.registry.note({ ...record, status: complete ? 'complete' : 'reading' });
    }
  }

  /** Records the run's counts; its seconds are the caller's to set. */
  async finish(): Promise<IngestSummary> {
    const s = this.summary;
    await this.connection.run(
      `UPDATE ingest_runs SET finished_at = now()::TIMESTAMP, files = $1, files_unchanged = $2, files_skipped = $3,
        records_read = $4, stored = $5, duplicates = $6, quarantined = $7 WHERE run_id = $8`,
      [s.files, s.filesUnchanged, s.filesSkipped, s.read, s.stored, s.duplicates, s.quarantined, this.runId],
    );
    return s;
  }
}

/**
 * The object's real location, what tells two names of one file apart: an S3 object's uri, a local file's
 * path with every link resolved (its own path when that fails: it is then reported as unreadable).
 */
async function realPathOf(object: InputObject): Promise<string> {
  if (object.uri.startsWith('s3://')) return object.uri;
  return realpath(object.uri).catch(() => object.uri);
}

function addCounts(target: RecordCounts, counts: RecordCounts): void {
  target.read += counts.read;
  target.stored += counts.stored;
  target.duplicates += counts.duplicates;
  target.quarantined += counts.quarantined;
}
