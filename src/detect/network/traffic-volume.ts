import type { FlowDetection, NetworkCase, NetworkDetectionContext } from '../detection.js';
import { CASE_IPV6, CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { connectionAction, instanceKey } from './connection.js';
import { each, spaced } from './flow-volume-cases.js';
import { DAY, makeRoom, persistedTable, viewOf } from './flow-windows.js';

/**
 * Behavior:EC2/TrafficVolumeUnusual (guardduty.md §2.3 #9): far more bytes sent to one remote host in a
 * day than this instance has sent to any host, or to that host, before.
 *
 * Counted: bytes of the records the instance sent (its interface is the source) to public addresses, per
 * instance, remote host and UTC day. A remote host is an address, except that addresses of one AWS service
 * other than EC2 in one region (S3, CloudFront, … by ip-ranges.json) are one host: S3 answers from many
 * addresses, and a backup should not look new each night because it reached a new one.
 *
 * The day's bytes to a host raise the finding, once per host and day, on the record that crosses
 * max(1 GiB, 10 × max(p95, peak)), where
 * - p95 is the 95th percentile of the instance's earlier per-host daily volumes (a log2 histogram, each
 *   day weighing 0.95 times the next; AWS services' hosts left out: a nightly backup to S3 would make every
 *   new host's tens of gigabytes look ordinary), and
 * - peak is this host's largest earlier daily volume, halving every 30 days: a nightly backup that always
 *   ships 50 GB to the same place is judged against 50 GB.
 * Days that were raised are not learned. No finding while the instance is in its learning period
 * (settings.learningDays from the first record of it). State: at most 256 hosts per instance; when full,
 * the half with the least volume (today or peak) goes; hosts whose peak fell below 1 MiB are dropped at
 * the day's end.
 * Known false positives: a first large transfer to a new destination after the learning period (a
 * migration, a new off-site backup target), a file server whose one client downloads a lot.
 */
const VOLUME = {
  floorBytes: 2 ** 30,
  multiple: 10,
  historyDailyDecay: 0.95,
  peakHalfLifeDays: 30,
  maxHosts: 256,
  forgetBytes: 2 ** 20,
} as const;
const BINS = 48;

interface HostDay {
  bytes: number;
  /** Largest earlier daily volume (decayed). */
  peak: number;
  /** Today's threshold once the floor is crossed (0: not yet computed). */
  limit: number;
  raised: boolean;
}

interface InstanceVolume {
  /** The instance's earliest record, whatever order records came in: its learning period starts here. */
  first: number;
  /** UTC day index of `bytes` in `hosts`. */
  day: number;
  /** Counts of earlier per-host daily volumes by floor(log2(bytes)). */
  hist: number[];
  hosts: Record<string, HostDay>;
  n: number;
  /** An older day arriving late (a backfill): its per-host volumes, folded into the history once complete. */
  late?: { day: number; bytes: Record<string, number> };
}

const instances = persistedTable<InstanceVolume>('instances', 4_096);
/** Remote address → host key, per run (AWS range lookups are not free, and one address recurs often). */
const hostKeys = new WeakMap<NetworkDetectionContext, Map<string, string>>();
const HOST_KEY_CACHE = 100_000;
/**
 * Addresses are looked up in AWS's ranges once a record of at least this size goes to them: small records
 * do not move a daily volume counted in gigabytes, and most addresses never carry a large one.
 */
const LOOKUP_MIN_BYTES = 1_000_000;

/** Host keys of an AWS service's addresses start with this. */
const AWS_SERVICE = 'AWS ';

/**
 * Whether a host's daily volumes join the instance's history (p95). An AWS service's do not: a nightly 40 GB
 * backup to S3 is judged against S3's own peak, and must not make 50 GB to a new internet host look ordinary.
 */
const inHistory = (host: string) => !host.startsWith(AWS_SERVICE);

/** Adds one host's daily volume, weighing `weight`, to the instance's history. */
function addToHistory(iv: InstanceVolume, host: string, bytes: number, weight: number): void {
  if (!inHistory(host)) return;
  if (iv.hist.length === 0) iv.hist = new Array<number>(BINS).fill(0);
  iv.hist[bin(bytes)]! += weight;
}

/** The host `ip` counts towards: an AWS service's region, else `group` (the address, or an IPv6 address's /64: one host holds a whole /64). */
function hostOf(ip: string, group: string, bytes: number, context: NetworkDetectionContext): string {
  let cache = hostKeys.get(context);
  if (!cache) hostKeys.set(context, (cache = new Map()));
  let host = cache.get(ip);
  if (host === undefined) {
    if (bytes < LOOKUP_MIN_BYTES) return group;
    const range = context.intel.awsRange(ip);
    host = range && range.service !== 'AMAZON' && range.service !== 'EC2' ? `${AWS_SERVICE}${range.service} ${range.region}` : group;
    if (cache.size >= HOST_KEY_CACHE) cache.clear();
    cache.set(ip, host);
  }
  return host;
}

const bin = (bytes: number) => Math.min(BINS - 1, Math.max(0, Math.floor(Math.log2(bytes))));

/** The 95th percentile of the histogram, as its bin's upper bound (0 when empty). */
export function p95(hist: number[]): number {
  let total = 0;
  for (const count of hist) total += count;
  let above = 0;
  for (let i = hist.length - 1; i >= 0 && total > 0; i--) {
    above += hist[i]!;
    if (above >= 0.05 * total) return 2 ** (i + 1);
  }
  return 0;
}

/** Closes the instance's day: its per-host volumes go into the history, and the counting starts over. */
function rollover(iv: InstanceVolume, day: number): void {
  const days = day - iv.day;
  const keep = VOLUME.historyDailyDecay ** days;
  for (let i = 0; i < iv.hist.length; i++) iv.hist[i]! *= keep;
  const peakKeep = 0.5 ** (days / VOLUME.peakHalfLifeDays);
  for (const [key, h] of Object.entries(iv.hosts)) {
    h.peak *= peakKeep;
    if (h.bytes > 0 && !h.raised) {
      addToHistory(iv, key, h.bytes, 1);
      h.peak = Math.max(h.peak, h.bytes);
    }
    Object.assign(h, { bytes: 0, limit: 0, raised: false });
    if (h.peak < VOLUME.forgetBytes) {
      delete iv.hosts[key];
      iv.n--;
    }
  }
  iv.day = day;
}

/**
 * Counts a record of a day older than the instance's current one (older logs ingested after newer ones):
 * it belongs to the history, never to today's volume. Records come in time order within a run, so a late
 * day is complete once another day comes.
 */
function countLate(iv: InstanceVolume, day: number, host: string, bytes: number): void {
  if (iv.late && iv.late.day !== day) foldLate(iv);
  const late = (iv.late ??= { day, bytes: {} });
  if (!(host in late.bytes) && Object.keys(late.bytes).length >= VOLUME.maxHosts) return;
  late.bytes[host] = (late.bytes[host] ?? 0) + bytes;
}

/** Adds the late day's per-host volumes to the history, aged as if its day had been closed the day after. */
function foldLate(iv: InstanceVolume): void {
  if (!iv.late) return;
  const age = Math.max(0, iv.day - iv.late.day - 1);
  const peakKeep = 0.5 ** (age / VOLUME.peakHalfLifeDays);
  for (const [key, bytes] of Object.entries(iv.late.bytes)) {
    addToHistory(iv, key, bytes, VOLUME.historyDailyDecay ** age);
    const peak = bytes * peakKeep;
    if (peak < VOLUME.forgetBytes && !iv.hosts[key]) continue;
    const h = (iv.hosts[key] ??= newHost(iv));
    h.peak = Math.max(h.peak, peak);
  }
  delete iv.late;
}

/** A host's entry for today, making room for it among the instance's hosts. */
function newHost(iv: InstanceVolume): HostDay {
  iv.n = makeRoom(iv.hosts, iv.n, VOLUME.maxHosts, (x) => Math.max(x.bytes, x.peak)) + 1;
  return { bytes: 0, peak: 0, limit: 0, raised: false };
}

const GB = 1e9;
const gb = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;
/** `total` bytes sent to `dst` in `records` records a minute apart from `start`. */
const transfer = (dst: string, start: string, total: number, records = 10) =>
  each(spaced(start, records, 60), (time) => [
    flowLine({ src: CASE_PRIVATE_IP, dst, srcPort: 44_100, dstPort: 443, packets: Math.ceil(total / records / 1_400), bytes: Math.round(total / records), time, tcpFlags: 0 }),
  ]);
/** The same from the instance's IPv6 address (v5 records): to `dsts` in turn. */
const transfer6 = (dsts: string[], start: string, total: number, records = dsts.length) =>
  each(spaced(start, records, 60), (time, i) => [
    flowLine({ src: CASE_IPV6, dst: dsts[i % dsts.length]!, srcPort: 44_200 + i, dstPort: 443, packets: Math.ceil(total / records / 1_400), bytes: Math.round(total / records), time, tcpFlags: 0, direction: 'egress' }),
  ]);
/** `count` addresses of the IPv6 /64 `prefix` (written `2001:db8:x:y`). */
const in64 = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}::${(0x100 + i * 17).toString(16)}`);
const pad = (n: number) => String(n).padStart(2, '0');
/** An ordinary day: 24 hosts (AWS APIs, package mirrors, monitoring, partners' APIs), 20–100 MB each. */
const ordinaryDay = (date: string) =>
  Array.from({ length: 24 }, (_, h) => transfer(`${[52, 54, 151, 104][h % 4]}.${(h * 9) % 250}.${h + 10}.${h + 1}`, `${date}T${pad(6 + (h % 12))}:${pad(h)}:00Z`, (1 + (h % 5)) * 20e6, 1)).flat();
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `2026-11-${String(from + i).padStart(2, '0')}`);

const cases = (): NetworkCase[] => [
  {
    name: 'after a week of ordinary days, 12 GB leave for an unknown host in one afternoon',
    flows: [...days(1, 9).flatMap(ordinaryDay), ...transfer('185.220.101.45', '2026-11-09T14:00:00Z', 12 * GB, 12)],
    expect: ['Behavior:EC2/TrafficVolumeUnusual'],
  },
  {
    name: 'after a week of ordinary days, 12 GB leave for one IPv6 host that spreads them over 12 addresses of its /64 (1 GB each)',
    flows: [...days(1, 9).flatMap(ordinaryDay), ...transfer6(in64('2001:db8:e8f1:7', 12), '2026-11-09T14:00:00Z', 12 * GB)],
    expect: ['Behavior:EC2/TrafficVolumeUnusual'],
  },
  {
    name: 'a web server sends its IPv6 office clients (200 addresses of one /64) 40 GB every day',
    flows: days(1, 12).flatMap((date) => [...ordinaryDay(date), ...transfer6(in64('2001:db8:0ff1:ce', 200), `${date}T08:00:00Z`, 40 * GB)]),
    expect: [],
  },
  {
    name: 'a nightly backup ships 50 GB to the same backup server every night',
    flows: days(1, 12).flatMap((date) => [...ordinaryDay(date), ...transfer('203.0.113.200', `${date}T01:00:00Z`, 50 * GB, 20)]),
    expect: [],
  },
  {
    name: 'database replication sends ~20 GB a day to a replica; a bulk load day sends 35 GB',
    flows: [
      ...days(1, 10).flatMap((date) => [...ordinaryDay(date), ...transfer('198.51.100.210', `${date}T12:00:00Z`, 20 * GB, 24)]),
      ...transfer('198.51.100.210', '2026-11-11T12:00:00Z', 35 * GB, 24),
    ],
    expect: [],
  },
  {
    name: 'a new instance uploads 12 GB on its second day, while still in its learning period',
    flows: [...days(1, 2).flatMap(ordinaryDay), ...transfer('185.220.101.45', '2026-11-02T14:00:00Z', 12 * GB, 12)],
    expect: [],
  },
];

export const trafficVolume: FlowDetection = {
  id: 'network-traffic-volume',
  source: 'vpcflow',
  types: [
    {
      type: 'Behavior:EC2/TrafficVolumeUnusual',
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1048 Exfiltration Over Alternative Protocol' },
      title: 'EC2 instance {instance} is generating unusually large amounts of network traffic to a remote host.',
      description: 'EC2 instance {instance} sent {volume} to {host} today, at least {multiple} times more than it usually sends to one host (threshold {threshold}). This can be data exfiltration.',
      remediation: 'Find the process that sent the data and what it read. If the destination is not a known backup, replication or partner endpoint, isolate the instance and treat the data as exposed.',
    },
  ],
  onFlow(flow, context) {
    if (flow.bytes === 0) return;
    const { connection, sent, remotePublic, remoteGroup } = viewOf(flow);
    const remoteIp = connection.remoteIp!;
    if (!sent || !remotePublic) return;
    const instance = instanceKey(flow);
    if (instance === null) return;
    const table = instances(context);
    const day = Math.floor(flow.time / DAY);
    let iv = table.get(instance);
    if (!iv) table.set(instance, (iv = { first: flow.time, day, hist: [], hosts: {}, n: 0 }));
    iv.first = Math.min(iv.first, flow.time);
    const host = hostOf(remoteIp, remoteGroup, flow.bytes, context);
    if (day < iv.day) return countLate(iv, day, host, flow.bytes);
    if (day > iv.day) {
      foldLate(iv);
      rollover(iv, day);
    }
    const h = (iv.hosts[host] ??= newHost(iv));
    h.bytes += flow.bytes;
    if (h.raised || h.bytes < VOLUME.floorBytes || flow.time - iv.first < context.settings.learningDays * DAY) return;
    if (h.limit === 0) h.limit = Math.max(VOLUME.floorBytes, VOLUME.multiple * Math.max(p95(iv.hist), h.peak));
    if (h.bytes < h.limit) return;
    h.raised = true;
    context.emit({
      type: 'Behavior:EC2/TrafficVolumeUnusual',
      event: flow,
      action: connectionAction(flow, connection, context.intel),
      resourceRole: 'ACTOR',
      remoteIp,
      aggregateBy: host,
      vars: { volume: gb(h.bytes), host, multiple: VOLUME.multiple, threshold: gb(h.limit) },
      // outBytes is one of GuardDuty's own keys, a string there (guardduty.md §3.6); the rest are Gumshoe's counters, numbers.
      additionalInfo: { outBytes: String(h.bytes), thresholdBytes: h.limit, hostPeakBytes: Math.round(h.peak), instanceP95Bytes: p95(iv.hist), remoteHost: host },
    });
  },
  cases,
};
