import { parseIpv4, parseIpv4Range, parseIpv6, parseIpv6Range, RangeIndex } from '../../intel/ip.js';
import { type BoundedMap, boundedMap, DAY, getEntry, HOUR, setEntry } from '../cloudtrail/gumshoe-common.js';
import type { FlowDetection, NetworkCase, NetworkDetectionContext } from '../detection.js';
import type { FlowEvent } from '../network-event.js';
import { CASE_IPV6, flowLine } from '../network-records.js';
import { type Connection, connectionAction, connectionOf, instanceKey } from './connection.js';
import { connectionLines, everyMinute } from './flow-case-builders.js';
import { viewOf } from './flow-windows.js';

/**
 * The first-seen flow types (guardduty.md §2.3 #7, 8, 11, 12, 13): what an instance does on the internet
 * that its own history has not shown. Per instance (its instance id, else its network interface) a bounded
 * history is kept from the first record seen; nothing is raised until `learningDays` have passed since
 * then. Only ACCEPTed TCP/UDP connections the instance opened to a public address count (connectionOf:
 * both records of a connection, and never the replies of connections others opened to the instance), so a
 * server answering clients on their ephemeral ports teaches and raises nothing. A TCP record of headers only
 * (at most PROBE.packets packets, PROBE.bytes bytes: a scan's SYN, its RST answer, a connect-and-close)
 * communicated nothing: it neither teaches nor raises any of these types, so a port scan is Recon:EC2/Portscan
 * alone (scans.ts), not a finding per scanned port, and the RST of a probed port 53 does not make the
 * scanned host a resolver. Such a record still completes a waiting connection's byte counts.
 *
 * - Backdoor:EC2/Spambot: port 25 to at least SPAM_MIN_HOSTS remote hosts the instance never mailed
 *   before within SPAM_WINDOW, by an instance that mailed fewer than SPAM_MIN_HOSTS hosts while learning
 *   (one that did is a mail server).
 * - Behavior:EC2/NetworkPortUnusual: a remote server port the instance has not used (up to MAX_PORTS
 *   remembered) and fewer than FLEET_COMMON other instances of its account have used. Medium; High on
 *   389/1389 (LDAP, the log4j JNDI callback) with `context`. Ports 25, 53 and 853 are left to the types
 *   above and below. `additionalInfo.unusual` is the port, as GuardDuty writes it (a string). One finding
 *   per instance and remote host (GuardDuty updates a finding with the latest occurrence: a service scanned
 *   port by port with data is one finding whose count grows, `unusual` its latest port). Raised once both records of the connection are in (the request and the reply are logged
 *   apart), so `outBytes` and `inBytes` are both there, as in GuardDuty's; a record whose other half never
 *   comes is raised at the end of the run with 0 for the missing direction.
 * - DefenseEvasion:EC2/UnusualDNSResolver: port 53 to a public resolver not used within RECENT; skipped for
 *   instances that talked to RECURSIVE_MIN or more port-53 servers while learning (they are resolvers).
 * - DefenseEvasion:EC2/UnusualDoHActivity: port 443 to a public DoH server (DOH_SERVERS) not used within
 *   RECENT. Flow logs cannot see HTTP, so the server list is the evidence.
 * - DefenseEvasion:EC2/UnusualDoTActivity: port 853 (DoT, and DoQ over UDP) to a server not used within
 *   RECENT.
 */
const SPAMBOT = 'Backdoor:EC2/Spambot';
const PORT_UNUSUAL = 'Behavior:EC2/NetworkPortUnusual';
const RESOLVER = 'DefenseEvasion:EC2/UnusualDNSResolver';
const DOH = 'DefenseEvasion:EC2/UnusualDoHActivity';
const DOT = 'DefenseEvasion:EC2/UnusualDoTActivity';

const TCP = 6;
const UDP = 17;
const SPAM_MIN_HOSTS = 5;
const SPAM_WINDOW_MS = HOUR;
const RECURSIVE_MIN = 20;
/** "Recently": a resolver, DoH or DoT server unused this long is new again. */
const RECENT_MS = 30 * DAY;
/** A use refreshes the remembered time (and the entry's place in the eviction order) at most this often. */
const REFRESH_MS = HOUR;
const LOG4J_PORTS = new Set([389, 1389]);
const MAX_PORTS = 512;
/** A server port this many other instances of the account use is not unusual for one more. */
const FLEET_COMMON = 3;
const MAX_FLEET_PORTS = 4096;
const MAX_SMTP_HOSTS = 256;
const MAX_SERVERS = 64;
/** At most this many packets of headers only (SYN 60 bytes with options, ACK and RST 40–52): nothing was said. */
const PROBE = { packets: 3, bytes: 180 } as const;

/** A TCP record that carried no data: a probe, its answer, or a connect-and-close. */
const headersOnly = (flow: FlowEvent) => flow.protocol === TCP && flow.packets <= PROBE.packets && flow.bytes <= PROBE.bytes;

/**
 * Public DoH services' anycast addresses, from each provider's documentation: Google Public DNS
 * (developers.google.com/speed/public-dns), Cloudflare 1.1.1.1 incl. for Families
 * (developers.cloudflare.com/1.1.1.1/ip-addresses), Quad9 (quad9.net/service/service-addresses-and-features),
 * OpenDNS / Cisco Umbrella incl. FamilyShield and doh.opendns.com, AdGuard DNS (adguard-dns.io/kb), NextDNS
 * (anycast ranges), CleanBrowsing (cleanbrowsing.org/filters), Control D (freedns.controld.com), Mullvad
 * (mullvad.net/help/dns-over-https-and-tls), DNS.SB (dns.sb), AliDNS (alidns.com), DNSPod (doh.pub).
 */
const DOH_SERVERS: Record<string, string[]> = {
  Google: ['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844'],
  Cloudflare: [
    '1.1.1.1', '1.0.0.1', '1.1.1.2', '1.0.0.2', '1.1.1.3', '1.0.0.3',
    '2606:4700:4700::1111', '2606:4700:4700::1001', '2606:4700:4700::1112', '2606:4700:4700::1002', '2606:4700:4700::1113', '2606:4700:4700::1003',
  ],
  Quad9: [
    '9.9.9.9', '149.112.112.112', '9.9.9.10', '149.112.112.10', '9.9.9.11', '149.112.112.11',
    '2620:fe::fe', '2620:fe::9', '2620:fe::10', '2620:fe::fe:10', '2620:fe::11', '2620:fe::fe:11',
  ],
  OpenDNS: ['208.67.222.222', '208.67.220.220', '208.67.222.123', '208.67.220.123', '146.112.41.2', '2620:119:35::35', '2620:119:53::53', '2620:119:fc::2'],
  AdGuard: [
    '94.140.14.14', '94.140.15.15', '94.140.14.15', '94.140.15.16', '94.140.14.140', '94.140.14.141',
    '2a10:50c0::ad1:ff', '2a10:50c0::ad2:ff', '2a10:50c0::bad1:ff', '2a10:50c0::bad2:ff', '2a10:50c0::1:ff', '2a10:50c0::2:ff',
  ],
  NextDNS: ['45.90.28.0/24', '45.90.30.0/24', '2a07:a8c0::/32', '2a07:a8c1::/32'],
  CleanBrowsing: ['185.228.168.9', '185.228.169.9', '185.228.168.10', '185.228.169.11', '185.228.168.168', '185.228.169.168'],
  ControlD: ['76.76.2.0', '76.76.10.0'],
  Mullvad: ['194.242.2.0/28'],
  'DNS.SB': ['185.222.222.222', '45.11.45.11'],
  AliDNS: ['223.5.5.5', '223.6.6.6'],
  DNSPod: ['1.12.12.12', '120.53.53.53'],
};

const entries = Object.entries(DOH_SERVERS).flatMap(([provider, prefixes]) => prefixes.map((prefix) => ({ provider, prefix })));
const DOH_V4 = new RangeIndex(entries.flatMap(({ provider, prefix }) => {
  const range = parseIpv4Range(prefix);
  return range ? [{ ...range, payload: provider }] : [];
}));
const DOH_V6 = new RangeIndex<string, bigint>(entries.flatMap(({ provider, prefix }) => {
  const range = prefix.includes(':') ? parseIpv6Range(prefix) : undefined;
  return range ? [{ ...range, payload: provider }] : [];
}));

/** The DoH provider behind an address, if it is a known public DoH server. */
export function dohProvider(ip: string): string | undefined {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return DOH_V4.find(v4)[0];
  const v6 = parseIpv6(ip);
  return v6 === undefined ? undefined : DOH_V6.find(v6)[0];
}

interface History {
  /** Earliest record seen for the instance, whatever order records came in: its learning period starts here. */
  since: number;
  /** Remote server port → last use. */
  ports: BoundedMap<number>;
  /** Port-25 host → last use. */
  smtp: BoundedMap<number>;
  /** Distinct port-25 hosts while learning. */
  learnedSmtp: number;
  /** The current window of port-25 hosts new after learning. */
  spam: { start: number; hosts: number } | null;
  /** Port-53 server → last use. */
  resolvers: BoundedMap<number>;
  /** Distinct port-53 servers while learning. */
  learnedResolvers: number;
  /** DoH server (port 443) → last use. */
  doh: BoundedMap<number>;
  /** Port-853 server → last use. */
  dot: BoundedMap<number>;
}

const newHistory = (time: number): History => ({
  since: time,
  ports: boundedMap(),
  smtp: boundedMap(),
  learnedSmtp: 0,
  spam: null,
  resolvers: boundedMap(),
  learnedResolvers: 0,
  doh: boundedMap(),
  dot: boundedMap(),
});

/** Asked for on every record, so that the state knows when the instance was last seen (StateStore). */
function historyOf(context: NetworkDetectionContext, key: string, time: number): History {
  return context.state<History>(`i:${key}`, () => newHistory(time));
}

/**
 * Records that instance `key` uses server `port`; says whether FLEET_COMMON other instances of the account
 * used it before (then it is ordinary there: package mirrors on 80, NTP pools on 123, the fleet's APIs).
 */
function fleetUses(context: NetworkDetectionContext, accountId: string | null, port: number, key: string): boolean {
  const fleet = context.state<BoundedMap<string[]>>(`fleet:${accountId ?? 'unknown'}`, boundedMap);
  const users = getEntry(fleet, String(port)) ?? [];
  const common = users.length >= FLEET_COMMON;
  if (!common && !users.includes(key)) setEntry(fleet, String(port), [...users, key], MAX_FLEET_PORTS);
  return common;
}

/** Records a use of `key`; returns its previous use (undefined: never, as far as remembered). */
function use(map: BoundedMap<number>, key: string, time: number, cap: number): number | undefined {
  const last = getEntry(map, key);
  if (last === undefined || time - last >= REFRESH_MS) setEntry(map, key, time, cap);
  return last;
}

const stale = (last: number | undefined, time: number) => last === undefined || time - last >= RECENT_MS;

function emit(
  context: NetworkDetectionContext,
  type: string,
  flow: FlowEvent,
  connection: Readonly<Connection>,
  extra: { severity?: number; aggregateBy?: string; additionalInfo: Record<string, unknown>; related?: FlowEvent[] },
): void {
  context.emit({
    type,
    event: flow,
    action: connectionAction(flow, connection, context.intel),
    resourceRole: 'ACTOR',
    remoteIp: connection.remoteIp!,
    ...extra,
    vars: { port: connection.remotePort!, unusual: String(extra.additionalInfo.unusual) },
  });
}

/** Connections to an unusual port whose first record is in, waiting for the other record (by pairKey). */
const awaitingPair = new WeakMap<NetworkDetectionContext, Map<string, FlowEvent>>();
const pairKey = (instance: string, connection: Readonly<Connection>) => `${instance}|${connection.remoteIp}|${connection.remotePort}|${connection.localPort}`;

function awaiting(context: NetworkDetectionContext): Map<string, FlowEvent> {
  let waiting = awaitingPair.get(context);
  if (!waiting) awaitingPair.set(context, (waiting = new Map()));
  return waiting;
}

/** NetworkPortUnusual for a connection's records (one, or the request and the reply), with the bytes each way. */
function raisePortUnusual(context: NetworkDetectionContext, records: FlowEvent[]): void {
  const first = records.find((record) => connectionOf(record).request) ?? records[0]!;
  const connection = connectionOf(first);
  const port = connection.remotePort!;
  const log4j = LOG4J_PORTS.has(port);
  const bytes = (sent: boolean) => records.reduce((sum, record) => sum + ((record.srcIp === connection.localIp) === sent ? record.bytes : 0), 0);
  emit(context, PORT_UNUSUAL, first, connection, {
    ...(log4j ? { severity: 8 } : {}),
    aggregateBy: connection.remoteIp!,
    additionalInfo: {
      unusual: String(port),
      localPort: String(connection.localPort ?? ''),
      outBytes: String(bytes(true)),
      inBytes: String(bytes(false)),
      ...(log4j ? { context: 'Possible log4j callback' } : {}),
    },
    related: records.filter((record) => record !== first),
  });
}

// ---- cases ----

const LEARN = { learningDays: 1 };
/** A day of an ordinary app server: package mirrors and APIs over HTTPS/HTTP, NTP and DNS to AWS, and an admin's SSH. */
const ordinaryDay = (date: string) => [
  ...everyMinute(`${date}T06:00:00Z`, 12, (time, i) => connectionLines({ remote: `151.101.${i % 4}.${132 + i}`, opener: 'instance', port: 443, time, bytesDown: 1_800_000 })),
  ...connectionLines({ remote: '91.189.91.81', opener: 'instance', port: 80, time: `${date}T06:20:00Z`, bytesDown: 25_000_000 }),
  ...connectionLines({ remote: '169.254.169.123', opener: 'instance', port: 123, protocol: 'udp', time: `${date}T06:21:00Z` }),
  ...connectionLines({ remote: '10.0.0.2', opener: 'instance', port: 53, protocol: 'udp', time: `${date}T06:21:30Z` }),
  ...connectionLines({ remote: '198.51.100.14', opener: 'remote', port: 22, time: `${date}T09:00:00Z`, bytesUp: 8_000, bytesDown: 24_000 }),
];
const day1 = ordinaryDay('2026-11-02');
/** Eight ordinary days up to 2026-11-02: past the default learning period, as the simulator replays cases. */
const week = Array.from({ length: 8 }, (_, i) => ordinaryDay(new Date(Date.parse('2026-10-26T00:00:00Z') + i * DAY).toISOString().slice(0, 10))).flat();
const MX_HOSTS = Array.from({ length: 12 }, (_, i) => `203.0.113.${20 + i}`);
/** Ports 30–69 of one public host, one connection a second from 12:00 on 2026-11-03: `bytesUp`/`bytesDown` each (44/40: SYN and RST, nmap -sT). */
export const portScan = (bytesUp = 44, bytesDown = 40) =>
  Array.from({ length: 40 }, (_, i) => connectionLines({ remote: '45.79.40.40', opener: 'instance', port: 30 + i, clientPort: 50_000 + i, time: `2026-11-03T12:00:${String(i).padStart(2, '0')}Z`, bytesUp, bytesDown })).flat();

const cases = (): NetworkCase[] => [
  {
    name: 'after a day of ordinary traffic, the instance connects out to 4444',
    flows: [...week, ...ordinaryDay('2026-11-03'), ...connectionLines({ remote: '203.0.113.50', opener: 'instance', port: 4444, time: '2026-11-03T13:37:00Z', bytesUp: 90_000 })],
    expect: [PORT_UNUSUAL],
  },
  {
    name: 'a log4j JNDI callback to LDAP 1389 (High, context set)',
    flows: [...week, ...connectionLines({ remote: '198.51.100.99', opener: 'instance', port: 1389, time: '2026-11-03T13:37:00Z', bytesUp: 400, bytesDown: 2_100 })],
    expect: [PORT_UNUSUAL],
  },
  {
    name: 'an instance that never sent mail connects to 12 MX hosts on port 25 in ten minutes',
    flows: [...week, ...MX_HOSTS.flatMap((mx, i) => connectionLines({ remote: mx, opener: 'instance', port: 25, time: `2026-11-03T12:${String(10 + i).padStart(2, '0')}:00Z`, bytesUp: 48_000 }))],
    expect: [SPAMBOT],
  },
  {
    name: 'an instance starts resolving through 8.8.8.8 instead of the VPC resolver',
    flows: [...week, ...everyMinute('2026-11-03T12:00:00Z', 4, (time) => connectionLines({ remote: '8.8.8.8', opener: 'instance', port: 53, protocol: 'udp', time, bytesUp: 74, bytesDown: 90 }))],
    expect: [RESOLVER],
  },
  {
    name: 'DNS over HTTPS to Cloudflare 1.1.1.1 and over IPv6 to Google, new for the instance',
    flows: [
      ...week,
      ...connectionLines({ remote: '1.1.1.1', opener: 'instance', port: 443, time: '2026-11-03T12:00:00Z', bytesUp: 2_900, bytesDown: 6_400 }),
      ...connectionLines({ remote: '2001:4860:4860::8888', local: '2600:1f18:6a4:b100::25', opener: 'instance', port: 443, time: '2026-11-03T12:05:00Z' }),
    ],
    expect: [DOH],
  },
  {
    name: 'after a week, a dual-stack instance opens an IPv6 reverse shell to port 4444 (v5 records)',
    flows: [...week, ...connectionLines({ remote: '2001:db8:c2:4444::1', local: CASE_IPV6, opener: 'instance', port: 4444, time: '2026-11-03T13:37:00Z', bytesUp: 90_000 })],
    expect: [PORT_UNUSUAL],
  },
  {
    name: 'after a week, an IPv6-only instance reaches IRC on an IPv4 host through NAT64 (v2 records without flow-direction)',
    flows: [...week, ...connectionLines({ remote: '64:ff9b::cb00:711a', local: CASE_IPV6, opener: 'instance', port: 6667, time: '2026-11-03T13:40:00Z', bytesUp: 3_000, withDirection: false })],
    expect: [PORT_UNUSUAL],
  },
  {
    name: 'DNS over TLS to Quad9 on 853',
    flows: [...week, ...connectionLines({ remote: '9.9.9.9', opener: 'instance', port: 853, time: '2026-11-03T12:00:00Z', bytesUp: 1_200, bytesDown: 3_400 })],
    expect: [DOT],
  },
  {
    name: 'nmap -sT of 40 ports of one public host after learning (SYN answered by RST): no port is used, 53 is no resolver',
    flows: [...week, ...portScan()],
    expect: [],
  },
  {
    name: 'a banner-grabbing scan of 40 ports of one host (data on each) is one finding for that host',
    flows: [...week, ...portScan(900, 2_400)],
    expect: [PORT_UNUSUAL, RESOLVER],
  },
  {
    name: 'everything new happens inside the learning period: nothing is raised',
    flows: [
      ...day1,
      ...connectionLines({ remote: '203.0.113.50', opener: 'instance', port: 4444, time: '2026-11-02T13:37:00Z' }),
      ...MX_HOSTS.flatMap((mx, i) => connectionLines({ remote: mx, opener: 'instance', port: 25, time: `2026-11-02T14:${String(10 + i).padStart(2, '0')}:00Z` })),
      ...connectionLines({ remote: '8.8.8.8', opener: 'instance', port: 53, protocol: 'udp', time: '2026-11-02T15:00:00Z' }),
      ...connectionLines({ remote: '1.1.1.1', opener: 'instance', port: 443, time: '2026-11-02T15:01:00Z' }),
      ...connectionLines({ remote: '9.9.9.9', opener: 'instance', port: 853, time: '2026-11-02T15:02:00Z' }),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'the default seven-day learning period is still running on day three',
    flows: [...day1, ...connectionLines({ remote: '203.0.113.50', opener: 'instance', port: 4444, time: '2026-11-04T13:37:00Z' })],
    expect: [],
  },
  {
    name: 'the next days repeat the baseline with new CDN addresses and a 40 GB backup to S3 over HTTPS',
    flows: [
      ...day1,
      ...ordinaryDay('2026-11-03'),
      ...everyMinute('2026-11-04T01:00:00Z', 30, (time, i) => connectionLines({ remote: `52.216.${40 + i}.${10 + i}`, opener: 'instance', port: 443, time, bytesUp: 1_400_000_000, bytesDown: 900_000 })),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'a port three other instances of the account use (MQTT over TLS to IoT Core) is not unusual for a fourth',
    flows: [
      ...day1,
      ...['a', 'b', 'c'].flatMap((id, i) =>
        connectionLines({ remote: `52.94.${200 + i}.17`, opener: 'instance', port: 8883, time: `2026-11-02T0${7 + i}:00:00Z`, instance: `i-0fleet00000000000${id}`, eni: `eni-0fleet0000000000${id}` }),
      ),
      ...connectionLines({ remote: '52.94.203.17', opener: 'instance', port: 8883, time: '2026-11-03T12:00:00Z' }),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'a web server answering clients on their ephemeral ports (no flow-direction field) learns and raises nothing',
    flows: [
      ...day1,
      ...everyMinute('2026-11-03T10:00:00Z', 20, (time, i) => connectionLines({ remote: `198.51.100.${100 + i}`, opener: 'remote', port: 8443, clientPort: 33_000 + i * 997, time, withDirection: false })),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'a mail server keeps delivering to new MX hosts after learning',
    flows: [
      ...day1,
      ...MX_HOSTS.slice(0, 6).flatMap((mx, i) => connectionLines({ remote: mx, opener: 'instance', port: 25, time: `2026-11-02T1${i}:00:00Z` })),
      ...MX_HOSTS.slice(6).flatMap((mx, i) => connectionLines({ remote: mx, opener: 'instance', port: 25, time: `2026-11-03T10:0${i}:00Z` })),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'an app server starts sending its notifications through one new smarthost',
    flows: [...day1, ...everyMinute('2026-11-03T10:00:00Z', 30, (time) => connectionLines({ remote: '198.51.100.25', opener: 'instance', port: 25, time, bytesUp: 12_000 }))],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'resolvers used within the last 30 days, a recursive resolver, and HTTPS to a Cloudflare CDN address',
    flows: [
      ...day1,
      ...connectionLines({ remote: '8.8.8.8', opener: 'instance', port: 53, protocol: 'udp', time: '2026-11-02T12:00:00Z' }),
      ...connectionLines({ remote: '8.8.8.8', opener: 'instance', port: 53, protocol: 'udp', time: '2026-11-20T12:00:00Z' }),
      ...connectionLines({ remote: '104.16.132.229', opener: 'instance', port: 443, time: '2026-11-20T12:01:00Z' }),
      // A recursive resolver talks to root, TLD and authoritative servers from its first day.
      ...Array.from({ length: 25 }, (_, i) => connectionLines({ remote: `192.0.2.${i + 1}`, opener: 'instance', port: 53, protocol: 'udp', time: '2026-11-02T08:00:00Z', instance: 'i-0unbound000000001', eni: 'eni-0unbound00000001' })).flat(),
      ...connectionLines({ remote: '198.51.100.53', opener: 'instance', port: 53, protocol: 'udp', time: '2026-11-04T08:00:00Z', instance: 'i-0unbound000000001', eni: 'eni-0unbound00000001' }),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'after learning, link-local IPv6 (mDNS, LLMNR, DHCPv6, neighbour discovery) and AWS’s IPv6 DNS, metadata and time services raise nothing',
    flows: [
      ...day1,
      ...connectionLines({ remote: 'ff02::fb', local: CASE_IPV6, opener: 'instance', port: 5353, clientPort: 5353, protocol: 'udp', time: '2026-11-03T10:00:00Z', bytesUp: 90 }),
      ...connectionLines({ remote: 'ff02::1:3', local: 'fe80::4a1:1fff:fe23:4567', opener: 'instance', port: 5355, clientPort: 51_000, protocol: 'udp', time: '2026-11-03T10:01:00Z', bytesUp: 80 }),
      ...connectionLines({ remote: 'ff02::1:2', local: 'fe80::4a1:1fff:fe23:4567', opener: 'instance', port: 547, clientPort: 546, protocol: 'udp', time: '2026-11-03T10:02:00Z', bytesUp: 120 }),
      flowLine({ src: 'fe80::4a1:1fff:fe23:4567', dst: 'ff02::1:ff00:1', protocol: 'icmpv6', packets: 2, bytes: 172, time: '2026-11-03T10:03:00Z', direction: 'egress' }),
      ...connectionLines({ remote: 'fd00:ec2::253', local: CASE_IPV6, opener: 'instance', port: 53, protocol: 'udp', time: '2026-11-03T10:04:00Z', bytesUp: 80, withDirection: false }),
      ...connectionLines({ remote: 'fd00:ec2::254', local: CASE_IPV6, opener: 'instance', port: 80, time: '2026-11-03T10:05:00Z', bytesUp: 400 }),
      ...connectionLines({ remote: 'fd00:ec2::123', local: CASE_IPV6, opener: 'instance', port: 123, clientPort: 123, protocol: 'udp', time: '2026-11-03T10:06:00Z', bytesUp: 76, withDirection: false }),
    ],
    settings: LEARN,
    expect: [],
  },
  {
    name: 'blocked attempts to new ports, IPv6 web traffic, and records without addresses teach and raise nothing',
    flows: [
      ...day1,
      ...connectionLines({ remote: '203.0.113.50', opener: 'instance', port: 6667, time: '2026-11-03T10:00:00Z', action: 'REJECT' }),
      ...connectionLines({ remote: '2a03:2880:f12f:83:face:b00c:0:25de', local: '2600:1f18:6a4:b100::25', opener: 'instance', port: 443, time: '2026-11-02T10:00:00Z' }),
      ...connectionLines({ remote: '2a03:2880:f12f:83:face:b00c:0:25de', local: '2600:1f18:6a4:b100::25', opener: 'instance', port: 443, time: '2026-11-03T10:00:00Z' }),
      '2 111122223333 eni-0123456789abcdef0 - - - - - - - 1793700000 1793700060 - NODATA - - - - -',
    ],
    settings: LEARN,
    expect: [],
  },
];

export const firstSeen: FlowDetection = {
  id: 'first-seen',
  source: 'vpcflow',
  types: [
    {
      type: SPAMBOT,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1496 Resource Hijacking' },
      title: 'EC2 instance {instance} is sending mail to many new hosts on port 25.',
      description: 'EC2 instance {instance}, which had no history of sending mail, is connecting to many remote hosts on port 25 (latest {ip}): it may be sending spam.',
      remediation: 'If the instance is not meant to send mail, isolate it and look for the process sending; send legitimate mail through Amazon SES or a relay, and block outbound port 25 elsewhere.',
    },
    {
      type: PORT_UNUSUAL,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0011 Command and Control', technique: 'T1571 Non-Standard Port' },
      title: 'EC2 instance {instance} is communicating with {ip} on unusual server port {port}.',
      description: 'EC2 instance {instance} opened a connection to {ip} on port {port}, a remote port it has not used before.',
      remediation: 'Check which process opened the connection and whether the service is expected; on LDAP ports (389, 1389) check the instance for the log4j (CVE-2021-44228) vulnerability.',
    },
    {
      type: RESOLVER,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1071.004 Application Layer Protocol: DNS' },
      title: 'EC2 instance {instance} is using an unusual public DNS resolver {ip}.',
      description: 'EC2 instance {instance} sent DNS traffic to public resolver {ip}, which it has not used in the last 30 days; DNS that bypasses the VPC resolver escapes DNS logging and DNS Firewall.',
      remediation: 'Check why the instance bypasses the VPC resolver; block outbound port 53 except to approved resolvers (security groups, network ACLs, Route 53 Resolver DNS Firewall).',
    },
    {
      type: DOH,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1572 Protocol Tunneling' },
      title: 'EC2 instance {instance} is using DNS over HTTPS through {ip}.',
      description: 'EC2 instance {instance} connected to {ip}, a public DNS-over-HTTPS server, on port 443; it has not done so in the last 30 days. DoH hides DNS lookups from DNS logging.',
      remediation: 'Check which process uses DoH (browsers and some malware do); block known DoH servers with a firewall or DNS Firewall policy if the VPC resolver should be used.',
    },
    {
      type: DOT,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1572 Protocol Tunneling' },
      title: 'EC2 instance {instance} is using DNS over TLS through {ip}.',
      description: 'EC2 instance {instance} connected to {ip} on port 853 (DNS over TLS), which it has not done in the last 30 days. DoT hides DNS lookups from DNS logging.',
      remediation: 'Check which process uses DoT; block outbound port 853 unless an approved resolver needs it.',
    },
  ],
  onFlow(flow, context) {
    const key = instanceKey(flow);
    if (key === null) return;
    const history = historyOf(context, key, flow.time);
    // Older logs ingested after newer ones (a backfill) move the learning period's start back.
    history.since = Math.min(history.since, flow.time);
    if (flow.action !== 'ACCEPT' || (flow.protocol !== TCP && flow.protocol !== UDP) || flow.srcIp === null || flow.dstIp === null) return;
    // A public remote end (IPv6: in a record that shows which end is the instance's, flow-windows.ts viewOf).
    const { connection, remotePublic } = viewOf(flow);
    const port = connection.remotePort;
    const remote = connection.remoteIp!;
    if (connection.direction !== 'OUTBOUND' || port === null || port === 0 || !remotePublic) return;
    const waiting = awaiting(context);
    const half = waiting.size > 0 ? waiting.get(pairKey(key, connection)) : undefined;
    if (half && half.srcIp !== flow.srcIp) {
      waiting.delete(pairKey(key, connection));
      raisePortUnusual(context, [half, flow]);
    }
    if (headersOnly(flow)) return;
    const time = flow.time;
    const learning = time - history.since < context.settings.learningDays * DAY;
    const unusual = { unusual: remote };

    if (port === 25) {
      if (use(history.smtp, remote, time, MAX_SMTP_HOSTS) !== undefined) return;
      if (learning) history.learnedSmtp++;
      if (learning || history.learnedSmtp >= SPAM_MIN_HOSTS) return;
      if (!history.spam || time - history.spam.start >= SPAM_WINDOW_MS) history.spam = { start: time, hosts: 0 };
      if (++history.spam.hosts >= SPAM_MIN_HOSTS) emit(context, SPAMBOT, flow, connection, { additionalInfo: { ...unusual, newHostsInWindow: history.spam.hosts } });
      return;
    }
    if (port === 53) {
      const last = use(history.resolvers, remote, time, MAX_SERVERS);
      if (learning && last === undefined) history.learnedResolvers++;
      if (!learning && history.learnedResolvers < RECURSIVE_MIN && stale(last, time)) emit(context, RESOLVER, flow, connection, { additionalInfo: unusual });
      return;
    }
    if (port === 853) {
      if (stale(use(history.dot, remote, time, MAX_SERVERS), time) && !learning) emit(context, DOT, flow, connection, { additionalInfo: unusual });
      return;
    }
    const provider = port === 443 ? dohProvider(remote) : undefined;
    if (provider && stale(use(history.doh, remote, time, MAX_SERVERS), time) && !learning) {
      emit(context, DOH, flow, connection, { additionalInfo: { ...unusual, dohProvider: provider } });
    }
    if (use(history.ports, String(port), time, MAX_PORTS) !== undefined) return;
    // First use by this instance: the account's fleet learns the port too, and a port common there is not unusual.
    const common = fleetUses(context, flow.accountId, port, key);
    if (learning || common) return;
    waiting.set(pairKey(key, connection), flow);
  },
  finish(context) {
    // Halves whose other record is not in this run: raised with what is known.
    const waiting = awaiting(context);
    for (const half of waiting.values()) raisePortUnusual(context, [half]);
    waiting.clear();
  },
  cases,
};
