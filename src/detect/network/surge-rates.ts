/**
 * The per-key rates behind Recon:EC2/RejectedTrafficSurge.Gumshoe (rejected-surge.ts): a sliding window of
 * rejected packets, and a baseline that is the most the key reached in the windows before the surge, never
 * the surge's own. Plain JSON, so they live in detection state between runs.
 *
 * Windows join the baseline after a delay that does not depend on the clock hour: a window belongs to the
 * 10-minute block of its last minute, and the block's largest window joins when the eighth block after it
 * begins, 71 to 80 minutes after the window ended. So traffic lasting up to an hour is never judged against a
 * window holding any of its own packets (its windows end at most 65 minutes after it began), wherever it
 * falls relative to the clock. (Learning the current clock hour into the baseline at the hour's end made a
 * burst that began a few minutes before the hour its own baseline after it, and it was missed.)
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
  /** Windows wait to join the baseline in blocks of this many minutes… */
  blockMinutes: 10,
  /** …this many blocks (the window's own and the 7 after it): 71–80 minutes after the window ended. */
  pendingBlocks: 8,
  /** After an instance's first record, windows are only learned for this long. */
  learningMs: 60 * MINUTE,
  /** Per-port keys list this many of the sources hitting the port. */
  topSources: 5,
} as const;

const SLOTS = SURGE.windowMinutes;
const BLOCKS = SURGE.pendingBlocks;
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
  /** Baseline: the largest window of the blocks that have joined it, decayed (while learning, every window). */
  p: number;
  /**
   * The largest window of each block still waiting to join the baseline, oldest first: the last is minute
   * t's block, the first the one 7 blocks before it. Not decayed yet (whole packets keep state small): a
   * block is decayed for the time since it ended when it joins.
   */
  b: number[];
  /** Minute of the window that raised the key, until that window has joined the baseline. */
  f?: number;
  /** Per-port keys: the heaviest sources seen lately. */
  top?: TopSource[];
}

const blockOf = (minute: number) => Math.floor(minute / SURGE.blockMinutes);
/** A minute as GuardDuty writes times (eventFirstSeen): to the second. */
const minuteIso = (minute: number) => new Date(minute * MINUTE).toISOString().replace('.000Z', 'Z');
const decay = (minutes: number) => 0.5 ** (minutes / 60 / SURGE.baselineHalfLifeHours);

export function newRate(minute: number): Rate {
  return { t: minute, s: new Array<number>(SLOTS).fill(0), w: 0, p: 0, b: new Array<number>(BLOCKS).fill(0) };
}

/**
 * A rate stored by an earlier version, which learned each clock hour's largest window (q) at the hour's end
 * and flagged the hour raised (r): its hour is taken as learned, which is what that version did next.
 */
export function upgradeRate(rate: Rate): void {
  if (Array.isArray(rate.b)) return;
  const legacy = rate as Rate & { q?: number; r?: boolean };
  rate.p = Math.max(rate.p, legacy.q ?? 0);
  rate.b = new Array<number>(BLOCKS).fill(0);
  delete legacy.q;
  delete legacy.r;
}

/** Slides the window to `minute`. The baseline decays, and blocks that are 8 blocks old join it. */
function advance(rate: Rate, minute: number): void {
  const blocks = blockOf(minute) - blockOf(rate.t);
  rate.p *= decay(minute - rate.t);
  const oldest = blockOf(rate.t) - BLOCKS + 1;
  for (let i = 0; i < Math.min(blocks, BLOCKS); i++) rate.p = Math.max(rate.p, rate.b[i]! * decay(minute - (oldest + i + 1) * SURGE.blockMinutes));
  for (let i = 0; i < BLOCKS; i++) rate.b[i] = i + blocks < BLOCKS ? rate.b[i + blocks]! : 0;
  if (rate.f !== undefined && blockOf(minute) - blockOf(rate.f) >= BLOCKS) delete rate.f;
  const moved = minute - rate.t;
  let sum = 0;
  for (let i = 0; i < SLOTS; i++) sum += rate.s[i] = i + moved < SLOTS ? rate.s[i + moved]! : 0;
  rate.w = sum;
  rate.t = minute;
}

export const threshold = (rate: Rate, floor: number) => Math.max(floor, SURGE.multiple * rate.p);

/**
 * Counts a record's packets in its minute's slot (a late record whose minute has left the window counts no
 * more). True when they take the window to the threshold; a raised key is not raised again until the window
 * that raised it has joined its baseline, so a surge that goes on is raised once. While the instance is
 * learning, the window is baseline at once and nothing is raised.
 */
export function crosses(rate: Rate, minute: number, packets: number, floor: number, learning: boolean): boolean {
  if (minute > rate.t) advance(rate, minute);
  const slot = SLOTS - 1 - (rate.t - minute);
  if (slot < 0) return false;
  rate.s[slot]! += packets;
  rate.w += packets;
  rate.b[BLOCKS - 1] = Math.max(rate.b[BLOCKS - 1]!, rate.w);
  if (learning) {
    rate.p = Math.max(rate.p, rate.w);
    return false;
  }
  if (rate.f !== undefined || rate.w < threshold(rate, floor)) return false;
  rate.f = rate.t;
  return true;
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
export const weight = (rate: Rate) => Math.max(rate.w, rate.p, ...rate.b);

/** Past its window and the time late records are waited for: nothing more counts in the window. */
export const windowPast = (rate: Rate, latestMinute: number) => rate.t + SLOTS + LATE_MINUTES <= latestMinute;

/** The key's baseline no longer lifts its threshold above the floor: with its window past, it is as good as new. */
export const baselineSpent = (rate: Rate, latestMinute: number, floor: number) =>
  SURGE.multiple * Math.max(rate.p, ...rate.b) * decay(latestMinute - rate.t) < floor;
