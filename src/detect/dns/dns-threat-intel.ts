import { reputationProbe } from '../../intel/builtin-domains.js';
import type { ThreatMatch } from '../../intel/lookup.js';
import { type ThreatCategory, threatCategory } from '../../intel/threat-categories.js';
import type { DnsDetection, FindingTypeSpec, NetworkCase, NetworkDetectionContext } from '../detection.js';
import type { DnsEvent } from '../network-event.js';
import { dnsQuery } from '../network-records.js';
import { nov, querySeries, resolved } from './dns-cases.js';
import { dnsAction, domainThreats, findingDomain, C2_MITRE, dnsTypeSpec } from './domain-names.js';

/**
 * The DNS threat-intel types (guardduty.md §2.4 #1, 2, 5, 8, 10, 12, 13, 14): the queried name is on a
 * threat list, exactly or under a `*.parent` wildcard.
 *
 * - A managed list's match raises the type of its category (src/intel/threat-categories.ts): C&C,
 *   cryptocurrency, black hole, DGA, drive-by, drop point, phishing. The built-in GuardDuty tester set
 *   (src/intel/builtin-domains.ts) is one such list. Managed matches of other categories (Malicious,
 *   Scanner) and the tester's reputation probes are the domain-reputation detection's.
 * - A custom (user) list's match, whatever its category, raises Impact:EC2/MaliciousDomainRequest.Custom,
 *   one finding per list.
 * - Trojan:EC2/BlackholeTraffic!DNS also when an A/AAAA answer is an address a managed list files as a
 *   black hole or sinkhole: the name is being redirected to one, whatever the name. A custom list's address
 *   in an answer raises nothing here: uploaded lists drive only the `.Custom` types (guardduty.md §7), and
 *   the DNS one, MaliciousDomainRequest.Custom, is for listed domains. Connecting to the address is what
 *   raises UnauthorizedAccess:EC2/MaliciousIPCaller.Custom (flow-threat-intel.ts), as for any listed IP.
 * Raised whatever the answer (NXDOMAIN too: asking is the sign) and when DNS Firewall blocked the query
 * (`blocked: true`). resourceRole ACTOR: the instance asked. A name on a trusted entity list raises nothing
 * (checked by the runner on `domain`).
 */
const MANAGED_TYPES: Partial<Record<ThreatCategory, string>> = {
  CommandAndControl: 'Backdoor:EC2/C&CActivity.B!DNS',
  Cryptocurrency: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  Blackhole: 'Trojan:EC2/BlackholeTraffic!DNS',
  DGA: 'Trojan:EC2/DGADomainRequest.C!DNS',
  DriveBy: 'Trojan:EC2/DriveBySourceTraffic!DNS',
  DropPoint: 'Trojan:EC2/DropPoint!DNS',
  Phishing: 'Trojan:EC2/PhishingDomainRequest!DNS',
};
const CUSTOM_TYPE = 'Impact:EC2/MaliciousDomainRequest.Custom';
const BLACKHOLE_TYPE = MANAGED_TYPES.Blackhole!;

function spec(type: string, severity: number, mitre: FindingTypeSpec['mitre'], what: string, why: string): FindingTypeSpec {
  return dnsTypeSpec(type, severity, mitre, {
    title: `${what} domain name queried by EC2 instance {instance}.`,
    description: `EC2 instance {instance} is querying {domain}, ${why}`,
    remediation:
      'Find the process on the instance that resolves this name (DNS client logs, process list, recent deployments). If it is not explained, treat the instance as compromised: isolate it, snapshot its volumes for forensics, rotate the credentials it holds and rebuild it from a known-good image.',
  });
}

const TYPES: FindingTypeSpec[] = [
  spec(MANAGED_TYPES.CommandAndControl!, 8, C2_MITRE, 'Command and Control server', 'a domain name associated with a known command and control server ({listName}).'),
  spec(MANAGED_TYPES.Cryptocurrency!, 8, { tactic: 'TA0040 Impact', technique: 'T1496 Resource Hijacking' }, 'Bitcoin-related', 'a domain name associated with Bitcoin or other cryptocurrency activity ({listName}).'),
  spec(BLACKHOLE_TYPE, 5, C2_MITRE, 'Black hole', 'a domain name that is being redirected to a black hole (sinkhole) IP address ({listName}).'),
  spec(MANAGED_TYPES.DGA!, 8, { tactic: 'TA0011 Command and Control', technique: 'T1568.002 Dynamic Resolution: Domain Generation Algorithms' }, 'DGA', 'a known algorithmically generated domain name ({listName}).'),
  spec(MANAGED_TYPES.DriveBy!, 8, { tactic: 'TA0001 Initial Access', technique: 'T1189 Drive-by Compromise' }, 'Drive-by source', 'the domain name of a known source of drive-by download attacks ({listName}).'),
  spec(MANAGED_TYPES.DropPoint!, 5, { tactic: 'TA0010 Exfiltration', technique: 'T1041 Exfiltration Over C2 Channel' }, 'Drop point', 'the domain name of a host known to collect credentials and other data stolen by malware ({listName}).'),
  spec(MANAGED_TYPES.Phishing!, 8, { tactic: 'TA0001 Initial Access', technique: 'T1566 Phishing' }, 'Phishing', 'a domain name involved in phishing attacks ({listName}).'),
  {
    ...spec(CUSTOM_TYPE, 5, C2_MITRE, 'Custom threat list', 'a domain name on your threat list {listName}.'),
    title: 'EC2 instance {instance} queried a domain name on threat list {listName}.',
  },
];

/** The finding type a domain match raises here, if any. */
function typeOf(match: ThreatMatch): string | undefined {
  if (reputationProbe(match)) return undefined;
  return match.custom ? CUSTOM_TYPE : MANAGED_TYPES[threatCategory(match.threatName)];
}

function blackholeAnswer(query: DnsEvent, context: NetworkDetectionContext): { ip: string; match: ThreatMatch } | undefined {
  for (const answer of query.answers) {
    if (answer.type !== 'A' && answer.type !== 'AAAA') continue;
    const match = context.intel.ipThreats(answer.data).find((m) => !m.custom && threatCategory(m.threatName) === 'Blackhole');
    if (match) return { ip: answer.data, match };
  }
  return undefined;
}

const SINKHOLE_IP = '198.51.100.53';
const CORP_FEED = { listName: 'CorpThreatFeed', custom: true };

const cases = (): NetworkCase[] => [
  ...(
    [
      ['c2.guarddutyc2activityb.com', 'Backdoor:EC2/C&CActivity.B!DNS'],
      ['crypto.guarddutyc2activityb.com', 'CryptoCurrency:EC2/BitcoinTool.B!DNS'],
      ['guarddutyblackholeactivity.com', 'Trojan:EC2/BlackholeTraffic!DNS'],
      ['guarddutydgaactivity.com', 'Trojan:EC2/DGADomainRequest.C!DNS'],
      ['guarddutydrivebyactivity.com', 'Trojan:EC2/DriveBySourceTraffic!DNS'],
      ['guarddutydroppointactivity.com', 'Trojan:EC2/DropPoint!DNS'],
      ['guarddutyphishingactivity.com', 'Trojan:EC2/PhishingDomainRequest!DNS'],
    ] as const
  ).map(([name, type]) => ({
    name: `GuardDuty tester: the instance resolves ${name} (built-in test set)`,
    dns: [resolved('amazonlinux-2-repos-us-east-1.s3.dualstack.us-east-1.amazonaws.com', nov(2, '10:00:00')), resolved(name, nov(2, '10:00:03'), '203.0.113.80')],
    expect: [type],
  })),
  {
    name: 'a C&C domain from a managed feed whose threat name is free text (Proofpoint "CnC")',
    dns: querySeries(['panel.update-checker.top', 'panel.update-checker.top', 'panel.update-checker.top'], nov(2, '03:10:00'), 300, { answers: [['A', '203.0.113.19']] }),
    intel: { threatDomains: [{ domain: 'update-checker.top', listName: 'ProofPoint', custom: false, threatName: 'CnC' }, { domain: '*.update-checker.top', listName: 'ProofPoint', custom: false, threatName: 'CnC' }] },
    expect: ['Backdoor:EC2/C&CActivity.B!DNS'],
  },
  {
    name: 'DNS Firewall blocked the C&C lookup (NXDOMAIN, blocked: true): still raised',
    dns: [dnsQuery({ name: 'c2.guarddutyc2activityb.com', time: nov(2, '10:00:00'), rcode: 'NXDOMAIN', firewallAction: 'BLOCK' })],
    expect: ['Backdoor:EC2/C&CActivity.B!DNS'],
  },
  {
    name: 'a domain on the user’s custom threat entity list',
    dns: [resolved('cdn.invoice-portal-secure.com', nov(2, '14:22:10'), '203.0.113.7')],
    intel: { threatDomains: [{ domain: '*.invoice-portal-secure.com', ...CORP_FEED }] },
    expect: ['Impact:EC2/MaliciousDomainRequest.Custom'],
  },
  {
    name: 'an ordinary-looking name resolves to a listed sinkhole address',
    dns: [resolved('updates.freshcleanerapp.net', nov(2, '08:00:00'), SINKHOLE_IP)],
    intel: { threatIps: [{ ip: SINKHOLE_IP, listName: 'Sinkholes', custom: false, threatName: 'Sinkhole' }] },
    expect: ['Trojan:EC2/BlackholeTraffic!DNS'],
  },
  {
    name: 'the tester’s reputation probes and a generic managed entry are left to domain reputation',
    dns: querySeries(['abused-rep.guarddutyc2activityb.com', 'crypto-rep.guarddutyc2activityb.com', 'malicious-rep.guarddutyc2activityb.com', 'suspicious-rep.guarddutyc2activityb.com', 'shady-ads.example.net'], nov(2, '10:00:00'), 5, { answers: [['A', '203.0.113.80']] }),
    intel: { threatDomains: [{ domain: 'shady-ads.example.net', listName: 'Managed', custom: false, threatName: 'Malicious' }] },
    expect: [],
  },
  {
    name: 'everyday lookups (package mirror, NTP pool, CDN, S3, reverse lookup) match no list',
    dns: [
      resolved('amazonlinux-2-repos-us-east-1.s3.dualstack.us-east-1.amazonaws.com', nov(2, '10:00:00')),
      resolved('2.amazon.pool.ntp.org', nov(2, '10:00:01')),
      resolved('d3kz1ylq6ml7nh.cloudfront.net', nov(2, '10:00:02')),
      resolved('registry.npmjs.org', nov(2, '10:00:03')),
      dnsQuery({ name: '25.1.0.10.in-addr.arpa', type: 'PTR', time: nov(2, '10:00:04'), answers: [['PTR', 'ip-10-0-1-25.ec2.internal.']] }),
    ],
    expect: [],
  },
  {
    name: 'a look-alike of a test domain does not match its wildcard',
    dns: [resolved('notguarddutyc2activityb.com', nov(2, '10:00:00')), resolved('guarddutyc2activityb.com.evil.example.org', nov(2, '10:00:01'))],
    expect: [],
  },
  {
    name: 'a custom-listed domain that is also on the trusted entity list is trusted',
    dns: [resolved('cdn.invoice-portal-secure.com', nov(2, '14:22:10'), '203.0.113.7')],
    intel: { threatDomains: [{ domain: '*.invoice-portal-secure.com', ...CORP_FEED }], trustedDomains: ['cdn.invoice-portal-secure.com'] },
    expect: [],
  },
  {
    name: 'a sinkhole address on the user’s custom list in an answer: custom lists give .Custom types, and no DNS one is about addresses',
    dns: [resolved('updates.freshcleanerapp.net', nov(2, '08:00:00'), SINKHOLE_IP)],
    intel: { threatIps: [{ ip: SINKHOLE_IP, ...CORP_FEED, threatName: 'Sinkhole' }] },
    expect: [],
  },
  {
    name: 'an answer on a threat list of another category (Scanner) is no black hole',
    dns: [resolved('scan-target.example.com', nov(2, '08:00:00'), SINKHOLE_IP)],
    intel: { threatIps: [{ ip: SINKHOLE_IP, listName: 'ProofPoint', custom: false, threatName: 'Scanner' }] },
    expect: [],
  },
];

export const dnsThreatIntel: DnsDetection = {
  id: 'dns-threat-intel',
  source: 'dns',
  types: TYPES,
  onDns(query, context) {
    if (!query.queryName) return;
    let raised: Set<string> | undefined;
    const emit = (type: string, threat: ThreatMatch, extra: Record<string, unknown> = {}) => {
      if (raised?.has(type)) return;
      (raised ??= new Set()).add(type);
      context.emit({
        type,
        event: query,
        action: dnsAction(query),
        resourceRole: 'ACTOR',
        domain: query.queryName,
        threat,
        aggregateBy: threat.custom ? threat.listName : findingDomain(query.queryName),
        additionalInfo: { domain: query.queryName, ...extra },
      });
    };
    for (const match of domainThreats(context.intel, query.queryName)) {
      const type = typeOf(match);
      if (type) emit(type, match);
    }
    const blackhole = blackholeAnswer(query, context);
    if (blackhole) emit(BLACKHOLE_TYPE, blackhole.match, { blackholeIp: blackhole.ip });
  },
  cases,
};
