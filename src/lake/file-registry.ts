import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../normalize/vpcflow.js';
import type { SourceType } from './ingest-api.js';

/** What the lake knows of an object read before. */
export interface KnownFile {
  fileId: number;
  fingerprint: string;
  status: string;
  /** The source type its records were read as (none for a skipped file). */
  sourceType?: SourceType;
  /** A flow log's field order as it was read (space-separated). */
  format?: string;
  /** Records read of it, and how many of them were quarantined. */
  recordsRead: number;
  quarantined: number;
}

/** A row of ingested_files waiting for the next batch transaction. */
export interface FileRecord {
  fileId: number;
  uri: string;
  fingerprint: string;
  status: 'reading' | 'complete' | 'skipped';
  sourceType?: SourceType;
  format?: string;
  note?: string;
  recordsRead: number;
  quarantined: number;
}

/**
 * The lake's record of every object read. Rows are written inside the batch transaction that stores the
 * object's records (never one commit per file, which costs a WAL write each), so a file whose records
 * reached the lake is always registered under the same id, and an interrupted run resumes with it.
 */
export class FileRegistry {
  private nextId = 1;
  private readonly pending = new Map<number, FileRecord>();
  /**
   * Files this run took up whose rows are not committed yet, by uri: `lookup` cannot find them in the lake,
   * and without this a file named twice would get two ids and two rows. Emptied as rows commit, so it stays
   * as small as a batch's files.
   */
  private readonly uncommitted = new Map<string, number>();
  /** Ids of every file this run took up (read, skipped or passed over): numbers, small even for millions of files. */
  private readonly takenUp = new Set<number>();
  /** Uris of the rows written in the current transaction, then of those committed since the last `lookup`. */
  private writing: string[] = [];
  private committedSinceLookup: string[] = [];

  constructor(private readonly connection: DuckDBConnection) {}

  async load(): Promise<void> {
    const reader = await this.connection.runAndReadAll('SELECT coalesce(max(file_id), 0) + 1 FROM ingested_files');
    this.nextId = Number(reader.getRows()[0]![0]);
  }

  /** One query for a whole page of listed objects. */
  async lookup(uris: string[]): Promise<Map<string, KnownFile>> {
    // What committed before this query, the query finds: dropped here, not at the commit, so that a page
    // looked up before a commit still has its files in `uncommitted`.
    for (const uri of this.committedSinceLookup) this.uncommitted.delete(uri);
    this.committedSinceLookup = [];
    const known = new Map<string, KnownFile>();
    if (uris.length === 0) return known;
    const reader = await this.connection.runAndReadAll(
      `SELECT uri, file_id, fingerprint, status, source_type, format, records_read, quarantined FROM ingested_files WHERE uri IN (${uris.map(sqlString).join(', ')})`,
    );
    for (const row of reader.getRowObjectsJS()) {
      known.set(String(row.uri), {
        fileId: Number(row.file_id),
        fingerprint: String(row.fingerprint),
        status: String(row.status),
        sourceType: row.source_type === null ? undefined : (String(row.source_type) as SourceType),
        format: row.format === null ? undefined : String(row.format),
        recordsRead: Number(row.records_read ?? 0),
        quarantined: Number(row.quarantined ?? 0),
      });
    }
    return known;
  }

  /** Whether this run has taken up the file already (`known`: what `lookup` found for `uri`). */
  takenUpThisRun(uri: string, known: KnownFile | undefined): boolean {
    return this.uncommitted.has(uri) || (known !== undefined && this.takenUp.has(known.fileId));
  }

  /** Takes up a file for this run; returns its id: the one the lake knows it by, else a new one. */
  takeUp(uri: string, known: KnownFile | undefined): number {
    const id = known?.fileId ?? this.nextId++;
    this.takenUp.add(id);
    if (!known) this.uncommitted.set(uri, id);
    return id;
  }

  /** Queues a row; the latest word on a file wins. */
  note(record: FileRecord): void {
    this.pending.set(record.fileId, record);
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Writes the queued rows; call inside the batch's transaction. */
  async write(connection: DuckDBConnection): Promise<void> {
    if (this.pending.size === 0) return;
    // Taken before the await: files framed meanwhile are noted for the next transaction.
    const rows = [...this.pending.values()];
    this.pending.clear();
    this.writing.push(...rows.map((f) => f.uri));
    const values = rows.map((f) =>
      `(${f.fileId}, ${sqlString(f.uri)}, ${sqlString(f.fingerprint)}, ${f.sourceType ? sqlString(f.sourceType) : 'NULL'},
        ${f.format ? sqlString(f.format) : 'NULL'}, ${sqlString(f.status)}, ${f.recordsRead}, ${f.quarantined},
        ${f.note ? sqlString(f.note) : 'NULL'}, now()::TIMESTAMP, ${f.status === 'reading' ? 'NULL' : 'now()::TIMESTAMP'})`,
    );
    await connection.run(`INSERT INTO ingested_files
        (file_id, uri, fingerprint, source_type, format, status, records_read, quarantined, note, first_seen_at, completed_at)
      VALUES ${values.join(', ')}
      ON CONFLICT (file_id) DO UPDATE SET fingerprint = excluded.fingerprint, source_type = excluded.source_type,
        format = excluded.format, status = excluded.status, records_read = excluded.records_read,
        quarantined = excluded.quarantined, note = excluded.note, completed_at = excluded.completed_at`);
  }

  /** After the transaction that wrote the rows committed: the next `lookup` finds them in the lake. */
  committed(): void {
    this.committedSinceLookup.push(...this.writing);
    this.writing = [];
  }
}
