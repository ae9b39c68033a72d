// Scope time: the window every page looks at, kept in the URL (`from`, `to`, ISO-8601 UTC).
import type { Scope } from './types';

const HOUR = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The 24 hours ending at the top of the hour after the lake's newest event (or now), as the server's default. */
export function defaultScope(newest: string | null | undefined): Scope {
  const end = Math.floor((newest ? Date.parse(newest) : Date.now()) / HOUR) * HOUR + HOUR;
  return { from: iso(end - 24 * HOUR), to: iso(end) };
}

/** A finding's first/last seen widened to whole hours (at least one hour), as Detective does. */
export function findingScope(firstSeen: string, lastSeen: string): Scope {
  const from = Math.floor(Date.parse(firstSeen) / HOUR) * HOUR;
  const to = Math.max(Math.ceil(Date.parse(lastSeen) / HOUR) * HOUR, from + HOUR);
  return { from: iso(from), to: iso(to) };
}

/** `days` days ending where `scope` ends. */
export function lastDays(scope: Scope, days: number): Scope {
  const end = Date.parse(scope.to);
  return { from: iso(end - days * 24 * HOUR), to: iso(end) };
}

/** A `datetime-local` input value (UTC, minutes) and back. */
export const toInput = (time: string) => time.slice(0, 16);
export const fromInput = (value: string) => iso(Date.parse(`${value}:00Z`));

export function scopeFromParams(params: URLSearchParams): Scope | undefined {
  const from = params.get('from');
  const to = params.get('to');
  return from && to ? { from, to } : undefined;
}
