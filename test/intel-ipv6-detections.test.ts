import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ctEvent, iamUser, instanceRole } from '../src/detect/case-builders.js';
import { runCase, typesRaised } from '../src/detect/cases.js';
import { iamThreatIntel } from '../src/detect/cloudtrail/iam-threat-intel.js';
import { DEFAULT_SETTINGS, type NetworkCase } from '../src/detect/detection.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { flowThreatIntel } from '../src/detect/network/flow-threat-intel.js';
import { tor } from '../src/detect/network/tor.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import type { Occurrence } from '../src/findings/build.js';
import { loadIntel } from '../src/intel/load.js';
import type { IntelLookup } from '../src/intel/lookup.js';
import { readList, saveList } from '../src/intel/store.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

/** CloudTrail through a dual-stack endpoint: callers' IPv6 addresses, as sourceIPAddress records them. */
const ATTACKER = '2001:db8:bad:1::66';
const OFFICE = '2001:db8:cafe:12::40';
const TOR_EXIT = '2001:db8:7a:1::45';

const scratch = scratchDir('gumshoe-dualstack-');
after(() => scratch.cleanup());

function run(intel: IntelLookup, records: ReturnType<typeof ctEvent>[]): Occurrence[] {
  const runner = new DetectionRunner([iamThreatIntel], intel, DEFAULT_SETTINGS, new StateStore(), { intel, detectorId: '0'.repeat(32), partition: 'aws' });
  records.forEach((record, i) => runner.process(apiEventFromRecord(record, null, i + 1)));
  return runner.finish();
}

describe('IPv6 threat and trusted lists stored in the lake, matched against CloudTrail callers', () => {
  let lake: TestLake;
  let intel: IntelLookup;
  before(async () => {
    lake = await tempLake();
    const threats = path.join(scratch.dir, 'incident-v6.txt');
    writeFileSync(threats, '# IPv6 attackers of incident 2026-118\n2001:DB8:BAD:1:0:0:0:66\n2001:db8:bad:2::/64\n198.51.100.7\n');
    const trusted = path.join(scratch.dir, 'office-v6.txt');
    writeFileSync(trusted, '2001:db8:cafe::/48\n');
    const c = lake.lake.connection;
    const threatList = await readList(threats);
    assert.deepEqual([threatList.entries.length, threatList.problems], [3, []]);
    await saveList(c, threatList, 'incident-v6', 'threat');
    await saveList(c, await readList(trusted), 'Office', 'trusted');
    await saveList(c, await readList(threats), 'OfficeAlsoListed', 'threat');
    intel = await loadIntel(c);
  });
  after(() => lake.close());

  test('a listed IPv6 caller raises MaliciousIPCaller.Custom with ipAddressV6 and the list name', () => {
    const found = run(intel, [ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: iamUser('alice'), time: '2026-11-02T10:00:00Z', ip: ATTACKER, request: { userName: 'alice' } })]);
    const custom = found.filter((o) => o.finding.type === 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom');
    assert.deepEqual(custom.map((o) => o.finding.service.additionalInfo?.threatListName).sort(), ['OfficeAlsoListed', 'incident-v6']);
    const remote = custom[0]!.finding.service.action.awsApiCallAction!.remoteIpDetails!;
    assert.equal(remote.ipAddressV6, ATTACKER);
    assert.equal(remote.ipAddressV4, undefined);
  });

  test('an enumeration call from the listed IPv6 /64 is Recon:', () => {
    const found = run(intel, [ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: iamUser('alice'), time: '2026-11-02T10:00:00Z', ip: '2001:db8:bad:2:aa::1' })]);
    assert.deepEqual(typesRaised(found), ['Recon:IAMUser/MaliciousIPCaller.Custom']);
  });

  test('a caller in the trusted IPv6 /48 raises nothing, even when a threat list also holds it', async () => {
    const both = path.join(scratch.dir, 'office-listed.txt');
    writeFileSync(both, `${OFFICE}\n`);
    const c = lake.lake.connection;
    await saveList(c, await readList(both), 'OfficeAlsoListed', 'threat');
    const withOffice = await loadIntel(c);
    assert.equal(withOffice.ipThreats(OFFICE).length, 1);
    assert.equal(withOffice.isTrustedIp(OFFICE), true);
    const found = run(withOffice, [ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: iamUser('alice'), time: '2026-11-02T10:00:00Z', ip: OFFICE })]);
    assert.deepEqual(found, []);
  });

  test('an unlisted IPv6 caller and link-local or unique-local addresses never match', () => {
    for (const ip of ['2001:db8:bad:3::1', 'fe80::1', 'fd00:bad:1::66']) assert.deepEqual(intel.ipThreats(ip), [], ip);
  });
});

describe('Tor over IPv6', () => {
  test('an IPv6 Tor exit raises TorIPCaller', () => {
    const found = runCase([iamThreatIntel], {
      name: 'stolen instance credentials used over Tor, exiting over IPv6',
      records: [ctEvent({ service: 'iam', name: 'CreateUser', identity: instanceRole('web-app', 'i-0a1b2c3d4e5f60718'), time: '2026-11-02T10:00:00Z', ip: TOR_EXIT, request: { userName: 'backup' } })],
      intel: { torExits: [TOR_EXIT], torRelays: [TOR_EXIT] },
      expect: ['UnauthorizedAccess:IAMUser/TorIPCaller'],
    });
    assert.deepEqual(typesRaised(found), ['UnauthorizedAccess:IAMUser/TorIPCaller']);
    assert.equal(found[0]!.finding.service.action.awsApiCallAction!.remoteIpDetails!.ipAddressV6, TOR_EXIT);
  });

  test('an instance reaching an IPv6 Tor guard is a Tor client', () => {
    const guard: NetworkCase = {
      name: 'IPv6 guard on 9001',
      flows: connectionLines({ local: '2600:1f18:4a3:6b00::10', remote: '2001:db8:7a:2::9', opener: 'instance', port: 9001, time: '2026-11-02T09:00:00Z' }),
      intel: { torRelays: ['2001:db8:7a:2::9'] },
      expect: ['UnauthorizedAccess:EC2/TorClient'],
    };
    const found = runCase([tor], guard);
    assert.deepEqual(typesRaised(found), ['UnauthorizedAccess:EC2/TorClient']);
  });
});

describe('IPv6 flows against threat lists', () => {
  test('an instance beaconing to an IPv6 C&C address on a managed feed raises C&CActivity.B', () => {
    const beacon: NetworkCase = {
      name: 'IPv6 beacon',
      flows: connectionLines({ local: '2600:1f18:4a3:6b00::10', remote: '2001:db8:c2::23', opener: 'instance', port: 443, time: '2026-11-02T03:10:00Z' }),
      intel: { threatIps: [{ ip: '2001:db8:c2::/48', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' }] },
      expect: ['Backdoor:EC2/C&CActivity.B'],
    };
    const found = runCase([flowThreatIntel], beacon);
    assert.deepEqual(typesRaised(found), ['Backdoor:EC2/C&CActivity.B']);
    assert.equal(found[0]!.finding.service.action.networkConnectionAction!.remoteIpDetails!.ipAddressV6, '2001:db8:c2::23');
  });
});
