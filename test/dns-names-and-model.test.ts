import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { encodedPayload, lookupShape } from '../src/detect/dns/data-exfiltration.js';
import { dnsAction, domainName, looksGenerated, tenantName } from '../src/detect/dns/domain-names.js';
import { isMiningName } from '../src/detect/dns/domain-reputation.js';
import modelFile from '../src/detect/dns/dga-model.json' with { type: 'json' };
import { BENIGN_GENERATED_LOOKING, DGA_FAMILIES, dgaNames, seededRandom } from '../src/detect/dns/name-samples.js';
import { dnsFromRecord, dnsQuery } from '../src/detect/network-records.js';

describe('DNS names', () => {
  test('registered domain, owner-chosen label and subdomain under the public suffix list', () => {
    const name = domainName('a.b.example.co.uk');
    assert.equal(name.kind, 'internet');
    assert.equal(name.registered, 'example.co.uk');
    assert.equal(name.suffix, 'co.uk');
    assert.equal(name.owned, 'example.co.uk');
    assert.equal(name.label, 'example');
    assert.equal(name.subdomain, 'a.b');
    assert.equal(name.provider, null);
  });

  test('names under a dynamic-DNS or free-hosting provider are owned one level below it', () => {
    const ddns = domainName('x.kqzvxwhtrplmf.ddns.net');
    assert.equal(ddns.registered, 'ddns.net');
    assert.equal(ddns.owned, 'kqzvxwhtrplmf.ddns.net');
    assert.equal(ddns.label, 'kqzvxwhtrplmf');
    assert.equal(ddns.subdomain, 'x');
    assert.equal(ddns.providerKind, 'dynamic-dns');
    // FreeDNS's mooo.com is not in the public suffix list: found by the shipped list.
    assert.equal(domainName('c2.mooo.com').owned, 'c2.mooo.com');
    assert.equal(domainName('random-words-here.trycloudflare.com').providerKind, 'free-hosting');
    // The provider's own site is not one of its customers' names.
    assert.equal(domainName('www.duckdns.org').provider, 'duckdns.org');
    assert.equal(domainName('duckdns.org').provider, null);
    assert.ok(domainName('evil.top').abusedTld);
  });

  test('a tenant of a CDN or hosting platform holds its own name: the PSL private section, and CDNs it lacks', () => {
    const tenant = (name: string) => tenantName(domainName(name));
    assert.equal(tenant('e7.0cc175b9c0f1b6a831c399e269772661.akamaized.net'), '0cc175b9c0f1b6a831c399e269772661.akamaized.net');
    assert.equal(tenant('e1234.dscb.akamaiedge.net'), 'dscb.akamaiedge.net');
    assert.equal(tenant('shop.example.com.edgekey.net'), 'com.edgekey.net');
    assert.equal(tenant('a.b.global.ssl.fastly.net'), 'b.global.ssl.fastly.net');
    // Not in the PSL: from the shipped list.
    assert.equal(tenant('x.0cc175b9c0f1b6a8.fastly.net'), '0cc175b9c0f1b6a8.fastly.net');
    assert.equal(tenant('lh3.googleusercontent.com'), 'lh3.googleusercontent.com');
    // Dynamic DNS: the holder's name, as `owned` already says; an ordinary domain is its registered domain.
    assert.equal(tenant('p4x.t1.duckdns.org'), 't1.duckdns.org');
    assert.equal(tenant('a1b2.data.exfil-c2.com'), 'exfil-c2.com');
    assert.equal(tenant('fastly.net'), 'fastly.net');
  });

  test('AWS, internal, reverse, unqualified and IP names are told apart', () => {
    const kinds = Object.fromEntries(
      [
        'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com', 'd1a2b3c4d5e6f7.cloudfront.net', 'abc123.lambda-url.us-east-1.on.aws',
        'ip-10-0-1-25.ec2.internal', 'compute.internal', 'printer.local', '25.1.0.10.in-addr.arpa',
        '6.c.f.6.a.9.0.e.2.b.9.a.2.f.1.9.2.0.0.4.d.d.a.0.0.4.f.c.2.0.a.2.ip6.arpa', 'instance-data', '__cloud_init_expected_not_found__', '10.0.0.2',
      ].map((n) => [n, domainName(n).kind]),
    );
    assert.deepEqual(kinds, {
      'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com': 'aws',
      'd1a2b3c4d5e6f7.cloudfront.net': 'aws',
      'abc123.lambda-url.us-east-1.on.aws': 'aws',
      'ip-10-0-1-25.ec2.internal': 'internal',
      'compute.internal': 'internal',
      'printer.local': 'internal',
      '25.1.0.10.in-addr.arpa': 'reverse',
      '6.c.f.6.a.9.0.e.2.b.9.a.2.f.1.9.2.0.0.4.d.d.a.0.0.4.f.c.2.0.a.2.ip6.arpa': 'reverse',
      'instance-data': 'unqualified',
      __cloud_init_expected_not_found__: 'unqualified',
      '10.0.0.2': 'ip',
    });
  });

  test('the DNS_REQUEST action: domain, protocol, blocked by DNS Firewall, registered domain, VPC owner', () => {
    const query = dnsFromRecord(dnsQuery({ name: 'c2.guarddutyc2activityb.com.', time: '2026-11-02T10:00:00Z', transport: 'TCP', firewallAction: 'BLOCK', rcode: 'NXDOMAIN' }));
    assert.deepEqual(dnsAction(query), {
      actionType: 'DNS_REQUEST',
      dnsRequestAction: { domain: 'c2.guarddutyc2activityb.com', protocol: 'TCP', blocked: true, domainWithSuffix: 'guarddutyc2activityb.com', vpcOwnerAccountId: '111122223333' },
    });
    const allowed = dnsFromRecord(dnsQuery({ name: 'example.com', time: '2026-11-02T10:00:00Z', firewallAction: 'ALERT' }));
    assert.equal(dnsAction(allowed).dnsRequestAction?.blocked, false);
  });

  test('mining pool names, and lookalikes that are not', () => {
    for (const name of ['pool.supportxmr.com', 'xmr-eu1.nanopool.org', 'gulf.moneroocean.stream', 'stratum.antpool.com', 'btc-pool.example.net', 'us-east.stratum.slushpool.com']) {
      assert.ok(isMiningName(domainName(name)), name);
    }
    for (const name of ['0.amazon.pool.ntp.org', 'api.coinbase.com', 'status.minecraft.net', 'hash.example.com', 'mining-engineering.university.edu']) {
      assert.ok(!isMiningName(domainName(name)), name);
    }
  });

  test('encoded payloads: hex, base32 and binary-escaped labels, not descriptive names or service labels', () => {
    const random = seededRandom(3);
    const draw = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    assert.ok(encodedPayload(draw('0123456789abcdef', 48)));
    assert.ok(encodedPayload(`${draw('abcdefghijklmnopqrstuvwxyz234567', 40)}.${draw('abcdefghijklmnopqrstuvwxyz234567', 20)}`));
    assert.ok(encodedPayload('\\315\\200\\301\\277'.repeat(8)));
    assert.equal(encodedPayload('payments-service-production-eu-west-1-canary'), undefined);
    assert.equal(encodedPayload('selector1-contoso-com._domainkey'), undefined);
    assert.equal(encodedPayload('short.abc123'), undefined);
  });

  test('hash-lookup shape: one digest-length label (hex MD5/SHA-1/SHA-256, or base32 of them) in front of a list zone', () => {
    const random = seededRandom(4);
    const draw = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const hex = (n: number) => draw('0123456789abcdef', n);
    const b32 = (n: number) => draw('abcdefghijklmnopqrstuvwxyz234567', n);
    assert.deepEqual(lookupShape(`${hex(40)}.ebl`), { zone: 'ebl', length: 40 });
    assert.deepEqual(lookupShape(`${hex(32)}.malware.hash`), { zone: 'malware.hash', length: 32 });
    assert.deepEqual(lookupShape(`${hex(64)}.bl`), { zone: 'bl', length: 64 });
    assert.deepEqual(lookupShape(`${b32(52)}._file.hash.dq`), { zone: '_file.hash.dq', length: 52 });
    assert.deepEqual(lookupShape(`${b32(26)}.list`), { zone: 'list', length: 26 });
    // Straight under the domain (the GuardDuty tester), other lengths, several data labels (dnscat2), iodine's prefix.
    assert.equal(lookupShape(b32(52)), undefined);
    assert.equal(lookupShape(`${hex(41)}.ebl`), undefined);
    assert.equal(lookupShape(`${hex(48)}.bl`), undefined);
    assert.equal(lookupShape(`${hex(63)}.${hex(27)}`), undefined);
    assert.equal(lookupShape(`p${b32(40)}.t1`), undefined);
    assert.equal(lookupShape(`${hex(20)}-${hex(19)}.bl`), undefined);
  });
});

describe('the DGA model (dga-model.json)', () => {
  test('is compact and records its training data, licences and thresholds', () => {
    const size = statSync(path.resolve(import.meta.dirname, '..', 'src', 'detect', 'dns', 'dga-model.json')).size;
    assert.ok(size < 300_000, `model is ${size} bytes`);
    assert.ok(modelFile.sources.length >= 4);
    for (const source of modelFile.sources) assert.ok(source.licence && source.what, source.name);
    assert.deepEqual(modelFile.thresholds.map((t) => t.minLength), [7, 9, 11, 13, 16]);
    for (const t of modelFile.thresholds) assert.ok(t.bitsPerChar > t.median);
  });

  test('its recorded held-out false-positive rate is under 1% and its recorded detection rates are high', () => {
    const { evaluation } = modelFile;
    assert.ok(evaluation.heldOutJudged.rate < 0.01, JSON.stringify(evaluation.heldOutJudged));
    assert.equal(evaluation.benignLookalikes.flagged, 0);
    const rates = Object.fromEntries(evaluation.dgaFamilies.map((f) => [f.family, f.rate]));
    for (const family of ['cryptolocker', 'bamital']) assert.ok(rates[family]! >= 0.95, family);
    for (const family of ['necurs', 'ramnit', 'conficker-b']) assert.ok(rates[family]! >= 0.8, family);
  });

  test('generated-looking: DGA-shaped names mostly, hashed CDN and infrastructure hostnames never', () => {
    for (const host of BENIGN_GENERATED_LOOKING) {
      const name = domainName(host);
      assert.ok(name.label === null || !looksGenerated(name.label), host);
    }
    for (const family of DGA_FAMILIES.filter((f) => ['cryptolocker', 'ramnit', 'necurs', 'bamital'].includes(f.name))) {
      const names = dgaNames(family, 300, 42);
      const hits = names.filter((n) => looksGenerated(domainName(n).label!)).length;
      assert.ok(hits / names.length >= 0.85, `${family.name}: ${hits}/${names.length}`);
    }
  });

  test('everyday registered names are not generated-looking', () => {
    const everyday = ['google', 'amazon', 'microsoft', 'cloudflare', 'github', 'debian', 'ubuntu', 'datadoghq', 'newrelic', 'sentry', 'slack', 'atlassian', 'salesforce', 'zendesk', 'okta', 'docker', 'npmjs', 'pythonhosted', 'letsencrypt', 'digicert', 'stackoverflow', 'wikipedia', 'facebook', 'linkedin'];
    assert.deepEqual(everyday.filter(looksGenerated), []);
  });
});
