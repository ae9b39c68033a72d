import type { FlowDetection, FindingTypeSpec, NetworkCase } from '../detection.js';
import type { FlowEvent } from '../network-event.js';
import { CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { hostOf } from '../instance-inventory.js';
import { connectionAction, instanceKey } from './connection.js';
import { connectionLines } from './flow-case-builders.js';
import { each, spaced } from './flow-volume-cases.js';
import { MINUTE, persistedTable, viewOf } from './flow-windows.js';

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
 * logged the record (flow-windows.ts FlowView.judged).
 */
const SERVICES = [
  { type: 'UnauthorizedAccess:EC2/SSHBruteForce', name: 'SSH', ports: [22] },
  { type: 'UnauthorizedAccess:EC2/RDPBruteForce', name: 'RDP', ports: [3389] },
  { type: 'Impact:EC2/WinRMBruteForce', name: 'WinRM', ports: [5985, 5986] },
] as const;
type Service = (typeof SERVICES)[number];
const BY_PORT: ReadonlyMap<number, Service> = new Map(SERVICES.flatMap((s) => s.ports.map((port) => [port, s] as const)));

const TCP = 6;
const BRUTE_FORCE = { attempts: 20, windowMs: 10 * MINUTE, minBytes: 600, maxPackets: 100 } as const;
const TARGET_SEVERITY = 2;
const ACTOR_SEVERITY = 8;

/** Attempt times (oldest first) and their client ports, within the window. */
interface Attempts {
  t: number[];
  p: number[];
  /** Set once the window reached the threshold: later attempts repeat the raised finding. */
  r?: 1;
}

/** Keyed by instance, role, service and remote address; bounded across instances, least recently used go. */
const attemptsTable = persistedTable<Attempts>('attempts', 20_000);

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
 * Adds an attempt at `time` from `clientPort`: 'raise' when the window now holds the threshold, 'repeat' for
 * a new attempt of an attack already raised, undefined otherwise (a client port already counted is the
 * same attempt).
 */
function attempt(attempts: Attempts, time: number, clientPort: number): 'raise' | 'repeat' | undefined {
  let expired = 0;
  while (expired < attempts.t.length && time - attempts.t[expired]! > BRUTE_FORCE.windowMs) expired++;
  if (expired > 0) {
    attempts.t.splice(0, expired);
    attempts.p.splice(0, expired);
  }
  // A whole window without an attempt: the attack is over, a new one must reach the threshold again.
  if (attempts.t.length === 0) delete attempts.r;
  const again = attempts.p.indexOf(clientPort);
  if (again >= 0) {
    attempts.t.splice(again, 1);
    attempts.p.splice(again, 1);
  }
  attempts.t.push(time);
  attempts.p.push(clientPort);
  if (attempts.r) {
    // Raised: the latest attempts are enough to tell repeats of a client port and the end of the attack.
    if (attempts.t.length > BRUTE_FORCE.attempts) {
      attempts.t.shift();
      attempts.p.shift();
    }
    return again >= 0 ? undefined : 'repeat';
  }
  if (attempts.t.length < BRUTE_FORCE.attempts) return undefined;
  attempts.r = 1;
  return 'raise';
}

const LOGIN_FAILED = { bytesUp: 2_400, bytesDown: 3_300 };
const sshFrom = (remote: string, times: string[]) => each(times, (time) => connectionLines({ remote, opener: 'remote', port: 22, time, ...LOGIN_FAILED }));

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
    const { connection, judged } = viewOf(flow);
    if (!connection.request || connection.direction === 'UNKNOWN') return;
    const actor = connection.direction === 'OUTBOUND';
    const serverPort = actor ? connection.remotePort : connection.localPort;
    const clientPort = actor ? connection.localPort : connection.remotePort;
    const service = BY_PORT.get(serverPort ?? -1);
    const history = instanceKey(flow);
    if (!service || clientPort === null || history === null || !judged) return;
    const table = attemptsTable(context);
    const key = `${history}|${actor ? 'A' : 'T'}|${service.name}|${connection.remoteIp}`;
    let attempts = table.get(key);
    if (!attempts) table.set(key, (attempts = { t: [], p: [] }));
    const outcome = attempt(attempts, flow.time, clientPort);
    if (!outcome) return;
    const instance = context.instances.forFlow(flow);
    // GuardDuty's title names the instance by its id alone ("… against i-0a1b2c3d4e5f60718"); a host with none, by its interface.
    const instanceName = instance.instanceId ?? hostOf(instance).label;
    context.emit({
      type: service.type,
      event: flow,
      action: connectionAction(flow, connection, context.intel),
      severity: actor ? ACTOR_SEVERITY : TARGET_SEVERITY,
      resourceRole: actor ? 'ACTOR' : 'TARGET',
      remoteIp: connection.remoteIp!,
      ...(outcome === 'raise' ? { since: attempts.t[0] } : {}),
      vars: {
        attacker: actor ? `${instanceName[0]!.toUpperCase()}${instanceName.slice(1)}` : connection.remoteIp!,
        victim: actor ? connection.remoteIp! : instanceName,
        attempts: BRUTE_FORCE.attempts,
        port: serverPort!,
        minutes: BRUTE_FORCE.windowMs / MINUTE,
      },
      additionalInfo: { attempts: BRUTE_FORCE.attempts, windowMinutes: BRUTE_FORCE.windowMs / MINUTE },
    });
  },
  finish(context) {
    // Only attempts within a window of the latest one can still count; the rest need not be stored.
    attemptsTable(context).retainRecent((a) => a.t[a.t.length - 1] ?? 0, BRUTE_FORCE.windowMs);
  },
  cases,
};
