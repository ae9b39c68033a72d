import { Option } from 'commander';
import { DEFAULT_DB_FILE, Lake } from '../lake/db.js';
import { UserError } from '../sources/input.js';

/** `--db FILE`, shared by every command that opens the lake. */
export const dbOption = () => new Option('--db <file>', 'lake database file (DuckDB)').default(DEFAULT_DB_FILE);

/** Opens the lake, turning DuckDB's errors about locks and missing files into one-line user errors. */
export async function openLake(file: string, readOnly = false): Promise<Lake> {
  try {
    return await Lake.open(file, { readOnly });
  } catch (error) {
    const message = (error as Error).message;
    if (/lock/i.test(message)) throw new UserError(`the lake ${file} is in use by another process; wait for it to finish (${message.split('\n')[0]})`);
    if (readOnly && /does not exist|No such file/i.test(message)) throw new UserError(`no lake at ${file}; run 'gumshoe ingest' first or pass --db`);
    throw new UserError(`cannot open the lake ${file}: ${message.split('\n')[0]}`);
  }
}
