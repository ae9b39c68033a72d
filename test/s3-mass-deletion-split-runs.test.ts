import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, repeated } from '../src/detect/case-builders.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { queryFindings } from '../src/findings/store.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * A mass deletion is dropped as a teardown when the same principal deletes the bucket within the hour. The
 * DeleteBucket is a management event, delivered in other files than the object deletions, so a cron job
 * often reads it one run later: the decision must wait for it across runs, as one run over all logs does.
 */

const scratch = scratchDir('gumshoe-teardown-split-');
after(() => scratch.cleanup());

const DELETION = 'Impact:S3/MassObjectDeletion.Gumshoe';
const admin = assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com');
const thief = iamUser('mallory');
const s3 = (name: string, bucketName: string, time: string, identity: Record<string, unknown>, request: Record<string, unknown> = {}) =>
  ctEvent({ service: 's3', name, request: { bucketName, Host: `${bucketName}.s3.us-east-1.amazonaws.com`, ...request }, time, identity, ip: '81.2.69.160', data: name !== 'DeleteBucket' });
/** Some other call in the account: the logs going on. */
const later = (time: string) => ctEvent({ service: 'ec2', name: 'DescribeInstances', time, identity: assumedRole('monitoring', 'poller'), ip: '203.0.113.80' });

let files = 0;
const write = (records: CloudTrailRecord[]) => {
  const file = path.join(scratch.dir, `events-${++files}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
};

/** Each run as a cron job on live logs: 5 minutes after the batch's latest event. */
const runClock = (records: CloudTrailRecord[]) => Math.max(...records.map((r) => Date.parse(String(r.eventTime)))) + 5 * 60_000;

/** The findings after one run per batch, and the types each run reported. */
async function runs(...batches: CloudTrailRecord[][]): Promise<{ findings: string[]; perRun: string[][] }> {
  const lake = await tempLake();
  try {
    const perRun: string[][] = [];
    for (const records of batches) {
      await lake.ingest([write(records)]);
      const before = new Set((await queryFindings(lake.lake.connection)).map((f) => `${f.id} ${f.service.count}`));
      await runDetections(lake.lake, { intel: staticIntel({}), clock: runClock(records) });
      perRun.push((await queryFindings(lake.lake.connection)).filter((f) => !before.has(`${f.id} ${f.service.count}`)).map((f) => f.type));
    }
    const findings = (await queryFindings(lake.lake.connection)).map((f) => `${f.type} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} sev ${f.severity} ${f.id}`).sort();
    return { findings, perRun };
  } finally {
    lake.close();
  }
}

describe('S3 teardown (empty then delete the bucket) split over runs', () => {
  test('"Empty bucket" in one run’s data-event files and "Delete bucket" in the next run’s management files: nothing, as in one run', async () => {
    const emptied = [s3('ListObjectVersions', 'old-site', '2026-11-02T23:40:00Z', admin), s3('DeleteObjects', 'old-site', '2026-11-02T23:41:00Z', admin), later('2026-11-02T23:55:00Z')];
    const deleted = [s3('DeleteBucket', 'old-site', '2026-11-02T23:43:00Z', admin), later('2026-11-03T02:00:00Z')];
    const batch = await runs([...emptied, ...deleted]);
    assert.deepEqual(batch.findings, []);
    // A daily job: the first run's logs end 14 minutes after the deletion.
    assert.deepEqual((await runs(emptied, deleted)).findings, []);
  });

  test('a version purge in the last hour of one run’s logs is reported by the next run, as one run over both reports it', async () => {
    const purge = [s3('ListObjectVersions', 'acme-finance', '2026-11-02T23:40:00Z', thief), s3('DeleteObjects', 'acme-finance', '2026-11-02T23:41:00Z', thief), later('2026-11-02T23:55:00Z')];
    const next = [later('2026-11-03T01:00:00Z')];
    const batch = await runs([...purge, ...next]);
    assert.equal(batch.findings.length, 1, batch.findings.join('\n'));
    assert.match(batch.findings[0]!, /^Impact:S3\/MassObjectDeletion\.Gumshoe ×1 2026-11-02T23:40:00Z→2026-11-02T23:41:00Z sev 8 /);
    const split = await runs(purge, next);
    assert.deepEqual(split.findings, batch.findings);
    assert.deepEqual(split.perRun, [[], [DELETION]]);
  });

  test('a batch over past logs (its clock long past them) reports a purge in their last hour at its end', async () => {
    const purge = [s3('ListObjectVersions', 'acme-finance', '2026-11-02T23:40:00Z', thief), s3('DeleteObjects', 'acme-finance', '2026-11-02T23:41:00Z', thief)];
    const lake = await tempLake();
    try {
      await lake.ingest([write(purge)]);
      const summary = await runDetections(lake.lake, { intel: staticIntel({}) });
      assert.deepEqual(summary.findings.map((f) => f.type), [DELETION]);
    } finally {
      lake.close();
    }
  });

  test('a run whose logs already pass the hour (plus delivery delay) reports the purge at once', async () => {
    const day = [s3('ListObjectVersions', 'acme-finance', '2026-11-02T10:00:00Z', thief), s3('DeleteObjects', 'acme-finance', '2026-11-02T10:01:00Z', thief), later('2026-11-02T11:16:00Z')];
    assert.deepEqual((await runs(day)).perRun, [[DELETION]]);
  });

  test('the bucket deleted just inside the hour but delivered after later events (CloudTrail’s delay): still a teardown', async () => {
    // The hourly run at 11:12 has data events up to 11:05; the DeleteBucket of 10:59 arrives in the next run's files.
    const first = [s3('ListObjectVersions', 'old-site', '2026-11-02T10:00:00Z', admin), s3('DeleteObjects', 'old-site', '2026-11-02T10:00:30Z', admin), later('2026-11-02T11:05:00Z')];
    const second = [s3('DeleteBucket', 'old-site', '2026-11-02T10:59:00Z', admin), later('2026-11-02T12:05:00Z')];
    assert.deepEqual((await runs(first, second)).findings, []);
  });
});

describe('S3 mass deletion windows split over runs', () => {
  test('deletions from just before the window’s first, in a file delivered late to the next run, count in the same window', async () => {
    const del = (time: string, i: number, prefix: string) => s3('DeleteObject', 'acme-finance', time, thief, { key: `${prefix}-${i}.pdf` });
    // 60 keys deleted 10:46–10:47 reach the first run; 50 deleted 10:44–10:45 come in a file CloudTrail delivered late.
    const early = repeated(60, '2026-11-02T10:46:00Z', 1 / 60, (time, i) => del(time, i, 'b'));
    const late = [...repeated(50, '2026-11-02T10:44:00Z', 1 / 60, (time, i) => del(time, i, 'a')), later('2026-11-02T12:30:00Z')];
    const batch = await runs([...late, ...early]);
    assert.equal(batch.findings.length, 1, batch.findings.join('\n'));
    assert.match(batch.findings[0]!, /^Impact:S3\/MassObjectDeletion\.Gumshoe ×1 2026-11-02T10:44:00Z→/);
    // The same finding (id, count, first seen, severity); its last seen is the call that crossed the threshold,
    // which depends on the order the calls are read in.
    const withoutLastSeen = (f: string) => f.replace(/→\S+/, '');
    assert.deepEqual((await runs(early, late)).findings.map(withoutLastSeen), batch.findings.map(withoutLastSeen));
  });
});
