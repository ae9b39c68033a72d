import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ctEvent, iamUser, instanceRole, repeated } from '../src/detect/case-builders.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { staticIntel } from '../src/intel/static.js';
import { findingsAfterRuns } from './helpers/split-runs.js';

/**
 * The same logs give the same findings whether `detect` runs once over all of them or once per delivery
 * (a cron job every hour or day): same ids, counts, first and last seen, severities.
 */

const CLI = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8';
const SDK = 'aws-sdk-java/2.25.6 Linux/6.1.0 OpenJDK_64-Bit_Server_VM/17.0.10';
const THREAT_IP = '198.51.100.23';
const OTHER_IP = '81.2.69.160';
const intel = () => staticIntel({ threatIps: [{ ip: THREAT_IP, listName: 'IncidentIOCs', custom: true }] });

/** Every finding in the lake after one run per batch, as what a user compares: id, type, resource, count, span, severity. */
async function findingsAfter(...batches: CloudTrailRecord[][]): Promise<string[]> {
  return (await findingsAfterRuns(batches, { intel: intel() }))
    .map((f) => `${f.type} ${f.resource.accessKeyDetails?.accessKeyId ?? ''} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} sev ${f.severity} ${f.id}`)
    .sort();
}

describe('one run or one run per delivery: the same findings', () => {
  test('an attack sequence over two access keys of one user is filed under the same key however the runs split it', async () => {
    // Day 1: the user's first key lists users from a threat-list address. Day 2: a second key of the same
    // user (made by the intruder, or the owner's other key) creates an administrator.
    const first = iamUser('eve', '111122223333', 'AKIAEVEFIRSTKEY00001');
    const second = iamUser('eve', '111122223333', 'AKIAEVESECONDKEY0002');
    const day1 = [
      ctEvent({ service: 'iam', name: 'ListUsers', identity: first, time: '2026-11-10T20:00:00Z', ip: THREAT_IP, userAgent: CLI }),
      ctEvent({ service: 'iam', name: 'ListRoles', identity: first, time: '2026-11-10T20:01:00Z', ip: THREAT_IP, userAgent: CLI }),
    ];
    const day2 = [
      ctEvent({ service: 'iam', name: 'CreateUser', identity: second, time: '2026-11-11T02:00:00Z', ip: OTHER_IP, userAgent: CLI, request: { userName: 'backup-admin' } }),
      ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: second, time: '2026-11-11T02:01:00Z', ip: OTHER_IP, userAgent: CLI, request: { userName: 'backup-admin', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
    ];
    const batch = await findingsAfter([...day1, ...day2]);
    assert.ok(batch.some((f) => f.startsWith('AttackSequence:IAM/CompromisedCredentials AKIAEVEFIRSTKEY00001 ×1')), batch.join('\n'));
    assert.deepEqual(await findingsAfter(day1, day2), batch);
  });

  test('a stolen instance session used from another AWS host just before the instance’s own call in the next run’s logs is InsideAWS, as in one run', async () => {
    // Two addresses announced by Amazon: the instance's NAT gateway (owned: used on three days) and a thief's EC2 host.
    const NAT = '34.195.23.71';
    const THIEF = '35.80.1.2';
    const worker = instanceRole('worker-instance-role', 'i-0b2c3d4e5f6a70819');
    const own = (time: string) => ctEvent({ service: 'sqs', name: 'ReceiveMessage', identity: worker, time, ip: NAT, userAgent: SDK });
    const before = [
      ...repeated(60, '2026-11-01T00:00:00Z', 60, own),
      own('2026-11-03T11:55:00Z'),
      ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: worker, time: '2026-11-03T12:00:00Z', ip: THIEF, userAgent: CLI }),
    ];
    // The instance's next call, from its NAT gateway three minutes later, is delivered after the run.
    const after = [own('2026-11-03T12:03:00Z')];
    const batch = await findingsAfter([...before, ...after]);
    assert.ok(batch.some((f) => f.startsWith('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS')), batch.join('\n'));
    assert.deepEqual(await findingsAfter(before, after), batch);
  });
});
