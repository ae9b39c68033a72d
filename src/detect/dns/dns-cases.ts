/** Builders for the DNS detections' cases: series of Route 53 Resolver records as an instance sends them. */
import { type DnsOptions, dnsQuery } from '../network-records.js';

/** ISO time `seconds` after `start`. */
export const after = (start: string, seconds: number) => new Date(Date.parse(start) + seconds * 1000).toISOString().replace('.000Z', 'Z');

/** One query per name, `every` seconds apart from `start`, each with the same options. */
export function querySeries(names: readonly string[], start: string, every: number, options: Omit<DnsOptions, 'name' | 'time'> = {}): Record<string, unknown>[] {
  return names.map((name, i) => dnsQuery({ ...options, name, time: after(start, i * every) }));
}

/** A resolving A query with an answer from the documentation range. */
export const resolved = (name: string, time: string, address = '192.0.2.44') => dnsQuery({ name, time, answers: [['A', address]] });

/** Day `d` of November 2026 at `time` (hh:mm:ss). */
export const nov = (d: number, time: string) => `2026-11-${String(d).padStart(2, '0')}T${time}Z`;
