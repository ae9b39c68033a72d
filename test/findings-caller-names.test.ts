import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { accessKeyDetailsOf } from '../src/findings/build.js';
import { matchesCriteria, parseCriteria } from '../src/findings/criteria.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';

/** The caller of a CloudTrail record as a finding's accessKeyDetails gives it. */
function keyOf(userIdentity: Record<string, unknown>) {
  const event = apiEventFromRecord({
    eventVersion: '1.08', eventID: 'e1', eventTime: '2026-11-24T07:31:02Z', eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances', awsRegion: 'us-east-1', sourceIPAddress: '45.33.32.156', userAgent: 'aws-cli/2.15.0',
    recipientAccountId: '111122223333', userIdentity,
  });
  return accessKeyDetailsOf(event.actor);
}

describe('accessKeyDetails.userName when CloudTrail leaves the issuer name out', () => {
  // An instance-role session as EC2 records often carry it: sessionIssuer with an ARN but no userName.
  const instanceRole = {
    type: 'AssumedRole', principalId: 'AROAEXAMPLE:i-0fc442c8a58d72045', arn: 'arn:aws:sts::111122223333:assumed-role/MyAppRole/i-0fc442c8a58d72045',
    accountId: '111122223333', accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::111122223333:role/app/MyAppRole', accountId: '111122223333' } },
  };

  test("a role session is named by its role, in accessKeyDetails and the session issuer", () => {
    const key = keyOf(instanceRole);
    assert.equal(key.userName, 'MyAppRole');
    assert.equal(key.userIdentity?.sessionContext?.sessionIssuer?.userName, 'MyAppRole');
    // So that a suppression rule on the role's name matches its findings.
    const finding = { resource: { resourceType: 'AccessKey', accessKeyDetails: key } } as unknown as GuardDutyFinding;
    assert.ok(matchesCriteria(finding, parseCriteria({ criterion: { 'resource.accessKeyDetails.userName': { equals: ['MyAppRole'] } } })));
  });

  test('a federated user without a session issuer is named by its ARN', () => {
    const key = keyOf({
      type: 'FederatedUser', principalId: '111122223333:deploy-bot', arn: 'arn:aws:sts::111122223333:federated-user/deploy-bot',
      accountId: '111122223333', accessKeyId: 'ASIA123456789EXAMPLE',
    });
    assert.equal(key.userName, 'deploy-bot');
  });

  test('a name CloudTrail gives is kept', () => {
    const named = { ...instanceRole, sessionContext: { sessionIssuer: { ...instanceRole.sessionContext.sessionIssuer, userName: 'MyAppRole-given' } } };
    assert.equal(keyOf(named).userName, 'MyAppRole-given');
    assert.equal(keyOf({ type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' }).userName, 'Root');
  });
});
