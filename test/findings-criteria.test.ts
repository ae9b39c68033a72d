import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { attributeKind, CriteriaError, type FindingCriteria, KNOWN_PATHS, matchesCriteria, nearestName, parseCriteria } from '../src/findings/criteria.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/findings', name), 'utf8')) as GuardDutyFinding;
const iam = fixture('iam-malicious-ip-caller.json');
const ec2 = fixture('ec2-ssh-brute-force.json');

/** Parses (so every case also goes through validation) and evaluates. */
const matches = (finding: GuardDutyFinding, criterion: Record<string, unknown>) => matchesCriteria(finding, parseCriteria({ criterion }));

function rejects(input: unknown, field: string, message: RegExp): void {
  assert.throws(() => parseCriteria(input), (error: unknown) => {
    assert.ok(error instanceof CriteriaError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

describe('parseCriteria forms', () => {
  const canonical: FindingCriteria = {
    criterion: {
      type: { equals: ['Recon:EC2/Portscan'], notEquals: ['x'] },
      severity: { greaterThan: 1, greaterThanOrEqual: 2, lessThan: 9, lessThanOrEqual: 8 },
      'resource.instanceDetails.tags.value': { matches: ['bastion-*'], notMatches: ['*-test'] },
    },
  };

  test('the wire form comes back unchanged', () => {
    assert.deepEqual(parseCriteria(canonical), canonical);
  });

  test('deprecated aliases eq, neq, gt, gte, lt, lte become the current operators', () => {
    const parsed = parseCriteria({
      criterion: {
        type: { eq: ['Recon:EC2/Portscan'], neq: ['x'] },
        severity: { gt: 1, gte: 2, lt: 9, lte: 8 },
        'resource.instanceDetails.tags.value': { matches: ['bastion-*'], notMatches: ['*-test'] },
      },
    });
    assert.deepEqual(parsed, canonical);
  });

  test("the CLI's PascalCase form (Criterion, Eq, Gte, NotMatches …) is accepted", () => {
    const parsed = parseCriteria({
      Criterion: {
        type: { Equals: ['Recon:EC2/Portscan'], Neq: ['x'] },
        severity: { Gt: 1, GreaterThanOrEqual: 2, LessThan: 9, Lte: 8 },
        'resource.instanceDetails.tags.value': { Matches: ['bastion-*'], NotMatches: ['*-test'] },
      },
    });
    assert.deepEqual(parsed, canonical);
    const pascalAliases = parseCriteria({ Criterion: { severity: { Eq: ['5'], Gte: 4, Lt: 9, NotEquals: ['6'], GreaterThan: 3, LessThanOrEqual: 8 } } });
    assert.deepEqual(pascalAliases.criterion.severity, {
      equals: ['5'], greaterThanOrEqual: 4, lessThan: 9, notEquals: ['6'], greaterThan: 3, lessThanOrEqual: 8,
    });
  });

  test('a pasted get-filter answer ({"FindingCriteria": …}) is unwrapped', () => {
    assert.deepEqual(parseCriteria({ FindingCriteria: { Criterion: { 'service.archived': { Eq: ['false'] } } } }), {
      criterion: { 'service.archived': { equals: ['false'] } },
    });
  });

  test('free-form additionalInfo and detection paths are accepted; the documented list is large', () => {
    parseCriteria({ criterion: { 'service.additionalInfo.apiCalls.name': { equals: ['CreateUser'] } } });
    parseCriteria({ criterion: { 'service.detection.anomaly.unusual.behavior': { equals: ['x'] } } });
    assert.ok(KNOWN_PATHS.has('service.action.portProbeAction.portProbeDetails.remoteIpDetails.organization.asn'));
    assert.ok(KNOWN_PATHS.has('resource.s3BucketDetails.publicAccess.permissionConfiguration.bucketLevelPermissions.bucketPolicy.allowsPublicWriteAccess'));
    assert.ok(KNOWN_PATHS.size > 190);
  });
});

describe('parseCriteria validation names the field and the problem', () => {
  test('unknown operator', () => {
    rejects({ criterion: { severity: { greater: 5 } } }, 'severity', /unknown operator "greater"; use one of equals, notEquals/);
  });

  test('wrong value types', () => {
    rejects({ criterion: { severity: { gt: '5' } } }, 'severity', /gt must be an integer, got the string "5"/);
    rejects({ criterion: { severity: { gte: 4.5 } } }, 'severity', /gte must be an integer/);
    rejects({ criterion: { createdAt: { gt: '2025-01-01' } } }, 'createdAt', /integer \(epoch milliseconds\)/);
    rejects({ criterion: { type: { equals: 'Recon:EC2/Portscan' } } }, 'type', /equals must be a list of strings, got the string/);
    rejects({ criterion: { severity: { Eq: [7] } } }, 'severity', /Eq values must be strings, got number 7 \(write "7"\)/);
    rejects({ criterion: { type: { equals: [] } } }, 'type', /equals lists no value/);
    rejects({ criterion: { type: 'Recon:EC2/Portscan' } }, 'type', /condition must be an object with at least one operator/);
    rejects({ criterion: { type: {} } }, 'type', /at least one operator/);
    rejects({ criterion: { createdAt: { equals: ['yesterday'] } } }, 'createdAt', /"yesterday" is not epoch milliseconds or an ISO-8601 time/);
    rejects({ criterion: { severity: { equals: ['high'] } } }, 'severity', /"high" is not a number/);
  });

  test('values an attribute can never hold are refused, naming the attribute and the value', () => {
    rejects({ criterion: { 'service.count': { equals: ['abc'] } } }, 'service.count', /^criterion "service\.count": equals value "abc" is not a number$/);
    rejects({ criterion: { 'service.count': { notEquals: [''] } } }, 'service.count', /notEquals value "" is not a number/);
    rejects({ criterion: { 'service.action.networkConnectionAction.localPortDetails.port': { eq: ['ssh'] } } }, 'service.action.networkConnectionAction.localPortDetails.port', /eq value "ssh" is not a number/);
    rejects({ criterion: { 'service.action.awsApiCallAction.remoteIpDetails.organization.asn': { equals: ['AS64496'] } } }, 'service.action.awsApiCallAction.remoteIpDetails.organization.asn', /"AS64496" is not a number/);
    rejects({ criterion: { 'service.archived': { equals: ['maybe'] } } }, 'service.archived', /^criterion "service\.archived": equals value "maybe" is not true or false$/);
    rejects({ criterion: { 'service.action.dnsRequestAction.blocked': { Eq: ['yes'] } } }, 'service.action.dnsRequestAction.blocked', /Eq value "yes" is not true or false/);
  });

  test('comparisons on text or true/false attributes are refused: they could never match', () => {
    rejects({ criterion: { region: { GreaterThanOrEqual: 1 } } }, 'region',
      /^criterion "region": GreaterThanOrEqual 1 can never match: GreaterThanOrEqual compares numbers and times, and this attribute holds text; use equals, notEquals, matches or notMatches$/);
    rejects({ criterion: { type: { lt: 5 } } }, 'type', /lt 5 can never match/);
    rejects({ criterion: { accountId: { gt: '111122223333' } } }, 'accountId', /gt "111122223333" can never match: .* holds text/);
    rejects({ criterion: { 'service.archived': { gt: 0 } } }, 'service.archived', /gt 0 can never match: .* holds true or false; use equals or notEquals$/);
  });

  test('what can match is still accepted: numbers, booleans in any case, times, and anything on free-form attributes', () => {
    parseCriteria({ criterion: { 'service.count': { equals: ['12', '1.5'], gte: 2 }, 'service.archived': { Eq: ['TRUE', 'false'] } } });
    parseCriteria({ criterion: { 'resource.accessKeyDetails.userIdentity.sessionContext.attributes.mfaAuthenticated': { equals: ['false'] } } });
    parseCriteria({ criterion: { 'service.action.awsApiCallAction.remoteIpDetails.geoLocation.lat': { gt: 52 }, confidence: { lte: 0 } } });
    parseCriteria({ criterion: { 'service.additionalInfo.inBytes': { gt: 1000 }, 'service.additionalInfo.localPort': { equals: ['22'] }, 'service.additionalInfo.threatName': { equals: ['x'] } } });
    parseCriteria({ criterion: { 'service.detection.anomaly.score': { gte: 3 }, region: { matches: ['cn-*'] }, 'service.count': { matches: ['1*'] } } });
    assert.equal(matches(ec2, { 'service.archived': { equals: ['FALSE'] } }), true, 'booleans compare in any case');
  });

  test('every typed attribute is a known one; free-form ones take anything', () => {
    // 6 timestamps, 15 numbers (severity, confidence, count, ports, lat/lon/asn of 3 remote IPs), 18 booleans:
    // all of them among the known paths, so none is misspelt.
    const typed = [...KNOWN_PATHS].filter((path) => !['text', 'free-form'].includes(attributeKind(path)));
    assert.equal(typed.length, 6 + 15 + 18, typed.join('\n'));
    for (const path of ['service.count', 'severity', 'confidence', 'service.action.portProbeAction.portProbeDetails.localPortDetails.port']) assert.equal(attributeKind(path), 'number', path);
    for (const path of ['service.archived', 'service.action.portProbeAction.blocked', 'service.action.awsApiCallAction.remoteAccountDetails.affiliated']) assert.equal(attributeKind(path), 'boolean', path);
    assert.equal(attributeKind('updatedAt'), 'timestamp');
    assert.equal(attributeKind('region'), 'text');
    assert.equal(attributeKind('service.additionalInfo.inBytes'), 'free-form');
  });

  test('too many values, patterns or attributes', () => {
    const values = Array.from({ length: 51 }, (_, i) => `t${i}`);
    rejects({ criterion: { type: { equals: values } } }, 'type', /equals has 51 values, at most 50 are allowed/);
    parseCriteria({ criterion: { type: { equals: values.slice(0, 50) } } });
    rejects({ criterion: { type: { matches: ['a*', 'b*', 'c*', 'd*', 'e*', 'f*'] } } }, 'type', /matches has 6 values, at most 5/);
    rejects({ criterion: { type: { matches: ['x'.repeat(513)] } } }, 'type', /1–512 characters/);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`service.additionalInfo.k${i}`, { equals: ['x'] }]));
    rejects({ criterion: many }, 'criterion', /^"criterion" has 51 attributes, at most 50 are allowed$/);
  });

  test('unknown attribute paths, with a did-you-mean for typos', () => {
    rejects({ criterion: { 'service.archivd': { eq: ['false'] } } }, 'service.archivd', /unknown attribute \(did you mean "service.archived"\?\)/);
    rejects({ criterion: { 'Service.Archived': { eq: ['false'] } } }, 'Service.Archived', /did you mean "service.archived"/);
    rejects(
      { criterion: { 'resource.instanceDetails.tag.value': { eq: ['x'] } } },
      'resource.instanceDetails.tag.value',
      /did you mean "resource.instanceDetails.tags.value"/,
    );
    rejects({ criterion: { ipAddressV4: { eq: ['1.2.3.4'] } } }, 'ipAddressV4', /did you mean one of "service\.action\..*ipAddressV4"/);
    rejects({ criterion: { 'totally.bogus.path': { eq: ['x'] } } }, 'totally.bogus.path', /^criterion "totally.bogus.path": unknown attribute$/);
  });

  test('an operator given twice under two spellings, an empty or misnamed criterion', () => {
    rejects({ criterion: { type: { eq: ['a'], equals: ['b'] } } }, 'type', /"equals" repeats "eq"/);
    rejects({ criterion: {} }, 'criterion', /^"criterion" names no attribute; give at least one$/);
    rejects({ criteria: { type: { eq: ['a'] } } }, 'criteria', /^"criteria" is not a criteria key; the only one is "criterion"$/);
    rejects({ criterion: [] }, 'criterion', /^"criterion" must be an object mapping attribute paths to conditions$/);
    rejects([], 'criterion', /must be given as a JSON object/);
  });
});

describe('nearestName', () => {
  test('the same name in another case, else one a few edits away, else nothing', () => {
    const known = ['Recon:IAMUser/MaliciousIPCaller', 'Recon:IAMUser/TorIPCaller', 'Policy:IAMUser/RootCredentialUsage'];
    assert.equal(nearestName('Recon:IAMUser/MaliciousIpCaller', known), 'Recon:IAMUser/MaliciousIPCaller');
    assert.equal(nearestName('Policy:IAMUser/RootCredentialUse', known), 'Policy:IAMUser/RootCredentialUsage');
    assert.equal(nearestName('Foo:Bar/Baz', known), undefined);
  });
});

describe('matchesCriteria', () => {
  test('equals is any of the values; notEquals is none of them', () => {
    assert.equal(matches(iam, { type: { equals: ['Recon:EC2/Portscan', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller'] } }), true);
    assert.equal(matches(iam, { type: { equals: ['Recon:EC2/Portscan'] } }), false);
    assert.equal(matches(iam, { type: { notEquals: ['Recon:EC2/Portscan', 'Policy:IAMUser/RootCredentialUsage'] } }), true);
    assert.equal(matches(iam, { type: { notEquals: ['Recon:EC2/Portscan', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller'] } }), false);
  });

  test('different attributes are ANDed', () => {
    const remoteIp = 'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4';
    assert.equal(matches(iam, { [remoteIp]: { eq: ['203.0.113.77'] }, 'resource.accessKeyDetails.userName': { eq: ['build-bot'] } }), true);
    assert.equal(matches(iam, { [remoteIp]: { eq: ['203.0.113.77'] }, 'resource.accessKeyDetails.userName': { eq: ['alice'] } }), false);
  });

  test('several operators on one attribute are ANDed (a range)', () => {
    assert.equal(matches(ec2, { 'service.count': { gt: 10, lt: 13 } }), true);
    assert.equal(matches(ec2, { 'service.count': { gt: 10, lt: 12 } }), false);
    assert.equal(matches(ec2, { 'service.count': { greaterThanOrEqual: 12, lessThanOrEqual: 12 } }), true);
    assert.equal(matches(ec2, { 'service.count': { Gte: 13 } }), false);
    assert.equal(matches(ec2, { 'service.count': { Lte: 11 } }), false);
    assert.equal(matches(ec2, { type: { matches: ['UnauthorizedAccess:*'], notEquals: ['UnauthorizedAccess:EC2/SSHBruteForce'] } }), false);
  });

  test('paths flatten through arrays: one element is enough for equals, none may match notEquals', () => {
    assert.equal(matches(ec2, { 'resource.instanceDetails.tags.value': { equals: ['prod'] } }), true);
    assert.equal(matches(ec2, { 'resource.instanceDetails.tags.key': { equals: ['env'] } }), true);
    assert.equal(matches(ec2, { 'resource.instanceDetails.tags.value': { notEquals: ['prod'] } }), false);
    assert.equal(matches(ec2, { 'resource.instanceDetails.tags.value': { notEquals: ['staging'] } }), true);
    assert.equal(matches(ec2, { 'resource.instanceDetails.networkInterfaces.securityGroups.groupName': { eq: ['bastion-ssh'] } }), true);
    assert.equal(matches(ec2, { 'resource.instanceDetails.networkInterfaces.privateIpAddresses.privateIpAddress': { eq: ['10.0.1.25'] } }), true);
    assert.equal(matches(iam, { 'service.additionalInfo.apiCalls.name': { equals: ['AttachUserPolicy'] } }), true);
  });

  test('timestamps compare as epoch milliseconds', () => {
    const created = Date.parse(iam.createdAt);
    assert.equal(matches(iam, { createdAt: { equals: [String(created)] } }), true);
    assert.equal(matches(iam, { createdAt: { equals: [iam.createdAt] } }), true, 'an ISO time is accepted in equals');
    assert.equal(matches(iam, { createdAt: { gt: created - 1, lt: created + 1 } }), true);
    assert.equal(matches(iam, { updatedAt: { greaterThan: Date.parse(iam.updatedAt) } }), false);
    assert.equal(matches(iam, { 'service.eventFirstSeen': { gte: Date.parse('2025-06-10T06:13:20Z') } }), true);
    assert.equal(matches(iam, { 'service.eventLastSeen': { lt: Date.parse('2025-06-10T06:20:12Z') } }), false);
    assert.equal(matches(ec2, { 'resource.instanceDetails.launchTime': { lte: Date.parse('2025-06-01T00:00:00Z') } }), true);
  });

  test('severity equals uses the integer level buckets; comparisons use the exact number', () => {
    const at = (severity: number) => ({ ...iam, severity });
    assert.equal(matches(at(5), { severity: { equals: ['4', '5', '6'] } }), true, 'Medium bucket');
    assert.equal(matches(at(7.0), { severity: { equals: ['7', '8'] } }), true, 'High bucket, 7.0');
    assert.equal(matches(at(8.9), { severity: { equals: ['7', '8'] } }), true, 'High bucket, 8.9');
    assert.equal(matches(at(6.9), { severity: { equals: ['7', '8'] } }), false);
    assert.equal(matches(at(9), { severity: { notEquals: ['9', '10'] } }), false);
    assert.equal(matches(at(6.5), { severity: { gte: 6 } }), true);
    assert.equal(matches(at(6.5), { severity: { gt: 6, lt: 7 } }), true);
    assert.equal(matches(at(6.5), { severity: { equals: ['6.5'] } }), true, 'a decimal value compares exactly');
  });

  test('booleans compare as "true"/"false"; numbers held as strings compare numerically', () => {
    assert.equal(matches(iam, { 'service.archived': { equals: ['false'] } }), true);
    assert.equal(matches(iam, { 'service.archived': { equals: ['true'] } }), false);
    assert.equal(matches(ec2, { 'service.action.networkConnectionAction.blocked': { neq: ['true'] } }), true);
    assert.equal(matches(ec2, { 'service.action.networkConnectionAction.localPortDetails.port': { equals: ['22'] } }), true);
    assert.equal(matches(ec2, { 'service.action.networkConnectionAction.remoteIpDetails.organization.asn': { gte: 64496 } }), true);
    assert.equal(matches(iam, { 'service.action.awsApiCallAction.remoteIpDetails.geoLocation.lat': { gt: 52 } }), true);
  });

  test('matches and notMatches are globs with *, everything else literal', () => {
    assert.equal(matches(iam, { type: { matches: ['UnauthorizedAccess:IAMUser/*'] } }), true);
    assert.equal(matches(iam, { type: { matches: ['*MaliciousIPCaller'] } }), true);
    assert.equal(matches(iam, { type: { matches: ['*MaliciousIPCaller.Custom'] } }), false);
    assert.equal(matches(iam, { 'service.action.awsApiCallAction.userAgent': { matches: ['aws-cli/2.*'] } }), true);
    assert.equal(matches(iam, { 'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4': { matches: ['203.0.113.7?'] } }), false, '? is literal');
    assert.equal(matches(iam, { 'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4': { matches: ['203.0.113.*'] } }), true);
    assert.equal(matches(ec2, { 'resource.instanceDetails.tags.value': { notMatches: ['bastion-*'] } }), false);
    assert.equal(matches(ec2, { 'resource.instanceDetails.tags.value': { notMatches: ['web-*'] } }), true);
  });

  test('a missing attribute fails equals, matches and comparisons, and passes notEquals/notMatches', () => {
    const instanceId = 'resource.instanceDetails.instanceId';
    assert.equal(matches(iam, { [instanceId]: { equals: ['i-0a1b2c3d4e5f60718'] } }), false);
    assert.equal(matches(iam, { [instanceId]: { notEquals: ['i-0a1b2c3d4e5f60718'] } }), true);
    assert.equal(matches(iam, { [instanceId]: { matches: ['*'] } }), false);
    assert.equal(matches(iam, { [instanceId]: { notMatches: ['*'] } }), true);
    assert.equal(matches(iam, { 'resource.instanceDetails.launchTime': { gt: 0 } }), false);
    assert.equal(matches(ec2, { 'service.evidence.threatIntelligenceDetails.threatListName': { equals: ['ProofPoint'] } }), false, 'evidence is null');
    assert.equal(matches(iam, { associatedAttackSequenceArn: { neq: ['arn:x'] } }), true);
  });
});
