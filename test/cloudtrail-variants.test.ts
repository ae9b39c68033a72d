import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
