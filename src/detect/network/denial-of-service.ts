import type { FlowDetection, FindingTypeSpec, NetworkCase, NetworkDetectionContext } from '../detection.js';
import type { FlowEvent } from '../network-event.js';
import { CASE_IPV6, CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { connectionAction, connectionOf, instanceKey } from './connection.js';
import { each, spaced } from './flow-volume-cases.js';
import { DAY, MINUTE, persistedTable, viewOf } from './flow-windows.js';

/**
 * Backdoor:EC2/DenialOfService.Dns, .Tcp, .Udp, .UdpOnTcpPorts and .UnusualProtocol (guardduty.md §2.3
 * #2–6): the instance sends a flood of packets to the internet.
 *
 * Counted: request records of connections the instance opened (connection.ts), to public addresses, per
 * clock minute, instance and class, in a window that slides by the minute: the record's minute and the 4
 * before it, so a flood of up to 5 minutes is seen whole wherever it falls; a record longer than a minute
 * (10-minute aggregation) is spread over its minutes (count). A server's replies to its clients never count. Class by the remote port and protocol: port 53 (UDP or TCP) → Dns; TCP → Tcp; UDP to
 * a port that only TCP services use (TCP_SERVICE_PORTS) → UdpOnTcpPorts; other UDP → Udp; any protocol but
 * TCP, UDP and ICMP (e.g. IGMP, GRE) → UnusualProtocol. UDP to the web ports is Udp: QUIC runs on 443, and
 * GuardDuty's own tester floods UDP port 80 and expects .Udp (guardduty.md, tester scenarios). ICMP floods
 * have no GuardDuty type and are left out.
 *
 * A window is a flood when all of these hold:
 * - packets ≥ 100,000 in the window (~333 per second; GuardDuty's tester sends 400,000);
 * - packets ≥ 10 × the class's baseline: the largest earlier window that was not part of a flood, halving
 *   every 7 days, so an instance whose nightly job always sends a lot is judged by that job. A window is
 *   learned once no later window can overlap it, and not at all if a flood window overlaps it: the ramp
 *   and tail of a flood would otherwise raise the bar for the flood itself;
 * - the packets are small (bytes / packets ≤ 600): floods are SYNs, small datagrams and queries, while
 *   uploads and backups fill packets to the MTU. Or, for UDP (Udp, UdpOnTcpPorts, Dns), a bandwidth flood:
 *   ≥ 300,000 datagrams of any size (~1,000 a second) to which nothing at all came back. Uploads, tunnels and
 *   media streams of large datagrams are answered (acknowledgements, RTCP reports); the earlier GuardDuty
 *   tester's 400,000 datagrams of 1 KB, and hping3 or LOIC floods with large payloads, are not. A one-way
 *   log or flow exporter (syslog, GELF, IPFIX) below 1,000 datagrams a second stays under that floor;
 * - the instance sent more bytes than it received on those connections: a large download makes the
 *   instance send a stream of small ACKs (or QUIC acknowledgements) but receive far more, and a recursive
 *   resolver receives larger answers than the queries it sends.
 * A window is judged once its newest minute is over (the next minute of the class begins, so both
 * directions of a minute are in) and, for the open window, at the end of a run (so `gumshoe detect` every
 * few minutes reports a flood within minutes). A flood is raised once per window length: one that lasts
 * longer raises the same finding again every 5 minutes (its count grows) for an hour, then is learned (learn).
 * Known gaps: a UDP flood from one high port to a higher one looks like replies and is not counted; an
 * instance that floods from the first window Gumshoe ever sees of it is judged by the floor alone, and so is
 * a busy instance (a VPN gateway, a metrics relay) in its first busy hour.
 */
// A 5-minute window, not surge-rates' 6: the floor is a rate per 5 minutes, which a steady sender of 90,000
// small packets per 5 minutes (a metrics relay) must stay under before its baseline is learned.
const DOS = { windowMinutes: 5, floor: 100_000, unansweredFloor: 300_000, multiple: 10, maxAvgPacketBytes: 600, peakHalfLifeMs: 7 * DAY, learnFloodAfterMinutes: 60 } as const;
const WINDOW = DOS.windowMinutes;
/** Minutes held: the window, and the older minutes of the earlier windows that are not learned yet. */
const HELD = 2 * WINDOW - 1;
/** Longest span a record is spread over: flow logs aggregate over 1 or 10 minutes. */
const SPREAD_MINUTES = 10;

const KINDS = {
  Dns: 'the DNS protocol',
  Tcp: 'the TCP protocol',
  Udp: 'the UDP protocol',
  UdpOnTcpPorts: 'the UDP protocol on a TCP port',
  UnusualProtocol: 'an unusual protocol',
} as const;
type Kind = keyof typeof KINDS;

const TCP = 6;
const UDP = 17;
const ICMP = new Set([1, 58]);
/** Ports of services that run over TCP only (not the web ports: see above). */
const TCP_SERVICE_PORTS = new Set([21, 22, 23, 25, 110, 143, 445, 465, 587, 993, 995, 1433, 1521, 3306, 3389, 5432, 5900, 6379, 8080, 9200, 27017]);

function kindOf(protocol: number | null, remotePort: number | null): Kind | undefined {
  if (protocol === null || ICMP.has(protocol)) return undefined;
  if (remotePort === 53) return 'Dns';
  if (protocol === TCP) return 'Tcp';
  if (protocol === UDP) return remotePort !== null && TCP_SERVICE_PORTS.has(remotePort) ? 'UdpOnTcpPorts' : 'Udp';
  return 'UnusualProtocol';
}

/** One clock minute of a class: request packets and bytes sent, and bytes received back. */
type Minute = [packets: number, bytes: number, inBytes: number];

interface Volume {
  kind: Kind;
  /** Newest minute (since the epoch) counted. */
  t: number;
  /** The HELD minutes up to minute t, oldest first: the last WINDOW of them are the window. */
  m: Minute[];
  /** The minutes after t that records already reach (see count), nearest first. */
  a?: (Minute | null)[];
  /** Newest minute whose window was a flood, and newest raised (0: never). */
  floodAt: number;
  raisedAt: number;
  /** First minute of the flood going on at floodAt (absent in state of earlier versions: floodAt). */
  floodSince?: number;
  /** The window's largest request record, reported as the finding's event (one that has left the window gives way to the next). */
  top: FlowEvent | null;
  /** Baseline: largest learned window, as of `peakAt`. */
  peak: number;
  peakAt: number;
}

// Not the bucket design's 'volume' table: its entries are not these.
const volumes = persistedTable<Volume>('minutes', 20_000);

const minuteOf = (time: number) => Math.floor(time / MINUTE);
const newVolume = (kind: Kind, minute: number): Volume => ({
  kind,
  t: minute,
  m: Array.from({ length: HELD }, (): Minute => [0, 0, 0]),
  floodAt: 0,
  raisedAt: 0,
  top: null,
  peak: 0,
  peakAt: minute * MINUTE,
});
/** A held minute's totals; undefined once the minute has slid out (or is after t). */
const slotOf = (v: Volume, minute: number): Minute | undefined => v.m[HELD - 1 - (v.t - minute)];
/** A minute's totals, held or still waiting in `a`. */
const minuteAt = (v: Volume, minute: number): Minute | null | undefined => (minute <= v.t ? slotOf(v, minute) : v.a?.[minute - v.t - 1]);

function windowTotals(v: Volume, end: number): Minute {
  const totals: Minute = [0, 0, 0];
  for (let minute = end - WINDOW + 1; minute <= end; minute++) {
    const slot = minuteAt(v, minute);
    if (slot) for (let i = 0; i < 3; i++) totals[i]! += slot[i]!;
  }
  return totals;
}

const decayedPeak = (v: Volume, at: number) => v.peak * 0.5 ** (Math.max(0, at - v.peakAt) / DOS.peakHalfLifeMs);

/** Classes whose floods may be of large datagrams (see isFlood): UDP has no acknowledgements of its own. */
const DATAGRAM_KINDS: ReadonlySet<Kind> = new Set(['Udp', 'UdpOnTcpPorts', 'Dns']);

function isFlood([packets, bytes, inBytes]: Minute, baseline: number, kind: Kind): boolean {
  if (packets < Math.max(DOS.floor, DOS.multiple * baseline) || bytes <= inBytes) return false;
  const small = bytes <= DOS.maxAvgPacketBytes * packets;
  return small || (DATAGRAM_KINDS.has(kind) && inBytes === 0 && packets >= DOS.unansweredFloor);
}

/**
 * Learns the window ending at minute `end`, unless a flood window overlaps it. A flood that has gone on for
 * an hour is learned all the same: a new service that always sends that much (a metrics relay, a VPN
 * gateway) is raised for its first hour, not every 5 minutes for ever.
 */
function learn(v: Volume, end: number): void {
  if (v.floodAt > end - WINDOW && end - (v.floodSince ?? v.floodAt) < DOS.learnFloodAfterMinutes) return;
  const at = end * MINUTE;
  v.peak = Math.max(decayedPeak(v, at), windowTotals(v, end)[0]);
  v.peakAt = at;
}

/**
 * Adds a record's counts evenly over the minutes from its start to its end, so that a record of a 10-minute
 * aggregation interval counts at its rate, as ten 1-minute records would: 150,000 packets in 10 minutes is
 * not 150,000 in one window. Minutes after t wait in `a` until the window reaches them.
 */
function count(v: Volume, flow: FlowEvent, counts: Minute): void {
  const first = minuteOf(flow.time);
  const last = Math.min(Math.max(first, minuteOf(flow.end - 1)), first + SPREAD_MINUTES - 1);
  const share = 1 / (last - first + 1);
  for (let minute = first; minute <= last; minute++) {
    const slot = minute <= v.t ? slotOf(v, minute) : ((v.a ??= [])[minute - v.t - 1] ??= [0, 0, 0]);
    if (slot) for (let i = 0; i < 3; i++) slot[i]! += counts[i]! * share;
  }
}

/**
 * Slides to minute `to`. Windows that no window still to be judged can overlap (those ending WINDOW minutes
 * or more before `to`) are learned first, while their minutes are held.
 */
function slide(v: Volume, to: number): void {
  for (let end = v.t - WINDOW + 1; end <= Math.min(to - WINDOW, v.t); end++) learn(v, end);
  const entering = v.a?.splice(0, to - v.t) ?? [];
  const moved = Math.min(to - v.t, HELD);
  v.m.splice(0, moved);
  for (let minute = to - moved + 1; minute <= to; minute++) v.m.push(entering[minute - v.t - 1] ?? [0, 0, 0]);
  v.t = to;
  if (v.a?.length === 0) delete v.a;
}

/**
 * Moves to minute `to`, a record's start: every minute before it is complete (records arrive in time order),
 * so each window ending in one that earlier records reach is judged on the way.
 */
function advance(v: Volume, to: number, context: NetworkDetectionContext): void {
  judge(v, context);
  while (v.a && v.t < to - 1) {
    slide(v, v.t + 1);
    judge(v, context);
  }
  slide(v, to);
}

/** Judges the window ending at minute `end` (t, or one records reach already). A flood is raised, and raised again only once that window has slid past. */
function judge(v: Volume, context: NetworkDetectionContext, end = v.t): void {
  const window = windowTotals(v, end);
  const baseline = decayedPeak(v, end * MINUTE);
  if (!v.top || !isFlood(window, baseline, v.kind)) return;
  // A flood window that does not overlap the last one starts a new flood.
  if (v.floodAt <= end - WINDOW) v.floodSince = end;
  v.floodAt = Math.max(v.floodAt, end);
  if (end < v.raisedAt + WINDOW) return;
  v.raisedAt = end;
  raise(v.kind, v.top, window.map(Math.round) as Minute, baseline, context);
}

function raise(kind: Kind, event: FlowEvent, [packets, bytes, inBytes]: Minute, baseline: number, context: NetworkDetectionContext): void {
  const connection = connectionOf(event);
  context.emit({
    type: `Backdoor:EC2/DenialOfService.${kind}`,
    event,
    action: connectionAction(event, connection, context.intel),
    resourceRole: 'ACTOR',
    remoteIp: connection.remoteIp ?? undefined,
    vars: { packets, minutes: WINDOW },
    // inBytes is one of GuardDuty's own keys, a string there (guardduty.md §3.6); the rest are Gumshoe's counters, numbers.
    additionalInfo: { packets, bytes, inBytes: String(inBytes), packetsPerSecond: Math.round(packets / (WINDOW * 60)), baselinePackets: Math.round(baseline), windowMinutes: WINDOW },
  });
}

function spec(kind: Kind): FindingTypeSpec {
  return {
    type: `Backdoor:EC2/DenialOfService.${kind}`,
    dataSource: 'VPCFlowLogs',
    severity: 8,
    resourceType: 'Instance',
    mitre: { tactic: 'TA0040 Impact', technique: 'T1498 Network Denial of Service' },
    title: `EC2 instance {instance} is behaving in a manner that may indicate it is being used to perform a Denial of Service (DoS) attack using ${KINDS[kind]}.`,
    description: `EC2 instance {instance} sent {packets} small packets to the internet within {minutes} minutes using ${KINDS[kind]}, the latest to {ip}, far above its usual volume. The instance may be compromised and part of a botnet.`,
    remediation: 'Isolate the instance (a security group without egress rules stops the flood), then investigate how it was compromised; rebuild it from a known-good image.',
  };
}

const KIND_LIST = Object.keys(KINDS) as Kind[];
const flood = (o: { dst: string; dstPort: number; protocol: 'tcp' | 'udp'; packets: number; size: number; start: string; minutes: number; srcPort?: number; src?: string; direction?: 'egress' }) =>
  each(spaced(o.start, o.minutes, 60), (time) => [
    flowLine({ src: o.src ?? CASE_PRIVATE_IP, dst: o.dst, srcPort: o.srcPort ?? 45_123, dstPort: o.dstPort, protocol: o.protocol, packets: o.packets, bytes: o.packets * o.size, time, tcpFlags: o.protocol === 'tcp' ? 2 : 0, direction: o.direction }),
  ]);
/** A later NTP query (UDP too), so the UDP window before it is judged when its minute is over, not at the end of the run. */
const ntpLater = (time: string) => [flowLine({ src: CASE_PRIVATE_IP, dst: '129.6.15.28', srcPort: 38_123, dstPort: 123, protocol: 'udp', packets: 1, bytes: 76, time })];
/** A record of another IP protocol (flowLine knows tcp, udp and icmp). */
const withProtocol = (line: string, protocol: number) => line.split(' ').map((field, i) => (i === 7 ? String(protocol) : i === 5 || i === 6 ? '0' : field)).join(' ');

const cases = (): NetworkCase[] => [
  {
    name: 'a DNS query flood at a public name server (no answers come back)',
    flows: flood({ dst: '203.0.113.53', dstPort: 53, protocol: 'udp', packets: 80_000, size: 72, start: '2026-11-02T10:00:00Z', minutes: 5 }),
    expect: ['Backdoor:EC2/DenialOfService.Dns'],
  },
  {
    name: 'hping3 SYN flood with a fixed source port against a web server',
    flows: flood({ dst: '198.51.100.80', dstPort: 443, protocol: 'tcp', packets: 150_000, size: 54, start: '2026-11-02T10:00:00Z', minutes: 3 }),
    expect: ['Backdoor:EC2/DenialOfService.Tcp'],
  },
  {
    name: 'GuardDuty tester DenialOfService-UDP.sh: 400,000 256-byte datagrams to port 80 of one host',
    flows: [...flood({ dst: '198.51.100.60', dstPort: 80, protocol: 'udp', packets: 100_000, size: 284, start: '2026-11-02T10:00:00Z', minutes: 4 }), ...ntpLater('2026-11-02T10:20:00Z')],
    expect: ['Backdoor:EC2/DenialOfService.Udp'],
  },
  {
    name: 'a UDP flood aimed at SSH (port 22)',
    flows: flood({ dst: '198.51.100.81', dstPort: 22, protocol: 'udp', packets: 60_000, size: 540, start: '2026-11-02T10:00:00Z', minutes: 4 }),
    expect: ['Backdoor:EC2/DenialOfService.UdpOnTcpPorts'],
  },
  {
    name: 'an IGMP flood (IP protocol 2)',
    flows: flood({ dst: '198.51.100.82', dstPort: 0, protocol: 'udp', packets: 90_000, size: 60, start: '2026-11-02T10:00:00Z', minutes: 3 }).map((line) => withProtocol(line, 2)),
    expect: ['Backdoor:EC2/DenialOfService.UnusualProtocol'],
  },
  {
    name: 'a 3-minute IGMP flood across the 5-minute mark (10:04–10:07), which clock-aligned buckets would split in two',
    flows: flood({ dst: '198.51.100.83', dstPort: 0, protocol: 'udp', packets: 40_000, size: 60, start: '2026-11-02T10:04:00Z', minutes: 3 }).map((line) => withProtocol(line, 2)),
    expect: ['Backdoor:EC2/DenialOfService.UnusualProtocol'],
  },
  {
    name: 'a 3-minute SYN flood across the 5-minute mark (10:04–10:07)',
    flows: flood({ dst: '198.51.100.84', dstPort: 443, protocol: 'tcp', packets: 40_000, size: 54, start: '2026-11-02T10:04:00Z', minutes: 3 }),
    expect: ['Backdoor:EC2/DenialOfService.Tcp'],
  },
  {
    name: 'a UDP flood at an IPv6 host from a dual-stack instance (v5 records)',
    flows: flood({ src: CASE_IPV6, dst: '2001:db8:d05:1::80', dstPort: 9987, protocol: 'udp', packets: 60_000, size: 120, start: '2026-11-02T11:00:00Z', minutes: 4, direction: 'egress' }),
    expect: ['Backdoor:EC2/DenialOfService.Udp'],
  },
  {
    name: 'an IPv6-only instance SYN-floods an IPv4 web server through NAT64 (v2 records without flow-direction)',
    flows: flood({ src: CASE_IPV6, dst: '64:ff9b::cb00:7150', dstPort: 443, protocol: 'tcp', packets: 150_000, size: 74, start: '2026-11-02T12:00:00Z', minutes: 3 }),
    expect: ['Backdoor:EC2/DenialOfService.Tcp'],
  },
  {
    name: 'an IPv6 mail server resolves 500,000 names per 5 minutes through the AWS resolver fd00:ec2::253 (no flow-direction)',
    flows: each(spaced('2026-11-02T13:00:00Z', 6, 60), (time) => [
      flowLine({ src: CASE_IPV6, dst: 'fd00:ec2::253', srcPort: 20_000, dstPort: 53, protocol: 'udp', packets: 100_000, bytes: 7_200_000, time }),
    ]),
    expect: [],
  },
  {
    name: 'a multicast storm on the link (IPv6 neighbour discovery, DHCPv6, mDNS): floods of small packets to link-scope groups',
    flows: each(spaced('2026-11-02T14:00:00Z', 6, 60), (time) => [
      flowLine({ src: 'fe80::4a1:1fff:fe23:4567', dst: 'ff02::1:ff00:25', protocol: 'icmpv6', packets: 120_000, bytes: 86 * 120_000, time, direction: 'egress' }),
      flowLine({ src: 'fe80::4a1:1fff:fe23:4567', dst: 'ff02::1:2', srcPort: 546, dstPort: 547, protocol: 'udp', packets: 110_000, bytes: 98 * 110_000, time, direction: 'egress' }),
      flowLine({ src: CASE_IPV6, dst: 'ff02::fb', srcPort: 5353, dstPort: 5353, protocol: 'udp', packets: 105_000, bytes: 90 * 105_000, time }),
    ]),
    expect: [],
  },
  {
    name: 'a metrics relay always sends ~90,000 small UDP packets per 5 minutes; a busy half hour at 6× stays within its baseline',
    flows: [
      ...flood({ dst: '198.51.100.90', dstPort: 8125, protocol: 'udp', packets: 18_000, size: 180, start: '2026-11-02T08:00:00Z', minutes: 120 }),
      ...flood({ dst: '198.51.100.90', dstPort: 8125, protocol: 'udp', packets: 108_000, size: 180, start: '2026-11-02T10:00:00Z', minutes: 30 }),
      ...ntpLater('2026-11-02T10:45:00Z'),
    ],
    expect: [],
  },
  {
    name: 'a recursive resolver sends 500,000 queries per 5 minutes but receives larger answers',
    flows: each(spaced('2026-11-02T10:00:00Z', 10, 60), (time, i) =>
      Array.from({ length: 10 }, (_, n) => `${[192, 199, 205][n % 3]}.${(n * 37 + i) % 250}.${n + 1}.${i + 1}`).flatMap((server, n) => [
        flowLine({ src: CASE_PRIVATE_IP, dst: server, srcPort: 20_000 + n, dstPort: 53, protocol: 'udp', packets: 10_000, bytes: 720_000, time }),
        flowLine({ src: server, dst: CASE_PRIVATE_IP, srcPort: 53, dstPort: 20_000 + n, protocol: 'udp', packets: 10_000, bytes: 2_400_000, time }),
      ]),
    ),
    expect: [],
  },
  {
    name: 'a 40 GB download: the instance sends a stream of small ACKs but receives far more',
    flows: each(spaced('2026-11-02T10:00:00Z', 8, 60), (time) => [
      flowLine({ src: CASE_PRIVATE_IP, dst: '151.101.2.132', srcPort: 41_500, dstPort: 443, packets: 200_000, bytes: 10_400_000, time, tcpFlags: 0 }),
      flowLine({ src: '151.101.2.132', dst: CASE_PRIVATE_IP, srcPort: 443, dstPort: 41_500, packets: 400_000, bytes: 5_000_000_000, time, tcpFlags: 0 }),
    ]),
    expect: [],
  },
  {
    name: 'GuardDuty tester (earlier versions): 400,000 UDP datagrams of 1 KB to port 80, nothing back',
    flows: flood({ dst: '198.51.100.86', dstPort: 80, protocol: 'udp', packets: 400_000, size: 1_052, start: '2026-11-02T15:00:00Z', minutes: 1 }),
    expect: ['Backdoor:EC2/DenialOfService.Udp'],
  },
  {
    name: 'a bandwidth flood of 1,400-byte datagrams at a game server, 3 minutes',
    flows: flood({ dst: '198.51.100.87', dstPort: 27_015, protocol: 'udp', packets: 150_000, size: 1_428, start: '2026-11-02T16:00:00Z', minutes: 3 }),
    expect: ['Backdoor:EC2/DenialOfService.Udp'],
  },
  {
    name: 'a log shipper sends 1 KB syslog datagrams one way to a public collector, 800 a second for half an hour',
    flows: [...flood({ dst: '198.51.100.88', dstPort: 514, protocol: 'udp', packets: 48_000, size: 1_052, start: '2026-11-02T10:00:00Z', minutes: 30 }), ...ntpLater('2026-11-02T10:45:00Z')],
    expect: [],
  },
  {
    name: 'a live video encoder streams 1,200-byte RTP datagrams, 1,500 a second, and the media server sends RTCP reports back',
    flows: [
      ...each(spaced('2026-11-02T10:00:00Z', 20, 60), (time) => [
        flowLine({ src: CASE_PRIVATE_IP, dst: '198.51.100.89', srcPort: 41_000, dstPort: 5_004, protocol: 'udp', packets: 90_000, bytes: 90_000 * 1_228, time }),
        flowLine({ src: '198.51.100.89', dst: CASE_PRIVATE_IP, srcPort: 5_004, dstPort: 41_000, protocol: 'udp', packets: 60, bytes: 60 * 80, time }),
      ]),
      ...ntpLater('2026-11-02T10:45:00Z'),
    ],
    expect: [],
  },
  {
    name: 'a nightly 50 GB backup upload in full-size packets',
    flows: each(spaced('2026-11-02T01:00:00Z', 30, 60), (time) => [
      flowLine({ src: CASE_PRIVATE_IP, dst: '52.216.100.5', srcPort: 43_210, dstPort: 443, packets: 1_200_000, bytes: 1_700_000_000, time, tcpFlags: 0 }),
      flowLine({ src: '52.216.100.5', dst: CASE_PRIVATE_IP, srcPort: 443, dstPort: 43_210, packets: 600_000, bytes: 31_200_000, time, tcpFlags: 0 }),
    ]),
    expect: [],
  },
  {
    name: 'a busy web server answers its clients with small responses (replies never count)',
    flows: each(spaced('2026-11-02T10:00:00Z', 10, 60), (time, i) => [
      flowLine({ src: '192.0.2.10', dst: CASE_PRIVATE_IP, srcPort: 50_000 + i, dstPort: 443, packets: 150_000, bytes: 30_000_000, time, tcpFlags: 2 }),
      flowLine({ src: CASE_PRIVATE_IP, dst: '192.0.2.10', srcPort: 443, dstPort: 50_000 + i, packets: 150_000, bytes: 45_000_000, time, tcpFlags: 18 }),
    ]),
    expect: [],
  },
];

export const denialOfService: FlowDetection = {
  id: 'network-denial-of-service',
  source: 'vpcflow',
  types: KIND_LIST.map(spec),
  onFlow(flow, context) {
    const { connection, remotePublic } = viewOf(flow);
    if (connection.direction !== 'OUTBOUND' || !remotePublic) return;
    const kind = kindOf(flow.protocol, connection.remotePort);
    const instance = instanceKey(flow);
    if (!kind || instance === null) return;
    const table = volumes(context);
    const key = `${instance}|${kind}`;
    const minute = minuteOf(flow.time);
    let v = table.get(key);
    if (!v) table.set(key, (v = newVolume(kind, minute)));
    if (minute > v.t) advance(v, minute, context);
    // A late record counts in its minutes while they are held.
    if (!slotOf(v, minute)) return;
    if (!connection.request) {
      count(v, flow, [0, 0, flow.bytes]);
      return;
    }
    count(v, flow, [flow.packets, flow.bytes, 0]);
    if (!v.top || minuteOf(v.top.time) <= v.t - WINDOW || flow.packets > v.top.packets) v.top = flow;
  },
  finish(context) {
    const table = volumes(context);
    // The open window, and those ending in the minutes the last records reach: no later record may come.
    for (const v of table.values()) for (let end = v.t; end <= v.t + (v.a?.length ?? 0); end++) judge(v, context, end);
    // A baseline below floor / multiple never changes the threshold: such classes need not be stored.
    table.retain((v) => v.a !== undefined || v.m.some(([packets]) => packets > 0) || DOS.multiple * decayedPeak(v, v.t * MINUTE) >= DOS.floor);
  },
  cases,
};
