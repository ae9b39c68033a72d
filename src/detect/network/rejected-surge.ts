import type { FlowDetection, NetworkCase, NetworkDetectionContext } from '../detection.js';
import { isPrivateIp, protocolName, type FlowEvent } from '../network-event.js';
import { CASE_IPV6, CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { type Connection, connectionAction, instanceKey } from './connection.js';
import { connectionLines } from './flow-case-builders.js';
import { each, spaced } from './flow-volume-cases.js';
import { makeRoom, MINUTE, persistedTable, viewOf } from './flow-windows.js';
import { baselineSpent, crosses, newRate, noteSource, type Rate, SURGE, threshold, topSources, upgradeRate, weight, windowPast, windowStart } from './surge-rates.js';

/**
 * Recon:EC2/RejectedTrafficSurge.Gumshoe, Gumshoe's own type (issue 4, "What operators asked for"): a surge
 * of REJECTed inbound traffic at an instance from one source address, or to one of its ports, reported
 * within minutes rather than in a batch.
 *
 * Counted: packets of REJECTed records arriving at the instance (the security group or network ACL
 * dropped them), per instance and source address (an IPv6 one's /64, which a scanner rotates through at no
 * cost: FlowView.remoteGroup) and per instance and destination port (with protocol), in
 * a window that slides by the minute: the record's minute and the 5 before it, so any 5 minutes that hold a
 * surge are seen whole, wherever they fall. Each key's baseline is the largest window it reached before,
 * halving every week; a window joins it 71 to 80 minutes after it ended (in 10-minute blocks, surge-rates.ts),
 * so traffic lasting up to an hour is judged against the windows before it and never against its own,
 * wherever it falls relative to the clock: a burst that begins a few minutes before a clock hour is judged as
 * one that begins after it. The finding is raised on the very record that takes the window to
 * max(floor, 5 × baseline), floor 100 packets for a source and 500 for a port; the key is not raised again
 * until the window that raised it has joined its baseline. A surge is learned like any window, so one that
 * goes on, or recurs daily or weekly at its size, is not raised again; one that builds up is still judged
 * against the traffic before it.
 * For the first hour after an instance's first record of any kind, windows are only learned: a rate
 * that was already going when Gumshoe started watching is not a surge. Rates live in detection state, so a
 * surge split across two `gumshoe detect` runs counts as one.
 *
 * Severity Low: the traffic was blocked. Medium when a private address surges, since scanning from
 * inside the network suggests a compromised peer (private sources count only when the flow-direction field
 * says which interface logged the record: flow-windows.ts FlowView.judged). Role TARGET. Per-source findings
 * carry the source (trusted IP lists apply); per-port findings are about many sources: no remote end, and
 * the heaviest sources listed in additionalInfo.
 * State: at most 4,096 instances (least recently seen forgotten), each with at most 512 sources and 256
 * ports; when full, the half with the least traffic and baseline goes. Between runs, keys whose window is
 * past and whose baseline no longer lifts their threshold above the floor are dropped.
 */
const TYPE = 'Recon:EC2/RejectedTrafficSurge.Gumshoe';
const CAPS = { maxSources: 512, maxPorts: 256 } as const;

interface Rates {
  rates: Record<string, Rate>;
  n: number;
}

interface InstanceRates {
  /** Time of the instance's earliest record: its learning period starts there. */
  first: number;
  sources: Rates;
  ports: Rates;
  /** 2 once its rates are in the current form (surge-rates.ts upgradeRate): state of earlier versions has none. */
  v?: 2;
}

// Not the bucket design's 'instances' table: its rates are not these.
const table = persistedTable<InstanceRates>('rates', 4_096);

function instanceRates(context: NetworkDetectionContext, instance: string, time: number): InstanceRates {
  const instances = table(context);
  let rates = instances.get(instance);
  if (!rates) instances.set(instance, (rates = { first: time, sources: { rates: {}, n: 0 }, ports: { rates: {}, n: 0 }, v: 2 }));
  else {
    upgraded(rates);
    // Older logs ingested after newer ones (a backfill) move the learning period's start back.
    rates.first = Math.min(rates.first, time);
  }
  return rates;
}

function upgraded(rates: InstanceRates): InstanceRates {
  if (rates.v !== 2) {
    for (const rate of Object.values(rates.sources.rates).concat(Object.values(rates.ports.rates))) upgradeRate(rate);
    rates.v = 2;
  }
  return rates;
}

function rateOf(rates: Rates, key: string, cap: number, minute: number): Rate {
  let rate = rates.rates[key];
  if (!rate) {
    rates.n = makeRoom(rates.rates, rates.n, cap, weight) + 1;
    rates.rates[key] = rate = newRate(minute);
  }
  return rate;
}

interface Surge {
  by: 'source' | 'destinationPort';
  key: string;
  rate: Rate;
  floor: number;
}

function emitSurge(context: NetworkDetectionContext, flow: FlowEvent, connection: Readonly<Connection>, { by, key, rate, floor }: Surge): void {
  const bySource = by === 'source';
  const what = bySource ? `from ${key}` : `to port ${key}`;
  const limit = threshold(rate, floor);
  const packets = Math.round(rate.w);
  // A port's surge comes from many sources: naming the one whose record crossed would mislead.
  const remote = bySource ? connection : { ...connection, remoteIp: null, remotePort: null };
  context.emit({
    type: TYPE,
    event: flow,
    action: connectionAction(flow, { ...remote, direction: 'INBOUND' }, context.intel),
    severity: bySource && isPrivateIp(connection.remoteIp!) ? 5 : 2,
    resourceRole: 'TARGET',
    aggregateBy: `${by} ${key}`,
    // The address whose record crossed (trusted IP lists judge it; for an IPv6 /64, one of its addresses).
    ...(bySource ? { remoteIp: connection.remoteIp! } : {}),
    vars: { what, packets, minutes: SURGE.windowMinutes, threshold: Math.ceil(limit), multiple: SURGE.multiple, baseline: Math.round(rate.p), floor },
    additionalInfo: {
      surge: by,
      [bySource ? 'sourceIp' : 'destinationPort']: key,
      rejectedPackets: packets,
      thresholdPackets: Math.ceil(limit),
      baselinePackets: Math.round(rate.p),
      windowStart: windowStart(rate),
      windowMinutes: SURGE.windowMinutes,
      ...(bySource ? {} : { topSources: topSources(rate) }),
    },
  });
}

/**
 * The packets of a record that one window can hold: a record longer than the window (flow logs aggregate over
 * up to 10 minutes) counts at its rate, so a client retrying 15 packets a minute is under the floor in
 * 10-minute records as in 1-minute ones. Counted whole in the record's minute, as before.
 */
function packetsInWindow(flow: FlowEvent): number {
  const minutes = (flow.end - flow.time) / MINUTE;
  return minutes > SURGE.windowMinutes ? (flow.packets * SURGE.windowMinutes) / minutes : flow.packets;
}

const rejected = (remote: string, port: number, time: string, o: { packets?: number; clientPort?: number; protocol?: 'tcp' | 'udp'; local?: string } = {}) =>
  flowLine({ src: remote, dst: o.local ?? CASE_PRIVATE_IP, srcPort: o.clientPort ?? 54_321, dstPort: port, protocol: o.protocol, packets: o.packets ?? 1, bytes: (o.packets ?? 1) * 44, time, action: 'REJECT', direction: 'ingress' });
/** The instance's first record, an ordinary HTTPS call: from an hour after it, its learning period is over. */
const watchedSince = (time: string) => flowLine({ src: CASE_PRIVATE_IP, dst: '52.94.236.248', srcPort: 44_000, dstPort: 443, time, direction: 'egress' });
const SCAN_PORTS = Array.from({ length: 150 }, (_, i) => [1, 7, 9, 13, 21, 22, 23, 25, 26, 37][i % 10]! + Math.floor(i / 10) * 100);
/** `count` distinct internet addresses (a botnet, or background scanners). */
const sources = (count: number, seed = 0) => Array.from({ length: count }, (_, i) => `${[45, 80, 89, 185, 193][(i + seed) % 5]}.${(i * 7 + seed) % 250}.${(i * 13) % 250}.${(i % 250) + 1}`);
/** Bots knocking on Telnet: 30 packets every 30 seconds (about 300 per 5 minutes), from 00:00 for `hours`. */
const telnetBots = (date: string, hours: number) => each(spaced(`${date}T00:00:00Z`, hours * 120, 30), (time, i) => [rejected(sources(hours * 120, 1)[i]!, 23, time, { packets: 30 })]);
/** `records` of 30 packets to Telnet 5 seconds apart, from new bots. */
const telnetBurst = (start: string, records: number) => each(spaced(start, records, 5), (time, i) => [rejected(sources(records, 2)[i]!, 23, time, { packets: 30 })]);
/** A client retrying blocked 8443: 5 records of 30 packets every 5 minutes (150), for `minutes`. */
const retrying = (start: string, minutes: number) => each(spaced(start, minutes, 60), (time, i) => [rejected('203.0.113.9', 8443, time, { packets: 30, clientPort: 51_000 + i })]);

const cases = (): NetworkCase[] => [
  {
    name: 'a SYN scan of 150 ports from one internet address, every packet rejected by the security group',
    flows: [watchedSince('2026-11-02T08:00:00Z'), ...each(spaced('2026-11-02T10:00:00Z', 150, 1), (time, i) => [rejected('45.148.10.81', SCAN_PORTS[i]!, time)])],
    expect: [TYPE],
  },
  {
    name: 'a botnet of 300 addresses hammers blocked RDP within five minutes',
    flows: [watchedSince('2026-11-02T09:00:00Z'), ...each(spaced('2026-11-02T11:00:00Z', 300, 1), (time, i) => [rejected(sources(300)[i]!, 3389, time, { packets: 2, clientPort: 50_000 + i })])],
    expect: [TYPE],
  },
  {
    name: 'another instance in the VPC probes this one’s closed ports',
    flows: [
      watchedSince('2026-11-02T10:00:00Z'),
      ...each(spaced('2026-11-02T12:00:00Z', 120, 1), (time, i) => [
        flowLine({ src: '10.0.7.44', dst: CASE_PRIVATE_IP, srcPort: 44_000 + i, dstPort: 1 + i * 11, packets: 1, bytes: 44, time, action: 'REJECT', direction: 'ingress', tcpFlags: 2 }),
      ]),
    ],
    expect: [TYPE],
  },
  {
    name: 'a two-minute scan across the 5-minute mark (00:04–00:06), which clock-aligned buckets would split in two',
    flows: [watchedSince('2026-11-01T22:00:00Z'), ...each(spaced('2026-11-02T00:04:00Z', 120, 1), (time, i) => [rejected('45.148.10.83', SCAN_PORTS[i]!, time)])],
    expect: [TYPE],
  },
  {
    name: 'Telnet gets ~300 rejected packets every 5 minutes from bots for six hours, then ten times that',
    flows: [...telnetBots('2026-11-02', 6), ...telnetBurst('2026-11-02T06:00:00Z', 100)],
    expect: [TYPE],
  },
  {
    name: 'an IPv6 scanner rotates through its /64: 150 ports, each rejected SYN from a new address',
    flows: [watchedSince('2026-11-02T08:00:00Z'), ...each(spaced('2026-11-02T10:00:00Z', 150, 1), (time, i) => [rejected(`2001:db8:5ca:2::${(i + 1).toString(16)}`, SCAN_PORTS[i]!, time, { local: CASE_IPV6 })])],
    expect: [TYPE],
  },
  {
    name: 'IPv6 background noise: 90 scanners in their own /64s knock once or twice, and an office /64 retries a blocked port 60 times',
    flows: [
      watchedSince('2026-11-02T08:00:00Z'),
      ...each(spaced('2026-11-02T10:00:00Z', 90, 3), (time, i) => [rejected(`2001:db8:${(0x200 + i).toString(16)}::1`, [23, 445, 3389, 8080][i % 4]!, time, { packets: 1 + (i % 2), clientPort: 40_000 + i, local: CASE_IPV6 })]),
      ...each(spaced('2026-11-02T10:00:00Z', 30, 10), (time, i) => [rejected(`2001:db8:0ff1:ce::${(0x100 + i).toString(16)}`, 8443, time, { packets: 2, clientPort: 51_000 + i, local: CASE_IPV6 })]),
    ],
    expect: [],
  },
  {
    name: 'internet background noise: 200 scanners knock once or twice on random ports over an hour',
    flows: [watchedSince('2026-11-02T11:00:00Z'), ...each(spaced('2026-11-02T13:00:00Z', 200, 18), (time, i) => [rejected(sources(200, 3)[i]!, [23, 445, 3389, 8080, 5900, 6379, 22, 1433][i % 8]!, time, { packets: 1 + (i % 2), clientPort: 40_000 + i })])],
    expect: [],
  },
  {
    name: 'Telnet gets ~300 rejected packets every 5 minutes from bots for six hours, then a burst of four times that stays within its baseline',
    flows: [...telnetBots('2026-11-02', 6), ...telnetBurst('2026-11-02T06:00:00Z', 40)],
    expect: [],
  },
  {
    name: 'a persistent scanner keeps hitting blocked 8443 at 150 packets every 5 minutes for 12 hours, as it did when the instance was first seen',
    flows: retrying('2026-11-02T00:00:00Z', 12 * 60),
    expect: [],
  },
  {
    name: 'a nightly job retries a blocked port for an hour at 02:00, every night since the instance was first seen',
    flows: ['01', '02', '03', '04'].flatMap((day) => retrying(`2026-11-${day}T02:00:00Z`, 60)),
    expect: [],
  },
  {
    name: 'just under the floors: one address sends 99 packets, and 250 addresses send 499 to RDP',
    flows: [
      watchedSince('2026-11-02T08:00:00Z'),
      ...each(spaced('2026-11-02T10:00:00Z', 99, 1), (time, i) => [rejected('45.148.10.81', SCAN_PORTS[i]!, time)]),
      ...each(spaced('2026-11-02T11:00:00Z', 250, 1), (time, i) => [rejected(sources(250)[i]!, 3389, time, { packets: i === 0 ? 1 : 2, clientPort: 50_000 + i })]),
    ],
    expect: [],
  },
  {
    name: 'a desktop client keeps retrying a port the security group blocks',
    flows: [watchedSince('2026-11-02T12:00:00Z'), ...each(spaced('2026-11-02T14:00:00Z', 60, 30), (time, i) => [rejected('198.51.100.23', 8443, time, { packets: 2, clientPort: 51_000 + i })])],
    expect: [],
  },
  {
    name: 'the instance’s own egress rules reject its retries (outbound, not a surge at it)',
    flows: [
      watchedSince('2026-11-02T13:00:00Z'),
      ...each(spaced('2026-11-02T15:00:00Z', 300, 1), (time, i) =>
        connectionLines({ remote: '203.0.113.9', opener: 'instance', port: 25, time, clientPort: 45_000 + i, action: 'REJECT', bytesUp: 60 }),
      ),
    ],
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
        'Security groups or network ACLs rejected {packets} packets {what} at EC2 instance {instance} within {minutes} minutes, reaching the threshold of {threshold} (the larger of {floor} and {multiple}× the most seen in earlier hours, {baseline}). Someone is scanning or hammering the instance; the traffic was blocked.',
      remediation:
        'Check what the source wants (scan, brute force, a misconfigured client) and whether any of its traffic was accepted elsewhere. Block persistent sources at the network ACL or WAF; if the source is inside the VPC, investigate that host.',
    },
  ],
  onFlow(flow, context) {
    const instance = instanceKey(flow);
    if (instance === null) return;
    // Every record starts the instance's learning period, so a first scan of a quiet instance is not missed.
    const rates = instanceRates(context, instance, flow.time);
    if (flow.action !== 'REJECT') return;
    // A rejected record is the packets that were dropped: they count when they came to the instance.
    const { connection, sent, judged, remoteGroup } = viewOf(flow);
    if (sent || !judged) return;
    const learning = flow.time < rates.first + SURGE.learningMs;
    const minute = Math.floor(flow.time / MINUTE);
    // A source is an address, or an IPv6 /64: an IPv6 scanner rotates through its /64 at no cost.
    const packets = packetsInWindow(flow);
    const source = rateOf(rates.sources, remoteGroup, CAPS.maxSources, minute);
    if (crosses(source, minute, packets, SURGE.sourceFloor, learning)) emitSurge(context, flow, connection, { by: 'source', key: remoteGroup, rate: source, floor: SURGE.sourceFloor });
    if (connection.localPort === null) return;
    const port = `${protocolName(flow.protocol)} ${connection.localPort}`;
    const byPort = rateOf(rates.ports, port, CAPS.maxPorts, minute);
    const surging = crosses(byPort, minute, packets, SURGE.portFloor, learning);
    noteSource(byPort, remoteGroup, flow.packets);
    if (surging) emitSurge(context, flow, connection, { by: 'destinationPort', key: port, rate: byPort, floor: SURGE.portFloor });
  },
  finish(context) {
    const instances = table(context);
    let latest = 0;
    for (const rates of instances.values()) for (const r of Object.values(rates.ports.rates).concat(Object.values(rates.sources.rates))) latest = Math.max(latest, r.t);
    for (const rates of instances.values()) {
      upgraded(rates);
      forgetSpent(rates.sources, latest, SURGE.sourceFloor);
      forgetSpent(rates.ports, latest, SURGE.portFloor);
    }
  },
  cases,
};

/** Between runs: keys past their window go when their baseline is spent; a port's sources listed for it go. */
function forgetSpent(rates: Rates, latestMinute: number, floor: number): void {
  for (const [key, rate] of Object.entries(rates.rates)) {
    if (!windowPast(rate, latestMinute)) continue;
    if (baselineSpent(rate, latestMinute, floor)) {
      delete rates.rates[key];
      rates.n--;
    } else delete rate.top;
  }
}
