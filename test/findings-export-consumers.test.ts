import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { toAsff } from '../src/findings/export/asff.js';
import { toOcsf } from '../src/findings/export/ocsf.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/findings', name), 'utf8')) as GuardDutyFinding;
const iam = fixture('iam-malicious-ip-caller.json');
const ec2 = fixture('ec2-ssh-brute-force.json');

/** Every string in an ASFF finding must match Security Hub's `.*\S.*` (NonEmptyString). */
function blankStrings(value: unknown, at = ''): string[] {
  if (typeof value === 'string') return /\S/.test(value) ? [] : [at];
  if (Array.isArray(value)) return value.flatMap((item, i) => blankStrings(item, `${at}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => blankStrings(item, `${at}.${key}`));
  return [];
}

/** A DNS finding about a host known only by its (IPv6) address. */
function dnsFrom(address: string): GuardDutyFinding {
  const finding = structuredClone(ec2);
  finding.type = 'Trojan:EC2/BlackholeTraffic!DNS';
  finding.resource.instanceDetails = { networkInterfaces: [{ privateIpAddress: address }] };
  finding.service.action = { actionType: 'DNS_REQUEST', dnsRequestAction: { domain: 'sinkholed.example', protocol: 'UDP', blocked: false } };
  return finding;
}

/** A Gumshoe inbound surge from many sources: a connection with no single remote side. */
function surge(): GuardDutyFinding {
  const finding = structuredClone(ec2);
  finding.type = 'Recon:EC2/RejectedTrafficSurge.Gumshoe';
  finding.service.action = {
    actionType: 'NETWORK_CONNECTION',
    networkConnectionAction: {
      blocked: true, connectionDirection: 'INBOUND', protocol: 'TCP',
      localPortDetails: { port: 3389, portName: 'RDP' }, localIpDetails: { ipAddressV4: '10.0.1.25' },
    },
  };
  return finding;
}

const SIGNAL_HOME = 'arn:aws:guardduty:us-east-1:111122223333:detector/0e4d2c6b8a1f3e5d7c9b2a4f6e8d0c1b/finding/aaaa';
const SIGNAL_ELSEWHERE = 'arn:aws:guardduty:eu-west-1:111122223333:detector/0e4d2c6b8a1f3e5d7c9b2a4f6e8d0c1b/finding/bbbb';

/** An attack sequence over the IAM fixture's caller, with more actors and endpoints than Security Hub takes. */
function attackSequence(): GuardDutyFinding {
  const finding = structuredClone(iam);
  finding.type = 'AttackSequence:IAM/CompromisedCredentials';
  finding.severity = 9;
  finding.service.detection = {
    sequence: {
      uid: 'c0ffee',
      description: 'Credentials of build-bot were tied to several suspicious behaviours.',
      actors: Array.from({ length: 12 }, (_, i) => ({ id: `actor-${i}`, user: { name: `user-${i}`, uid: `actor-${i}`, type: 'IAMUser', credentialUid: 'AKIAEXAMPLE7Q2ZK4W1N' } })),
      resources: [{ uid: 'AKIAEXAMPLE7Q2ZK4W1N', name: 'build-bot', resourceType: 'ACCESS_KEY', service: 'IAM' }],
      endpoints: Array.from({ length: 15 }, (_, i) => ({
        id: `203.0.113.${i}`, ip: `203.0.113.${i}`,
        autonomousSystem: { name: 'EXAMPLE-VPS-NET', number: 64511 },
        location: { city: 'Amsterdam', country: 'Netherlands', lat: 52.374, lon: 4.8897 },
      })),
      signals: [
        {
          uid: SIGNAL_HOME, type: 'FINDING', name: 'Recon:IAMUser/MaliciousIPCaller',
          createdAt: '2025-06-10T06:13:20.000Z', updatedAt: '2025-06-10T06:20:12.000Z', firstSeenAt: '2025-06-10T06:13:20.000Z', lastSeenAt: '2025-06-10T06:20:12.000Z',
          severity: 5, count: 3, resourceUids: ['AKIAEXAMPLE7Q2ZK4W1N'], actorIds: ['actor-0'], endpointIds: ['203.0.113.0'],
          signalIndicators: [{ key: 'MALICIOUS_IP', values: ['203.0.113.0'] }],
        },
        {
          uid: SIGNAL_ELSEWHERE, type: 'FINDING', name: 'Impact:IAMUser/AnomalousBehavior',
          createdAt: '2025-06-10T06:30:00.000Z', updatedAt: '2025-06-10T06:30:00.000Z', firstSeenAt: '2025-06-10T06:30:00.000Z', lastSeenAt: '2025-06-10T06:30:00.000Z',
          severity: 8, count: 1, resourceUids: ['AKIAEXAMPLE7Q2ZK4W1N'], actorIds: ['actor-0'], endpointIds: [],
          signalIndicators: [{ key: 'ATTACK_TACTIC', values: ['Impact'] }],
        },
        {
          uid: 'CLOUD_TRAIL:iam.amazonaws.com:CreateUser', type: 'CLOUD_TRAIL', name: 'CreateUser', description: '2 call(s) of iam.amazonaws.com CreateUser',
          createdAt: '2025-06-10T06:40:00.000Z', updatedAt: '2025-06-10T06:41:00.000Z', firstSeenAt: '2025-06-10T06:40:00.000Z', lastSeenAt: '2025-06-10T06:41:00.000Z',
          count: 2, resourceUids: ['AKIAEXAMPLE7Q2ZK4W1N'], actorIds: ['actor-0'], endpointIds: [],
          signalIndicators: [{ key: 'HIGH_RISK_API', values: ['CreateUser'] }],
        },
      ],
      sequenceIndicators: [{ key: 'HIGH_RISK_API', values: ['iam:CreateUser'] }, { key: 'ATTACK_TACTIC', values: ['Discovery', 'Impact', 'Persistence'] }],
    },
  };
  return finding;
}

describe('ASFF accepted by BatchImportFindings', () => {
  test('ProductFields leave out null, empty and blank values instead of sending ""', () => {
    const finding = structuredClone(iam);
    finding.service.evidence = null;
    finding.service.action.awsApiCallAction!.affectedResources = {};
    finding.service.additionalInfo = { threatListName: 'ProofPoint', note: '  ', recentCredentials: [], empty: {} };
    const fields = toAsff(finding).ProductFields;
    assert.deepEqual(Object.entries(fields).filter(([, value]) => !/\S/.test(value)), [], 'no blank value');
    assert.equal('aws/guardduty/service/evidence' in fields, false);
    assert.equal('aws/guardduty/service/action/awsApiCallAction/affectedResources' in fields, false);
    assert.equal('aws/guardduty/service/additionalInfo/note' in fields, false);
    assert.equal(fields['aws/guardduty/service/additionalInfo/threatListName'], 'ProofPoint', 'values are still kept');
    assert.equal(fields['aws/guardduty/service/archived'], 'false', 'false is a value, not an empty one');
  });

  test('a caller without an access key id (an AWS service session) gets no blank resource fields', () => {
    const finding = structuredClone(iam);
    finding.resource.accessKeyDetails = { ...finding.resource.accessKeyDetails, accessKeyId: '', userName: '' };
    const asff = toAsff(finding);
    assert.deepEqual(blankStrings(asff), []);
    const key = asff.Resources.find((r) => r.Type === 'AwsIamAccessKey')!;
    assert.equal(key.Id, `AWS::IAM::AccessKey:${iam.resource.accessKeyDetails!.principalId}`, 'named by the principal instead');
    assert.equal('AccessKeyId' in key.Details!.AwsIamAccessKey!, false);
  });

  test('instance tags with an empty value are left out, and resource times are ISO 8601 or absent', () => {
    const finding = structuredClone(ec2);
    const instance = finding.resource.instanceDetails!;
    instance.tags = [{ key: 'Name', value: 'bastion-1' }, { key: 'backup', value: '' }];
    instance.launchTime = 'not a time';
    let resource = toAsff(finding).Resources[0]!;
    assert.deepEqual(resource.Tags, { Name: 'bastion-1' });
    assert.equal('LaunchedAt' in resource.Details!.AwsEc2Instance!, false);
    instance.launchTime = '2025-05-30T08:02:11Z';
    resource = toAsff(finding).Resources[0]!;
    assert.equal(resource.Details!.AwsEc2Instance!.LaunchedAt, '2025-05-30T08:02:11.000Z');
  });

  test('the fixtures export with no blank string anywhere', () => {
    for (const finding of [iam, ec2, dnsFrom('10.0.1.25'), surge(), attackSequence()]) assert.deepEqual(blankStrings(toAsff(finding)), [], finding.type);
  });

  test('a DNS query from an IPv6 host puts the host in SourceIpV6, an IPv4 host in SourceIpV4', () => {
    assert.deepEqual(toAsff(dnsFrom('2600:1f18:6a4:b100::25')).Network, {
      Direction: 'OUT', Protocol: 'UDP', SourceIpV6: '2600:1f18:6a4:b100::25', DestinationDomain: 'sinkholed.example',
    });
    assert.equal(toAsff(dnsFrom('10.0.1.25')).Network?.SourceIpV4, '10.0.1.25');
  });

  test('a port probe from an IPv6 scanner keeps the scanner as SourceIpV6', () => {
    const finding = structuredClone(ec2);
    finding.service.action = {
      actionType: 'PORT_PROBE',
      portProbeAction: { blocked: false, portProbeDetails: [{ localPortDetails: { port: 9200, portName: 'Elasticsearch' }, remoteIpDetails: { ipAddressV6: '2001:db8::7' } }] },
    };
    assert.deepEqual(toAsff(finding).Network, { Direction: 'IN', SourceIpV6: '2001:db8::7', DestinationPort: 9200 });
  });
});

describe('ASFF attack sequences: Detection.Sequence', () => {
  test('actors, endpoints, signals and indicators as GuardDuty sends them, within Security Hub limits', () => {
    const sequence = toAsff(attackSequence()).Detection!.Sequence as Record<string, Record<string, unknown>[]> & { Uid: string };
    assert.equal(sequence.Uid, 'c0ffee');
    assert.equal(sequence.Actors!.length, 10, 'Security Hub takes at most 10 actors');
    assert.equal(sequence.Endpoints!.length, 10, 'and at most 10 endpoints');
    assert.deepEqual(sequence.Actors![0], { Id: 'actor-0', User: { Name: 'user-0', Uid: 'actor-0', CredentialUid: 'AKIAEXAMPLE7Q2ZK4W1N' } });
    assert.deepEqual(sequence.Endpoints![0], {
      Id: '203.0.113.0', Ip: '203.0.113.0',
      Location: { City: 'Amsterdam', Country: 'Netherlands', Lat: 52.374, Lon: 4.8897 },
      AutonomousSystem: { Name: 'EXAMPLE-VPS-NET', Number: 64511 },
    });
    assert.deepEqual(sequence.SequenceIndicators, [
      { Key: 'HIGH_RISK_API', Values: ['iam:CreateUser'] },
      { Key: 'ATTACK_TACTIC', Values: ['Discovery', 'Impact', 'Persistence'] },
    ]);
    const [home, elsewhere, calls] = sequence.Signals!;
    assert.deepEqual(home, {
      Id: SIGNAL_HOME, Type: 'FINDING', Name: 'Recon:IAMUser/MaliciousIPCaller', Title: 'Recon:IAMUser/MaliciousIPCaller',
      ProductArn: 'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default',
      CreatedAt: Date.parse('2025-06-10T06:13:20.000Z'), UpdatedAt: Date.parse('2025-06-10T06:20:12.000Z'),
      FirstSeenAt: Date.parse('2025-06-10T06:13:20.000Z'), LastSeenAt: Date.parse('2025-06-10T06:20:12.000Z'),
      Severity: 5, Count: 3, ResourceIds: ['AKIAEXAMPLE7Q2ZK4W1N'], ActorIds: ['actor-0'], EndpointIds: ['203.0.113.0'],
      SignalIndicators: [{ Key: 'MALICIOUS_IP', Values: ['203.0.113.0'] }],
    });
    assert.equal(elsewhere!.ProductArn, 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default', 'a signal found in another region was imported there');
    assert.equal('EndpointIds' in elsewhere!, false, 'an empty list is left out');
    assert.equal(calls!.Title, '2 call(s) of iam.amazonaws.com CreateUser');
    assert.equal('ProductArn' in calls!, false, 'API calls are no imported finding');
  });

  test('findings that are no attack sequence carry no Detection', () => {
    assert.equal('Detection' in toAsff(iam), false);
    assert.equal('Detection' in toAsff(ec2), false);
  });
});

describe('OCSF 1.1 Detection Finding', () => {
  test('declares the cloud profile its `cloud` object comes from', () => {
    for (const finding of [iam, ec2]) assert.deepEqual(toOcsf(finding).metadata.profiles, ['cloud']);
  });

  test('a connection without a remote address has no empty src_endpoint', () => {
    const [evidence] = toOcsf(surge()).evidences!;
    assert.equal('src_endpoint' in evidence!, false);
    assert.deepEqual(evidence!.dst_endpoint, { ip: '10.0.1.25', port: 3389, instance_uid: 'i-0a1b2c3d4e5f60718' });
    assert.deepEqual(evidence!.connection_info, { protocol_name: 'tcp', direction_id: 1, direction: 'Inbound' });
  });

  test('a port probe without a remote address has no empty src_endpoint', () => {
    const finding = structuredClone(ec2);
    finding.service.action = { actionType: 'PORT_PROBE', portProbeAction: { blocked: false, portProbeDetails: [{ localPortDetails: { port: 22, portName: 'SSH' } }] } };
    const [evidence] = toOcsf(finding).evidences!;
    assert.equal('src_endpoint' in evidence!, false);
    assert.equal((evidence!.dst_endpoint as { port: number }).port, 22);
  });

  test('the caller is named as Security Lake names it in API Activity: ARN as uid, principal id as uid_alt', () => {
    const finding = structuredClone(iam);
    finding.resource.accessKeyDetails = {
      accessKeyId: 'ASIAEXAMPLE', principalId: 'AROAEXAMPLE:deploy', userName: 'deploy', userType: 'AssumedRole',
      userIdentity: {
        type: 'AssumedRole', principalId: 'AROAEXAMPLE:deploy', arn: 'arn:aws:sts::111122223333:assumed-role/deploy/deploy', accountId: '111122223333',
        sessionContext: {
          attributes: { mfaAuthenticated: 'false' },
          sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deploy', accountId: '111122223333', userName: 'deploy' },
          invokedBy: 'cloudformation.amazonaws.com',
        },
      },
    };
    assert.deepEqual(toOcsf(finding).evidences![0]!.actor, {
      user: {
        type: 'AssumedRole', uid: 'arn:aws:sts::111122223333:assumed-role/deploy/deploy', uid_alt: 'AROAEXAMPLE:deploy',
        name: 'deploy', credential_uid: 'ASIAEXAMPLE', account: { uid: '111122223333' },
      },
      session: { issuer: 'arn:aws:iam::111122223333:role/deploy', is_mfa: false },
      invoked_by: 'cloudformation.amazonaws.com',
    });
  });

  test('an attack sequence lists its signals as related events', () => {
    assert.deepEqual(toOcsf(attackSequence()).finding_info.related_events, [
      { uid: SIGNAL_HOME, type: 'Recon:IAMUser/MaliciousIPCaller' },
      { uid: SIGNAL_ELSEWHERE, type: 'Impact:IAMUser/AnomalousBehavior' },
      { uid: 'CLOUD_TRAIL:iam.amazonaws.com:CreateUser', type: 'CreateUser' },
    ]);
    assert.equal('related_events' in toOcsf(iam).finding_info, false);
  });
});
