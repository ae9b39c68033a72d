/**
 * Intel for organisations outside the commercial partition and on dual-stack networks: the aws-cn regions'
 * addresses are inside AWS without ip-ranges.json, and list entries written as IPv6 forms of IPv4 addresses
 * are those IPv4 addresses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCase, typesRaised } from '../src/detect/cases.js';
import { credentialExfiltration } from '../src/detect/cloudtrail/credential-exfiltration.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { ipv4RangeOf, networkPrefix } from '../src/intel/ip.js';
import { parseList } from '../src/intel/list-formats.js';
import { staticIntel } from '../src/intel/static.js';

describe('the aws-cn regions are inside AWS without ip-ranges.json (Amazon-ASN fallback)', () => {
  const intel = staticIntel({});

  test('Sinnet (cn-north-1, AS55960) and NWCD (cn-northwest-1, AS135629) addresses, IPv4 and IPv6', () => {
    for (const ip of ['52.80.17.20', '54.222.130.9', '140.179.1.1', '52.83.10.10', '161.189.20.1', '2400:7fc0:8000::1:2', '2404:c2c0:8000::1:2']) {
      assert.equal(intel.isInsideAws(ip), true, ip);
      assert.deepEqual(intel.awsRange(ip), { region: 'unknown', service: 'AMAZON' }, ip);
    }
  });

  test("Sinnet's own ISP network (AS23844) and a Chinese carrier stay outside AWS", () => {
    for (const ip of ['119.254.1.1', '220.231.50.1', '218.30.1.1']) assert.equal(intel.isInsideAws(ip), false, ip);
  });

  /** An EC2 instance's role session in an aws-cn account, calling from the instance's public address. */
  const instanceCall = (minute: number, ip: string, region: string): CloudTrailRecord => ({
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROACNEXAMPLEROLE0001:i-0abc123def4567890',
      arn: 'arn:aws-cn:sts::210987654321:assumed-role/app-role/i-0abc123def4567890',
      accountId: '210987654321',
      accessKeyId: 'ASIACNEXAMPLE0000001',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROACNEXAMPLEROLE0001', arn: 'arn:aws-cn:iam::210987654321:role/app-role', accountId: '210987654321', userName: 'app-role' },
        attributes: { creationDate: '2026-11-20T09:00:00Z', mfaAuthenticated: 'false' },
        ec2RoleDelivery: '2.0',
      },
    },
    eventTime: `2026-11-20T10:${String(minute).padStart(2, '0')}:00Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    awsRegion: region,
    sourceIPAddress: ip,
    userAgent: 'aws-sdk-java/2.20.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17',
    requestID: `req-${minute}`,
    eventID: `3b1f0c4e-0000-4000-8000-0000000000${String(minute).padStart(2, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '210987654321',
    eventCategory: 'Management',
  });

  test('an instance in cn-north-1 and cn-northwest-1 using its own credentials raises no OutsideAWS finding', () => {
    const records = [
      instanceCall(0, '52.80.17.20', 'cn-north-1'),
      instanceCall(1, '52.80.17.20', 'cn-north-1'),
      instanceCall(2, '161.189.20.1', 'cn-northwest-1'),
      instanceCall(3, '2404:c2c0:8000::1:2', 'cn-northwest-1'),
    ];
    assert.deepEqual(typesRaised(runCase([credentialExfiltration], { name: 'aws-cn instance', records, expect: [] })), []);
  });

  test('the same credentials used from a Chinese carrier’s address still raise it', () => {
    const records = [instanceCall(0, '52.80.17.20', 'cn-north-1'), instanceCall(1, '218.30.1.1', 'cn-north-1')];
    assert.deepEqual(typesRaised(runCase([credentialExfiltration], { name: 'aws-cn theft', records, expect: [] })), [
      'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    ]);
  });
});

describe('list entries written as IPv6 forms of an IPv4 address are that IPv4 address', () => {
  test('ipv4RangeOf: IPv4, IPv4-mapped and NAT64 addresses and CIDRs; other IPv6 is not IPv4', () => {
    assert.deepEqual(ipv4RangeOf('198.51.100.7'), { start: 0xc6336407, end: 0xc6336407 });
    assert.deepEqual(ipv4RangeOf('::ffff:198.51.100.7'), { start: 0xc6336407, end: 0xc6336407 });
    assert.deepEqual(ipv4RangeOf('::FFFF:c633:6400/120'), { start: 0xc6336400, end: 0xc63364ff });
    assert.deepEqual(ipv4RangeOf('64:ff9b::198.51.100.0/120'), { start: 0xc6336400, end: 0xc63364ff });
    for (const text of ['::ffff:0:0/95', '2001:db8::c633:6407', '::198.51.100.7', '64:ff9b:1::c633:6407', 'fe80::1', 'example.org']) {
      assert.equal(ipv4RangeOf(text), undefined, text);
    }
  });

  test('TXT and AlienVault lists from dual-stack servers load mapped entries as IPv4, and real IPv6 as IPv6', () => {
    const txt = parseList('::ffff:198.51.100.7\n::ffff:203.0.113.0/120\n64:ff9b::c000:205\n2001:db8::1\n', 'TXT');
    assert.deepEqual(txt.entries, [
      { kind: 'ip', value: '198.51.100.7' },
      { kind: 'cidr', value: '203.0.113.0/24' },
      { kind: 'ip', value: '192.0.2.5' },
      { kind: 'ip', value: '2001:db8::1' },
    ]);
    assert.deepEqual(txt.problems, []);

    const alienVault = parseList('::ffff:198.51.100.9#4#2#Scanning Host#US#Ashburn#39.0,-77.4#11\n', 'ALIEN_VAULT');
    assert.deepEqual(alienVault.entries, [{ kind: 'ip', value: '198.51.100.9', threatName: 'Scanning Host' }]);
  });

  test('a mapped entry matches the IPv4 caller and its mapped form alike', () => {
    const [entry] = parseList('::ffff:198.51.100.7\n', 'TXT').entries;
    const intel = staticIntel({ threatIps: [{ ip: entry!.value }], trustedIps: [] });
    assert.equal(intel.ipThreats('198.51.100.7').length, 1);
    assert.equal(intel.ipThreats('::ffff:198.51.100.7').length, 1);
  });
});

describe('networkPrefix: the network callers are grouped by without ASN data', () => {
  test('IPv4 /24, whatever the spelling; IPv6 /48 in IPv6 notation', () => {
    assert.equal(networkPrefix('198.51.100.7'), '198.51.100.0/24');
    assert.equal(networkPrefix('075.050.255.67'), '75.50.255.0/24', 'the anonymised Stratus logs write leading zeros');
    assert.equal(networkPrefix('2a02:c7c:1234:5::1'), '2a02:c7c:1234::/48');
    assert.equal(networkPrefix('2600:1F18:0:2b00::9'), '2600:1f18:0::/48');
  });

  test('IPv4-mapped and NAT64 callers are in their IPv4 address’s /24, not all in one /48', () => {
    assert.equal(networkPrefix('::ffff:198.51.100.7'), '198.51.100.0/24');
    assert.equal(networkPrefix('64:ff9b::c633:6407'), '198.51.100.0/24');
    assert.notEqual(networkPrefix('::ffff:203.0.113.9'), networkPrefix('::ffff:198.51.100.7'));
  });
});
