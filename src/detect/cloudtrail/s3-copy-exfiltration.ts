import type { ApiEvent } from '../api-event.js';
import { ACCOUNT, assumedRole, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  accountOf,
  type BoundedMap,
  boundedMap,
  flushDeferred,
  getEntry,
  HOUR,
  isAwsServiceCall,
  isExternalAccount,
  isIacAgent,
  ownAccount,
  personVars,
  reportWhenWindowCloses,
  resourcesOf,
  safeDecode,
  setEntry,
  str,
  trackBurst,
  wasHabit,
} from './gumshoe-common.js';
import { bucketDetail } from './s3-resources.js';

/**
 * S3 objects copied out to a bucket of an account outside the organisation (S3 data events): a successful
 * `CopyObject` or `UploadPartCopy` (how `aws s3 cp` copies objects over 8 MB) whose destination bucket
 * (`requestParameters.bucketName`) is listed in `resources` as an `AWS::S3::Bucket` with the `accountId` of
 * an outside account. CloudTrail shows the bucket owner's account there for a successful call (it removes it
 * only from a caller's copy of a call refused for the caller's own lack of permission), so a copy into the
 * caller's own or an organisation account's bucket names that account and is not reported. A copy whose
 * source (`x-amz-copy-source`) is itself an outside account's bucket moves no data of ours.
 *
 * Per principal and destination account, within an hour, reported when the hour closes: Medium for one
 * object, High for 5 or more, or for copies that re-encrypt with a customer-provided key (SSE-C) or a KMS key
 * of an outside account (the copy then cannot be read, or reported on, from here). Low for a destination
 * account the account copied to on an earlier day (a partner's or DR account fed every night), through
 * infrastructure as code, or by AWS acting for you (S3 Batch Operations jobs).
 *
 * Re-encrypting objects in place (the same bucket, or objects just read) is Impact:S3/ObjectsReencryptedWithForeignKey
 * in s3-ransomware.ts; this type is about the copy leaving for someone else's bucket.
 *
 * A cross-account call is logged in the caller's account and in the bucket owner's (the same `sharedEventID`):
 * the copy of a call made by an organisation account other than the event's own is left to the caller's
 * account's trail, so one request is one finding.
 */
const COPIED_OUT = 'Exfiltration:S3/ObjectCopiedToExternalAccount.Gumshoe';

const WINDOW = HOUR;
const MANY_OBJECTS = 5;
const SSE_C = 'x-amz-server-side-encryption-customer-algorithm';
const KMS_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const COPY_APIS = ['CopyObject', 'UploadPartCopy'];
/** CreateMultipartUpload carries the encryption of a copy made in parts; UploadPartCopy the copy source. */
const APIS = [...COPY_APIS, 'CreateMultipartUpload'];

interface CopyState {
  /** Destination accounts copied to, and when first (a partner fed every day is a habit). */
  destinations: BoundedMap<number>;
  /** `principal|bucket/key` of a multipart upload to an outside bucket → the foreign key it is encrypted with. */
  uploads: BoundedMap<string>;
}

const state = (context: DetectionContext) => context.state<CopyState>('s3-copy-exfiltration', () => ({ destinations: boundedMap(), uploads: boundedMap() }));

/** The account `resources` names as the owner of `bucket` (null when it names none). */
function bucketOwner(event: ApiEvent, bucket: string): string | null {
  const arn = `arn:aws:s3:::${bucket}`;
  for (const resource of resourcesOf(event)) {
    if (resource.type !== 'AWS::S3::Bucket' || (str(resource.ARN) ?? str(resource.arn)) !== arn) continue;
    return str(resource.accountId) ?? null;
  }
  return null;
}

/** The bucket of `x-amz-copy-source` (`bucket/key`, `/bucket/key?versionId=…`, URL-encoded). */
function sourceBucket(event: ApiEvent): string | null {
  const source = str(event.request?.['x-amz-copy-source']);
  if (!source) return null;
  return safeDecode(source).replace(/^\//, '').split('/')[0] || null;
}

/** How the request encrypts the copy with a key we do not hold: SSE-C, or a KMS key of an outside account. */
function foreignKey(event: ApiEvent, context: DetectionContext): string | null {
  const request = event.request ?? {};
  if (str(request[SSE_C])) return 'a customer-provided key (SSE-C)';
  const kmsAccount = accountOf(str(request[KMS_KEY]) ?? '');
  return kmsAccount && isExternalAccount(kmsAccount, event, context.settings) ? `a KMS key of account ${kmsAccount}` : null;
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  const bucket = event.bucketName;
  if (!bucket || event.failed || !event.isS3DataEvent) return;
  const destination = bucketOwner(event, bucket);
  if (!destination || !isExternalAccount(destination, event, context.settings)) return;
  const caller = event.actor.accountId;
  if (caller && caller !== ownAccount(event) && context.settings.organizationAccounts.has(caller)) return;
  const objectKey = str(event.request?.key) ?? '';
  const uploadKey = `${event.principalKey}|${bucket}/${objectKey}`;
  const s = state(context);
  if (event.api === 'CreateMultipartUpload') {
    const how = foreignKey(event, context);
    if (how) setEntry(s.uploads, uploadKey, how, 2000);
    return;
  }
  const source = sourceBucket(event);
  const sourceOwner = source ? bucketOwner(event, source) : null;
  if (!source || (sourceOwner !== null && isExternalAccount(sourceOwner, event, context.settings))) return;

  const how = foreignKey(event, context) ?? getEntry(s.uploads, uploadKey) ?? null;
  const { burst, evidence } = trackBurst(context, 'copied-out', `${event.principalKey}|${destination}`, event, [`${bucket}/${objectKey}`], WINDOW);
  const habitual = wasHabit(s.destinations, destination, event.time);
  if (!burst.facts) burst.facts = { reviewed: habitual || isIacAgent(event.userAgent) || isAwsServiceCall(event), source };
  if (how && !burst.facts.how) burst.facts.how = how;
  reportWhenWindowCloses(context, evidence, burst, WINDOW, event, (window) => {
    const facts = burst.facts ?? {};
    const count = burst.items.length;
    const reencrypted = typeof facts.how === 'string' ? `, re-encrypted with ${facts.how}` : '';
    context.emit({
      type: COPIED_OUT,
      ...window,
      severity: facts.reviewed ? 2 : count >= MANY_OBJECTS || reencrypted ? 8 : 5,
      aggregateBy: `${window.event.principalKey}|${destination}`,
      buckets: [bucketDetail(window.event, bucket)],
      vars: { ...personVars(window.event), count, destination, bucket, source: String(facts.source), objects: count === 1 ? 'object' : 'objects', reencrypted, keys: burst.items.slice(0, 10).join(', ') },
    });
  });
}

// ---- cases ----

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 2, 10, minute, second)).toISOString().replace('.000Z', 'Z');
const OUR_BUCKET = 'acme-customer-data';
const THEIR_BUCKET = 'exfil-drop-7731';
const BACKUP_ACCOUNT = '777788889999';
const thief = iamUser('mallory');

/** A copy as CloudTrail logs it in the caller's account: both buckets and objects in `resources`, each bucket with its owner. */
function copy(key: string, time: string, options: { to?: string; toAccount?: string; from?: string; fromAccount?: string; api?: string; identity?: Record<string, unknown>; userAgent?: string; extra?: Record<string, unknown>; errorCode?: string; account?: string } = {}) {
  const to = options.to ?? THEIR_BUCKET;
  const from = options.from ?? OUR_BUCKET;
  return ctEvent({
    service: 's3',
    name: options.api ?? 'CopyObject',
    data: true,
    time,
    identity: options.identity ?? thief,
    userAgent: options.userAgent,
    errorCode: options.errorCode,
    account: options.account,
    ip: '203.0.113.66',
    request: { bucketName: to, Host: `${to}.s3.us-east-1.amazonaws.com`, key, 'x-amz-copy-source': `${from}/${encodeURIComponent(key)}`, ...options.extra },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${to}/${key}` },
      { accountId: options.toAccount ?? OTHER_ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${to}` },
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${from}/${key}` },
      { accountId: options.fromAccount ?? ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${from}` },
    ],
  });
}
const files = Array.from({ length: 8 }, (_, i) => `exports/customers-${i}.csv`);

export const s3CopyExfiltration: ApiDetection = {
  id: 'gumshoe-s3-copy-exfiltration',
  source: 'cloudtrail',
  apis: APIS,
  payloads: { apis: APIS },
  types: [
    {
      type: COPIED_OUT,
      dataSource: 'S3DataEvents',
      severity: 5,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      title: '{principal} copied {count} S3 {objects} to bucket {bucket} of account {destination}, outside the organization.',
      description: '{principal} copied {count} {objects} from {source} to {bucket}, a bucket owned by account {destination} outside the organization, from {ip}{reencrypted}. The copies are out of your control: that account can read, keep or ransom them. Objects: {keys}.',
      remediation: 'If the destination account is not a known partner or your own, block the principal (revoke its sessions and keys), list every CopyObject and UploadPartCopy it made to that account, and restrict copies leaving the organization with an aws:ResourceOrgID condition on s3:PutObject in an SCP or VPC endpoint policy.',
    },
  ],
  onEvent,
  finish: (context) => flushDeferred(context),
  cases: () => [
    {
      name: 'eight objects copied into an outside account’s bucket within minutes',
      records: files.map((f, i) => copy(f, at(0, i * 5))),
      expect: [COPIED_OUT],
    },
    {
      name: 'one object copied out with SSE-C, and a large one copied out in parts to a KMS key of the outside account',
      records: [
        copy('payroll.xlsx', at(0), { extra: { [SSE_C]: 'AES256' } }),
        copy('db-dump.sql.gz', at(1), { api: 'CreateMultipartUpload', extra: { uploads: '', 'x-amz-server-side-encryption': 'aws:kms', [KMS_KEY]: `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/0f1e2d3c` } }),
        ...[1, 2, 3].map((part) => copy('db-dump.sql.gz', at(2, part), { api: 'UploadPartCopy', extra: { partNumber: String(part), uploadId: 'u1' } })),
      ],
      expect: [COPIED_OUT],
    },
    {
      name: 'an SSO user copies one report to a partner’s bucket (Medium; an IaC pipeline and an S3 Batch Operations job copying out are Low)',
      records: [
        copy('q3-report.pdf', at(0), { identity: assumedRole('AWSReservedSSO_Analyst_0a1b2c3d', 'dana@acme.example'), to: 'partner-inbox', toAccount: '555566667777' }),
        copy('schema.json', at(5), { identity: assumedRole('TerraformApply', 'ci'), userAgent: TERRAFORM_AGENT, to: 'vendor-config', toAccount: '555566660000' }),
        copy('batch/part-0001', at(6), { identity: { ...assumedRole('BatchCopyRole', 's3-batch-operations'), invokedBy: 'batchoperations.s3.amazonaws.com' }, to: 'vendor-lake', toAccount: '555566661111' }),
      ],
      expect: [COPIED_OUT],
    },
    {
      name: 'copies within the account, to the organization’s backup account, and in place with a new key',
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      records: [
        ...files.map((f, i) => copy(f, at(0, i), { to: 'acme-archive', toAccount: ACCOUNT })),
        ...files.map((f, i) => copy(f, at(2, i), { to: 'acme-dr-copy', toAccount: BACKUP_ACCOUNT, identity: assumedRole('backup-sync', 'nightly') })),
        ...files.map((f, i) => copy(f, at(4, i), { to: OUR_BUCKET, toAccount: ACCOUNT, extra: { [SSE_C]: 'AES256' } })),
      ],
      expect: [],
    },
    {
      name: 'a copy refused by the outside bucket, one between two outside buckets, and the backup account’s own copy logged here too',
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      records: [
        copy('secrets.env', at(0), { errorCode: 'AccessDenied' }),
        copy('public-dataset.csv', at(1), { from: 'open-data-mirror', fromAccount: '999988887777' }),
        copy('shared.csv', at(2), { identity: iamUser('sync', BACKUP_ACCOUNT), account: ACCOUNT }),
      ],
      expect: [],
    },
    {
      name: 'a partner account fed every night: Medium on its first day, Low after',
      records: [
        ...files.slice(0, 3).map((f, i) => copy(f, `2026-11-01T02:00:0${i}Z`, { identity: assumedRole('partner-export', 'nightly'), to: 'partner-inbox', toAccount: '555566667777' })),
        ...files.slice(0, 3).map((f, i) => copy(f, `2026-11-02T02:00:0${i}Z`, { identity: assumedRole('partner-export', 'nightly'), to: 'partner-inbox', toAccount: '555566667777' })),
      ],
      expect: [COPIED_OUT],
    },
  ],
};
