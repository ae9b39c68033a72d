import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { caseRecords, runCase } from '../src/detect/cases.js';
import { EKS_OUTSIDE_ADMIN, PUBLIC_RESTORE_TAKEOVER } from '../src/detect/cloudtrail/infrastructure-exposure.js';
import { BACKUP_PURGE_CASE } from '../src/detect/cloudtrail/recovery-sabotage.js';
import { DETECTIONS } from '../src/detect/registry.js';
import { staticIntel } from '../src/intel/static.js';
import { findingsAfterRuns } from './helpers/split-runs.js';

/**
 * Severities of the infrastructure types' own cases, which detection-cases does not compare: attacks at
 * Medium or High, the benign lookalikes (IaC, the console, a resource's own creator, habits) at Low.
 */
function severities(detectionId: string, caseName: string): number[] {
  const detection = DETECTIONS.find((d) => d.id === detectionId)!;
  const detectionCase = detection.cases().find((c) => c.name === caseName);
  assert.ok(detectionCase, `${detectionId} has no case “${caseName}”`);
  return runCase([detection], detectionCase).map((o) => o.finding.severity);
}

describe('recovery sabotage', () => {
  const id = 'gumshoe-recovery-sabotage';
  test('versioning suspended or MFA delete switched off from the CLI is Medium', () => {
    assert.deepEqual(severities(id, 'Panther: versioning suspended and MFA delete switched off from the CLI'), [5, 5]);
  });
  test('a purge of backups by hand is Medium and counts everything it reached; a vault lock removed is Medium', () => {
    assert.deepEqual(severities(id, BACKUP_PURGE_CASE), [5]);
    const detection = DETECTIONS.find((d) => d.id === id)!;
    const [purge] = runCase([detection], detection.cases().find((c) => c.name === BACKUP_PURGE_CASE)!);
    assert.match(purge!.finding.title, /8 backups were deleted/);
    assert.deepEqual(severities(id, 'a backup vault’s lock removed from the CLI'), [5]);
  });
  test('the console and Terraform are Low', () => {
    for (const name of ['an admin suspends versioning and deletes a backup vault in the console (Low)', 'Terraform suspends versioning on a scratch bucket (Low)']) {
      assert.ok(severities(id, name).every((s) => s === 2), name);
    }
  });
});

describe('infrastructure exposure', () => {
  const id = 'gumshoe-infrastructure-exposure';
  test('traffic mirroring: Medium by hand, Low in the console, through Terraform and for an appliance’s habit', () => {
    assert.deepEqual(severities(id, 'an IAM user’s key mirrors an instance’s traffic'), [5]);
    assert.deepEqual(severities(id, 'Panther: a mirror session re-pointed to another target (console, Low)'), [2]);
    assert.deepEqual(severities(id, 'Terraform sets up traffic mirroring (Low)'), [2]);
    assert.deepEqual(severities(id, 'a network appliance’s automation mirrors new instances every day (Low from the second day)').sort(), [2, 5]);
  });
  test('a public restore with its password reset by the same hands is High; in the console Medium; otherwise Low', () => {
    assert.deepEqual(severities(id, PUBLIC_RESTORE_TAKEOVER), [8]);
    assert.deepEqual(severities(id, 'a developer restores a public copy in the console and resets its password (Medium); Terraform creates a public replica (Low)').sort(), [2, 5]);
    assert.deepEqual(severities(id, 'someone else resets the password of a database made public two hours before: no takeover'), [2]);
  });
  test('IMDSv1 re-enabled: Medium from the CLI, Low from the console', () => {
    assert.deepEqual(severities(id, 'IMDSv1 re-enabled on an instance from the CLI'), [5]);
    assert.deepEqual(severities(id, 'an admin lets a legacy instance use IMDSv1 from the console (Low)'), [2]);
  });
  test('disk export Medium; a domain unlocked and its code read by one key High, the code read in the console Low', () => {
    assert.deepEqual(severities(id, 'an instance exported to S3 as a disk image from the CLI'), [5]);
    assert.deepEqual(severities(id, 'a domain’s transfer lock removed and its authorization code read by the same key (High)'), [8]);
    assert.deepEqual(severities(id, 'an admin reads a domain’s authorization code in the console to move it to the corporate registrar (Low)'), [2]);
  });
  test('EKS cluster admin: High for an outside account, Medium by hand, Low as the cluster’s setup', () => {
    assert.deepEqual(severities(id, EKS_OUTSIDE_ADMIN), [8]);
    assert.deepEqual(severities(id, 'Stratus-shaped: cluster admin granted to a new role of the account'), [5]);
    assert.deepEqual(severities(id, 'the cluster’s creator makes the platform team admin right after creating it (Low)'), [2]);
  });
});

describe('ECS task credentials', () => {
  const id = 'gumshoe-ecs-task-credentials';
  test('sending the credentials out is High; reading them in a command override is Medium', () => {
    assert.deepEqual(severities(id, 'Pacu-style backdoored task definition posting its credentials out (High)'), [8]);
    assert.deepEqual(severities(id, 'a task run with its command overridden to print the credentials (Medium)'), [5]);
  });
});

describe('VPC endpoint used by an outside account', () => {
  test('a call that went through is High', () => {
    assert.deepEqual(severities('gumshoe-vpc-endpoint-external-access', 'Panther: an external principal through a VPC endpoint'), [8]);
  });
});

describe('through a real lake', () => {
  const recordsOf = (detectionId: string, caseName: string) => caseRecords(DETECTIONS.find((d) => d.id === detectionId)!.cases().find((c) => c.name === caseName)!);
  const detections = DETECTIONS.filter((d) => d.id === 'gumshoe-recovery-sabotage' || d.id === 'gumshoe-vpc-endpoint-external-access');
  const summary = (findings: { type: string; severity: number; service: { count: number } }[]) => findings.map((f) => `${f.type} sev ${f.severity} ×${f.service.count}`).sort();

  test('the lake keeps network activity events for the endpoint type, and a backup purge split over two runs is one finding', async () => {
    const endpoint = recordsOf('gumshoe-vpc-endpoint-external-access', 'Panther: an external principal through a VPC endpoint');
    const purge = recordsOf('gumshoe-recovery-sabotage', BACKUP_PURGE_CASE);
    const options = { intel: staticIntel({}), detections };
    const once = summary(await findingsAfterRuns([[...endpoint, ...purge]], options));
    assert.deepEqual(once, ['Exfiltration:EC2/VpcEndpointUsedByExternalAccount.Gumshoe sev 8 ×1', 'Impact:IAMUser/BackupsDeleted.Gumshoe sev 5 ×1']);
    assert.deepEqual(summary(await findingsAfterRuns([[...endpoint, ...purge.slice(0, 5)], purge.slice(5)], options)), once);
  });
});
