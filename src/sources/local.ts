import { type Stats, createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { type InputObject, UnreadableError, UserError } from './input.js';

/**
 * What a local input is, or a user error saying why it cannot be read. Ingest checks every input this way
 * before reading any: a mistyped last path would otherwise end the run after hours of reading the others.
 */
export async function checkLocalTarget(target: string): Promise<Stats> {
  if (target === '-') throw new UserError(`reading standard input ('-') is not supported: save the logs to a file and name the file`);
  let info;
  try {
    info = await stat(path.resolve(target));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `no such file or directory: ${target}`
        : `cannot read ${target}: ${(error as Error).message}`,
    );
  }
  if (!info.isDirectory() && !info.isFile()) throw new UserError(`not a regular file or directory: ${target}`);
  return info;
}

/** Every regular file under the given path (a file or a directory tree), in a stable order. */
export async function* listLocalObjects(target: string): AsyncGenerator<InputObject> {
  const absolute = path.resolve(target);
  const info = await checkLocalTarget(target);
  if (info.isDirectory()) yield* walk(absolute, new Set());
  else yield localObject(absolute, info.size, info.mtimeMs);
}

/**
 * The files of a tree. Symbolic links are followed (each directory once, so a link cycle ends). What cannot be
 * listed or followed (a directory without permission, a broken link) becomes an object that fails to open:
 * the run reads the rest and names it, and since it is not registered as read, a later run tries it again.
 */
async function* walk(directory: string, visited: Set<string>): AsyncGenerator<InputObject> {
  let entries;
  try {
    const real = await realpath(directory);
    if (visited.has(real)) return;
    visited.add(real);
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    yield unreadableObject(directory, `cannot list the directory (${(error as Error).message})`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      yield* walk(full, visited);
      continue;
    }
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    let info;
    try {
      info = await stat(full);
    } catch (error) {
      yield unreadableObject(full, (error as Error).message);
      continue;
    }
    if (info.isDirectory()) yield* walk(full, visited);
    else if (info.isFile()) yield localObject(full, info.size, info.mtimeMs);
  }
}

function localObject(file: string, size: number, mtimeMs: number): InputObject {
  return {
    uri: file,
    size,
    fingerprint: `${size}:${Math.trunc(mtimeMs)}`,
    open: async () => createReadStream(file, { highWaterMark: 1 << 20 }),
  };
}

function unreadableObject(uri: string, reason: string): InputObject {
  return {
    uri,
    size: 0,
    fingerprint: 'unreadable',
    open: async () => {
      throw new UnreadableError(reason);
    },
  };
}
