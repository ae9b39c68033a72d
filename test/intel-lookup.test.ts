import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { asnIndexFile, cachedAsnTable } from '../src/intel/asn-cache.js';
import { AsnTable, decodeAsnTable, encodeAsnTable, parseAsnCsv } from '../src/intel/asn-table.js';
import { asnCsvSource, combineSources, Geo, type GeoSource, packageGeo } from '../src/intel/geo.js';
import { formatIpv6, ipv4Of, parseIpv4, parseIpv4Range, parseIpv6, RangeIndex, unmapIpv4 } from '../src/intel/ip.js';
import { buildLookup, isNonRoutableEntry } from '../src/intel/matcher.js';
import { staticIntel } from '../src/intel/static.js';
import { parseAwsIpRanges } from '../src/intel/update.js';
import { setEnv } from './helpers/env.js';
import { scratchDir } from './helpers/lake.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/intel');
const fixture = (name: string) => path.join(FIXTURES, name);

describe('staticIntel', () => {
  const intel = staticIntel({
    threatIps: [
      { ip: '198.51.100.7' },
      { ip: '203.0.113.0/24', listName: 'Scanners' },
      { ip: '203.0.113.128/25', listName: 'Feodo', custom: false },
      { ip: '192.0.2.10', listName: 'Scanners' },
    ],
    threatDomains: ['bad.example', '*.evil.example.org'],
    trustedIps: ['192.0.2.0/28'],
    torExits: ['185.220.101.1'],
    awsIps: ['52.94.76.0/24', '3.5.140.7'],
  });

  test('exact IPs and CIDRs, one match per list, default list name and custom flag', () => {
    assert.deepEqual(intel.ipThreats('198.51.100.7'), [{ listName: 'TestThreatList', custom: true }]);
    assert.deepEqual(intel.ipThreats('203.0.113.200'), [{ listName: 'Feodo', custom: false }, { listName: 'Scanners', custom: true }]);
    assert.deepEqual(intel.ipThreats('203.0.113.5'), [{ listName: 'Scanners', custom: true }]);
    assert.deepEqual(intel.ipThreats('198.51.100.8'), []);
    assert.deepEqual(intel.ipThreats('not an ip'), []);
    assert.deepEqual(intel.ipThreats('2001:db8::1'), []);
  });

  test('domains exactly (case, trailing dot) and wildcards for subdomains only', () => {
    assert.equal(intel.domainThreats('BAD.example.').length, 1);
    assert.equal(intel.domainThreats('sub.bad.example').length, 0, 'an exact entry does not cover subdomains');
    assert.equal(intel.domainThreats('a.b.evil.example.org').length, 1);
    assert.equal(intel.domainThreats('evil.example.org').length, 0, 'a wildcard does not cover its apex');
  });

  test('trusted wins: isTrustedIp is true while ipThreats still reports the lists', () => {
    assert.equal(intel.isTrustedIp('192.0.2.10'), true);
    assert.equal(intel.ipThreats('192.0.2.10').length, 1);
    assert.equal(intel.isTrustedIp('192.0.2.16'), false);
  });

  test('lists only apply to publicly routable addresses (guardduty.md §7): private and reserved ones never match', () => {
    const lists = staticIntel({
      threatIps: [{ ip: '10.0.0.0/8', listName: 'Private' }, { ip: '0.0.0.0/0', listName: 'Everything' }],
      trustedIps: ['192.168.0.0/16', '100.64.0.0/10', '81.2.69.0/24'],
    });
    for (const ip of ['10.1.2.3', '192.168.1.1', '172.16.0.1', '172.31.255.254', '127.0.0.1', '169.254.169.254', '100.64.0.1', '0.1.2.3', '192.0.0.9', '198.18.0.1', '224.0.0.251', '255.255.255.255']) {
      assert.deepEqual(lists.ipThreats(ip), [], ip);
    }
    // Just outside the blocks, and the documentation blocks that stand for internet addresses in examples.
    for (const ip of ['11.0.0.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '198.20.0.1', '223.255.255.255', '203.0.113.5', '198.51.100.7']) {
      assert.deepEqual(lists.ipThreats(ip), [{ listName: 'Everything', custom: true }], ip);
    }
    assert.equal(lists.isTrustedIp('192.168.1.1'), false);
    assert.equal(lists.isTrustedIp('100.64.0.1'), false);
    assert.equal(lists.isTrustedIp('81.2.69.160'), true);
  });

  test('isNonRoutableEntry: an address or CIDR wholly inside private or reserved space', () => {
    for (const entry of ['10.0.0.0/8', '10.1.2.3', '172.16.0.0/12', '192.168.10.0/24', '127.0.0.1', '240.0.0.0/4']) assert.equal(isNonRoutableEntry(entry), true, entry);
    for (const entry of ['0.0.0.0/0', '8.0.0.0/7', '172.0.0.0/8', '203.0.113.0/24', '81.2.69.160', 'bad.example']) assert.equal(isNonRoutableEntry(entry), false, entry);
  });

  test('Tor exits and AWS ranges', () => {
    assert.equal(intel.isTorExit('185.220.101.1'), true);
    assert.equal(intel.isTorExit('185.220.101.2'), false);
    assert.equal(intel.isTorRelay('185.220.101.1'), false);
    assert.deepEqual(intel.awsRange('52.94.76.1'), { region: 'us-east-1', service: 'EC2' });
    assert.ok(intel.awsRange('3.5.140.7'));
    assert.equal(intel.awsRange('8.8.8.8'), undefined);
  });

  test('without awsIps, an IP on an Amazon ASN counts as AWS (region unknown)', () => {
    const plain = staticIntel({});
    assert.deepEqual(plain.awsRange('52.94.76.1'), { region: 'unknown', service: 'AMAZON' });
    assert.equal(plain.awsRange('8.8.8.8'), undefined);
    assert.equal(plain.awsRange('garbage'), undefined);
  });
});

describe('IPv6 addresses that carry an IPv4 one (IPv4-mapped, NAT64) are judged as that IPv4 address', () => {
  const intel = staticIntel({
    threatIps: [{ ip: '45.9.148.3' }, { ip: '185.244.25.9', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' }],
    trustedIps: ['192.0.2.0/28'],
    torExits: ['185.220.101.1'],
    awsIps: ['44.192.0.0/11'],
  });

  test('ipv4Of / unmapIpv4: ::ffff:0:0/96 and 64:ff9b::/96 in every spelling; other IPv6 is not IPv4', () => {
    for (const text of ['::ffff:45.9.148.3', '::FFFF:2d09:9403', '0:0:0:0:0:ffff:2d09:9403', '64:ff9b::45.9.148.3', '64:ff9b::2d09:9403', '0064:ff9b:0:0:0:0:2d09:9403']) {
      assert.equal(ipv4Of(text), parseIpv4('45.9.148.3'), text);
      assert.equal(unmapIpv4(text), '45.9.148.3', text);
    }
    for (const text of ['::1', '::45.9.148.3', '2001:db8::2d09:9403', '64:ff9b:1::2d09:9403', 'fe80::ffff:2d09:9403', 'garbage', '']) {
      assert.equal(ipv4Of(text), undefined, text);
      assert.equal(unmapIpv4(text), text, text);
    }
    assert.equal(unmapIpv4('8.8.8.8'), '8.8.8.8');
  });

  test('threat, trusted and Tor lists match the carried address', () => {
    assert.equal(intel.ipThreats('::ffff:45.9.148.3')[0]?.listName, 'TestThreatList');
    assert.equal(intel.ipThreats('64:ff9b::b9f4:1909')[0]?.listName, 'Feodo', 'C&C reached through NAT64 (audit-net D5)');
    assert.equal(intel.isTrustedIp('::ffff:192.0.2.5'), true);
    assert.equal(intel.isTorExit('::ffff:185.220.101.1'), true);
    assert.deepEqual(intel.ipThreats('::ffff:10.0.0.1'), [], 'a mapped private address stays private');
  });

  test('inside AWS by the IPv4 ranges, and by the Amazon ASN without ranges', () => {
    assert.deepEqual(intel.awsRange('::ffff:44.200.1.1'), { region: 'us-east-1', service: 'EC2' });
    assert.equal(intel.isInsideAws('64:ff9b::44.200.1.1'), true);
    assert.equal(intel.isInsideAws('::ffff:8.8.8.8'), false);
    assert.deepEqual(staticIntel({}).awsRange('::ffff:52.94.76.1'), { region: 'unknown', service: 'AMAZON' });
  });

  test('geo and ASN are those of the IPv4 address', () => {
    const geo = packageGeo();
    assert.deepEqual(geo.details('::ffff:8.8.8.8'), geo.details('8.8.8.8'));
    assert.equal(geo.details('64:ff9b::808:808').asn, 15169);
    assert.equal(geo.asn('::ffff:8.8.8.8'), 15169);
  });
});

describe('IPv6 entries: threat, trusted and Tor lists of dual-stack organisations', () => {
  const intel = staticIntel({
    threatIps: [
      { ip: '2001:db8:bad::66' },
      { ip: '2001:db8:bad::/48', listName: 'Scanners' },
      { ip: '2001:db8:bad::/56', listName: 'Scanners' },
      { ip: '2001:db8:c2::/64', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' },
      { ip: '198.51.100.7' },
    ],
    trustedIps: ['2001:db8:cafe::/48', '192.0.2.0/28'],
    torExits: ['2001:db8:7a::45'],
    torRelays: ['2001:db8:7a::45', '2001:db8:7a::9'],
  });

  test('exact addresses and CIDRs in any spelling, narrowest first, one match per list', () => {
    assert.deepEqual(intel.ipThreats('2001:DB8:BAD:0:0:0:0:66'), [{ listName: 'TestThreatList', custom: true }, { listName: 'Scanners', custom: true }]);
    assert.deepEqual(intel.ipThreats(' 2001:db8:bad:ff::1 '), [{ listName: 'Scanners', custom: true }]);
    assert.deepEqual(intel.ipThreats('2001:db8:c2::ffff:1'), [{ listName: 'Feodo', custom: false, threatName: 'CommandAndControl' }]);
    for (const ip of ['2001:db8:bae::1', '2001:db8:c2:1::1', '2001:db8::66', 'not:an:ip', '2001:db8:bad::66%eth0']) assert.deepEqual(intel.ipThreats(ip), [], ip);
  });

  test('trusted IPv6 CIDRs and Tor exits and relays', () => {
    assert.equal(intel.isTrustedIp('2001:db8:cafe:ffff::1'), true);
    assert.equal(intel.isTrustedIp('2001:db8:caff::1'), false);
    assert.equal(intel.isTorExit('2001:db8:7a:0::45'), true);
    assert.equal(intel.isTorExit('2001:db8:7a::9'), false);
    assert.equal(intel.isTorRelay('2001:db8:7a::9'), true);
  });

  test('answers stay right when IPv4 and IPv6 addresses alternate (each lookup parses the address once)', () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(intel.ipThreats('198.51.100.7').length, 1);
      assert.equal(intel.isTrustedIp('198.51.100.7'), false);
      assert.equal(intel.ipThreats('2001:db8:bad::66').length, 2);
      assert.equal(intel.isTrustedIp('2001:db8:bad::66'), false);
      assert.equal(intel.isTrustedIp('192.0.2.1'), true);
      assert.equal(intel.isTorExit('2001:db8:7a::45'), true);
      assert.equal(intel.isTrustedIp('2001:db8:cafe::1'), true);
    }
  });

  test('only global unicast (2000::/3) is matched: loopback, unique-local, link-local and multicast never are', () => {
    const everything = staticIntel({ threatIps: [{ ip: '::/0', listName: 'Everything' }], trustedIps: ['::/0'] });
    for (const ip of ['::', '::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '100::1', '64:ff9b:1::1', '::ffff:10.0.0.1']) {
      assert.deepEqual(everything.ipThreats(ip), [], ip);
      assert.equal(everything.isTrustedIp(ip), false, ip);
    }
    for (const ip of ['2600:1f18::1', '2a02:c7c::1', '3fff::1']) assert.deepEqual(everything.ipThreats(ip), [{ listName: 'Everything', custom: true }], ip);
    assert.deepEqual(everything.ipThreats('198.51.100.7'), [], 'an IPv6 CIDR holds no IPv4 address');
  });

  test('isNonRoutableEntry: IPv6 entries wholly outside global unicast', () => {
    for (const entry of ['fd00::/8', 'fe80::1', '::1', 'ff00::/8', '::/8']) assert.equal(isNonRoutableEntry(entry), true, entry);
    for (const entry of ['::/0', '2001:db8::1', '2000::/3', '2600:1f18::/32']) assert.equal(isNonRoutableEntry(entry), false, entry);
  });

  test('parseIpv6 and formatIpv6: every valid spelling, RFC 5952 text, invalid ones refused', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], ['::', '::'], ['::1', '::1'], ['1::', '1::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], ['::ffff:198.51.100.7', '::ffff:c633:6407'], ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ];
    for (const [text, formatted] of cases) assert.equal(formatIpv6(parseIpv6(text)!), formatted, text);
    for (const text of ['', ':', ':::', '1:::2', ':1::', '1::2:', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8', '12345::', 'g::1', '1.2.3.4', '1.2.3.4::', '::ffff:1.2.3', 'fe80::1%eth0']) {
      assert.equal(parseIpv6(text), undefined, text);
    }
  });
});

describe('geo from the npm packages', () => {
  const geo = packageGeo();

  test('8.8.8.8 is Google in the US', () => {
    const d = geo.details('8.8.8.8');
    assert.equal(d.countryCode, 'US');
    assert.equal(d.countryName, 'United States');
    assert.equal(d.asn, 15169);
    assert.equal(d.asnOrg, 'Google LLC');
    assert.equal(typeof d.lat, 'number');
    assert.equal(typeof d.lon, 'number');
  });

  test('52.94.76.1 is Amazon (AS16509) in the US', () => {
    const d = geo.details('52.94.76.1');
    assert.equal(d.asn, 16509);
    assert.match(d.asnOrg ?? '', /Amazon/);
    assert.equal(d.countryCode, 'US');
    assert.ok(d.city);
  });

  test('IPv6 addresses are looked up in the IPv6 data', () => {
    const d = geo.details('2600:1f18::1');
    assert.equal(d.countryCode, 'US');
    assert.equal(d.asn, 14618);
  });

  test('garbage gives {}', () => {
    for (const bad of ['', 'garbage', '256.1.1.1', '1.2.3', '::1::2', '1.2.3.4/24', '2001:db8::1%eth0']) {
      assert.deepEqual(geo.details(bad), {}, bad);
    }
  });

  test('staticIntel uses the real geo data', () => {
    assert.equal(staticIntel({}).ipDetails('8.8.8.8').asn, 15169);
  });
});

describe('pluggable geo sources', () => {
  const noCity: Pick<GeoSource, 'city'> = { city: () => undefined };

  test('ASN CSV fixtures: dotted and numeric IPv4, IPv6, quoted organisation names', () => {
    const dotted = new Geo(combineSources(noCity, asnCsvSource({ v4: fixture('asn-ipv4.csv'), v6: fixture('asn-ipv6.csv') })));
    assert.deepEqual(dotted.details('8.8.8.8'), { asn: 15169, asnOrg: 'Google LLC' });
    assert.deepEqual(dotted.details('52.94.76.1'), { asn: 16509, asnOrg: 'Amazon.com, Inc.' });
    assert.deepEqual(dotted.details('198.51.100.1'), { asn: 64500, asnOrg: 'Example "Doc" Net' });
    assert.deepEqual(dotted.details('8.8.5.1'), {}, 'between ranges');
    assert.deepEqual(dotted.details('2600:1f18:abcd::1'), { asn: 14618, asnOrg: 'Amazon.com, Inc.' });
    const numeric = new Geo(combineSources(noCity, asnCsvSource({ v4: fixture('asn-ipv4-num.csv') })));
    assert.deepEqual(numeric.details('8.8.8.8'), { asn: 15169, asnOrg: 'Google LLC' });
    assert.deepEqual(numeric.details('2001:db8::1'), {}, 'no IPv6 file');
  });

  test('ASN CSV rows out of order, CRLF line ends, numeric IPv6 and malformed lines', () => {
    const scratch = scratchDir();
    try {
      const v4 = path.join(scratch.dir, 'v4.csv');
      const v6 = path.join(scratch.dir, 'v6.csv');
      // 198.51.100.0/24 as numbers, listed after 8.8.8.0/24 and before 52.94.0.0/16; one line without an ASN, one blank.
      writeFileSync(v4, ['134744064,134744319,15169,Google LLC', '3325256704,3325256959,64500,Doc Net', '878575616,878641151,16509,"Amazon.com, Inc."', '1,2,notanumber,Bad', '', '167772160,167772415'].join('\r\n'));
      // 2001:db8::/32 and 2600:1f18::/32 as 128-bit decimals, out of order.
      writeFileSync(v6, [`${0x26001f18n << 96n},${(0x26001f19n << 96n) - 1n},14618,"Amazon.com, Inc."`, `${0x20010db8n << 96n},${(0x20010db9n << 96n) - 1n},64501,Doc6`].join('\n'));
      const geo = new Geo(combineSources(noCity, asnCsvSource({ v4, v6 })));
      assert.deepEqual(geo.details('8.8.8.8'), { asn: 15169, asnOrg: 'Google LLC' });
      assert.deepEqual(geo.details('52.94.3.4'), { asn: 16509, asnOrg: 'Amazon.com, Inc.' });
      assert.deepEqual(geo.details('198.51.100.7'), { asn: 64500, asnOrg: 'Doc Net' });
      assert.deepEqual(geo.details('10.0.0.1'), {}, 'a line with two fields is skipped');
      assert.deepEqual(geo.details('2001:db8::1'), { asn: 64501, asnOrg: 'Doc6' });
      assert.deepEqual(geo.details('2600:1f18:abcd::1'), { asn: 14618, asnOrg: 'Amazon.com, Inc.' });
      assert.deepEqual(geo.details('2600:1f19::1'), {});
    } finally {
      scratch.cleanup();
    }
  });

  test('a city source gives country names through Intl; a missing data file degrades to {}', () => {
    const geo = new Geo(combineSources(
      { city: (ip) => (ip === '192.0.2.1' ? { countryCode: 'de', city: 'Berlin', lat: 52.5, lon: 13.4 } : undefined) },
      asnCsvSource({ v4: fixture('no-such-file.csv') }),
    ));
    assert.deepEqual(geo.details('192.0.2.1'), { countryCode: 'de', countryName: 'Germany', city: 'Berlin', lat: 52.5, lon: 13.4 });
    assert.deepEqual(geo.details('192.0.2.2'), {});
  });

  test('a throwing source never breaks a lookup', () => {
    const geo = new Geo({ city: () => { throw new Error('corrupt'); }, asn: () => ({ asn: 64500 }) });
    assert.deepEqual(geo.details('192.0.2.1'), { asn: 64500 });
  });

  test('the Amazon ASN fallback follows the geo source', () => {
    const geo = new Geo(combineSources(noCity, asnCsvSource({ v4: fixture('asn-ipv4.csv') })));
    const lookup = buildLookup({ threats: [], trusted: [], torExits: [], torRelays: [], awsRanges: [], geo });
    assert.deepEqual(lookup.awsRange('52.94.1.1'), { region: 'unknown', service: 'AMAZON' });
    assert.equal(lookup.awsRange('8.8.8.8'), undefined);
  });
});

describe('ASN index kept on disk', () => {
  const v4Probes = ['8.8.8.8', '8.8.4.4', '8.8.5.1', '52.94.76.1', '198.51.100.1', '0.0.0.0', '255.255.255.255'];
  const v4 = (table: AsnTable<number>) => v4Probes.map((ip) => table.find(parseIpv4(ip)!));

  /** Runs `body` with GUMSHOE_CACHE_DIR set to `dir`, restoring the environment after. */
  function withCacheDir(dir: string, body: () => void): void {
    const restore = setEnv({ GUMSHOE_CACHE_DIR: dir });
    try {
      body();
    } finally {
      restore();
    }
  }

  test('the binary form answers as the parsed CSV does, for both families; a damaged one is refused', () => {
    const parsed4 = parseAsnCsv(readFileSync(fixture('asn-ipv4.csv'), 'utf8'), 4);
    const encoded4 = encodeAsnTable(parsed4, 4);
    const decoded4 = decodeAsnTable(encoded4, 4)!;
    assert.deepEqual(v4(decoded4), v4(parsed4));
    assert.deepEqual(decoded4.find(parseIpv4('198.51.100.9')!), { asn: 64500, org: 'Example "Doc" Net' });
    const parsed6 = parseAsnCsv(readFileSync(fixture('asn-ipv6.csv'), 'utf8'), 6);
    const decoded6 = decodeAsnTable(encodeAsnTable(parsed6, 6), 6)!;
    for (const ip of ['2600:1f18:abcd::1', '2001:db8::1', '::1']) {
      const key = parseIpv6(ip)! >> 64n;
      assert.deepEqual(decoded6.find(key), parsed6.find(key), ip);
    }
    assert.deepEqual(decoded6.find(parseIpv6('2600:1f18:abcd::1')! >> 64n), { asn: 14618, org: 'Amazon.com, Inc.' });
    assert.equal(decodeAsnTable(encoded4.subarray(0, encoded4.length - 1), 4), undefined, 'truncated');
    assert.equal(decodeAsnTable(encoded4, 6), undefined, 'other family');
    assert.equal(decodeAsnTable(Buffer.from('not an index'), 4), undefined);
  });

  test('the first lookup writes the index, later ones read it, and a changed CSV is indexed again', () => {
    const scratch = scratchDir();
    try {
      const csv = path.join(scratch.dir, 'asn.csv');
      writeFileSync(csv, readFileSync(fixture('asn-ipv4.csv')));
      withCacheDir(path.join(scratch.dir, 'cache'), () => {
        const { file, prefix } = asnIndexFile(csv, 4);
        assert.deepEqual(cachedAsnTable(csv, 4).find(parseIpv4('8.8.8.8')!), { asn: 15169, org: 'Google LLC' });
        assert.ok(existsSync(file), 'index written');
        // An index saying otherwise is what the next lookup answers: the CSV is not parsed again.
        const planted = new AsnTable<number>(Uint32Array.of(0), Uint32Array.of(0xffffffff), Uint32Array.of(64999), Uint32Array.of(0), ['Planted']);
        writeFileSync(file, encodeAsnTable(planted, 4));
        assert.deepEqual(cachedAsnTable(csv, 4).find(parseIpv4('8.8.8.8')!), { asn: 64999, org: 'Planted' });
        // A damaged index is parsed around and replaced.
        writeFileSync(file, 'damaged');
        assert.deepEqual(cachedAsnTable(csv, 4).find(parseIpv4('8.8.8.8')!), { asn: 15169, org: 'Google LLC' });
        assert.equal(decodeAsnTable(readFileSync(file), 4)?.find(parseIpv4('8.8.8.8')!)?.asn, 15169);
        // A new version of the data file gets its own index, and the old one goes.
        writeFileSync(csv, `${readFileSync(csv, 'utf8')}9.9.9.0,9.9.9.255,19281,Quad9\n`);
        const table = cachedAsnTable(csv, 4);
        assert.deepEqual(table.find(parseIpv4('9.9.9.9')!), { asn: 19281, org: 'Quad9' });
        const indexes = readdirSync(path.dirname(file)).filter((name) => name.startsWith(prefix));
        assert.deepEqual(indexes, [path.basename(asnIndexFile(csv, 4).file)]);
        assert.notEqual(asnIndexFile(csv, 4).file, file);
      });
    } finally {
      scratch.cleanup();
    }
  });

  test('a cache that cannot be written costs only the parse', () => {
    const scratch = scratchDir();
    try {
      const blocker = path.join(scratch.dir, 'a-file');
      writeFileSync(blocker, '');
      withCacheDir(path.join(blocker, 'cache'), () => {
        const geo = new Geo(combineSources({ city: () => undefined }, asnCsvSource({ v4: fixture('asn-ipv4.csv') })));
        assert.deepEqual(geo.details('52.94.76.1'), { asn: 16509, asnOrg: 'Amazon.com, Inc.' });
      });
    } finally {
      scratch.cleanup();
    }
  });
});

describe('AWS ip-ranges.json', () => {
  const parsed = parseAwsIpRanges(readFileSync(fixture('ip-ranges.json'), 'utf8'));
  const lookup = buildLookup({ threats: [], trusted: [], torExits: [], torRelays: [], awsRanges: parsed.awsRanges! });

  test('IPv4 and IPv6 prefixes with region and service; bad rows counted', () => {
    assert.equal(parsed.awsRanges!.length, 5);
    assert.equal(parsed.problems, 1);
  });

  test('the most specific service wins over AMAZON; IPv6 too; loaded ranges turn the ASN fallback off', () => {
    assert.deepEqual(lookup.awsRange('52.94.76.1'), { region: 'us-west-2', service: 'EC2' });
    assert.deepEqual(lookup.awsRange('52.94.77.1'), { region: 'us-west-2', service: 'AMAZON' });
    assert.deepEqual(lookup.awsRange('15.230.39.9'), { region: 'GLOBAL', service: 'ROUTE53' });
    assert.deepEqual(lookup.awsRange('2600:1f18:abc::1'), { region: 'us-east-1', service: 'EC2' });
    assert.equal(lookup.awsRange('52.94.1.1'), undefined);
  });

  test('a document without prefixes is rejected', () => {
    assert.throws(() => parseAwsIpRanges('{"relays": []}'), /no "prefixes" array/);
    assert.throws(() => parseAwsIpRanges('<html>'), /not JSON/);
  });
});

describe('parseIpv4', () => {
  test('four decimal octets of one to three digits, each at most 255; anything else is not an address', () => {
    assert.equal(parseIpv4('10.0.1.25'), 0x0a000119);
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIpv4('0.0.0.0'), 0);
    assert.equal(parseIpv4('01.002.3.4'), 0x01020304);
    for (const text of ['256.1.1.1', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.', '.1.2.3', ' 1.2.3.4', '1.2.3.4 ', '1234.1.1.1', '1.2.3.0004', 'a.b.c.d', '', '::1', '1.2.3.4/32']) {
      assert.equal(parseIpv4(text), undefined, text);
    }
  });
});

describe('RangeIndex', () => {
  test('finds every nested or duplicate CIDR holding a value, narrowest first (checked against brute force)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    for (let round = 0; round < 100; round++) {
      const ranges = Array.from({ length: 40 }, (_, i) => ({ ...parseIpv4Range(`10.0.${random(16)}.${random(256)}/${20 + random(13)}`)!, payload: i }));
      const index = new RangeIndex(ranges);
      for (let k = 0; k < 100; k++) {
        const value = parseIpv4(`10.0.${random(17)}.${random(256)}`)!;
        const want = ranges.filter((r) => r.start <= value && value <= r.end);
        const got = index.find(value);
        assert.deepEqual([...got].sort((a, b) => a - b), want.map((r) => r.payload).sort((a, b) => a - b));
        const widths = got.map((p) => ranges[p]!.end - ranges[p]!.start);
        assert.deepEqual(widths, [...widths].sort((a, b) => a - b));
        assert.equal(index.has(value), want.length > 0);
      }
    }
  });
});
