import type { DnsDetection, NetworkCase } from '../detection.js';
import { dnsQuery } from '../network-records.js';
import { MINUTE, persistedTable } from '../network/flow-windows.js';
import { after, nov, querySeries } from './dns-cases.js';
import { dnsAction, domainName, domainThreats, labelRandomness, looksGenerated, senderKey, dnsTypeSpec } from './domain-names.js';
import { BENIGN_GENERATED_LOOKING, DGA_FAMILIES, dgaNames } from './name-samples.js';

/**
 * Trojan:EC2/DGADomainRequest.B (guardduty.md §2.4 #9): an instance tries names that look algorithmically
 * generated and do not exist, as malware does when it walks its domain-generation algorithm's list to find
 * the few its operator registered.
 *
 * A name counts when its owner-chosen label (the registered domain's, or the one under a dynamic-DNS
 * provider, domain-names.ts) looks generated to the character trigram model trained on real domain names
 * (dga-model.json; per-length bits-per-character thresholds and an entropy floor; docs/detections-network.md
 * has the training data and measured rates). AWS, internal, reverse-lookup, unqualified and punycode names
 * are never scored, and labels shorter than 7 characters are too short to judge.
 *
 * The finding needs MIN_NXDOMAIN distinct generated-looking domains answered NXDOMAIN from one instance
 * within WINDOW: one odd name is a typo or a hashed CDN brand, a run of non-existent ones is a DGA. From
 * then on, while the window holds that many, every generated-looking query of the instance (resolving or
 * not) is raised into the same finding (one per instance).
 */
const TYPE = 'Trojan:EC2/DGADomainRequest.B';
export const DGA = { minNxdomain: 5, windowMs: 10 * MINUTE } as const;
/**
 * Query types that ask for an address to connect to, as malware walking its DGA list does. A mail server
 * asks MX, SPF/DMARC TXT and other types of spam senders' domains, often generated and gone: not counted.
 */
const ADDRESS_QUERY_TYPES = new Set(['A', 'AAAA', 'ANY', 'CNAME', 'HTTPS', 'SVCB']);
/** Senders tracked at once; the least recently active go first. */
const MAX_SENDERS = 20_000;

/** Distinct generated-looking NXDOMAIN domains of one sender, oldest first, with their times. */
interface Recent {
  d: string[];
  t: number[];
}
const recentTable = persistedTable<Recent>('nxdomain', MAX_SENDERS);

const [cryptolocker, conficker, necurs] = DGA_FAMILIES;
const start = nov(4, '02:00:00');
const nx = { rcode: 'NXDOMAIN' };

const cases = (): NetworkCase[] => [
  {
    name: 'Cryptolocker-shaped names: eight NXDOMAIN in four minutes, then one resolves',
    dns: [...querySeries(dgaNames(cryptolocker!, 8, 3), start, 30, nx), dnsQuery({ name: 'qmvtrkbwplxzhd.ru', time: after(start, 250), answers: [['A', '203.0.113.61']] })],
    expect: [TYPE],
  },
  {
    name: 'the GuardDuty tester’s C&C name after a DGA burst is a listed name, not the burst’s latest generated one',
    dns: [...querySeries(dgaNames(cryptolocker!, 6, 3), start, 30, nx), dnsQuery({ name: 'c2.guarddutyc2activityb.com', time: after(start, 200), answers: [['A', '198.51.100.8']] })],
    expect: [TYPE],
  },
  {
    name: 'Necurs-shaped names on many TLDs, twelve NXDOMAIN in two minutes',
    dns: querySeries(dgaNames(necurs!, 12, 5), start, 10, nx),
    expect: [TYPE],
  },
  {
    name: 'Conficker-shaped names behind a DNS Firewall that blocks them (NXDOMAIN, blocked)',
    dns: querySeries(dgaNames(conficker!, 20, 9), start, 6, { ...nx, firewallAction: 'BLOCK' }),
    expect: [TYPE],
  },
  {
    // About a third of random letters behind `xn--` decode to no valid name and are judged; the rest (CJK strings and such) are not.
    name: 'evasion: Cryptolocker-shaped names behind a punycode prefix (xn--…)',
    dns: querySeries(dgaNames(cryptolocker!, 40, 23).map((name) => `xn--${name}`), start, 5, nx),
    expect: [TYPE],
  },
  {
    name: 'international (punycode) names that fail: Cyrillic, German, Chinese, Japanese',
    dns: querySeries(['xn--e1afmkfd.xn--p1ai', 'xn--mller-kva.de', 'xn--fiqs8s.com', 'xn--zckzah.jp', 'xn--d1acufc.xn--p1ai', 'xn--80asehdb.com', 'xn--bcher-kva.com'], start, 10, nx),
    expect: [],
  },
  {
    name: 'four generated-looking NXDOMAIN names are below the threshold',
    dns: querySeries(dgaNames(cryptolocker!, 4, 3), start, 30, nx),
    expect: [],
  },
  {
    name: 'DGA-shaped names spread over hours never gather in one window',
    dns: querySeries(dgaNames(cryptolocker!, 10, 3), start, 15 * 60, nx),
    expect: [],
  },
  {
    name: 'hashed CDN, API Gateway, ELB, IoT and internal hostnames, all failing (a broken config), are not DGA',
    dns: querySeries(BENIGN_GENERATED_LOOKING, start, 2, nx),
    expect: [],
  },
  {
    name: 'Chrome’s intranet-redirect probes: random single-label names, with the VPC search domain appended',
    dns: querySeries(['qxqzjbtrpx', 'vlkuwdmgsnay', 'brhgoekcqzt', 'qxqzjbtrpx.ec2.internal', 'vlkuwdmgsnay.ec2.internal', 'brhgoekcqzt.ec2.internal'], start, 1, nx),
    expect: [],
  },
  {
    name: 'a mail server’s MX and DMARC lookups of spam senders’ generated, vanished domains',
    dns: dgaNames(cryptolocker!, 20, 22).flatMap((name, i) => [
      dnsQuery({ name, time: after(start, 20 * i), type: 'MX', ...nx }),
      dnsQuery({ name: `_dmarc.${name}`, time: after(start, 20 * i + 1), type: 'TXT', ...nx }),
    ]),
    expect: [],
  },
  {
    name: 'many resolving generated-looking names without failures (a tracking pixel farm) are not enough',
    dns: querySeries(dgaNames(cryptolocker!, 10, 21), start, 20, { answers: [['A', '203.0.113.90']] }),
    expect: [],
  },
];

export const dgaDomainRequest: DnsDetection = {
  id: 'dns-dga-domain',
  source: 'dns',
  types: [
    dnsTypeSpec(TYPE, 8, { tactic: 'TA0011 Command and Control', technique: 'T1568.002 Dynamic Resolution: Domain Generation Algorithms' }, {
      title: 'EC2 instance {instance} is querying algorithmically generated domains.',
      description:
        'EC2 instance {instance} queried {nxdomains} algorithmically generated-looking domains that do not exist within {minutes} minutes (latest: {domain}). Malware uses domain generation algorithms to find its command and control servers; this could indicate a compromised instance.',
      remediation:
        'Find the process that resolves these names (DNS client logs, process list). Treat the instance as compromised unless explained: isolate it, keep its volumes for forensics, rotate the credentials it holds, rebuild it, and block the generated names with DNS Firewall.',
    }),
  ],
  onDns(query, context) {
    if (!ADDRESS_QUERY_TYPES.has(query.queryType ?? 'A')) return;
    const name = domainName(query.queryName);
    if (name.kind !== 'internet' || name.label === null || !looksGenerated(name.label)) return;
    // A listed name is known, not generated (the tester's C&C label looks random): its own types report it.
    if (domainThreats(context.intel, query.queryName).length > 0) return;
    const table = recentTable(context);
    const key = senderKey(query);
    let recent = table.get(key);
    while (recent && recent.t.length > 0 && query.time - recent.t[0]! > DGA.windowMs) {
      recent.t.shift();
      recent.d.shift();
    }
    if (query.rcode === 'NXDOMAIN' && !recent?.d.includes(name.owned!)) {
      if (!recent) table.set(key, (recent = { d: [], t: [] }));
      recent.d.push(name.owned!);
      recent.t.push(query.time);
      // Only the threshold matters: keep the latest few times it.
      if (recent.d.length > 2 * DGA.minNxdomain) {
        recent.d.shift();
        recent.t.shift();
      }
    }
    if (!recent || recent.d.length < DGA.minNxdomain) return;
    const randomness = labelRandomness(name.label)!;
    context.emit({
      type: TYPE,
      event: query,
      action: dnsAction(query),
      resourceRole: 'ACTOR',
      domain: query.queryName,
      additionalInfo: {
        domain: query.queryName,
        bitsPerChar: Math.round(randomness.bitsPerChar * 100) / 100,
        entropy: Math.round(randomness.entropy * 100) / 100,
        nxdomainSample: [...recent.d],
      },
      vars: { nxdomains: recent.d.length, minutes: DGA.windowMs / MINUTE },
    });
  },
  cases,
};
