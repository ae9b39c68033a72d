import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { accountOf, type BoundedMap, boundedMap, isAwsServiceCall, isExternalAccount, isIacAgent, obj, objects, personVars, str, wasHabit } from './gumshoe-common.js';
import { bucketDetail } from './s3-resources.js';

/**
 * A bucket's default encryption tampered with (objects re-encrypted one by one are s3-ransomware.ts):
 * - set to a KMS key of an outside account: every object written from then on without its own encryption
 *   header is encrypted under a key the attacker holds and can revoke (ransom without touching old data).
 *   S3 takes the key as an ID, an alias or an ARN; only an ARN can name another account's key, so an ID or
 *   alias is the bucket owner's own. High; Low through IaC or for a key account the principal set on an
 *   earlier day.
 * - removed (DeleteBucketEncryption): the bucket falls back to S3-managed keys (SSE-S3), so the KMS key
 *   policy no longer guards reads of new objects. Low; not reported through IaC (`terraform destroy`
 *   removes the encryption resource before the bucket) or for a principal that did it on an earlier day.
 */
const FOREIGN_KEY = 'Impact:S3/BucketEncryptionSetToForeignKey.Gumshoe';
const REMOVED = 'DefenseEvasion:S3/BucketEncryptionRemoved.Gumshoe';

/** SSE algorithms that take a KMS key (`aws:kms`, and dual-layer `aws:kms:dsse`). */
const KMS_ALGORITHM = /^aws:kms(?::dsse)?$/;

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('s3-encryption-tampering', boundedMap);

/**
 * The outside accounts whose KMS keys a PutBucketEncryption makes the default. CloudTrail writes the XML
 * body's `ServerSideEncryptionConfiguration` → `Rule` (an object, a list when repeated) →
 * `ApplyServerSideEncryptionByDefault`; `Rules` (the SDKs' spelling) is read too.
 */
function foreignKeyAccounts(event: ApiEvent, context: DetectionContext): string[] {
  const configuration = obj(event.request?.ServerSideEncryptionConfiguration) ?? {};
  const accounts = [...objects(configuration.Rule), ...objects(configuration.Rules)]
    .map((rule) => obj(rule.ApplyServerSideEncryptionByDefault) ?? {})
    .filter((byDefault) => KMS_ALGORITHM.test(str(byDefault.SSEAlgorithm) ?? ''))
    .map((byDefault) => accountOf(str(byDefault.KMSMasterKeyID) ?? ''))
    .filter((account): account is string => account !== null && isExternalAccount(account, event, context.settings));
  return [...new Set(accounts)];
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  const bucket = event.bucketName;
  if (!bucket || event.failed || event.service !== 's3.amazonaws.com' || isAwsServiceCall(event)) return;
  const iac = isIacAgent(event.userAgent);
  if (event.api === 'DeleteBucketEncryption') {
    if (wasHabit(habits(context), `removed>${event.principalKey}`, event.time) || iac) return;
    context.emit({ type: REMOVED, event, buckets: [bucketDetail(event, bucket)], vars: personVars(event) });
    return;
  }
  const accounts = foreignKeyAccounts(event, context);
  if (accounts.length === 0) return;
  const habitual = accounts.every((account) => wasHabit(habits(context), `foreign-key>${event.principalKey}|${account}`, event.time));
  context.emit({
    type: FOREIGN_KEY,
    event,
    severity: habitual || iac ? 2 : undefined,
    buckets: [bucketDetail(event, bucket)],
    remoteAccount: { accountId: accounts[0]!, affiliated: false },
    vars: { ...personVars(event), keyAccount: accounts.join(', ') },
  });
}

// ---- cases ----

const intruder = iamUser('build-bot');
const admin = assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const keyArn = (account: string) => `arn:aws:kms:us-east-1:${account}:key/0b7a4a2e-8c1f-4f6e-9d1a-3c2b1a0f9e8d`;
const bucketCall = (name: string, bucket: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = intruder, userAgent?: string) =>
  ctEvent({
    service: 's3',
    name,
    identity,
    time,
    userAgent,
    request: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, encryption: '', ...request },
    resources: [{ accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
  });
const putEncryption = (bucket: string, byDefault: Record<string, unknown>, time: string, identity?: Record<string, unknown>, userAgent?: string) =>
  bucketCall(
    'PutBucketEncryption',
    bucket,
    { ServerSideEncryptionConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', Rule: { ApplyServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: true } } },
    time,
    identity,
    userAgent,
  );
const deleteEncryption = (bucket: string, time: string, identity?: Record<string, unknown>, userAgent?: string) => bucketCall('DeleteBucketEncryption', bucket, {}, time, identity, userAgent);

export const s3EncryptionTampering: ApiDetection = {
  id: 'gumshoe-s3-encryption-tampering',
  source: 'cloudtrail',
  apis: ['PutBucketEncryption', 'DeleteBucketEncryption'],
  types: [
    {
      type: FOREIGN_KEY,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1486 Data Encrypted for Impact' },
      title: 'S3 bucket {bucket} now encrypts new objects with a KMS key of account {keyAccount}.',
      description:
        '{principal} called PutBucketEncryption on {bucket} from {ip}, making a KMS key of account {keyAccount} the default. Every object written without its own encryption header is now encrypted under a key that account controls, and is lost if it withdraws the key.',
      remediation:
        'Set the default encryption back to SSE-S3 or one of your own KMS keys, find objects written since the change (S3 Inventory, data events) and copy them back under your key while the other key still decrypts, and deny s3:PutEncryptionConfiguration outside the storage administrators.',
    },
    {
      type: REMOVED,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562 Impair Defenses' },
      title: 'The default encryption of S3 bucket {bucket} was removed.',
      description:
        '{principal} called DeleteBucketEncryption on {bucket} from {ip}. New objects fall back to S3-managed keys (SSE-S3): the KMS key policy that also guarded who can read them no longer applies.',
      remediation: 'If the change was not planned, restore the bucket’s default encryption with your KMS key, and check the principal’s other recent changes to the bucket (policy, versioning, public access).',
    },
  ],
  onEvent,
  cases: () => [
    { name: 'default encryption set to a KMS key of an outside account through the CLI (High)', records: [putEncryption('acme-ledger', { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn(OTHER_ACCOUNT) }, '2026-11-02T10:00:00Z')], expect: [FOREIGN_KEY] },
    {
      name: 'dual-layer KMS with an outside key, two rules written as a list, through Terraform (Low)',
      records: [
        bucketCall(
          'PutBucketEncryption',
          'acme-archive',
          { ServerSideEncryptionConfiguration: { Rule: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }, { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: keyArn(OTHER_ACCOUNT) } }] } },
          '2026-11-02T10:00:00Z',
          terraform,
          TERRAFORM_AGENT,
        ),
      ],
      expect: [FOREIGN_KEY],
    },
    {
      name: 'default encryption set to AES256, to the owner’s own key by ARN, by alias and by ID, to a key of a declared organisation account; a denied attempt with an outside key',
      settings: { organizationAccounts: ['999988887777'] },
      records: [
        putEncryption('acme-ledger', { SSEAlgorithm: 'AES256' }, '2026-11-02T10:00:00Z'),
        putEncryption('acme-ledger', { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn('111122223333') }, '2026-11-02T10:01:00Z'),
        putEncryption('acme-ledger', { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/acme-data' }, '2026-11-02T10:02:00Z'),
        putEncryption('acme-ledger', { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: '0b7a4a2e-8c1f-4f6e-9d1a-3c2b1a0f9e8d' }, '2026-11-02T10:03:00Z'),
        putEncryption('acme-ledger', { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn('999988887777') }, '2026-11-02T10:04:00Z', admin, CONSOLE_AGENT),
        { ...putEncryption('acme-ledger', { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn(OTHER_ACCOUNT) }, '2026-11-02T10:05:00Z', iamUser('intern')), errorCode: 'AccessDenied', errorMessage: 'Access Denied' },
      ],
      expect: [],
    },
    { name: 'Panther: bucket encryption deleted from the CLI (Low)', datasets: [{ panther: 'AWS.S3.DeleteBucketEncryption', test: 'Bucket Encryption Deleted Successfully' }], expect: [REMOVED] },
    { name: 'bucket encryption removed in the console (Low)', records: [deleteEncryption('acme-scratch', '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT)], expect: [REMOVED] },
    {
      name: 'Panther: a denied deletion, another S3 call, the same name from another service',
      datasets: [
        { panther: 'AWS.S3.DeleteBucketEncryption', test: 'Bucket Encryption Deletion Failed' },
        { panther: 'AWS.S3.DeleteBucketEncryption', test: 'Different S3 Event' },
        { panther: 'AWS.S3.DeleteBucketEncryption', test: 'Non-S3 Event' },
      ],
      expect: [],
    },
    {
      name: 'terraform destroy removing the encryption before the bucket; AWS acting for you',
      records: [deleteEncryption('ci-scratch', '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT), deleteEncryption('acme-logs', '2026-11-02T10:01:00Z', awsService('config.amazonaws.com'))],
      expect: [],
    },
  ],
};
