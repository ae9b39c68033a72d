/**
 * The per-key rates behind Recon:EC2/RejectedTrafficSurge.Gumshoe (rejected-surge.ts): a sliding window of
 * rejected packets, and a baseline that is the most the key reached in earlier hours. Plain JSON, so they
 * live in detection state between runs.
 */
import { MINUTE } from './flow-windows.js';

export const SURGE = {
  /** Clock minutes in the window: the record's and the 5 before it, so any 5 minutes lie whole in one window. */
  windowMinutes: 6,
  /** The threshold is this many times the key's baseline… */
  multiple: 5,
  /** …and at least these many packets. */
  sourceFloor: 100,
  portFloor: 500,
  /** The baseline halves every week, so a pattern that recurs daily or weekly stays learned. */
  baselineHalfLifeHours: 7 * 24,
  /** After an instance's first record, windows are only learned for this long. */
  learningMs: 60 * MINUTE,
  /** Per-port keys list this many of the sources hitting the port. */
  topSources: 5,
} as const;

const SLOTS = SURGE.windowMinutes;
/**
 * Records of another interface can arrive in the next run: a key is kept this long past its window, so its
 * late records still count in it.
 */
const LATE_MINUTES = 15;

/** One listed source of a port: address, packets while listed, first and last minute listed. */
type TopSource = [ip: string, packets: number, first: number, last: number];

export interface Rate {
  /** Minute (since the epoch) of the newest slot. */
  t: number;
  /** Packets per minute, oldest first: the last slot is minute t. */
  s: number[];
  /** Packets in the window (the sum of s). */
  w: number;
  /** Baseline: the largest window of the hours before minute t's hour, decayed (while learning, of this one too). */
  p: number;
  /** Largest window so far in minute t's hour: it joins the baseline when the hour is over. */
  q: number;
  /** Raised in minute t's hour. */
  r: boolean;
  /** Per-port keys: the heaviest sources seen lately. */
  top?: TopSource[];
}

const hourOf = (minute: number) => Math.floor(minute / 60);
/** A minute as GuardDuty writes times (eventFirstSeen): to the second. */
const minuteIso = (minute: number) => new Date(minute * MINUTE).toISOString().replace('.000Z', 'Z');
const decay = (hours: number) => 0.5 ** (hours / SURGE.baselineHalfLifeHours);

export function newRate(minute: number): Rate {
  return { t: minute, s: new Array<number>(SLOTS).fill(0), w: 0, p: 0, q: 0, r: false };
}

/** Slides the window to `minute`. A finished hour joins the baseline, so it is judged from the next one on. */
function advance(rate: Rate, minute: number): void {
  const hours = hourOf(minute) - hourOf(rate.t);
  if (hours > 0) {
    rate.p = Math.max(rate.p, rate.q) * decay(hours);
    rate.q = 0;
    rate.r = false;
  }
  const moved = minute - rate.t;
  let sum = 0;
  for (let i = 0; i < SLOTS; i++) sum += rate.s[i] = i + moved < SLOTS ? rate.s[i + moved]! : 0;
  rate.w = sum;
  rate.t = minute;
}

export const threshold = (rate: Rate, floor: number) => Math.max(floor, SURGE.multiple * rate.p);

/**
 * Counts a record's packets in its minute's slot (a late record whose minute has left the window counts no
 * more). True when they take the window to the threshold, at most once per key and hour; while the instance
 * is learning, the window is baseline at once and nothing is raised.
 */
export function crosses(rate: Rate, minute: number, packets: number, floor: number, learning: boolean): boolean {
  if (minute > rate.t) advance(rate, minute);
  const slot = SLOTS - 1 - (rate.t - minute);
  if (slot < 0) return false;
  rate.s[slot]! += packets;
  rate.w += packets;
  rate.q = Math.max(rate.q, rate.w);
  if (learning) {
    rate.p = Math.max(rate.p, rate.w);
    return false;
  }
  if (rate.r || rate.w < threshold(rate, floor)) return false;
  return (rate.r = true);
}

/**
 * Notes a source's packets to a port. A source is listed until it has been quiet for a whole window; when
 * the list is full, a newcomer takes the smallest entry's place only if its record alone outweighs it, so a
 * heavy source gets in and a botnet's equal members do not churn.
 */
export function noteSource(rate: Rate, ip: string, packets: number): void {
  const top = (rate.top ??= []);
  const now = rate.t;
  const listed = top.find((entry) => entry[0] === ip);
  if (listed && listed[3] > now - SLOTS) {
    listed[1] += packets;
    listed[3] = now;
    return;
  }
  const entry: TopSource = [ip, packets, now, now];
  if (listed) return void top.splice(top.indexOf(listed), 1, entry);
  if (top.length < SURGE.topSources) return void top.push(entry);
  const stale = top.findIndex((e) => e[3] <= now - SLOTS);
  if (stale >= 0) return void top.splice(stale, 1, entry);
  const smallest = top.reduce((min, e, i) => (e[1] < top[min]![1] ? i : min), 0);
  if (packets > top[smallest]![1]) top.splice(smallest, 1, entry);
}

/** The listed sources still in the window, heaviest first. */
export function topSources(rate: Rate): { sourceIp: string; packets: number; since: string }[] {
  return (rate.top ?? [])
    .filter((entry) => entry[3] > rate.t - SLOTS)
    .sort((a, b) => b[1] - a[1])
    .map(([sourceIp, packets, first]) => ({ sourceIp, packets, since: minuteIso(first) }));
}

/** The first minute of the window. */
export const windowStart = (rate: Rate) => minuteIso(rate.t - SLOTS + 1);

/** What makeRoom keeps when a table is full: keys with traffic or a baseline that raises their threshold. */
export const weight = (rate: Rate) => Math.max(rate.w, rate.p, rate.q);

/** Past its window and the time late records are waited for: nothing more counts in the window. */
export const windowPast = (rate: Rate, latestMinute: number) => rate.t + SLOTS + LATE_MINUTES <= latestMinute;

/** The key's baseline no longer lifts its threshold above the floor: with its window past, it is as good as new. */
export const baselineSpent = (rate: Rate, latestMinute: number, floor: number) =>
  SURGE.multiple * Math.max(rate.p, rate.q) * decay(hourOf(latestMinute) - hourOf(rate.t)) < floor;
