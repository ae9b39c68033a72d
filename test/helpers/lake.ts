import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { datasetsDir } from '../../src/detect/dataset-records.js';
import { Lake } from '../../src/lake/db.js';
import { ingest, type IngestOptions, type IngestSummary } from '../../src/lake/ingest.js';

/** Real public datasets, read in place (never copied into the repo), found as the simulator finds them. */
export const DATASETS = datasetsDir();

export function dataset(...parts: string[]): string {
  return path.join(DATASETS, ...parts);
}

/**
 * A scratch directory removed by `cleanup`. `write` puts each file it is given under a directory of its own
 * (so an ingest of it reads only it), at `name` (which may hold folders), and returns its path.
 */
export function scratchDir(prefix = 'gumshoe-test-'): { dir: string; cleanup(): void; write(name: string, data: string | Buffer): string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  let files = 0;
  const write = (name: string, data: string | Buffer) => {
    const file = path.join(dir, String(++files), name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    return file;
  };
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }), write };
}

/** A fresh lake in a temp directory, with helpers to ingest and query it. */
export async function tempLake(): Promise<TestLake> {
  const scratch = scratchDir('gumshoe-lake-');
  const file = path.join(scratch.dir, 'test.duckdb');
  const lake = await Lake.open(file);
  return new TestLake(lake, file, scratch.cleanup);
}

export class TestLake {
  constructor(
    readonly lake: Lake,
    readonly file: string,
    private readonly cleanupDir: () => void,
  ) {}

  ingest(inputs: string[], options: IngestOptions = {}): Promise<IngestSummary> {
    return ingest(this.lake, inputs, options);
  }

  /** Rows as plain JS objects (BIGINT → bigint, TIMESTAMP → Date). */
  async rows(sql: string, params: (string | number | boolean | null)[] = []): Promise<Record<string, unknown>[]> {
    return (await this.lake.connection.runAndReadAll(sql, params)).getRowObjectsJS();
  }

  async count(sql: string): Promise<number> {
    const [row] = await this.rows(sql);
    return Number(Object.values(row!)[0]);
  }

  close(): void {
    this.lake.close();
    this.cleanupDir();
  }
}
