import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FINDINGS_DDL } from '../src/findings/store.js';
import { type TestLake, tempLake } from './helpers/lake.js';

/** The findings commands as the current source runs them (the built CLI of other tests may be older). */
const MAIN = path.resolve(import.meta.dirname, '../src/cli/main.ts');
const gumshoe = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });

const PUBLIC = '8758e06b563458a706bfba0e24cb82f7';
const TWIN = '8758e0ffd34c7f76d16313caa17f1000';

function bucketFinding(id: string) {
  return {
    schemaVersion: '2.0', accountId: '220516040536', region: 'us-east-1', partition: 'aws', id, type: 'Policy:S3/BucketPublicAccessGranted',
    arn: `arn:aws:guardduty:us-east-1:220516040536:detector/${'b'.repeat(32)}/finding/${id}`,
    resource: {
      resourceType: 'AccessKey',
      accessKeyDetails: { accessKeyId: 'ASIAMONUP3IH3VB3MKB5', principalId: 'AROAMONUP3IH3VB3MKB5L:alice', userName: 'AWSReservedSSO_Admin_1a2b', userType: 'AssumedRole' },
      s3BucketDetails: [{ arn: 'arn:aws:s3:::partner-drop', name: 'partner-drop', type: 'Destination' }],
    },
    service: {
      serviceName: 'guardduty', detectorId: 'b'.repeat(32), archived: false, count: 1, resourceRole: 'TARGET', additionalInfo: {}, evidence: null,
      eventFirstSeen: '2026-11-24T08:30:00Z', eventLastSeen: '2026-11-24T08:30:00Z',
      action: { actionType: 'AWS_API_CALL', awsApiCallAction: { api: 'PutBucketPolicy', serviceName: 's3.amazonaws.com', callerType: 'Remote IP' } },
    },
    severity: 8, createdAt: '2026-11-24T08:31:00.000Z', updatedAt: '2026-11-24T08:31:00.000Z',
    title: 'Amazon S3 bucket partner-drop was opened to all authenticated AWS users.', description: 'A bucket policy now grants read access to any AWS principal.',
  };
}

let lake: TestLake;
before(async () => {
  lake = await tempLake();
  for (const ddl of FINDINGS_DDL) await lake.lake.connection.run(ddl);
  for (const id of [PUBLIC, TWIN]) {
    await lake.lake.connection.run(
      `INSERT INTO findings (id, aggregation_key, type, severity, archived, updated_at, finding) VALUES ($1, $1, $2, 8, false, '2026-11-24 08:31:00', $3::JSON)`,
      [id, 'Policy:S3/BucketPublicAccessGranted', JSON.stringify(bucketFinding(id))],
    );
  }
  lake.lake.close();
});
after(() => lake.close());

describe('gumshoe findings, from the source', () => {
  test('the table names the bucket a bucket-settings finding is about, and the caller who changed it', () => {
    const listed = gumshoe(['findings', 'list', '--db', lake.file]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /partner-drop \(by AWSReservedSSO_Admin_1a2b ASIAMONUP3IH3VB3MKB5\)/);
  });

  test('show and archive take a unique abbreviation; a shared one is refused with the ids it could mean', () => {
    const shown = gumshoe(['findings', 'show', '8758e06b', '--db', lake.file]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).id, PUBLIC);

    const ambiguous = gumshoe(['findings', 'archive', '8758e0', '--db', lake.file]);
    assert.equal(ambiguous.status, 2);
    assert.match(ambiguous.stdout, /^0 finding\(s\) archived$/m);
    assert.equal(ambiguous.stderr.trim(), `gumshoe: id 8758e0 is the start of several findings (${PUBLIC}, ${TWIN}); give more of it`);

    const short = gumshoe(['findings', 'show', '8758', '--db', lake.file]);
    assert.equal(short.status, 2);
    assert.match(short.stderr, /no finding with id 8758;.*\n.*first 6 or more characters, not fewer/);

    const archived = gumshoe(['findings', 'archive', '8758e06', '--db', lake.file]);
    assert.equal(archived.status, 0, archived.stderr);
    assert.match(archived.stdout, /^1 finding\(s\) archived$/m);
  });

  test('an --output that cannot be written is a one-line error (exit 2), not a stack trace', () => {
    const missing = path.join(path.dirname(lake.file), 'no-such-dir', 'findings.jsonl');
    for (const command of [['findings', 'export'], ['detect']]) {
      const result = gumshoe([...command, '--db', lake.file, '--output', missing]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /^gumshoe: --output: cannot write findings to .*findings\.jsonl: ENOENT/);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
  });
});
