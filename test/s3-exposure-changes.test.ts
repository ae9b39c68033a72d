import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent } from '../src/detect/case-builders.js';
import { s3PublicAccess } from '../src/detect/cloudtrail/s3-public-access.js';
import { runCase } from '../src/detect/cases.js';

const admin = assumedRole('AWSReservedSSO_Admin_1a2b', 'alice@example.com');
const B = 'arn:aws:s3:::shared-site';
const putPolicy = (minute: number, Action: string[]) =>
  ctEvent({
    service: 's3',
    name: 'PutBucketPolicy',
    identity: admin,
    time: `2026-11-02T10:0${minute}:00Z`,
    request: { bucketName: 'shared-site', bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action, Resource: `${B}/*` }] }, policy: [''], Host: 'shared-site.s3.amazonaws.com' },
  });
const occurrences = (records: ReturnType<typeof putPolicy>[]) => runCase([s3PublicAccess], { name: 'exposure changes', records, expect: [] });

describe('bucket exposure changes', () => {
  test('public write added to a publicly readable bucket is raised again', () => {
    const found = occurrences([putPolicy(0, ['s3:GetObject']), putPolicy(1, ['s3:GetObject', 's3:PutObject'])]);
    assert.deepEqual(found.map((o) => [o.finding.type, o.finding.service.count]), [['Policy:S3/BucketAnonymousAccessGranted', 2]]);
    assert.match(found[0]!.finding.description, /read and write access/);
  });

  test('re-applying or narrowing a public policy is not raised again', () => {
    const found = occurrences([putPolicy(0, ['s3:GetObject', 's3:PutObject']), putPolicy(1, ['s3:GetObject', 's3:PutObject']), putPolicy(2, ['s3:GetObject'])]);
    assert.deepEqual(found.map((o) => o.finding.service.count), [1]);
  });
});
