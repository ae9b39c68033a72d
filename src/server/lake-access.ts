import { statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Lake } from '../lake/db.js';

/**
 * How the server reaches the lake while other processes write it.
 *
 * DuckDB lets one process write a file, and a read-only open fails while a writer holds it; a reader holding
 * it also makes `gumshoe ingest` fail to start. So the server never keeps the lake open: requests share one
 * read-only open that closes `idleMs` after the last request ends. Opening retries briefly when the file is
 * locked, then gives up with LakeBusyError (callers answer from their cache, marked stale, or with 503).
 * Writes (archive, suppression rules) wait for reads to finish and open the file read-write just for the write.
 */
export class LakeBusyError extends Error {
  constructor(file: string) {
    super(`the lake ${file} is being written by another process (gumshoe ingest or detect); try again when it finishes`);
    this.name = 'LakeBusyError';
  }
}

export interface ReadContext {
  connection: DuckDBConnection;
  /** The lake's version while this read holds it (see `LakeAccess.version`). */
  version: string;
  /** A value computed once per lake version and shared by requests (e.g. finding groups, geo of IPs). */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /**
   * A value that depends only on what `key` names (e.g. the row counts of the event tables, which only ingest appends to and only prune deletes from), kept
   * across lake versions: archiving a finding changes the version but not the entities.
   */
  lasting<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export interface LakeAccessOptions {
  /** How long the read-only open outlives the last request (ms). */
  idleMs?: number;
  /** Waits between attempts when the file is locked (ms). */
  retryDelaysMs?: number[];
  memoryLimit?: string;
}

const isLockError = (error: unknown) => /Could not set lock|Conflicting lock/i.test((error as Error).message ?? '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LakeAccess {
  private lake: Lake | undefined;
  private opening: Promise<Lake> | undefined;
  private openVersion = '';
  private users = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  /** Set while a write runs; reads wait for it. */
  private gate: Promise<void> | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private memos = new Map<string, Promise<unknown>>();
  private memoVersion = '';
  private lastings = new Map<string, Promise<unknown>>();
  private readonly idleMs: number;
  private readonly retryDelays: number[];

  constructor(
    readonly file: string,
    private readonly options: LakeAccessOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 1000;
    this.retryDelays = options.retryDelaysMs ?? [50, 100, 200];
  }

  /**
   * The lake file's state from `stat` (size and mtime of the file and its WAL): any committed write changes
   * it, so answers computed at one version can be reused until it changes, without opening the file.
   */
  version(): string {
    const part = (file: string) => {
      try {
        const s = statSync(file, { bigint: true });
        return `${s.size}@${s.mtimeNs}`;
      } catch {
        return '-';
      }
    };
    return `${part(this.file)}/${part(`${this.file}.wal`)}`;
  }

  /** True while the server holds the file open (tests wait for false before starting a writer). */
  get isOpen(): boolean {
    return this.lake !== undefined || this.opening !== undefined;
  }

  async read<T>(fn: (context: ReadContext) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    // Counted from here, before the open, so a write waits for reads that are still opening the file.
    this.users++;
    clearTimeout(this.idleTimer);
    try {
      const lake = await this.acquire();
      const connection = await lake.connect();
      try {
        const version = this.openVersion;
        return await fn({ connection, version, memo: (key, compute) => this.memo(version, key, compute), lasting: (key, compute) => this.lasting(key, compute) });
      } finally {
        connection.closeSync();
      }
    } finally {
      this.release();
    }
  }

  /** Runs `fn` on a read-write open of the lake, after the reads in flight; one write at a time. */
  write<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = async () => {
      let open!: () => void;
      this.gate = new Promise((resolve) => (open = resolve));
      try {
        if (this.users > 0) await new Promise<void>((resolve) => (this.drained = resolve));
        this.closeLake();
        const lake = await this.openWithRetry(false);
        try {
          return await fn(lake.connection);
        } finally {
          lake.close();
        }
      } finally {
        this.gate = undefined;
        open();
      }
    };
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  close(): void {
    clearTimeout(this.idleTimer);
    this.closeLake();
  }

  private async acquire(): Promise<Lake> {
    if (!this.lake) {
      this.opening ??= this.openWithRetry(true).then(
        (lake) => {
          this.lake = lake;
          this.openVersion = this.version();
          return lake;
        },
      ).finally(() => (this.opening = undefined));
      return this.opening;
    }
    return this.lake;
  }

  private release(): void {
    this.users--;
    if (this.users > 0) return;
    if (this.drained) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
      return;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.users === 0) this.closeLake();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private closeLake(): void {
    clearTimeout(this.idleTimer);
    const lake = this.lake;
    this.lake = undefined;
    lake?.close();
  }

  private async openWithRetry(readOnly: boolean): Promise<Lake> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await Lake.open(this.file, { readOnly, memoryLimit: this.options.memoryLimit });
      } catch (error) {
        if (!isLockError(error)) throw error;
        const delay = this.retryDelays[attempt];
        if (delay === undefined) throw new LakeBusyError(this.file);
        await sleep(delay);
      }
    }
  }

  private lasting<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.lastings.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.lastings.set(key, value);
      value.catch(() => this.lastings.delete(key));
      // Two generations per kind (the text before the first ':'): each may hold a large catalogue.
      const kind = key.split(':')[0];
      const same = [...this.lastings.keys()].filter((k) => k.split(':')[0] === kind);
      for (const oldest of same.slice(0, Math.max(0, same.length - 2))) this.lastings.delete(oldest);
    }
    return value;
  }

  private memo<T>(version: string, key: string, compute: () => Promise<T>): Promise<T> {
    if (version !== this.memoVersion) {
      this.memos.clear();
      this.memoVersion = version;
    }
    let value = this.memos.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.memos.set(key, value);
      value.catch(() => this.memos.delete(key));
    }
    return value;
  }
}
