import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ctEvent, iamUser } from '../src/detect/case-builders.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { staticIntel } from '../src/intel/static.js';
import { findingsAfterRuns } from './helpers/split-runs.js';

/** Logs that arrive late (CloudTrail delivers files minutes apart, a run may miss one) still give the sequence of one batch. */

const CLI = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8';
const THREAT_IP = '198.51.100.23';
const intel = () => staticIntel({ threatIps: [{ ip: THREAT_IP, listName: 'IncidentIOCs', custom: true }] });
const eve = iamUser('eve');
const call = (name: string, time: string, request?: Record<string, unknown>) => ctEvent({ service: 'iam', name, identity: eve, time, ip: THREAT_IP, userAgent: CLI, ...(request ? { request } : {}) });

/** The lake's attack sequences after one run per batch: type, count, span and signals. */
async function sequencesAfter(...batches: CloudTrailRecord[][]): Promise<string[]> {
  const found = await findingsAfterRuns(batches, { intel: intel() });
  return found.filter((f) => f.type.startsWith('AttackSequence:')).map((f) => {
    const { signals } = (f.service.detection as { sequence: { signals: { name: string }[] } }).sequence;
    return `${f.type} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} ${signals.map((s) => s.name).sort().join(', ')}`;
  });
}

describe('attack sequences from logs out of order', () => {
  const takeover = [
    call('CreateUser', '2026-11-10T10:02:00Z', { userName: 'backup-admin' }),
    call('AttachUserPolicy', '2026-11-10T10:03:00Z', { userName: 'backup-admin', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    call('CreateAccessKey', '2026-11-10T10:04:00Z', { userName: 'backup-admin' }),
  ];

  test('an earlier call of a signal the sequence has, arriving in a later run, moves its start back as in one batch', async () => {
    // Delivered late: a first CreateUser attempt by the same key, a threat-list call like the others (no new signal).
    const late = [call('CreateUser', '2026-11-10T09:40:00Z', { userName: 'ops-backup' })];
    const batch = await sequencesAfter([...late, ...takeover]);
    assert.deepEqual(batch, [
      'AttackSequence:IAM/CompromisedCredentials ×1 2026-11-10T09:40:00Z→2026-11-10T10:04:00Z Persistence:IAMUser/AdminUserCreated.Gumshoe, UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
    ]);
    assert.deepEqual(await sequencesAfter(takeover, late), batch);
  });

  test('an earlier signal arriving in a later run joins the sequence’s signals, as in one batch', async () => {
    // Delivered late: the key's reconnaissance before the takeover, a finding of its own.
    const late = [call('ListUsers', '2026-11-10T09:40:00Z'), call('ListRoles', '2026-11-10T09:41:00Z')];
    const batch = await sequencesAfter([...late, ...takeover]);
    assert.match(batch[0] ?? '', /09:40:00Z→2026-11-10T10:04:00Z .*Recon:IAMUser\/MaliciousIPCaller\.Custom/);
    assert.deepEqual(await sequencesAfter(takeover, late), batch);
  });
});
