import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assumedRole, ctEvent } from '../src/detect/case-builders.js';
import { dnsDataExfiltration } from '../src/detect/dns/data-exfiltration.js';
import { dgaDomainRequest } from '../src/detect/dns/dga-domain.js';
import { after as later, querySeries } from '../src/detect/dns/dns-cases.js';
import { dnsThreatIntel } from '../src/detect/dns/dns-threat-intel.js';
import { domainReputation } from '../src/detect/dns/domain-reputation.js';
import { metadataDnsRebind } from '../src/detect/dns/metadata-rebind.js';
import { DGA_FAMILIES, dgaNames } from '../src/detect/dns/name-samples.js';
import { runDetections } from '../src/detect/engine.js';
import { CASE_ACCOUNT, CASE_INSTANCE, CASE_VPC, dnsQuery } from '../src/detect/network-records.js';
import { staticIntel } from '../src/intel/static.js';
import { generateDnsLogs } from '../src/simulate/background.js';
import { dataset, scratchDir, tempLake } from './helpers/lake.js';

const DNS_DETECTIONS = [dnsThreatIntel, dgaDomainRequest, dnsDataExfiltration, metadataDnsRebind, domainReputation];
const scratch = scratchDir('gumshoe-dns-');
after(() => scratch.cleanup());

let files = 0;
/** A Route 53 Resolver log file delivered where AWS delivers them. */
function dnsLog(records: Record<string, unknown>[]): string {
  const file = path.join(scratch.dir, `AWSLogs/${CASE_ACCOUNT}/vpcdnsquerylogs/${CASE_VPC}/2026/11/02/dns-${++files}.log`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return file;
}

describe('real DNS fixtures through the DNS detections', () => {
  test('raise nothing, after learning and with everything new', async () => {
    for (const learningDays of [7, 0]) {
      const lake = await tempLake();
      try {
        await lake.ingest([dataset('aws_docs_format_examples', 'route53_resolver'), dataset('elastic_integration_fixtures', 'route53_resolver')]);
        const summary = await runDetections(lake.lake, { intel: staticIntel({}), detections: DNS_DETECTIONS, settings: { learningDays } });
        assert.ok(summary.queries >= 30, `queries read: ${summary.queries}`);
        assert.deepEqual(summary.findings.map((f) => f.type), [], `learningDays ${learningDays}`);
      } finally {
        lake.close();
      }
    }
  });
});

describe('simulated benign DNS background through the DNS detections', () => {
  test('raises nothing, even with every domain new (CDN hex labels, search-domain NXDOMAINs, DNS Firewall blocks)', async () => {
    const generated = await generateDnsLogs({ outDir: path.join(scratch.dir, 'background'), records: 60_000, seed: 7 });
    const lake = await tempLake();
    try {
      await lake.ingest(generated.files);
      const summary = await runDetections(lake.lake, { intel: staticIntel({}), detections: DNS_DETECTIONS, settings: { learningDays: 0 } });
      assert.equal(summary.queries, 60_000);
      assert.deepEqual(summary.findings.map((f) => `${f.type} ${f.service.action.dnsRequestAction?.domain}`), []);
    } finally {
      lake.close();
    }
  });
});

describe('DNS findings in the lake', () => {
  test('a tester C&C lookup is a GuardDuty DNS finding about the launched instance, repeats counted', async () => {
    const lake = await tempLake();
    try {
      const launch = ctEvent({
        service: 'ec2',
        name: 'RunInstances',
        identity: assumedRole('ci-deploy', 'build-7'),
        time: '2026-11-02T09:00:00Z',
        response: {
          instancesSet: {
            items: [{
              instanceId: CASE_INSTANCE, imageId: 'ami-0123456789abcdef0', instanceType: 't3.micro', instanceState: { code: 0, name: 'pending' },
              placement: { availabilityZone: 'us-east-1a' },
              networkInterfaceSet: { items: [{ networkInterfaceId: 'eni-0123456789abcdef0', privateIpAddress: '10.0.1.25', subnetId: 'subnet-1', vpcId: 'vpc-1' }] },
            }],
          },
        },
      });
      const trail = path.join(scratch.dir, 'trail', 'launch.json');
      mkdirSync(path.dirname(trail), { recursive: true });
      writeFileSync(trail, JSON.stringify(launch));
      await lake.ingest([trail, dnsLog(querySeries(new Array<string>(3).fill('c2.guarddutyc2activityb.com'), '2026-11-02T10:00:00Z', 60, { answers: [['A', '203.0.113.80']] }))]);
      const summary = await runDetections(lake.lake, { intel: staticIntel({}), detections: DNS_DETECTIONS });
      assert.deepEqual(summary.findings.map((f) => f.type), ['Backdoor:EC2/C&CActivity.B!DNS']);
      const finding = summary.findings[0]!;
      assert.equal(finding.severity, 8);
      assert.equal(finding.resource.resourceType, 'Instance');
      assert.equal(finding.resource.instanceDetails?.instanceType, 't3.micro');
      assert.equal(finding.service.resourceRole, 'ACTOR');
      assert.equal(finding.service.count, 3);
      assert.equal(finding.service.featureName, 'DnsLogs');
      assert.deepEqual(finding.service.action, {
        actionType: 'DNS_REQUEST',
        dnsRequestAction: { domain: 'c2.guarddutyc2activityb.com', protocol: 'UDP', blocked: false, domainWithSuffix: 'guarddutyc2activityb.com', vpcOwnerAccountId: CASE_ACCOUNT },
      });
      assert.deepEqual(finding.service.evidence, { threatIntelligenceDetails: [{ threatListName: 'GuardDutyTesterDomains', threatNames: ['CommandAndControl'], threatFileSha256: undefined }] });
      assert.match(finding.title, new RegExp(CASE_INSTANCE));
    } finally {
      lake.close();
    }
  });

  test('DGA and reputation state carries over between runs', async () => {
    const lake = await tempLake();
    try {
      const opts = { intel: staticIntel({}), detections: DNS_DETECTIONS };
      const start = '2026-11-02T00:00:00Z';
      // Day 1: the account's ordinary lookups start its learning period.
      await lake.ingest([dnsLog(querySeries(['github.com', 'registry.npmjs.org'], start, 60, { answers: [['A', '192.0.2.1']] }))]);
      assert.deepEqual((await runDetections(lake.lake, opts)).findings, []);
      // Day 9, two runs a few minutes apart: three DGA-shaped failures in each, six in one window.
      const names = dgaNames(DGA_FAMILIES[0]!, 6, 3);
      const day9 = later(start, 8 * 86_400);
      await lake.ingest([dnsLog(querySeries(names.slice(0, 3), day9, 20, { rcode: 'NXDOMAIN' }))]);
      const first = await runDetections(lake.lake, opts);
      assert.ok(!first.findings.some((f) => f.type === 'Trojan:EC2/DGADomainRequest.B'));
      await lake.ingest([dnsLog([...querySeries(names.slice(3), later(day9, 120), 20, { rcode: 'NXDOMAIN' }), dnsQuery({ name: 'files.mooo.com', time: later(day9, 300), answers: [['A', '203.0.113.9']] })])]);
      const second = await runDetections(lake.lake, opts);
      const types = new Set(second.findings.map((f) => f.type));
      assert.ok(types.has('Trojan:EC2/DGADomainRequest.B'), [...types].join());
      // files.mooo.com is first seen after the learning period that the first run started.
      assert.ok(types.has('Impact:EC2/AbusedDomainRequest.Reputation'), [...types].join());
    } finally {
      lake.close();
    }
  });
});
