import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { createLakeSchema } from './schema.js';

export const DEFAULT_DB_FILE = './gumshoe.duckdb';

export interface LakeOptions {
  /** DuckDB memory ceiling; keeps ingest RSS flat whatever the input size. */
  memoryLimit?: string;
  threads?: number;
  readOnly?: boolean;
}

/** An open lake: one DuckDB database file and a primary connection. */
export class Lake {
  private constructor(
    readonly file: string,
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(file: string = DEFAULT_DB_FILE, options: LakeOptions = {}): Promise<Lake> {
    const config: Record<string, string> = {
      memory_limit: options.memoryLimit ?? process.env.GUMSHOE_MEMORY_LIMIT ?? '320MB',
      // Extensions that are not built in would be fetched from the internet; fail fast instead.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      checkpoint_threshold: process.env.GUMSHOE_CKPT ?? '16MB',
    };
    const threads = options.threads ?? process.env.GUMSHOE_THREADS;
    if (threads) config.threads = String(threads);
    if (options.readOnly) config.access_mode = 'READ_ONLY';
    const instance = await DuckDBInstance.create(file, config);
    const connection = await instance.connect();
    await configureConnection(connection);
    const lake = new Lake(file, instance, connection);
    if (!options.readOnly) await createLakeSchema(connection);
    return lake;
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
  await connection.run("SET TimeZone = 'UTC'");
}
