import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import { dnsDataExfiltration } from '../src/detect/dns/data-exfiltration.js';
import { dgaDomainRequest } from '../src/detect/dns/dga-domain.js';
import { nov, querySeries } from '../src/detect/dns/dns-cases.js';
import { dnsThreatIntel } from '../src/detect/dns/dns-threat-intel.js';
import { domainReputation } from '../src/detect/dns/domain-reputation.js';
import { metadataDnsRebind } from '../src/detect/dns/metadata-rebind.js';
import { seededRandom } from '../src/detect/dns/name-samples.js';
import type { NetworkCase } from '../src/detect/detection.js';
import type { DnsOptions } from '../src/detect/network-records.js';

/**
 * Audit of real-world benign names that classically look like DGAs or tunnels, through all five DNS
 * detections with every domain new (learningDays 0), and of tunnel and DGA evasions.
 */
const DNS_DETECTIONS = [dnsThreatIntel, dgaDomainRequest, dnsDataExfiltration, metadataDnsRebind, domainReputation];
const random = seededRandom(42);
const text = (length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz') => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
const HEX = '0123456789abcdef';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const sha1 = (seed: string) => createHash('sha1').update(seed).digest('hex');
const octet = () => String(Math.floor(random() * 256));
const reversedIp = () => [octet(), octet(), octet(), octet()].join('.');
const nibbles = () => [...text(32, HEX)].join('.');
/** Real internationalised labels: пример, müller, 中国, テスト, домен, онлайн, bücher, 例え, 한국어 */
const IDN = ['xn--e1afmkfd', 'xn--mller-kva', 'xn--fiqs8s', 'xn--zckzah', 'xn--d1acufc', 'xn--80asehdb', 'xn--bcher-kva', 'xn--r8jz45g', 'xn--9t4b11yi5a'];
const many = (count: number, name: (i: number) => string) => Array.from({ length: count }, (_, i) => name(i));

/** A few tenants' ids, each asked over and over, as an agent fleet does. */
function saasNames(): string[] {
  const workspaces = many(4, () => randomUUID());
  return many(300, (i) => [`7-${i % 60}-${i % 4}-app.agent.datadoghq.com`, `o${4500000 + (i % 9)}.ingest.us.sentry.io`, `${workspaces[i % 4]}.ods.opinsights.azure.com`, `${workspaces[i % 3]}.agentsvc.azure-automation.net`, `${text(8, ALNUM)}.live.dynatrace.com`][i % 5]!);
}

/** Every DNS detection over the queries, with every domain new. */
function run(dns: Record<string, unknown>[]) {
  const audit: NetworkCase = { name: 'audit', dns, expect: [], settings: { learningDays: 0 } };
  return runCase(DNS_DETECTIONS, audit);
}

function typesFor(names: string[], every: number, options: Omit<DnsOptions, 'name' | 'time'> = {}): string[] {
  const dns = querySeries(names, nov(10, '00:00:00'), every, options);
  return [...new Set(run(dns).map((o) => `${o.finding.type} ${o.finding.service.action.dnsRequestAction?.domain}`))];
}

describe('real-world benign lookalikes raise nothing, every domain new', () => {
  const benign: [string, string[], number, Omit<DnsOptions, 'name' | 'time'>?][] = [
    ['Sophos and McAfee GTI hash lookups', many(240, (i) => (i % 2 ? `${text(40, BASE32)}.${text(12, BASE32)}.sophosxl.net` : `0.0.0.0.1.0.0.4e.${sha1(`f${i}`).slice(0, 32)}.avqs.mcafee.com`)), 1],
    ['DNSBL and ASN lookups, IPv4 and IPv6, listed zones and not', many(300, (i) => [`${reversedIp()}.zen.spamhaus.org`, `${reversedIp()}.b.barracudacentral.org`, `${reversedIp()}.psbl.surriel.com`, `${nibbles()}.origin6.asn.cymru.com`, `${reversedIp()}.origin.asn.cymru.com`][i % 5]!), 1, { type: 'TXT', rcode: 'NXDOMAIN' }],
    ['SES DKIM keys, DMARC, SPF, MTA-STS and ACME TXT lookups', many(300, (i) => [`${text(32, BASE32)}._domainkey.sender${i % 3}.example-mailer.com`, `_dmarc.shop${i}.com`, `_acme-challenge.${text(8)}.example-store.com`, '_spf.google.com', `_mta-sts.shop${i}.com`][i % 5]!), 1, { type: 'TXT' }],
    ['a mail server’s MX lookups of spam senders’ vanished domains', many(100, (i) => [`${text(9 + (i % 6))}.com`, `mail.${text(10)}.net`][i % 2]!), 5, { type: 'MX', rcode: 'NXDOMAIN' }],
    ['Active Directory SRV and DSA GUID names', many(80, (i) => ['_ldap._tcp.dc._msdcs.corp.example.com', `${randomUUID()}._msdcs.corp.example.com`, `_ldap._tcp.${randomUUID()}.domains._msdcs.corp.example.com`, '_kerberos._tcp.Default-First-Site-Name._sites.dc._msdcs.corp.example.com'][i % 4]!), 2, { type: 'SRV' }],
    ['Kubernetes and VPC search-domain misfires, mDNS', many(200, (i) => [`${text(20, HEX)}.s3.amazonaws.com.default.svc.cluster.local`, 'www.google.com.ec2.internal', `${text(10)}.us-east-1.compute.internal`, `${text(12)}-${text(8, HEX)}.local`][i % 4]!), 1, { rcode: 'NXDOMAIN' }],
    ['reverse lookups', many(200, (i) => (i % 2 ? `${reversedIp()}.in-addr.arpa` : `${nibbles()}.ip6.arpa`)), 1, { type: 'PTR', rcode: 'NXDOMAIN' }],
    ['AWS endpoints with generated ids', many(300, (i) => [`${text(10, ALNUM)}.execute-api.us-east-1.amazonaws.com`, `internal-app-${text(10, HEX)}-${text(9, '0123456789')}.us-east-1.elb.amazonaws.com`, `${sha1(`b${i}`)}-bucket.s3.us-east-1.amazonaws.com`, `d${text(13, ALNUM)}.cloudfront.net`, `a${text(16, HEX)}.awsglobalaccelerator.com`, `${text(32, ALNUM)}.lambda-url.us-east-1.on.aws`][i % 6]!), 1],
    ['CDN and hosting names', many(300, (i) => [`e${text(4, '0123456789')}.a.akamaiedge.net`, `${sha1(`c${i}`).slice(0, 32)}.akamaized.net`, `${text(16)}.azureedge.net`, `${text(20)}.z01.azurefd.net`, `${text(14)}-dot-${text(10)}.appspot.com`, `${text(6)}-${text(5)}-${text(2, '0123456789')}.herokuapp.com`, `${text(24, HEX)}.global.ssl.fastly.net`, `r${text(1, '0123456789')}---sn-${text(8)}.googlevideo.com`][i % 8]!), 1],
    ['SaaS agents: Datadog versioned intake, Sentry orgs, Azure Monitor workspaces by GUID, Dynatrace environments', saasNames(), 1],
    ['Chrome’s intranet-redirect probes, bare and under a corporate search domain', many(60, (i) => (i % 2 ? text(7 + (i % 9)) : `${text(7 + (i % 9))}.corp.acme-industries.com`)), 1, { rcode: 'NXDOMAIN' }],
    ['international names that fail, NTP pools and NTP servers named by stratum', many(80, (i) => (i % 2 ? `${IDN[i % IDN.length]}.${['com', 'xn--p1ai', 'de', 'xyz'][i % 4]}` : `${['0.amazon.pool.ntp.org', 'stratum-1.ntp.example.edu', 'stratum2.time.example.net'][i % 3]}`)), 5, { rcode: 'NXDOMAIN' }],
  ];
  for (const [name, names, every, options] of benign) test(name, () => assert.deepEqual(typesFor(names, every, options), []));
});

describe('evasions are raised', () => {
  const exfiltration = 'Trojan:EC2/DNSDataExfiltration';
  test('base32 payload split over three labels', () => {
    assert.ok(typesFor(many(80, () => `${text(20, BASE32)}.${text(20, BASE32)}.${text(20, BASE32)}.evil-updates.com`), 3, { type: 'TXT' }).some((t) => t.startsWith(exfiltration)));
  });
  test('decimal payload in digit-only labels', () => {
    assert.ok(typesFor(many(80, () => `${text(60, '0123456789')}.${text(40, '0123456789')}.evil-updates.com`), 3, { type: 'TXT' }).some((t) => t.startsWith(exfiltration)));
  });
  test('hex payload over DNS over TCP: the action says TCP', () => {
    const dns = querySeries(many(80, () => `${text(60, HEX)}.${text(40, HEX)}.evil-updates.com`), nov(10, '00:00:00'), 3, { type: 'TXT', transport: 'TCP' });
    const [occurrence] = run(dns);
    assert.equal(occurrence?.finding.type, exfiltration);
    assert.equal(occurrence.finding.service.action.dnsRequestAction?.protocol, 'TCP');
    assert.equal(occurrence.finding.service.resourceRole, 'ACTOR');
  });
});

describe('grouping: one finding per instance and domain, repeats counted', () => {
  test('two C&C domains from one instance are two findings; a domain’s hosts and repeats are one', () => {
    const intel = { threatDomains: [{ domain: '*.evil-c2.example.net', listName: 'ManagedC2', custom: false, threatName: 'CommandAndControl' }, { domain: 'beacon.bad-relay.example.org', listName: 'ManagedC2', custom: false, threatName: 'CommandAndControl' }] };
    const names = ['a.evil-c2.example.net', 'b.evil-c2.example.net', 'a.evil-c2.example.net', 'beacon.bad-relay.example.org', 'beacon.bad-relay.example.org'];
    const audit: NetworkCase = { name: 'c2', dns: querySeries(names, nov(10, '00:00:00'), 60, { answers: [['A', '203.0.113.9']] }), expect: [], intel };
    const findings = new Map(runCase(DNS_DETECTIONS, audit).map((o) => [o.finding.id, o.finding]));
    const byDomain = [...findings.values()].map((f) => [f.service.action.dnsRequestAction?.domainWithSuffix, f.service.count]).sort();
    assert.deepEqual(byDomain, [['example.net', 3], ['example.org', 2]]);
  });
});
