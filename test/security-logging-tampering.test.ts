import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACCOUNT, assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { ec2Execution } from '../src/detect/cloudtrail/ec2-execution.js';
import { loggingTampering } from '../src/detect/cloudtrail/logging-tampering.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { staticIntel } from '../src/intel/static.js';
import { findingsAfterRuns } from './helpers/split-runs.js';

/**
 * Severities of the security-service, security-log-group and network-ACL checks (the detections' own cases
 * check only which types are raised): an intruder's change is Medium, the same change through IaC or as a
 * principal's habit is Low; and log groups learned in one run are known in the next.
 */
const SECURITY = 'DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe';
const LOG_GROUP = 'DefenseEvasion:CloudWatchLogs/SecurityLogGroupTampered.Gumshoe';
const OPEN_NACL = 'DefenseEvasion:EC2/NetworkAclOpenToInternet.Gumshoe';
const mallory = iamUser('mallory');
const terraform = assumedRole('TerraformApply', 'ci-run-1');
const janitor = assumedRole('ComplianceJanitor', 'nightly');

const call = (service: string, name: string, request: Record<string, unknown>, time: string, identity = mallory, userAgent?: string) =>
  ctEvent({ service, name, request, time, identity, userAgent });

/** Each finding raised, as `type severity`, in time order. */
function raised(records: CloudTrailRecord[]): string[] {
  return runCase([loggingTampering, ec2Execution], { name: 'severity', records, expect: [] }).map((o) => `${o.finding.type} ${o.finding.severity}`);
}

describe('security services', () => {
  test('an intruder deleting the Detective graph and dropping GuardDuty members: Medium', () => {
    assert.deepEqual(raised([
      call('detective', 'DeleteGraph', { graphArn: `arn:aws:detective:us-east-1:${ACCOUNT}:graph:027c7c4610ea4aacaf0b883093cab899` }, '2026-11-02T10:00:00Z'),
      call('guardduty', 'DeleteMembers', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', accountIds: ['444455556666'] }, '2026-11-02T10:01:00Z'),
    ]), [`${SECURITY} 5`, `${SECURITY} 5`]);
  });

  test('Config rules deleted by Terraform, or by a job that does it every night, and a standard disabled: Low', () => {
    assert.deepEqual(raised([
      call('config', 'DeleteConfigRule', { configRuleName: 'legacy-ebs-check' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
      call('config', 'DeleteConfigRule', { configRuleName: 'stale-rule-1' }, '2026-11-02T02:00:00Z', janitor),
      call('config', 'DeleteConfigRule', { configRuleName: 'stale-rule-2' }, '2026-11-03T02:00:00Z', janitor),
      call('securityhub', 'BatchDisableStandards', { standardsSubscriptionArns: [`arn:aws:securityhub:us-east-1:${ACCOUNT}:subscription/cis-aws-foundations-benchmark/v/1.2.0`] }, '2026-11-03T09:00:00Z', assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
    ]), [`${SECURITY} 5`, `${SECURITY} 2`, `${SECURITY} 2`, `${SECURITY} 2`]);
  });
});

describe('security log groups', () => {
  const trailGroup = `aws-cloudtrail-logs-${ACCOUNT}-8c1f0a2b`;

  test('deleted by hand: Medium; torn down by Terraform or cut by a daily retention job: Low', () => {
    assert.deepEqual(raised([
      call('logs', 'PutRetentionPolicy', { logGroupName: 'vpc-flow-logs-prod', retentionInDays: 1 }, '2026-11-01T03:00:00Z', janitor),
      call('logs', 'PutRetentionPolicy', { logGroupName: 'vpc-flow-logs-staging', retentionInDays: 3 }, '2026-11-02T03:00:00Z', janitor),
      call('logs', 'DeleteLogGroup', { logGroupName: trailGroup }, '2026-11-02T10:00:00Z'),
      call('logs', 'DeleteLogGroup', { logGroupName: '/aws/route53resolver/query-logs' }, '2026-11-02T11:00:00Z', terraform, TERRAFORM_AGENT),
    ]), [`${LOG_GROUP} 5`, `${LOG_GROUP} 2`, `${LOG_GROUP} 5`, `${LOG_GROUP} 2`]);
  });

  test('a log group learned from a trail in one run is known in the next', async () => {
    const createTrail = call('cloudtrail', 'CreateTrail', { name: 'org-audit', s3BucketName: 'acme-audit', cloudWatchLogsLogGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:org-audit:*` }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT);
    const deletion = call('logs', 'DeleteLogGroup', { logGroupName: 'org-audit' }, '2026-11-02T10:00:00Z');
    const found = await findingsAfterRuns([[createTrail], [deletion]], { intel: staticIntel({}), detections: [loggingTampering] });
    assert.deepEqual(found.map((f) => `${f.type} ${f.severity} ${f.title}`), [`${LOG_GROUP} 5 Log group org-audit, which holds CloudTrail logs of trail org-audit, was tampered with: the log group was deleted with every log in it.`]);
  });
});

describe('network ACLs', () => {
  test('all inbound traffic allowed from anywhere is Low, by hand; Terraform writing it is not reported', () => {
    const entry = (identity: Record<string, unknown>, userAgent?: string) =>
      ctEvent({ service: 'ec2', name: 'ReplaceNetworkAclEntry', time: '2026-11-02T10:00:00Z', identity, userAgent, request: { networkAclId: 'acl-0c1d2e3f4a5b6c7d8', ruleNumber: 100, aclProtocol: '-1', ruleAction: 'allow', egress: false, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: {} } });
    assert.deepEqual(raised([entry(mallory)]), [`${OPEN_NACL} 2`]);
    assert.deepEqual(raised([entry(terraform, TERRAFORM_AGENT)]), []);
  });
});
