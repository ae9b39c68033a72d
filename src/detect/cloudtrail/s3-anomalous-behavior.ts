import type { ApiEvent } from '../api-event.js';
import { ACCOUNT, assumedRole, awsService, CLI_AGENT, ctEvent, iamUser, instanceRole, repeated } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext, FindingTypeSpec } from '../detection.js';
import { s3DataClass } from './api-classes.js';
import {
  addVolumes,
  anomalyReport,
  asnLabel,
  countryOf,
  inCloudShell,
  dayOf,
  isUnusual,
  isUnusualCountry,
  isUnusualNetwork,
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
 * each kind (discovery, read, delete, write, permission) a day. After the principal's learning period, a
 * call fires when
 * - novelty: this kind of call on this bucket is unusual for the principal (or the bucket is) AND it comes
 *   from an unusual network (ASN or country) for the principal; for listing an unusual tool is enough
 *   (Discovery is Low); or
 * - volume: the principal's calls of this kind on this bucket over the past 24 hours exceed
 *   max(VOLUME_MIN[kind], VOLUME_FACTOR × its historical daily maximum) — a job that suddenly deletes or
 *   reads far more than it ever did. The finding is raised when the count crosses the threshold; or
 * - bulk from a new network: BULK_CALLS calls of a kind the principal already makes on the bucket (not
 *   listing) within 24 hours from one ASN unusual for it — stolen credentials draining the bucket their
 *   owner reads every day.
 * Presigned-URL requests (AuthenticationMethod QueryString) come from whoever holds the link: their network
 * and country are neither judged nor learned.
 * Findings are one per principal and bucket (aggregateBy the principal).
 * Unusual means not yet established in the profile (behavior-profile `established`: active on 3 distinct
 * days, or known for the learning period), not "first seen a moment ago": an intruder's first listing does
 * not make their network familiar for the reads that follow, and every call of theirs that day lands in
 * the finding. The principal's baseline decides: a bucket still learning (new, or read on fewer than 3 days,
 * as archives and HR or backup buckets are) does not silence it, but, having no baseline of its own to
 * confirm the anomaly, lowers the severity one level until the principal's calls of that kind on it reach
 * BULK_CALLS in 24 hours. AWS services writing logs or replicating, and anonymous requests to public
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

/** GuardDuty's default severities (guardduty.md §2.5). */
const SEVERITY: Record<Kind, number> = { Discovery: 2, Exfiltration: 8, Delete: 8, Write: 5, Permission: 8 };

const KIND_TEXT: Record<Kind, string> = { Discovery: 'listing', Exfiltration: 'read', Delete: 'delete', Write: 'write', Permission: 'permission' };

function kindOf(api: string): Kind {
  if (PERMISSION_APIS.has(api)) return 'Permission';
  const family = s3DataClass(api);
  if (family !== 'Impact') return family;
  return DELETE_APIS.has(api) ? 'Delete' : 'Write';
}

/** Calls of one kind on one bucket in 24 hours that keep a novel finding's full severity on a bucket still learning. */
const BULK_CALLS = 100;
/** One severity level lower: High (8) to Medium (5), Medium to Low (2); Low stays Low. */
const lower = (severity: number): number => Math.max(2, severity - 3);
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
  /** An older day arriving late (a backfill) and its calls so far: [day, calls]. */
  late?: [number, number];
}

interface Scope {
  profile: Profile;
  volume: Partial<Record<Kind, Volume>>;
  /** Calls of each kind from networks unusual for the principal: kind|asn → [first call, calls] in 24 hours. */
  offNet?: Record<string, [number, number]>;
}

/** Calls of one kind on a bucket from one network new for the principal within 24 hours (presigned URLs aside). */
function offNetwork(pair: Scope, kind: Kind, asn: string, time: number): [number, number] {
  const map = (pair.offNet ??= {});
  const key = `${kind}|${asn}`;
  for (const [k, [start]] of Object.entries(map)) if (time - start > 24 * HOUR_MS || start > time) delete map[k];
  const entry = (map[key] ??= [time, 0]);
  if (Object.keys(map).length > 8) delete map[Object.keys(map)[0]!];
  entry[1]++;
  return entry;
}

/** A presigned URL: the caller's address is whoever holds the link, not where the principal works from. */
function isPresigned(event: ApiEvent): boolean {
  return (event.additional as Record<string, unknown> | null)?.AuthenticationMethod === 'QueryString';
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
    delete v.late;
  }
  if (hour > v.hour) {
    for (let h = v.hour + 1; h <= Math.min(hour, v.hour + 24); h++) v.hours[h % 24] = 0;
    v.hour = hour;
  }
  if (v.hour - hour < 24) v.hours[hour % 24]!++;
  if (day === v.day) v.today++;
  if (day < v.day) countLate(v, day);
  return v;
}

/**
 * Folds a call of an older day into the history as it comes: older logs ingested after newer ones (a
 * backfill) are the history the daily maximum and average are made of. Within a run calls come in time
 * order, so a late day's calls arrive together.
 */
function countLate(v: Volume, day: number): void {
  if (v.late?.[0] !== day) {
    v.late = [day, 0];
    v.days++;
  }
  v.max = Math.max(v.max, ++v.late[1]);
  v.sum++;
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
  // A presigned URL is used from wherever its holder is (a customer's browser), and CloudShell from AWS's
  // addresses: that network and country say nothing of the principal, so they are neither judged nor learned.
  const place = isPresigned(event) || inCloudShell(event.userAgent) ? null : event.sourceIp;
  const asn = asnLabel(place, context.intel);
  const agent = uaCategory(event.userAgent);
  const country = countryOf(place, context.intel);
  const name = userNameLabel(event);

  const pairVolume = count(pair, kind, time);
  const bucketVolume = count(target, kind, time);
  const principalVolume = count(principal, kind, time);

  const { learningDays } = context.settings;
  // Only the principal's own learning period silences it: rarely used buckets are the usual targets.
  if (!learning(principal.profile, time, learningDays)) {
    const unusual = (profile: Profile, feature: string, value: string) => isUnusual(profile, feature, value, time, learningDays);
    const newPair = unusual(principal.profile, 'bucket', bucket);
    const newKind = unusual(pair.profile, 'kind', kind);
    const newAsn = asn !== null && isUnusualNetwork(principal.profile, asn, time, learningDays);
    const newCountry = isUnusualCountry(principal.profile, country, asn !== null, newAsn, time, learningDays);
    const newAgent = unusual(principal.profile, 'ua', agent);
    // A kind of call the principal does here, but in bulk from a network it never used (stolen
    // credentials draining the bucket their owner reads every day): BULK_CALLS calls in 24 hours.
    const offNet = !newKind && kind !== 'Discovery' && newAsn ? offNetwork(pair, kind, asn, time) : null;
    const bulkOffNetwork = offNet !== null && offNet[1] === BULK_CALLS;
    const novel = (newKind && (newAsn || newCountry || (kind === 'Discovery' && newAgent))) || bulkOffNetwork;
    const threshold = Math.max(VOLUME_MIN[kind], VOLUME_FACTOR * pairVolume.max);
    const surge = !newPair && !learning(pair.profile, time, learningDays) && past24(pairVolume) === threshold + 1;
    if (novel || surge) {
      const bucketLearning = learning(target.profile, time, learningDays);
      const severity = novel && !surge && bucketLearning && past24(pairVolume) < BULK_CALLS ? lower(SEVERITY[kind]) : SEVERITY[kind];
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
          { scope: 'UserIdentityProfiling', name: 'Buckets', values: newPair ? [bucket] : [] },
          { scope: 'BucketProfiling', name: 'ASNs', values: asn !== null && unusual(target.profile, 'asn', asn) ? [asn] : [] },
          { scope: 'BucketProfiling', name: 'UserNames', values: unusual(target.profile, 'principal', name) ? [name] : [] },
        ],
        { time, learningDays },
        { isUnusualUserIdentity: String(newPair) },
      );
      addVolumes(report, [
        { scope: 'BucketProfiling', dailyAverage: dailyAverage(bucketVolume), dailyMax: bucketVolume.max, past24Hours: past24(bucketVolume) },
        { scope: 'BucketUserIdentityProfiling', dailyAverage: dailyAverage(pairVolume), dailyMax: pairVolume.max, past24Hours: past24(pairVolume) },
        { scope: 'UserIdentityProfiling', dailyAverage: dailyAverage(principalVolume), dailyMax: principalVolume.max, past24Hours: past24(principalVolume) },
      ]);
      const why = bulkOffNetwork
        ? `${BULK_CALLS} ${KIND_TEXT[kind]} calls on the bucket in 24 hours from network ${asn}${newCountry ? ` in ${country}` : ''}, which is not in its profile`
        : novel
        ? `${KIND_TEXT[kind]} calls on the bucket are not in its profile, nor is ${[newAsn ? `network ${asn}` : null, newCountry ? `country ${country}` : null, newAgent ? `tool ${agent}` : null].filter(Boolean).join(', ')}` +
          (bucketLearning ? ' (the bucket itself has too little history for a baseline of its own)' : '')
        : `${past24(pairVolume)} such calls in 24 hours against a historical daily maximum of ${pairVolume.max}`;
      context.emit({
        type: TYPE[kind],
        event,
        severity,
        // One finding per principal and bucket: another identity's anomaly on the bucket is another finding.
        aggregateBy: who,
        // Bulk from a new network spans its calls: eventFirstSeen is the first of them.
        ...(bulkOffNetwork && offNet ? { since: offNet[0] } : {}),
        buckets: [bucketDetail(event, bucket)],
        additionalInfo: {
          profiledBehavior: report.profiledBehavior,
          unusualBehavior: report.unusualBehavior,
          ...(bucketLearning ? { bucketProfileLearning: true } : {}),
        },
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

function spec(kind: Kind, mitre: FindingTypeSpec['mitre'], remediation: string): FindingTypeSpec {
  return {
    type: TYPE[kind],
    dataSource: 'S3DataEvents',
    severity: SEVERITY[kind],
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
const HOME_IP = '86.1.1.1'; // Virgin Media, UK
const LAGOS_IP = '41.203.64.1'; // Globacom, Nigeria
const AMAZON_14618 = '3.80.0.1'; // Amazon's other ASN (AWS_IP is in 16509)
const SDK_AGENT = 'aws-sdk-java/2.25.6 Linux/6.1.0 OpenJDK_64-Bit_Server_VM/17.0.10';
const CLOUDSHELL_AGENT = 'aws-cli/2.15.30 Python/3.11.6 Linux/4.14.255-314-253.539.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/s3.rm';

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
const etl = assumedRole('etl-role', 'etl-job');
const hrApp = assumedRole('hr-app', 'hr-app-task');

/** Three weeks of the ETL role reading prod-data from its NAT, and of the HR app reading hr-records. */
const etlHistory = (end: string): CloudTrailRecord[] => [
  ...daily(etl, 'prod-data', end, 21, 30, 'GetObject', AWS_IP),
  ...daily(hrApp, 'hr-records', end, 21, 5, 'GetObject', AWS_IP),
];
const reads = (identity: Record<string, unknown>, bucket: string, count: number, start: string, ip: string): CloudTrailRecord[] =>
  repeated(count, start, 1 / 60, (time, i) => s3Call(identity, 'GetObject', bucket, time, ip, { key: `emp/${i}.pdf` }));

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
    name: 'CloudTrail delivering log files, and a delete in a bucket with no history yet from the usual office',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      { ...s3Call(awsService('cloudtrail.amazonaws.com'), 'PutObject', 'org-trail-logs', '2026-11-15T09:00:00Z', OFFICE_IP, { key: `AWSLogs/${ACCOUNT}/CloudTrail/x.json.gz` }), sourceIPAddress: 'cloudtrail.amazonaws.com' },
      s3Call(dana, 'DeleteObject', 'scratch-new-bucket', '2026-11-15T09:05:00Z', OFFICE_IP, { key: 'tmp/a.txt' }),
    ],
    expect: [],
  },
  // ---- The principal's baseline decides, whatever the bucket's own history ----
  {
    name: 'a delete in a bucket with no history yet, from a network new for a user past learning (Medium: no bucket baseline)',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      s3Call(dana, 'DeleteObject', 'scratch-new-bucket', '2026-11-15T09:05:00Z', VPS_IP, { key: 'tmp/a.txt' }),
    ],
    expect: ['Impact:S3/AnomalousBehavior.Delete'],
  },
  {
    name: 'the same delete from CloudShell: its Amazon address is not the user’s network',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      s3Call(dana, 'DeleteObject', 'scratch-new-bucket', '2026-11-15T09:05:00Z', AMAZON_14618, { key: 'tmp/a.txt' }, CLOUDSHELL_AGENT),
    ],
    expect: [],
  },
  {
    name: '400 reads from Lagos of a bucket no one has read before, by a role three weeks past learning',
    records: [...etlHistory('2026-11-15T09:00:00Z'), ...reads(etl, 'payroll-archive', 400, '2026-11-15T09:00:00Z', LAGOS_IP)],
    expect: ['Exfiltration:S3/AnomalousBehavior'],
  },
  {
    name: 'a role past learning reads a bucket with no history from its usual network',
    records: [...etlHistory('2026-11-15T09:00:00Z'), ...reads(etl, 'payroll-archive', 40, '2026-11-15T09:00:00Z', AWS_IP)],
    expect: [],
  },
  // ---- A value stays unusual until it is established (seen minutes or a day ago is not learned) ----
  {
    name: 'stolen role reads its usual bucket from Lagos, then a bucket it never read 15 minutes later',
    records: [
      ...etlHistory('2026-11-15T09:00:00Z'),
      s3Call(etl, 'GetObject', 'prod-data', '2026-11-15T09:00:00Z', LAGOS_IP, { key: 'daily/0/part-0.parquet' }),
      ...reads(etl, 'hr-records', 20, '2026-11-15T09:15:00Z', LAGOS_IP),
    ],
    expect: ['Exfiltration:S3/AnomalousBehavior'],
  },
  {
    name: 'the intruder tries the role one day and reads the HR bucket the next, from the same network',
    records: [
      ...etlHistory('2026-11-15T09:00:00Z'),
      s3Call(etl, 'GetObject', 'prod-data', '2026-11-15T09:00:00Z', LAGOS_IP, { key: 'daily/0/part-0.parquet' }),
      ...reads(etl, 'hr-records', 20, '2026-11-16T10:00:00Z', LAGOS_IP),
    ],
    expect: ['Exfiltration:S3/AnomalousBehavior'],
  },
  {
    name: 'a user reads a new bucket from a home network in use on three days',
    records: [
      ...daily(dana, 'finance-archive', '2026-11-15T09:00:00Z', 14, 4, 'GetObject', OFFICE_IP, CLI_AGENT),
      ...daily(pipeline, 'marketing-assets', '2026-11-15T09:00:00Z', 14, 4, 'PutObject', AWS_IP),
      ...['12', '13', '14'].map((day) => s3Call(dana, 'GetObject', 'finance-archive', `2026-11-${day}T19:00:00Z`, HOME_IP, { key: 'q3/summary.pdf' })),
      s3Call(dana, 'GetObject', 'marketing-assets', '2026-11-15T19:00:00Z', HOME_IP, { key: 'brand/logo.png' }),
    ],
    expect: [],
  },
  {
    name: 'a pipeline reads a new bucket from another of Amazon’s ASNs',
    records: [
      ...daily(pipeline, 'reports-staging', '2026-11-15T00:00:00Z', 14, 10, 'GetObject', AWS_IP),
      ...daily(dana, 'reports-archive', '2026-11-15T00:00:00Z', 14, 2, 'GetObject', OFFICE_IP, CLI_AGENT),
      s3Call(pipeline, 'GetObject', 'reports-archive', '2026-11-15T02:00:00Z', AMAZON_14618, { key: 'reports/2026-11-14.csv' }, SDK_AGENT),
    ],
    expect: [],
  },
];

export const s3AnomalousBehavior: ApiDetection = {
  id: 's3-anomalous-behavior',
  source: 'cloudtrail',
  payloads: { services: ['s3.amazonaws.com'] },
  types: [
    spec('Discovery', { tactic: 'TA0007 Discovery', technique: 'T1619 Cloud Storage Object Discovery' },
      'Confirm the identity’s owner listed this bucket from this place. Unexpected listing often precedes data theft: if unexpected, rotate the credentials.'),
    spec('Exfiltration', { tactic: 'TA0010 Exfiltration', technique: 'T1530 Data from Cloud Storage' },
      'Check which objects were read and whether the identity should read them from there. If not, rotate the credentials, review the bucket policy and assess the data exposed.'),
    spec('Delete', { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
      'Check whether the deletions were planned. If not, rotate the credentials, restore the objects from versions or backups, and enable versioning and MFA delete on the bucket.'),
    spec('Permission', { tactic: 'TA0040 Impact', technique: 'T1222 File and Directory Permissions Modification' },
      'Review the new bucket policy or ACL. Revert it if it was not planned, rotate the credentials used, and keep Block Public Access on.'),
    spec('Write', { tactic: 'TA0040 Impact', technique: 'T1565.001 Data Manipulation: Stored Data Manipulation' },
      'Check the objects written (for example ransom notes or replaced files). If unexpected, rotate the credentials and restore the objects from previous versions.'),
  ],
  onEvent,
  cases,
};
