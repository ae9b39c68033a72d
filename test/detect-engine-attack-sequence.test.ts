import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ctEvent, iamUser, instanceRole, repeated } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import type { CloudTrailRecord, DetectionCase } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { DETECTIONS } from '../src/detect/registry.js';
import type { Occurrence } from '../src/findings/build.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';
import { staticIntel } from '../src/intel/static.js';
import { INCIDENTS } from '../src/simulate/incidents.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * Attack sequences (guardduty.md §2.6) correlate several distinct signals of one credential, across more
 * than one stage; S3/CompromisedData needs object reads, deletes or writes on a bucket it names. Every
 * detection runs here, as in `gumshoe detect`, so the findings a sequence could build on are all raised.
 */

const scratch = scratchDir('gumshoe-sequence-');
after(() => scratch.cleanup());

interface Sequence {
  description: string;
  signals: { type: string; name: string; uid: string; resourceUids: string[] }[];
  resources: { uid: string; resourceType: string }[];
  additionalSequenceTypes?: string[];
}

const sequenceOf = (f: GuardDutyFinding): Sequence => (f.service.detection as { sequence: Sequence }).sequence;
const sequences = (found: Occurrence[]) => found.filter((o) => o.finding.type.startsWith('AttackSequence:'));
const all = (c: Omit<DetectionCase, 'name'>) => runCase(DETECTIONS, { name: 'attack sequence', ...c });
const incident = (id: string) => {
  const scenario = INCIDENTS.find((s) => s.id === id)!;
  return all({ records: scenario.records, expect: scenario.expect, intel: scenario.intel });
};
/** The signal count a sequence's description states. */
const statedSignals = (f: GuardDutyFinding) => Number(/(\d+) (suspicious )?signals/.exec(f.description)?.[1]);

const CLI = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8';
const THREAT_IP = '198.51.100.23';
const threatList = { threatIps: [{ ip: THREAT_IP, listName: 'IncidentIOCs', custom: true }] };
const dana = iamUser('dana');
const externalRead = (bucket: string) => ({
  bucketName: bucket,
  bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] },
});
const getObject = (time: string, ip: string, key: string) =>
  ctEvent({ service: 's3', name: 'GetObject', identity: dana, time, ip, userAgent: CLI, data: true, request: { bucketName: 'finance-archive', key, Host: 'finance-archive.s3.amazonaws.com' } });

describe('attack sequences: what is no sequence', () => {
  test('a lone PutBucketPolicy raises its own findings, and no attack sequence', () => {
    const found = all({
      records: [
        ...repeated(14, '2026-11-01T09:00:00Z', 24 * 60, (t) => getObject(t, '81.2.69.160', 'reports/daily.csv')),
        ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: dana, time: '2026-11-15T09:00:00Z', ip: '51.15.1.1', userAgent: CLI, request: externalRead('finance-archive') }),
      ],
      expect: [],
    });
    const types = found.map((o) => o.finding.type);
    assert.ok(types.includes('Impact:S3/AnomalousBehavior.Permission'), types.join(', '));
    assert.ok(types.includes('Exfiltration:S3/BucketPolicyGrantsExternalAccount.Gumshoe'), types.join(', '));
    assert.deepEqual(sequences(found).map((o) => o.finding.title), []);
  });

  test('ListUsers and a denied CreateUser from a threat-listed IP are two threat-list findings, not a Critical sequence', () => {
    const found = all({
      records: [
        ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('alice'), time: '2025-06-10T06:13:20Z', ip: THREAT_IP, userAgent: CLI }),
        ctEvent({ service: 'iam', name: 'CreateUser', identity: iamUser('alice'), time: '2025-06-10T06:14:20Z', ip: THREAT_IP, userAgent: CLI, request: { userName: 'svc' }, errorCode: 'AccessDenied' }),
      ],
      intel: threatList,
      expect: [],
    });
    assert.deepEqual(found.map((o) => o.finding.type).sort(), ['Recon:IAMUser/MaliciousIPCaller.Custom', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom']);
  });
});

describe('attack sequences: what they say', () => {
  test('S3/CompromisedData is filed under the bucket read, as an S3Bucket resource with its s3BucketDetails', () => {
    const [sequence] = sequences(incident('incident/ssrf-instance-credential-theft'));
    assert.equal(sequence?.finding.type, 'AttackSequence:S3/CompromisedData');
    const { finding } = sequence!;
    assert.equal(finding.resource.resourceType, 'S3Bucket');
    assert.deepEqual(finding.resource.s3BucketDetails?.map((b) => b.name), ['acme-prod-customer-data']);
    assert.match(finding.title, /^Potential data compromise of S3 bucket acme-prod-customer-data by web-frontend-role/);
    assert.match(finding.description, /objects in acme-prod-customer-data \(2 signals/);
    const detail = sequenceOf(finding);
    assert.match(detail.description, /then read objects 25 times in acme-prod-customer-data\.$/);
    assert.ok(detail.resources.some((r) => r.resourceType === 'S3_BUCKET' && r.uid === 'arn:aws:s3:::acme-prod-customer-data'));
    // The credential-exfiltration finding and the object reads: the reads are about the data, the finding about the caller.
    assert.deepEqual(detail.signals.map((s) => `${s.type} ${s.name}`), ['FINDING UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'S3_DATA_EVENTS GetObject']);
  });

  test('a call that raised a finding is that finding’s signal, not one more: the stated count is the signals listed', () => {
    const [sequence] = sequences(incident('incident/leaked-access-key'));
    assert.equal(sequence?.finding.type, 'AttackSequence:S3/CompromisedData');
    const detail = sequenceOf(sequence!.finding);
    // Every high-risk call and object read of the leaked key raised a threat-list or Kali finding.
    assert.deepEqual(detail.signals.filter((s) => s.type !== 'FINDING').map((s) => s.name), []);
    assert.equal(new Set(detail.signals.map((s) => s.uid)).size, detail.signals.length);
    assert.equal(statedSignals(sequence!.finding), detail.signals.length);
    assert.deepEqual(detail.additionalSequenceTypes, ['AttackSequence:IAM/CompromisedCredentials']);
    // The object reads are in the S3 findings' signals, on the bucket.
    assert.ok(detail.signals.some((s) => s.name === 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom' && s.resourceUids.includes('arn:aws:s3:::acme-prod-customer-data')));
  });

  test('stolen instance credentials creating a key and attaching admin rights: three findings are three signals', () => {
    const orders = instanceRole('orders-instance-role', 'i-0c1d2e3f4a5b60718');
    const history = repeated(56, '2026-11-01T09:00:00Z', 360, (t) => ctEvent({ service: 'sqs', name: 'ReceiveMessage', identity: orders, time: t, ip: '3.5.140.2', userAgent: 'aws-sdk-java/2.25.6' }));
    const found = all({
      records: [
        ...history,
        ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: orders, time: '2026-11-15T09:00:00Z', ip: '51.15.1.1', userAgent: CLI }),
        ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: orders, time: '2026-11-15T09:01:00Z', ip: '51.15.1.1', userAgent: CLI, request: { userName: 'svc-backup' } }),
        ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: orders, time: '2026-11-15T09:02:00Z', ip: '51.15.1.1', userAgent: CLI, request: { userName: 'svc-backup', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
      ],
      intel: { awsIps: ['3.5.140.0/22'] },
      expect: [],
    });
    const [sequence] = sequences(found);
    assert.equal(sequence?.finding.type, 'AttackSequence:IAM/CompromisedCredentials');
    const detail = sequenceOf(sequence!.finding);
    assert.deepEqual(detail.signals.map((s) => s.type), ['FINDING', 'FINDING', 'FINDING']);
    assert.equal(statedSignals(sequence!.finding), 3);
  });
});

describe('attack sequences across runs', () => {
  let files = 0;
  const write = (records: CloudTrailRecord[]) => {
    const file = path.join(scratch.dir, `events-${++files}.json`);
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    return file;
  };

  test('findings of one run and object reads of a later one make S3/CompromisedData on that bucket, each signal counted once', async () => {
    const lake = await tempLake();
    try {
      const intel = staticIntel(threatList);
      await lake.ingest([
        write([
          ctEvent({ service: 'iam', name: 'ListUsers', identity: dana, time: '2026-11-15T09:00:00Z', ip: THREAT_IP, userAgent: CLI }),
          ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: dana, time: '2026-11-15T09:02:00Z', ip: THREAT_IP, userAgent: CLI, request: externalRead('finance-archive') }),
        ]),
      ]);
      const first = await runDetections(lake.lake, { intel });
      assert.deepEqual(first.findings.filter((f) => f.type.startsWith('AttackSequence:')).map((f) => f.title), [], 'a bucket policy is no object access');

      await lake.ingest([write(Array.from({ length: 5 }, (_, i) => getObject(`2026-11-15T10:0${i}:00Z`, THREAT_IP, `ledger/2026-${i + 1}.csv`)))]);
      const second = await runDetections(lake.lake, { intel });
      const sequence = second.findings.find((f) => f.type === 'AttackSequence:S3/CompromisedData');
      assert.ok(sequence, second.findings.map((f) => f.type).join(', '));
      assert.equal(sequence.resource.resourceType, 'S3Bucket');
      assert.deepEqual(sequence.resource.s3BucketDetails?.map((b) => b.name), ['finance-archive']);
      assert.match(sequence.title, /S3 bucket finance-archive by dana/);
      const detail = sequenceOf(sequence);
      // PutBucketPolicy (run 1) and the reads (run 2) raised findings of their own: no extra CLOUD_TRAIL or S3 signal.
      assert.deepEqual(detail.signals.map((s) => s.type), ['FINDING', 'FINDING', 'FINDING', 'FINDING']);
      assert.equal(statedSignals(sequence), 4);
      assert.match(detail.description, /then read objects 5 times in finance-archive\.$/);
    } finally {
      lake.close();
    }
  });
});
