import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import path from 'node:path';
import { type AsnTable, decodeAsnTable, encodeAsnTable, parseAsnCsv } from './asn-table.js';

/**
 * ASN tables indexed once per data file and kept on disk: parsing the IPv4 CSV (21 MB) took 1.0–1.1 s and
 * about 110 MB of transient memory at the start of every `detect`; reading its index back takes 0.08 s.
 * An index is named after the CSV's path and keyed by its size, modification time and inode, so a
 * reinstalled or updated package is indexed again; older indexes of the same file are removed then. Where
 * the cache cannot be written, every run parses the CSV as before.
 */
export function asnCacheDir(): string {
  const configured = process.env.GUMSHOE_CACHE_DIR?.trim();
  if (configured) return configured;
  return path.join(process.env.XDG_CACHE_HOME?.trim() || path.join(homedir(), '.cache'), 'gumshoe');
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Where the index of `csv` is kept, and the name prefix its older indexes share. */
export function asnIndexFile(csv: string, family: 4 | 6): { file: string; prefix: string } {
  const source = statSync(csv);
  const prefix = `asn-ipv${family}-${digest(path.resolve(csv))}-`;
  const key = digest([source.size, source.mtimeMs, source.ino, endianness()].join(' '));
  return { file: path.join(asnCacheDir(), `${prefix}${key}.bin`), prefix };
}

export function cachedAsnTable(csv: string, family: 4): AsnTable<number>;
export function cachedAsnTable(csv: string, family: 6): AsnTable<bigint>;
export function cachedAsnTable(csv: string, family: 4 | 6): AsnTable<number> | AsnTable<bigint> {
  const { file, prefix } = asnIndexFile(csv, family);
  const cached = readIndex(file, family);
  if (cached) return cached;
  const table = parseAsnCsv(readFileSync(csv, 'utf8'), family);
  writeIndex(file, prefix, encodeAsnTable(table, family));
  return table;
}

function readIndex(file: string, family: 4 | 6): AsnTable<number> | AsnTable<bigint> | undefined {
  try {
    return decodeAsnTable(readFileSync(file), family);
  } catch {
    return undefined;
  }
}

/**
 * Written under a temporary name and renamed, so a concurrent run reads a whole index or none. A cache that
 * cannot be written (read-only, full, not a directory) only costs the next run the parse.
 */
function writeIndex(file: string, prefix: string, data: Buffer): void {
  const dir = path.dirname(file);
  // Not under the prefix, so that a concurrent run's clean-up leaves it alone.
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return;
  }
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, file);
    for (const other of readdirSync(dir)) {
      if (other.startsWith(prefix) && path.join(dir, other) !== file) rmSync(path.join(dir, other), { force: true });
    }
  } catch {
    rmSync(temporary, { force: true });
  }
}
