// One record longer than the ingest's memory limit (a request with a huge parameter, a flow line that never
// ends): DuckDB's appender runs out of memory in words of its own, which must step the limit up like any
// other batch that runs out, not end the run as an internal error.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { isOutOfMemory } from '../src/lake/db.js';
import { tempLake } from './helpers/lake.js';

test("the appender's 'could not allocate block' is running out of memory", () => {
  assert.ok(isOutOfMemory(new Error('Failed to append: could not allocate block of size 150.0 MiB (151.1 MiB/152.5 MiB used)')));
  assert.ok(isOutOfMemory(new Error('Out of Memory Error: failed to allocate data of size 512.0 MiB')));
  assert.equal(isOutOfMemory(new Error('Binder Error: Referenced column "x" not found')), false);
});

const lakePromise = tempLake();
after(async () => (await lakePromise).close());

test('a record longer than the ingest memory limit is stored once the limit steps up, with the records after it', async () => {
  const lake = await lakePromise;
  const file = path.join(path.dirname(lake.file), 'long.jsonl');
  const event = (id: string, second: number, extra: object) => JSON.stringify({
    eventVersion: '1.08', eventTime: `2024-05-06T00:00:0${second}Z`, eventName: 'PutObject', eventSource: 's3.amazonaws.com', eventID: id,
    awsRegion: 'us-east-1', recipientAccountId: '111122223333', sourceIPAddress: '198.51.100.7',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' }, ...extra,
  });
  writeFileSync(file, `${event('long', 1, { requestParameters: { body: 'y'.repeat(12 << 20) } })}\n${event('short', 2, {})}\n`);
  const summary = await lake.ingest([file], { memoryLimit: '8MB' });
  assert.equal(summary.stored, 2);
  assert.ok(summary.warnings.some((w) => /ran out of memory at 8MB/.test(w)), summary.warnings.join('\n'));
  const rows = await lake.rows(`SELECT metadata_uid AS id, length(raw) > 12 << 20 AS whole FROM api_activity ORDER BY time`);
  assert.deepEqual(rows.map((r) => [r.id, r.whole]), [['long', true], ['short', false]]);
});

test('a line of 70 MB (a dump forced in as flow logs) is quarantined with its start, without gathering it whole, and the lines around it are stored', async () => {
  const lake = await lakePromise;
  const file = path.join(path.dirname(lake.file), 'endless.log');
  const flow = (start: number) => `2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 198.51.100.7 443 49152 6 10 840 ${start} ${start + 60} ACCEPT OK`;
  writeFileSync(file, `${flow(1_730_000_000)}\n${'x'.repeat(70 << 20)}\n${flow(1_730_000_060)}\n`);
  const summary = await lake.ingest([file], { type: 'vpcflow' });
  assert.deepEqual([summary.read, summary.stored, summary.quarantined], [3, 2, 1]);
  const [quarantined] = await lake.rows(`SELECT source_line AS line, reason, length(raw) AS kept FROM quarantine WHERE uri LIKE '%endless.log'`);
  assert.deepEqual([Number(quarantined!.line), quarantined!.reason, Number(quarantined!.kept)], [2, 'line longer than 64 MiB: not a record', 64 << 10]);
});
