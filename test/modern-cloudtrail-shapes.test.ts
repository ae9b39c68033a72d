import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ACCOUNT, assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, identityCenterSignIn, identityCenterUser, networkActivity, OTHER_ACCOUNT, root } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { consoleLogin } from '../src/detect/cloudtrail/console-login.js';
import { consoleLoginGeoVelocity } from '../src/detect/cloudtrail/console-login-geo-velocity.js';
import { rootCredentialUsage } from '../src/detect/cloudtrail/root-credential-usage.js';
import { isPersonLike } from '../src/detect/cloudtrail/gumshoe-common.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { apiEvents, apiWatermark } from '../src/detect/lake-events.js';
import { DETECTIONS } from '../src/detect/registry.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * CloudTrail record shapes AWS introduced from 2023 on, which the detections' datasets predate: IAM Identity
 * Center users (`IdentityCenterUser`, `onBehalfOf`, sign-in events), centralized root access (sts:AssumeRoot),
 * calls scoped to a resource (`inScopeOf`), and the envelope fields added around them.
 */
const scratch = scratchDir('gumshoe-shapes-');
after(() => scratch.cleanup());
const intel = staticIntel({});
const keyOf = (record: CloudTrailRecord) => apiEventFromRecord(record).principalKey;
const call = (identity: Record<string, unknown>, time = '2026-11-02T09:00:00Z') => ctEvent({ service: 'sso', name: 'ListAccounts', identity, time, userAgent: CONSOLE_AGENT });

function writeRecords(records: CloudTrailRecord[]): string {
  const file = path.join(scratch.dir, `events-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

describe('principal keys', () => {
  test('IAM Identity Center users are told apart by their identity store user id, in both shapes of their sign-ins', () => {
    const dana = keyOf(call(identityCenterUser('dana')));
    assert.notEqual(dana, keyOf(call(identityCenterUser('erin'))));
    assert.equal(keyOf(identityCenterSignIn(identityCenterUser('dana', { before2025: true }), 'dana', '2025-03-02T09:00:00Z', 'PASSWORD')), dana);
    assert.match(dana, /^identitycenter:arn:aws:identitystore::111122223333:identitystore\/d-9067642ac7\//);
  });

  test('sign-ins of type Unknown without onBehalfOf are keyed by user name, not by their blank ARN or the account', () => {
    const kiosk = { type: 'Unknown', principalId: ACCOUNT, arn: '', accountId: ACCOUNT, accessKeyId: '', userName: 'kiosk' };
    const keys = ['kiosk', 'lobby'].map((userName) => keyOf(identityCenterSignIn({ ...kiosk, userName }, userName, '2026-11-02T09:00:00Z', 'PASSWORD')));
    assert.deepEqual(keys, [`Unknown:${ACCOUNT}/kiosk`, `Unknown:${ACCOUNT}/lobby`]);
  });

  test('SAML and web identity callers, other accounts and directory users keep a key each', () => {
    const saml = (sub: string) => ({ type: 'SAMLUser', principalId: `SAMLProviderName:${sub}`, userName: sub, identityProvider: 'bdGOnTesti4b1ysDoyvWOlcESRVO=' });
    const web = (sub: string) => ({ type: 'WebIdentityUser', principalId: `accounts.google.com:1234.apps.googleusercontent.com:${sub}`, userName: sub, identityProvider: 'accounts.google.com' });
    const partner = (id: string) => ({ type: 'AWSAccount', principalId: id, accountId: OTHER_ACCOUNT });
    const directory = (id: string) => ({ type: 'Directory', principalId: id, userName: 'ops' });
    const keys = [saml('alice'), saml('bob'), web('1001'), web('1002'), partner('AIDAPARTNEREXAMPLE01'), partner('AROAPARTNEREXAMPLE02:build'), directory('S-1-5-21-1'), directory('S-1-5-21-2')].map((identity) =>
      keyOf(ctEvent({ service: 'sts', name: 'AssumeRoleWithSAML', identity, time: '2026-11-02T09:00:00Z' })),
    );
    assert.equal(new Set(keys).size, keys.length, keys.join(' '));
    assert.ok(keys.every((key) => key && !key.endsWith(`@${ACCOUNT}`)), keys.join(' '));
  });

  test('read from the lake, an Identity Center user has the key built from the raw record', async () => {
    const records = [call(identityCenterUser('dana')), identityCenterSignIn(identityCenterUser('erin', { before2025: true }), 'erin', '2025-03-02T09:00:00Z', 'PASSWORD')];
    const lake = await tempLake();
    try {
      await lake.ingest([writeRecords(records)]);
      const fromLake = [];
      for await (const chunk of apiEvents(lake.lake, -1, await apiWatermark(lake.lake.connection))) fromLake.push(...chunk);
      assert.deepEqual(fromLake.map((e) => e.principalKey).sort(), records.map(keyOf).sort());
    } finally {
      lake.close();
    }
  });
});

describe('IAM Identity Center sign-ins', () => {
  test('each person signing in with a password only is their own finding, named as they signed in', () => {
    const findings = runCase([consoleLogin], {
      name: 'two users',
      records: [
        identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:00:00Z', 'PASSWORD'),
        identityCenterSignIn(identityCenterUser('erin', { before2025: true }), 'erin', '2026-11-02T09:05:00Z', 'PASSWORD'),
      ],
      expect: [],
    }).map((o) => o.finding);
    assert.equal(findings.length, 2);
    assert.deepEqual(findings.map((f) => f.title), ['IAM Identity Center user dana signed in without MFA.', 'IAM Identity Center user erin signed in without MFA.']);
    const [dana, erin] = findings.map((f) => f.resource.accessKeyDetails!);
    assert.deepEqual([dana!.userType, erin!.userType], ['IdentityCenterUser', 'Unknown']);
    // CloudTrail's blank fields ("") are left out, as GuardDuty leaves out what it does not know.
    assert.deepEqual([erin!.accessKeyId, erin!.userIdentity?.arn, erin!.userName], [undefined, undefined, 'erin']);
  });

  test('a password-only sign-in stored in the lake is found by the engine, whose title names the user', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([writeRecords([identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:00:00Z', 'PASSWORD', { loginTo: 'https://ssoins-7223a2f1b4c5d6e7.portal.us-east-1.app.aws/' })])]);
      const run = await runDetections(lake.lake, { intel, detections: [consoleLogin] });
      assert.deepEqual(run.findings.map((f) => f.title), ['IAM Identity Center user dana signed in without MFA.']);
    } finally {
      lake.close();
    }
  });

  test('sign-ins of different people far apart are no impossible trip, and neither are portal sign-ins', () => {
    const raised = runCase([consoleLoginGeoVelocity], {
      name: 'two users, two continents',
      records: [
        identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:00:00Z', 'PASSWORD,TOTP', { ip: '81.2.69.160' }),
        identityCenterSignIn(identityCenterUser('erin'), 'erin', '2026-11-02T09:10:00Z', 'PASSWORD,TOTP', { ip: '110.33.122.75' }),
        identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:20:00Z', 'PASSWORD,TOTP', { ip: '110.33.122.75' }),
      ],
      expect: [],
    });
    assert.deepEqual(raised, []);
  });
});

describe('centralized root access (sts:AssumeRoot)', () => {
  const MANAGEMENT = '999988887777';
  // The management account's call, as the IAM User Guide shows it (its example marks the caller's session assumedRoot too).
  const assumeRoot = (() => {
    const identity = assumedRole('OrgRootTasks', 'jane', MANAGEMENT);
    (identity.sessionContext as Record<string, unknown>).assumedRoot = 'true';
    return ctEvent({
      service: 'sts', name: 'AssumeRoot', identity, time: '2026-11-02T10:00:00Z', region: 'us-west-2', account: MANAGEMENT,
      request: { targetPrincipal: ACCOUNT, taskPolicyArn: { arn: 'arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy' } },
      response: { credentials: { accessKeyId: 'ASIAROOTSESSION00001', sessionToken: 'x', expiration: 'Nov 2, 2026, 10:15:00 AM' } },
    });
  })();
  const task = ctEvent({ service: 's3', name: 'DeleteBucketPolicy', identity: root(ACCOUNT, { assumedRoot: true, accessKeyId: 'ASIAROOTSESSION00001' }), time: '2026-11-02T10:01:00Z', request: { bucketName: 'locked' } });

  test('the task in the member account is short-term root use, and the AssumeRoot call is not root use', () => {
    const findings = runCase(DETECTIONS, { name: 'unlock a bucket', records: [assumeRoot, task], expect: [] }).map((o) => o.finding);
    assert.deepEqual(findings.map((f) => [f.type, f.accountId]), [['Policy:IAMUser/ShortTermRootCredentialUsage', ACCOUNT]]);
    assert.equal(findings[0]!.resource.accessKeyDetails?.accessKeyId, 'ASIAROOTSESSION00001');
  });

  test('a short-term root finding carries the source identity of the session, as GuardDuty filters on it', async () => {
    const identity = root(ACCOUNT, { assumedRoot: true, accessKeyId: 'ASIAROOTSESSION00002' });
    (identity.sessionContext as Record<string, unknown>).sourceIdentity = 'jane@example.com';
    const lake = await tempLake();
    try {
      await lake.ingest([writeRecords([{ ...task, userIdentity: identity }])]);
      const run = await runDetections(lake.lake, { intel, detections: [rootCredentialUsage] });
      assert.deepEqual(run.findings.map((f) => f.type), ['Policy:IAMUser/ShortTermRootCredentialUsage']);
      assert.equal(run.findings[0]!.resource.accessKeyDetails?.userIdentity?.sessionContext?.sourceIdentity, 'jane@example.com');
    } finally {
      lake.close();
    }
  });
});

describe('calls scoped to a resource, and the fields added to the envelope', () => {
  const lambda = { ...assumedRole('reports-fn-role', 'reports-fn'), inScopeOf: { issuerType: 'AWS::Lambda::Function', credentialsIssuedTo: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:reports-fn` } };

  test('a Lambda function’s calls (inScopeOf) are a workload’s, not a person’s', () => {
    assert.equal(isPersonLike(apiEventFromRecord(ctEvent({ service: 'ec2', name: 'StopInstances', identity: lambda, time: '2026-11-02T09:00:00Z' }))), false);
  });

  test('the new fields change no finding: a root call, a console sign-in, a service call, an endpoint’s copy', () => {
    const modern = (record: CloudTrailRecord, fields: Record<string, unknown>): CloudTrailRecord => ({ ...record, eventVersion: '1.11', ...fields });
    const tls = { tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'iam.amazonaws.com' } };
    const rootCall = ctEvent({ service: 'iam', name: 'ListUsers', identity: root(ACCOUNT, { accessKeyId: 'AKIAROOTKEYEXAMPLE01' }), time: '2026-11-02T09:00:00Z' });
    const consoleRoleCall = ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: assumedRole('Admin', 'carol', ACCOUNT, { mfa: true }), time: '2026-11-02T09:01:00Z', userAgent: CONSOLE_AGENT });
    const serviceCall = { ...ctEvent({ service: 'kms', name: 'Decrypt', identity: awsService('lambda.amazonaws.com'), time: '2026-11-02T09:02:00Z' }), sourceIPAddress: 'lambda.amazonaws.com', sharedEventID: '6e8a3b8e-5b4c-4f6a-9b1e-0c7d2f3a4b5c' };
    const scopedService = { ...ctEvent({ service: 'sts', name: 'AssumeRole', identity: { ...awsService('lambda.amazonaws.com'), inScopeOf: { sourceArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:reports-fn`, sourceAccount: ACCOUNT } }, time: '2026-11-02T09:03:00Z' }), sourceIPAddress: 'lambda.amazonaws.com' };
    const lambdaCall = ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity: lambda, time: '2026-11-02T09:04:00Z', ip: '3.80.0.1', request: { secretId: 'reports/db' } });
    const before = [rootCall, consoleRoleCall, serviceCall, scopedService, lambdaCall, networkActivity(rootCall)];
    const after = [
      modern(rootCall, { ...tls, vpcEndpointId: 'vpce-03f53e4ab1c2d3e4f', vpcEndpointAccountId: ACCOUNT }),
      modern(consoleRoleCall, { ...tls, sessionCredentialFromConsole: 'true' }),
      modern(serviceCall, {}),
      modern(scopedService, {}),
      modern(lambdaCall, tls),
      modern(networkActivity(rootCall), tls),
    ];
    const types = (records: CloudTrailRecord[]) => runCase(DETECTIONS, { name: 'shapes', records, expect: [] }).map((o) => o.finding.type).sort();
    assert.deepEqual(types(before), ['Policy:IAMUser/RootCredentialUsage']);
    assert.deepEqual(types(after), types(before));
  });
});

describe('IAM users are unchanged', () => {
  test('an IAM user keeps its ARN as key, a role its role', () => {
    assert.equal(keyOf(call(iamUser('alice'))), `arn:aws:iam::${ACCOUNT}:user/alice`);
    assert.equal(keyOf(call(assumedRole('Admin', 'carol'))), `arn:aws:iam::${ACCOUNT}:role/Admin`);
  });
});
