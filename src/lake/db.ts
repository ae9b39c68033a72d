import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { createLakeSchema } from './schema.js';
import { countSetting, memorySetting } from './env-settings.js';

export const DEFAULT_DB_FILE = './gumshoe.duckdb';

/**
 * Rows per row group in the lake file. DuckDB's default (122,880) makes a row group of CloudTrail records
 * hundreds of MB, more than the write buffer holds under a modest memory limit, so writes go one row group
 * at a time on one core; at 32,768 both cores compress in parallel, and time filters prune more finely.
 */
const ROW_GROUP_SIZE = 32_768;

/**
 * The on-disk format the lake is written in. DuckDB otherwise writes v0.10's, which cannot compress text
 * with zstd (schema.ts). An older lake is upgraded in place when attached; DuckDB releases before 1.5 can no
 * longer open it.
 */
const STORAGE_VERSION = 'v1.5.0';

/**
 * DuckDB's memory ceiling. Ingest (160MB) and detection (256MB) run lower and fall back towards this when
 * they run out of memory there (see lake/ingest.ts, detect/engine.ts); the server and queries use it.
 * GUMSHOE_MEMORY_LIMIT overrides it.
 */
export const DEFAULT_MEMORY_LIMIT = '512MB';

/** Sets DuckDB's memory ceiling for the whole instance (every connection). */
export async function setMemoryLimit(connection: DuckDBConnection, limit: string): Promise<void> {
  await connection.run(`SET GLOBAL memory_limit = '${limit.replaceAll("'", "''")}'`);
}

/**
 * A streamed result that ended before all its rows came. DuckDB reports an error inside a streamed result
 * (running out of memory while reading sorted rows back, say) as the result's end, not as an error.
 */
export class ShortRead extends Error {
  constructor(table: string, read: number, expected: number) {
    super(`reading ${table} stopped after ${read.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} rows of a slice (DuckDB most likely ran out of memory)`);
  }
}

/**
 * DuckDB ran out of memory, or (a short read) most likely did inside a streamed result. Its appender says so
 * in words of its own ("Failed to append: could not allocate block of size …"), for one long record.
 */
export const isOutOfMemory = (error: unknown): error is Error =>
  error instanceof ShortRead || (error instanceof Error && /Out of Memory Error|could not allocate block of size/.test(error.message));

export interface LakeOptions {
  /** DuckDB memory ceiling; keeps RSS flat whatever the input size. */
  memoryLimit?: string;
  threads?: number;
  readOnly?: boolean;
}

/** An open lake: one DuckDB database file, attached as `lake`, and a primary connection. */
export class Lake {
  private constructor(
    readonly file: string,
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** DuckDB's memory ceiling as configured (the default, GUMSHOE_MEMORY_LIMIT or the option). */
    readonly memoryLimit: string,
  ) {}

  static async open(file: string = DEFAULT_DB_FILE, options: LakeOptions = {}): Promise<Lake> {
    const memoryLimit = options.memoryLimit ?? memorySetting('GUMSHOE_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT);
    const config: Record<string, string> = {
      memory_limit: memoryLimit,
      // Spilled intermediate data goes next to the lake, not into the working directory.
      temp_directory: `${file}.tmp`,
      // Extensions that are not built in would be fetched from the internet; fail fast instead.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    const threads = options.threads ?? countSetting('GUMSHOE_THREADS');
    if (threads) config.threads = String(threads);
    // Loaded here, not at the top: DuckDB's native module takes ~0.25 s, which commands that open no lake (--help) should not pay.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    try {
      const mode = options.readOnly ? ', READ_ONLY' : `, STORAGE_VERSION '${STORAGE_VERSION}'`;
      await connection.run(`ATTACH '${file.replaceAll("'", "''")}' AS lake (ROW_GROUP_SIZE ${ROW_GROUP_SIZE}${mode})`);
      await configureConnection(connection);
      if (!options.readOnly) await createLakeSchema(connection);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error;
    }
    return new Lake(file, instance, connection, memoryLimit);
  }

  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await configureConnection(connection);
    return connection;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

async function configureConnection(connection: DuckDBConnection): Promise<void> {
  await connection.run('USE lake');
  await connection.run("SET TimeZone = 'UTC'");
}
