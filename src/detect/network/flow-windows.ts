/**
 * What the volumetric flow detections (brute force, scans, denial of service, traffic volume, rejected
 * surges) share: bounded per-key tables that live in detection state between runs, and which remote ends
 * they judge at all.
 */
import type { NetworkDetectionContext } from '../detection.js';
import { formatIpv4, formatIpv6, ipv4Of, parseIpv6 } from '../../intel/ip.js';
import { type FlowEvent, isNeverLocalIpv6, isPrivateIp } from '../network-event.js';
import { type Connection, connectionOf } from './connection.js';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/**
 * A map of at most `capacity` keys that forgets the least recently used ones, approximately: two
 * generations, where a hit in the older one moves the key to the younger, and when the younger holds half
 * the capacity the older is dropped. A hit costs one Map lookup, which matters at millions of flows. In
 * detection state it is its list of entries, older first, since JSON.stringify calls toJSON.
 */
export class Lru<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(
    readonly capacity: number,
    entries: Iterable<readonly [string, V]> = [],
  ) {
    for (const [key, value] of entries) this.set(key, value);
  }

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const older = this.old.get(key);
    if (older !== undefined) {
      this.old.delete(key);
      this.insert(key, older);
    }
    return older;
  }

  set(key: string, value: V): void {
    if (this.young.has(key)) this.young.set(key, value);
    else {
      this.old.delete(key);
      this.insert(key, value);
    }
  }

  private insert(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.capacity / 2) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: string): void {
    if (!this.young.delete(key)) this.old.delete(key);
  }

  *values(): Generator<V> {
    yield* this.old.values();
    yield* this.young.values();
  }

  /** Drops every entry `keep` rejects: expired windows need not be stored between runs. */
  retain(keep: (value: V) => boolean): void {
    for (const map of [this.old, this.young]) for (const [key, value] of map) if (!keep(value)) map.delete(key);
  }

  /** Between runs, keeps only the entries last touched within `keepMs` of the latest one. */
  retainRecent(lastTime: (value: V) => number, keepMs: number): void {
    let latest = -Infinity;
    for (const value of this.values()) latest = Math.max(latest, lastTime(value));
    this.retain((value) => latest - lastTime(value) <= keepMs);
  }

  toJSON(): [string, V][] {
    return [...this.old, ...this.young];
  }
}

/**
 * The detection's table `name` from its persisted state: revived from the stored entries the first time a
 * run asks for it, then the same Lru for the rest of the run. Asked for on every use, so that the state
 * knows when it was last used (in event time: StateStore), as for any other entry. Values must be plain JSON.
 */
export function persistedTable<V>(name: string, capacity: number): (context: NetworkDetectionContext) => Lru<V> {
  return (context) => {
    const holder = context.state<{ entries: Lru<V> | [string, V][] }>(name, () => ({ entries: [] }));
    if (!(holder.entries instanceof Lru)) holder.entries = new Lru(capacity, holder.entries);
    return holder.entries;
  };
}

/**
 * Keeps a plain-object map (JSON state nested in a table value) at most `cap` keys: when full, the half
 * with the lowest score goes. Sorting once per cap/2 insertions keeps the cost per flow constant on average,
 * and the keys that matter (high volume, high baseline) survive churn from many small ones.
 */
export function makeRoom<V>(map: Record<string, V>, count: number, cap: number, score: (value: V) => number): number {
  if (count < cap) return count;
  const ranked = Object.entries(map).map(([key, value]) => ({ key, score: score(value) }));
  ranked.sort((x, y) => x.score - y.score);
  const drop = ranked.length - Math.floor(cap / 2);
  for (let i = 0; i < drop; i++) delete map[ranked[i]!.key];
  return ranked.length - drop;
}

/** A flow as these detections see it, worked out once per record for all of them. */
export interface FlowView {
  connection: Readonly<Connection>;
  /** The record's packets went from the interface to the remote end. */
  sent: boolean;
  /**
   * The remote end is a public address (denial of service, sweeps and volume are about the internet), and
   * for IPv6 the record shows which end is the interface's own (see judged).
   */
  remotePublic: boolean;
  /**
   * The remote end is one these detections judge at all. A private IPv4 address only when the record carries
   * the v5 flow-direction field: without it, a record between two private addresses is logged on both
   * interfaces alike and which side is the interface's own is a guess, which would put an attacker's finding
   * on its victim. For the same reason a native IPv6 remote end needs flow-direction: an instance's IPv6
   * address is global, so public and private ends do not tell the sides apart; only an end that is never an
   * interface's own (NAT64 and IPv4-mapped addresses, AWS's fd00:ec2:: services, multicast) does. Multicast,
   * loopback and the unspecified address are never judged.
   */
  judged: boolean;
  /**
   * Whom the remote end stands for when counting per source or host: the address itself for IPv4, the IPv4
   * address an IPv4-mapped or NAT64 address carries, and the /64 of a native IPv6 address (`2001:db8:1:2::/64`),
   * since one host or attacker holds a whole /64 and rotates through it at no cost.
   */
  remoteGroup: string;
}

let lastFlow: FlowEvent | undefined;
let lastView: FlowView | undefined;

/**
 * The view of a flow. The runner hands each record to every detection in turn, so the last one is kept:
 * connectionOf and the private-address test run once per record, not once per detection.
 */
export function viewOf(flow: FlowEvent): FlowView {
  if (flow === lastFlow) return lastView!;
  const connection = connectionOf(flow);
  const remote = connection.remoteIp;
  const sent = flow.srcIp === connection.localIp && connection.localIp !== null;
  if (remote !== null && remote.includes(':')) lastView = ipv6View(flow, connection, remote, sent);
  else {
    const remotePublic = remote !== null && !isPrivateIp(remote);
    lastView = { connection, sent, remotePublic, judged: remotePublic || (remote !== null && flow.direction !== null), remoteGroup: remote ?? '' };
  }
  lastFlow = flow;
  return lastView;
}

function ipv6View(flow: FlowEvent, connection: Readonly<Connection>, remote: string, sent: boolean): FlowView {
  const embedded = ipv4Of(remote);
  if (embedded !== undefined) {
    // The IPv4 host behind a translator: judged as that IPv4 address, and never the interface's own.
    const ipv4 = formatIpv4(embedded);
    const remotePublic = !isPrivateIp(ipv4);
    return { connection, sent, remotePublic, judged: remotePublic || flow.direction !== null, remoteGroup: ipv4 };
  }
  const value = parseIpv6(remote);
  const unicast = value !== undefined && value > 1n && value >> 120n !== 0xffn;
  const judged = unicast && (flow.direction !== null || (isNeverLocalIpv6(remote) && !isNeverLocalIpv6(connection.localIp ?? '')));
  const remotePublic = judged && !isPrivateIp(remote);
  const remoteGroup = value === undefined ? remote : `${formatIpv6((value >> 64n) << 64n)}/64`;
  return { connection, sent, remotePublic, judged, remoteGroup };
}
