import { badRequest } from './validation.js';

/**
 * Scope time and baseline (Detective's model): panels look at [from, to) and compare it with the 45 days
 * before `from`. Times are epoch milliseconds inside the server and ISO-8601 UTC strings on the wire.
 */
export interface Window {
  from: number;
  to: number;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const BASELINE_DAYS = 45;
/** Detective's training period: until the baseline holds two weeks of data, "newly observed" is not yet reliable. */
export const TRAINING_DAYS = 14;
export const MAX_SCOPE_DAYS = 400;

export const iso = (ms: number) => new Date(ms).toISOString();
export const wire = (window: Window) => ({ from: iso(window.from), to: iso(window.to) });

// Date, date-time with optional seconds, fraction and zone; no zone means UTC.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseTime(name: string, value: string): number {
  if (!ISO_TIME.test(value)) throw badRequest(`${name} must be an ISO-8601 time such as 2024-05-01T00:00:00Z, not ${JSON.stringify(value)}`);
  const zoned = value.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : zoned);
  if (!Number.isFinite(ms)) throw badRequest(`${name} is not a valid time: ${JSON.stringify(value)}`);
  return ms;
}

/**
 * The scope from `from`/`to`. Without them: the 24 hours ending at the top of the hour after the newest
 * event, so an old lake opens on its own activity rather than an empty day; with one of them, 24 hours
 * from or to it.
 */
export function parseScope(query: { from?: string; to?: string }, newest: number | null): Window {
  const from = query.from ? parseTime('from', query.from) : undefined;
  const to = query.to ? parseTime('to', query.to) : undefined;
  let window: Window;
  if (from !== undefined && to !== undefined) window = { from, to };
  else if (from !== undefined) window = { from, to: from + DAY };
  else if (to !== undefined) window = { from: to - DAY, to };
  else {
    const end = Math.floor((newest ?? Date.now()) / HOUR) * HOUR + HOUR;
    window = { from: end - DAY, to: end };
  }
  if (window.from >= window.to) throw badRequest(`from must be before to (from ${iso(window.from)}, to ${iso(window.to)})`);
  const days = (window.to - window.from) / DAY;
  if (days > MAX_SCOPE_DAYS) throw badRequest(`the window from ${iso(window.from)} to ${iso(window.to)} is ${Math.ceil(days)} days; at most ${MAX_SCOPE_DAYS} are allowed`);
  return window;
}

export function baselineOf(scope: Window): Window {
  return { from: scope.from - BASELINE_DAYS * DAY, to: scope.from };
}

/** Hourly buckets up to 7 days of scope, daily past that (DuckDB date_trunc units). */
export function bucketUnit(scope: Window): 'hour' | 'day' {
  return scope.to - scope.from <= 7 * DAY ? 'hour' : 'day';
}

/** Every bucket start in the scope, so charts get explicit zeros. */
export function bucketStarts(scope: Window): number[] {
  const step = bucketUnit(scope) === 'hour' ? HOUR : DAY;
  const starts: number[] = [];
  for (let t = Math.floor(scope.from / step) * step; t < scope.to; t += step) starts.push(t);
  return starts;
}

/** Milliseconds of a window that the lake covers (from its earliest event on). */
function coveredMs(window: Window, lakeFirst: number | null): number {
  return lakeFirst === null ? 0 : Math.max(0, window.to - Math.max(window.from, lakeFirst));
}

/** Days of a window that the lake actually covers (at least one hour), for per-day averages. */
export function coveredDays(window: Window, lakeFirst: number | null): number {
  return Math.max(HOUR, coveredMs(window, lakeFirst)) / DAY;
}

/** The training-period notice for a scope: set while the lake covers fewer than TRAINING_DAYS of its baseline. */
export function trainingNotice(baseline: Window, lakeFirst: number | null): { baselineDays: number; requiredDays: number } | null {
  const covered = coveredMs(baseline, lakeFirst) / DAY;
  return covered < TRAINING_DAYS ? { baselineDays: Number(covered.toFixed(1)), requiredDays: TRAINING_DAYS } : null;
}
