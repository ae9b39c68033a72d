import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, repeated } from '../src/detect/case-builders.js';
import { ec2Execution, instanceEnumeration } from '../src/detect/cloudtrail/ec2-execution.js';
import { iamPersistence } from '../src/detect/cloudtrail/iam-persistence.js';
import { ssmAndSecrets } from '../src/detect/cloudtrail/ssm-and-secrets.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { staticIntel } from '../src/intel/static.js';
import { findingsAfterRuns } from './helpers/split-runs.js';

/**
 * Bursts reported when a run ends inside their window, and findings held back for an event that would
 * cancel them: the same logs give the same findings in one run or split over runs, as a cron job splits
 * them while CloudTrail delivers its files minutes late.
 */

const DETECTIONS = [ec2Execution, instanceEnumeration, ssmAndSecrets, iamPersistence];
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** Every finding in the lake after one run per batch (an empty batch: a run with no new logs). */
async function findingsAfter(...batches: CloudTrailRecord[][]): Promise<string[]> {
  const found = await findingsAfterRuns(batches, { intel: staticIntel({}), detections: DETECTIONS });
  return found.map((f) => `${f.type} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} sev ${f.severity} ${f.title} ${f.id}`).sort();
}

const at = (seconds: number) => new Date(Date.parse('2026-11-02T10:00:00Z') + seconds * 1000).toISOString().replace('.000Z', 'Z');

describe('a burst still open when a run ends grows in the next run', () => {
  test('user data read on 15 instances, the run ending after the third read: one finding up to the last read', async () => {
    const role = assumedRole('dud-role', 'aws-go-sdk-1');
    const reads = repeated(15, at(0), 0.1, (time, i) =>
      ctEvent({ service: 'ec2', name: 'DescribeInstanceAttribute', identity: role, time, request: { attribute: 'userData', instanceId: `i-0000000000000${100 + i}` }, errorCode: 'Client.UnauthorizedOperation' }),
    );
    const batch = await findingsAfter(reads);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /^Discovery:EC2\/UserDataEnumeration\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:01:24Z sev 5 /);
    assert.deepEqual(await findingsAfter(reads.slice(0, 3), reads.slice(3)), batch);
    assert.deepEqual(await findingsAfter(reads.slice(0, 9), reads.slice(9, 12), reads.slice(12)), batch);
  });

  test('20 secrets read one by one, split in the middle: the same finding, its title counting all 20', async () => {
    const reads = repeated(20, at(0), 0.05, (time, i) => ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity: iamUser('christophe'), time, request: { secretId: `prod/secret-${i}` } }));
    const batch = await findingsAfter(reads);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /SecretsMassRetrieved\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:00:57Z /);
    assert.deepEqual(await findingsAfter(reads.slice(0, 11), reads.slice(11)), batch);
  });

  test('an instance enumerating the account: reported when its window closes, whole, and grown by the next run', async () => {
    const calls = instanceEnumeration.cases()[0]!.records!;
    const batch = await findingsAfter(calls);
    assert.equal(batch.length, 1, batch.join('\n'));
    // The last of the nine calls, not the fifth that crossed the threshold; Medium, as it was probing then.
    assert.match(batch[0]!, /^Discovery:EC2\/EnumerationFromInstance\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:00:16Z sev 5 /);
    assert.deepEqual(await findingsAfter(calls.slice(0, 6), calls.slice(6)), batch);
  });

  test('shell sessions on four instances, the fourth in the next run: the decision taken on the third holds (document, severity)', async () => {
    const sessions = [0, 60, 120, 300].map((seconds, i) =>
      ctEvent({ service: 'ssm', name: 'StartSession', identity: assumedRole('ops-automation', 'bot'), time: at(seconds), request: { target: `i-0a00000000000000${i}` } }),
    );
    const batch = await findingsAfter(sessions);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /SsmRemoteExecution\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:05:00Z sev 5 /);
    assert.deepEqual(await findingsAfter(sessions.slice(0, 3), sessions.slice(3)), batch);
  });
});

describe('a finding held for an event that may cancel it waits in the state for the next run', () => {
  // Recent logs: CloudTrail may still deliver the event that cancels the finding.
  const recent = new Date(Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const iam = (name: string, request: Record<string, unknown>, time = recent) => ctEvent({ service: 'iam', name, identity: iamUser('christophe'), time, request });

  test('a new admin user whose CreateUser (same second) comes in the next run’s file: one AdminUserCreated, no key or grant finding', async () => {
    const grant = iam('AttachUserPolicy', { userName: 'malicious-iam-user', policyArn: ADMIN_POLICY });
    const key = iam('CreateAccessKey', { userName: 'malicious-iam-user' });
    const create = iam('CreateUser', { userName: 'malicious-iam-user' });
    const batch = await findingsAfter([grant, key, create]);
    assert.deepEqual(batch.map((f) => f.split(' ')[0]), ['Persistence:IAMUser/AdminUserCreated.Gumshoe']);
    assert.deepEqual(await findingsAfter([grant, key], [create]), batch);
    assert.deepEqual(await findingsAfter([grant], [key, create]), batch);
  });

  test('a key for another user that nothing cancels is reported by the next run, even one with no new logs', async () => {
    const key = iam('CreateAccessKey', { userName: 'bob' });
    const first = await findingsAfter([key]);
    assert.deepEqual(first, []);
    const next = await findingsAfter([key], []);
    assert.deepEqual(next.map((f) => f.split(' ').slice(0, 2).join(' ')), ['Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe ×1']);
  });

  test('a later event past the grace time decides it in the same run', async () => {
    const key = iam('CreateAccessKey', { userName: 'bob' });
    const later = iam('GetFederationToken', { name: 'x' }, new Date(Date.parse(recent) + 3 * 60_000).toISOString().replace('.000Z', 'Z'));
    const found = await findingsAfter([key, later]);
    assert.ok(found.some((f) => f.startsWith('Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe ×1')), found.join('\n'));
  });

  test('past logs (delivered long ago) are decided at the end of their run', async () => {
    const key = iam('CreateAccessKey', { userName: 'bob' }, '2026-11-02T10:00:00Z');
    const found = await findingsAfter([key]);
    assert.deepEqual(found.map((f) => f.split(' ')[0]), ['Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe']);
  });
});

describe('a call CloudTrail delivers late, older than the burst a run has open', () => {
  const read = (i: number, time: string, region = 'us-east-1') =>
    ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity: iamUser('christophe'), time, region, request: { secretId: `prod/secret-${i}` } });

  test('joins the burst (first seen moves back), not a second occurrence of it', async () => {
    // Run 1 reads ten secrets (the threshold) and reports the burst at its end. Run 2 reads the file of
    // another region delivered late, with a call five seconds before the burst, and the burst's rest.
    const first = repeated(10, '2026-11-02T10:05:00Z', 0.05, (time, i) => read(i, time));
    const late = read(99, '2026-11-02T10:04:55Z', 'eu-west-1');
    const rest = repeated(10, '2026-11-02T10:05:30Z', 0.05, (time, i) => read(10 + i, time));
    const batch = await findingsAfter([...first, late, ...rest]);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /SecretsMassRetrieved\.Gumshoe ×1 2026-11-02T10:04:55Z→2026-11-02T10:05:57Z /);
    assert.deepEqual(await findingsAfter(first, [late, ...rest]), batch);
  });
});

test('a secrets sweep across regions split over two runs stays one finding, in the region where it crossed the threshold', async () => {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
  const reads = repeated(18, '2026-11-02T10:00:00Z', 0.05, (time, i) =>
    ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity: iamUser('christophe'), time, region: regions[i % 3], request: { secretId: `secret-${i}` } }),
  );
  const batch = await findingsAfter(reads);
  assert.equal(batch.length, 1, batch.join('\n'));
  assert.match(batch[0]!, /SecretsMassRetrieved\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:00:51Z /);
  assert.deepEqual(await findingsAfter(reads.slice(0, 11), reads.slice(11)), batch);
  // The tenth read (index 9) crossed the threshold of ten secrets.
  assert.deepEqual((await findingsAfterRuns([reads], { intel: staticIntel({}), detections: DETECTIONS })).map((f) => f.region), [regions[9 % 3]]);
});
