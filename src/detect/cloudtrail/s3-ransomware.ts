import { ApiEvent, type ApiEventFields } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, OTHER_ACCOUNT, repeated, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  accountOf,
  addItem,
  type BoundedMap,
  boundedMap,
  DELIVERY_DELAY,
  dropEvidence,
  getEntry,
  HOUR,
  isAwsServiceCall,
  isExternalAccount,
  isIacAgent,
  keepEvidence,
  learningOver,
  setEntry,
  str,
  takeEvidence,
  wasHabit,
} from './gumshoe-common.js';
import { bucketDetail } from './s3-resources.js';

/**
 * S3 ransomware from CloudTrail S3 data events, per principal and bucket within an hour:
 * - mass deletion: object versions deleted one by one, a version listing followed by DeleteObjects, objects
 *   deleted right after being downloaded, or plain volume (100 keys, or 5 DeleteObjects calls of up to 1,000).
 *   A principal that deleted or wrote objects in the bucket on an earlier day (retention, backup rotation,
 *   ingestion jobs that delete each file they load) is reported only for version purges; while the account
 *   is in its learning period, volume and download-then-delete are Low. One finding per principal and bucket;
 * - re-encryption with a key the owner does not hold: objects the principal just read written back with a
 *   customer-provided key (SSE-C) or a KMS key from an outside account, whole or in parts
 *   (CreateMultipartUpload + UploadPartCopy, as `aws s3 cp` copies objects over 8 MB). A single object is
 *   Low on its own (once per principal and bucket in the hour, on the same finding the volume raises to
 *   High): an object rewritten in place, a CopyObject whose source CloudTrail did not record, or an object
 *   written under an outside account's KMS key. A principal that used the same kind of key on an earlier
 *   day (an application that always writes SSE-C objects) is quiet at that level;
 * - a ransom note uploaded by the same principal after either.
 *
 * Emptying a bucket and then deleting it (console "Empty" then "Delete", `terraform destroy`) is teardown,
 * not ransom: the deletion finding waits, in the state, until the logs pass the end of the hour (plus
 * CloudTrail's delivery delay) and is dropped if the same principal deletes the bucket by then. DeleteBucket
 * is a management event, delivered in other files than the object deletions and often read by a later run,
 * so the wait spans runs: a deletion in the last hour of a run's logs is reported by the first run whose
 * logs pass its hour (for an hourly or daily job, the next run), or whose wall clock does by twice the
 * delivery delay (a batch over past logs, or an account gone quiet). GuardDuty's Impact:S3/AnomalousBehavior.Delete
 * is a learned model of the same thing.
 */
const DELETION = 'Impact:S3/MassObjectDeletion.Gumshoe';
const ENCRYPTION = 'Impact:S3/ObjectsReencryptedWithForeignKey.Gumshoe';
const NOTE = 'Impact:S3/RansomNoteUploaded.Gumshoe';

const WINDOW = HOUR;
const VERSION_DELETES = 10;
const READ_THEN_DELETE = 20;
const MASS_KEYS = 100;
const MASS_BATCHES = 5;
const REWRITES = 5;
/** Mass deletions waiting for their hour at most; past this, the oldest is decided (reported) at once. */
const TEARDOWNS = 1000;
/** Names ransom notes go by (only looked for right after the same principal destroyed or re-encrypted objects). */
const NOTE_NAME =
  /ransom|read[\s_-]?me|recover|restore|decrypt|encrypted|deleted|how[\s_-]?to|instructions|warning|attention|contact|payment|bitcoin|btc|locked|unlock|leak|your[\s_-]?(?:files|data)|(?:get|files)[\s_-]?back|(?:^|[\W_])note(?:[\W_]|$)/i;
const SSE_C = 'x-amz-server-side-encryption-customer-algorithm';
const KMS_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const BY_SSE_C = 'a customer-provided key (SSE-C)';

interface BucketWindow {
  start: number;
  listedVersions: boolean;
  read: string[];
  deleted: string[];
  versionDeletes: number;
  batchCalls: number;
  rewritten: string[];
  destroyed: boolean;
  encrypted: boolean;
  /** A single object was already reported at Low in this window. */
  single?: boolean;
  noted: boolean;
  /** Multipart uploads started with a key the owner does not hold: object key → how it is encrypted. */
  uploads?: Record<string, string>;
}

/** A mass deletion reported at the end of its hour unless the principal deletes the bucket by then. */
interface Teardown {
  due: number;
  since: number;
  severity: number;
  how: string;
  bucket: string;
  event: ApiEventFields;
  related: ApiEventFields[];
}

interface RansomState {
  windows: BoundedMap<BucketWindow>;
  /** principal|bucket → first deletion seen. */
  deleters: BoundedMap<number>;
  /** principal|bucket → first object written (a backup or export job rotating its own objects). */
  writers?: BoundedMap<number>;
  /** principal|kind of key (SSE-C, or a KMS key's account) → first object written with it. */
  foreignKeyWriters?: BoundedMap<number>;
  /** principal|bucket → a mass deletion waiting for its hour: in the state, as the DeleteBucket may be in a later run's logs. */
  teardowns?: Record<string, Teardown>;
  /** The latest event time seen (in this or an earlier run): how far the logs have come. */
  seenUntil?: number;
}

const S3_APIS: ReadonlySet<string> = new Set(['GetObject', 'PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPartCopy', 'CompleteMultipartUpload', 'DeleteObject', 'DeleteObjects', 'ListObjectVersions', 'ListBucketVersions', 'DeleteBucket']);

const state = (context: DetectionContext) => context.state<RansomState>('s3-ransom', () => ({ windows: boundedMap(), deleters: boundedMap(), writers: boundedMap() }));
const writersOf = (context: DetectionContext): BoundedMap<number> => (state(context).writers ??= boundedMap());
const foreignKeyWritersOf = (context: DetectionContext): BoundedMap<number> => (state(context).foreignKeyWriters ??= boundedMap());

function windowFor(context: DetectionContext, key: string, time: number): BucketWindow {
  const windows = state(context).windows;
  let w = getEntry(windows, key);
  if (w && time < w.start && w.start - time <= DELIVERY_DELAY) {
    // A call from just before the window's first, in a file CloudTrail delivered late (maybe read by a later
    // run): the window begins with it, as in one run over all the logs.
    if (!w.destroyed && !w.encrypted) w.start = time;
    return w;
  }
  if (!w || time - w.start > WINDOW || time < w.start) {
    // The window's evidence is kept under `key` alone, so that an earlier start moves it along.
    if (w) dropEvidence(context, key);
    w = { start: time, listedVersions: false, read: [], deleted: [], versionDeletes: 0, batchCalls: 0, rewritten: [], destroyed: false, encrypted: false, noted: false };
    setEntry(windows, key, w, 1000);
  }
  return w;
}

function onDelete(event: ApiEvent, context: DetectionContext, bucket: string, key: string, w: BucketWindow, learned: boolean): void {
  const objectKey = str(event.request?.key);
  if (event.api === 'DeleteObjects') w.batchCalls++;
  else if (objectKey) {
    addItem(w.deleted, objectKey, MASS_KEYS + 20);
    if (str(event.request?.versionId)) w.versionDeletes++;
  }
  keepEvidence(context, key, event);
  const deleters = state(context).deleters;
  // A principal that deleted here, or wrote objects here, on an earlier day (a retention or backup job
  // rotating its own objects) is not new to this bucket.
  const habitual = wasHabit(deleters, key, event.time) || wasHabit(writersOf(context), key, event.time, 5000, false);
  if (w.destroyed || isIacAgent(event.userAgent)) return;

  const versionPurge = w.versionDeletes >= VERSION_DELETES || (w.listedVersions && w.batchCalls > 0);
  // DeleteObjects names no keys in CloudTrail: a batch deletion after READ_THEN_DELETE downloads counts too.
  const readThenDelete = w.deleted.filter((k) => w.read.includes(k)).length >= READ_THEN_DELETE || (w.batchCalls > 0 && w.read.length >= READ_THEN_DELETE);
  const mass = w.deleted.length >= MASS_KEYS || w.batchCalls >= MASS_BATCHES;
  if (!versionPurge && !readThenDelete && !mass) return;
  w.destroyed = true;
  // A principal that has deleted here on an earlier day is not new to this bucket: a retention job, or an
  // ingestion job that reads each incoming file and then deletes it. Only purging versions is still reported.
  if (habitual && !versionPurge) return;
  const how = versionPurge
    ? 'deleted every version of the objects (nothing left to restore)'
    : readThenDelete
      ? 'downloaded objects and then deleted them'
      : [w.deleted.length ? `deleted ${w.deleted.length} objects one by one` : '', w.batchCalls ? `ran ${w.batchCalls} batch deletions of up to 1,000 objects each` : ''].filter(Boolean).join(' and ');
  // While the account is still being learned (the lake's first days: every retention or ingestion job is
  // "new"), plain volume and download-then-delete are Low; after that, a principal new to deleting here is
  // High for download-then-delete and Medium for volume. A version purge is High, Medium for a habitual deleter.
  const severity = versionPurge ? (habitual ? 5 : 8) : !learned ? 2 : readThenDelete ? 8 : 5;
  const related = takeEvidence(context, key, event);
  const teardowns = (state(context).teardowns ??= {});
  const waiting = Object.keys(teardowns);
  if (waiting.length >= TEARDOWNS) reportTeardown(context, teardowns, waiting.reduce((a, b) => (teardowns[a]!.due <= teardowns[b]!.due ? a : b)));
  teardowns[key] = { due: w.start + WINDOW, since: w.start, severity, how, bucket, event: event.fields(), related: related.map((e) => e.fields()) };
}

function reportTeardown(context: DetectionContext, teardowns: Record<string, Teardown>, key: string): void {
  const { event, since, severity, how, bucket, related } = teardowns[key]!;
  delete teardowns[key];
  const trigger = new ApiEvent(event);
  const aggregateBy = trigger.principalKey;
  context.emit({ type: DELETION, event: trigger, since, severity, aggregateBy, related: related.map((e) => new ApiEvent(e)), buckets: [bucketDetail(trigger, bucket)], vars: { how } });
}

/** Reports the mass deletions whose hour (and the delivery delay after it) the logs have passed by `now`. */
function decideTeardowns(context: DetectionContext, now: number): void {
  const teardowns = state(context).teardowns;
  // for…in, not Object.keys: this runs on nearly every event, and almost always finds nothing waiting.
  for (const key in teardowns) if (teardowns[key]!.due + DELIVERY_DELAY < now) reportTeardown(context, teardowns, key);
}

function onWrite(event: ApiEvent, context: DetectionContext, bucket: string, key: string, w: BucketWindow): void {
  const request = event.request ?? {};
  const objectKey = str(request.key) ?? '';
  if ((w.destroyed || w.encrypted) && !w.noted && event.api !== 'UploadPartCopy' && NOTE_NAME.test(objectKey)) {
    w.noted = true;
    context.emit({ type: NOTE, event, buckets: [bucketDetail(event, bucket)], vars: { key: objectKey } });
    return;
  }
  const kmsAccount = accountOf(str(request[KMS_KEY]) ?? '');
  let foreignKey = str(request[SSE_C]) !== undefined || (kmsAccount !== null && isExternalAccount(kmsAccount, event, context.settings));
  let how = str(request[SSE_C]) ? BY_SSE_C : `a KMS key in account ${kmsAccount}`;
  // Large objects are rewritten in parts (aws s3 cp over 8 MB): CreateMultipartUpload carries the
  // encryption, UploadPartCopy the copy source (and, for SSE-C, the key again).
  if (event.api === 'CreateMultipartUpload' && foreignKey) {
    const uploads = (w.uploads ??= {});
    if (Object.keys(uploads).length < REWRITES * 4) uploads[objectKey] = how;
  }
  if (event.api === 'UploadPartCopy' && w.uploads?.[objectKey] !== undefined) {
    how = str(request[SSE_C]) ? how : w.uploads[objectKey]!;
    foreignKey = true;
  }
  if (!foreignKey) return;
  // Recorded for every write with the key, in place or not: an application that always writes SSE-C objects.
  const habitual = wasHabit(foreignKeyWritersOf(context), `${event.principalKey}|${how}`, event.time);
  const source = decodeURIComponent(str(request['x-amz-copy-source']) ?? '').replace(/^\//, '').replace(/\?versionId=.*$/, '');
  const inPlace = source === `${bucket}/${objectKey}` || w.read.includes(objectKey);
  // A new object under an outside account's KMS key is not readable by the owner either; a new SSE-C object
  // is what SSE-C applications write, and counts only in place.
  const unrecordedCopy = event.api === 'CopyObject' && source === '';
  if ((inPlace || unrecordedCopy || how !== BY_SSE_C) && !w.single && !w.encrypted && !habitual && !isAwsServiceCall(event)) {
    w.single = true;
    const action = inPlace ? `rewrote object ${objectKey} in place` : unrecordedCopy ? `copied object ${objectKey}` : `wrote object ${objectKey}`;
    context.emit({ type: ENCRYPTION, event, severity: 2, buckets: [bucketDetail(event, bucket)], vars: { objects: `object ${objectKey}`, action, how } });
  }
  if (!inPlace) return;
  addItem(w.rewritten, objectKey, REWRITES * 4);
  keepEvidence(context, key, event);
  if (w.encrypted || w.rewritten.length < REWRITES) return;
  w.encrypted = true;
  const objects = `${w.rewritten.length} objects`;
  const action = `rewrote ${objects} it had just read (or copied onto themselves)`;
  context.emit({ type: ENCRYPTION, event, since: w.start, related: takeEvidence(context, key, event), buckets: [bucketDetail(event, bucket)], vars: { objects, action, how } });
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  // Every event, of any service, tells how far the logs have come.
  const s = state(context);
  if (event.time > (s.seenUntil ?? 0)) {
    s.seenUntil = event.time;
    decideTeardowns(context, event.time);
  }
  if (S3_APIS.has(event.api)) onS3Event(event, context);
}

function onS3Event(event: ApiEvent, context: DetectionContext): void {
  const bucket = event.bucketName;
  if (!bucket || event.failed) return;
  const learned = learningOver(context, event);
  const key = `${event.principalKey}|${bucket}`;
  if (event.api === 'DeleteBucket') {
    const teardowns = state(context).teardowns;
    if (teardowns && Object.hasOwn(teardowns, key)) delete teardowns[key];
    return;
  }
  const w = windowFor(context, key, event.time);
  switch (event.api) {
    case 'GetObject': {
      const objectKey = str(event.request?.key);
      if (objectKey) addItem(w.read, objectKey, 3 * READ_THEN_DELETE);
      return;
    }
    case 'ListObjectVersions':
    case 'ListBucketVersions':
      w.listedVersions = true;
      return;
    case 'DeleteObject':
    case 'DeleteObjects':
      return onDelete(event, context, bucket, key, w, learned);
    case 'PutObject':
    case 'CopyObject':
    case 'CreateMultipartUpload':
    case 'UploadPartCopy':
    case 'CompleteMultipartUpload':
      wasHabit(writersOf(context), key, event.time);
      if (event.api === 'CompleteMultipartUpload') return;
      return onWrite(event, context, bucket, key, w);
  }
}

// ---- cases ----

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 2, 10, minute, second)).toISOString().replace('.000Z', 'Z');
const s3 = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string) =>
  ctEvent({ service: 's3', name, request: { Host: 'acme-finance.s3.us-east-1.amazonaws.com', ...request }, time, identity, data: name !== 'DeleteBucket', userAgent });
const bucketName = 'acme-finance';
const files = Array.from({ length: 51 }, (_, i) => `report-${i}.pdf`);
const thief = iamUser('mallory');
/** The account's logs going on (any call): a deletion is decided once they pass its hour. */
const logsGoOn = (time = '2026-11-02T12:00:00Z') => ctEvent({ service: 'ec2', name: 'DescribeInstances', time, identity: assumedRole('monitoring', 'poller'), ip: '203.0.113.80' });

export const s3Ransomware: ApiDetection = {
  id: 'gumshoe-s3-ransomware',
  source: 'cloudtrail',
  // Sees every event (how far the logs have come decides waiting deletions); reads only these.
  payloads: { apis: [...S3_APIS] },
  types: [
    {
      type: DELETION,
      dataSource: 'S3DataEvents',
      severity: 8,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
      title: 'Objects in S3 bucket {bucket} were destroyed in bulk by {principal}.',
      description: '{principal} {how} in {bucket} within an hour, from {ip}, and did not go on to delete the bucket as a teardown would.',
      remediation: 'Block the principal (revoke its sessions and keys), then restore from versions, replicas or backups. Turn on Object Lock or MFA delete for buckets that must survive this.',
    },
    {
      type: ENCRYPTION,
      dataSource: 'S3DataEvents',
      severity: 8,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1486 Data Encrypted for Impact' },
      title: '{principal} encrypted {objects} in S3 bucket {bucket} with a key you do not hold.',
      description: '{principal} {action} in {bucket} with {how}, from {ip}. Without that key the data cannot be read.',
      remediation: 'Block the principal, restore the previous object versions, and deny s3:PutObject with SSE-C headers (s3:x-amz-server-side-encryption-customer-algorithm) where you do not use it.',
    },
    {
      type: NOTE,
      dataSource: 'S3DataEvents',
      severity: 8,
      resourceType: 'S3Bucket',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1486 Data Encrypted for Impact' },
      title: 'A ransom note, {key}, was left in S3 bucket {bucket}.',
      description: '{principal} uploaded {key} to {bucket} from {ip} right after destroying or re-encrypting objects there.',
      remediation: 'Treat this as an active ransomware incident: block the principal, preserve CloudTrail, restore data from versions or backups, and do not contact the sender before legal and security teams are involved.',
    },
  ],
  onEvent,
  // What the logs have not yet passed waits for the next run, whose files may hold its DeleteBucket, unless
  // CloudTrail has long delivered them by the run's time (a batch over past logs decides at its end).
  finish: (context) => decideTeardowns(context, Math.max(state(context).seenUntil ?? 0, context.now - DELIVERY_DELAY)),
  cases: () => [
    {
      name: 'download everything, delete every version one by one, leave a note (Stratus s3-ransomware-individual-deletion shape)',
      records: [
        ...files.map((f, i) => s3('GetObject', { bucketName, key: f }, at(0, i), thief)),
        s3('ListObjectVersions', { bucketName, versions: '' }, at(1), thief),
        ...files.map((f, i) => s3('DeleteObject', { bucketName, key: f, versionId: `v${i}` }, at(2, i), thief)),
        s3('PutObject', { bucketName, key: 'FILES-DELETED.txt' }, at(3), thief),
        logsGoOn(),
      ],
      expect: [DELETION, NOTE],
    },
    {
      name: 'version listing then one DeleteObjects call (Stratus s3-ransomware-batch-deletion shape)',
      records: [
        s3('ListObjectVersions', { bucketName, versions: '' }, at(0), thief),
        s3('DeleteObjects', { bucketName, delete: '' }, at(1), thief),
        s3('PutObject', { bucketName, key: 'README-RECOVER-FILES.txt' }, at(2), thief),
        logsGoOn(),
      ],
      expect: [DELETION, NOTE],
    },
    {
      name: 'objects overwritten with SSE-C after being read (Stratus s3-ransomware-client-side-encryption shape)',
      records: [
        ...files.slice(0, 12).map((f, i) => s3('GetObject', { bucketName, key: f }, at(0, i), thief)),
        ...files.slice(0, 12).map((f, i) => s3('PutObject', { bucketName, key: f, [SSE_C]: 'AES256' }, at(1, i), thief)),
        s3('PutObject', { bucketName, key: 'ransom-note.txt' }, at(2), thief),
      ],
      expect: [ENCRYPTION, NOTE],
    },
    {
      name: 'in-place copies to a KMS key in an outside account',
      records: files.slice(0, 6).map((f, i) => s3('CopyObject', { bucketName, key: f, 'x-amz-copy-source': `${bucketName}/${f}`, 'x-amz-server-side-encryption': 'aws:kms', [KMS_KEY]: `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/attacker` }, at(0, i), thief)),
      expect: [ENCRYPTION],
    },
    {
      name: 'ransom notes under other names after a version purge: spaces, ATTENTION, NOTE, your files',
      records: [
        ...['HOW TO GET YOUR FILES BACK.txt', '!!!_ATTENTION_!!!.txt', 'NOTE.html', 'YOUR_DATA_IS_LOCKED.txt'].flatMap((note, n) => [
          s3('ListObjectVersions', { bucketName: `b${n}`, versions: '' }, at(n * 5), thief),
          s3('DeleteObjects', { bucketName: `b${n}`, delete: '' }, at(n * 5 + 1), thief),
          s3('PutObject', { bucketName: `b${n}`, key: note }, at(n * 5 + 2), thief),
        ]),
        logsGoOn(),
      ],
      expect: [DELETION, NOTE],
    },
    {
      name: 'large objects copied onto themselves in parts with SSE-C (aws s3 cp --sse-c over 8 MB)',
      records: files.slice(0, 6).flatMap((f, i) => [
        s3('CreateMultipartUpload', { bucketName, key: f, uploads: '', [SSE_C]: 'AES256' }, at(0, i * 6), thief),
        ...[1, 2].map((part) => s3('UploadPartCopy', { bucketName, key: f, partNumber: String(part), uploadId: `u${i}`, 'x-amz-copy-source': `${bucketName}/${f}`, [SSE_C]: 'AES256' }, at(0, i * 6 + part), thief)),
        s3('CompleteMultipartUpload', { bucketName, key: f, uploadId: `u${i}` }, at(0, i * 6 + 3), thief),
      ]),
      expect: [ENCRYPTION],
    },
    {
      name: 'large objects copied onto themselves in parts to a KMS key in an outside account',
      records: files.slice(0, 6).flatMap((f, i) => [
        s3('CreateMultipartUpload', { bucketName, key: f, uploads: '', 'x-amz-server-side-encryption': 'aws:kms', [KMS_KEY]: `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/attacker` }, at(0, i * 6), thief),
        s3('UploadPartCopy', { bucketName, key: f, partNumber: '1', uploadId: `u${i}`, 'x-amz-copy-source': `${bucketName}/${f}` }, at(0, i * 6 + 1), thief),
        s3('CompleteMultipartUpload', { bucketName, key: f, uploadId: `u${i}` }, at(0, i * 6 + 2), thief),
      ]),
      expect: [ENCRYPTION],
    },
    {
      name: 'large objects uploaded in parts with the account’s own KMS key and copied from another bucket',
      records: files.slice(0, 6).flatMap((f, i) => [
        s3('CreateMultipartUpload', { bucketName, key: f, uploads: '', 'x-amz-server-side-encryption': 'aws:kms', [KMS_KEY]: 'arn:aws:kms:us-east-1:111122223333:key/own' }, at(0, i * 6), thief),
        s3('UploadPartCopy', { bucketName, key: f, partNumber: '1', uploadId: `u${i}`, 'x-amz-copy-source': `${bucketName}/${f}` }, at(0, i * 6 + 1), thief),
        s3('CreateMultipartUpload', { bucketName, key: `copy/${f}`, uploads: '', [SSE_C]: 'AES256' }, at(0, i * 6 + 2), thief),
        s3('UploadPartCopy', { bucketName, key: `copy/${f}`, partNumber: '1', uploadId: `v${i}`, 'x-amz-copy-source': `staging/${f}`, [SSE_C]: 'AES256' }, at(0, i * 6 + 3), thief),
      ]),
      expect: [],
    },
    {
      name: 'Panther: single object deletions',
      datasets: [
        { panther: 'AWS.S3.DeleteObject', test: 'DeleteObject' },
        { panther: 'AWS.S3.DeleteObjects', test: 'DeleteObjects' },
      ],
      expect: [],
    },
    { name: 'Panther: one object copied onto itself to an outside account’s KMS key (Low)', datasets: [{ panther: 'AWS.S3.CopyObject.CrossAccount.Encryption.KMS', test: 'In-Place Copy with KMS Key Change' }], expect: [ENCRYPTION] },
    { name: 'Panther: one object copied with SSE-C, its source unrecorded (Low)', datasets: [{ panther: 'AWS.S3.CopyObjectWithClientSideEncryption', test: 'CopyObject with client-side encryption' }], expect: [ENCRYPTION] },
    {
      name: 'Panther: an in-place copy to the account’s own KMS key; a copy without SSE-C',
      datasets: [
        { panther: 'AWS.S3.CopyObject.CrossAccount.Encryption.KMS', test: 'Copy with Same Account Owner' },
        { panther: 'AWS.S3.CopyObjectWithClientSideEncryption', test: 'CopyObject without client-side encryption' },
      ],
      expect: [],
    },
    {
      name: 'one object read then written back with SSE-C (Low); one new object under an outside account’s KMS key (Low)',
      records: [
        s3('GetObject', { bucketName, key: files[0] }, at(0), thief),
        s3('PutObject', { bucketName, key: files[0], [SSE_C]: 'AES256' }, at(1), thief),
        s3('PutObject', { bucketName: 'acme-exports', key: 'dump.csv', 'x-amz-server-side-encryption': 'aws:kms', [KMS_KEY]: `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/attacker` }, at(2), iamUser('partner-feed')),
      ],
      expect: [ENCRYPTION],
    },
    {
      name: 'an SSE-C application re-keying an object in place the day after it wrote SSE-C objects; a denied SSE-C copy; AWS writing for a replication rule',
      records: [
        s3('PutObject', { bucketName: 'vault', key: 'doc-1', [SSE_C]: 'AES256' }, '2026-11-01T10:00:00Z', assumedRole('vault-writer', 'task')),
        s3('CopyObject', { bucketName: 'vault', key: 'doc-2', 'x-amz-copy-source': 'vault/doc-2', [SSE_C]: 'AES256' }, '2026-11-02T10:00:00Z', assumedRole('vault-writer', 'task')),
        { ...s3('CopyObject', { bucketName, key: files[0], 'x-amz-copy-source': `${bucketName}/${files[0]}`, [SSE_C]: 'AES256' }, at(5), iamUser('intern')), errorCode: 'AccessDenied', errorMessage: 'Access Denied' },
        { ...s3('PutObject', { bucketName: 'replica', key: files[1], 'x-amz-server-side-encryption': 'aws:kms', [KMS_KEY]: `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/dr` }, at(6), assumedRole('s3-replication', 'replication')), sourceIPAddress: 's3.amazonaws.com', userAgent: 's3.amazonaws.com' },
      ],
      expect: [],
    },
    {
      name: 'console "Empty bucket" followed by "Delete bucket"; terraform destroy with force_destroy',
      records: [
        s3('ListObjectVersions', { bucketName: 'old-site' }, at(0), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        s3('DeleteObjects', { bucketName: 'old-site', delete: '' }, at(1), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        s3('DeleteBucket', { bucketName: 'old-site' }, at(2), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        s3('ListObjectVersions', { bucketName: 'ci-scratch' }, at(3), assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT),
        s3('DeleteObjects', { bucketName: 'ci-scratch', delete: '' }, at(4), assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT),
        logsGoOn(),
      ],
      expect: [],
    },
    {
      name: 'console "Empty bucket", then "Delete bucket" 50 minutes later (still within the hour)',
      records: [
        s3('ListObjectVersions', { bucketName: 'old-site' }, at(0), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        s3('DeleteObjects', { bucketName: 'old-site', delete: '' }, at(1), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        // The logs go past the deletion's hour only after the DeleteBucket: nothing to report.
        logsGoOn(at(40)),
        s3('DeleteBucket', { bucketName: 'old-site' }, at(50), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        logsGoOn(),
      ],
      expect: [],
    },
    {
      // Live logs wait for a later run instead (test/s3-mass-deletion-split-runs.test.ts).
      name: 'a version purge in the last hour of past logs: reported at the end of the run, CloudTrail having long delivered its hour',
      records: [
        s3('ListObjectVersions', { bucketName, versions: '' }, at(0), thief),
        s3('DeleteObjects', { bucketName, delete: '' }, at(1), thief),
        logsGoOn(at(59)),
      ],
      expect: [DELETION],
    },
    {
      name: 'a version purge, and the same principal deletes another bucket (not this one) within the hour',
      records: [
        s3('ListObjectVersions', { bucketName, versions: '' }, at(0), thief),
        s3('DeleteObjects', { bucketName, delete: '' }, at(1), thief),
        s3('DeleteBucket', { bucketName: 'other-bucket' }, at(2), thief),
        logsGoOn(),
      ],
      expect: [DELETION],
    },
    {
      name: 'an admin deleting a few objects; an app that writes SSE-C objects of its own; a daily cleanup job',
      records: [
        ...['a.csv', 'b.csv', 'c.csv'].map((k, i) => s3('DeleteObject', { bucketName, key: k }, at(0, i), iamUser('alice'))),
        ...repeated(12, at(1), 0.1, (time, i) => s3('PutObject', { bucketName: 'vault', key: `doc-${i}`, [SSE_C]: 'AES256' }, time, assumedRole('vault-writer', 'task'))),
        ...repeated(120, '2026-11-01T02:00:00Z', 0.2, (time, i) => s3('DeleteObject', { bucketName: 'tmp-exports', key: `old-${i}` }, time, assumedRole('cleanup', 'job'))),
        ...repeated(120, '2026-11-02T02:00:00Z', 0.2, (time, i) => s3('DeleteObject', { bucketName: 'tmp-exports', key: `older-${i}` }, time, assumedRole('cleanup', 'job'))),
      ],
      // The cleanup job's first day is a new principal deleting 100+ keys (Medium); its second day is habit.
      expect: [DELETION],
    },
  ],
};
