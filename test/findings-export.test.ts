import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { FindingTypeSpec } from '../src/detect/detection.js';
import { asffType, toAsff } from '../src/findings/export/asff.js';
import { findingEventId, toEventBridgeEvent } from '../src/findings/export/eventbridge.js';
import { FINDING_FORMATS, formatFinding } from '../src/findings/export/index.js';
import { ATTACK_VERSION, toOcsf } from '../src/findings/export/ocsf.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/findings', name), 'utf8')) as GuardDutyFinding;
const iam = fixture('iam-malicious-ip-caller.json');
const ec2 = fixture('ec2-ssh-brute-force.json');

const iamSpec: FindingTypeSpec = {
  type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
  dataSource: 'CloudTrailManagement',
  severity: 5,
  resourceType: 'AccessKey',
  mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
  title: 'API {api} was invoked from a known malicious IP address.',
  description: 'API {api} was invoked from IP address {ip}.',
  remediation: 'Check whether the caller is expected; if not, deactivate the access key and review what it did.',
};
const ec2Spec: FindingTypeSpec = {
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  dataSource: 'VPCFlowLogs',
  severity: 2,
  resourceType: 'Instance',
  mitre: { tactic: 'TA0006 Credential Access', technique: 'T1110 Brute Force' },
  title: '{ip} is performing SSH brute force attacks against {instance}.',
  description: '{ip} is trying to guess SSH credentials.',
  remediation: 'Restrict port 22 in the security group to known addresses.',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('EventBridge', () => {
  test('the envelope GuardDuty puts on the bus, with the finding as detail', () => {
    const event = toEventBridgeEvent(ec2);
    assert.deepEqual({ ...event, id: 'x' }, {
      version: '0',
      id: 'x',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account: '111122223333',
      time: '2025-06-11T03:55:18Z',
      region: 'eu-west-1',
      resources: [],
      detail: ec2,
    });
    assert.match(event.id, UUID);
  });

  test('the event id is stable for one state and new for every update', () => {
    assert.equal(toEventBridgeEvent(iam).id, findingEventId(structuredClone(iam)));
    assert.notEqual(findingEventId(iam), findingEventId({ ...iam, updatedAt: '2025-06-10T07:00:00.000Z' }));
    assert.notEqual(findingEventId(iam), findingEventId(ec2));
  });
});

describe('ASFF', () => {
  test('IAM finding: identity, product, type taxonomy, times, severity, texts', () => {
    const asff = toAsff(iam, iamSpec);
    assert.equal(asff.SchemaVersion, '2018-10-08');
    assert.equal(asff.Id, iam.arn);
    assert.equal(asff.ProductArn, 'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default');
    assert.equal(asff.GeneratorId, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller');
    assert.equal(asff.AwsAccountId, '111122223333');
    assert.deepEqual(asff.Types, ['TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller']);
    assert.deepEqual(asff.FindingProviderFields, { Severity: { Label: 'MEDIUM', Original: '5' }, Types: asff.Types });
    assert.deepEqual(
      [asff.FirstObservedAt, asff.LastObservedAt, asff.CreatedAt, asff.UpdatedAt],
      ['2025-06-10T06:13:20Z', '2025-06-10T06:20:12Z', '2025-06-10T06:19:41.120Z', '2025-06-10T06:26:02.933Z'],
    );
    assert.deepEqual(asff.Severity, { Label: 'MEDIUM', Original: '5', Normalized: 50 });
    assert.equal(asff.Title, iam.title);
    assert.equal(asff.Description, iam.description);
    assert.deepEqual(asff.Remediation, { Recommendation: { Text: iamSpec.remediation } });
    assert.equal(asff.RecordState, 'ACTIVE');
    assert.deepEqual(asff.Workflow, { Status: 'NEW' });
    assert.equal('Compliance' in asff, false);
    assert.equal(asff.Network, undefined, 'an API call is not a network action');
  });

  test('IAM finding: the access key resource and the API call action', () => {
    const asff = toAsff(iam, iamSpec);
    assert.deepEqual(asff.Resources, [{
      Type: 'AwsIamAccessKey',
      Id: 'AWS::IAM::AccessKey:AKIAEXAMPLE7Q2ZK4W1N',
      Partition: 'aws',
      Region: 'us-east-1',
      Details: {
        AwsIamAccessKey: {
          AccessKeyId: 'AKIAEXAMPLE7Q2ZK4W1N', PrincipalId: 'AIDAEXAMPLE3M5P8R2T4V', PrincipalName: 'build-bot',
          PrincipalType: 'IAMUser', AccountId: '111122223333',
        },
      },
    }]);
    const call = (asff.Action as { AwsApiCallAction: Record<string, unknown> }).AwsApiCallAction;
    assert.equal(call.Api, 'CreateUser');
    assert.deepEqual((call.RemoteIpDetails as Record<string, unknown>).Organization, {
      Asn: 64511, AsnOrg: 'EXAMPLE-VPS-NET', Isp: 'Example VPS Ltd', Org: 'Example VPS Ltd',
    });
  });

  test('ProductFields use GuardDuty integration keys, string values, within the limits', () => {
    const fields = toAsff(iam, iamSpec).ProductFields;
    assert.equal(fields['aws/guardduty/service/action/actionType'], 'AWS_API_CALL');
    assert.equal(fields['aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/ipAddressV4'], '203.0.113.77');
    assert.equal(fields['aws/guardduty/service/count'], '4');
    assert.equal(fields['aws/guardduty/service/archived'], 'false');
    assert.equal('aws/guardduty/service/evidence' in fields, false, 'null is left out: Security Hub map values must not be blank');
    assert.equal(fields['aws/guardduty/service/additionalInfo/threatListName'], 'ProofPoint');
    assert.equal(fields['aws/guardduty/service/additionalInfo/apiCalls.1_/name'], 'AttachUserPolicy', 'array items as .<i>_');
    assert.ok(Object.keys(fields).length <= 47);
    assert.ok(Object.entries(fields).every(([k, v]) => typeof v === 'string' && k.length < 128));

    const crowded = structuredClone(iam);
    crowded.service.additionalInfo.apiCalls = Array.from({ length: 40 }, (_, i) => ({ name: `Api${i}`, count: 1 }));
    const capped = toAsff(crowded).ProductFields;
    assert.equal(Object.keys(capped).length, 47);
    assert.equal(capped['aws/guardduty/service/count'], '4', 'service scalars come first and survive the cap');
  });

  test('EC2 finding: instance resource with details, inbound network, low severity', () => {
    const asff = toAsff(ec2, ec2Spec);
    assert.deepEqual(asff.Types, ['TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce']);
    assert.deepEqual(asff.Severity, { Label: 'LOW', Original: '2', Normalized: 20 });
    assert.deepEqual(asff.Resources, [{
      Type: 'AwsEc2Instance',
      Id: 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60718',
      Partition: 'aws',
      Region: 'eu-west-1',
      Tags: { Name: 'bastion-1', env: 'prod' },
      Details: {
        AwsEc2Instance: {
          Type: 't3.medium',
          ImageId: 'ami-0123456789abcdef0',
          IpV4Addresses: ['54.170.10.20', '10.0.1.25'],
          IamInstanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/bastion-profile',
          VpcId: 'vpc-0fedcba9876543210',
          SubnetId: 'subnet-0123abcd4567ef890',
          LaunchedAt: '2025-05-30T08:02:11.000Z',
          NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0f1e2d3c4b5a69788' }],
        },
      },
    }]);
    assert.deepEqual(asff.Network, {
      Direction: 'IN', Protocol: 'TCP', SourceIpV4: '198.51.100.14', SourcePort: 49822, DestinationIpV4: '10.0.1.25', DestinationPort: 22,
    });
    assert.equal((asff.Action as { ActionType: string }).ActionType, 'NETWORK_CONNECTION');
    assert.equal(asff.ProductFields['aws/guardduty/service/action/networkConnectionAction/localPortDetails/portName'], 'SSH');
  });

  test('outbound traffic puts the instance at the source; archived findings are ARCHIVED', () => {
    const actor = structuredClone(ec2);
    actor.service.action.networkConnectionAction!.connectionDirection = 'OUTBOUND';
    actor.service.archived = true;
    const asff = toAsff(actor);
    assert.equal(asff.Network!.Direction, 'OUT');
    assert.equal(asff.Network!.SourceIpV4, '10.0.1.25');
    assert.equal(asff.Network!.DestinationIpV4, '198.51.100.14');
    assert.equal(asff.RecordState, 'ARCHIVED');
  });

  test('S3 buckets become AwsS3Bucket resources next to the access key', () => {
    const s3 = structuredClone(iam);
    s3.type = 'Policy:S3/BucketBlockPublicAccessDisabled';
    s3.resource.s3BucketDetails = [{ arn: 'arn:aws:s3:::logs-bucket', name: 'logs-bucket', owner: { id: 'abc' }, tags: [{ key: 'team', value: 'sec' }] }];
    const asff = toAsff(s3);
    assert.deepEqual(asff.Types, ['Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled']);
    assert.deepEqual(asff.Resources.map((r) => r.Type), ['AwsIamAccessKey', 'AwsS3Bucket']);
    assert.deepEqual(asff.Resources[1], {
      Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::logs-bucket', Partition: 'aws', Region: 'us-east-1',
      Tags: { team: 'sec' }, Details: { AwsS3Bucket: { Name: 'logs-bucket', OwnerId: 'abc' } },
    });
  });

  test('Types follow GuardDuty\'s Security Hub table, irregular entries included; unknown types use the spec tactic', () => {
    assert.equal(asffType('Recon:IAMUser/MaliciousIPCaller'), 'TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller');
    assert.equal(asffType('Stealth:IAMUser/CloudTrailLoggingDisabled'), 'TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled');
    assert.equal(asffType('Backdoor:EC2/C&CActivity.B!DNS'), 'TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS');
    assert.equal(asffType('Discovery:IAMUser/AnomalousBehavior'), 'TTPs/Discovery/IAMUser-AnomalousBehavior');
    assert.equal(asffType('PenTest:IAMUser/KaliLinux'), 'TTPs/PenTest:IAMUser/KaliLinux');
    assert.equal(asffType('Policy:IAMUser/RootCredentialUsage'), 'TTPs/Policy:IAMUser-RootCredentialUsage');
    assert.equal(asffType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'),
      'Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS');
    assert.equal(asffType('Gumshoe:IAMUser/AccessKeyCreatedForRoot', { ...iamSpec, mitre: { tactic: 'TA0003 Persistence', technique: 'T1098 Account Manipulation' } }),
      'TTPs/Persistence/Gumshoe:IAMUser-AccessKeyCreatedForRoot');
    assert.equal(asffType('Gumshoe:IAMUser/Other'), 'TTPs/Gumshoe:IAMUser-Other');
  });

  test('long titles and descriptions are cut to 256 and 1024 characters; missing required fields fail', () => {
    const long = { ...iam, title: 't'.repeat(300), description: 'd'.repeat(2000) };
    const asff = toAsff(long);
    assert.equal(asff.Title.length, 256);
    assert.ok(asff.Title.endsWith('…'));
    assert.equal(asff.Description.length, 1024);
    assert.equal(asff.Remediation, undefined, 'no remediation without a spec');
    assert.throws(() => toAsff({ ...iam, accountId: '', description: '' }), /cannot be exported to ASFF: AwsAccountId, Description empty/);
    assert.throws(() => toAsff({ ...iam, region: 'unknown' }), { name: 'UserError', message: /has no region, which ASFF requires: read its logs from their S3 layout/ });
  });
});

describe('OCSF Detection Finding', () => {
  test('IAM finding: class, activity, severity, times in epoch ms, finding_info with ATT&CK', () => {
    const ocsf = toOcsf(iam, iamSpec);
    assert.deepEqual(
      [ocsf.class_uid, ocsf.category_uid, ocsf.activity_id, ocsf.activity_name, ocsf.type_uid],
      [2004, 2, 2, 'Update', 200402],
    );
    assert.equal(ocsf.time, Date.parse(iam.updatedAt));
    assert.deepEqual([ocsf.severity_id, ocsf.severity, ocsf.status_id, ocsf.status], [3, 'Medium', 1, 'New']);
    assert.deepEqual(ocsf.finding_info, {
      uid: iam.arn,
      title: iam.title,
      desc: iam.description,
      types: ['UnauthorizedAccess:IAMUser/MaliciousIPCaller'],
      created_time: Date.parse('2025-06-10T06:19:41.120Z'),
      modified_time: Date.parse('2025-06-10T06:26:02.933Z'),
      first_seen_time: Date.parse('2025-06-10T06:13:20Z'),
      last_seen_time: Date.parse('2025-06-10T06:20:12Z'),
      analytic: { uid: iam.type, name: iam.type, type: 'Rule', type_id: 1 },
      attacks: [{
        version: ATTACK_VERSION,
        tactic: { uid: 'TA0004', name: 'Privilege Escalation' },
        technique: { uid: 'T1078', name: 'Valid Accounts' },
        sub_technique: { uid: 'T1078.004', name: 'Cloud Accounts' },
      }],
      data_sources: ['CloudTrailManagement'],
    });
    assert.deepEqual(ocsf.cloud, { provider: 'AWS', account: { uid: '111122223333' }, region: 'us-east-1' });
    assert.deepEqual(ocsf.resources, [{ type: 'AwsIamAccessKey', uid: 'AKIAEXAMPLE7Q2ZK4W1N', name: 'build-bot', cloud_partition: 'aws', region: 'us-east-1' }]);
    assert.deepEqual(ocsf.remediation, { desc: iamSpec.remediation });
    assert.deepEqual(ocsf.metadata, { version: '1.1.0', uid: findingEventId(iam), profiles: ['cloud'], product: { name: 'Gumshoe', vendor_name: 'Gumshoe' } });
  });

  test('IAM finding: evidence names the caller, the API and where the call came from', () => {
    assert.deepEqual(toOcsf(iam).evidences, [{
      actor: { user: { type: 'IAMUser', uid: 'AIDAEXAMPLE3M5P8R2T4V', name: 'build-bot', credential_uid: 'AKIAEXAMPLE7Q2ZK4W1N' } },
      api: { operation: 'CreateUser', service: { name: 'iam.amazonaws.com' }, response: { error: 'AccessDenied' } },
      src_endpoint: {
        ip: '203.0.113.77',
        location: { country: 'NL', city: 'Amsterdam', coordinates: [4.8897, 52.374] },
        autonomous_system: { number: 64511, name: 'EXAMPLE-VPS-NET' },
      },
    }]);
    const extras = toOcsf(iam).unmapped.guardduty;
    assert.equal(extras.resourceRole, 'TARGET');
    assert.equal(extras.count, 4);
    assert.deepEqual((extras.additionalInfo as Record<string, unknown>).threatListName, 'ProofPoint');
  });

  test('EC2 finding: technique without sub-technique, inbound endpoints, instance resource named by its tag', () => {
    const ocsf = toOcsf(ec2, ec2Spec);
    assert.deepEqual(ocsf.finding_info.attacks, [{
      version: ATTACK_VERSION, tactic: { uid: 'TA0006', name: 'Credential Access' }, technique: { uid: 'T1110', name: 'Brute Force' },
    }]);
    assert.deepEqual([ocsf.severity_id, ocsf.severity], [2, 'Low']);
    assert.deepEqual(ocsf.resources, [{ type: 'AwsEc2Instance', uid: 'i-0a1b2c3d4e5f60718', name: 'bastion-1', cloud_partition: 'aws', region: 'eu-west-1' }]);
    const [evidence] = ocsf.evidences!;
    assert.deepEqual(evidence!.dst_endpoint, { ip: '10.0.1.25', port: 22, instance_uid: 'i-0a1b2c3d4e5f60718' });
    assert.equal((evidence!.src_endpoint as { ip: string }).ip, '198.51.100.14');
    assert.deepEqual(evidence!.connection_info, { protocol_name: 'tcp', direction_id: 1, direction: 'Inbound' });
  });

  test('activity: Create for a first sighting, Update after a later run, Close when archived', () => {
    const fresh = { ...iam, updatedAt: iam.createdAt, service: { ...iam.service, count: 1 } };
    assert.deepEqual([toOcsf(fresh).activity_id, toOcsf(fresh).type_uid], [1, 200401]);
    // Created with eleven occurrences in its first run: still a Create.
    assert.equal(toOcsf({ ...fresh, service: { ...fresh.service, count: 11 } }).activity_id, 1);
    const touched = { ...fresh, updatedAt: '2025-06-10T07:00:00.000Z' };
    assert.equal(toOcsf(touched).activity_id, 2);
    const archived = { ...iam, service: { ...iam.service, archived: true } };
    assert.deepEqual(
      [toOcsf(archived).activity_id, toOcsf(archived).activity_name, toOcsf(archived).status],
      [3, 'Close', 'Suppressed'],
    );
  });

  test('without a spec there are no attacks, data sources or remediation', () => {
    const ocsf = toOcsf(ec2);
    assert.equal(ocsf.finding_info.attacks, undefined);
    assert.equal(ocsf.finding_info.data_sources, undefined);
    assert.equal(ocsf.remediation, undefined);
  });
});

describe('formatFinding', () => {
  test('every format gives a JSON-serialisable object of its kind', () => {
    assert.deepEqual([...FINDING_FORMATS], ['guardduty', 'eventbridge', 'asff', 'ocsf']);
    const out = Object.fromEntries(FINDING_FORMATS.map((f) => [f, JSON.parse(JSON.stringify(formatFinding(f, ec2, ec2Spec)))]));
    assert.deepEqual(out.guardduty, ec2);
    assert.equal(out.eventbridge['detail-type'], 'GuardDuty Finding');
    assert.equal(out.asff.SchemaVersion, '2018-10-08');
    assert.equal(out.ocsf.class_uid, 2004);
  });
});
