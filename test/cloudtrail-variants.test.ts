import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { scratchDir, type TestLake, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-ct-variants-');
let lake: TestLake;
before(async () => {
  lake = await tempLake();
});
after(() => {
  lake.close();
  scratch.cleanup();
});

test('CloudTrail Insights events take their API name and service from insightDetails', async () => {
  const file = path.join(scratch.dir, '123456789012_CloudTrail-Insight_us-east-1_20230510T1200Z_x.json');
  const insight = {
    eventVersion: '1.07', eventTime: '2023-05-10T12:00:00Z', awsRegion: 'us-east-1', eventID: 'a1b2c3d4-0000-4000-8000-000000000042',
    eventType: 'AwsCloudTrailInsight', recipientAccountId: '123456789012', sharedEventID: '12345678-0000-4000-8000-000000000042',
    insightDetails: { state: 'Start', eventSource: 'ssm.amazonaws.com', eventName: 'UpdateInstanceInformation', insightType: 'ApiCallRateInsight' },
    eventCategory: 'Insight',
  };
  writeFileSync(file, JSON.stringify({ Records: [insight] }));
  const summary = await lake.ingest([file]);
  assert.equal(summary.stored, 1);
  const [row] = await lake.rows('SELECT api_operation, api_service_name, event_category, cloud_account_uid, raw FROM api_activity');
  assert.deepEqual({ ...row, raw: JSON.parse(String(row!.raw)) }, {
    api_operation: 'UpdateInstanceInformation', api_service_name: 'ssm.amazonaws.com', event_category: 'Insight',
    cloud_account_uid: '123456789012', raw: insight,
  });
});

test('an EventBridge-wrapped event and the same event delivered plainly are stored once', async () => {
  const event = {
    eventVersion: '1.08', eventTime: '2024-02-01T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey',
    awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.7', userAgent: 'aws-cli/2.15.0', eventID: 'e0e0e0e0-0000-4000-8000-0000000000aa',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/bob', accountId: '123456789012', accessKeyId: 'AKIAEXAMPLEBOB000001', userName: 'bob' },
    requestParameters: { userName: 'bob' }, responseElements: { accessKey: { accessKeyId: 'AKIAEXAMPLENEWKEY001', status: 'Active', userName: 'bob' } },
    recipientAccountId: '123456789012', eventType: 'AwsApiCall', managementEvent: true, readOnly: false, eventCategory: 'Management',
  };
  const wrapped = path.join(scratch.dir, 'eventbridge.jsonl');
  writeFileSync(wrapped, `${JSON.stringify({ version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: event })}\n`);
  const plain = path.join(scratch.dir, 'plain.json');
  writeFileSync(plain, JSON.stringify({ Records: [event] }));
  const summary = await lake.ingest([wrapped, plain]);
  assert.equal(summary.stored, 1);
  assert.equal(summary.duplicates, 1);
  const [row] = await lake.rows(`SELECT class_uid, activity_id, actor_user_credential_uid, src_endpoint_ip, json_extract_string(api_response_data, '$.accessKey.accessKeyId') AS new_key
    FROM api_activity WHERE api_operation = 'CreateAccessKey'`);
  assert.deepEqual(row, { class_uid: 3001, activity_id: 1, actor_user_credential_uid: 'AKIAEXAMPLEBOB000001', src_endpoint_ip: '198.51.100.7', new_key: 'AKIAEXAMPLENEWKEY001' });
});

test('JSON lines each holding a Records document give every element as a record, at its line', async () => {
  const file = path.join(scratch.dir, 'records-per-line.json');
  const event = (n: number) => ({
    eventVersion: '1.08', eventTime: `2023-05-11T12:00:0${n}Z`, eventSource: 'iam.amazonaws.com', eventName: 'ListUsers',
    awsRegion: 'us-east-1', eventID: `c0ffee00-0000-4000-8000-00000000010${n}`, userIdentity: { type: 'Root', accountId: '123456789012' },
  });
  writeFileSync(file, [JSON.stringify({ Records: [event(1), event(2)] }), JSON.stringify(event(3)), JSON.stringify({ Records: [event(4)] })].join('\n'));
  const summary = await lake.ingest([file]);
  assert.deepEqual([summary.stored, summary.quarantined], [4, 0]);
  const rows = await lake.rows(`SELECT metadata_uid, source_line FROM api_activity WHERE metadata_uid LIKE 'c0ffee00-%' ORDER BY 1`);
  assert.deepEqual(rows.map((r) => [String(r.metadata_uid).slice(-1), Number(r.source_line)]), [['1', 1], ['2', 1], ['3', 2], ['4', 3]]);
});

test('a Route 53 query log line is one record even when it reads like a CloudTrail Records document', async () => {
  const file = path.join(scratch.dir, 'AWSLogs/123456789012/vpcdnsquerylogs/vpc-0abc/2023/05/11/resolver.log');
  mkdirSync(path.dirname(file), { recursive: true });
  const query = {
    version: '1.100000', account_id: '123456789012', region: 'us-east-1', vpc_id: 'vpc-0abc', query_timestamp: '2023-05-11T12:00:00Z',
    query_name: 'example.com.', query_type: 'A', query_class: 'IN', rcode: 'NOERROR', answers: [], srcaddr: '10.0.0.5', srcport: '53000',
    transport: 'UDP', srcids: { instance: 'i-0abc' },
  };
  writeFileSync(file, [JSON.stringify(query), JSON.stringify({ Records: [{ a: 1 }, { b: 2 }] })].join('\n'));
  const summary = await lake.ingest([file]);
  assert.deepEqual([summary.stored, summary.quarantined], [1, 1]);
  const [bad] = await lake.rows(`SELECT location, reason FROM quarantine WHERE uri LIKE '%resolver.log'`);
  assert.deepEqual(bad, { location: 'line 2', reason: 'missing required field query_timestamp' });
});

test('a delivered file with no records ({"Records":[]}) is a CloudTrail file read to its end, not an unknown format', async () => {
  const file = path.join(scratch.dir, '123456789012_CloudTrail_us-east-1_20230510T1205Z_quiet.json');
  writeFileSync(file, '{"Records":[]}');
  const summary = await lake.ingest([file]);
  assert.deepEqual([summary.files, summary.filesSkipped, summary.read, summary.warnings], [1, 0, 0, []]);
  const [row] = await lake.rows('SELECT status, source_type FROM ingested_files WHERE uri = $1', [file]);
  assert.deepEqual([row!.status, row!.source_type], ['complete', 'cloudtrail']);
});
