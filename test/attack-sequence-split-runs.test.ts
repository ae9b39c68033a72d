import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser } from '../src/detect/case-builders.js';
import { attackSequence } from '../src/detect/cloudtrail/attack-sequence.js';
import { s3Ransomware } from '../src/detect/cloudtrail/s3-ransomware.js';
import { type CloudTrailRecord, DEFAULT_SETTINGS, type DetectionCase } from '../src/detect/detection.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { DetectionRunner, StateStore, type SavedStateRow } from '../src/detect/runner.js';
import { staticIntel } from '../src/intel/static.js';
import { findingsAfterRuns } from './helpers/split-runs.js';

/**
 * An attack sequence is the same whether `detect` runs once over all the logs or once per delivery, also
 * when the credential's calls and the findings that make it suspect fall in different runs.
 */

const SEQUENCE = /^AttackSequence:/;

/** Some other principal's call: the account's logs going on. */
const quiet = (time: number) => ctEvent({ service: 'ec2', name: 'DescribeInstances', time: new Date(time).toISOString(), identity: assumedRole('monitoring', 'poller'), ip: '203.0.113.80' });

/**
 * The findings after one run per batch of records, as a user compares them. Live (a cron job): each run a
 * few minutes after its newest event, and a last run an hour later, with only other calls, decides what
 * waited for later logs. Otherwise runs over past logs (a backfill), at the wall clock.
 */
async function findingsAfter(live: boolean, intel: DetectionCase['intel'], ...batches: CloudTrailRecord[][]): Promise<string[]> {
  const newest = (records: CloudTrailRecord[]) => Math.max(...records.map((r) => Date.parse(r.eventTime as string)));
  const runs = live ? [...batches, [quiet(newest(batches.flat()) + 3_600_000)]] : batches;
  const found = await findingsAfterRuns(runs, (records) => ({ intel: staticIntel(intel ?? {}), ...(live ? { clock: newest(records) + 5 * 60_000 } : {}) }));
  return found
    .map((f) => `${f.type} ${f.resource.accessKeyDetails?.userName ?? ''} ${f.resource.s3BucketDetails?.[0]?.name ?? ''} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} sev ${f.severity} ${f.id}`)
    .sort();
}

const sequenceCase = (name: string): DetectionCase => {
  const found = attackSequence.cases!().find((c) => c.name.startsWith(name));
  assert.ok(found, name);
  return found;
};

describe('attack sequences split between runs', () => {
  test('downloads and deletions in one run, the mass deletion and ransom note in the next: CompromisedData, as in one run', async () => {
    const { records, intel } = sequenceCase('a key with no history downloads a bucket');
    const note = records!.findIndex((r) => r.eventName === 'PutObject');
    const batch = await findingsAfter(true, intel, records!);
    assert.ok(batch.some((f) => f.startsWith('AttackSequence:S3/CompromisedData mallory acme-finance ×1')), batch.join('\n'));
    // A cron job whose logs end after the deletions (the deletion finding waits for its hour), or halfway through them.
    assert.deepEqual(await findingsAfter(true, intel, records!.slice(0, note), records!.slice(note)), batch);
    assert.deepEqual(await findingsAfter(true, intel, records!.slice(0, note - 10), records!.slice(note - 10)), batch);
  });

  test('a cron job’s run ends between an anomaly burst’s CreateAccessKey and its AttachUserPolicy: the findings of one run', async () => {
    const { records, intel } = sequenceCase('stolen instance credentials create an access key');
    const attach = records!.findIndex((r) => r.eventName === 'AttachUserPolicy');
    const batch = await findingsAfter(true, intel, records!);
    assert.ok(batch.some((f) => f.startsWith('PrivilegeEscalation:IAMUser/AnomalousBehavior')), batch.join('\n'));
    // The burst waits for the next run, which raises it to PrivilegeEscalation: no Persistence finding first.
    assert.deepEqual(await findingsAfter(true, intel, records!.slice(0, attach), records!.slice(attach)), batch);
  });

  test('past logs read a day at a time: the burst reported as Persistence, then raised, counts once in the sequence', async () => {
    const { records, intel } = sequenceCase('stolen instance credentials create an access key');
    const attach = records!.findIndex((r) => r.eventName === 'AttachUserPolicy');
    const batch = await findingsAfter(false, intel, records!);
    const split = await findingsAfter(false, intel, records!.slice(0, attach), records!.slice(attach));
    const sequences = (found: string[]) => found.filter((f) => SEQUENCE.test(f));
    assert.equal(sequences(batch).length, 1, batch.join('\n'));
    assert.deepEqual(sequences(split), sequences(batch));
    // The earlier report stays a finding of its own: it was raised before the escalation was seen.
    assert.deepEqual(split.filter((f) => !batch.includes(f)).map((f) => f.split(' ')[0]), ['Persistence:IAMUser/AnomalousBehavior']);
  });

  test('a key purges and leaves notes in four buckets, the first in one run: one CompromisedData, filed under that first bucket', async () => {
    const records = s3Ransomware.cases!().find((c) => c.name.startsWith('ransom notes under other names'))!.records!;
    const second = records.findIndex((r) => (r.requestParameters as { bucketName?: string } | null)?.bucketName === 'b1');
    const sequence = (found: string[]) => found.filter((f) => SEQUENCE.test(f));
    const batch = await findingsAfter(false, {}, records);
    assert.equal(sequence(batch).length, 1, batch.join('\n'));
    assert.deepEqual(sequence(await findingsAfter(false, {}, records.slice(0, second), records.slice(second))), sequence(batch));
  });
});

describe('calls of credentials with no finding yet, kept between runs', () => {
  const intel = staticIntel({});
  const settings = { ...DEFAULT_SETTINGS, organizationAccounts: new Set<string>() };
  const build = { intel, detectorId: '0'.repeat(32), partition: 'aws' };
  const read = (user: string, time: string) =>
    ctEvent({ service: 's3', name: 'GetObject', identity: iamUser(user), time, ip: '81.2.69.160', data: true, request: { bucketName: 'reports', key: 'daily.csv' } });

  /** Runs attack-sequence over each batch in turn, state carried as the engine carries it; returns the pending state. */
  function pendingAfter(...batches: CloudTrailRecord[][]): { seenUntil: number; calls: [string, unknown[]][] } {
    let saved: SavedStateRow[] = [];
    for (const records of batches) {
      const state = new StateStore();
      for (const [d, k, v, u] of saved) state.load(d, k, JSON.parse(v), u);
      const runner = new DetectionRunner([attackSequence], intel, settings, state, build);
      records.forEach((r, i) => runner.process(apiEventFromRecord(r, null, i + 1)));
      runner.finish();
      saved = state.rows();
    }
    const row = saved.find(([d, k]) => d === attackSequence.id && k === 'pending');
    assert.ok(row);
    return JSON.parse(row[2]);
  }

  test('at most 1000 call groups in all: a busy credential’s many groups go before other credentials’ few', () => {
    const at = (i: number) => new Date(Date.UTC(2026, 10, 2, 10, 0, i)).toISOString();
    const busy = Array.from({ length: 20 }, (_, i) =>
      ctEvent({ service: 's3', name: 'GetObject', identity: iamUser('etl'), time: at(0), ip: '81.2.69.160', data: true, request: { bucketName: `lake-${i}`, key: 'part-0.parquet' } }));
    const few = Array.from({ length: 1200 }, (_, i) => read(`app-${i}`, at(i)));
    const { calls } = pendingAfter([...busy, ...few]);
    // One group each: the 1000 latest active of the 1200, and not the busy credential's 20.
    assert.equal(calls.length, 1000);
    assert.deepEqual(calls.map(([cred]) => cred.split('/').at(-1)).sort(), few.slice(200).map((r) => (r.userIdentity as { userName: string }).userName).sort());
  });

  test('forgotten a day after their last call, however many runs follow', () => {
    const { calls } = pendingAfter([read('alice', '2026-11-02T10:00:00Z')], [read('bob', '2026-11-03T09:00:00Z')], [read('carol', '2026-11-03T10:30:00Z')]);
    assert.deepEqual(calls.map(([cred]) => cred.split('/').at(-1)).sort(), ['bob', 'carol']);
  });
});
