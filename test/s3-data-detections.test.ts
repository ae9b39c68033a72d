import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, repeated } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { s3AnomalousBehavior } from '../src/detect/cloudtrail/s3-anomalous-behavior.js';
import { s3Ransomware } from '../src/detect/cloudtrail/s3-ransomware.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';

/**
 * S3 data-event detections under the benign jobs and attack variants of a realistic account (the
 * seventeenth session's S3 data audit): routine retention and backup rotation raise nothing above Low,
 * stolen credentials draining a bucket their owner reads every day are found, and two identities'
 * anomalies on one bucket are two findings.
 */
const NAT = '52.94.1.1'; // Amazon 16509
const OFFICE = '81.2.69.160'; // Andrews & Arnold, London
const DIGITALOCEAN = '159.89.10.20'; // DigitalOcean, Frankfurt
const TOKYO_HOME = '126.0.0.1'; // SoftBank, Japan
const SDK = 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64';

const s3 = (identity: Record<string, unknown>, name: string, bucket: string, key: string | null, time: string, ip: string, request: Record<string, unknown> = {}, additional?: Record<string, unknown>): CloudTrailRecord =>
  ctEvent({ service: 's3', name, identity, time, ip, userAgent: SDK, data: true, additional, request: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, ...(key ? { key } : {}), ...request } });

const day = (d: number, hour = 0) => new Date(Date.UTC(2026, 9, 1 + d, hour)).toISOString().replace('.000Z', 'Z');
/** The logs going on after the records (any call a day later): a mass deletion is decided once they pass its hour. */
const logsGoOn = (records: CloudTrailRecord[]) => [...records, ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: assumedRole('monitoring', 'poller'), time: new Date(Date.parse(String(records.at(-1)!.eventTime)) + 86_400_000).toISOString().replace('.000Z', 'Z'), ip: NAT })];
const run = (detection: typeof s3Ransomware, records: CloudTrailRecord[]) => runCase([detection], { name: 'audit', records: logsGoOn(records), expect: [] }).map((o) => o.finding);

describe('S3 mass deletion by routine jobs', () => {
  const retention = assumedRole('retention-job-role', 'retention');
  const backup = assumedRole('backup-role', 'nightly-backup');

  test('a retention job deleting 150 old logs on the lake’s first day is Low at most', () => {
    const records = repeated(150, day(0, 3), 1 / 60, (time, i) => s3(retention, 'DeleteObject', 'app-logs-archive', `logs/2026-07-03/app-${i}.log.gz`, time, NAT));
    const findings = run(s3Ransomware, records).filter((f) => f.type === 'Impact:S3/MassObjectDeletion.Gumshoe');
    assert.ok(findings.every((f) => f.severity <= 2), `severities ${findings.map((f) => f.severity)}`);
  });

  test('a backup job that writes the vault nightly and deletes its backups three days old raises nothing', () => {
    const records: CloudTrailRecord[] = [];
    for (let d = 0; d < 10; d++) {
      records.push(...repeated(300, day(d, 1), 0.05, (time, i) => s3(backup, 'CopyObject', 'backup-vault', `daily/${d}/doc-${i}.pdf`, time, NAT, { 'x-amz-copy-source': `prod-docs/doc-${i}.pdf` })));
      if (d >= 3) records.push(...repeated(300, day(d, 2), 0.03, (time, i) => s3(backup, 'DeleteObject', 'backup-vault', `daily/${d - 3}/doc-${i}.pdf`, time, NAT)));
    }
    assert.deepEqual(run(s3Ransomware, records).map((f) => `${f.type} ${f.severity}`), []);
  });

  test('an ingestion job that reads each incoming file and then deletes it, every day, is not ransomware', () => {
    const ingest = assumedRole('ingest-role', 'ingest-worker');
    const records: CloudTrailRecord[] = [];
    for (let d = 0; d < 10; d++) {
      records.push(...repeated(200, day(d, 4), 0.2, (time, i) => s3(ingest, 'GetObject', 'partner-dropbox', `incoming/${d}/file-${i}.csv`, time, NAT)));
      records.push(...repeated(200, day(d, 4).replace(':00:00Z', ':00:05Z'), 0.2, (time, i) => s3(ingest, 'DeleteObject', 'partner-dropbox', `incoming/${d}/file-${i}.csv`, time, NAT)));
    }
    const findings = run(s3Ransomware, records);
    assert.ok(findings.every((f) => f.severity <= 2), findings.map((f) => `${f.type} ${f.severity} ${f.service.count}`).join(', '));
  });

  test('after the account is learned, a principal new to the bucket deleting 150 objects is still Medium', () => {
    const records = [
      ...repeated(10, day(0, 9), 24 * 60, (time, i) => s3(iamUser('dana'), 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, OFFICE)),
      ...repeated(150, day(12, 3), 1 / 60, (time, i) => s3(iamUser('mallory'), 'DeleteObject', 'prod-docs', `doc-${i}.pdf`, time, DIGITALOCEAN)),
    ];
    assert.deepEqual(run(s3Ransomware, records).map((f) => `${f.type} ${f.severity}`), ['Impact:S3/MassObjectDeletion.Gumshoe 5']);
  });

  test('after the account is learned, a principal downloading 50 objects and then deleting with one DeleteObjects call is High', () => {
    const records = [
      ...repeated(10, day(0, 9), 24 * 60, (time, i) => s3(iamUser('dana'), 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, OFFICE)),
      ...repeated(50, day(12, 3), 0.1, (time, i) => s3(iamUser('mallory'), 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, DIGITALOCEAN)),
      s3(iamUser('mallory'), 'DeleteObjects', 'prod-docs', null, day(12, 3).replace(':00:00Z', ':10:00Z'), DIGITALOCEAN, { delete: '' }),
    ];
    assert.deepEqual(run(s3Ransomware, records).map((f) => `${f.type} ${f.severity}`), ['Impact:S3/MassObjectDeletion.Gumshoe 8']);
  });

  test('after the account is learned, a principal new to the bucket downloading 30 objects and deleting them is High', () => {
    const records = [
      ...repeated(10, day(0, 9), 24 * 60, (time, i) => s3(iamUser('dana'), 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, OFFICE)),
      ...repeated(30, day(12, 3), 0.1, (time, i) => s3(iamUser('mallory'), 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, DIGITALOCEAN)),
      ...repeated(30, day(12, 3).replace(':00:00Z', ':10:00Z'), 0.1, (time, i) => s3(iamUser('mallory'), 'DeleteObject', 'prod-docs', `doc-${i}.pdf`, time, DIGITALOCEAN)),
    ];
    assert.deepEqual(run(s3Ransomware, records).map((f) => `${f.type} ${f.severity}`), ['Impact:S3/MassObjectDeletion.Gumshoe 8']);
  });
});

describe('S3 ransom notes', () => {
  test('notes named with spaces, ATTENTION, NOTE or “your files” after a version purge are all found', () => {
    const thief = iamUser('mallory');
    const notes = ['HOW TO GET YOUR FILES BACK.txt', '!!!_ATTENTION_!!!.txt', 'NOTE.html', 'YOUR_DATA_IS_LOCKED.txt'];
    const records = notes.flatMap((note, n) => [
      s3(thief, 'ListObjectVersions', `bucket-${n}`, null, day(3, n), DIGITALOCEAN, { versions: '' }),
      s3(thief, 'DeleteObjects', `bucket-${n}`, null, day(3, n).replace(':00:00Z', ':01:00Z'), DIGITALOCEAN, { delete: '' }),
      s3(thief, 'PutObject', `bucket-${n}`, note, day(3, n).replace(':00:00Z', ':02:00Z'), DIGITALOCEAN),
    ]);
    const found = run(s3Ransomware, records).filter((f) => f.type === 'Impact:S3/RansomNoteUploaded.Gumshoe');
    assert.deepEqual(found.map((f) => f.resource.s3BucketDetails?.[0]?.s3ObjectDetails?.[0]?.key).sort(), [...notes].sort());
  });

  test('release notes or a keynote written after a purge are not ransom notes', () => {
    const thief = iamUser('mallory');
    const records = [
      s3(thief, 'ListObjectVersions', 'site', null, day(3, 1), DIGITALOCEAN, { versions: '' }),
      s3(thief, 'DeleteObjects', 'site', null, day(3, 1).replace(':00:00Z', ':01:00Z'), DIGITALOCEAN, { delete: '' }),
      s3(thief, 'PutObject', 'site', 'docs/release-notes.md', day(3, 1).replace(':00:00Z', ':02:00Z'), DIGITALOCEAN),
      s3(thief, 'PutObject', 'site', 'talks/keynote.pptx', day(3, 1).replace(':00:00Z', ':03:00Z'), DIGITALOCEAN),
    ];
    assert.deepEqual(run(s3Ransomware, records).filter((f) => f.type === 'Impact:S3/RansomNoteUploaded.Gumshoe'), []);
  });
});

describe('S3 anomalous behaviour', () => {
  const etl = assumedRole('etl-role', 'etl-job');
  const dana = iamUser('dana');
  /** Three weeks of the ETL role reading datalake-raw (200 a day) and dana reading prod-docs, both listing hr-records sometimes. */
  const history = (): CloudTrailRecord[] => {
    const records: CloudTrailRecord[] = [];
    for (let d = 0; d < 21; d++) {
      records.push(...repeated(200, day(d, 2), 0.1, (time, i) => s3(etl, 'GetObject', 'datalake-raw', `events/${d}/part-${i}.json.gz`, time, NAT)));
      records.push(...repeated(10, day(d, 9), 1, (time, i) => s3(dana, 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, OFFICE)));
    }
    return records;
  };

  test('stolen ETL credentials read 500 objects of the bucket the role reads daily, from a new network', () => {
    const records = [...history(), ...repeated(500, day(22, 13), 0.01, (time, i) => s3(etl, 'GetObject', 'datalake-raw', `events/0/part-${i}.json.gz`, time, DIGITALOCEAN))];
    const findings = run(s3AnomalousBehavior, records);
    assert.deepEqual(findings.map((f) => `${f.type} ${f.severity} ${f.resource.s3BucketDetails?.[0]?.name}`), ['Exfiltration:S3/AnomalousBehavior 8 datalake-raw']);
    assert.equal(findings[0]!.service.eventFirstSeen, day(22, 13), 'the finding starts at the first read from the new network');
  });

  test('a user travelling reads her usual bucket from a new country: nothing', () => {
    const records = [...history(), ...repeated(30, day(22, 9), 5, (time, i) => s3(dana, 'GetObject', 'prod-docs', `doc-${i}.pdf`, time, TOKYO_HOME))];
    assert.deepEqual(run(s3AnomalousBehavior, records), []);
  });

  test('presigned-URL downloads from customers’ networks are not the principal’s network', () => {
    const records = [
      ...history(),
      ...repeated(300, day(22, 13), 0.5, (time, i) => s3(etl, 'GetObject', 'datalake-raw', `events/0/part-${i}.json.gz`, time, TOKYO_HOME, {}, { AuthenticationMethod: 'QueryString' })),
    ];
    assert.deepEqual(run(s3AnomalousBehavior, records), []);
  });

  test('a download API starts serving a new bucket through presigned URLs: customers’ networks are not unusual for it', () => {
    const api = assumedRole('download-api-role', 'download-api');
    const CUSTOMERS = ['73.10.20.30', '2.10.20.30', '86.1.1.1', '91.64.1.1', TOKYO_HOME];
    const presigned = { AuthenticationMethod: 'QueryString' };
    const records: CloudTrailRecord[] = [...history()];
    for (let d = 0; d < 21; d++) records.push(...repeated(20, day(d, 10), 7, (time, i) => s3(api, 'GetObject', 'customer-downloads', `invoices/${d}-${i}.pdf`, time, CUSTOMERS[i % 3]!, {}, presigned)));
    records.push(...repeated(40, day(22, 10), 3, (time, i) => s3(api, 'GetObject', 'customer-downloads-eu', `invoices/${i}.pdf`, time, [DIGITALOCEAN, ...CUSTOMERS][i % 6]!, {}, presigned)));
    assert.deepEqual(run(s3AnomalousBehavior, records).map((f) => `${f.type} ${f.severity}`), []);
  });

  test('two identities listing one bucket from new networks are two findings, each naming its identity', () => {
    const records = [
      ...history(),
      s3(etl, 'ListObjects', 'hr-records', null, day(22, 13), DIGITALOCEAN, { 'list-type': '2' }),
      s3(dana, 'ListObjects', 'hr-records', null, day(23, 9), DIGITALOCEAN, { 'list-type': '2' }),
    ];
    const findings = run(s3AnomalousBehavior, records).filter((f) => f.type === 'Discovery:S3/AnomalousBehavior');
    assert.deepEqual(findings.map((f) => `${f.resource.accessKeyDetails?.userName} ${f.service.count}`).sort(), ['dana 1', 'etl-role 1']);
  });
});
