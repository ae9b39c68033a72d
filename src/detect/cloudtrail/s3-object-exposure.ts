import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, getEntry, isAwsServiceCall, isIacAgent, obj, ownAccount, personVars, setEntry, wasHabit } from './gumshoe-common.js';
import { evaluateBucketAcl, evaluateBucketPolicy } from './s3-policy-evaluation.js';
import { bucketDetail, bucketOf } from './s3-resources.js';

/**
 * One object made public through its ACL (S3 data events): PutObjectAcl with a public canned ACL or a grant
 * to AllUsers or AuthenticatedUsers, or an upload or copy (PutObject, CopyObject, CreateMultipartUpload)
 * that sets one. The bucket's policy, ACL and Block Public Access settings stay as they were, so
 * GuardDuty's bucket-level types do not see it: a database dump or a key file shared by link this way is read
 * by anyone who has the URL.
 *
 * Medium; Low in a bucket known to serve the public (a website configuration, or a policy or bucket ACL that
 * lets anyone read, seen in the lake), through IaC, or for a principal that made objects of that bucket
 * public on an earlier day (a site's deployment job). Only grants that expose the object's data count: an ACL
 * readable by all (READ_ACP) does not.
 */
const OBJECT_PUBLIC = 'Exfiltration:S3/ObjectMadePublic.Gumshoe';

const OBJECT_APIS = ['PutObjectAcl', 'PutObject', 'CopyObject', 'CreateMultipartUpload'];
/** Bucket configuration calls, each with the way of serving the public it sets or removes. */
const BUCKET_CONFIG: Record<string, string> = { PutBucketWebsite: 'website', DeleteBucketWebsite: 'website', PutBucketPolicy: 'policy', DeleteBucketPolicy: 'policy', PutBucketAcl: 'acl' };

/** Grant headers and ACL permissions that give the object's content (the rest only read or change its ACL). */
const DATA_GRANTS = ['x-amz-grant-read', 'x-amz-grant-full-control'];
const DATA_PERMISSIONS = new Set(['READ', 'FULL_CONTROL']);

interface ObjectExposureState {
  /** account/bucket → how it serves the public: a website, a public policy or bucket ACL (several at once). */
  publicBuckets: BoundedMap<string[]>;
  habits: BoundedMap<number>;
}

const state = (context: DetectionContext) => context.state<ObjectExposureState>('s3-object-exposure', () => ({ publicBuckets: boundedMap(), habits: boundedMap() }));

/** Who an object's new ACL lets read it: 'anyone', 'any AWS account', or null. */
function objectReaders(request: Record<string, unknown>): string | null {
  // Most writes set no ACL at all: nothing to evaluate.
  if (request['x-amz-acl'] === undefined && request.AccessControlPolicy === undefined && DATA_GRANTS.every((h) => request[h] === undefined)) return null;
  const policy = obj(request.AccessControlPolicy);
  const list = obj(policy?.AccessControlList);
  const grants = list ? [list.Grant].flat().filter((g) => DATA_PERMISSIONS.has(String(obj(g)?.Permission))) : undefined;
  const dataOnly: Record<string, unknown> = {
    'x-amz-acl': request['x-amz-acl'],
    ...Object.fromEntries(DATA_GRANTS.map((h) => [h, request[h]])),
    ...(grants ? { AccessControlPolicy: { AccessControlList: { Grant: grants } } } : {}),
  };
  const grant = evaluateBucketAcl(dataOnly);
  if (!grant?.read) return null;
  return grant.exposure === 'anonymous' ? 'anyone on the internet' : grant.exposure === 'authenticated' ? 'any principal of any AWS account' : null;
}

/** Learns, from a bucket's own configuration, whether it serves the public. */
function onBucketConfig(event: ApiEvent, context: DetectionContext, bucket: string): void {
  const key = `${ownAccount(event)}/${bucket}`;
  const { publicBuckets } = state(context);
  const source = BUCKET_CONFIG[event.api]!;
  const request = event.request ?? {};
  const opens =
    event.api === 'PutBucketWebsite' ||
    (event.api === 'PutBucketPolicy' && evaluateBucketPolicy(request.bucketPolicy).exposure === 'anonymous') ||
    (event.api === 'PutBucketAcl' && evaluateBucketAcl(request)?.exposure === 'anonymous');
  const how = (getEntry(publicBuckets, key) ?? []).filter((h) => h !== source);
  setEntry(publicBuckets, key, opens ? [...how, source] : how, 2000);
}

function onObject(event: ApiEvent, context: DetectionContext, bucket: string): void {
  const readers = objectReaders(event.request ?? {});
  if (!readers) return;
  const { publicBuckets, habits } = state(context);
  const servesPublic = (getEntry(publicBuckets, `${ownAccount(event)}/${bucket}`) ?? []).length > 0;
  const habit = wasHabit(habits, `${event.principalKey}>${ownAccount(event)}/${bucket}`, event.time);
  const key = String(event.request?.key ?? 'an object');
  context.emit({
    type: OBJECT_PUBLIC,
    event,
    severity: servesPublic || habit || isIacAgent(event.userAgent) ? 2 : undefined,
    aggregateBy: bucket,
    buckets: [bucketDetail(event, bucket)],
    vars: { ...personVars(event), key, readers, context: servesPublic ? ' The bucket serves the public already (a website or a public policy).' : '' },
  });
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event) || event.service !== 's3.amazonaws.com') return;
  const bucket = bucketOf(event);
  if (!bucket) return;
  if (event.api in BUCKET_CONFIG) onBucketConfig(event, context, bucket);
  else onObject(event, context, bucket);
}

// ---- cases ----

const bob = iamUser('bob');
const deployer = assumedRole('SiteDeploy', 'github-actions');
const s3 = (name: string, bucket: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = bob, extra: { userAgent?: string; errorCode?: string } = {}) =>
  ctEvent({ service: 's3', name, request: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, ...request }, time, identity, data: !name.includes('Bucket'), ...extra });
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const ownerGrant = { Grantee: { 'xsi:type': 'CanonicalUser', ID: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' }, Permission: 'FULL_CONTROL' };
const aclBody = (...grants: Record<string, unknown>[]) => ({ AccessControlPolicy: { AccessControlList: { Grant: [ownerGrant, ...grants] }, Owner: { ID: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' } }, acl: '' });

export const s3ObjectExposure: ApiDetection = {
  id: 'gumshoe-s3-object-exposure',
  source: 'cloudtrail',
  apis: [...OBJECT_APIS, ...Object.keys(BUCKET_CONFIG)],
  types: [
    {
      type: OBJECT_PUBLIC,
      dataSource: 'S3DataEvents',
      severity: 5,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      title: 'Object {key} in S3 bucket {bucket} was made readable by {readers}.',
      description:
        '{principal} called {api} from {ip}, giving object {key} of bucket {bucket} an ACL that lets {readers} read it.{context} The bucket’s policy and settings did not change, so bucket-level checks do not show it: whoever has the object’s URL can download it.',
      remediation:
        'Set the object’s ACL back to private (PutObjectAcl --acl private), check the server access or data-event logs for reads since, and turn on Block Public Access (or Object Ownership “bucket owner enforced”, which switches ACLs off) for buckets that should never be public.',
    },
  ],
  onEvent,
  cases: () => [
    { name: 'a database dump made public-read with PutObjectAcl (Medium)', records: [s3('PutObjectAcl', 'data', { key: 'exports/db.sql', acl: '', 'x-amz-acl': 'public-read' }, '2026-11-02T10:00:00Z')], expect: [OBJECT_PUBLIC] },
    {
      name: 'an object given a READ grant to AllUsers; a file uploaded and one copied with a public canned ACL',
      records: [
        s3('PutObjectAcl', 'finance-reports', { key: 'q3/payroll.xlsx', ...aclBody({ Grantee: { 'xsi:type': 'Group', URI: ALL_USERS }, Permission: 'READ' }) }, '2026-11-02T10:00:00Z'),
        s3('PutObject', 'finance-reports', { key: 'share/keys.zip', 'x-amz-acl': ['public-read'] }, '2026-11-02T10:01:00Z'),
        s3('CopyObject', 'finance-reports', { key: 'share/ledger.csv', 'x-amz-copy-source': 'finance-reports/q3/ledger.csv', 'x-amz-acl': ['authenticated-read'] }, '2026-11-02T10:02:00Z'),
      ],
      expect: [OBJECT_PUBLIC],
    },
    {
      name: 'a site’s deployment publishing into its website bucket; Terraform uploading a public asset (Low)',
      records: [
        s3('PutBucketWebsite', 'www-acme', { website: '', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } }, '2026-10-01T09:00:00Z', deployer),
        s3('PutObject', 'www-acme', { key: 'index.html', 'x-amz-acl': 'public-read' }, '2026-11-02T10:00:00Z', deployer),
        s3('PutObject', 'assets-acme', { key: 'logo.svg', 'x-amz-acl': 'public-read' }, '2026-11-02T10:05:00Z', assumedRole('TerraformApply', 'ci'), { userAgent: TERRAFORM_AGENT }),
      ],
      expect: [OBJECT_PUBLIC],
    },
    {
      name: 'private and bucket-owner ACLs, an ACL only readable by all, a refused public ACL, a log delivery by a service',
      records: [
        s3('PutObject', 'data', { key: 'a.csv', 'x-amz-acl': 'private' }, '2026-11-02T10:00:00Z'),
        s3('PutObject', 'central-logs', { key: 'AWSLogs/1/x.gz', 'x-amz-acl': 'bucket-owner-full-control' }, '2026-11-02T10:01:00Z', assumedRole('log-shipper', 'fluent-bit')),
        s3('PutObjectAcl', 'data', { key: 'b.csv', ...aclBody({ Grantee: { 'xsi:type': 'Group', URI: ALL_USERS }, Permission: 'READ_ACP' }) }, '2026-11-02T10:02:00Z'),
        s3('PutObjectAcl', 'data', { key: 'db.sql', 'x-amz-acl': 'public-read' }, '2026-11-02T10:03:00Z', bob, { errorCode: 'AccessDenied' }),
        s3('PutObject', 'data', { key: 'c.gz', 'x-amz-acl': 'public-read' }, '2026-11-02T10:04:00Z', awsService('delivery.logs.amazonaws.com')),
      ],
      expect: [],
    },
  ],
};
