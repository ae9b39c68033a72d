import { remoteIpDetails } from '../../findings/build.js';
import type { InstanceDetails, PortProbeAction } from '../../findings/guardduty-finding.js';
import type { IntelLookup, ThreatMatch } from '../../intel/lookup.js';
import { threatCategory } from '../../intel/threat-categories.js';
import { assumedRole, ctEvent } from '../case-builders.js';
import type { FlowDetection, NetworkCase } from '../detection.js';
import { CASE_ACCOUNT, CASE_ENI, CASE_INSTANCE, CASE_IPV6, CASE_PRIVATE_IP } from '../network-records.js';
import { type FlowEvent, portName } from '../network-event.js';
import { type Connection, connectionOf, instanceKey, ipDetails, remoteThreats } from './connection.js';
import { connectionLines, everyMinute } from './flow-case-builders.js';

/**
 * Recon:EC2/PortProbeUnprotectedPort and PortProbeEMRUnprotectedPort (guardduty.md §2.3 #16, 17): a known
 * scanner reached an open port. A probe is the instance's ACCEPTed answer (its reply record) on a
 * connection the remote end opened, so no security group, network ACL or host firewall blocked it, to an
 * address on a threat list whose category (src/intel/threat-categories.ts) is Scanner or Malicious, managed
 * or custom: generic bad-IP lists (compromised hosts) are mostly scanners, while C&C, mining, sinkhole,
 * drop-point, phishing and drive-by infrastructure do not scan. REJECTed probes (closed ports) never count,
 * nor do ports 80 and 443, which are meant to be open, nor unanswered ones (a NAT gateway's interface), nor
 * records without two distinct ports (ICMP, NTP's 123↔123).
 *
 * - EMR type: the port is one of EMR_PORTS, unless CloudTrail knows the instance and its tags show it is
 *   not an EMR node (EMR tags its nodes `aws:elasticmapreduce:*` at launch). High.
 * - Otherwise PortProbeUnprotectedPort: Low, High on Elasticsearch's 9200/9300.
 * Probes of one instance make one finding per type whose count grows; its portProbeDetails list the latest
 * MAX_DETAILS distinct (port, scanner) pairs, newest first, and its evidence names the list of each of them
 * (threatListName: the latest probe's list).
 */
const UNPROTECTED = 'Recon:EC2/PortProbeUnprotectedPort';
const EMR = 'Recon:EC2/PortProbeEMRUnprotectedPort';

/** EMR web UIs and service ports that should never face the internet (EMR documentation's port list). */
const EMR_PORTS: ReadonlyMap<number, string> = new Map([
  [8088, 'YARN ResourceManager'],
  [8042, 'YARN NodeManager'],
  [20888, 'YARN ProxyServer'],
  [19888, 'MapReduce JobHistory'],
  [18080, 'Spark HistoryServer'],
  [8890, 'Zeppelin'],
  [8888, 'Hue'],
  [9443, 'JupyterHub'],
  [8998, 'Livy'],
  [9870, 'HDFS NameNode'],
  [50070, 'HDFS NameNode'],
  [9864, 'HDFS DataNode'],
  [50075, 'HDFS DataNode'],
  [16010, 'HBase Master'],
  [16030, 'HBase RegionServer'],
  [10000, 'HiveServer2'],
  [8983, 'Solr'],
]);
const NEVER = new Set([80, 443]);
const ELASTICSEARCH = new Set([9200, 9300]);
const LOW = 2;
const HIGH = 8;
const MAX_DETAILS = 10;

type ProbeDetail = PortProbeAction['portProbeDetails'][number];
interface Probe {
  port: number;
  localIp: string | null;
  remoteIp: string;
  /** The list that named the scanner; older state (before it was kept) has none. */
  threat?: ThreatMatch;
}

/**
 * Whether the record may be the instance's answer on a port a remote end connected to. Only an answer shows
 * the port open: a probe a host firewall drops is still ACCEPTed by the security group, and a NAT gateway's
 * interface logs unsolicited inbound traffic as ACCEPT but never answers it. When the record does not show
 * who opened the connection, it needs two distinct ports of one class (no TCP flags) and a scanner as the
 * remote end (see probeThreat); equal or no ports (an NTP reply 123↔123, ICMP) are never a probe.
 */
function mayAnswerProbe(flow: FlowEvent, connection: Readonly<Connection>): boolean {
  if (connection.openerKnown) return connection.direction === 'INBOUND' && !connection.request;
  return connection.localPort !== null && connection.remotePort !== null && connection.localPort !== connection.remotePort && flow.dstIp === connection.remoteIp;
}

/**
 * The list that makes the remote end a scanner. A generic bad-IP list (Malicious) counts when the record
 * shows the remote end opened the connection; when it does not, only a Scanner list makes the remote end
 * the client, since a generic list also names servers the instance calls.
 */
function probeThreat(threats: readonly ThreatMatch[], openerKnown: boolean): ThreatMatch | undefined {
  return threats.find((t) => {
    const category = threatCategory(t.threatName);
    return category === 'Scanner' || (openerKnown && category === 'Malicious');
  });
}

const isEmrNode = (instance: InstanceDetails) => instance.tags === undefined || instance.tags.some((t) => t.key.startsWith('aws:elasticmapreduce:'));

/** A probe as portProbeDetails lists it; EMR's service names only in the EMR type, as other findings name ports. */
function detail(probe: Probe, intel: IntelLookup, emr: boolean): ProbeDetail {
  return {
    localPortDetails: { port: probe.port, portName: (emr && EMR_PORTS.get(probe.port)) || portName(probe.port) },
    ...(probe.localIp ? { localIpDetails: ipDetails(probe.localIp) } : {}),
    remoteIpDetails: remoteIpDetails(probe.remoteIp, intel),
  };
}

const SCANNER = { listName: 'ProofPoint', custom: false, threatName: 'Scanner' };
const SCANNERS = ['192.0.2.44', '192.0.2.45', '192.0.2.46'];
const scannerIntel = { threatIps: SCANNERS.map((ip) => ({ ip, ...SCANNER })) };
const probe = (remote: string, port: number, time: string, action: 'ACCEPT' | 'REJECT' = 'ACCEPT') =>
  connectionLines({ remote, opener: 'remote', port, time, action, bytesUp: 60, bytesDown: 44 });

/** RunInstances for CASE_INSTANCE, as EMR (with its tags) or an ordinary launch template launches it. */
function launch(tags: { key: string; value: string }[]) {
  return ctEvent({
    service: 'ec2',
    name: 'RunInstances',
    identity: assumedRole(tags.length > 1 ? 'EMR_DefaultRole' : 'ci-deploy', 'launch'),
    time: '2026-11-02T08:00:00Z',
    request: { instanceType: 'm5.xlarge' },
    response: {
      instancesSet: {
        items: [{
          instanceId: CASE_INSTANCE, imageId: 'ami-0a1b2c3d4e5f67890', instanceType: 'm5.xlarge', instanceState: { code: 0, name: 'pending' },
          placement: { availabilityZone: 'us-east-1a' },
          networkInterfaceSet: { items: [{ networkInterfaceId: CASE_ENI, privateIpAddress: CASE_PRIVATE_IP, subnetId: 'subnet-1', vpcId: 'vpc-1' }] },
          tagSet: { items: tags },
        }],
      },
    },
    account: CASE_ACCOUNT,
  });
}
const EMR_TAGS = [
  { key: 'aws:elasticmapreduce:job-flow-id', value: 'j-2AXXXXXXGAPLF' },
  { key: 'aws:elasticmapreduce:instance-group-role', value: 'MASTER' },
];

const cases = (): NetworkCase[] => [
  {
    name: 'a Proofpoint-listed scanner reaches SSH through a wide-open security group',
    flows: probe(SCANNERS[0]!, 22, '2026-11-02T10:00:00Z'),
    intel: scannerIntel,
    expect: [UNPROTECTED],
  },
  {
    name: 'three scanners probe Elasticsearch 9200/9300 and Redis (one finding, High)',
    flows: [
      ...probe(SCANNERS[0]!, 9200, '2026-11-02T10:00:00Z'),
      ...probe(SCANNERS[1]!, 9300, '2026-11-02T10:05:00Z'),
      ...probe(SCANNERS[2]!, 6379, '2026-11-02T10:09:00Z'),
    ],
    intel: scannerIntel,
    expect: [UNPROTECTED],
  },
  {
    name: 'a scanner on a custom list with no threat name probes RDP (no flow-direction field)',
    flows: connectionLines({ remote: '203.0.113.77', opener: 'remote', port: 3389, time: '2026-11-02T10:00:00Z', withDirection: false, bytesUp: 60 }),
    intel: { threatIps: [{ ip: '203.0.113.77', listName: 'honeypot-hits' }] },
    expect: [UNPROTECTED],
  },
  {
    name: 'a scanner reaches the YARN ResourceManager UI of an EMR master',
    records: [launch(EMR_TAGS)],
    flows: probe(SCANNERS[0]!, 8088, '2026-11-02T10:00:00Z'),
    intel: scannerIntel,
    expect: [EMR],
  },
  {
    name: 'EMR ports probed on an instance CloudTrail does not know: the port decides',
    flows: [...probe(SCANNERS[0]!, 18080, '2026-11-02T10:00:00Z'), ...probe(SCANNERS[1]!, 20888, '2026-11-02T10:00:30Z')],
    intel: scannerIntel,
    expect: [EMR],
  },
  {
    name: 'port 8888 on a tagged non-EMR notebook server is an ordinary unprotected port',
    records: [launch([{ key: 'Name', value: 'jupyter-notebook' }])],
    flows: probe(SCANNERS[0]!, 8888, '2026-11-02T10:00:00Z'),
    intel: scannerIntel,
    expect: [UNPROTECTED],
  },
  {
    name: 'a scanner listed by its IPv6 /48 reaches Elasticsearch on the instance’s IPv6 address (v2 records without flow-direction)',
    flows: connectionLines({ remote: '2001:db8:5ca:9::44', local: CASE_IPV6, opener: 'remote', port: 9200, time: '2026-11-02T10:00:00Z', withDirection: false, bytesUp: 60, bytesDown: 44 }),
    intel: { threatIps: [{ ip: '2001:db8:5ca::/48', ...SCANNER }] },
    expect: [UNPROTECTED],
  },
  {
    name: 'a listed IPv6 scanner probes HTTPS and closed ports of the instance’s IPv6 address',
    flows: [
      ...connectionLines({ remote: '2001:db8:5ca:9::45', local: CASE_IPV6, opener: 'remote', port: 443, time: '2026-11-02T10:00:00Z', bytesUp: 60, bytesDown: 44 }),
      ...[22, 9200, 6379].flatMap((port, i) => connectionLines({ remote: '2001:db8:5ca:9::45', local: CASE_IPV6, opener: 'remote', port, time: `2026-11-02T10:0${i + 1}:00Z`, action: 'REJECT', bytesUp: 60 })),
    ],
    intel: { threatIps: [{ ip: '2001:db8:5ca::/48', ...SCANNER }] },
    expect: [],
  },
  {
    name: 'scanners hitting closed ports (REJECT) raise nothing',
    flows: [22, 23, 3389, 9200, 8088, 6379, 5900].flatMap((port, i) => probe(SCANNERS[i % 3]!, port, `2026-11-02T10:0${i}:00Z`, 'REJECT')),
    intel: scannerIntel,
    expect: [],
  },
  {
    name: 'scanners reaching a NAT gateway’s interface: logged as ACCEPTed, never answered',
    flows: [22, 3389, 9200].flatMap((port, i) =>
      connectionLines({ remote: SCANNERS[i]!, opener: 'remote', port, time: `2026-11-02T10:0${i}:00Z`, local: '10.0.0.100', instance: null, eni: 'eni-0nat00000000001c' }).slice(0, 1),
    ),
    intel: scannerIntel,
    expect: [],
  },
  {
    name: 'scanners reaching a public web server on 80 and 443 raise nothing',
    flows: [...probe(SCANNERS[0]!, 80, '2026-11-02T10:00:00Z'), ...probe(SCANNERS[1]!, 443, '2026-11-02T10:01:00Z')],
    intel: scannerIntel,
    expect: [],
  },
  {
    name: 'unlisted clients using SSH, and the instance calling out to a listed address, are not probes',
    flows: [
      ...everyMinute('2026-11-02T10:00:00Z', 5, (time, i) => connectionLines({ remote: `198.51.100.${60 + i}`, opener: 'remote', port: 22, time, bytesUp: 5_000 })),
      ...connectionLines({ remote: SCANNERS[0]!, opener: 'instance', port: 8080, time: '2026-11-02T10:06:00Z' }),
    ],
    intel: scannerIntel,
    expect: [],
  },
  {
    name: 'a C&C-listed address connecting in is not a scanner (flow TI reports it)',
    flows: probe('198.51.100.23', 22, '2026-11-02T10:00:00Z'),
    intel: { threatIps: [{ ip: '198.51.100.23', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' }] },
    expect: [],
  },
];

export const portProbe: FlowDetection = {
  id: 'port-probe',
  source: 'vpcflow',
  types: [
    {
      type: UNPROTECTED,
      dataSource: 'VPCFlowLogs',
      severity: LOW,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0043 Reconnaissance', technique: 'T1595 Active Scanning' },
      title: 'Unprotected port on EC2 instance {instance} is being probed.',
      description: 'Port {port} on EC2 instance {instance} is reachable from the internet and known scanner {ip} is probing it.',
      remediation: 'Close the port to the internet: restrict the security group or network ACL to the sources that need it, or put the service behind a load balancer, VPN or AWS Systems Manager Session Manager.',
    },
    {
      type: EMR,
      dataSource: 'VPCFlowLogs',
      severity: HIGH,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0043 Reconnaissance', technique: 'T1595 Active Scanning' },
      title: 'EMR-related port on EC2 instance {instance} is reachable and being probed.',
      description: 'EMR-related port {port} on EC2 instance {instance} is not blocked by a security group or network ACL and known scanner {ip} is probing it. Open YARN and Hadoop UIs let anyone submit jobs to the cluster.',
      remediation: 'Turn on EMR block public access, remove internet-facing rules for the cluster’s ports from its security groups, and reach the UIs through an SSH tunnel or a proxy.',
    },
  ],
  onFlow(flow, context) {
    if (flow.action !== 'ACCEPT' || flow.srcIp === null || flow.dstIp === null) return;
    const connection = connectionOf(flow);
    const { localPort, remoteIp } = connection;
    if (!mayAnswerProbe(flow, connection) || localPort === null || NEVER.has(localPort)) return;
    const threat = probeThreat(remoteThreats(flow, context.intel), connection.openerKnown);
    if (!threat) return;
    const instance = context.instances.forFlow(flow);
    const type = EMR_PORTS.has(localPort) && isEmrNode(instance) ? EMR : UNPROTECTED;
    const key = `${instanceKey(flow) ?? connection.localIp}|${type}`;
    const probes = context.state<Probe[]>(key, () => []);
    const latest: Probe = { port: localPort, localIp: connection.localIp, remoteIp: remoteIp!, threat };
    const kept = probes.filter((p) => p.port !== latest.port || p.remoteIp !== latest.remoteIp).slice(0, MAX_DETAILS - 1);
    probes.splice(0, probes.length, latest, ...kept);
    context.emit({
      type,
      event: flow,
      action: { actionType: 'PORT_PROBE', portProbeAction: { blocked: false, portProbeDetails: probes.map((p) => detail(p, context.intel, type === EMR)) } },
      severity: type === UNPROTECTED ? (ELASTICSEARCH.has(localPort) ? HIGH : LOW) : HIGH,
      resourceRole: 'TARGET',
      instance,
      remoteIp: remoteIp!,
      threat,
      threats: probes.flatMap((p) => (p.threat ? [p.threat] : [])),
      additionalInfo: { localPort: String(localPort) },
      vars: { port: localPort },
    });
  },
  cases,
};
