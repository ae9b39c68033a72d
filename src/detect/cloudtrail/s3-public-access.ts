import type { S3BucketDetail } from '../../findings/guardduty-finding.js';
import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext, FindingTypeSpec } from '../detection.js';
import { remember } from './bounded-map.js';
import { type AccessGrant, evaluateBucketAcl, evaluateBucketPolicy, type Exposure, NOT_PUBLIC } from './s3-policy-evaluation.js';
import { bucketOf } from './s3-resources.js';

/**
 * S3 configuration findings from management events (resource AccessKey, with s3BucketDetails):
 * - Policy:S3/AccountBlockPublicAccessDisabled and BucketBlockPublicAccessDisabled: a successful Put or
 *   Delete of the account-level (s3control) or bucket-level Block Public Access configuration that turns
 *   off a flag not already known to be off. A Put sets unspecified flags to false; unknown earlier state
 *   counts as on (S3's default for new buckets), so re-applying the same relaxed settings fires once.
 * - Policy:S3/BucketAnonymousAccessGranted / BucketPublicAccessGranted: a successful PutBucketPolicy,
 *   PutBucketAcl or CreateBucket whose policy or ACL, evaluated by s3-policy-evaluation, opens the bucket to
 *   anyone (anonymous) or to every AWS account (authenticated), more than that source was known to:
 *   to wider callers, or to the same callers for read or write access they did not have.
 * - Stealth:S3/ServerAccessLoggingDisabled: a successful PutBucketLogging with an empty
 *   BucketLoggingStatus, unless logging is already known to be off.
 * Per account the detection remembers the Block Public Access flags, each bucket's policy and ACL
 * exposure and logging state (at most 500 buckets), to fill `publicAccess.effectivePermission`: PUBLIC when
 * a public policy or ACL is known not to be neutralised by Block Public Access, NOT_PUBLIC when every
 * path is known closed, UNKNOWN otherwise.
 */
const FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
type Flags = Record<(typeof FLAGS)[number], boolean>;
const ALL_OFF: Flags = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };

interface BucketState {
  bpa?: Flags;
  policy?: AccessGrant;
  acl?: AccessGrant;
  logging?: boolean;
}

interface AccountState {
  bpa?: Flags;
  buckets: Record<string, BucketState>;
}

const BUCKET_CAP = 500;

const ACCOUNT_BPA = new Set(['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock']);
const BUCKET_BPA = new Set(['PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock']);

const SETTINGS_MITRE = { tactic: 'TA0005 Defense Evasion', technique: 'T1562 Impair Defenses' };
const EXPOSURE_MITRE = { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' };
const LOGGING_MITRE = { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Impair Defenses: Disable or Modify Cloud Logs' };

function spec(type: string, severity: number, mitre: FindingTypeSpec['mitre'], title: string, description: string, remediation: string): FindingTypeSpec {
  return { type, dataSource: 'CloudTrailManagement', severity, resourceType: 'AccessKey', mitre, title, description, remediation };
}

function parseFlags(value: unknown): Flags | null {
  if (value === null || typeof value !== 'object') return null;
  const config = value as Record<string, unknown>;
  return Object.fromEntries(FLAGS.map((f) => [f, config[f] === true || config[f] === 'true'])) as Flags;
}

/** Flags turned off by this change: off now, and not known to be off before. */
function newlyOff(next: Flags, before: Flags | undefined): string[] {
  return FLAGS.filter((f) => !next[f] && (before === undefined || before[f]));
}

/** A known-true flag at either level neutralises that path; false at both opens it; otherwise unknown. */
function levelState(bucket: Flags | undefined, account: Flags | undefined, flag: keyof Flags): boolean | undefined {
  if (bucket?.[flag] || account?.[flag]) return true;
  return bucket && account ? false : undefined;
}

function effectivePermission(account: AccountState, bucket: BucketState): 'PUBLIC' | 'NOT_PUBLIC' | 'UNKNOWN' {
  const paths: [AccessGrant | undefined, boolean | undefined][] = [
    [bucket.policy, levelState(bucket.bpa, account.bpa, 'RestrictPublicBuckets')],
    [bucket.acl, levelState(bucket.bpa, account.bpa, 'IgnorePublicAcls')],
  ];
  if (paths.some(([grant, blocked]) => grant && grant.exposure !== 'none' && blocked === false)) return 'PUBLIC';
  if (paths.every(([grant, blocked]) => (grant && grant.exposure === 'none') || blocked === true)) return 'NOT_PUBLIC';
  return 'UNKNOWN';
}

const camelFlags = (flags: Flags | undefined) =>
  flags && { blockPublicAcls: flags.BlockPublicAcls, ignorePublicAcls: flags.IgnorePublicAcls, blockPublicPolicy: flags.BlockPublicPolicy, restrictPublicBuckets: flags.RestrictPublicBuckets };
const publicRights = (grant: AccessGrant | undefined) => grant && { allowsPublicReadAccess: grant.exposure !== 'none' && grant.read, allowsPublicWriteAccess: grant.exposure !== 'none' && grant.write };

function bucketDetails(name: string, account: AccountState, bucket: BucketState): S3BucketDetail[] {
  return [
    {
      arn: `arn:aws:s3:::${name}`,
      name,
      type: 'Destination',
      publicAccess: {
        effectivePermission: effectivePermission(account, bucket),
        permissionConfiguration: {
          bucketLevelPermissions: { accessControlList: publicRights(bucket.acl), bucketPolicy: publicRights(bucket.policy), blockPublicAccess: camelFlags(bucket.bpa) },
          accountLevelPermissions: { blockPublicAccess: camelFlags(account.bpa) },
        },
      },
    },
  ];
}

const RANK: Record<Exposure, number> = { none: 0, authenticated: 1, anonymous: 2 };

/** True when the new grant opens the bucket to more callers than before, or to the same ones for more (write on top of read). */
function widens(grant: AccessGrant, before: AccessGrant | undefined): boolean {
  if (grant.exposure === 'none') return false;
  if (!before || RANK[grant.exposure] > RANK[before.exposure]) return true;
  return RANK[grant.exposure] === RANK[before.exposure] && ((grant.write && !before.write) || (grant.read && !before.read));
}

function rights(grant: AccessGrant): string {
  return grant.read && grant.write ? 'read and write' : grant.write ? 'write' : 'read';
}

function isS3(event: ApiEvent): boolean {
  return event.service === 's3.amazonaws.com' || event.service === 's3-control.amazonaws.com';
}

function handle(event: ApiEvent, context: DetectionContext): void {
  const accountId = event.accountId ?? 'unknown';
  const account = context.state<AccountState>(`account:${accountId}`, () => ({ buckets: {} }));
  const request = event.request ?? {};
  const bucketName = bucketOf(event);
  const isAccountLevel = ACCOUNT_BPA.has(event.api) || (/^(Put|Delete)PublicAccessBlock$/.test(event.api) && !bucketName);

  if (isAccountLevel) {
    const flags = event.api.startsWith('Delete') ? ALL_OFF : parseFlags(request.PublicAccessBlockConfiguration);
    if (!flags) return;
    const off = newlyOff(flags, account.bpa);
    account.bpa = flags;
    if (off.length) context.emit({ type: 'Policy:S3/AccountBlockPublicAccessDisabled', event, vars: { flags: off.join(', ') } });
    return;
  }
  if (!bucketName) return;
  if (event.api === 'DeleteBucket') {
    delete account.buckets[bucketName];
    return;
  }
  const bucket: BucketState = account.buckets[bucketName] ?? {};
  remember(account.buckets, bucketName, bucket, BUCKET_CAP);
  const emitBucket = (type: string, extra: { vars?: Record<string, string> } = {}) =>
    context.emit({ type, event, aggregateBy: bucketName, buckets: bucketDetails(bucketName, account, bucket), ...extra });

  if (BUCKET_BPA.has(event.api) || event.api === 'PutPublicAccessBlock' || event.api === 'DeletePublicAccessBlock') {
    const flags = event.api.startsWith('Delete') ? ALL_OFF : parseFlags(request.PublicAccessBlockConfiguration);
    if (!flags) return;
    const off = newlyOff(flags, bucket.bpa);
    bucket.bpa = flags;
    if (off.length) emitBucket('Policy:S3/BucketBlockPublicAccessDisabled', { vars: { flags: off.join(', ') } });
    return;
  }
  if (event.api === 'PutBucketLogging') {
    const status = request.BucketLoggingStatus;
    if (status === null || typeof status !== 'object') return;
    const enabled = 'LoggingEnabled' in status;
    const wasOff = bucket.logging === false;
    bucket.logging = enabled;
    if (!enabled && !wasOff) emitBucket('Stealth:S3/ServerAccessLoggingDisabled');
    return;
  }
  if (event.api === 'DeleteBucketPolicy') {
    bucket.policy = NOT_PUBLIC;
    return;
  }
  if (event.api === 'PutBucketOwnershipControls') {
    // BucketOwnerEnforced switches ACLs off entirely.
    if (JSON.stringify(request.OwnershipControls ?? '').includes('BucketOwnerEnforced')) bucket.acl = NOT_PUBLIC;
    return;
  }
  const viaPolicy = event.api === 'PutBucketPolicy';
  const grant = viaPolicy ? evaluateBucketPolicy(request.bucketPolicy) : evaluateBucketAcl(request);
  if (!grant) return;
  const before = viaPolicy ? bucket.policy : bucket.acl;
  if (viaPolicy) bucket.policy = grant;
  else bucket.acl = grant;
  if (!widens(grant, before)) return;
  const type = grant.exposure === 'anonymous' ? 'Policy:S3/BucketAnonymousAccessGranted' : 'Policy:S3/BucketPublicAccessGranted';
  emitBucket(type, { vars: { via: viaPolicy ? 'bucket policy' : 'ACL', rights: rights(grant) } });
}

const BPA_REMEDIATION =
  'If public access is not intended, turn all four Block Public Access settings back on and find out who changed them; keep them on at the account level and grant exceptions per bucket only where a bucket must be public.';
const GRANT_REMEDIATION =
  'If the bucket should not be public, remove the statement or grant, turn on Block Public Access for the bucket, and review the server access or data-event logs for reads since the change.';

const NOW = '2026-11-02T10:00:00Z';
const admin = assumedRole('AWSReservedSSO_Admin_1a2b', 'alice@example.com');
const s3 = (name: string, request: Record<string, unknown>, options: { time?: string; errorCode?: string; identity?: Record<string, unknown>; userAgent?: string } = {}) =>
  ctEvent({ service: 's3', name, identity: options.identity ?? admin, time: options.time ?? NOW, request, errorCode: options.errorCode, userAgent: options.userAgent });
const bpa = (flags: Partial<Flags>) => ({ xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', ...ALL_OFF, ...flags });
const ALL_ON = bpa({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
const putPolicy = (bucket: string, statement: Record<string, unknown>, time?: string) => s3('PutBucketPolicy', { bucketName: bucket, bucketPolicy: { Version: '2012-10-17', Statement: [statement] }, policy: [''], Host: `${bucket}.s3.amazonaws.com` }, { time });

export const s3PublicAccess: ApiDetection = {
  id: 's3-public-access',
  source: 'cloudtrail',
  types: [
    spec(
      'Policy:S3/AccountBlockPublicAccessDisabled',
      2,
      SETTINGS_MITRE,
      'Amazon S3 Block Public Access was disabled for account {account}.',
      '{principal} called {api} from {ip} and turned off {flags} at the account level. Bucket policies, ACLs and bucket-level settings now decide alone whether buckets of account {account} can be public.',
      BPA_REMEDIATION,
    ),
    spec(
      'Policy:S3/BucketBlockPublicAccessDisabled',
      2,
      SETTINGS_MITRE,
      'Amazon S3 Block Public Access was disabled for S3 bucket {bucket}.',
      '{principal} called {api} from {ip} and turned off {flags} for bucket {bucket}. Its policy and ACLs can now make it public.',
      BPA_REMEDIATION,
    ),
    spec(
      'Policy:S3/BucketAnonymousAccessGranted',
      8,
      EXPOSURE_MITRE,
      'Amazon S3 bucket {bucket} was opened to anonymous access from the internet.',
      '{principal} changed the {via} of bucket {bucket} with {api} from {ip}. It now grants {rights} access to anyone on the internet, without signing in.',
      GRANT_REMEDIATION,
    ),
    spec(
      'Policy:S3/BucketPublicAccessGranted',
      8,
      EXPOSURE_MITRE,
      'Amazon S3 bucket {bucket} was opened to all authenticated AWS users.',
      '{principal} changed the {via} of bucket {bucket} with {api} from {ip}. It now grants {rights} access to any principal of any AWS account.',
      GRANT_REMEDIATION,
    ),
    spec(
      'Stealth:S3/ServerAccessLoggingDisabled',
      2,
      LOGGING_MITRE,
      'Server access logging was disabled for S3 bucket {bucket}.',
      '{principal} called {api} from {ip} with an empty logging configuration: requests to bucket {bucket} are no longer written to server access logs.',
      'If the change was not planned, turn server access logging back on (or make sure CloudTrail data events cover the bucket) and review who made the change.',
    ),
  ],
  apis: [
    'PutAccountPublicAccessBlock',
    'DeleteAccountPublicAccessBlock',
    'PutPublicAccessBlock',
    'DeletePublicAccessBlock',
    'PutBucketPublicAccessBlock',
    'DeleteBucketPublicAccessBlock',
    'PutBucketPolicy',
    'DeleteBucketPolicy',
    'PutBucketAcl',
    'PutBucketOwnershipControls',
    'CreateBucket',
    'DeleteBucket',
    'PutBucketLogging',
  ],
  onEvent(event, context) {
    if (!isS3(event) || event.failed) return;
    handle(event, context);
  },
  cases: () => [
    {
      name: 'account-level Block Public Access switched off (GuardDuty tester)',
      records: [s3('PutAccountPublicAccessBlock', { PublicAccessBlockConfiguration: { xmlns: 'http://awss3control.amazonaws.com/doc/2018-08-20/', ...ALL_OFF }, Host: '111122223333.s3-control.us-east-1.amazonaws.com' })],
      expect: ['Policy:S3/AccountBlockPublicAccessDisabled'],
    },
    {
      name: 'bucket public access block deleted (Panther)',
      datasets: [{ panther: 'AWS.S3.DeletePublicAccessBlock', test: 'Public Access Block Deleted Successfully' }],
      expect: ['Policy:S3/BucketBlockPublicAccessDisabled'],
    },
    {
      name: 'policy flags switched off on a bucket from the console',
      records: [s3('PutBucketPublicAccessBlock', { bucketName: 'marketing-site', publicAccessBlock: [''], PublicAccessBlockConfiguration: bpa({ BlockPublicAcls: true, IgnorePublicAcls: true }) }, { userAgent: '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]' })],
      expect: ['Policy:S3/BucketBlockPublicAccessDisabled'],
    },
    {
      name: 'bucket policy granting s3:GetBucketAcl to {"AWS": "*"} (Panther)',
      datasets: [{ panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'S3 Made Publicly Accessible' }],
      expect: ['Policy:S3/BucketAnonymousAccessGranted'],
    },
    {
      name: 'bucket policy with Principal "*" (GuardDuty tester)',
      records: [putPolicy('gd-tester-empty-bucket', { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::gd-tester-empty-bucket/*' })],
      expect: ['Policy:S3/BucketAnonymousAccessGranted'],
    },
    {
      name: 'bucket policy open to any AWS principal via aws:PrincipalArn arn:aws:iam::* (GuardDuty tester)',
      records: [
        putPolicy('gd-tester-empty-bucket', {
          Sid: 'PublicReadGetObject',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::gd-tester-empty-bucket/*'],
          Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*' } },
        }),
      ],
      expect: ['Policy:S3/BucketPublicAccessGranted'],
    },
    {
      name: 'canned public-read-write ACL',
      records: [s3('PutBucketAcl', { bucketName: 'shared-uploads', acl: [''], 'x-amz-acl': ['public-read-write'], Host: 'shared-uploads.s3.amazonaws.com' })],
      expect: ['Policy:S3/BucketAnonymousAccessGranted'],
    },
    {
      name: 'ACL body granting READ to AuthenticatedUsers',
      records: [
        s3('PutBucketAcl', {
          bucketName: 'partner-drop',
          acl: [''],
          AccessControlPolicy: {
            AccessControlList: {
              Grant: [
                { Grantee: { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'CanonicalUser', ID: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' }, Permission: 'FULL_CONTROL' },
                { Grantee: { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'Group', URI: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' }, Permission: 'READ' },
              ],
            },
            Owner: { ID: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' },
          },
        }),
      ],
      expect: ['Policy:S3/BucketPublicAccessGranted'],
    },
    {
      name: 'Block Public Access removed, then the bucket made public: effective permission PUBLIC',
      records: [
        s3('PutAccountPublicAccessBlock', { PublicAccessBlockConfiguration: ALL_OFF }, { time: '2026-11-02T09:58:00Z' }),
        s3('DeleteBucketPublicAccessBlock', { bucketName: 'exfil-stage' }, { time: '2026-11-02T09:59:00Z' }),
        putPolicy('exfil-stage', { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::exfil-stage/*' }),
      ],
      expect: ['Policy:S3/AccountBlockPublicAccessDisabled', 'Policy:S3/BucketBlockPublicAccessDisabled', 'Policy:S3/BucketAnonymousAccessGranted'],
    },
    {
      name: 'server access logging disabled (Panther, two rules)',
      datasets: [
        { panther: 'AWS.S3.DisableBucketLogging', test: 'Bucket Logging Disabled Successfully' },
        { panther: 'AWS.S3.SecurityControlDisabling', test: 'Match - Bucket Logging Disabled' },
      ],
      expect: ['Stealth:S3/ServerAccessLoggingDisabled'],
    },
    {
      name: 'put-bucket-logging with {} after logging was on (GuardDuty tester)',
      records: [
        s3('PutBucketLogging', { bucketName: 'app-data', logging: [''], BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', LoggingEnabled: { TargetBucket: 'access-logs-111122223333', TargetPrefix: 'app-data/' } } }, { time: '2026-11-01T10:00:00Z' }),
        s3('PutBucketLogging', { bucketName: 'app-data', logging: [''], BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' } }),
      ],
      expect: ['Stealth:S3/ServerAccessLoggingDisabled'],
    },
    {
      name: 'failed or empty changes (Panther): denied calls, logging enabled, missing fields, other services',
      datasets: [
        { panther: 'AWS.S3.DeletePublicAccessBlock', test: 'Public Access Block Deletion Failed' },
        { panther: 'AWS.S3.DeletePublicAccessBlock', test: 'Different S3 Event' },
        { panther: 'AWS.S3.DeletePublicAccessBlock', test: 'Non-S3 Event' },
        { panther: 'AWS.S3.DisableBucketLogging', test: 'Bucket Logging Disabled - Failed' },
        { panther: 'AWS.S3.DisableBucketLogging', test: 'Bucket Logging Enabled' },
        { panther: 'AWS.S3.DisableBucketLogging', test: 'Logging Field Missing' },
        { panther: 'AWS.S3.SecurityControlDisabling', test: 'No Match - Failed API Call (Access Denied)' },
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'S3 Failed to make Publicly Accessible' },
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'Null Request Parameters' },
      ],
      expect: [],
    },
    {
      name: 'restricted bucket policies (Panther): a service principal, org/VPC/IP conditions, invalid JSON',
      datasets: [
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'S3 Not Made Publicly Accessible' },
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'All Restrictive Conditions Types (Should Not Alert)' },
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'Invalid JSON Policy (Should Not Alert)' },
      ],
      expect: [],
    },
    {
      name: 'everyday bucket policies: CloudFront OAC, CloudTrail and ALB log delivery, org-only, access points, HTTPS-only',
      records: [
        putPolicy('site-assets', { Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::site-assets/*', Condition: { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE' } } }),
        putPolicy('org-trail-logs', { Sid: 'AWSCloudTrailWrite', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::org-trail-logs/AWSLogs/*', Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } } }),
        putPolicy('alb-logs', { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::127311923021:root' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::alb-logs/AWSLogs/111122223333/*' }),
        putPolicy('shared-artifacts', { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::shared-artifacts', 'arn:aws:s3:::shared-artifacts/*'], Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }),
        putPolicy('datalake', { Effect: 'Allow', Principal: { AWS: '*' }, Action: '*', Resource: ['arn:aws:s3:::datalake', 'arn:aws:s3:::datalake/*'], Condition: { StringEquals: { 's3:DataAccessPointAccount': '111122223333' } } }),
        putPolicy('app-data', { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::app-data', 'arn:aws:s3:::app-data/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ],
      expect: [],
    },
    {
      name: 'Terraform hardening a new bucket: all four BPA flags on, owner-enforced ownership, private ACL, logging on',
      records: [
        s3('CreateBucket', { bucketName: 'tf-app-data', Host: 'tf-app-data.s3.amazonaws.com' }, { userAgent: TERRAFORM_AGENT, time: '2026-11-02T09:59:00Z' }),
        s3('PutBucketPublicAccessBlock', { bucketName: 'tf-app-data', publicAccessBlock: [''], PublicAccessBlockConfiguration: ALL_ON }, { userAgent: TERRAFORM_AGENT }),
        s3('PutBucketOwnershipControls', { bucketName: 'tf-app-data', ownershipControls: [''], OwnershipControls: { Rule: { ObjectOwnership: 'BucketOwnerEnforced' } } }, { userAgent: TERRAFORM_AGENT }),
        s3('PutBucketAcl', { bucketName: 'tf-app-data', acl: [''], 'x-amz-acl': ['private'] }, { userAgent: TERRAFORM_AGENT }),
        s3('PutBucketLogging', { bucketName: 'tf-app-data', logging: [''], BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'access-logs-111122223333', TargetPrefix: 'tf-app-data/' } } }, { userAgent: TERRAFORM_AGENT }),
        s3('PutAccountPublicAccessBlock', { PublicAccessBlockConfiguration: ALL_ON, Host: '111122223333.s3-control.us-east-1.amazonaws.com' }, { identity: iamUser('terraform'), userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
  ],
};
