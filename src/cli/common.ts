import { Option } from 'commander';
import { DEFAULT_DB_FILE, Lake } from '../lake/db.js';
import type { IngestSummary } from '../lake/ingest-api.js';
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
    try {
      return await Lake.open(file, { readOnly });
    } catch (error) {
      // A bad setting (GUMSHOE_MEMORY_LIMIT, …) says what to fix on its own.
      if (error instanceof UserError) throw error;
      const message = (error as Error).message;
      if (/lock/i.test(message) && Date.now() + delay < deadline) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      throw lakeOpenError(file, readOnly, message);
    }
  }
}

function lakeOpenError(file: string, readOnly: boolean, message: string): UserError {
  if (/lock/i.test(message)) return new UserError(`the lake ${file} is in use by another process; wait for it to finish (${message.split('\n')[0]})`);
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
