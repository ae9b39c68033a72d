import type { FlowDetection, NetworkCase } from '../detection.js';
import { CASE_IPV6, CASE_PRIVATE_IP, flowLine } from '../network-records.js';
import { connectionAction, instanceKey } from './connection.js';
import { connectionLines } from './flow-case-builders.js';
import { each, spaced } from './flow-volume-cases.js';
import { MINUTE, persistedTable, viewOf } from './flow-windows.js';

/**
 * Recon:EC2/Portscan and Impact:EC2/PortSweep (guardduty.md §2.3 #18, 14): the instance probes many ports
 * of one remote host, or one port across many public addresses.
 *
 * A probe is the request record of a TCP connection the instance opened (connection.ts tells the opener
 * by the SYN flag, else by the ports, so a client's many ephemeral ports to one server are one server
 * port, and a server's replies are not probes) that carried at most 3 packets: a SYN, its
 * retransmissions, or a connect followed by a reset — what nmap -sT or masscan send — and, where the
 * format logs TCP flags, carried a SYN (not an idle keep-alive of an established connection).
 * Connections that carry data (downloads, passive-FTP data channels, API calls) are not probes. Outbound
 * REJECTs (the instance's own security group blocked them) count: the instance still tried. UDP is left
 * out: DNS resolvers, NTP and QUIC clients send tiny UDP flows to many hosts and ports all day.
 *
 * - Portscan (Medium, ACTOR): 30 distinct remote ports probed on one remote host within 5 minutes. Remote
 *   hosts may be private (internal reconnaissance) when the record's direction is known (flow-windows.ts
 *   FlowView.judged).
 * - PortSweep (High, ACTOR): 50 distinct public addresses probed on one remote port within 10 minutes, and
 *   probes make at least 80 % of the instance's connections to that port (exponentially decayed counts,
 *   time constant 10 minutes), so a crawler or monitor that reaches thousands of sites on 443 and meets a
 *   few dead ones is not a sweep. It is about many addresses and names none as its remote IP. IPv6 hosts
 *   count by their /64 (FlowView.remoteGroup): the addresses of one network (a load balancer's) are one host.
 * Both fire on the probe that reaches the count, first seen at the window's earliest probe, then count afresh.
 */
const PORTSCAN_TYPE = 'Recon:EC2/Portscan';
const SWEEP_TYPE = 'Impact:EC2/PortSweep';
const TCP = 6;
const SYN = 2;
const PROBE_MAX_PACKETS = 3;
const PORTSCAN = { ports: 30, windowMs: 5 * MINUTE } as const;
const SWEEP = { hosts: 50, windowMs: 10 * MINUTE, probeShare: 0.8 } as const;

/** Distinct items (ports or addresses) with when each was last probed. */
interface Distinct {
  seen: Record<string, number>;
  n: number;
}

interface Sweep extends Distinct {
  /** Decayed counts of all connections and of probes to the port, as of `at`. */
  all: number;
  probes: number;
  at: number;
}

const scanTable = persistedTable<Distinct>('portscan', 20_000);
const sweepTable = persistedTable<Sweep>('sweep', 20_000);

/**
 * Each set's probes in time order, beside the persisted set and rebuilt from it in each run: expiry walks
 * from the oldest, so an instance that reaches thousands of hosts within a window costs O(1) per probe
 * rather than a pass over all of them. A probe older than the newest queued (a late record) takes its place
 * in the order.
 */
interface ProbeQueue {
  items: string[];
  times: number[];
  head: number;
}
const queues = new WeakMap<Distinct, ProbeQueue>();

function queueOf(d: Distinct): ProbeQueue {
  let queue = queues.get(d);
  if (!queue) {
    const entries = Object.entries(d.seen).sort((x, y) => x[1] - y[1]);
    queue = { items: entries.map(([item]) => item), times: entries.map(([, time]) => time), head: 0 };
    queues.set(d, queue);
  }
  return queue;
}

function enqueue(queue: ProbeQueue, item: string, time: number): void {
  let at = queue.times.length;
  while (at > queue.head && queue.times[at - 1]! > time) at--;
  if (at === queue.times.length) {
    queue.items.push(item);
    queue.times.push(time);
  } else {
    queue.items.splice(at, 0, item);
    queue.times.splice(at, 0, time);
  }
}

/** The window's earliest probe (the queue's head, after `reaches` has dropped the expired): the scan's eventFirstSeen. */
function firstProbe(d: Distinct): number {
  const queue = queueOf(d);
  return queue.times[queue.head]!;
}

/**
 * Notes `item` probed at `time`; true when `threshold` distinct items fall within the window. Items last
 * probed longer than the window ago are dropped first; a queued probe of an item probed again since is
 * passed over.
 */
function reaches(d: Distinct, item: string, time: number, windowMs: number, threshold: number): boolean {
  const queue = queueOf(d);
  while (queue.head < queue.times.length && time - queue.times[queue.head]! > windowMs) {
    const expired = queue.items[queue.head]!;
    if (d.seen[expired] === queue.times[queue.head]) {
      delete d.seen[expired];
      d.n--;
    }
    queue.head++;
  }
  if (queue.head > 1024 && queue.head * 2 > queue.times.length) {
    queue.items.splice(0, queue.head);
    queue.times.splice(0, queue.head);
    queue.head = 0;
  }
  if (d.seen[item] === undefined) d.n++;
  d.seen[item] = time;
  enqueue(queue, item, time);
  return d.n >= threshold;
}

const lastSeen = (d: Distinct) => {
  let last = 0;
  for (const key in d.seen) last = Math.max(last, d.seen[key]!);
  return last;
};

const probe = (remote: string, port: number, time: string, clientPort?: number, local?: string) =>
  connectionLines({ remote, local, opener: 'instance', port, time, clientPort, bytesUp: 60, bytesDown: 54 });
const TOP_PORTS = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080, 8443, 1433, 1521, 2049, 2375, 5432, 5985, 6379, 8000, 8888, 9200, 11211, 27017, 50000, 179, 389];
const sweepTargets = (count: number, base = '203.0.113') => Array.from({ length: count }, (_, i) => `${base}.${i + 1}`);

const cases = (): NetworkCase[] => [
  {
    name: 'nmap -sT from the instance against one internet host (closed ports answer with a reset)',
    flows: each(spaced('2026-11-02T10:00:00Z', TOP_PORTS.length, 2), (time, i) => [
      flowLine({ src: CASE_PRIVATE_IP, dst: '198.51.100.99', srcPort: 41_234 + i, dstPort: TOP_PORTS[i]!, packets: 1, bytes: 60, time, tcpFlags: 2, direction: 'egress' }),
      flowLine({ src: '198.51.100.99', dst: CASE_PRIVATE_IP, srcPort: TOP_PORTS[i]!, dstPort: 41_234 + i, packets: 1, bytes: 40, time, tcpFlags: 4, direction: 'ingress' }),
    ]),
    expect: [PORTSCAN_TYPE],
  },
  {
    name: 'the GuardDuty tester scans a host in its own VPC (v5 records with flow-direction)',
    flows: each(spaced('2026-11-02T10:30:00Z', TOP_PORTS.length, 1), (time, i) => probe('10.0.5.20', TOP_PORTS[i]!, time, 45_000 + i)),
    expect: [PORTSCAN_TYPE],
  },
  {
    name: 'masscan from the instance sweeps port 6379 across 64 internet addresses',
    flows: each(spaced('2026-11-02T11:00:00Z', 64, 3), (time, i) => probe(sweepTargets(64)[i]!, 6379, time, 61_000)),
    expect: [SWEEP_TYPE],
  },
  {
    name: 'the instance scans 400 ports of an IPv6 host (dual-stack, v5 records)',
    flows: each(spaced('2026-11-02T17:00:00Z', 400, 0.5), (time, i) => probe('2001:db8:5ca:1::9', 1 + i * 3, time, 43_000 + i, CASE_IPV6)),
    expect: [PORTSCAN_TYPE],
  },
  {
    name: 'masscan sweeps SSH over 64 IPv6 hosts, each in its own /64',
    flows: each(spaced('2026-11-02T17:30:00Z', 64, 3), (time, i) => probe(`2001:db8:${(0x100 + i).toString(16)}:1::22`, 22, time, 61_000, CASE_IPV6)),
    expect: [SWEEP_TYPE],
  },
  {
    name: 'a health checker connects to and closes 80 addresses of one load balancer’s IPv6 /64 on 443',
    flows: each(spaced('2026-11-02T18:00:00Z', 80, 5), (time, i) => probe(`2001:db8:1b:7::${(0x10 + i).toString(16)}`, 443, time, 44_000 + i, CASE_IPV6)),
    expect: [],
  },
  {
    name: 'a client opens many connections, from many ephemeral ports, to one server port',
    flows: each(spaced('2026-11-02T12:00:00Z', 80, 3), (time, i) => [
      ...connectionLines({ remote: '198.51.100.99', opener: 'instance', port: 443, time, clientPort: 33_000 + i, bytesUp: 900, bytesDown: 6_200 }),
      // Idle keep-alive records of the pooled connections: one or two packets, no SYN.
      flowLine({ src: CASE_PRIVATE_IP, dst: '198.51.100.99', srcPort: 33_000 + i, dstPort: 443, packets: 1, bytes: 52, time, tcpFlags: 0 }),
    ]),
    expect: [],
  },
  {
    name: 'a web server answers one busy client (a corporate NAT) on many of its ephemeral ports',
    flows: each(spaced('2026-11-02T12:30:00Z', 90, 2), (time, i) =>
      connectionLines({ remote: '192.0.2.10', opener: 'remote', port: 443, time, clientPort: 50_100 + i, bytesUp: 700, bytesDown: 90 }),
    ),
    expect: [],
  },
  {
    name: 'passive FTP mirror sync: data connections to many high ports of one FTP server',
    flows: each(spaced('2026-11-02T13:00:00Z', 60, 4), (time, i) =>
      connectionLines({ remote: '198.51.100.150', opener: 'instance', port: 50_000 + i * 7, time, clientPort: 40_000 + i, bytesUp: 4_000, bytesDown: 2_400_000 }),
    ),
    expect: [],
  },
  {
    name: 'a crawler fetches 400 sites on 443 and meets some dead hosts',
    flows: each(spaced('2026-11-02T14:00:00Z', 400, 1), (time, i) => {
      const site = `${[52, 104, 151, 185][i % 4]}.${(i * 7) % 250}.${(i * 13) % 250}.${(i % 200) + 1}`;
      return i % 8 === 0 ? probe(site, 443, time, 35_000 + i) : connectionLines({ remote: site, opener: 'instance', port: 443, time, clientPort: 35_000 + i, bytesUp: 2_100, bytesDown: 48_000 });
    }),
    expect: [],
  },
  {
    name: 'an uptime monitor checks 60 customer endpoints over HTTPS every minute',
    flows: each(spaced('2026-11-02T15:00:00Z', 5, 60), (time, round) =>
      sweepTargets(60, '198.51.100').flatMap((site, i) =>
        connectionLines({ remote: site, opener: 'instance', port: 443, time, clientPort: 36_000 + round * 100 + i, bytesUp: 2_300, bytesDown: 5_600 }),
      ),
    ),
    expect: [],
  },
  {
    name: 'a recursive DNS resolver on the instance asks many name servers (UDP)',
    flows: each(spaced('2026-11-02T16:00:00Z', 120, 2), (time, i) =>
      connectionLines({ remote: `${[192, 199, 205][i % 3]}.${(i * 11) % 250}.${(i * 3) % 250}.${(i % 250) + 1}`, opener: 'instance', port: 53, protocol: 'udp', time, clientPort: 20_000 + i * 37, bytesUp: 78, bytesDown: 240 }),
    ),
    expect: [],
  },
];

export const scans: FlowDetection = {
  id: 'network-scans',
  source: 'vpcflow',
  types: [
    {
      type: PORTSCAN_TYPE,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0007 Discovery', technique: 'T1046 Network Service Discovery' },
      title: 'EC2 instance {instance} is performing outbound port scans against remote host {ip}.',
      description: 'EC2 instance {instance} probed {ports} different ports of {ip} within {minutes} minutes. The instance may be compromised and used to look for services to attack.',
      remediation: 'Find the process that opened the connections. If it is not an authorised scanner (vulnerability management, penetration test), isolate the instance and investigate it.',
    },
    {
      type: SWEEP_TYPE,
      dataSource: 'VPCFlowLogs',
      severity: 8,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0007 Discovery', technique: 'T1046 Network Service Discovery' },
      title: 'EC2 instance {instance} is performing a port sweep on port {port}.',
      description: 'EC2 instance {instance} probed port {port} on {hosts} different public addresses within {minutes} minutes, the latest {ip}. Sweeps look for exposed services to exploit and are typical of compromised hosts.',
      remediation: 'Isolate the instance and investigate it: sweeps from cloud instances are usually malware or a misused tool. Internet scanning from AWS also needs AWS approval.',
    },
  ],
  onFlow(flow, context) {
    if (flow.protocol !== TCP) return;
    const { connection, remotePublic, judged, remoteGroup } = viewOf(flow);
    const { remoteIp, remotePort } = connection;
    if (connection.direction !== 'OUTBOUND' || !connection.request || remotePort === null || remoteIp === null) return;
    const instance = instanceKey(flow);
    if (instance === null) return;
    // With TCP flags logged, a record without SYN continues an established connection (an idle keep-alive).
    const isProbe = flow.packets <= PROBE_MAX_PACKETS && (flow.tcpFlags === null || (flow.tcpFlags & SYN) !== 0);

    if (remotePublic) {
      const table = sweepTable(context);
      const key = `${instance}|${remotePort}`;
      let sweep = table.get(key);
      if (!sweep) table.set(key, (sweep = { seen: {}, n: 0, all: 0, probes: 0, at: flow.time }));
      const decay = Math.exp(-Math.max(0, flow.time - sweep.at) / SWEEP.windowMs);
      sweep.all = sweep.all * decay + 1;
      sweep.probes = sweep.probes * decay + (isProbe ? 1 : 0);
      sweep.at = Math.max(sweep.at, flow.time);
      // Hosts are addresses, IPv6 ones by their /64: a sweep of one network's addresses is a scan of one host's space.
      if (isProbe && reaches(sweep, remoteGroup, flow.time, SWEEP.windowMs, SWEEP.hosts) && sweep.probes >= SWEEP.probeShare * sweep.all) {
        const hosts = sweep.n;
        const since = firstProbe(sweep);
        table.delete(key);
        context.emit({
          type: SWEEP_TYPE,
          event: flow,
          action: connectionAction(flow, connection, context.intel),
          resourceRole: 'ACTOR',
          since,
          // About many addresses: the latest is in the action, but a trusted one must not drop the sweep.
          vars: { ip: remoteIp, port: remotePort, hosts, minutes: SWEEP.windowMs / MINUTE },
          additionalInfo: { sweptPort: remotePort, distinctHosts: hosts, windowMinutes: SWEEP.windowMs / MINUTE },
        });
      }
    }

    if (isProbe && judged) {
      const table = scanTable(context);
      const key = `${instance}|${remoteIp}`;
      let scan = table.get(key);
      if (!scan) table.set(key, (scan = { seen: {}, n: 0 }));
      if (reaches(scan, String(remotePort), flow.time, PORTSCAN.windowMs, PORTSCAN.ports)) {
        const ports = scan.n;
        const since = firstProbe(scan);
        table.delete(key);
        context.emit({
          type: PORTSCAN_TYPE,
          event: flow,
          action: connectionAction(flow, connection, context.intel),
          resourceRole: 'ACTOR',
          remoteIp,
          since,
          vars: { ports, minutes: PORTSCAN.windowMs / MINUTE },
          additionalInfo: { distinctPorts: ports, windowMinutes: PORTSCAN.windowMs / MINUTE },
        });
      }
    }
  },
  finish(context) {
    // Between runs keep only windows that can still count, and sweep shares that have not decayed away.
    scanTable(context).retainRecent(lastSeen, PORTSCAN.windowMs);
    sweepTable(context).retainRecent((sweep) => sweep.at, 3 * SWEEP.windowMs);
  },
  cases,
};
