import type { DuckDBConnection } from '@duckdb/node-api';
import { setMemoryLimit } from './db.js';
import { memoryBytes } from './env-settings.js';

/**
 * Records this short on average (VPC flow records are about 140 bytes, Route 53 queries about 450) are
 * committed at a lower limit (NARROW_LIMIT). What DuckDB holds while inserting grows with the width of the
 * rows its threads are putting into row groups: a batch of 1.4 KB CloudTrail events ran out of memory at
 * 96MB, while for flow and DNS most of the default limit was a cache of blocks already written (10M flow
 * records: peak RSS 405–429 MB at 96MB against 476–521 MB at 160MB).
 */
const NARROW_RECORD_BYTES = 512;
/**
 * Narrow batches run at this limit until one runs out of memory there; from then on at the run's limit. The
 * benchmark's batches of a million flow records ran out at 96MB, and the failed try cost about a tenth of the
 * ingest; at 128MB they go through, for about 20 MB more.
 */
const NARROW_LIMIT = '128MB';

/**
 * How the note of a step up starts. What a batch of wide records needs is not predictable from its size: one
 * batch of the simulator's 52,645 CloudTrail events (a 17 MB tree) or of 50,126 of the benchmark's ran out at
 * 160MB, 23,555 did not, nor did the benchmark's 512 MB batches. Stepping up is the design, not a problem for
 * the user to act on, so the CLI shows it as a note rather than a warning.
 */
const STEP_UP = 'a batch ran out of memory at ';

/** Whether an ingest warning is only the note of a step up (which needs nothing from the user). */
export function isMemoryStepUp(warning: string): boolean {
  return warning.startsWith(STEP_UP);
}

/**
 * DuckDB's memory limit while ingesting, batch by batch. A batch that runs out of memory is committed again
 * one step up: narrow batches from NARROW_LIMIT to the run's limit, then twice that, up to the lake's own
 * limit. A step up holds for the rest of the run.
 */
export class IngestMemory {
  private applied: string | undefined;
  /** Whether narrow batches still run at NARROW_LIMIT (else at the run's limit). */
  private narrowLower: boolean;

  /**
   * `limit` is where the run starts (and stays, for wide records); `narrow` lets narrow batches run lower
   * (only when nobody chose the limit); `ceiling` is the lake's own limit.
   */
  constructor(
    private readonly connection: DuckDBConnection,
    private limit: string,
    narrow: boolean,
    private readonly ceiling: string,
  ) {
    this.narrowLower = narrow;
  }

  /** Sets the run's limit (before the first batch: converting Parquet files runs under it too). */
  start(): Promise<void> {
    return this.apply(this.limit);
  }

  /**
   * Sets the limit for a batch whose widest source's records average `recordBytes` (0: no records). A batch
   * that `rereads` files an earlier run read builds hash tables of their known keys as well, which ran out of
   * memory at every narrow limit (flow, 5M records re-read): it runs at the run's limit.
   */
  async forBatch(recordBytes: number, rereads = false): Promise<void> {
    const narrow = this.narrowLower && !rereads && recordBytes > 0 && recordBytes < NARROW_RECORD_BYTES;
    await this.apply(narrow ? NARROW_LIMIT : this.limit);
  }

  /** After a batch ran out of memory: one step up, and what was done; undefined at the lake's own limit. */
  async raise(): Promise<string | undefined> {
    const from = this.applied ?? this.limit;
    let to: string;
    if (this.narrowLower && from === NARROW_LIMIT) {
      this.narrowLower = false;
      to = this.limit;
    } else {
      const current = memoryBytes(this.limit);
      const ceiling = memoryBytes(this.ceiling);
      if (current >= ceiling) return undefined;
      to = this.limit = 2 * current >= ceiling ? this.ceiling : `${Math.ceil((2 * current) / 1e6)}MB`;
    }
    await this.apply(to);
    return `${STEP_UP}${from} and was committed at ${to}, the limit for the rest of the run`;
  }

  private async apply(limit: string): Promise<void> {
    if (limit === this.applied) return;
    await setMemoryLimit(this.connection, limit);
    this.applied = limit;
  }
}
