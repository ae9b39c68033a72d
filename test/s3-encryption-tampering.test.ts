import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { s3EncryptionTampering } from '../src/detect/cloudtrail/s3-encryption-tampering.js';
import { s3Ransomware } from '../src/detect/cloudtrail/s3-ransomware.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';

/**
 * Severities and habits of the single-event S3 encryption signals: one object re-encrypted with a key the
 * owner does not hold (Low, raised to High on the same finding by volume), and bucket default encryption
 * removed or handed to an outside account's key.
 */
const SSE_C = 'x-amz-server-side-encryption-customer-algorithm';
const thief = iamUser('mallory');
const app = assumedRole('vault-writer', 'task');
const at = (day: number, minute: number) => new Date(Date.UTC(2026, 10, 1 + day, 10, minute)).toISOString().replace('.000Z', 'Z');
const object = (name: string, bucket: string, key: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>): CloudTrailRecord =>
  ctEvent({ service: 's3', name, identity, time, data: true, request: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, key, ...request } });
const inPlaceSseC = (bucket: string, key: string, time: string, identity: Record<string, unknown>) => object('CopyObject', bucket, key, { 'x-amz-copy-source': `${bucket}/${key}`, [SSE_C]: 'AES256' }, time, identity);
const bucketCall = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string, bucket = 'acme-ledger'): CloudTrailRecord =>
  ctEvent({ service: 's3', name, identity, time, userAgent, request: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, encryption: '', ...request } });
const toOutsideKey = { ServerSideEncryptionConfiguration: { Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/k1` } } } };

const findings = (detection: typeof s3Ransomware, records: CloudTrailRecord[]) =>
  runCase([detection], { name: 'single events', records, expect: [] }).map((o) => `${o.finding.type.split('/')[1]} ${o.finding.severity} x${o.finding.service.count}`);

describe('one object re-encrypted with a key the owner does not hold', () => {
  test('is Low once per principal and bucket in the hour, and the same finding turns High at five objects', () => {
    assert.deepEqual(findings(s3Ransomware, [inPlaceSseC('acme-finance', 'a.pdf', at(0, 0), thief), inPlaceSseC('acme-finance', 'b.pdf', at(0, 1), thief)]), [
      'ObjectsReencryptedWithForeignKey.Gumshoe 2 x1',
    ]);
    const five = ['a', 'b', 'c', 'd', 'e'].map((k, i) => inPlaceSseC('acme-finance', `${k}.pdf`, at(0, i), thief));
    assert.deepEqual(findings(s3Ransomware, five), ['ObjectsReencryptedWithForeignKey.Gumshoe 8 x2']);
  });

  test('is quiet for a principal that wrote SSE-C objects on an earlier day, and not for another principal', () => {
    const records = [
      object('PutObject', 'vault', 'doc-1', { [SSE_C]: 'AES256' }, at(0, 0), app),
      inPlaceSseC('vault', 'doc-1', at(1, 0), app),
      inPlaceSseC('vault', 'doc-2', at(1, 5), thief),
    ];
    assert.deepEqual(findings(s3Ransomware, records), ['ObjectsReencryptedWithForeignKey.Gumshoe 2 x1']);
  });

  test('is not raised by AWS writing for you, nor by an SSE-C copy from another bucket', () => {
    const replication = { ...object('PutObject', 'replica', 'a.pdf', { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:us-east-1:${OTHER_ACCOUNT}:key/dr` }, at(0, 0), assumedRole('s3-replication', 'replication')), sourceIPAddress: 's3.amazonaws.com' };
    const fromStaging = object('CopyObject', 'vault', 'doc-1', { 'x-amz-copy-source': 'staging/doc-1', [SSE_C]: 'AES256' }, at(0, 1), thief);
    assert.deepEqual(findings(s3Ransomware, [replication, fromStaging]), []);
  });
});

describe('bucket default encryption', () => {
  test('set to an outside account’s key is High, Low through IaC or for a key account the principal set on an earlier day', () => {
    assert.deepEqual(findings(s3EncryptionTampering, [bucketCall('PutBucketEncryption', toOutsideKey, at(0, 0), thief)]), ['BucketEncryptionSetToForeignKey.Gumshoe 8 x1']);
    assert.deepEqual(findings(s3EncryptionTampering, [bucketCall('PutBucketEncryption', toOutsideKey, at(0, 0), assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT)]), ['BucketEncryptionSetToForeignKey.Gumshoe 2 x1']);
    const sync = assumedRole('bucket-sync', 'job');
    const days = [bucketCall('PutBucketEncryption', toOutsideKey, at(0, 0), sync, undefined, 'sync-a'), bucketCall('PutBucketEncryption', toOutsideKey, at(1, 0), sync, undefined, 'sync-b')];
    assert.deepEqual(findings(s3EncryptionTampering, days).sort(), ['BucketEncryptionSetToForeignKey.Gumshoe 2 x1', 'BucketEncryptionSetToForeignKey.Gumshoe 8 x1']);
  });

  test('removed is Low, and not reported again for a principal that removed encryption on an earlier day', () => {
    const reset = assumedRole('sandbox-reset', 'nightly');
    assert.deepEqual(findings(s3EncryptionTampering, [bucketCall('DeleteBucketEncryption', {}, at(0, 0), reset), bucketCall('DeleteBucketEncryption', {}, at(1, 0), reset)]), [
      'BucketEncryptionRemoved.Gumshoe 2 x1',
    ]);
  });
});
