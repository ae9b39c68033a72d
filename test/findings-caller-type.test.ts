import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FindingTypeSpec } from '../src/detect/detection.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { buildOccurrence } from '../src/findings/build.js';
import { staticIntel } from '../src/intel/static.js';

const spec: FindingTypeSpec = {
  type: 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe',
  dataSource: 'CloudTrailManagement',
  severity: 5,
  resourceType: 'AccessKey',
  mitre: { tactic: 'TA0003 Persistence', technique: 'T1098 Account Manipulation' },
  title: '{principal} changed a role trust policy.',
  description: '{principal} called {api} from {ip}.',
  remediation: 'Review the role trust policy.',
};
const context = { intel: staticIntel({}), detectorId: '0e4d2c6b8a1f3e5d7c9b2a4f6e8d0c1b', partition: 'aws' };

/** A CloudTrail record of UpdateAssumeRolePolicy, called from `sourceIPAddress`. */
function callFrom(sourceIPAddress: string) {
  return apiEventFromRecord({
    eventVersion: '1.08',
    eventTime: '2025-06-10T06:13:20Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'UpdateAssumeRolePolicy',
    awsRegion: 'us-east-1',
    sourceIPAddress,
    userAgent: sourceIPAddress.endsWith('.amazonaws.com') ? sourceIPAddress : 'aws-cli/2.17.3',
    eventID: `e-${sourceIPAddress}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:deploy',
      arn: 'arn:aws:sts::111122223333:assumed-role/deploy/deploy',
      accountId: '111122223333',
      accessKeyId: 'ASIAEXAMPLE',
      sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::111122223333:role/deploy', accountId: '111122223333', userName: 'deploy' } },
    },
  } as Parameters<typeof apiEventFromRecord>[0]);
}

const actionOf = (sourceIPAddress: string) =>
  buildOccurrence({ type: spec.type, event: callFrom(sourceIPAddress) }, spec, 'test', context).finding.service.action.awsApiCallAction!;

describe('GuardDuty awsApiCallAction caller', () => {
  test('an AWS service calling for a principal is a Domain caller, as GuardDuty shows it', () => {
    const action = actionOf('cloudformation.amazonaws.com');
    assert.equal(action.callerType, 'Domain');
    assert.deepEqual(action.domainDetails, { domain: 'cloudformation.amazonaws.com' });
    assert.equal(action.remoteIpDetails, undefined);
  });

  test('"AWS Internal" is a Domain caller too', () => {
    const action = actionOf('AWS Internal');
    assert.equal(action.callerType, 'Domain');
    assert.deepEqual(action.domainDetails, { domain: 'AWS Internal' });
  });

  test('an IP address is a Remote IP caller with remoteIpDetails', () => {
    const action = actionOf('203.0.113.77');
    assert.equal(action.callerType, 'Remote IP');
    assert.equal(action.remoteIpDetails?.ipAddressV4, '203.0.113.77');
    assert.equal(action.domainDetails, undefined);
  });
});
