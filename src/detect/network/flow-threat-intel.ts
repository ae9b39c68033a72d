import { type ThreatCategory, threatCategory } from '../../intel/threat-categories.js';
import type { FlowDetection, NetworkCase } from '../detection.js';
import { type Connection, connectionAction, connectionOf, remoteServes, remoteThreats } from './connection.js';
import { connectionLines, everyMinute } from './flow-case-builders.js';

/**
 * Threat-intel matches on the remote end of flows (guardduty.md §2.3 #1, 10, 19, 20, 21).
 *
 * - A managed feed's match raises the type of its category (src/intel/threat-categories.ts): C&C,
 *   cryptocurrency, black hole, drop point. Its other categories (Malicious, Scanner, Phishing, …) have no
 *   flow type of their own here: inbound ones are Recon:EC2/PortProbe* (port-probe.ts).
 *   A list the user declared managed intel (`intel add --managed`) counts as managed here.
 * - A custom list's match, whatever its category, raises MaliciousIPCaller.Custom, one finding per list.
 * - The instance opened the connection (resourceRole ACTOR, OUTBOUND): raised even when the flow was
 *   REJECTed (blocked = true), since trying to reach a C&C server is the sign of compromise.
 * - The remote end opened it (TARGET, INBOUND): only a custom list's match is raised, and only when
 *   ACCEPTed, as rejected inbound traffic from listed IPs is the internet's background noise. The managed
 *   types are about the instance reaching out, as GuardDuty describes them ("querying", "attempting to
 *   communicate"): C&C feeds list proxies on infected home computers (QakBot's tier 1) whose owners also
 *   browse the instance's web site. A connection counts once per record window: its request record when
 *   the instance opened it, the instance's answer when the remote end did (an unanswered one, such as
 *   unsolicited traffic a NAT gateway's interface logs as ACCEPT and drops, is no communication).
 * - When the record does not show who opened the connection (no TCP flags and two ports of the same class,
 *   or no ports: ICMP, NTP 123↔123), the listed address is taken as the server: C&C servers, mining pools,
 *   sinkholes and drop points serve. The instance opened it (ACTOR, OUTBOUND), and only the record it sent
 *   counts, so a ping and its reply make one occurrence, not an ACTOR and a TARGET one.
 * Threat lists hold IPv4 and IPv6 entries; an IPv6 address that carries an IPv4 one (NAT64 `64:ff9b::/96`,
 * IPv4-mapped) is judged as that IPv4 address (src/intel/ip.ts ipv4Of). Records without addresses (NODATA,
 * SKIPDATA) never match.
 */
const MANAGED_TYPES: Partial<Record<ThreatCategory, string>> = {
  CommandAndControl: 'Backdoor:EC2/C&CActivity.B',
  Cryptocurrency: 'CryptoCurrency:EC2/BitcoinTool.B',
  Blackhole: 'Trojan:EC2/BlackholeTraffic',
  DropPoint: 'Trojan:EC2/DropPoint',
};
const CUSTOM_TYPE = 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom';

const FEODO = { listName: 'Feodo', custom: false, threatName: 'CommandAndControl' };
const C2 = '198.51.100.23';
const day = (d: number, time: string) => `2026-11-0${d}T${time}Z`;

const cases = (): NetworkCase[] => [
  {
    name: 'an instance beacons every minute to a Feodo-listed C&C server over HTTPS',
    flows: everyMinute(day(2, '03:10:00'), 5, (time) => connectionLines({ remote: C2, opener: 'instance', port: 443, time, bytesUp: 1_310, bytesDown: 420 })),
    intel: { threatIps: [{ ip: C2, ...FEODO }] },
    expect: ['Backdoor:EC2/C&CActivity.B'],
  },
  {
    name: 'a blocked attempt to reach a C&C server still counts (blocked: true)',
    flows: connectionLines({ remote: C2, opener: 'instance', port: 8080, time: day(2, '03:10:00'), action: 'REJECT' }),
    intel: { threatIps: [{ ip: C2, ...FEODO }] },
    expect: ['Backdoor:EC2/C&CActivity.B'],
  },
  {
    name: 'stratum traffic to a mining pool on a Proofpoint Bitcoin_Related list, without the flow-direction field',
    flows: everyMinute(day(2, '11:00:00'), 3, (time) =>
      connectionLines({ remote: '203.0.113.80', opener: 'instance', port: 3333, time, bytesUp: 2_400, bytesDown: 3_100, withDirection: false }),
    ),
    intel: { threatIps: [{ ip: '203.0.113.64/27', listName: 'ProofPoint', custom: false, threatName: 'Bitcoin_Related' }] },
    expect: ['CryptoCurrency:EC2/BitcoinTool.B'],
  },
  {
    name: 'malware calls home to a sinkholed address',
    flows: connectionLines({ remote: '192.0.2.66', opener: 'instance', port: 80, time: day(2, '12:00:00'), bytesDown: 240 }),
    intel: { threatIps: [{ ip: '192.0.2.66', listName: 'ProofPoint', custom: false, threatName: 'Sinkhole' }] },
    expect: ['Trojan:EC2/BlackholeTraffic'],
  },
  {
    name: 'an instance uploads 40 MB to a known drop point',
    flows: connectionLines({ remote: '198.51.100.140', opener: 'instance', port: 443, time: day(2, '12:00:00'), seconds: 600, bytesUp: 41_943_040, bytesDown: 9_000 }),
    intel: { threatIps: [{ ip: '198.51.100.140', listName: 'ProofPoint', custom: false, threatName: 'Drop' }] },
    expect: ['Trojan:EC2/DropPoint'],
  },
  {
    name: 'HTTP to an address on an uploaded threat list (the GuardDuty tester’s port 8009)',
    flows: connectionLines({ remote: '203.0.113.200', opener: 'instance', port: 8009, time: day(2, '09:30:00') }),
    intel: { threatIps: [{ ip: '203.0.113.200', listName: 'incident-2026-114' }] },
    expect: [CUSTOM_TYPE],
  },
  {
    name: 'an accepted inbound SSH session from an address on an uploaded list (TARGET)',
    flows: connectionLines({ remote: '203.0.113.201', opener: 'remote', port: 22, time: day(2, '09:30:00'), bytesUp: 5_200, bytesDown: 7_900 }),
    intel: { threatIps: [{ ip: '203.0.113.201', listName: 'partner-feed', threatName: 'SSH brute force source' }] },
    expect: [CUSTOM_TYPE],
  },
  {
    name: 'one address on a managed C&C feed and a custom list raises both types',
    flows: connectionLines({ remote: C2, opener: 'instance', port: 443, time: day(2, '03:10:00') }),
    intel: { threatIps: [{ ip: C2, ...FEODO }, { ip: C2, listName: 'soc-iocs' }] },
    expect: ['Backdoor:EC2/C&CActivity.B', CUSTOM_TYPE],
  },
  {
    name: 'listed addresses knocking on closed ports (REJECTed inbound) are background noise',
    flows: [
      ...connectionLines({ remote: C2, opener: 'remote', port: 22, time: day(2, '04:00:00'), action: 'REJECT' }),
      ...connectionLines({ remote: '203.0.113.200', opener: 'remote', port: 3389, time: day(2, '04:01:00'), action: 'REJECT', withDirection: false }),
    ],
    intel: { threatIps: [{ ip: C2, ...FEODO }, { ip: '203.0.113.200', listName: 'incident-2026-114' }] },
    expect: [],
  },
  {
    name: 'a web site’s visitors include a home computer on a C&C feed (a botnet’s proxy tier)',
    flows: everyMinute(day(2, '09:00:00'), 3, (time) => connectionLines({ remote: C2, opener: 'remote', port: 443, time, bytesDown: 80_000 })),
    intel: { threatIps: [{ ip: C2, ...FEODO }] },
    expect: [],
  },
  {
    name: 'busy HTTPS to CDN addresses next to a listed C&C address, and DNS to the VPC resolver',
    flows: [
      ...everyMinute(day(2, '08:00:00'), 20, (time, i) => connectionLines({ remote: `198.51.100.${24 + (i % 8)}`, opener: 'instance', port: 443, time, bytesDown: 2_500_000 })),
      ...connectionLines({ remote: '10.0.0.2', opener: 'instance', port: 53, protocol: 'udp', time: day(2, '08:00:30') }),
    ],
    intel: { threatIps: [{ ip: C2, ...FEODO }] },
    expect: [],
  },
  {
    name: 'managed Malicious and Scanner matches have no flow TI type of their own',
    flows: [
      ...connectionLines({ remote: '203.0.113.9', opener: 'instance', port: 443, time: day(2, '08:00:00') }),
      ...connectionLines({ remote: '203.0.113.10', opener: 'remote', port: 8080, time: day(2, '08:01:00') }),
    ],
    intel: {
      threatIps: [
        { ip: '203.0.113.9', listName: 'EmergingThreats', custom: false, threatName: 'Malicious' },
        { ip: '203.0.113.10', listName: 'ProofPoint', custom: false, threatName: 'Scanner' },
      ],
    },
    expect: [],
  },
  {
    name: 'a C&C address on the trusted IP list raises nothing',
    flows: connectionLines({ remote: C2, opener: 'instance', port: 443, time: day(2, '03:10:00') }),
    intel: { threatIps: [{ ip: C2, ...FEODO }], trustedIps: [C2] },
    expect: [],
  },
  {
    name: 'IPv6 flows, NODATA records and flows without an instance id do not trip it up',
    flows: [
      '2 111122223333 eni-0123456789abcdef0 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1793613600 1793613660 ACCEPT OK - - - - -',
      '5 111122223333 eni-0123456789abcdef0 - - - - - - - 1793613600 1793613660 - NODATA - - - - -',
      ...connectionLines({ remote: '2606:4700:4700::1111', local: '2600:1f18:aaaa:bbbb::25', opener: 'instance', port: 443, time: day(2, '10:00:00'), instance: null }),
    ],
    intel: { threatIps: [{ ip: C2, ...FEODO }] },
    expect: [],
  },
];

/**
 * The one record a connection counts on per record window: the request of a connection the instance opened
 * (even REJECTed), the instance's answer to one the remote end opened. An unanswered inbound connection is
 * no communication: a NAT gateway's interface logs unsolicited inbound traffic as ACCEPT and drops it.
 */
const isCountedRecord = (connection: Readonly<Connection>) => (connection.direction === 'INBOUND' ? !connection.request : connection.request);

export const flowThreatIntel: FlowDetection = {
  id: 'flow-threat-intel',
  source: 'vpcflow',
  types: [
    {
      type: 'Backdoor:EC2/C&CActivity.B',
      dataSource: 'VPCFlowLogs',
      severity: 8,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0011 Command and Control', technique: 'T1071 Application Layer Protocol' },
      title: 'EC2 instance {instance} is communicating with a known command and control server {ip}.',
      description: 'EC2 instance {instance} is communicating with {ip}, which threat list {listName} names a command and control server. Malware on the instance may be taking instructions from its operator.',
      remediation: 'Isolate the instance (restrictive security group), snapshot its volumes for forensics, find the process that opens the connections, and rebuild the instance from a known-good image.',
    },
    {
      type: 'CryptoCurrency:EC2/BitcoinTool.B',
      dataSource: 'VPCFlowLogs',
      severity: 8,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1496 Resource Hijacking' },
      title: 'EC2 instance {instance} is communicating with {ip}, an address tied to cryptocurrency activity.',
      description: 'EC2 instance {instance} is communicating with {ip}, which threat list {listName} ties to cryptocurrency activity such as mining pools. Unless the instance is meant to mine or trade cryptocurrency, it may be compromised.',
      remediation: 'If no one runs cryptocurrency software on purpose, isolate the instance, look for miners (high CPU, unknown processes, cron entries) and rebuild it; rotate the credentials it held.',
    },
    {
      type: 'Trojan:EC2/BlackholeTraffic',
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0011 Command and Control', technique: 'T1071 Application Layer Protocol' },
      title: 'EC2 instance {instance} is trying to reach {ip}, a black-holed address.',
      description: 'EC2 instance {instance} is trying to reach {ip}, a sinkhole or black-hole address on threat list {listName}. Malware that still calls taken-down infrastructure is a common cause.',
      remediation: 'Find the process on the instance that connects to the address; treat the instance as infected (isolate, investigate, rebuild) unless it is a security tool.',
    },
    {
      type: 'Trojan:EC2/DropPoint',
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1041 Exfiltration Over C2 Channel' },
      title: 'EC2 instance {instance} is communicating with {ip}, a known drop point for stolen data.',
      description: 'EC2 instance {instance} is communicating with {ip}, which threat list {listName} names a place where malware drops stolen credentials and data.',
      remediation: 'Isolate the instance, check what data it holds or can reach and how much was sent (bytes in the flow records), and rotate the credentials it held.',
    },
    {
      type: CUSTOM_TYPE,
      dataSource: 'VPCFlowLogs',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0011 Command and Control', technique: 'T1071 Application Layer Protocol' },
      title: 'EC2 instance {instance} is communicating with {ip}, an address on your threat list {listName}.',
      description: 'EC2 instance {instance} is communicating with {ip}, which is on the threat list {listName} you uploaded.',
      remediation: 'Check why the instance talks to the listed address (the finding’s direction says who opened the connection) and block it in security groups or network ACLs if it is unwanted.',
    },
  ],
  onFlow(flow, context) {
    if (flow.srcIp === null || flow.dstIp === null) return;
    const seen = connectionOf(flow);
    if (seen.openerKnown && !isCountedRecord(seen)) return;
    const threats = remoteThreats(flow, context.intel);
    if (threats.length === 0) return;
    const connection = remoteServes(flow, seen);
    if (!isCountedRecord(connection)) return;
    const remote = connection.remoteIp!;
    const inbound = connection.direction === 'INBOUND';
    if (inbound && flow.action !== 'ACCEPT') return;
    const raised = new Set<string>();
    for (const threat of threats) {
      if (inbound && !threat.custom) continue;
      const type = threat.custom ? CUSTOM_TYPE : MANAGED_TYPES[threatCategory(threat.threatName)];
      // One finding per managed type; custom matches are already one per list.
      if (!type || (!threat.custom && raised.has(type))) continue;
      raised.add(type);
      context.emit({
        type,
        event: flow,
        action: connectionAction(flow, connection, context.intel),
        resourceRole: inbound ? 'TARGET' : 'ACTOR',
        ...(threat.custom ? { aggregateBy: threat.listName } : {}),
        remoteIp: remote,
        threat,
      });
    }
  },
  cases,
};
