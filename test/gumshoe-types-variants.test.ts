import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { DETECTIONS } from '../src/detect/registry.js';

/**
 * Gumshoe's own types on realistic variants of the Stratus techniques and on routine administration:
 * the finding type, severity and wording, which the detections' own cases do not compare.
 */
function findings(detectionId: string, records: CloudTrailRecord[]) {
  const detection = DETECTIONS.find((d) => d.id === detectionId)!;
  return runCase([detection], { name: detectionId, records, expect: [] }).map((o) => o.finding);
}

const BOTO = 'Boto3/1.34.100 md/Botocore#1.34.100 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.11.9 Botocore/1.34.100';
const mallory = iamUser('mallory');
const at = (day: number, minute = 0) => new Date(Date.UTC(2026, 10, day, 10, minute)).toISOString().replace('.000Z', 'Z');

describe('user data changes', () => {
  const deploy = assumedRole('GitHubActionsDeploy', 'gha-run-991');
  const change = (day: number, instance: string) =>
    ctEvent({ service: 'ec2', name: 'ModifyInstanceAttribute', identity: deploy, userAgent: BOTO, time: at(day), request: { instanceId: instance, userData: '<sensitiveDataRemoved>' } });

  test('a deploy script that rewrites user data on every release is Medium once, then Low', () => {
    const raised = findings('gumshoe-ec2-execution', [change(1, 'i-0aaaaaaaaaaaaaaa1'), change(2, 'i-0aaaaaaaaaaaaaaa2')]);
    assert.deepEqual(
      raised.map((f) => [f.type, f.severity, f.resource.instanceDetails?.instanceId]),
      [
        ['Execution:EC2/UserDataModified.Gumshoe', 5, 'i-0aaaaaaaaaaaaaaa1'],
        ['Execution:EC2/UserDataModified.Gumshoe', 2, 'i-0aaaaaaaaaaaaaaa2'],
      ],
    );
  });
});

describe('CloudTrail tampering variants', () => {
  const lifecycle = (expiration: Record<string, unknown>) =>
    ctEvent({
      service: 's3',
      name: 'PutBucketLifecycle',
      identity: mallory,
      time: at(2),
      request: { bucketName: 'acme-cloudtrail-logs', LifecycleConfiguration: { Rule: { ID: 'x', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: expiration } }, lifecycle: '' },
    });

  test('an expiration date already past on the trail bucket deletes the logs at once (Medium)', () => {
    const [finding, ...rest] = findings('gumshoe-logging-tampering', [lifecycle({ Date: '2026-01-01T00:00:00Z' })]);
    assert.equal(rest.length, 0);
    assert.equal(finding?.type, 'DefenseEvasion:S3/CloudTrailBucketShortLifecycle.Gumshoe');
    assert.equal(finding?.severity, 5);
    assert.match(finding!.description, /expire after 0 day/);
  });

  test('an expiration date a year away is retention, not tampering', () => {
    assert.deepEqual(findings('gumshoe-logging-tampering', [lifecycle({ Date: '2027-11-01T00:00:00Z' })]), []);
  });

  const selectors = (fieldSelectors: Record<string, unknown>[]) =>
    ctEvent({ service: 'cloudtrail', name: 'PutEventSelectors', identity: mallory, time: at(2), request: { trailName: 'main', advancedEventSelectors: [{ name: 'Management events', fieldSelectors }] } });

  test('advanced selectors that drop the telltale event names are reported', () => {
    const [finding] = findings('gumshoe-logging-tampering', [
      selectors([
        { field: 'eventCategory', equals: ['Management'] },
        { field: 'eventName', notEquals: ['StopLogging', 'CreateAccessKey'] },
      ]),
    ]);
    assert.equal(finding?.type, 'DefenseEvasion:IAMUser/CloudTrailEventSelectorsWeakened.Gumshoe');
    assert.equal(finding?.title, 'CloudTrail trail main was changed so that management events StopLogging, CreateAccessKey are excluded.');
  });

  test('advanced selectors that drop a service by prefix are reported; the KMS exclusion AWS offers is not', () => {
    const [finding, ...rest] = findings('gumshoe-logging-tampering', [
      selectors([
        { field: 'eventCategory', equals: ['Management'] },
        { field: 'eventSource', notStartsWith: ['iam.'] },
      ]),
    ]);
    assert.equal(rest.length, 0);
    assert.match(finding!.title, /management events from iam\.\* are excluded/);
    assert.deepEqual(
      findings('gumshoe-logging-tampering', [
        selectors([
          { field: 'eventCategory', equals: ['Management'] },
          { field: 'eventSource', notEquals: ['kms.amazonaws.com'] },
        ]),
      ]),
      [],
    );
  });
});

describe('role trust variants', () => {
  const trustUpdate = (statement: Record<string, unknown>) =>
    ctEvent({
      service: 'iam',
      name: 'UpdateAssumeRolePolicy',
      identity: mallory,
      time: at(2),
      request: { roleName: 'ops', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] }) },
    });

  test('a * principal pinned by aws:PrincipalArn to an outside account trusts that account (High)', () => {
    const [finding, ...rest] = findings('gumshoe-iam-persistence', [
      trustUpdate({ Principal: { AWS: '*' }, Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${OTHER_ACCOUNT}:role/*` } } }),
    ]);
    assert.equal(rest.length, 0);
    assert.equal(finding?.type, 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe');
    assert.equal(finding?.severity, 8);
    assert.equal(finding?.service.action.awsApiCallAction?.remoteAccountDetails?.accountId, OTHER_ACCOUNT);
  });

  test('a * principal pinned to the own account or the organization is not reported', () => {
    assert.deepEqual(
      findings('gumshoe-iam-persistence', [
        trustUpdate({ Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } }),
        trustUpdate({ Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } } }),
      ]),
      [],
    );
  });
});

describe('infrastructure as code beyond Terraform', () => {
  test('an OpenTofu apply sharing a snapshot with a partner is a reviewed change (Low)', () => {
    const tofu = 'APN/1.0 HashiCorp/1.0 OpenTofu/1.8.3 (+https://opentofu.org) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.5 os/linux lang/go#1.22.7';
    const [finding, ...rest] = findings('gumshoe-sharing-externally', [
      ctEvent({
        service: 'ec2',
        name: 'ModifySnapshotAttribute',
        identity: assumedRole('TofuApply', 'ci-run-12'),
        userAgent: tofu,
        time: at(2),
        request: { snapshotId: 'snap-0a1b2c3d4e5f60718', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: OTHER_ACCOUNT }] } } },
      }),
    ]);
    assert.equal(rest.length, 0);
    assert.equal(finding?.type, 'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe');
    assert.equal(finding?.severity, 2);
  });
});

describe('IAM credentials for other users', () => {
  const BOTO_ROTATOR = assumedRole('IamKeyRotationLambdaRole', 'key-rotator');
  const newKey = (user: string, day: number) => ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: BOTO_ROTATOR, userAgent: BOTO, time: at(day), request: { userName: user } });

  test('a key-rotation job is Medium on its first day, Low once it is a habit', () => {
    const raised = findings('gumshoe-iam-persistence', [newKey('svc-a', 1), newKey('svc-b', 2)]);
    assert.deepEqual(
      raised.map((f) => [f.type, f.severity, f.title]),
      [
        ['Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe', 5, 'IamKeyRotationLambdaRole created an access key for another IAM user, svc-a.'],
        ['Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe', 2, 'IamKeyRotationLambdaRole created an access key for another IAM user, svc-b.'],
      ],
    );
  });

  test('a person under an SSO permission set is named, not only the shared role', () => {
    const [finding] = findings('gumshoe-iam-persistence', [
      ctEvent({ service: 'iam', name: 'UpdateLoginProfile', identity: assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'hd@acme.example'), time: at(2), request: { userName: 'carol', passwordResetRequired: false } }),
    ]);
    assert.equal(finding?.type, 'PrivilegeEscalation:IAMUser/LoginProfileUpdated.Gumshoe');
    assert.match(finding!.title, /^hd@acme\.example \(AWSReservedSSO_Admin_0a1b2c3d\)/);
  });
});

describe('security services switched off', () => {
  test('Inspector, Macie and Access Analyzer switched off by hand are Medium; through Terraform, Low', () => {
    const terraform = assumedRole('TerraformApply', 'ci-run-8812');
    const raised = findings('gumshoe-logging-tampering', [
      ctEvent({ service: 'inspector2', name: 'Disable', identity: mallory, time: at(2, 0), request: { resourceTypes: ['EC2', 'ECR', 'LAMBDA'] } }),
      ctEvent({ service: 'macie2', name: 'DisableMacie', identity: mallory, time: at(2, 1), request: {} }),
      ctEvent({ service: 'access-analyzer', name: 'DeleteAnalyzer', identity: terraform, userAgent: TERRAFORM_AGENT, time: at(2, 2), request: { analyzerName: 'org-analyzer' } }),
    ]);
    assert.deepEqual(
      raised.map((f) => [f.type, f.severity, f.title]),
      [
        ['DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe', 5, 'A security service was switched off: Amazon Inspector scanning was disabled.'],
        ['DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe', 5, 'A security service was switched off: Amazon Macie was disabled.'],
        ['DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe', 2, 'A security service was switched off: an IAM Access Analyzer analyzer was deleted.'],
      ],
    );
  });
});
