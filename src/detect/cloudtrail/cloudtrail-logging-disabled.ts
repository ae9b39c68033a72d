import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, networkActivity, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { remember } from './bounded-map.js';
import { grantsServiceAction } from './s3-policy-evaluation.js';

/**
 * Stealth:IAMUser/CloudTrailLoggingDisabled: a trail stopped recording or lost its log store.
 * - StopLogging or DeleteTrail that succeeded.
 * - UpdateTrail that narrows what the trail records or where it delivers: multi-region turned off,
 *   global service events (IAM, STS, CloudFront) turned off, or CloudWatch Logs delivery removed (an empty
 *   log group ARN; alarms built on it go quiet). Each fires only if the trail was not already known to be
 *   that way, so console or Terraform updates that resend unchanged settings stay quiet. An organization
 *   trail turned into an account trail (member accounts stop being recorded) fires only when the trail is
 *   known to have been an organization trail: most trails never are. Moving the trail to another bucket
 *   or changing its KMS key is routine and not flagged.
 * - DeleteBucket of a bucket that holds trail logs. Trail buckets are learned per account from
 *   CreateTrail and UpdateTrail (request or response `s3BucketName`) and from bucket policies that let
 *   cloudtrail.amazonaws.com write objects (the policy is put before the trail is created). StartLogging
 *   names only the trail, so there is nothing to learn from it.
 * Failed calls never fire: GuardDuty raises this type on successful changes only.
 * Not covered, like GuardDuty: PutEventSelectors that drop management events.
 */
interface TrailState {
  bucket?: string;
  multiRegion?: boolean;
  globalEvents?: boolean;
  cloudWatch?: boolean;
  organization?: boolean;
}

interface AccountTrails {
  trails: Record<string, TrailState>;
  /** Bucket name → trail name ('' when learned from a bucket policy). */
  buckets: Record<string, string>;
}

const CAP = 200;

/** Trails are named by name or ARN; the name is the last path segment. */
const trailName = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value.slice(value.lastIndexOf('/') + 1) : null);

function learnTrail(trails: AccountTrails, name: string, fields: Record<string, unknown>): TrailState {
  const trail = trails.trails[name] ?? {};
  if (typeof fields.s3BucketName === 'string' && fields.s3BucketName !== '') {
    trail.bucket = fields.s3BucketName;
    remember(trails.buckets, fields.s3BucketName, name, CAP);
  }
  if (typeof fields.isMultiRegionTrail === 'boolean') trail.multiRegion = fields.isMultiRegionTrail;
  if (typeof fields.includeGlobalServiceEvents === 'boolean') trail.globalEvents = fields.includeGlobalServiceEvents;
  if (typeof fields.cloudWatchLogsLogGroupArn === 'string') trail.cloudWatch = fields.cloudWatchLogsLogGroupArn !== '';
  if (typeof fields.isOrganizationTrail === 'boolean') trail.organization = fields.isOrganizationTrail;
  remember(trails.trails, name, trail, CAP);
  return trail;
}

/** What an UpdateTrail turned off that was not already off. */
function narrowed(before: TrailState, request: Record<string, unknown>): string[] {
  const what: string[] = [];
  if (request.isMultiRegionTrail === false && before.multiRegion !== false) what.push('stopped recording in other regions');
  if (request.includeGlobalServiceEvents === false && before.globalEvents !== false) what.push('stopped recording global service events');
  if (request.cloudWatchLogsLogGroupArn === '' && before.cloudWatch !== false) what.push('stopped delivering to CloudWatch Logs');
  if (request.isOrganizationTrail === false && before.organization === true) what.push('stopped recording the organization’s member accounts');
  return what;
}

function onTrailEvent(event: ApiEvent, context: DetectionContext, trails: AccountTrails): void {
  const request = event.request ?? {};
  const name = trailName(request.name) ?? trailName(event.response?.name);
  const fire = (trail: string, what: string, bucket?: string) =>
    context.emit({
      type: 'Stealth:IAMUser/CloudTrailLoggingDisabled',
      event,
      aggregateBy: trail || bucket,
      vars: { trail: trail ? `trail ${trail}` : `the trail writing to bucket ${bucket}`, what },
      ...(bucket ? { additionalInfo: { trailBucket: bucket } } : {}),
    });

  switch (event.api) {
    case 'CreateTrail':
      if (name) learnTrail(trails, name, { ...request, ...event.response });
      return;
    case 'StopLogging':
      fire(name ?? '(unnamed)', 'stopped logging');
      return;
    case 'DeleteTrail':
      fire(name ?? '(unnamed)', 'deleted the trail');
      if (name) delete trails.trails[name];
      return;
    case 'UpdateTrail': {
      if (!name) return;
      const what = narrowed(trails.trails[name] ?? {}, request);
      learnTrail(trails, name, { ...event.response, ...request });
      if (what.length) fire(name, what.join(' and '));
      return;
    }
    case 'PutBucketPolicy': {
      const bucket = event.bucketName;
      if (bucket && !Object.hasOwn(trails.buckets, bucket) && grantsServiceAction(request.bucketPolicy, 'cloudtrail.amazonaws.com', 's3:PutObject')) {
        remember(trails.buckets, bucket, '', CAP);
      }
      return;
    }
    case 'DeleteBucket': {
      const bucket = event.bucketName;
      if (!bucket || !Object.hasOwn(trails.buckets, bucket)) return;
      const trail = trails.buckets[bucket]!;
      delete trails.buckets[bucket];
      fire(trail, `deleted bucket ${bucket}, which holds the trail's logs`, bucket);
    }
  }
}

const NOW = '2026-11-02T10:00:00Z';
const admin = assumedRole('AWSReservedSSO_Admin_1a2b', 'alice@example.com');
const tf = assumedRole('terraform-ci', 'gha-run-812');
const trailEvent = (name: string, request: Record<string, unknown>, options: { time?: string; response?: Record<string, unknown>; errorCode?: string; identity?: Record<string, unknown>; userAgent?: string } = {}) =>
  ctEvent({ service: 'cloudtrail', name, identity: options.identity ?? admin, time: options.time ?? NOW, request, response: options.response, errorCode: options.errorCode, userAgent: options.userAgent });
const s3Event = (name: string, request: Record<string, unknown>, time = NOW, identity = admin) => ctEvent({ service: 's3', name, identity, time, request });
const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail';
const createTrail = (time: string, extra: Record<string, unknown> = {}) =>
  trailEvent(
    'CreateTrail',
    { name: 'org-trail', s3BucketName: 'org-trail-logs-111122223333', isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogFileValidation: true, ...extra },
    { time, identity: tf, userAgent: TERRAFORM_AGENT, response: { name: 'org-trail', s3BucketName: 'org-trail-logs-111122223333', isMultiRegionTrail: true, includeGlobalServiceEvents: true, trailARN: TRAIL_ARN, ...extra } },
  );

export const cloudtrailLoggingDisabled: ApiDetection = {
  id: 'cloudtrail-logging-disabled',
  source: 'cloudtrail',
  types: [
    {
      type: 'Stealth:IAMUser/CloudTrailLoggingDisabled',
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Impair Defenses: Disable or Modify Cloud Logs' },
      title: 'AWS CloudTrail logging was disabled for {trail}.',
      description: '{principal} called {api} from {ip} and {what}. Activity in the account may no longer be recorded, which is how an intruder hides what they do next.',
      remediation: 'If the change was not planned, re-enable the trail (StartLogging, or recreate it and its bucket) and treat the principal as compromised: review everything it did around this time.',
    },
  ],
  apis: ['CreateTrail', 'UpdateTrail', 'StopLogging', 'DeleteTrail', 'PutBucketPolicy', 'DeleteBucket'],
  onEvent(event, context) {
    if (event.failed || (event.service !== 'cloudtrail.amazonaws.com' && event.service !== 's3.amazonaws.com')) return;
    const trails = context.state<AccountTrails>(`trails:${event.accountId ?? 'unknown'}`, () => ({ trails: {}, buckets: {} }));
    onTrailEvent(event, context, trails);
  },
  cases: () => [
    { name: 'StopLogging (Stratus cloudtrail-stop)', datasets: [{ stratus: 'aws.defense-evasion.cloudtrail-stop' }], expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'] },
    { name: 'DeleteTrail (Stratus cloudtrail-delete)', datasets: [{ stratus: 'aws.defense-evasion.cloudtrail-delete' }], expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'] },
    {
      name: 'a StopLogging seen only as the network activity event of a VPC endpoint (the call itself is logged apart, maybe denied)',
      records: [networkActivity(ctEvent({ service: 'cloudtrail', name: 'StopLogging', identity: assumedRole('ops', 'mallory'), time: '2026-11-02T10:00:00Z', ip: '10.0.12.7', request: { name: 'org-trail' } }))],
      expect: [],
    },
    { name: 'a CloudFormation stack deletes a trail (Panther)', datasets: [{ panther: 'AWS.CloudTrail.SecurityConfigurationChange', test: 'Security Configuration Changed' }], expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'] },
    {
      name: 'the bucket a trail was created with is deleted',
      records: [createTrail('2026-10-01T08:00:00Z'), s3Event('DeleteBucket', { bucketName: 'org-trail-logs-111122223333', Host: 's3.amazonaws.com' })],
      expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'],
    },
    {
      name: 'a bucket that CloudTrail may write to is deleted (learned from its policy)',
      records: [
        s3Event(
          'PutBucketPolicy',
          {
            bucketName: 'audit-logs-111122223333',
            bucketPolicy: {
              Version: '2012-10-17',
              Statement: [
                { Sid: 'AWSCloudTrailAclCheck', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: 'arn:aws:s3:::audit-logs-111122223333' },
                { Sid: 'AWSCloudTrailWrite', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::audit-logs-111122223333/AWSLogs/111122223333/*' },
              ],
            },
          },
          '2026-09-01T08:00:00Z',
          tf,
        ),
        s3Event('DeleteBucket', { bucketName: 'audit-logs-111122223333' }),
      ],
      expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'],
    },
    {
      name: 'a multi-region trail turned single-region',
      records: [createTrail('2026-10-01T08:00:00Z'), trailEvent('UpdateTrail', { name: TRAIL_ARN, isMultiRegionTrail: false }, { response: { name: 'org-trail', s3BucketName: 'org-trail-logs-111122223333', isMultiRegionTrail: false, trailARN: TRAIL_ARN } })],
      expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'],
    },
    {
      name: 'an organization trail turned into an account trail',
      records: [createTrail('2026-10-01T08:00:00Z', { isOrganizationTrail: true }), trailEvent('UpdateTrail', { name: TRAIL_ARN, isOrganizationTrail: false })],
      expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'],
    },
    {
      name: 'CloudWatch Logs delivery removed from a trail',
      records: [trailEvent('UpdateTrail', { name: 'security-trail', cloudWatchLogsLogGroupArn: '', cloudWatchLogsRoleArn: '' })],
      expect: ['Stealth:IAMUser/CloudTrailLoggingDisabled'],
    },
    {
      name: 'a denied StopLogging, a DescribeTrail and a new trail (Panther and hand-made)',
      datasets: [
        { panther: 'AWS.CloudTrail.SecurityConfigurationChange', test: 'Security Configuration Not Changed - Error' },
        { panther: 'AWS.CloudTrail.SecurityConfigurationChange', test: 'Security Configuration Not Changed' },
        { panther: 'AWS.CloudTrail.Created', test: 'CloudTrail Was Created' },
      ],
      records: [trailEvent('StopLogging', { name: 'org-trail' }, { errorCode: 'AccessDenied', identity: assumedRole('ReadOnly', 'bob') })],
      expect: [],
    },
    {
      name: 'Terraform builds a trail, starts it, adds a KMS key and moves it to a new bucket',
      records: [
        createTrail('2026-10-01T08:00:00Z'),
        trailEvent('StartLogging', { name: TRAIL_ARN }, { time: '2026-10-01T08:00:05Z', identity: tf, userAgent: TERRAFORM_AGENT }),
        trailEvent('UpdateTrail', { name: TRAIL_ARN, kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }, { time: '2026-10-15T08:00:00Z', identity: tf, userAgent: TERRAFORM_AGENT }),
        trailEvent('UpdateTrail', { name: TRAIL_ARN, s3BucketName: 'org-trail-logs-v2-111122223333' }, { time: '2026-10-20T08:00:00Z', identity: tf, userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
    {
      name: 'a single-region trail updated with its settings resent',
      records: [
        createTrail('2026-10-01T08:00:00Z', { isMultiRegionTrail: false, name: 'eu-only' }),
        trailEvent('UpdateTrail', { name: 'eu-only', isMultiRegionTrail: false, includeGlobalServiceEvents: true, enableLogFileValidation: true, isOrganizationTrail: false }),
      ],
      expect: [],
    },
    {
      name: 'deleting buckets that hold no trail logs (Panther)',
      datasets: [{ panther: 'AWS.S3.BucketDeleted', test: 'An S3 Bucket was deleted' }],
      records: [s3Event('DeleteBucket', { bucketName: 'tmp-build-cache' })],
      expect: [],
    },
  ],
};
