import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from './helpers/cli.js';
import { dataset, scratchDir } from './helpers/lake.js';
import { S3RVER_ENV, type S3rverHandle, startS3rver } from './helpers/s3rver.js';

const ACCOUNT = '143434273843';
const scratch = scratchDir('gumshoe-s3-');
const db = path.join(scratch.dir, 'lake.duckdb');
let s3: S3rverHandle;

/** A real Stratus record file, delivered as CloudTrail would: gz `{"Records":[…]}` under the S3 key layout. */
function cloudTrailObject(technique: string): [string, Uint8Array] {
  const records = JSON.parse(readFileSync(dataset('stratus_detonation_logs', 'logs', `${technique}.json`), 'utf8'));
  const key = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail_us-east-1_20240731T1305Z_${technique.slice(-12)}.json.gz`;
  return [key, gzipSync(JSON.stringify({ Records: records }))];
}

before(async () => {
  s3 = await startS3rver({ buckets: ['trail-bucket'] });
  await s3.putObjects('trail-bucket', [
    cloudTrailObject('aws.execution.ec2-user-data'),
    cloudTrailObject('aws.credential-access.ec2-get-password-data'),
    [`AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Digest_us-east-1_x.json.gz`, gzipSync('{"digestStartTime":"2024-07-31T12:00:00Z"}')],
    [`AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2024/07/31/${ACCOUNT}_vpcflowlogs_us-east-1_fl-1_20240731T1305Z_a.log.gz`, gzipSync(readFileSync(dataset('aws_docs_format_examples', 'vpcflow', 'custom_format_07.log')))],
  ]);
});
after(async () => {
  await s3?.stop();
  scratch.cleanup();
});

const ingest = (...extra: string[]) =>
  runCli(['ingest', 's3://trail-bucket/AWSLogs/', '--endpoint', s3.endpoint, '--db', db, '--json', ...extra], S3RVER_ENV);

test('ingests an S3 prefix through the S3 API, skipping digests, then reads only new objects', async () => {
  const first = ingest();
  assert.equal(first.status, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.byType.cloudtrail.stored, 35 + 34);
  assert.equal(summary.byType.vpcflow.stored, 2);
  assert.equal(summary.filesSkipped, 1);
  assert.equal(summary.read, summary.stored + summary.duplicates + summary.quarantined);

  const again = JSON.parse(ingest().stdout);
  assert.equal(again.read, 0);
  assert.equal(again.filesUnchanged, 4);

  await s3.putObjects('trail-bucket', [cloudTrailObject('aws.execution.ssm-send-command')]);
  const third = JSON.parse(ingest().stdout);
  assert.equal(third.files, 1);
  assert.equal(third.stored, 56);

  const uris = runCli(['query', "SELECT count(*) AS n FROM ingested_files WHERE uri LIKE 's3://trail-bucket/AWSLogs/%' AND status = 'complete'", '--db', db, '--format', 'json']);
  assert.deepEqual(JSON.parse(uris.stdout), { n: 4 });
});

test('a bucket that does not exist is a clear user error', () => {
  const result = runCli(['ingest', 's3://no-such-bucket/x/', '--endpoint', s3.endpoint, '--db', db], S3RVER_ENV);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /no such bucket: no-such-bucket/);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('credentials S3 rejects are a clear user error', () => {
  const result = runCli(['ingest', 's3://trail-bucket/AWSLogs/', '--endpoint', s3.endpoint, '--db', db], { ...S3RVER_ENV, AWS_ACCESS_KEY_ID: 'WRONGKEY' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /AWS credentials were rejected/);
});

test('a prefix that matches no object is named: exit 2 when it is the only input, a warning beside others', () => {
  const lakeFile = path.join(scratch.dir, 'empty-prefix.duckdb');
  const alone = runCli(['ingest', 's3://trail-bucket/nope/', '--endpoint', s3.endpoint, '--db', lakeFile], S3RVER_ENV);
  assert.equal(alone.status, 2, alone.stderr);
  assert.match(alone.stderr, /gumshoe: s3:\/\/trail-bucket\/nope\/ matched no objects; check the prefix/);
  const beside = runCli(['ingest', 's3://trail-bucket/nope/', 's3://trail-bucket/AWSLogs/', '--endpoint', s3.endpoint, '--db', lakeFile, '--json'], S3RVER_ENV);
  assert.equal(beside.status, 0, beside.stderr);
  const summary = JSON.parse(beside.stdout);
  assert.ok(summary.stored > 0);
  assert.ok(summary.warnings.includes('s3://trail-bucket/nope/ matched no objects; check the prefix'), summary.warnings.join('\n'));
});

test('a prefix named twice, or inside another, reads each object once', () => {
  const lakeFile = path.join(scratch.dir, 'overlap.duckdb');
  const result = runCli(['ingest', 's3://trail-bucket/AWSLogs/', 's3://trail-bucket/AWSLogs/', 's3://trail-bucket/AWSLogs/143434273843/vpcflowlogs/', '--endpoint', s3.endpoint, '--db', lakeFile, '--json'], S3RVER_ENV);
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.equal(summary.duplicates, 0);
  const rows = runCli(['query', 'SELECT count(*) AS files, count(DISTINCT uri) AS uris FROM ingested_files', '--db', lakeFile, '--format', 'json']);
  const { files, uris } = JSON.parse(rows.stdout);
  assert.equal(files, uris);
  assert.equal(files, summary.files + summary.filesSkipped);
});

test('an object replaced under its key is read again like a changed file: new records added, none deleted', async () => {
  const lakeFile = path.join(scratch.dir, 'replaced.duckdb');
  const key = 'replaced/trail.jsonl';
  const event = (id: string) => JSON.stringify({ eventVersion: '1.08', eventTime: '2024-05-06T00:00:00Z', eventName: 'GetCallerIdentity', eventSource: 'sts.amazonaws.com', eventID: id });
  const run = () => JSON.parse(runCli(['ingest', 's3://trail-bucket/replaced/', '--endpoint', s3.endpoint, '--db', lakeFile, '--json'], S3RVER_ENV).stdout);
  const fileRows = () => JSON.parse(runCli(['query', 'SELECT file_id, records_read FROM ingested_files', '--db', lakeFile, '--format', 'json']).stdout);
  await s3.putObjects('trail-bucket', [[key, `${event('old-1')}\n${event('kept-2')}\n`]]);
  assert.deepEqual([run().stored, fileRows().records_read], [2, 2]);
  const { file_id: fileId } = fileRows();

  await s3.putObjects('trail-bucket', [[key, `${event('kept-2')}\n${event('new-3')}\n${event('new-4')}\n`]]);
  const second = run();
  assert.deepEqual([second.files, second.read, second.stored, second.duplicates], [1, 3, 2, 1]);
  // One row for the object, under the same id, counting the version read last.
  assert.deepEqual(fileRows(), { file_id: fileId, records_read: 3 });
  const ids = runCli(['query', `SELECT string_agg(metadata_uid, ',' ORDER BY metadata_uid) AS ids FROM api_activity WHERE source_file_id = ${fileId}`, '--db', lakeFile, '--format', 'json']);
  assert.deepEqual(JSON.parse(ids.stdout), { ids: 'kept-2,new-3,new-4,old-1' });

  const third = run();
  assert.deepEqual([third.read, third.filesUnchanged], [0, 1]);
});
