import { constants as osConstants } from 'node:os';
import { Option } from 'commander';
import { DEFAULT_DB_FILE, Lake } from '../lake/db.js';
import type { IngestSummary } from '../lake/ingest-api.js';
import { SCHEMA_VERSION } from '../lake/schema.js';
import { UserError } from '../sources/input.js';
import { errorColors } from './output.js';

/** `--db FILE`, shared by every command that opens the lake. */
export const dbOption = () => new Option('--db <file>', 'lake database file (DuckDB)').default(DEFAULT_DB_FILE);

/** How long to wait for a lake another process holds: `gumshoe serve` holds it for a moment per request. */
const LOCK_WAIT_MS = 10_000;

/**
 * Opens the lake, waiting a little while another process holds it, and turning DuckDB's errors about locks
 * and missing files into one-line user errors.
 */
export async function openLake(file: string, readOnly = false): Promise<Lake> {
  // DuckDB takes both as an in-memory database: everything stored would be lost at exit (an unset $LAKE, say).
  if (file.trim() === '' || file.startsWith(':memory:')) {
    throw new UserError(`--db needs a file for the lake, not ${file.trim() === '' ? 'an empty path' : file} (DuckDB would keep it in memory and lose it at exit)`);
  }
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    let lake: Lake;
    try {
      lake = await Lake.open(file, { readOnly });
    } catch (error) {
      // A bad setting (GUMSHOE_MEMORY_LIMIT, …) says what to fix on its own.
      if (error instanceof UserError) throw error;
      const message = (error as Error).message;
      if (isLockConflict(message) && Date.now() + delay < deadline) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      throw lakeOpenError(file, readOnly, message);
    }
    await refuseForeignLake(lake);
    return lake;
  }
}

/** DuckDB's "Could not set lock on file …: Conflicting lock is held"; not its "checksum … in block …". */
const isLockConflict = (message: string) => /could not set lock|conflicting lock/i.test(message);

/** DuckDB's words for a lake file that is cut short or overwritten, when opened or later when read. */
const isDamagedLake = (message: string) => /Could not read enough bytes from file|Corrupt database file/i.test(message);

/** What to do about a damaged lake file, after DuckDB's own first line (which names the file). */
const damagedLakeError = (message: string) =>
  new UserError(`the lake is damaged (${message.split('\n')[0]}); restore it from a backup, or ingest the logs again into a new --db file`);

/**
 * The lake's faults found only once a command reads it, as user errors: a damaged file, or a lake made before
 * a table the command reads existed (read-only commands cannot add it; any command that writes the lake does).
 * Errors in the user's own SQL are user errors already.
 */
export function lakeFault(error: unknown): UserError | undefined {
  if (!(error instanceof Error) || error instanceof UserError) return undefined;
  if (isDamagedLake(error.message)) return damagedLakeError(error.message);
  const table = /^Catalog Error: Table with name (\w+) does not exist/.exec(error.message)?.[1];
  if (table) return new UserError(`the lake has no ${table} table: an earlier Gumshoe made it. Run 'gumshoe detect' on it (same --db) once, which brings it up to date`);
  return undefined;
}

const MAKE_WRITABLE = "Gumshoe writes the lake and its stage files in the lake's directory: make it writable, or choose another --db";

/** What a system error says about the machine, and what to do about it. */
const SYSTEM_FAULTS: Record<string, { what: string; fix: string }> = {
  ENOSPC: { what: 'no space left on the device', fix: 'free space there, or put the lake (--db) on a larger disk' },
  EDQUOT: { what: 'the disk quota is used up', fix: 'free space there, or put the lake (--db) on another disk' },
  EROFS: { what: 'the file system is read-only', fix: 'put the lake (--db) where it can be written' },
  EACCES: { what: 'permission denied', fix: MAKE_WRITABLE },
  EPERM: { what: 'operation not permitted', fix: MAKE_WRITABLE },
  EMFILE: { what: 'too many open files', fix: 'raise the limit (ulimit -n)' },
  ENFILE: { what: 'too many open files on the system', fix: 'close other programs or raise the system limit' },
};

/** DuckDB's words for the same faults when it writes the lake, its WAL or its spill files. */
const DUCKDB_SYSTEM_FAULTS: [RegExp, string][] = [
  [/No space left on device/i, 'ENOSPC'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Read-only file system/i, 'EROFS'],
];

/**
 * A full disk, a read-only file system, a directory without permission, too many open files: problems of the
 * machine, not bugs, as user errors saying what to do. Writes are committed batch by batch, so what was
 * committed before stays, and the same command goes on from there.
 */
export function systemFault(error: unknown): UserError | undefined {
  if (!(error instanceof Error) || error instanceof UserError) return undefined;
  const system = error as NodeJS.ErrnoException;
  const code = system.code ?? DUCKDB_SYSTEM_FAULTS.find(([pattern]) => pattern.test(error.message))?.[1];
  const fault = code === undefined ? undefined : SYSTEM_FAULTS[code];
  if (!fault) return undefined;
  const where = system.path ? ` (${system.syscall ? `${system.syscall} ` : ''}${system.path})` : system.code ? '' : ` (${error.message.split('\n')[0]})`;
  return new UserError(`${fault.what}${where}: ${fault.fix}; what was committed before is kept, and the same command goes on from there`);
}

/**
 * A DuckDB file that is not a Gumshoe lake, or a lake written by a newer Gumshoe, would fail later with
 * DuckDB's messages about missing tables and columns (or be written in a layout this version does not know).
 */
async function refuseForeignLake(lake: Lake): Promise<void> {
  let version: number | undefined;
  try {
    version = await schemaVersion(lake);
  } catch (error) {
    lake.close();
    throw error;
  }
  if (version !== undefined && version <= SCHEMA_VERSION) return;
  lake.close();
  if (version === undefined) throw new UserError(`${lake.file} is a DuckDB database but not a Gumshoe lake (it has no lake_meta table); pass the lake's file with --db`);
  throw new UserError(`the lake ${lake.file} was made by a newer Gumshoe (lake schema ${version}; this one knows up to ${SCHEMA_VERSION}); upgrade Gumshoe to use it`);
}

/** The lake's schema version; undefined when the file has no lake_meta table. */
async function schemaVersion(lake: Lake): Promise<number | undefined> {
  const tables = await lake.connection.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE database_name = 'lake' AND table_name = 'lake_meta'`);
  if (tables.currentRowCount === 0) return undefined;
  const reader = await lake.connection.runAndReadAll(`SELECT value FROM lake_meta WHERE key = 'schema_version'`);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

function lakeOpenError(file: string, readOnly: boolean, message: string): UserError {
  if (isLockConflict(message)) return new UserError(`the lake ${file} is in use by another process; wait for it to finish (${message.split('\n')[0]})`);
  if (isDamagedLake(message)) return damagedLakeError(message);
  if (/not a valid DuckDB database file/i.test(message)) return new UserError(`${file} is not a DuckDB database, so not a Gumshoe lake; pass the lake's file with --db, or a new file name to start a lake`);
  if (readOnly && /does not exist|No such file/i.test(message)) return new UserError(`no lake at ${file}; run 'gumshoe ingest' first or pass --db`);
  return new UserError(`cannot open the lake ${file}: ${message.split('\n')[0]}`);
}

const WARNINGS_SHOWN = 20;

/**
 * Prints an ingest's warnings (the first few) and names the files it could not read, making the command exit 2:
 * those are not registered as read, so the same command reads them once the cause (permissions, a failing disk
 * or network) is fixed.
 */
export function reportIngestProblems({ warnings, unreadable }: Pick<IngestSummary, 'warnings' | 'unreadable'>): void {
  for (const warning of warnings.slice(0, WARNINGS_SHOWN)) console.error(errorColors.yellow(`warning: ${warning}`));
  if (warnings.length > WARNINGS_SHOWN) console.error(errorColors.yellow(`… and ${warnings.length - WARNINGS_SHOWN} more warnings`));
  if (unreadable.length === 0) return;
  for (const file of unreadable) console.error(errorColors.red(`gumshoe: cannot read ${file}`));
  console.error(errorColors.red(`gumshoe: ${unreadable.length} file(s) could not be read and are not marked as read; fix the cause and run the same command again to read them`));
  process.exitCode = 2;
}

/**
 * Until the returned function is called, Ctrl-C (or SIGTERM) ends the command at once with a word on what was
 * kept, after `cleanUp` (the progress line gives the terminal its cursor back), and with the exit code a shell
 * gives a process that signal ended (130 for Ctrl-C). The lake needs nothing: what was committed stays, the rest
 * was never marked as read.
 */
export function exitOnInterrupt(kept: string, cleanUp: () => void): () => void {
  const stop = (signal: NodeJS.Signals) => {
    cleanUp();
    console.error(errorColors.yellow(`\ngumshoe: interrupted; ${kept}`));
    process.exit(128 + osConstants.signals[signal]);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}
