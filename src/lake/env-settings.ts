import { UserError } from '../sources/input.js';

/**
 * Tuning settings read from the environment (README "Tuning"). Unset or empty means the default; a value
 * that cannot be used stops the command with a message naming the variable, before any work starts (DuckDB
 * would only say "Failed to set config", and a batch size of NaN would stage everything in one batch).
 */
const MEMORY_SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

function raw(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/** A DuckDB memory size such as 512MB or 2GiB. */
export function memorySetting(name: string, fallback: string): string;
export function memorySetting(name: string, fallback?: undefined): string | undefined;
export function memorySetting(name: string, fallback?: string): string | undefined {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!MEMORY_SIZE.test(value)) throw new UserError(`${name}=${value} is not a memory size: write it as a number and a unit, like 512MB or 2GB`);
  return value;
}

/** A positive whole number (records, bytes, threads). */
export function countSetting(name: string, fallback: number): number;
export function countSetting(name: string, fallback?: undefined): number | undefined;
export function countSetting(name: string, fallback?: number): number | undefined {
  const value = raw(name);
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1) throw new UserError(`${name}=${value} is not a positive whole number`);
  return count;
}

const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes in a memory size as memorySetting accepts it (KB, MB, … count in thousands, as in DuckDB; KiB, MiB, … in 1024s). */
export function memoryBytes(size: string): number {
  const match = MEMORY_SIZE.exec(size.trim());
  if (!match) throw new Error(`not a memory size: ${size}`);
  return Number(match[1]) * UNIT_BYTES[match[2]!.toLowerCase()]!;
}
