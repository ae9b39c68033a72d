import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type InputObject, UserError } from './input.js';

/** Every regular file under the given path (a file or a directory tree), in a stable order. */
export async function* listLocalObjects(target: string): AsyncGenerator<InputObject> {
  const absolute = path.resolve(target);
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `no such file or directory: ${target}`
        : `cannot read ${target}: ${(error as Error).message}`,
    );
  }
  if (info.isDirectory()) {
    yield* walk(absolute);
  } else if (info.isFile()) {
    yield localObject(absolute, info.size, info.mtimeMs);
  } else {
    throw new UserError(`not a regular file or directory: ${target}`);
  }
}

async function* walk(directory: string): AsyncGenerator<InputObject> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw new UserError(`cannot list directory ${directory}: ${(error as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      yield* walk(full);
    } else if (entry.isFile()) {
      const info = await stat(full);
      yield localObject(full, info.size, info.mtimeMs);
    }
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
