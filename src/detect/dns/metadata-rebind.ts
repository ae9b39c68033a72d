import { parseIpv4, parseIpv6 } from '../../intel/ip.js';
import type { DnsAnswer } from '../network-event.js';
import type { DnsDetection, NetworkCase } from '../detection.js';
import { dnsQuery } from '../network-records.js';
import { nov, resolved } from './dns-cases.js';
import { dnsAction, domainName, findingDomain, dnsTypeSpec } from './domain-names.js';

/**
 * UnauthorizedAccess:EC2/MetadataDNSRebind (guardduty.md §2.4 #15): a query answered with the instance
 * metadata service's address, 169.254.169.254 or its IPv6 form fd00:ec2::254 (also as an IPv4-mapped IPv6
 * address), for a name that is not an AWS-internal name. Software on the instance that fetches such a name
 * (an SSRF-prone fetcher, a browser) is steered at IMDS while its checks see a harmless host name: DNS
 * rebinding. One finding per instance and domain (findingDomain), High.
 *
 * Left alone: names under `.internal` (instance-data.ec2.internal, metadata.google.internal) and other
 * non-internet suffixes, unqualified names, and AWS-operated domains. Other link-local answers (the VPC
 * resolver 169.254.169.253, Amazon Time Sync 169.254.169.123) are not IMDS. A private hosted zone that
 * deliberately aliases a corporate name to IMDS raises the finding; add that name to a trusted entity list.
 */
const TYPE = 'UnauthorizedAccess:EC2/MetadataDNSRebind';
const IMDS_V4 = parseIpv4('169.254.169.254')!;
const IMDS_V6 = parseIpv6('fd00:ec2::254')!;
const IPV4_MAPPED = 0xffff00000000n;

/** Every spelling of either IPv6 form has the group fd00 or ffff: other answers need no parse. */
const IMDS_V6_GROUP = /fd00|ffff/i;

function isImds(answer: DnsAnswer): boolean {
  if (answer.type === 'A') return parseIpv4(answer.data.trim()) === IMDS_V4;
  if (answer.type !== 'AAAA' || !IMDS_V6_GROUP.test(answer.data)) return false;
  const v6 = parseIpv6(answer.data.trim());
  return v6 === IMDS_V6 || v6 === IPV4_MAPPED + BigInt(IMDS_V4);
}

const cases = (): NetworkCase[] => [
  {
    name: 'a wildcard-DNS name that spells the IMDS address (169.254.169.254.nip.io)',
    dns: [resolved('169.254.169.254.nip.io', nov(3, '09:15:00'), '169.254.169.254')],
    expect: [TYPE],
  },
  {
    name: 'a rebinding service flips its answer from a public address to IMDS',
    dns: [
      resolved('7f000001.a9fea9fe.rbndr.us', nov(3, '09:15:00'), '203.0.113.10'),
      resolved('7f000001.a9fea9fe.rbndr.us', nov(3, '09:15:02'), '169.254.169.254'),
    ],
    expect: [TYPE],
  },
  {
    name: 'an attacker’s name CNAMEs to a host that answers IMDS',
    dns: [dnsQuery({ name: 'img.cdn-thumbs.net', time: nov(3, '09:15:00'), answers: [['CNAME', 'meta.rebind-lab.com.'], ['A', '169.254.169.254']] })],
    expect: [TYPE],
  },
  {
    name: 'the IPv6 IMDS endpoint in an AAAA answer',
    dns: [dnsQuery({ name: 'v6.rebind-lab.com', type: 'AAAA', time: nov(3, '09:15:00'), answers: [['AAAA', 'fd00:ec2::254']] })],
    expect: [TYPE],
  },
  {
    name: 'IMDS in other IPv6 spellings: upper case and uncompressed, IPv4-mapped dotted and in hex',
    dns: [
      dnsQuery({ name: 'a.rebind-lab.com', type: 'AAAA', time: nov(3, '09:15:00'), answers: [['AAAA', 'FD00:0EC2:0:0:0:0:0:0254']], instance: 'i-0aaa00000000000a1' }),
      dnsQuery({ name: 'b.rebind-lab.com', type: 'AAAA', time: nov(3, '09:15:00'), answers: [['AAAA', '::ffff:169.254.169.254']], instance: 'i-0aaa00000000000a2' }),
      dnsQuery({ name: 'c.rebind-lab.com', type: 'AAAA', time: nov(3, '09:15:00'), answers: [['AAAA', '0:0:0:0:0:FFFF:A9FE:A9FE']], instance: 'i-0aaa00000000000a3' }),
    ],
    expect: [TYPE, TYPE, TYPE],
  },
  {
    name: 'ordinary AAAA answers, and near misses of the IPv6 forms',
    dns: [
      dnsQuery({ name: 'www.example.com', type: 'AAAA', time: nov(3, '09:15:00'), answers: [['AAAA', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']] }),
      dnsQuery({ name: 'x.example.com', type: 'AAAA', time: nov(3, '09:15:01'), answers: [['AAAA', 'fd00:ec2::253']] }),
      dnsQuery({ name: 'y.example.com', type: 'AAAA', time: nov(3, '09:15:02'), answers: [['AAAA', '::ffff:169.254.169.123']] }),
    ],
    expect: [],
  },
  {
    name: 'instance-data.ec2.internal and metadata.google.internal resolve to IMDS by design',
    dns: [
      resolved('instance-data.ec2.internal', nov(3, '09:15:00'), '169.254.169.254'),
      resolved('instance-data', nov(3, '09:15:01'), '169.254.169.254'),
      resolved('metadata.google.internal', nov(3, '09:15:02'), '169.254.169.254'),
    ],
    expect: [],
  },
  {
    name: 'other link-local services (Time Sync, the VPC resolver) and ordinary answers',
    dns: [
      resolved('time.corp.example.com', nov(3, '09:15:00'), '169.254.169.123'),
      resolved('dns.corp.example.com', nov(3, '09:15:01'), '169.254.169.253'),
      resolved('sts.us-east-1.amazonaws.com', nov(3, '09:15:02'), '52.94.226.10'),
      dnsQuery({ name: '254.169.254.169.in-addr.arpa', type: 'PTR', time: nov(3, '09:15:03'), rcode: 'NXDOMAIN' }),
    ],
    expect: [],
  },
];

export const metadataDnsRebind: DnsDetection = {
  id: 'dns-metadata-rebind',
  source: 'dns',
  types: [
    dnsTypeSpec(TYPE, 8, { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Unsecured Credentials: Cloud Instance Metadata API' }, {
      title: 'EC2 instance {instance} is querying a domain that resolves to the instance metadata service.',
      description:
        'EC2 instance {instance} resolved {domain} to the EC2 instance metadata service address. A name that points at IMDS is a DNS rebinding technique: software that fetches it can be tricked into reading instance credentials for an attacker.',
      remediation:
        'Find the application that resolved the name and what it fetched. Require IMDSv2 (HttpTokens=required) with a hop limit of 1, which defeats rebinding through proxies and fetchers, and rotate the instance role’s credentials if the application may have returned them.',
    }),
  ],
  onDns(query, context) {
    if (!query.answers.some(isImds)) return;
    if (domainName(query.queryName).kind !== 'internet') return;
    context.emit({ type: TYPE, event: query, action: dnsAction(query), resourceRole: 'ACTOR', aggregateBy: findingDomain(query.queryName), domain: query.queryName, additionalInfo: { domain: query.queryName } });
  },
  cases,
};
