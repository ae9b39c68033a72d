import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import { dgaDomainRequest } from '../src/detect/dns/dga-domain.js';
import { dnsThreatIntel } from '../src/detect/dns/dns-threat-intel.js';
import { dnsQuery } from '../src/detect/network-records.js';

const SINKHOLE = '198.51.100.53';
const answerIsSinkhole = [dnsQuery({ name: 'updates.freshcleanerapp.net', time: '2026-11-02T08:00:00Z', answers: [['A', SINKHOLE]] })];
const typesFor = (list: { listName: string; custom: boolean }) =>
  runCase([dnsThreatIntel], { name: 'test', expect: [], dns: answerIsSinkhole, intel: { threatIps: [{ ip: SINKHOLE, threatName: 'Blackhole', ...list }] } })
    .map((o) => `${o.finding.type} ${o.finding.service.additionalInfo.threatListName}`);

describe('DNS answers on a threat list', () => {
  test('a managed list’s black hole (a list declared with intel add --managed too) raises Trojan:EC2/BlackholeTraffic!DNS', () => {
    assert.deepEqual(typesFor({ listName: 'et-iqrisk', custom: false }), ['Trojan:EC2/BlackholeTraffic!DNS et-iqrisk']);
  });

  test('a custom list’s address raises no managed type: uploaded lists give .Custom types only, and none is about DNS answers', () => {
    assert.deepEqual(typesFor({ listName: 'et-iqrisk', custom: true }), []);
  });
});

describe('listed names and DGA', () => {
  test('the tester’s C&C name after a DGA burst stays the C&C type’s: the DGA finding names a generated domain', () => {
    const burst = dgaDomainRequest.cases().find((c) => c.name.startsWith('the GuardDuty tester’s C&C name after a DGA burst'))!;
    const found = runCase([dgaDomainRequest], burst);
    assert.ok(found.length > 0);
    for (const o of found) assert.notEqual(o.finding.service.action.dnsRequestAction?.domain, 'c2.guarddutyc2activityb.com');
  });
});
