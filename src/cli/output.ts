import pc from 'picocolors';

/** Colours only on a terminal and never with NO_COLOR (picocolors honours NO_COLOR and FORCE_COLOR). */
export const colors = pc.createColors(pc.isColorSupported && Boolean(process.stdout.isTTY));
/** The same for stderr, which may be a terminal when stdout is not (or a file when stdout is a terminal). */
export const errorColors = pc.createColors(pc.isColorSupported && Boolean(process.stderr.isTTY));

export function formatNumber(value: number | bigint): string {
  return Number(value).toLocaleString('en-US');
}

/** Visible width: colour escapes take no room on the terminal. */
const visibleLength = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;

/** A count with its noun: `1 entry`, `2,400 entries`. */
export function countOf(value: number, singular: string, plural: string): string {
  return `${formatNumber(value)} ${value === 1 ? singular : plural}`;
}

/** Renders rows as an aligned text table; values are shown as plain text (cells may carry colour). */
export function renderTable(columns: string[], rows: unknown[][]): string {
  const cells = rows.map((row) => row.map(displayValue));
  const widths = columns.map((name, i) => Math.max(name.length, ...cells.map((row) => visibleLength(row[i]!))));
  const line = (values: string[]) => values.map((v, i) => v + ' '.repeat(widths[i]! - visibleLength(v))).join('  ').trimEnd();
  return [colors.bold(line(columns)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A value as table text; a cell is one line, so line breaks and tabs in it become a space. */
function displayValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

/** JSON has no bigint: small ones become numbers, larger ones (128-bit keys) strings so no digit is lost. */
export function jsonInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? jsonInteger(value) : value;
}
