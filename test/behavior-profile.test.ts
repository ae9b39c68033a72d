import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, repeated } from '../src/detect/case-builders.js';
import { runCase, typesRaised } from '../src/detect/cases.js';
import { anomalousBehavior } from '../src/detect/cloudtrail/anomalous-behavior.js';
import {
  isUnusual,
  isUnusualNetwork,
  learning,
  MIN_ACTIVE_DAYS,
  newProfile,
  observe,
  type Profile,
  relearnIfDormant,
  uaCategory,
} from '../src/detect/cloudtrail/behavior-profile.js';
import { s3AnomalousBehavior } from '../src/detect/cloudtrail/s3-anomalous-behavior.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import type { Occurrence } from '../src/findings/build.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe('learning: time and evidence', () => {
  test('a profile seen on fewer than MIN_ACTIVE_DAYS days keeps learning, however long ago it began', () => {
    assert.equal(MIN_ACTIVE_DAYS, 3);
    const start = at('2026-11-01T09:00:00Z');
    const profile = newProfile(start);
    for (let call = 0; call < 20; call++) observe(profile, 'api', `iam:Call${call}`, start + call * 60_000, 100);
    assert.equal(learning(profile, start + 30 * DAY, 7), true, 'twenty calls on one day are one day of evidence');
    observe(profile, 'api', 'iam:ListUsers', start + 1 * DAY, 100);
    assert.equal(learning(profile, start + 30 * DAY, 7), true, 'two days');
    observe(profile, 'api', 'iam:ListUsers', start + 2 * DAY, 100);
    assert.equal(learning(profile, start + 30 * DAY, 7), false, 'three days, and the learning period is over');
    assert.equal(learning(profile, start + 6 * DAY, 7), true, 'three days, but still within the learning period');
  });

  test('a profile back after more than 90 days unseen learns again from its return', () => {
    const start = at('2026-01-05T09:00:00Z');
    const profile = newProfile(start);
    for (let day = 0; day < 5; day++) observe(profile, 'api', 'iam:ListUsers', start + day * DAY, 100);
    relearnIfDormant(profile, start + 90 * DAY);
    assert.equal(learning(profile, start + 90 * DAY, 7), false, 'within 90 days of its last day: still known');
    const back = start + 100 * DAY;
    relearnIfDormant(profile, back);
    assert.equal(learning(profile, back, 7), true);
    observe(profile, 'api', 'iam:ListUsers', back, 100);
    assert.equal(learning(profile, back + 30 * DAY, 7), true, 'one active day since its return is no evidence');
  });

  test('a profile saved before active days were kept counts the days its values were last active', () => {
    const day = (iso: string) => Math.floor(at(iso) / DAY);
    const legacy: Profile = {
      first: at('2026-10-01T00:00:00Z'),
      f: {
        api: { n: 2, v: { 'iam:ListUsers': [at('2026-10-01T00:00:00Z'), day('2026-10-20T00:00:00Z'), 12], 'ec2:DescribeInstances': [at('2026-10-02T00:00:00Z'), day('2026-10-21T00:00:00Z'), 9] } },
        ua: { n: 1, v: { 'aws-cli': [at('2026-10-01T00:00:00Z'), day('2026-10-21T00:00:00Z'), 15] } },
      },
    };
    assert.equal(learning(legacy, at('2026-11-01T00:00:00Z'), 7), true, 'two distinct last-active days');
    observe(legacy, 'api', 'iam:ListUsers', at('2026-10-25T00:00:00Z'), 100);
    assert.equal(learning(legacy, at('2026-11-01T00:00:00Z'), 7), false);
  });
});

describe('older events arriving late (a backfill)', () => {
  const newest = at('2026-11-21T09:00:00Z');
  const stats = (profile: Profile, value: string) => profile.f.api!.v[value]!;
  const day = (time: number) => Math.floor(time / DAY);

  test('first seen moves back to the earliest event, last active stays the latest', () => {
    const profile = newProfile(newest);
    observe(profile, 'api', 'ec2:DescribeInstances', newest, 100);
    observe(profile, 'api', 'ec2:DescribeInstances', newest - 20 * DAY, 100);
    assert.equal(profile.first, newest - 20 * DAY);
    assert.deepEqual(stats(profile, 'ec2:DescribeInstances').slice(0, 3), [newest - 20 * DAY, day(newest), 2]);
    assert.equal(learning(profile, newest + DAY, 7), true, 'two active days');
    observe(profile, 'api', 'ec2:DescribeInstances', newest - 10 * DAY, 100);
    assert.equal(learning(profile, newest + DAY, 7), false, 'learning since the earliest event, not the first one processed');
  });

  test('older days count once each, however many events they hold; a later day back in order counts too', () => {
    const profile = newProfile(newest);
    observe(profile, 'api', 'ec2:DescribeInstances', newest, 100);
    // A backfill run: the older days, each day's events together, in time order.
    for (const older of [10, 9, 8]) for (let call = 0; call < 5; call++) observe(profile, 'api', 'ec2:DescribeInstances', newest - older * DAY + call * 60_000, 100);
    observe(profile, 'api', 'ec2:DescribeInstances', newest + 60_000, 100);
    assert.equal(stats(profile, 'ec2:DescribeInstances')[2], 4, 'the newest day and three older ones');
    observe(profile, 'api', 'ec2:DescribeInstances', newest + DAY, 100);
    assert.deepEqual(stats(profile, 'ec2:DescribeInstances'), [newest - 10 * DAY, day(newest + DAY), 5], 'back in time order, no late day kept');
  });

  test('a value used on three older days is established; used many times on one older day it is not', () => {
    const habit = newProfile(newest);
    for (const older of [3, 2, 1]) observe(habit, 'asn', 'AS1', newest - older * DAY, 50);
    assert.equal(isUnusual(habit, 'asn', 'AS1', newest, 7), false);
    const once = newProfile(newest);
    observe(once, 'asn', 'AS1', newest - 2 * 60_000, 50);
    for (let call = 0; call < 10; call++) observe(once, 'asn', 'AS1', newest - 2 * DAY + call * 60_000, 50);
    assert.equal(isUnusual(once, 'asn', 'AS1', newest, 7), true, 'two active days, first seen two days ago');
  });
});

describe('AnomalousBehavior needs a profile with evidence', () => {
  const alice = iamUser('alice');
  const OFFICE_IP = '81.2.69.160';
  const VPS_IP = '51.15.1.1';
  const office = (day: string, name: string): CloudTrailRecord => ctEvent({ service: 'ec2', name, identity: alice, time: `2026-11-${day}T09:00:00Z`, ip: OFFICE_IP });
  const stolenKey = ctEvent({
    service: 'iam', name: 'CreateAccessKey', identity: alice, time: '2026-11-20T09:00:00Z', ip: VPS_IP,
    userAgent: 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0', request: { userName: 'alice' },
  });
  const raised = (records: CloudTrailRecord[]) => typesRaised(runCase([anomalousBehavior], { name: 'profile', records, expect: [] }));

  test('three calls on one day, then a new API from a new network and tool weeks later: nothing (the AWS docs’ Alice)', () => {
    assert.deepEqual(raised([office('01', 'StartInstances'), office('01', 'StopInstances'), office('01', 'DescribeInstances'), stolenKey]), []);
  });

  test('the same calls spread over three days make a profile to depart from', () => {
    assert.deepEqual(raised([office('01', 'StartInstances'), office('02', 'StopInstances'), office('03', 'DescribeInstances'), stolenKey]), ['Persistence:IAMUser/AnomalousBehavior']);
  });
});

describe('a value is unusual until it is established', () => {
  const start = at('2026-11-01T09:00:00Z');
  const HOUR = 3_600_000;

  test('seen minutes, hours or a day ago is still unusual; three active days or the learning period establish it', () => {
    const profile = newProfile(start - 30 * DAY);
    assert.equal(isUnusual(profile, 'asn', 'AS1', start, 7), true, 'never seen');
    observe(profile, 'asn', 'AS1', start, 50);
    assert.equal(isUnusual(profile, 'asn', 'AS1', start + 15 * 60_000, 7), true, '15 minutes after the first call');
    for (let call = 1; call < 30; call++) observe(profile, 'asn', 'AS1', start + call * 10 * 60_000, 50);
    assert.equal(isUnusual(profile, 'asn', 'AS1', start + 6 * HOUR, 7), true, 'thirty calls on one day are still one day');
    observe(profile, 'asn', 'AS1', start + DAY, 50);
    assert.equal(isUnusual(profile, 'asn', 'AS1', start + DAY + HOUR, 7), true, 'two days');
    observe(profile, 'asn', 'AS1', start + 2 * DAY, 50);
    assert.equal(isUnusual(profile, 'asn', 'AS1', start + 2 * DAY + HOUR, 7), false, 'three active days: a habit');
  });

  test('a value seen once is established after the learning period (at least a day), and forgotten after 90 idle days', () => {
    const profile = newProfile(start - 30 * DAY);
    observe(profile, 'ua', 'Boto3', start, 30);
    assert.equal(isUnusual(profile, 'ua', 'Boto3', start + 6 * DAY, 7), true);
    assert.equal(isUnusual(profile, 'ua', 'Boto3', start + 7 * DAY, 7), false, 'known for a whole learning period');
    assert.equal(isUnusual(profile, 'ua', 'Boto3', start + 23 * HOUR, 0), true, 'a learning period of 0 still leaves today’s values unusual');
    assert.equal(isUnusual(profile, 'ua', 'Boto3', start + 25 * HOUR, 0), false);
    assert.equal(isUnusual(profile, 'ua', 'Boto3', start + 92 * DAY, 7), true, 'forgotten');
  });

  test('another ASN of an established organisation is the same network; an unknown organisation merges with nothing', () => {
    const profile = newProfile(start - 30 * DAY);
    for (let day = 0; day < 3; day++) {
      observe(profile, 'asn', 'asnNumber: 14618 asnOrg: Amazon.com, Inc.', start + day * DAY, 50);
      observe(profile, 'asn', 'asnNumber: 64500 asnOrg: unknown', start + day * DAY, 50);
    }
    const later = start + 3 * DAY;
    assert.equal(isUnusualNetwork(profile, 'asnNumber: 16509 asnOrg: Amazon.com, Inc.', later, 7), false);
    assert.equal(isUnusualNetwork(profile, 'asnNumber: 37148 asnOrg: Globacom Limited', later, 7), true);
    assert.equal(isUnusualNetwork(profile, 'asnNumber: 64501 asnOrg: unknown', later, 7), true);
  });

  test('a service console’s own agent is the console', () => {
    assert.equal(uaCategory('console.ec2.amazonaws.com'), 'AWS Console');
    assert.equal(uaCategory('Mozilla/5.0 (Macintosh) AppleWebKit/537.36 Chrome/126.0.0.0 Safari/537.36'), 'AWS Console');
    assert.equal(uaCategory('ec2.amazonaws.com'), 'AWS Console');
    assert.equal(uaCategory('python-requests/2.31.0'), 'http-client');
    assert.equal(uaCategory('aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.1.115 exec-env/CloudShell md/command#s3.ls'), 'AWS Console', 'CloudShell');
  });
});

// ---- Whole findings ----

const OFFICE_IP = '81.2.69.160';
const LAGOS_IP = '41.203.64.1';
const NAT_IP = '52.94.1.1';
const HTTP_AGENT = 'python-requests/2.31.0';
const sam = iamUser('dev-sam');

function run(detection: typeof anomalousBehavior, records: CloudTrailRecord[]): Occurrence[] {
  return runCase([detection], { name: 'whole findings', records, expect: [] });
}
const byType = (occurrences: Occurrence[]) => new Map(occurrences.map((o) => [o.finding.type, o.finding]));
const info = (finding: { service: { additionalInfo?: unknown } }) => finding.service.additionalInfo as Record<string, Record<string, string> & { anomalousAPIs?: string }>;

/** Three weeks of office work: read-only calls on every day. */
const officeWork: CloudTrailRecord[] = repeated(21 * 4, '2026-11-01T09:00:00Z', 360, (time, i) =>
  ctEvent({ service: i % 2 ? 'ec2' : 's3', name: i % 2 ? 'DescribeInstances' : 'ListBuckets', identity: sam, time, ip: OFFICE_IP }));
const attacker = (service: string, name: string, time: string, request?: Record<string, unknown>): CloudTrailRecord =>
  ctEvent({ service, name, identity: sam, time: `2026-11-22T${time}Z`, ip: LAGOS_IP, userAgent: HTTP_AGENT, request });

describe('IAM AnomalousBehavior: bursts as GuardDuty reports them, judged against what is established', () => {
  test('a burst of five tactics is one finding: every call anomalous, the highest-risk one primary and naming the type', () => {
    const found = byType(run(anomalousBehavior, [
      ...officeWork,
      attacker('ec2', 'CreateSnapshot', '03:00:00', { volumeId: 'vol-0abc' }),
      attacker('cloudtrail', 'StopLogging', '03:00:20', { name: 'org-trail' }),
      attacker('iam', 'AttachUserPolicy', '03:00:40', { userName: 'dev-sam', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
      attacker('secretsmanager', 'GetSecretValue', '03:01:00', { secretId: 'prod/db' }),
      attacker('ec2', 'TerminateInstances', '03:01:20', { instancesSet: { items: [{ instanceId: 'i-0abc' }] } }),
    ]));
    assert.deepEqual([...found.keys()], ['Exfiltration:IAMUser/AnomalousBehavior']);
    const finding = found.get('Exfiltration:IAMUser/AnomalousBehavior')!;
    assert.equal(finding.service.action.awsApiCallAction!.api, 'CreateSnapshot');
    assert.equal(finding.severity, 8);
    const apis = info(finding).anomalies!.anomalousAPIs!;
    for (const api of ['CreateSnapshot', 'StopLogging', 'AttachUserPolicy', 'GetSecretValue', 'TerminateInstances']) assert.ok(apis.includes(`${api}:success`), `${api} in ${apis}`);
  });

  test('repeats of one tactic update one finding: within a burst, and bursts apart', () => {
    const found = run(anomalousBehavior, [
      ...officeWork,
      attacker('ec2', 'TerminateInstances', '03:00:00'),
      attacker('ec2', 'DeleteSecurityGroup', '03:02:00'),
      attacker('ec2', 'DeleteVolume', '04:30:00'),
    ]);
    assert.deepEqual(found.map((o) => [o.finding.type, o.finding.service.count]), [['Impact:IAMUser/AnomalousBehavior', 2]]);
  });

  test('after a GetCallerIdentity from the new network, the network is still reported unusual and not profiled', () => {
    const [finding] = run(anomalousBehavior, [
      ...officeWork,
      attacker('sts', 'GetCallerIdentity', '03:00:00'),
      attacker('iam', 'AttachUserPolicy', '03:15:00', { userName: 'dev-sam', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    ]).map((o) => o.finding);
    assert.equal(finding?.type, 'PrivilegeEscalation:IAMUser/AnomalousBehavior');
    const { unusualBehavior, profiledBehavior } = info(finding!);
    assert.equal(unusualBehavior!.unusualASNsUserIdentityProfiling, 'asnNumber: 37148 asnOrg: Globacom Limited');
    assert.equal(unusualBehavior!.unusualUserAgentsUserIdentityProfiling, 'http-client');
    assert.ok(!Object.values(profiledBehavior!).some((v) => v.includes('Globacom')), 'the attacker’s network is not shown as profiled');
    assert.equal(profiledBehavior!.frequentProfiledASNsUserIdentityProfiling, 'asnNumber: 20712 asnOrg: Andrews & Arnold Ltd');
  });
});

describe('S3 AnomalousBehavior: the principal’s baseline decides', () => {
  const etl = assumedRole('etl-role', 'etl-job');
  const s3Get = (bucket: string, time: string, ip: string, key: string): CloudTrailRecord =>
    ctEvent({ service: 's3', name: 'GetObject', identity: etl, time, ip, data: true, request: { bucketName: bucket, key, Host: `${bucket}.s3.amazonaws.com` } });
  const etlWork = repeated(21 * 6, '2026-11-01T02:00:00Z', 240, (time, i) => s3Get('prod-data', time, NAT_IP, `daily/${i}.parquet`));
  const readsOf = (bucket: string, count: number) => repeated(count, '2026-11-22T03:00:00Z', 1 / 60, (time, i) => s3Get(bucket, time, LAGOS_IP, `emp/${i}.pdf`));

  test('a few reads of a bucket with no history: Medium, marked as without a bucket baseline', () => {
    const [finding, ...others] = run(s3AnomalousBehavior, [...etlWork, ...readsOf('hr-records', 20)]).map((o) => o.finding);
    assert.equal(others.length, 0);
    assert.equal(finding!.type, 'Exfiltration:S3/AnomalousBehavior');
    assert.equal(finding!.severity, 5);
    assert.equal(finding!.service.count, 20);
    assert.equal((finding!.service.additionalInfo as Record<string, unknown>).bucketProfileLearning, true);
  });

  test('a bulk read of a bucket with no history: High', () => {
    const [finding] = run(s3AnomalousBehavior, [...etlWork, ...readsOf('hr-records', 400)]).map((o) => o.finding);
    assert.equal(finding!.type, 'Exfiltration:S3/AnomalousBehavior');
    assert.equal(finding!.severity, 8);
    assert.equal(finding!.service.count, 400);
  });

  test('reads of a bucket with a baseline of its own: High from the first read, no learning mark', () => {
    const hrApp = assumedRole('hr-app', 'hr-app-task');
    const hrWork = repeated(21 * 5, '2026-11-01T02:30:00Z', 288, (time, i) =>
      ctEvent({ service: 's3', name: 'GetObject', identity: hrApp, time, ip: NAT_IP, data: true, request: { bucketName: 'hr-records', key: `emp/${i}.pdf`, Host: 'hr-records.s3.amazonaws.com' } }));
    const [finding] = run(s3AnomalousBehavior, [...etlWork, ...hrWork, ...readsOf('hr-records', 5)]).map((o) => o.finding);
    assert.equal(finding!.severity, 8);
    assert.equal((finding!.service.additionalInfo as Record<string, unknown>).bucketProfileLearning, undefined);
  });
});
