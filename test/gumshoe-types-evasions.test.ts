import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCOUNT, assumedRole, CONSOLE_AGENT, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { DETECTIONS } from '../src/detect/registry.js';

/**
 * An attacker who knows the `.Gumshoe` rules varies the request: other encodings of the same policy,
 * conditions that look scoped but are not, legacy request shapes, other escalation primitives. Each must
 * still be reported above Low, and the administrator doing the same through IaC or the console at most Low.
 */
const T = '2026-11-02T10:00:00Z';
const alice = iamUser('alice');
const terraform = assumedRole('TerraformApply', 'ci-run-1');
const CLOUDTRAIL = DETECTIONS.filter((d) => d.source === 'cloudtrail');

/** The highest severity of each Gumshoe type raised by the records. */
function raised(records: CloudTrailRecord[], organizationAccounts?: string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const { finding } of runCase(CLOUDTRAIL, { name: 'variant', records, expect: [], settings: organizationAccounts ? { organizationAccounts } : undefined })) {
    if (finding.type.endsWith('.Gumshoe')) found.set(finding.type, Math.max(found.get(finding.type) ?? 0, finding.severity));
  }
  return found;
}

const event = (service: string, name: string, request: Record<string, unknown>, extra: Partial<Parameters<typeof ctEvent>[0]> = {}) =>
  ctEvent({ service, name, identity: alice, time: T, request, ...extra });

function assertReported(type: string, records: CloudTrailRecord[], minimum = 5, organizationAccounts?: string[]): void {
  const severity = raised(records, organizationAccounts).get(type);
  assert.ok(severity !== undefined && severity >= minimum, `${type} expected at ${minimum}+, got ${severity ?? 'nothing'}`);
}

function assertAtMostLow(records: CloudTrailRecord[], organizationAccounts?: string[]): void {
  for (const [type, severity] of raised(records, organizationAccounts)) assert.ok(severity < 4, `${type} raised at ${severity}`);
}

const TRUST = 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe';
const trust = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] });
const updateTrust = (statement: Record<string, unknown>) => event('iam', 'UpdateAssumeRolePolicy', { roleName: 'ops', policyDocument: trust(statement) });

describe('role trust conditions that only look scoped', () => {
  test('a * whose PrincipalArn allows any account is any AWS principal', () => {
    assertReported(TRUST, [updateTrust({ Principal: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/admin' } } })], 8);
  });
  test('a negated or IfExists organization / account condition pins nothing', () => {
    assertReported(TRUST, [updateTrust({ Principal: '*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } } })], 8);
    assertReported(TRUST, [updateTrust({ Principal: '*', Condition: { StringEqualsIfExists: { 'aws:PrincipalAccount': ACCOUNT } } })], 8);
  });
  test('a * from one source IP still admits every account', () => {
    assertReported(TRUST, [updateTrust({ Principal: { AWS: '*' }, Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.9/32' } } })], 8);
  });
  test('an Allow with NotPrincipal, and a wildcard action, are read as AWS reads them', () => {
    assertReported(TRUST, [updateTrust({ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })], 8);
    const wildcard = JSON.stringify({ Statement: { Effect: 'Allow', Action: ['sts:Assume*'], Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:user/x` } } });
    assertReported(TRUST, [event('iam', 'UpdateAssumeRolePolicy', { roleName: 'ops', policyDocument: wildcard })], 8);
  });
  test('GitHub OIDC without a repository condition is reported; pinned to the owner it is not', () => {
    const github = (condition: Record<string, unknown>) =>
      event('iam', 'CreateRole', {
        roleName: 'gha',
        assumeRolePolicyDocument: JSON.stringify({
          Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: condition }],
        }),
      }, { identity: terraform, userAgent: TERRAFORM_AGENT });
    const aud = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };
    assertReported(TRUST, [github({ StringEquals: aud })], 8);
    assertReported(TRUST, [github({ StringEquals: aud, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:*' } })], 8);
    assert.equal(raised([github({ StringEquals: aud, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } })]).size, 0);
  });
  test('an organization-scoped * and a VPC-scoped one stay quiet', () => {
    assert.equal(raised([updateTrust({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } } })]).size, 0);
  });
});

const ADMIN = 'PrivilegeEscalation:IAMUser/AdministratorAccessGranted.Gumshoe';
const allowAll = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

describe('administrator rights granted to existing principals', () => {
  test('attaching AdministratorAccess (GovCloud ARN too) or an allow-all inline policy to oneself is High', () => {
    assertReported(ADMIN, [event('iam', 'AttachUserPolicy', { userName: 'alice', policyArn: 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess' })], 8);
    assertReported(ADMIN, [event('iam', 'PutUserPolicy', { userName: 'alice', policyName: 'x', policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', NotAction: 'iam:DeleteUser', Resource: '*' }] }) })], 8);
    const role = assumedRole('app-runner', 'i-session');
    assertReported(ADMIN, [event('iam', 'PutRolePolicy', { roleName: 'app-runner', policyName: 'x', policyDocument: allowAll }, { identity: role })], 8);
  });
  test('a new default policy version granting everything, and a switch to a version seen created with one, are Medium', () => {
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/dev-tools`;
    assertReported(ADMIN, [event('iam', 'CreatePolicyVersion', { policyArn, setAsDefault: true, policyDocument: allowAll })]);
    assertReported(ADMIN, [
      event('iam', 'CreatePolicyVersion', { policyArn, setAsDefault: false, policyDocument: allowAll }, { response: { policyVersion: { versionId: 'v3', isDefaultVersion: false } } }),
      event('iam', 'SetDefaultPolicyVersion', { policyArn, versionId: 'v3' }, { time: '2026-11-02T10:05:00Z' }),
    ]);
  });
  test('a customer managed policy created allowing everything, then attached to oneself, is High', () => {
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/helper`;
    assertReported(ADMIN, [
      event('iam', 'CreatePolicy', { policyName: 'helper', policyDocument: allowAll }, { response: { policy: { arn: policyArn, defaultVersionId: 'v1' } } }),
      event('iam', 'AttachUserPolicy', { userName: 'alice', policyArn }, { time: '2026-11-02T10:01:00Z' }),
    ], 8);
  });
  test('Terraform and console administrators granting admin rights to others are at most Low; a new role’s rights are provisioning', () => {
    assertAtMostLow([
      event('iam', 'AttachRolePolicy', { roleName: 'ci-deployer', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, { identity: terraform, userAgent: TERRAFORM_AGENT }),
      event('iam', 'CreatePolicyVersion', { policyArn: `arn:aws:iam::${ACCOUNT}:policy/p`, setAsDefault: true, policyDocument: allowAll }, { identity: terraform, userAgent: TERRAFORM_AGENT }),
      event('iam', 'AttachUserPolicy', { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, { userAgent: CONSOLE_AGENT }),
    ]);
    // AttachRolePolicy logged before the CreateRole of the same second.
    assert.equal(
      raised([
        event('iam', 'AttachRolePolicy', { roleName: 'new-role', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
        event('iam', 'CreateRole', { roleName: 'new-role', assumeRolePolicyDocument: trust({ Principal: { Service: 'ec2.amazonaws.com' } }) }, { time: '2026-11-02T10:00:00Z' }),
      ]).size,
      0,
    );
  });
});

describe('sharing in other request shapes', () => {
  const SNAPSHOT = 'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe';
  const AMI = 'Exfiltration:EC2/AmiSharedExternally.Gumshoe';
  const SECRET = 'Exfiltration:SecretsManager/SecretSharedExternally.Gumshoe';
  test('the legacy operationType/userId/groupName form of a snapshot share', () => {
    assertReported(SNAPSHOT, [event('ec2', 'ModifySnapshotAttribute', { snapshotId: 'snap-1', attributeType: 'CREATE_VOLUME_PERMISSION', operationType: 'add', userId: { items: [{ userId: OTHER_ACCOUNT }] } })], 8);
    assertReported(SNAPSHOT, [event('ec2', 'ModifySnapshotAttribute', { snapshotId: 'snap-1', attributeType: 'CREATE_VOLUME_PERMISSION', operationType: 'add', groupName: { items: [{ groupName: 'all' }] } })], 8);
    assert.equal(raised([event('ec2', 'ModifySnapshotAttribute', { snapshotId: 'snap-1', operationType: 'remove', userId: { items: [{ userId: OTHER_ACCOUNT }] } })]).size, 0);
  });
  test('an AMI shared with an outside organization by ARN: High once the organization is declared, Low before', () => {
    const share = (org: string) => event('ec2', 'ModifyImageAttribute', { imageId: 'ami-1', launchPermission: { add: { items: [{ organizationArn: org }] } } });
    assertReported(AMI, [share(`arn:aws:organizations::${OTHER_ACCOUNT}:organization/o-evil12345`)], 8, ['777788889999']);
    assertAtMostLow([share(`arn:aws:organizations::${OTHER_ACCOUNT}:organization/o-evil12345`)]);
    assert.equal(raised([share('arn:aws:organizations::777788889999:organization/o-ours1234')], ['777788889999']).size, 0);
  });
  test('a secret read through a wildcard action, or open to * from one address', () => {
    const policy = (statement: Record<string, unknown>) => event('secretsmanager', 'PutResourcePolicy', { secretId: 's', resourcePolicy: JSON.stringify({ Statement: [{ Effect: 'Allow', Resource: '*', ...statement }] }) });
    assertReported(SECRET, [policy({ Principal: { AWS: OTHER_ACCOUNT }, Action: 'secretsmanager:Get*' })], 8);
    assertReported(SECRET, [policy({ Principal: '*', Action: 'secretsmanager:GetSecretValue', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.9/32' } } })], 8);
    assertReported(SECRET, [policy({ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'secretsmanager:GetSecretValue' })], 8);
    assert.equal(raised([policy({ Principal: '*', Action: 'secretsmanager:GetSecretValue', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-0abc' } } })]).size, 0);
  });
});

describe('Lambda and EC2 variants', () => {
  test('an outside account allowed to invoke through its SNS topic or a sourceAccount', () => {
    const permission = (request: Record<string, unknown>) => event('lambda', 'AddPermission20150331v2', { functionName: 'f', action: 'lambda:InvokeFunction', statementId: 's', ...request });
    assertReported('Persistence:Lambda/ResourcePolicyBackdoor.Gumshoe', [permission({ principal: 'sns.amazonaws.com', sourceArn: `arn:aws:sns:us-east-1:${OTHER_ACCOUNT}:t` })], 8);
    assertReported('Persistence:Lambda/ResourcePolicyBackdoor.Gumshoe', [permission({ principal: '*', sourceAccount: OTHER_ACCOUNT })], 8);
    assert.equal(raised([permission({ principal: 's3.amazonaws.com', sourceAccount: ACCOUNT, sourceArn: 'arn:aws:s3:::uploads' })]).size, 0);
  });
  test('an instance profile swapped with the CLI is Medium; attached from the console or by Terraform, Low', () => {
    const PROFILE = 'PrivilegeEscalation:EC2/InstanceProfileChanged.Gumshoe';
    assertReported(PROFILE, [event('ec2', 'ReplaceIamInstanceProfileAssociation', { associationId: 'iip-assoc-1', iamInstanceProfile: { name: 'AdminProfile' } })]);
    assertAtMostLow([
      event('ec2', 'AssociateIamInstanceProfile', { instanceId: 'i-0123456789abcdef0', iamInstanceProfile: { name: 'web' } }, { userAgent: CONSOLE_AGENT }),
      event('ec2', 'AssociateIamInstanceProfile', { instanceId: 'i-0123456789abcdef1', iamInstanceProfile: { name: 'web' } }, { identity: terraform, userAgent: TERRAFORM_AGENT }),
    ]);
  });
});

describe('KMS key policies', () => {
  const KEY = 'Exfiltration:KMS/KeySharedExternally.Gumshoe';
  const keyPolicy = (statement: Record<string, unknown>, extra: Partial<Parameters<typeof ctEvent>[0]> = {}) =>
    event('kms', 'PutKeyPolicy', { keyId: 'k-1', policyName: 'default', policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Resource: '*', ...statement }] }) }, extra);
  test('a key any AWS principal may decrypt with, or an outside account through kms:*', () => {
    assertReported(KEY, [keyPolicy({ Principal: { AWS: '*' }, Action: 'kms:*' })], 8);
    assertReported(KEY, [keyPolicy({ Principal: { AWS: OTHER_ACCOUNT }, Action: 'kms:*' })], 8);
  });
  test('Terraform sharing a key with a partner is Low; a * pinned to the own account by kms:CallerAccount is quiet', () => {
    assertAtMostLow([keyPolicy({ Principal: { AWS: OTHER_ACCOUNT }, Action: 'kms:Decrypt' }, { identity: terraform, userAgent: TERRAFORM_AGENT })]);
    assert.equal(raised([keyPolicy({ Principal: { AWS: '*' }, Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } })]).size, 0);
  });
});
