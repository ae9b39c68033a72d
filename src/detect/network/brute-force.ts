import { unmapIpv4 } from '../../intel/ip.js';
import type { FlowDetection, FindingTypeSpec, NetworkCase, NetworkDetectionContext } from '../detection.js';
import { type FlowEvent, isPrivateIp } from '../network-event.js';
import { CASE_IPV6, CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { hostOf } from '../instance-inventory.js';
import { connectionAction, instanceKey } from './connection.js';
import { connectionLines } from './flow-case-builders.js';
import { each, spaced } from './flow-volume-cases.js';
import { DAY, Lru, MINUTE, persistedTable, viewOf } from './flow-windows.js';

/**
 * UnauthorizedAccess:EC2/SSHBruteForce, UnauthorizedAccess:EC2/RDPBruteForce and Impact:EC2/WinRMBruteForce
 * (guardduty.md §2.3 #23, 22, 15): many short authentication attempts from one address to one instance's
 * SSH (22), RDP (3389) or WinRM (5985/5986) port, or from the instance to one remote address's port.
 *
 * An attempt is the client's record of an ACCEPTed TCP connection to the service port, from the client's
 * side (the request record; replies are skipped), short enough to be a failed login and long enough to
 * have tried one: at least 600 bytes (a TCP connect-and-close, a banner grab or a load-balancer health check
 * sends ~100–300 bytes; an SSH key exchange alone is over 1 KB) and at most 100 packets (a working session
 * soon sends more). Attempts are counted per client port, so a long session logged once per aggregation
 * interval is one attempt. 20 attempts within 10 minutes (an exact sliding window) from one remote address
 * to one instance service raise the finding, on the attempt that reaches the count, with the window's first
 * attempt as its eventFirstSeen. Each further attempt while the attack goes on (until a whole window passes
 * without one) is a repeat of the same finding: its count and eventLastSeen follow the attack.
 *
 * REJECTed connections do not count: the security group or network ACL dropped the SYN, so no password
 * was tried. Surges of them are Recon:EC2/RejectedTrafficSurge.Gumshoe.
 *
 * Role: TARGET (Low) when the remote end opened the connections, ACTOR (High) when the instance did.
 * Remote ends are public addresses, or private ones when the flow-direction field says which interface
 * logged the record (flow-windows.ts FlowView.judged, which also says when IPv6 ends are judged). An IPv6
 * remote end counts as its /64 (FlowView.remoteGroup): an attacker rotating through its /64 is one source.
 *
 * Spraying (ACTOR only): a compromised instance rarely hammers one host; it tries a few logins on each of
 * many internet hosts, so no single address reaches 20. Per instance and service, every outbound attempt
 * to a public address that is also a whole short login (below) counts towards one total: 60 such attempts
 * within 10 minutes (the latest 60, an exact sliding window) that reach at least 20 distinct public
 * addresses raise the same ACTOR finding (High), on the attempt that completes them, first seen at the
 * window's first. Further attempts while it goes on are repeats, as above. A short login, beyond an
 * attempt's size rules: at most 16 KB sent (a failed SSH, RDP/NLA or WinRM login sends 2–6 KB; a session
 * that does work, or configuration management pushing a module, sends more) and, where the format logs
 * TCP flags, the record holds the connection's SYN (a connection is counted once, at its start, not in
 * every aggregation interval it stays open). What this leaves out is what a bastion or configuration
 * management host does: its targets are mostly private (VPC, peered networks, VPN), and it opens a few long
 * connections per host (ControlPersist), whose first records carry the key exchange and the module
 * upload and whose later records carry no SYN. Internal spraying across private addresses is therefore
 * not totalled (one private host hammered 20 times still is, with v5 flow logs), and REJECTed attempts
 * count nowhere, as above.
 *
 * Distributed attacks (TARGET, the mirror image): a botnet takes turns on one instance, each address below
 * 20. Per instance and service, inbound whole short logins (the same rules) from public addresses count
 * towards one total: the latest DISTRIBUTED.attempts (100) within 10 minutes, from at least 10 distinct
 * addresses, raise the TARGET finding (Low), titled after the group ("A group of 60 internet hosts (the
 * latest …)"). The bar is above a spray's because an exposed SSH port gets a few tries from internet scanners
 * all day (tens an hour, each scanner a handful); an admin's logins are few and long (a working session
 * sends over 16 KB); 10 addresses rather than 20, since a botnet's members may take their turns one after
 * the other (8 tries each: 13 addresses in the latest 100), and a handful of automated clients is not one.
 *
 * NAT gateways: a NAT interface logs each connection it forwards twice, as it arrives from the client
 * (10.0.1.21:sport → R:22) and after translation (its own 10.0.0.10:nport → R:22): the same packets and bytes
 * in the same second, from two private addresses (with pkt-dstaddr the lake stores the arriving record's
 * final destination; without it the arriving record is addressed to the NAT: 10.0.1.21 → 10.0.0.10:22). An
 * instance's interface sends a connection once, from its own address. Two such records on one interface
 * mark it as forwarding (NAT gateway, NAT instance; remembered in detection state), and its attempts are not
 * counted at all: they are the subnet's egress, not one host's, and each client's own interface (flow logs
 * on the VPC or subnet) judges that client. A NAT64 gateway's pair is an IPv6 client's record to
 * 64:ff9b::<host> and the NAT's IPv4 record to <host>, 20 bytes per packet smaller (IPv6's longer header).
 * Not caught, hence: a brute force seen only in a NAT's log, and a NAT instance's own attempts.
 */
const SERVICES = [
  { type: 'UnauthorizedAccess:EC2/SSHBruteForce', name: 'SSH', ports: [22] },
  { type: 'UnauthorizedAccess:EC2/RDPBruteForce', name: 'RDP', ports: [3389] },
  { type: 'Impact:EC2/WinRMBruteForce', name: 'WinRM', ports: [5985, 5986] },
] as const;
type Service = (typeof SERVICES)[number];
const BY_PORT: ReadonlyMap<number, Service> = new Map(SERVICES.flatMap((s) => s.ports.map((port) => [port, s] as const)));

const TCP = 6;
const SYN = 2;
const BRUTE_FORCE = { attempts: 20, windowMs: 10 * MINUTE, minBytes: 600, maxPackets: 100 } as const;
/** A whole short login sends at most this much (a failed SSH, RDP/NLA or WinRM login sends 2–6 KB). */
const SHORT_LOGIN_BYTES = 16_000;
/** An instance spraying logins over the internet (ACTOR): the window's attempts to public addresses, and how many hosts they reach. */
export const SPRAY = { attempts: 60, hosts: 20, windowMs: 10 * MINUTE } as const;
/** Many internet hosts taking turns on one instance (TARGET): above an exposed SSH port's all-day scanner noise. */
export const DISTRIBUTED = { attempts: 100, hosts: 10, windowMs: 10 * MINUTE } as const;
/** A NAT logs the arriving and the translated record of a connection within this of each other. */
const NAT_PAIR_MS = 1_000;
const TARGET_SEVERITY = 2;
const ACTOR_SEVERITY = 8;

/** Attempt times (oldest first) and what tells attempts apart (client port; remote address and client port), within the window. */
interface Attempts<Id = number> {
  t: number[];
  p: Id[];
  /** Set once the window reached the threshold: later attempts repeat the raised finding. */
  r?: 1;
}

/**
 * Keyed by instance, role, service and remote address (an IPv6 one's /64); bounded across instances, least
 * recently used go. Attempts are told apart by client port, and within a /64 by address and client port.
 */
const attemptsTable = persistedTable<Attempts<number | string>>('attempts', 20_000);
/** Keyed by instance, role and service: its short logins to or from public addresses, ids `<remote address> <client port>`. */
const spraysTable = persistedTable<Attempts<string>>('sprays', 20_000);
/** Interfaces seen forwarding (NAT gateways and instances) → when last seen doing so. */
const forwardersTable = persistedTable<number>('forwarders', 4_096);

function spec(service: Service): FindingTypeSpec {
  return {
    type: service.type,
    dataSource: 'VPCFlowLogs',
    severity: TARGET_SEVERITY,
    resourceType: 'Instance',
    mitre: { tactic: 'TA0006 Credential Access', technique: 'T1110 Brute Force' },
    title: `{attacker} is performing ${service.name} brute force attacks against {victim}.`,
    description:
      `{attacker} made {attempts} short ${service.name} connection attempts to {victim} on port {port} within {minutes} minutes. ` +
      'A brute force attack like this is an attempt to guess credentials and gain unauthorized access.',
    remediation:
      `If the instance is the target, restrict ${service.name} in its security group to known addresses (or use Session Manager) and check its authentication logs for a success. ` +
      'If the instance is the actor, it is likely compromised: isolate it and investigate what runs on it.',
  };
}

/**
 * Adds an attempt at `time` told apart by `id`: 'raise' when the window now holds `threshold` attempts (and
 * `enough` of them, for sprays: enough distinct hosts), 'repeat' for a new attempt of an attack already
 * raised, undefined otherwise (an id already counted is the same attempt). Only the latest `threshold`
 * attempts are kept: the threshold is reached with the latest, and repeats need only tell recent ids apart.
 */
function attempt<Id>(attempts: Attempts<Id>, time: number, id: Id, threshold: number, windowMs: number, enough: (ids: readonly Id[]) => boolean = () => true): 'raise' | 'repeat' | undefined {
  // The window ends at the newest attempt seen: a file delivered late (10:00's after 10:10's, in the next
  // run) brings older attempts, which take their place in time order, or fall outside the window.
  const newest = Math.max(time, attempts.t[attempts.t.length - 1] ?? time);
  if (newest - time > windowMs) return undefined;
  let expired = 0;
  while (expired < attempts.t.length && newest - attempts.t[expired]! > windowMs) expired++;
  if (expired > 0) {
    attempts.t.splice(0, expired);
    attempts.p.splice(0, expired);
  }
  // A whole window without an attempt: the attack is over, a new one must reach the threshold again.
  if (attempts.t.length === 0) delete attempts.r;
  const again = attempts.p.indexOf(id);
  if (again >= 0) {
    attempts.t.splice(again, 1);
    attempts.p.splice(again, 1);
  }
  let at = attempts.t.length;
  while (at > 0 && attempts.t[at - 1]! > time) at--;
  attempts.t.splice(at, 0, time);
  attempts.p.splice(at, 0, id);
  if (attempts.t.length > threshold) {
    attempts.t.shift();
    attempts.p.shift();
  }
  if (attempts.r) return again >= 0 ? undefined : 'repeat';
  if (attempts.t.length < threshold || !enough(attempts.p)) return undefined;
  attempts.r = 1;
  return 'raise';
}

/** The distinct remote addresses (IPv6: /64s) of a many-host window. */
const distinctHosts = (ids: readonly string[]) => new Set(ids.map((id) => id.slice(0, id.indexOf(' ')))).size;

/**
 * The attempt counts towards the instance's many-host total: with a public address, at most
 * SHORT_LOGIN_BYTES sent by the client, and the connection's start where the format logs TCP flags.
 */
function shortLogin(flow: FlowEvent, remotePublic: boolean): boolean {
  return remotePublic && flow.bytes <= SHORT_LOGIN_BYTES && (flow.tcpFlags === null || (flow.tcpFlags & SYN) !== 0);
}

interface Logged {
  time: number;
  src: string;
  /** Its destination, an IPv4 address carried in a NAT64 one unmapped. */
  dst: string;
  /** An IPv6 client's record addressed to an IPv4 host through NAT64 (64:ff9b::/96). */
  nat64: boolean;
}

/** IPv6's header is 20 bytes longer than IPv4's: a NAT64 gateway's translated record is that much smaller per packet. */
const NAT64_HEADER_GROWTH = 20;

/** Per run: the latest attempt-sized record per interface, server port and size, to pair a NAT's two records of a connection. */
const recentRecords = new WeakMap<NetworkDetectionContext, Lru<Logged>>();

/**
 * Two records of one connection through a NAT: from two private addresses (or, through NAT64, an IPv6
 * client and the NAT's private IPv4 address), and the translated one to a public address that the arriving
 * one also names (the same remote) or that goes out from the address the arriving one was sent to (v2
 * without pkt-dstaddr).
 */
function translatedPair(a: Logged, b: Logged): boolean {
  const inside = (record: Logged) => record.nat64 || isPrivateIp(record.src);
  if (a.src === b.src || (a.nat64 && b.nat64) || !inside(a) || !inside(b) || Math.abs(a.time - b.time) > NAT_PAIR_MS) return false;
  const outward = (record: Logged) => !isPrivateIp(record.dst);
  return (a.dst === b.dst && outward(a)) || (a.dst === b.src && outward(b)) || (b.dst === a.src && outward(a));
}

/** Whether the flow's interface forwards others' connections (a NAT): learned from its records, remembered across runs. */
function forwarding(flow: FlowEvent, context: NetworkDetectionContext): boolean {
  const eni = flow.interfaceId;
  if (eni === null || flow.srcIp === null || flow.dstIp === null) return false;
  const forwarders = forwardersTable(context);
  let recent = recentRecords.get(context);
  if (!recent) recentRecords.set(context, (recent = new Lru(4_096)));
  const dst = unmapIpv4(flow.dstIp);
  const nat64 = dst !== flow.dstIp && flow.srcIp.includes(':');
  // Keyed by the size the record has after translation, so an arriving NAT64 record meets its IPv4 twin.
  const key = `${eni}|${flow.dstPort}|${flow.packets}|${nat64 ? flow.bytes - NAT64_HEADER_GROWTH * flow.packets : flow.bytes}`;
  const record = { time: flow.time, src: flow.srcIp, dst, nat64 };
  const before = recent.get(key);
  recent.set(key, record);
  if (before && translatedPair(before, record)) forwarders.set(eni, flow.time);
  return forwarders.get(eni) !== undefined;
}

/** A sentence starts with the host's name: an instance id as it is (`i-0…`), else its label capitalised ("The network interface …"). */
function sentenceStart(instanceId: string | undefined, label: string): string {
  return instanceId ?? `${label[0]!.toUpperCase()}${label.slice(1)}`;
}

const LOGIN_FAILED = { bytesUp: 2_400, bytesDown: 3_300 };
const sshFrom = (remote: string, times: string[]) => each(times, (time) => connectionLines({ remote, opener: 'remote', port: 22, time, ...LOGIN_FAILED }));

/** The `i`th of many distinct internet addresses. */
export const internetHost = (i: number) => `5.${10 + Math.floor(i / 200)}.${i % 200}.${22 + (i % 7)}`;
/** `hosts` internet hosts, `perHost` login attempts on each, one every `seconds` from `start`, from the instance. */
const spray = (start: string, hosts: number, perHost: number, seconds: number, port: number, sizes = LOGIN_FAILED) =>
  each(spaced(start, hosts * perHost, seconds), (time, i) =>
    connectionLines({ remote: internetHost(Math.floor(i / perHost)), opener: 'instance', port, time, clientPort: 40_000 + i, ...sizes }),
  );

/**
 * An Ansible controller (ControlPersist) running a play on 200 hosts, 180 in the VPC and 20 on the internet
 * (`publicHosts` of them): two connections per host, a few minutes apart, each opening with the key
 * exchange, facts and module upload (~58 KB sent), then logged once a minute while tasks run (no SYN). With
 * `firstBytes`, the opening records are that small instead; with `laterFlags`, the later records carry those
 * TCP flags (2: as if each were a new connection). The tests take each guard away in turn.
 */
export function ansiblePlay(o: { publicHosts?: number; firstBytes?: number; laterFlags?: number } = {}): string[] {
  const publicHosts = o.publicHosts ?? 20;
  const host = (h: number) => (h < 200 - publicHosts ? `10.0.${8 + Math.floor(h / 100)}.${10 + (h % 100)}` : internetHost(h));
  const t0 = Date.parse('2026-11-02T15:00:00Z');
  const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
  return Array.from({ length: 200 }, (_, h) => h).flatMap((h) =>
    [0, 1].flatMap((c) => {
      const remote = host(h);
      const srcPort = 42_000 + h * 2 + c;
      const start = h + c * 240;
      const sent = (time: string, packets: number, bytes: number, tcpFlags: number) =>
        flowLine({ src: CASE_PRIVATE_IP, dst: remote, srcPort, dstPort: 22, packets, bytes, time, tcpFlags, direction: 'egress' });
      const received = (time: string, packets: number, bytes: number, tcpFlags: number) =>
        flowLine({ src: remote, dst: CASE_PRIVATE_IP, srcPort: 22, dstPort: srcPort, packets, bytes, time, tcpFlags, direction: 'ingress' });
      return [
        sent(at(start), 64, o.firstBytes ?? 58_000, 2),
        received(at(start), 50, 41_000, 18),
        ...[1, 2, 3].flatMap((m) => [sent(at(start + 60 * m), 38, 4_100, o.laterFlags ?? (m === 3 ? 1 : 0)), received(at(start + 60 * m), 30, 6_000, m === 3 ? 1 : 0)]),
      ];
    }),
  );
}

/** A NAT gateway's interface and its own address, a git forge, and CI runners in a private subnet behind it. */
export const NAT = { eni: 'eni-0a00000000000nat1', ip: '10.0.0.10', forge: '140.82.112.3', runners: ['10.0.1.21', '10.0.1.22', '10.0.1.23', '10.0.1.24'] } as const;

/**
 * How a NAT gateway's interface logs one git fetch over SSH by `runner` (no instance id): the record as it
 * arrives (`shape` 'final': with its final destination, as v2 files written that way and the lake's
 * pkt-dstaddr give it; 'nat': addressed to the NAT, as a v2 file without pkt-dstaddr has it; 'none': left
 * out), the record after translation, and the reply. With `direction`, v5's flow-direction field.
 */
export function natFetch(runner: string, time: string, i: number, o: { shape?: 'final' | 'nat' | 'none'; direction?: boolean } = {}): string[] {
  const shape = o.shape ?? 'final';
  const common = { time, packets: 25, bytes: 6_200, eni: NAT.eni, instance: null, tcpFlags: 3 } as const;
  const dir = (d: 'ingress' | 'egress') => (o.direction ? { direction: d } : {});
  const natPort = 20_000 + i;
  return [
    ...(shape === 'none' ? [] : [flowLine({ ...common, src: runner, dst: shape === 'nat' ? NAT.ip : NAT.forge, srcPort: 40_000 + i, dstPort: 22, ...dir('ingress') })]),
    flowLine({ ...common, src: NAT.ip, dst: NAT.forge, srcPort: natPort, dstPort: 22, ...dir('egress') }),
    flowLine({ ...common, src: NAT.forge, dst: NAT.ip, srcPort: 22, dstPort: natPort, bytes: 9_800, packets: 22, tcpFlags: 19, ...dir('ingress') }),
  ];
}

/** A NAT gateway translating IPv6-only runners' connections to IPv4 hosts (NAT64), its own IPv4 address, and an IPv4-only forge. */
const NAT64 = { eni: 'eni-0a0000000000nat64', ip: '10.0.0.11', forge: '140.82.112.4', runners: ['2600:1f18:6a4:b1c1::21', '2600:1f18:6a4:b1c1::22', '2600:1f18:6a4:b1c1::23'] } as const;

/**
 * How the NAT64 gateway's interface logs one git fetch over SSH by an IPv6-only runner: as it arrives (to
 * 64:ff9b::<forge>, 20 bytes more per packet: the IPv6 header is longer), after translation, and both replies.
 */
function nat64Fetch(runner: string, time: string, i: number): string[] {
  const common = { time, eni: NAT64.eni, instance: null } as const;
  const viaNat64 = `64:ff9b::${NAT64.forge}`;
  const natPort = 20_000 + i;
  return [
    flowLine({ ...common, src: runner, dst: viaNat64, srcPort: 40_000 + i, dstPort: 22, packets: 25, bytes: 6_200 + 25 * 20, tcpFlags: 3 }),
    flowLine({ ...common, src: NAT64.ip, dst: NAT64.forge, srcPort: natPort, dstPort: 22, packets: 25, bytes: 6_200, tcpFlags: 3 }),
    flowLine({ ...common, src: NAT64.forge, dst: NAT64.ip, srcPort: 22, dstPort: natPort, packets: 22, bytes: 9_800, tcpFlags: 19 }),
    flowLine({ ...common, src: viaNat64, dst: runner, srcPort: 22, dstPort: 40_000 + i, packets: 22, bytes: 9_800 + 22 * 20, tcpFlags: 19 }),
  ];
}

/** Each runner fetches `perRunner` times within 10 minutes, through the NAT. */
export const natFetches = (perRunner: number, o: Parameters<typeof natFetch>[3] = {}, runners: readonly string[] = NAT.runners) =>
  each(spaced('2026-11-02T10:00:00Z', perRunner * runners.length, 600 / (perRunner * runners.length)), (time, i) => natFetch(runners[i % runners.length]!, time, i, o));

/**
 * `sources` internet addresses on the instance's SSH, `perSource` failed logins each, within `minutes`: all at
 * once (round robin), or `inTurn` (each address's tries one after the other, then the next address).
 */
export const sshBotnet = (sources: number, perSource: number, minutes = 10, inTurn = false) =>
  each(spaced('2026-11-02T03:00:00Z', sources * perSource, (minutes * 60) / (sources * perSource)), (time, i) =>
    connectionLines({ remote: internetHost(inTurn ? Math.floor(i / perSource) : i % sources), opener: 'remote', port: 22, time, clientPort: 33_000 + i, ...LOGIN_FAILED }),
  );

/** Remote address and client port of each admin session: three through the office NAT, one from home. */
const BASTION_SESSIONS: [string, number][] = [['198.51.100.23', 52_000], ['198.51.100.23', 52_001], ['198.51.100.23', 52_002], ['192.0.2.200', 61_000]];

const cases = (): NetworkCase[] => [
  {
    name: 'one internet address makes 25 failed SSH logins in 5 minutes (target)',
    flows: sshFrom('203.0.113.50', spaced('2026-11-02T02:10:00Z', 25, 12)),
    expect: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  },
  {
    name: 'hydra against RDP: 30 NLA attempts in 4 minutes, no flow-direction field (target)',
    flows: each(spaced('2026-11-02T03:00:00Z', 30, 8), (time) =>
      connectionLines({ remote: '198.51.100.14', opener: 'remote', port: 3389, time, bytesUp: 3_900, bytesDown: 5_200, withDirection: false }),
    ),
    expect: ['UnauthorizedAccess:EC2/RDPBruteForce'],
  },
  {
    name: 'the instance hammers a remote WinRM HTTPS endpoint (actor)',
    flows: each(spaced('2026-11-02T04:00:00Z', 40, 5), (time) =>
      connectionLines({ remote: '198.51.100.77', opener: 'instance', port: 5986, time, bytesUp: 1_900, bytesDown: 2_600 }),
    ),
    expect: ['Impact:EC2/WinRMBruteForce'],
  },
  {
    name: 'GuardDuty tester: 20 rounds of crowbar from a tester instance to a Linux instance in the VPC (both interfaces logged)',
    flows: each(spaced('2026-11-02T05:00:00Z', 20, 3), (time) => [
      ...connectionLines({ remote: '10.0.3.15', opener: 'remote', port: 22, time, ...LOGIN_FAILED }),
      ...connectionLines({ remote: CASE_PRIVATE_IP, local: '10.0.3.15', opener: 'instance', port: 22, time, instance: 'i-0tester0000000001', eni: 'eni-0tester000000001', ...LOGIN_FAILED }),
    ]),
    expect: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  },
  {
    name: 'a bastion: admins behind the office NAT and one at home log in and keep their sessions open',
    flows: [
      ...BASTION_SESSIONS.flatMap(([remote, clientPort], i) =>
        connectionLines({ remote, opener: 'remote', port: 22, time: `2026-11-02T09:0${i}:00Z`, clientPort, bytesUp: 48_000, bytesDown: 310_000 }),
      ),
      // Interactive sessions logged once a minute: typing and output, no SYN, the same client port each time.
      ...each(spaced('2026-11-02T09:05:00Z', 60, 60), (time) =>
        BASTION_SESSIONS.map(([src, srcPort]) => flowLine({ src, dst: CASE_PRIVATE_IP, srcPort, dstPort: 22, packets: 38, bytes: 4_100, time, tcpFlags: 0, direction: 'ingress' })),
      ),
    ],
    expect: [],
  },
  {
    name: 'an Ansible controller runs a play over SSH against 30 hosts in the VPC',
    flows: each(spaced('2026-11-02T11:00:00Z', 3, 90), (time, round) =>
      Array.from({ length: 30 }, (_, h) => `10.0.4.${10 + h}`).flatMap((host, h) => [
        ...connectionLines({ remote: host, local: '10.0.2.10', opener: 'instance', port: 22, time, clientPort: 40_000 + round * 100 + h, instance: 'i-0ansible00000001', eni: 'eni-0ansible0000001', ...LOGIN_FAILED }),
        ...connectionLines({ remote: '10.0.2.10', local: host, opener: 'remote', port: 22, time, clientPort: 40_000 + round * 100 + h, instance: `i-0host${String(h).padStart(11, '0')}`, eni: `eni-0host${String(h).padStart(10, '0')}`, ...LOGIN_FAILED }),
      ]),
    ),
    expect: [],
  },
  {
    name: 'a network load balancer health-checks port 22 every 10 seconds (connect and close)',
    flows: each(spaced('2026-11-02T12:00:00Z', 60, 10), (time) => connectionLines({ remote: '10.0.0.140', opener: 'remote', port: 22, time, bytesUp: 180, bytesDown: 120 })),
    expect: [],
  },
  {
    name: 'an internet scanner hammers SSH, but the security group rejects every SYN',
    flows: each(spaced('2026-11-02T13:00:00Z', 60, 5), (time) => connectionLines({ remote: '45.148.10.81', opener: 'remote', port: 22, time, action: 'REJECT', bytesUp: 60 })),
    expect: [],
  },
  {
    name: 'a compromised instance sprays SSH logins over the internet: 3 attempts each on 200 hosts in 10 minutes (actor)',
    flows: spray('2026-11-02T16:00:00Z', 200, 3, 1, 22),
    expect: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  },
  {
    name: 'RDP password spraying: one NLA attempt on each of 70 internet hosts in 7 minutes (actor)',
    flows: spray('2026-11-02T17:00:00Z', 70, 1, 6, 3389, { bytesUp: 3_900, bytesDown: 5_200 }),
    expect: ['UnauthorizedAccess:EC2/RDPBruteForce'],
  },
  {
    name: 'an Ansible controller runs a play on 200 hosts, 20 of them on the internet: two long connections per host',
    flows: ansiblePlay(),
    expect: [],
  },
  {
    name: 'an uptime monitor checks the SSH banner of 100 internet servers every 2 minutes (connect and close)',
    flows: each(spaced('2026-11-02T18:00:00Z', 5, 120), (time, round) =>
      Array.from({ length: 100 }, (_, h) => connectionLines({ remote: internetHost(h), opener: 'instance', port: 22, time, clientPort: 45_000 + round * 100 + h, bytesUp: 180, bytesDown: 120 })).flat(),
    ),
    expect: [],
  },
  {
    name: 'a NAT gateway forwards four CI runners’ git fetches over SSH, 8 each in 10 minutes, each logged as it arrives and after translation',
    flows: natFetches(8),
    expect: [],
  },
  {
    name: 'a CI runner behind the NAT gateway hammers an internet SSH server: its own interface’s records raise the ACTOR finding',
    flows: each(spaced('2026-11-02T10:00:00Z', 30, 10), (time, i) => [
      ...connectionLines({ remote: NAT.forge, local: NAT.runners[0], opener: 'instance', port: 22, time, clientPort: 40_000 + i, instance: 'i-0runner000000001', eni: 'eni-0runner00000001', ...LOGIN_FAILED }),
      ...natFetch(NAT.runners[0], time, i),
    ]),
    expect: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  },
  {
    name: 'a NAT64 gateway translates IPv6-only CI runners’ git fetches over SSH to an IPv4 forge, 30 in 10 minutes, each logged as it arrives and after translation',
    flows: each(spaced('2026-11-02T19:00:00Z', 30, 20), (time, i) => nat64Fetch(NAT64.runners[i % NAT64.runners.length]!, time, i)),
    expect: [],
  },
  {
    name: 'a botnet takes turns on the instance: 60 internet addresses, 8 failed SSH logins each, in 10 minutes (target)',
    flows: sshBotnet(60, 8),
    expect: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  },
  {
    name: 'a busy hour of internet SSH scanners on an exposed bastion: 45 addresses, 2 tries each in 10 minutes',
    flows: sshBotnet(45, 2),
    expect: [],
  },
  {
    name: 'an IPv6 attacker rotates through its /64: 300 failed SSH logins in 10 minutes, each from a new address (target)',
    flows: each(spaced('2026-11-02T06:00:00Z', 300, 2), (time, i) =>
      connectionLines({ remote: `2001:db8:bad:1::${(i + 1).toString(16)}`, local: CASE_IPV6, opener: 'remote', port: 22, time, clientPort: 40_000 + (i % 7), ...LOGIN_FAILED }),
    ),
    expect: ['UnauthorizedAccess:EC2/SSHBruteForce'],
  },
  {
    name: 'an IPv6-only instance hammers an IPv4 WinRM endpoint through NAT64 (v2 records without flow-direction; actor)',
    flows: each(spaced('2026-11-02T07:00:00Z', 40, 5), (time, i) =>
      connectionLines({ remote: '64:ff9b::c633:6450', local: CASE_IPV6, opener: 'instance', port: 5986, time, clientPort: 47_000 + i, bytesUp: 1_900, bytesDown: 2_600, withDirection: false }),
    ),
    expect: ['Impact:EC2/WinRMBruteForce'],
  },
  {
    name: 'an office’s IPv6 /64: 200 laptops (privacy addresses) call the instance over HTTPS, 12 admins open long SSH sessions',
    flows: [
      ...each(spaced('2026-11-02T08:00:00Z', 200, 3), (time, i) =>
        connectionLines({ remote: `2001:db8:0ff1:ce::${(0x1000 + i * 37).toString(16)}`, local: CASE_IPV6, opener: 'remote', port: 443, time, clientPort: 50_000 + i, bytesUp: 1_800, bytesDown: 24_000 }),
      ),
      ...each(spaced('2026-11-02T08:01:00Z', 12, 40), (time, i) =>
        connectionLines({ remote: `2001:db8:0ff1:ce::${(0x2000 + i).toString(16)}`, local: CASE_IPV6, opener: 'remote', port: 22, time, clientPort: 52_000 + i, bytesUp: 48_000, bytesDown: 310_000 }),
      ),
    ],
    expect: [],
  },
  {
    name: 'a CI runner fetches a few repositories over SSH from a git forge',
    flows: each(spaced('2026-11-02T14:00:00Z', 8, 70), (time) => connectionLines({ remote: '140.82.112.3', opener: 'instance', port: 22, time, bytesUp: 3_100, bytesDown: 9_800 })),
    expect: [],
  },
];

export const bruteForce: FlowDetection = {
  id: 'network-brute-force',
  source: 'vpcflow',
  types: SERVICES.map(spec),
  onFlow(flow: FlowEvent, context) {
    if (flow.protocol !== TCP || flow.action !== 'ACCEPT' || flow.bytes < BRUTE_FORCE.minBytes || flow.packets > BRUTE_FORCE.maxPackets) return;
    if (!BY_PORT.has(flow.dstPort ?? -1) && !BY_PORT.has(flow.srcPort ?? -1)) return;
    if (forwarding(flow, context)) return;
    const { connection, judged, remotePublic, remoteGroup } = viewOf(flow);
    if (!connection.request || connection.direction === 'UNKNOWN') return;
    const actor = connection.direction === 'OUTBOUND';
    const serverPort = actor ? connection.remotePort : connection.localPort;
    const clientPort = actor ? connection.localPort : connection.remotePort;
    const service = BY_PORT.get(serverPort ?? -1);
    const history = instanceKey(flow);
    if (!service || clientPort === null || history === null || !judged) return;
    const remoteIp = connection.remoteIp!;
    const role = actor ? 'A' : 'T';
    const table = attemptsTable(context);
    // An IPv6 attacker rotates through its /64 at no cost: the /64 is one source, as an IPv4 address is.
    const grouped = remoteGroup !== remoteIp;
    const key = `${history}|${role}|${service.name}|${remoteGroup}`;
    let attempts = table.get(key);
    if (!attempts) table.set(key, (attempts = { t: [], p: [] }));
    const single = attempt<number | string>(attempts, flow.time, grouped ? `${clientPort} ${remoteIp}` : clientPort, BRUTE_FORCE.attempts, BRUTE_FORCE.windowMs);
    // Many hosts, a few attempts each: a spray by the instance, or a botnet taking turns on it.
    const many = actor ? SPRAY : DISTRIBUTED;
    let crowd: Attempts<string> | undefined;
    let crowded: 'raise' | 'repeat' | undefined;
    if (shortLogin(flow, remotePublic)) {
      const crowds = spraysTable(context);
      const crowdKey = `${history}|${role}|${service.name}`;
      crowd = crowds.get(crowdKey);
      if (!crowd) crowds.set(crowdKey, (crowd = { t: [], p: [] }));
      const id = `${remoteGroup} ${clientPort}${grouped ? ` ${remoteIp}` : ''}`;
      crowded = attempt(crowd, flow.time, id, many.attempts, many.windowMs, (ids) => distinctHosts(ids) >= many.hosts);
    }
    // One attempt is one occurrence of the instance's finding, whichever count it completes: a raise first (it
    // carries where the attack began), the attack by one address before the many-host total.
    const byMany = crowded !== undefined && (single === undefined || (single === 'repeat' && crowded === 'raise'));
    const outcome = byMany ? crowded : single;
    if (!outcome) return;
    const instance = context.instances.forFlow(flow);
    // GuardDuty's title names the instance by its id alone ("… against i-0a1b2c3d4e5f60718"); a host with none, by its interface.
    const label = hostOf(instance).label;
    const instanceName = instance.instanceId ?? label;
    const hosts = byMany ? distinctHosts(crowd!.p) : 0;
    const crowdName = `${hosts} internet hosts (the latest ${remoteIp})`;
    const network = remoteGroup.includes('/');
    const remoteName = network ? `the network ${remoteGroup} (the latest ${remoteIp})` : remoteIp;
    const window = byMany ? many : BRUTE_FORCE;
    context.emit({
      type: service.type,
      event: flow,
      action: connectionAction(flow, connection, context.intel),
      severity: actor ? ACTOR_SEVERITY : TARGET_SEVERITY,
      resourceRole: actor ? 'ACTOR' : 'TARGET',
      remoteIp,
      // A late attempt trimmed out of a full window still began the occurrence it raises; the window's
      // newest attempt (a later file's, read first) ends it.
      ...(outcome === 'raise' ? { since: Math.min((byMany ? crowd! : attempts).t[0]!, flow.time) } : {}),
      until: Math.max(flow.time, (byMany ? crowd! : attempts).t.at(-1) ?? flow.time),
      vars: {
        attacker: actor ? sentenceStart(instance.instanceId, label) : byMany ? `A group of ${crowdName}` : network ? sentenceStart(undefined, remoteName) : remoteName,
        victim: !actor ? instanceName : byMany ? crowdName : remoteName,
        attempts: window.attempts,
        port: serverPort!,
        minutes: window.windowMs / MINUTE,
      },
      additionalInfo: { attempts: window.attempts, ...(byMany ? { distinctHosts: hosts } : network ? { remoteNetwork: remoteGroup } : {}), windowMinutes: window.windowMs / MINUTE },
    });
  },
  finish(context) {
    // Only attempts within a window of the latest one can still count; the rest need not be stored.
    attemptsTable(context).retainRecent((a) => a.t[a.t.length - 1] ?? 0, BRUTE_FORCE.windowMs);
    spraysTable(context).retainRecent((a) => a.t[a.t.length - 1] ?? 0, Math.max(SPRAY.windowMs, DISTRIBUTED.windowMs));
    // A NAT is long-lived; an interface not seen forwarding for a month may have been reused.
    forwardersTable(context).retainRecent((time) => time, 30 * DAY);
  },
  cases,
};
