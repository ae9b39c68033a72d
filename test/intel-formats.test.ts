import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { decodeListText, detectFormat, type ListFormat, parseList, parseListSpec, type ParsedList } from '../src/intel/list-formats.js';
import { UserError } from '../src/sources/input.js';
import { scratchDir } from './helpers/lake.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/intel');

function parseFixture(name: string, format?: ListFormat): ParsedList {
  return parseList(readFileSync(path.join(FIXTURES, name), 'utf8'), format, name);
}

const values = (list: ParsedList) => list.entries.map((e) => `${e.kind}:${e.value}${e.threatName ? ` (${e.threatName})` : ''}`);
const problemLines = (list: ParsedList) => list.problems.map((p) => p.line);

describe('list formats', () => {
  test('TXT: IPv4 and IPv6 addresses and CIDRs, domains and wildcards; bad lines reported by number', () => {
    const list = parseFixture('threat-ips.txt');
    assert.equal(list.format, 'TXT');
    assert.deepEqual(values(list), [
      'ip:198.51.100.7', 'cidr:203.0.113.0/24', 'ip:192.0.2.10', 'ip:2001:db8::1', 'domain:bad.example', 'domain:*.evil.example.org',
      'cidr:2001:db8:bad::/48',
    ]);
    assert.deepEqual(problemLines(list), [5, 7, 10, 12]);
    assert.match(list.problems[0]!.message, /not an IP address, CIDR or domain: not-an-ip!/);
    assert.match(list.problems[1]!.message, /invalid IPv4 address or CIDR: 192\.0\.2\.300/);
    assert.match(list.problems[3]!.message, /invalid IPv6 address or CIDR: 2001:db8::1::2/);
  });

  test('IPv6 entries in every format, stored in RFC 5952 text; IPv4-mapped and NAT64 ones stay IPv4', () => {
    assert.deepEqual(values(parseList('2001:0DB8:0000:0000:0000:0000:0000:0001\n2001:db8:1:2:3:4:5:6/64\n2001:db8::7/128\n::/0\n::ffff:198.51.100.7\n64:ff9b::c000:205/128\n', 'TXT')), [
      'ip:2001:db8::1', 'cidr:2001:db8:1:2::/64', 'ip:2001:db8::7', 'cidr:::/0', 'ip:198.51.100.7', 'ip:192.0.2.5',
    ]);
    assert.deepEqual(problemLines(parseList('2001:db8::/129\nfe80::1%eth0\n2001:db8::12345\n', 'TXT')), [1, 2, 3]);
    assert.deepEqual(values(parseList('Indicator type,Indicator,Description\nIPv6,2001:db8:5::9,Scanner\nCIDR,2001:db8:6::/48,Hosting\n', 'OTX_CSV')), [
      'ip:2001:db8:5::9 (Scanner)', 'cidr:2001:db8:6::/48 (Hosting)',
    ]);
    assert.deepEqual(values(parseList('2001:db8::44#4#2#Malicious Host#DE#Berlin#52.5,13.4#3\n', 'ALIEN_VAULT')), ['ip:2001:db8::44 (Malicious Host)']);
    assert.deepEqual(values(parseList('ip, category, score, first_seen, last_seen, ports (|)\n2001:db8::61, 1, 127, 2026-01-01, 2026-11-01, 443\n', 'PROOF_POINT')), ['ip:2001:db8::61 (CnC)']);
    assert.deepEqual(values(parseList('reportId,ip,cidr,domain,malwareFamily\nr1,2001:db8::91,,,Dridex\nr2,,2001:db8:80::/41,,FIN7\n', 'FIRE_EYE')), [
      'ip:2001:db8::91 (Dridex)', 'cidr:2001:db8:80::/41 (FIN7)',
    ]);
    const stix1 = `<stix:STIX_Package xmlns:stix="http://stix.mitre.org/stix-1" xmlns:AddressObj="http://cybox.mitre.org/objects#AddressObject-2">
<AddressObj:Address_Value condition="InclusiveBetween">2001:db8::10##comma##2001:db8::1f</AddressObj:Address_Value>
<AddressObj:Address_Value condition="InclusiveBetween">2001:db8::10##comma##198.51.100.1</AddressObj:Address_Value>
<AddressObj:Address_Value>2001:db8::20##comma##198.51.100.20</AddressObj:Address_Value>
</stix:STIX_Package>`;
    const list1 = parseList(stix1, 'STIX');
    assert.deepEqual(values(list1), ['cidr:2001:db8::10/124', 'ip:2001:db8::20', 'ip:198.51.100.20']);
    assert.deepEqual(problemLines(list1), [3], 'a range from an IPv6 to an IPv4 address');
    const stix2 = JSON.stringify({ type: 'bundle', objects: [
      { type: 'indicator', id: 'indicator--1', name: 'C2', pattern: "[ipv6-addr:value ISSUBSET '2001:db8:c2::/48' OR ipv6-addr:value = '2001:db8::c3']", pattern_type: 'stix' },
      { type: 'ipv6-addr', id: 'ipv6-addr--1', value: '2001:DB8::C4' },
    ] });
    assert.deepEqual(values(parseList(stix2, 'STIX')), ['cidr:2001:db8:c2::/48 (C2)', 'ip:2001:db8::c3 (C2)', 'ip:2001:db8::c4']);
  });

  test('TXT: CRLF line ends, domain lists with ; comments, case and trailing dot normalised', () => {
    assert.deepEqual(values(parseFixture('trusted-ips.txt')), ['ip:192.0.2.10', 'cidr:198.51.100.0/28', 'cidr:2001:db8:cafe::/48']);
    const domains = parseFixture('domains.txt');
    assert.deepEqual(values(domains), ['domain:login-microsoft.example', 'domain:*.c2.example.net', 'domain:mixed.case.example.com']);
    assert.deepEqual(problemLines(domains), [5]);
  });

  test('TXT: a CIDR with host bits is stored as its network; /32 as an address', () => {
    const list = parseList('10.1.2.3/8\n192.0.2.9/32\n', 'TXT');
    assert.deepEqual(values(list), ['cidr:10.0.0.0/8', 'ip:192.0.2.9']);
  });

  test('OTX_CSV: IPv4, IPv6, CIDR, hostname and domain rows; hashes and URLs skipped; descriptions as threat names', () => {
    const list = parseFixture('otx.csv');
    assert.equal(list.format, 'OTX_CSV');
    assert.deepEqual(values(list), [
      'ip:198.51.100.23 (SSH brute force source)',
      'cidr:203.0.113.64/26 (Scanning subnet)',
      'domain:beacon.c2.example (Cobalt Strike beacon, team server)',
      'domain:malware-drop.example',
      'ip:2001:db8::5 (ipv6 host)',
    ]);
    assert.equal(list.skipped, 2);
    assert.deepEqual(problemLines(list), [9]);
  });

  test('ALIEN_VAULT: first field is the entry, the activity label the threat name; # lines are comments', () => {
    const list = parseFixture('alienvault.txt');
    assert.equal(list.format, 'ALIEN_VAULT');
    assert.deepEqual(values(list), ['ip:198.51.100.44 (Malicious Host)', 'ip:203.0.113.9 (Scanning Host)', 'domain:bad-host.example (C&C)']);
    assert.deepEqual(problemLines(list), [6]);
  });

  test('PROOF_POINT: ip and domain headers; categories named; short rows reported', () => {
    const ips = parseFixture('proofpoint.csv');
    assert.equal(ips.format, 'PROOF_POINT');
    assert.deepEqual(values(ips), ['ip:198.51.100.61 (CnC)', 'ip:203.0.113.77 (Scanner)']);
    assert.deepEqual(problemLines(ips), [4, 5]);
    const domains = parseFixture('proofpoint-domains.csv');
    assert.equal(domains.format, 'PROOF_POINT');
    assert.deepEqual(values(domains), ['domain:phish.example (Spam)', 'ip:198.51.100.70 (Bot)']);
  });

  test('FIRE_EYE: ip, cidr and domain columns of the 47-column iSIGHT layout, quoted multi-line fields', () => {
    const list = parseFixture('fireeye.csv');
    assert.equal(list.format, 'FIRE_EYE');
    assert.deepEqual(values(list), ['ip:198.51.100.91 (Dridex)', 'cidr:203.0.113.128/25 (FIN7)', 'domain:update-check.example', 'ip:198.51.100.92']);
    assert.equal(list.skipped, 1, 'the md5-only row');
    assert.deepEqual(problemLines(list), [8], 'line numbers count the physical lines of the multi-line title');
  });

  test('STIX 1.2: ##comma## lists, InclusiveBetween ranges as CIDRs, DomainNameObject values, titles as threat names', () => {
    const list = parseFixture('stix1.xml');
    assert.equal(list.format, 'STIX');
    assert.deepEqual(values(list), [
      'ip:198.51.100.101 (Botnet CnC)',
      'ip:198.51.100.102 (Botnet CnC)',
      'cidr:203.0.113.8/29 (Scanner range)',
      'cidr:203.0.113.16/29 (Scanner range)',
      'domain:phish-login.example.com (Phishing)',
      'ip:192.0.2.55',
    ]);
    assert.equal(list.problems.length, 1, 'the reversed range');
    assert.equal(list.problems[0]!.line, 67);
  });

  test('STIX 2.1: OR\'d indicator patterns, ISSUBSET CIDRs, SCOs; revoked and hash indicators left out', () => {
    const list = parseFixture('stix2.json');
    assert.equal(list.format, 'STIX');
    assert.deepEqual(values(list), [
      'ip:198.51.100.121 (Emotet C2)',
      'ip:198.51.100.122 (anomalous-activity)',
      'cidr:203.0.113.192/27 (anomalous-activity)',
      'domain:c2.bad.example (anomalous-activity)',
      'ip:192.0.2.130',
      'domain:exfil.example',
      'ip:2001:db8::130',
    ]);
    assert.equal(list.skipped, 1);
    assert.deepEqual(problemLines(list), [42], 'line of the broken indicator');
  });

  test('STIX 2.1: network-traffic src_ref/dst_ref values (MISP ip-dst / ip-src) are address indicators', () => {
    const indicator = (id: string, pattern: string) => ({ type: 'indicator', spec_version: '2.1', id: `indicator--${id}`, name: 'MISP ip-dst', pattern, pattern_type: 'stix' });
    const bundle = JSON.stringify({
      type: 'bundle',
      objects: [
        indicator('1', "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.220']"),
        indicator('2', "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '203.0.113.0/25']"),
        indicator('3', "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'c2.bad.example']"),
        indicator('4', "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '2001:db8::1']"),
        indicator('5', "[network-traffic:dst_port = 4444]"),
      ],
    }, null, 1);
    const list = parseList(bundle, 'STIX');
    assert.deepEqual(values(list), [
      'ip:198.51.100.220 (MISP ip-dst)', 'cidr:203.0.113.0/25 (MISP ip-dst)', 'domain:c2.bad.example (MISP ip-dst)', 'ip:2001:db8::1 (MISP ip-dst)',
    ]);
    assert.deepEqual(list.problems, []);
    assert.equal(list.skipped, 1, 'a port-only pattern holds no address');
  });

  test('UTF-16 list files, with a BOM either way or without one, decode; UTF-8 stays as it is', () => {
    const text = '198.51.100.10\r\n# Windows PowerShell Out-File\r\n203.0.113.0/24\r\n';
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    const bom = (order: number[], body: Buffer) => Buffer.concat([Buffer.from(order), body]);
    for (const [label, bytes] of [['LE BOM', bom([0xff, 0xfe], le)], ['BE BOM', bom([0xfe, 0xff], be)], ['LE no BOM', le], ['BE no BOM', be]] as const) {
      const decoded = decodeListText(bytes);
      assert.equal(decoded, text, label);
      assert.deepEqual(values(parseList(decoded)), ['ip:198.51.100.10', 'cidr:203.0.113.0/24'], label);
    }
    assert.equal(decodeListText(Buffer.from('\ufeffbad.example\n', 'utf8')), '\ufeffbad.example\n', 'UTF-8 BOM left to the parser');
    assert.equal(decodeListText(Buffer.from('café.example\n', 'utf8')), 'café.example\n');
  });

  test('STIX 2.1: invalid JSON is one problem, not an exception', () => {
    const list = parseList('{\n  "type": "bundle",\n  "objects": [ oops ]\n}\n', 'STIX');
    assert.equal(list.entries.length, 0);
    assert.equal(list.problems.length, 1);
    assert.match(list.problems[0]!.message, /invalid JSON/);
  });

  test('format detection by content and file name', () => {
    assert.equal(detectFormat('192.0.2.1\n'), 'TXT');
    assert.equal(detectFormat('  {"type":"bundle"}'), 'STIX');
    assert.equal(detectFormat('<?xml version="1.0"?><stix:STIX_Package/>'), 'STIX');
    assert.equal(detectFormat('Indicator type,Indicator,Description\n'), 'OTX_CSV');
    assert.equal(detectFormat('ip, category, score, first_seen, last_seen, ports (|)\n'), 'PROOF_POINT');
    assert.equal(detectFormat('# c\n192.0.2.1#4#2#Malicious Host#US##0.0,0.0#3\n'), 'ALIEN_VAULT');
    assert.equal(detectFormat('', 'feed.json'), 'STIX');
  });

  test('an explicit format wins over detection', () => {
    const list = parseList('192.0.2.1#4#2#Malicious Host#US##0.0,0.0#3\n', 'TXT');
    assert.equal(list.entries.length, 0);
    assert.equal(list.problems.length, 1);
  });

  test('FILE[:FORMAT] and URL[:FORMAT] specs', () => {
    assert.deepEqual(parseListSpec('lists/bad.txt'), { location: 'lists/bad.txt', isUrl: false });
    assert.deepEqual(parseListSpec('lists/bad.csv:otx_csv'), { location: 'lists/bad.csv', isUrl: false, format: 'OTX_CSV' });
    assert.deepEqual(parseListSpec('https://example.com:8443/feed.xml'), { location: 'https://example.com:8443/feed.xml', isUrl: true });
    assert.deepEqual(parseListSpec('http://example.com/feed.xml:STIX'), { location: 'http://example.com/feed.xml', isUrl: true, format: 'STIX' });
    assert.throws(() => parseListSpec('lists/bad.csv:CSV'), (e: unknown) => e instanceof UserError && /unknown list format 'CSV'/.test(e.message));
    assert.throws(() => parseListSpec('s3://bucket/list.txt'), UserError);
  });

  test('a file whose name ends in :word is read as a file when it exists', () => {
    const scratch = scratchDir('gumshoe-intel-spec-');
    try {
      const file = path.join(scratch.dir, 'odd:name');
      writeFileSync(file, '192.0.2.1\n');
      assert.deepEqual(parseListSpec(file), { location: file, isUrl: false });
    } finally {
      scratch.cleanup();
    }
  });
});
