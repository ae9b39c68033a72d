import type { ApiEvent } from '../api-event.js';
import { ACCOUNT, assumedRole, awsService, CLI_AGENT, ctEvent, iamUser, instanceRole, repeated } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext, FindingTypeSpec } from '../detection.js';
import { s3DataClass } from './api-classes.js';
import {
  addVolumes,
  anomalyReport,
  asnLabel,
  countryOf,
  dayOf,
  isNew,
  learning,
  newProfile,
  observe,
  type Profile,
  uaCategory,
  userNameLabel,
} from './behavior-profile.js';
import { type BoundedMap, boundedMap, getEntry, isAwsServiceCall, setEntry } from './gumshoe-common.js';
import { bucketDetail, bucketOf } from './s3-resources.js';

/**
 * The five `*:S3/AnomalousBehavior*` types (guardduty.md §2.5, §8). S3 data events, and the bucket
 * permission calls (policy, ACL, ownership, block public access), are profiled per principal, per bucket
 * and per principal × bucket: who uses a bucket, from which ASN, country and tool, and how many calls of
 * each kind (discovery, read, delete, write, permission) a day. After the learning period of both the
 * bucket and the principal, a call fires when
 * - novelty: the principal never made this kind of call on this bucket (or never used the bucket) AND it
 *   comes from a new network (ASN or country) for the principal; for listing a new tool is enough
 *   (Discovery is Low); or
 * - volume: the principal's calls of this kind on this bucket over the past 24 hours exceed
 *   max(VOLUME_MIN[kind], VOLUME_FACTOR × its historical daily maximum) — a job that suddenly deletes or
 *   reads far more than it ever did. The finding is raised when the count crosses the threshold.
 * Values first seen less than NEW_MS before a call still count as new, so every call of an intruder's first
 * minutes lands in the finding. AWS services writing logs or replicating, and anonymous requests to public
 * objects (which GuardDuty does not analyse), are skipped.
 */
type Kind = 'Discovery' | 'Exfiltration' | 'Delete' | 'Write' | 'Permission';

const TYPE: Record<Kind, string> = {
  Discovery: 'Discovery:S3/AnomalousBehavior',
  Exfiltration: 'Exfiltration:S3/AnomalousBehavior',
  Delete: 'Impact:S3/AnomalousBehavior.Delete',
  Write: 'Impact:S3/AnomalousBehavior.Write',
  Permission: 'Impact:S3/AnomalousBehavior.Permission',
};

/** Management calls on a bucket that change who may access it. */
const PERMISSION_APIS = new Set([
  'PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketAcl', 'PutObjectAcl', 'PutBucketOwnershipControls',
  'DeleteBucketOwnershipControls', 'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock',
]);
const DELETE_APIS = new Set(['DeleteObject', 'DeleteObjects', 'DeleteObjectVersion']);

const KIND_TEXT: Record<Kind, string> = { Discovery: 'listing', Exfiltration: 'read', Delete: 'delete', Write: 'write', Permission: 'permission' };

function kindOf(api: string): Kind {
  if (PERMISSION_APIS.has(api)) return 'Permission';
  const family = s3DataClass(api);
  if (family !== 'Impact') return family;
  return DELETE_APIS.has(api) ? 'Delete' : 'Write';
}

const NEW_MS = 10 * 60_000;
const VOLUME_FACTOR = 10;
const VOLUME_MIN: Record<Kind, number> = { Discovery: 500, Exfiltration: 1000, Delete: 100, Write: 2000, Permission: 20 };
const HOUR_MS = 3_600_000;
const PAIRS_PER_PRINCIPAL = 300;
const CAPS = { asn: 50, ua: 30, country: 30, bucket: 300, principal: 500, kind: 5 };

/** Calls of one kind: calendar-day totals folded into history, and 24 hourly slots for the last day. */
interface Volume {
  day: number;
  today: number;
  max: number;
  sum: number;
  days: number;
  hour: number;
  hours: number[];
}

interface Scope {
  profile: Profile;
  volume: Partial<Record<Kind, Volume>>;
}

interface PrincipalScope extends Scope {
  buckets: BoundedMap<Scope>;
}

const scope = (time: number): Scope => ({ profile: newProfile(time), volume: {} });

function count(scope: Scope, kind: Kind, time: number): Volume {
  const day = dayOf(time);
  const hour = Math.floor(time / HOUR_MS);
  const v = (scope.volume[kind] ??= { day, today: 0, max: 0, sum: 0, days: 0, hour, hours: new Array<number>(24).fill(0) });
  if (day > v.day) {
    if (v.today > 0) {
      v.max = Math.max(v.max, v.today);
      v.sum += v.today;
      v.days++;
    }
    v.today = 0;
    v.day = day;
  }
  if (hour > v.hour) {
    for (let h = v.hour + 1; h <= Math.min(hour, v.hour + 24); h++) v.hours[h % 24] = 0;
    v.hour = hour;
  }
  if (v.hour - hour < 24) v.hours[hour % 24]!++;
  if (day === v.day) v.today++;
  return v;
}

const past24 = (v: Volume | undefined): number => (v ? v.hours.reduce((a, b) => a + b, 0) : 0);
const dailyAverage = (v: Volume | undefined): number => (v && v.days > 0 ? Math.round(v.sum / v.days) : 0);

function isAnonymous(event: ApiEvent): boolean {
  return event.actor.principalId === 'ANONYMOUS_PRINCIPAL' || event.actor.accountId === 'anonymous';
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.service !== 's3.amazonaws.com') return;
  if (!event.isS3DataEvent && !PERMISSION_APIS.has(event.api)) return;
  if (!event.sourceIp || isAwsServiceCall(event) || isAnonymous(event)) return;
  const bucket = bucketOf(event);
  if (!bucket) return;

  const { time } = event;
  const kind = kindOf(event.api);
  const who = event.principalKey;
  const principal = context.state<PrincipalScope>(`p:${who}`, () => ({ ...scope(time), buckets: boundedMap() }));
  const target = context.state<Scope>(`b:${bucket}`, () => scope(time));
  let pair = getEntry(principal.buckets, bucket);
  if (!pair) {
    pair = scope(time);
    setEntry(principal.buckets, bucket, pair, PAIRS_PER_PRINCIPAL);
  }
  const asn = asnLabel(event.sourceIp, context.intel);
  const agent = uaCategory(event.userAgent);
  const country = countryOf(event.sourceIp, context.intel);
  const name = userNameLabel(event);

  const pairVolume = count(pair, kind, time);
  const bucketVolume = count(target, kind, time);
  const principalVolume = count(principal, kind, time);

  const { learningDays } = context.settings;
  if (!learning(principal.profile, time, learningDays) && !learning(target.profile, time, learningDays)) {
    const since = time - NEW_MS;
    const newPair = pair.profile.first >= since;
    const newKind = isNew(pair.profile, 'kind', kind, since);
    const newAsn = asn !== null && isNew(principal.profile, 'asn', asn, since);
    const newCountry = country !== null && isNew(principal.profile, 'country', country, since);
    const newAgent = isNew(principal.profile, 'ua', agent, since);
    const novel = newKind && (newAsn || newCountry || (kind === 'Discovery' && newAgent));
    const threshold = Math.max(VOLUME_MIN[kind], VOLUME_FACTOR * pairVolume.max);
    const surge = !newPair && !learning(pair.profile, time, learningDays) && past24(pairVolume) === threshold + 1;
    if (novel || surge) {
      const report = anomalyReport(
        [
          { scope: 'UserIdentityProfiling', name: 'ASNs', profile: principal.profile, feature: 'asn' },
          { scope: 'UserIdentityProfiling', name: 'UserAgents', profile: principal.profile, feature: 'ua' },
          { scope: 'UserIdentityProfiling', name: 'Buckets', profile: principal.profile, feature: 'bucket' },
          { scope: 'BucketProfiling', name: 'ASNs', profile: target.profile, feature: 'asn' },
          { scope: 'BucketProfiling', name: 'UserNames', profile: target.profile, feature: 'principal' },
        ],
        [
          { scope: 'UserIdentityProfiling', name: 'ASNs', values: newAsn ? [asn] : [] },
          { scope: 'UserIdentityProfiling', name: 'UserAgents', values: newAgent ? [agent] : [] },
          { scope: 'UserIdentityProfiling', name: 'Buckets', values: isNew(principal.profile, 'bucket', bucket, since) ? [bucket] : [] },
          { scope: 'BucketProfiling', name: 'ASNs', values: asn !== null && isNew(target.profile, 'asn', asn, since) ? [asn] : [] },
          { scope: 'BucketProfiling', name: 'UserNames', values: isNew(target.profile, 'principal', name, since) ? [name] : [] },
        ],
        since,
        { isUnusualUserIdentity: String(newPair) },
      );
      addVolumes(report, [
        { scope: 'BucketProfiling', dailyAverage: dailyAverage(bucketVolume), dailyMax: bucketVolume.max, past24Hours: past24(bucketVolume) },
        { scope: 'BucketUserIdentityProfiling', dailyAverage: dailyAverage(pairVolume), dailyMax: pairVolume.max, past24Hours: past24(pairVolume) },
        { scope: 'UserIdentityProfiling', dailyAverage: dailyAverage(principalVolume), dailyMax: principalVolume.max, past24Hours: past24(principalVolume) },
      ]);
      const why = novel
        ? `its first ${KIND_TEXT[kind]} call on the bucket, from ${[newAsn ? `network ${asn}` : null, newCountry ? `country ${country}` : null, newAgent ? `tool ${agent}` : null].filter(Boolean).join(', ')} not seen for it before`
        : `${past24(pairVolume)} such calls in 24 hours against a historical daily maximum of ${pairVolume.max}`;
      context.emit({
        type: TYPE[kind],
        event,
        buckets: [bucketDetail(event, bucket)],
        additionalInfo: { profiledBehavior: report.profiledBehavior, unusualBehavior: report.unusualBehavior },
        detection: { anomaly: report.anomaly },
        vars: { why },
      });
    }
  }

  observe(pair.profile, 'kind', kind, time, CAPS.kind);
  observe(principal.profile, 'ua', agent, time, CAPS.ua);
  observe(principal.profile, 'bucket', bucket, time, CAPS.bucket);
  if (asn !== null) {
    observe(principal.profile, 'asn', asn, time, CAPS.asn);
    observe(target.profile, 'asn', asn, time, CAPS.asn);
  }
  if (country !== null) observe(principal.profile, 'country', country, time, CAPS.country);
  observe(target.profile, 'principal', name, time, CAPS.principal);
}

function spec(kind: Kind, severity: number, mitre: FindingTypeSpec['mitre'], remediation: string): FindingTypeSpec {
  return {
    type: TYPE[kind],
    dataSource: 'S3DataEvents',
    severity,
    resourceType: 'S3Bucket',
    mitre,
    title: `An anomalous S3 ${KIND_TEXT[kind]} call ({api}) was made on bucket {bucket} by {principal}.`,
    description: `{principal} called {api} on S3 bucket {bucket} from {ip} in a way that is unusual for this identity and bucket: {why}.`,
    remediation,
  };
}

// ---- Cases ----

const AWS_IP = '52.94.1.1';
const OFFICE_IP = '81.2.69.160';
const VPS_IP = '51.15.1.1';
const SDK_AGENT = 'aws-sdk-java/2.25.6 Linux/6.1.0 OpenJDK_64-Bit_Server_VM/17.0.10';

/** `perDay` calls a day for `days` days up to `end`, of `name` on `bucket`. */
function daily(identity: Record<string, unknown>, bucket: string, end: string, days: number, perDay: number, name: string, ip: string, agent = SDK_AGENT): CloudTrailRecord[] {
  const start = new Date(Date.parse(end) - days * 86_400_000).toISOString().replace('.000Z', 'Z');
  return repeated(days * perDay, start, (24 * 60) / perDay, (time, i) =>
    ctEvent({ service: 's3', name, identity, time, ip, userAgent: agent, data: true, request: { bucketName: bucket, key: `exports/2026/part-${i}.parquet`, Host: `${bucket}.s3.amazonaws.com` } }),
  );
}

const s3Call = (identity: Record<string, unknown>, name: string, bucket: string, time: string, ip: string, request: Record<string, unknown> = {}, agent = CLI_AGENT): CloudTrailRecord =>
  ctEvent({ service: 's3', name, identity, time, ip, userAgent: agent, data: !PERMISSION_APIS.has(name), request: { bucketName: bucket, Host: `${bucket}.s3.amazonaws.com`, ...request } });

const OTRF_BUCKET = 'mordors3stack-s3bucket-llp2yingx64a';
const OTRF_ACCOUNT = '123456789123';
const wafRole = instanceRole('MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0', 'i-0317f6c6b66ae9c40', OTRF_ACCOUNT);
const bankingApp = instanceRole('MordorBankingAppRole', 'i-044b1baf4c96e1b62', OTRF_ACCOUNT);
const pipeline = assumedRole('reports-pipeline', 'nightly');
const dana = iamUser('dana');

const cases: ApiDetection['cases'] = () => [
  {
    name: 'OTRF, with three weeks of history: stolen WAF instance credentials list and read the banking bucket from abroad',
    records: [
      ...daily(bankingApp, OTRF_BUCKET, '2020-09-14T00:00:00Z', 21, 6, 'GetObject', AWS_IP),
      ...daily(wafRole, 'mordor-waf-config', '2020-09-14T00:00:00Z', 21, 2, 'GetObject', AWS_IP),
    ],
    datasets: [{ otrf: 'malicious' }],
    expect: ['Discovery:S3/AnomalousBehavior', 'Exfiltration:S3/AnomalousBehavior'],
  },
  {
    name: 'stolen key lists a bucket, deletes its objects and leaves a ransom note',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      s3Call(dana, 'ListObjects', 'finance-archive', '2026-11-15T09:00:00Z', VPS_IP, { 'list-type': '2', prefix: '' }),
      s3Call(dana, 'DeleteObjects', 'finance-archive', '2026-11-15T09:02:00Z', VPS_IP, { delete: '' }),
      s3Call(dana, 'PutObject', 'finance-archive', '2026-11-15T09:03:00Z', VPS_IP, { key: 'RANSOM_NOTE.txt' }),
    ],
    expect: ['Discovery:S3/AnomalousBehavior', 'Impact:S3/AnomalousBehavior.Delete', 'Impact:S3/AnomalousBehavior.Write'],
  },
  {
    name: 'a bucket policy rewritten from a new network by a user who only ever read the bucket',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      s3Call(dana, 'PutBucketPolicy', 'finance-archive', '2026-11-15T09:00:00Z', VPS_IP, { bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::finance-archive/*' }] } }),
    ],
    expect: ['Impact:S3/AnomalousBehavior.Permission'],
  },
  {
    name: 'a pipeline role that deletes ten objects a day deletes 300 in an hour',
    records: [
      ...daily(pipeline, 'reports-staging', '2026-11-15T00:00:00Z', 14, 10, 'DeleteObject', AWS_IP),
      ...repeated(300, '2026-11-15T02:00:00Z', 0.2, (time, i) => s3Call(pipeline, 'DeleteObject', 'reports-staging', time, AWS_IP, { key: `reports/${i}.csv` }, SDK_AGENT)),
    ],
    expect: ['Impact:S3/AnomalousBehavior.Delete'],
  },
  {
    name: 'routine: the pipeline’s usual deletes and writes, from its usual place',
    records: [
      ...daily(pipeline, 'reports-staging', '2026-11-15T00:00:00Z', 14, 10, 'DeleteObject', AWS_IP),
      ...daily(pipeline, 'reports-staging', '2026-11-16T00:00:00Z', 15, 12, 'PutObject', AWS_IP),
      ...repeated(25, '2026-11-15T02:00:00Z', 2, (time, i) => s3Call(pipeline, 'DeleteObject', 'reports-staging', time, AWS_IP, { key: `reports/${i}.csv` }, SDK_AGENT)),
    ],
    expect: [],
  },
  { name: 'OTRF without history: everything is still being learned', datasets: [{ otrf: 'malicious' }], expect: [] },
  {
    name: 'a known user reads a new bucket from the office with a new script',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      ...daily(pipeline, 'marketing-assets', '2026-11-15T09:00:00Z', 14, 4, 'PutObject', AWS_IP),
      s3Call(dana, 'GetObject', 'marketing-assets', '2026-11-15T09:00:00Z', OFFICE_IP, { key: 'brand/logo.png' }, 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0'),
      s3Call(dana, 'PutObject', 'marketing-assets', '2026-11-15T09:01:00Z', OFFICE_IP, { key: 'brand/logo-v2.png' }, 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0'),
    ],
    expect: [],
  },
  {
    name: 'CloudTrail delivering log files, and a new bucket during its learning period',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      { ...s3Call(awsService('cloudtrail.amazonaws.com'), 'PutObject', 'org-trail-logs', '2026-11-15T09:00:00Z', OFFICE_IP, { key: `AWSLogs/${ACCOUNT}/CloudTrail/x.json.gz` }), sourceIPAddress: 'cloudtrail.amazonaws.com' },
      s3Call(dana, 'DeleteObject', 'scratch-new-bucket', '2026-11-15T09:05:00Z', VPS_IP, { key: 'tmp/a.txt' }),
    ],
    expect: [],
  },
];

export const s3AnomalousBehavior: ApiDetection = {
  id: 's3-anomalous-behavior',
  source: 'cloudtrail',
  payloads: { services: ['s3.amazonaws.com'] },
  types: [
    spec('Discovery', 2, { tactic: 'TA0007 Discovery', technique: 'T1619 Cloud Storage Object Discovery' },
      'Confirm the identity’s owner listed this bucket from this place. Unexpected listing often precedes data theft: if unexpected, rotate the credentials.'),
    spec('Exfiltration', 8, { tactic: 'TA0010 Exfiltration', technique: 'T1530 Data from Cloud Storage' },
      'Check which objects were read and whether the identity should read them from there. If not, rotate the credentials, review the bucket policy and assess the data exposed.'),
    spec('Delete', 8, { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
      'Check whether the deletions were planned. If not, rotate the credentials, restore the objects from versions or backups, and enable versioning and MFA delete on the bucket.'),
    spec('Permission', 8, { tactic: 'TA0040 Impact', technique: 'T1222 File and Directory Permissions Modification' },
      'Review the new bucket policy or ACL. Revert it if it was not planned, rotate the credentials used, and keep Block Public Access on.'),
    spec('Write', 5, { tactic: 'TA0040 Impact', technique: 'T1565.001 Data Manipulation: Stored Data Manipulation' },
      'Check the objects written (for example ransom notes or replaced files). If unexpected, rotate the credentials and restore the objects from previous versions.'),
  ],
  onEvent,
  cases,
};
