/**
 * What the volumetric flow detections (brute force, scans, denial of service, traffic volume, rejected
 * surges) share: bounded per-key tables that live in detection state between runs, and which remote ends
 * they judge at all.
 */
import type { NetworkDetectionContext } from '../detection.js';
import { type FlowEvent, isPrivateIp } from '../network-event.js';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/**
 * A map of at most `capacity` keys that drops the least recently used. In a run it is a Map (O(1) touch
 * and eviction); in detection state it is its list of entries, since JSON.stringify calls toJSON.
 */
export class Lru<V> {
  private readonly map: Map<string, V>;

  constructor(
    readonly capacity: number,
    entries: Iterable<readonly [string, V]> = [],
  ) {
    this.map = new Map(entries);
    while (this.map.size > capacity) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  /** Drops every entry `keep` rejects: expired windows need not be stored between runs. */
  retain(keep: (value: V) => boolean): void {
    for (const [key, value] of this.map) if (!keep(value)) this.map.delete(key);
  }

  /** Between runs, keeps only the entries last touched within `keepMs` of the latest one. */
  retainRecent(lastTime: (value: V) => number, keepMs: number): void {
    let latest = -Infinity;
    for (const value of this.map.values()) latest = Math.max(latest, lastTime(value));
    this.retain((value) => latest - lastTime(value) <= keepMs);
  }

  toJSON(): [string, V][] {
    return [...this.map];
  }
}

/**
 * The detection's table `name` from its persisted state: revived from the stored entries the first time a
 * run asks for it, then the same Lru for the rest of the run (cached per run context, so a flow costs one
 * WeakMap lookup, not a state lookup). Values must be plain JSON.
 */
export function persistedTable<V>(name: string, capacity: number): (context: NetworkDetectionContext) => Lru<V> {
  const tables = new WeakMap<NetworkDetectionContext, Lru<V>>();
  return (context) => {
    let table = tables.get(context);
    if (!table) {
      const holder = context.state<{ entries: Lru<V> | [string, V][] }>(name, () => ({ entries: [] }));
      table = holder.entries instanceof Lru ? holder.entries : new Lru(capacity, holder.entries);
      holder.entries = table;
      tables.set(context, table);
    }
    return table;
  };
}

/**
 * Keeps a plain-object map (JSON state nested in a table value) at most `cap` keys: when full, the half
 * with the lowest score goes. Sorting once per cap/2 insertions keeps the cost per flow constant on average,
 * and the keys that matter (high volume, high baseline) survive churn from many small ones.
 */
export function makeRoom<V>(map: Record<string, V>, count: number, cap: number, score: (value: V) => number): number {
  if (count < cap) return count;
  const ranked = Object.entries(map).sort((a, b) => score(a[1]) - score(b[1]));
  const drop = ranked.length - Math.floor(cap / 2);
  for (let i = 0; i < drop; i++) delete map[ranked[i]![0]];
  return ranked.length - drop;
}

/**
 * Whether these detections judge a flow's remote end: IPv4 only (GuardDuty's flow findings leave IPv6
 * out), and a private address only when the record carries the v5 flow-direction field. Without it, a
 * record between two private addresses is logged on both interfaces alike and the side that is the
 * interface's own is a guess, which would put an attacker's finding on its victim.
 */
export function judgedRemote(flow: FlowEvent, remoteIp: string | null): remoteIp is string {
  if (remoteIp === null || remoteIp.includes(':')) return false;
  return flow.direction !== null || !isPrivateIp(remoteIp);
}

/** A public IPv4 remote end (denial of service, sweeps and volume are about the internet). */
export function publicRemote(remoteIp: string | null): remoteIp is string {
  return remoteIp !== null && !remoteIp.includes(':') && !isPrivateIp(remoteIp);
}
