import type { FlowDetection, NetworkCase } from '../detection.js';
import { isPrivateIp, protocolName } from '../network-event.js';
import { CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { connectionAction, instanceKey } from './connection.js';
import { connectionLines } from './flow-case-builders.js';
import { each, spaced } from './flow-volume-cases.js';
import { makeRoom, MINUTE, persistedTable, viewOf } from './flow-windows.js';

/**
 * Recon:EC2/RejectedTrafficSurge.Gumshoe, Gumshoe's own type (issue 4, "What operators asked for"): a surge
 * of REJECTed inbound traffic at an instance from one source address, or to one of its ports, reported
 * within minutes rather than in a batch.
 *
 * Counted: packets of REJECTed records arriving at the instance (the security group or network ACL
 * dropped them), per instance and source address and per instance and destination port (with protocol),
 * in 5-minute buckets. Each key keeps an exponentially weighted mean of its earlier buckets
 * (m ← m + 0.02·(count − m) per bucket, idle buckets counting as 0). The finding is raised on the very
 * record that takes the open bucket to max(floor, 10 × m) — 100 packets for a source, 500 for a port —
 * once per key and bucket, so `gumshoe detect` run every few minutes reports a surge in the
 * run that first sees it. Buckets and means are kept in detection state, so a surge split across two runs
 * counts as one.
 *
 * Severity Low: the traffic was blocked. Medium when a private address surges, since scanning from
 * inside the network suggests a compromised peer (private sources count only when the flow-direction field
 * says which interface logged the record: flow-windows.ts FlowView.judged). Role TARGET. Per-source findings
 * carry the source (trusted IP lists apply); per-port findings are about many sources and carry none.
 * State per instance: at most 512 sources and 256 ports; when full the half with the least
 * traffic and baseline goes; keys whose mean fell below one packet are dropped between runs.
 */
const TYPE = 'Recon:EC2/RejectedTrafficSurge.Gumshoe';
const SURGE = { bucketMs: 5 * MINUTE, alpha: 0.02, multiple: 10, sourceFloor: 100, portFloor: 500, maxSources: 512, maxPorts: 256 } as const;

interface Rate {
  /** Open bucket's start and packet count; mean of earlier buckets; raised in this bucket. */
  b: number;
  c: number;
  m: number;
  raised: boolean;
}

interface Rates {
  rates: Record<string, Rate>;
  n: number;
}

interface InstanceRates {
  sources: Rates;
  ports: Rates;
}

const table = persistedTable<InstanceRates>('instances', 4_096);

/** Folds the open bucket into the mean and opens `bucket`. */
function roll(r: Rate, bucket: number): void {
  const idle = (bucket - r.b) / SURGE.bucketMs - 1;
  r.m = (r.m + SURGE.alpha * (r.c - r.m)) * (1 - SURGE.alpha) ** idle;
  r.b = bucket;
  r.c = 0;
  r.raised = false;
}

/** Adds packets to the key's bucket; the threshold when this record crosses it, else 0. */
function bump(rates: Rates, key: string, cap: number, bucket: number, packets: number, floor: number): number {
  let r = rates.rates[key];
  if (!r) {
    rates.n = makeRoom(rates.rates, rates.n, cap, (x) => x.c + x.m) + 1;
    rates.rates[key] = r = { b: bucket, c: 0, m: 0, raised: false };
  }
  if (bucket > r.b) roll(r, bucket);
  r.c += packets;
  const threshold = Math.max(floor, SURGE.multiple * r.m);
  if (r.raised || r.c < threshold) return 0;
  r.raised = true;
  return threshold;
}

/**
 * Between runs: keys whose mean, with their last bucket folded in, is under one packet are as good as new.
 * Only buckets that ended LATE_MS before the latest one seen go, so records of a bucket that arrive in the
 * next run (other interfaces deliver later) still add to it.
 */
const LATE_MS = 15 * MINUTE;
function prune(rates: Rates, latest: number): void {
  for (const [key, r] of Object.entries(rates.rates)) {
    if (r.b + SURGE.bucketMs + LATE_MS <= latest && r.m + SURGE.alpha * (r.c - r.m) < 1) {
      delete rates.rates[key];
      rates.n--;
    }
  }
}

const rejected = (remote: string, port: number, time: string, o: { packets?: number; clientPort?: number; protocol?: 'tcp' | 'udp' } = {}) =>
  flowLine({ src: remote, dst: CASE_PRIVATE_IP, srcPort: o.clientPort ?? 54_321, dstPort: port, protocol: o.protocol, packets: o.packets ?? 1, bytes: (o.packets ?? 1) * 44, time, action: 'REJECT', direction: 'ingress' });
const SCAN_PORTS = Array.from({ length: 150 }, (_, i) => [1, 7, 9, 13, 21, 22, 23, 25, 26, 37][i % 10]! + Math.floor(i / 10) * 100);
/** `count` distinct internet addresses (a botnet, or background scanners). */
const sources = (count: number, seed = 0) => Array.from({ length: count }, (_, i) => `${[45, 80, 89, 185, 193][(i + seed) % 5]}.${(i * 7 + seed) % 250}.${(i * 13) % 250}.${(i % 250) + 1}`);

const cases = (): NetworkCase[] => [
  {
    name: 'a SYN scan of 150 ports from one internet address, every packet rejected by the security group',
    flows: each(spaced('2026-11-02T10:00:00Z', 150, 1), (time, i) => [rejected('45.148.10.81', SCAN_PORTS[i]!, time)]),
    expect: [TYPE],
  },
  {
    name: 'a botnet of 300 addresses hammers blocked RDP within five minutes',
    flows: each(spaced('2026-11-02T11:00:00Z', 300, 1), (time, i) => [rejected(sources(300)[i]!, 3389, time, { packets: 2, clientPort: 50_000 + i })]),
    expect: [TYPE],
  },
  {
    name: 'another instance in the VPC probes this one’s closed ports',
    flows: each(spaced('2026-11-02T12:00:00Z', 120, 1), (time, i) => [
      flowLine({ src: '10.0.7.44', dst: CASE_PRIVATE_IP, srcPort: 44_000 + i, dstPort: 1 + i * 11, packets: 1, bytes: 44, time, action: 'REJECT', direction: 'ingress', tcpFlags: 2 }),
    ]),
    expect: [TYPE],
  },
  {
    name: 'internet background noise: 200 scanners knock once or twice on random ports over an hour',
    flows: each(spaced('2026-11-02T13:00:00Z', 200, 18), (time, i) => [rejected(sources(200, 3)[i]!, [23, 445, 3389, 8080, 5900, 6379, 22, 1433][i % 8]!, time, { packets: 1 + (i % 2), clientPort: 40_000 + i })]),
    expect: [],
  },
  {
    name: 'Telnet gets ~300 rejected packets every 5 minutes for six hours from bots, then a 5× burst stays within its baseline',
    flows: [
      ...each(spaced('2026-11-02T00:00:00Z', 72 * 10, 30), (time, i) => [rejected(sources(720, 1)[i]!, 23, time, { packets: 30 })]),
      ...each(spaced('2026-11-02T06:00:00Z', 50, 5), (time, i) => [rejected(sources(50, 2)[i]!, 23, time, { packets: 30 })]),
    ],
    expect: [],
  },
  {
    name: 'a desktop client keeps retrying a port the security group blocks',
    flows: each(spaced('2026-11-02T14:00:00Z', 60, 30), (time, i) => [rejected('198.51.100.23', 8443, time, { packets: 2, clientPort: 51_000 + i })]),
    expect: [],
  },
  {
    name: 'the instance’s own egress rules reject its retries (outbound, not a surge at it)',
    flows: each(spaced('2026-11-02T15:00:00Z', 300, 1), (time, i) =>
      connectionLines({ remote: '203.0.113.9', opener: 'instance', port: 25, time, clientPort: 45_000 + i, action: 'REJECT', bytesUp: 60 }),
    ),
    expect: [],
  },
];

export const rejectedSurge: FlowDetection = {
  id: 'network-rejected-surge',
  source: 'vpcflow',
  types: [
    {
      type: TYPE,
      dataSource: 'VPCFlowLogs',
      severity: 2,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0043 Reconnaissance', technique: 'T1595 Active Scanning' },
      title: 'Surge of rejected traffic {what} at EC2 instance {instance}.',
      description:
        'Security groups or network ACLs rejected {packets} packets {what} at EC2 instance {instance} within {minutes} minutes, above {threshold} ({multiple}× the usual {baseline}). Someone is scanning or hammering the instance; the traffic was blocked.',
      remediation:
        'Check what the source wants (scan, brute force, a misconfigured client) and whether any of its traffic was accepted elsewhere. Block persistent sources at the network ACL or WAF; if the source is inside the VPC, investigate that host.',
    },
  ],
  onFlow(flow, context) {
    if (flow.action !== 'REJECT') return;
    // A rejected record is the packets that were dropped: they count when they came to the instance.
    const { connection, sent, judged } = viewOf(flow);
    if (sent || !judged) return;
    const instance = instanceKey(flow);
    if (instance === null) return;
    const instances = table(context);
    let rates = instances.get(instance);
    if (!rates) instances.set(instance, (rates = { sources: { rates: {}, n: 0 }, ports: { rates: {}, n: 0 } }));
    const bucket = flow.time - (flow.time % SURGE.bucketMs);
    const remoteIp = connection.remoteIp!;
    const port = connection.localPort === null ? null : `${protocolName(flow.protocol)} ${connection.localPort}`;
    const surges: { by: 'source' | 'destinationPort'; key: string; threshold: number }[] = [];
    const bySource = bump(rates.sources, remoteIp, SURGE.maxSources, bucket, flow.packets, SURGE.sourceFloor);
    if (bySource) surges.push({ by: 'source', key: remoteIp, threshold: bySource });
    const byPort = port === null ? 0 : bump(rates.ports, port, SURGE.maxPorts, bucket, flow.packets, SURGE.portFloor);
    if (byPort) surges.push({ by: 'destinationPort', key: port!, threshold: byPort });
    for (const { by, key, threshold } of surges) {
      const r = (by === 'source' ? rates.sources : rates.ports).rates[key]!;
      const what = by === 'source' ? `from ${key}` : `to port ${key}`;
      context.emit({
        type: TYPE,
        event: flow,
        action: connectionAction(flow, { ...connection, direction: 'INBOUND' }, context.intel),
        severity: by === 'source' && isPrivateIp(remoteIp) ? 5 : 2,
        resourceRole: 'TARGET',
        aggregateBy: `${by} ${key}`,
        ...(by === 'source' ? { remoteIp } : {}),
        vars: { what, packets: r.c, minutes: SURGE.bucketMs / MINUTE, threshold, multiple: SURGE.multiple, baseline: Math.round(r.m) },
        additionalInfo: {
          surge: by,
          [by === 'source' ? 'sourceIp' : 'destinationPort']: key,
          rejectedPackets: r.c,
          thresholdPackets: threshold,
          baselinePackets: Math.round(r.m * 100) / 100,
          bucketStart: new Date(bucket).toISOString(),
          windowMinutes: SURGE.bucketMs / MINUTE,
        },
      });
    }
  },
  finish(context) {
    const instances = table(context);
    let latest = 0;
    for (const rates of instances.values()) for (const r of Object.values(rates.ports.rates).concat(Object.values(rates.sources.rates))) latest = Math.max(latest, r.b);
    for (const rates of instances.values()) {
      prune(rates.sources, latest);
      prune(rates.ports, latest);
    }
    instances.retain((rates) => rates.sources.n + rates.ports.n > 0);
  },
  cases,
};
