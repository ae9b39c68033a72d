import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCOUNT, CONSOLE_AGENT, assumedRole, ctEvent, iamUser, instanceRole } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { iamPersistence, PASS_AND_INVOKE_CASE, PIPELINE_CASE, PROBING_CASE, TERRAFORM_REFUSED_CASE } from '../src/detect/cloudtrail/iam-persistence.js';
import type { CloudTrailRecord, DetectionCase } from '../src/detect/detection.js';
import { DEFAULT_SETTINGS } from '../src/detect/detection.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import { staticIntel } from '../src/intel/static.js';

const DENIED = 'PrivilegeEscalation:IAMUser/EscalationAttemptDenied.Gumshoe';
const PASSED = 'PrivilegeEscalation:IAMUser/PassedAdminRole.Gumshoe';
const GRANTED = 'PrivilegeEscalation:IAMUser/AdministratorAccessGranted.Gumshoe';
const ADMIN_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';

const findings = (detectionCase: DetectionCase) => runCase([iamPersistence], detectionCase).map((o) => o.finding);
const ofCase = (name: string) => {
  const found = iamPersistence.cases().find((c) => c.name === name);
  assert.ok(found, name);
  return findings(found);
};

const iam = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string) =>
  ctEvent({ service: 'iam', name, identity, time, request, userAgent });
const lambda = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string, data = false) =>
  ctEvent({ service: 'lambda', name, identity, time, request, userAgent, data });
const adminRole = (role: string): CloudTrailRecord[] => [
  iam('CreateRole', { roleName: role, assumeRolePolicyDocument: '{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' }, '2026-10-01T09:00:00Z', iamUser('alice')),
  iam('AttachRolePolicy', { roleName: role, policyArn: ADMIN_ACCESS }, '2026-10-01T09:00:01Z', iamUser('alice')),
];
/** Hands `role` to a new function and invokes it a minute later. */
const passAndRun = (fn: string, role: string, identity: Record<string, unknown>, userAgent?: string): CloudTrailRecord[] => [
  lambda('CreateFunction20150331', { functionName: fn, runtime: 'python3.12', role: `arn:aws:iam::${ACCOUNT}:role/${role}` }, '2026-11-02T10:00:00Z', identity, userAgent),
  lambda('Invoke', { functionName: fn }, '2026-11-02T10:01:00Z', identity, userAgent, true),
];

describe('refused privilege-escalation attempts', () => {
  test('several distinct paths refused within the hour are one Medium finding naming every path', () => {
    const [finding, ...rest] = ofCase(PROBING_CASE);
    assert.equal(rest.length, 0);
    assert.equal(finding!.type, DENIED);
    assert.equal(finding!.severity, 5);
    assert.equal(finding!.service.count, 1);
    assert.equal(
      finding!.title,
      'mallory was refused 4 privilege-escalation paths (iam:AttachUserPolicy, iam:PutUserPolicy, iam:CreatePolicyVersion, iam:PassRole (lambda:CreateFunction)).',
    );
    assert.match(finding!.description, /denied 5 calls/);
  });

  test('Terraform refused several IAM changes (a missing permission) stays Low', () => {
    assert.deepEqual(ofCase(TERRAFORM_REFUSED_CASE).map((f) => [f.type, f.severity]), [[DENIED, 2]]);
  });

  test('a refused self-grant is Low and is not AdministratorAccessGranted', () => {
    const raised = ofCase('a refused self-grant of AdministratorAccess is a refusal (Low), not a grant');
    assert.deepEqual(raised.map((f) => [f.type, f.severity]), [[DENIED, 2]]);
    assert.equal(raised[0]!.title, 'carol was refused a privilege-escalation call (iam:AttachUserPolicy).');
  });

  test('a pipeline refused the same paths every day is Low from its second day, however many paths', () => {
    // A new session (access key) each day: one finding per day.
    const day = (date: string, session: string) => {
      const ci = assumedRole('DeployRole', session);
      return [
        { ...iam('AttachRolePolicy', { roleName: 'x', policyArn: ADMIN_ACCESS }, `${date}T09:00:00Z`, ci), errorCode: 'AccessDenied' },
        { ...iam('PutRolePolicy', { roleName: 'x', policyName: 'p' }, `${date}T09:00:01Z`, ci), errorCode: 'AccessDenied' },
        { ...iam('CreatePolicyVersion', { policyArn: `arn:aws:iam::${ACCOUNT}:policy/p` }, `${date}T09:00:02Z`, ci), errorCode: 'AccessDenied' },
      ];
    };
    const raised = findings({ name: 'pipeline', records: [...day('2026-11-01', 'b77'), ...day('2026-11-02', 'b78')], expect: [] });
    // The first day is Medium: a principal never refused before trying three paths.
    assert.deepEqual(raised.map((f) => [f.type, f.severity, f.service.eventFirstSeen.slice(0, 10)]), [[DENIED, 5, '2026-11-01'], [DENIED, 2, '2026-11-02']]);
  });
});

describe('admin roles handed to services', () => {
  test('a person handing an admin role to a function and invoking it is High, one finding', () => {
    const [finding, ...rest] = ofCase(PASS_AND_INVOKE_CASE);
    assert.equal(rest.length, 0);
    assert.equal(finding!.type, PASSED);
    assert.equal(finding!.severity, 8);
    assert.equal(finding!.service.count, 2);
    assert.equal(finding!.title, 'mallory handed administrator role ops-automation to Lambda function debug-helper, then invoked it.');
    assert.match(finding!.description, /\(arn:aws:iam::aws:policy\/AdministratorAccess\)/);
  });

  test('an instance launched with an admin instance profile names the instance, Medium', () => {
    const [finding] = ofCase('an IAM user launches an instance with a profile whose role has an allow-all inline policy (Medium)');
    assert.equal(finding!.severity, 5);
    assert.equal(finding!.title, 'mallory handed administrator role batch-runner to EC2 instance i-0a1b2c3d4e5f67890.');
  });

  test('a deploy pipeline: Low once on its first day, then nothing (not even its smoke-test invocation)', () => {
    const raised = ofCase(PIPELINE_CASE);
    assert.deepEqual(raised.map((f) => [f.type, f.severity, f.service.count]), [[PASSED, 2, 1]]);
  });

  test('who hands it over decides: a known admin, the console and a workload are Low, a workload that runs it is Medium', () => {
    const erin = iamUser('erin');
    const knownAdmin = [
      iam('AttachGroupPolicy', { groupName: 'Admins', policyArn: ADMIN_ACCESS }, '2026-10-01T08:00:00Z', iamUser('alice')),
      iam('AddUserToGroup', { groupName: 'Admins', userName: 'erin' }, '2026-10-01T08:05:00Z', iamUser('alice')),
      ...adminRole('ops'),
      ...passAndRun('f', 'ops', erin),
    ];
    const severity = (records: CloudTrailRecord[]) => findings({ name: 'x', records, expect: [] }).filter((f) => f.type === PASSED).map((f) => f.severity);
    assert.deepEqual(severity(knownAdmin), [2]);
    assert.deepEqual(severity([...adminRole('ops'), ...passAndRun('f', 'ops', iamUser('dave'), CONSOLE_AGENT)]), [2]);
    const workload = instanceRole('web', 'i-0123456789abcdef0');
    assert.deepEqual(severity([...adminRole('ops'), passAndRun('f', 'ops', workload)[0]!]), [2]);
    assert.deepEqual(severity([...adminRole('ops'), ...passAndRun('f', 'ops', workload)]), [5]);
    // Someone else invoking it (the function's own trigger, another user) does not complete the chain.
    assert.deepEqual(severity([...adminRole('ops'), passAndRun('f', 'ops', iamUser('dave'))[0]!, passAndRun('f', 'ops', iamUser('zoe'))[1]!]), [5]);
  });

  test('a role bounded after the grant, or whose inline admin policy was replaced, is no longer an admin role', () => {
    const bounded = [...adminRole('ops'), iam('PutRolePermissionsBoundary', { roleName: 'ops', permissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/dev-boundary` }, '2026-10-02T09:00:00Z', iamUser('alice'))];
    const replaced = [
      iam('PutRolePolicy', { roleName: 'ops', policyName: 'main', policyDocument: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }, '2026-10-01T09:00:00Z', iamUser('alice')),
      iam('PutRolePolicy', { roleName: 'ops', policyName: 'main', policyDocument: '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}' }, '2026-10-02T09:00:00Z', iamUser('alice')),
    ];
    for (const records of [bounded, replaced]) {
      const raised = findings({ name: 'x', records: [...records, ...passAndRun('f', 'ops', iamUser('dave'))], expect: [] });
      assert.deepEqual(raised.filter((f) => f.type === PASSED), []);
    }
  });
});

describe('admin groups', () => {
  test('a group learned as admin by an earlier version (adminGroups) still makes AddUserToGroup a grant', () => {
    const store = new StateStore();
    const empty = { size: 0, items: {} };
    store.load(iamPersistence.id, 'iam', { created: empty, adminGrants: empty, adminGroups: { size: 1, items: { [`#${ACCOUNT}/Admins`]: Date.parse('2026-10-01T00:00:00Z') } }, adminPolicies: empty, habits: empty }, 0);
    const intel = staticIntel({});
    const runner = new DetectionRunner([iamPersistence], intel, DEFAULT_SETTINGS, store, { intel, detectorId: '0'.repeat(32), partition: 'aws' });
    runner.process(apiEventFromRecord(iam('AddUserToGroup', { groupName: 'Admins', userName: 'dave' }, '2026-11-02T10:00:00Z', iamUser('alice')), null, 1));
    assert.deepEqual(runner.finish().map((o) => o.finding.type), [GRANTED]);
  });

  test('admin rights taken off a group: adding a user to it grants nothing', () => {
    assert.deepEqual(ofCase('admin rights taken off a group before a user is added to it'), []);
  });
});

describe('roles assumed from outside accounts, boundaries lifted, groups named admin', () => {
  const OUTSIDE = 'InitialAccess:IAMUser/RoleAssumedByOutsideAccount.Gumshoe';
  const BOUNDARY = 'PrivilegeEscalation:IAMUser/PermissionsBoundaryRemoved.Gumshoe';
  const severities = (name: string) => ofCase(name).map((f) => [f.type, f.severity]);

  test('an outside account using a trust opened to it, or an admin role, is Medium; a vendor is Low once', () => {
    assert.deepEqual(severities('a trust opened to an outside account, which assumes the role the next day (Medium)').filter(([type]) => type === OUTSIDE), [[OUTSIDE, 5]]);
    assert.deepEqual(severities('an outside account’s role session assumes a role the lake knows is admin (Medium)'), [[OUTSIDE, 5]]);
    const vendor = ofCase('a vendor integration assuming its read-only role every hour: Low on its first day, a habit after');
    assert.deepEqual(vendor.map((f) => [f.severity, f.service.count, f.service.eventLastSeen.slice(0, 10)]), [[2, 2, '2026-11-01']]);
  });

  test('a trust opened a month before the first use, or through Terraform, leaves it Low', () => {
    const terraform = assumedRole('TerraformApply', 'ci-run-1');
    const trust = (time: string, identity: Record<string, unknown>, userAgent?: string) =>
      iam('UpdateAssumeRolePolicy', { roleName: 'partner', policyDocument: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}` }, time, identity, userAgent);
    const use = ctEvent({ service: 'sts', name: 'AssumeRole', identity: { type: 'AWSAccount', principalId: 'AIDAQ3EXAMPLEOUTSIDE1', accountId: '444455556666' }, time: '2026-11-02T10:00:00Z', account: ACCOUNT, request: { roleArn: `arn:aws:iam::${ACCOUNT}:role/partner`, roleSessionName: 's' } });
    for (const first of [trust('2026-10-01T10:00:00Z', iamUser('mallory')), trust('2026-11-01T10:00:00Z', terraform, 'Terraform/1.8.5 terraform-provider-aws/5.54.1')]) {
      const raised = findings({ name: 'x', records: [first, use], expect: [] }).filter((f) => f.type === OUTSIDE);
      assert.deepEqual(raised.map((f) => f.severity), [2]);
    }
  });

  test('a boundary lifted is Medium, Low through Terraform or for a principal that did it on an earlier day', () => {
    assert.deepEqual(severities('a user’s key takes the permissions boundary off a role and a user, and makes AdministratorAccess another role’s boundary (Medium)'), [[BOUNDARY, 5], [BOUNDARY, 5], [BOUNDARY, 5]]);
    assert.deepEqual(severities('Terraform removing a role’s boundary (Low), and an administrator doing it again days later (Medium the first time, Low after)').map(([, s]) => s).sort(), [2, 2, 5]);
  });

  test('a group the lake does not know, named as an admin group, is a Low grant', () => {
    assert.deepEqual(severities('a user put in a group the lake never saw, named Administrators (Low)'), [[GRANTED, 2]]);
  });
});
