import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import { RDS_DR_COPY_CASE, RDS_EXPOSED_CASE, RDS_IAC_CASE } from '../src/detect/cloudtrail/rds-data-access.js';
import { DATABASE_DESTROYED_CASE, DATABASE_DESTROYED_ROUTINELY_CASE, RESTORE_TEST_CASE, RETENTION_JOB_CASE, SNAPSHOTS_BY_HAND_CASE } from '../src/detect/cloudtrail/recovery-sabotage.js';
import { DETECTIONS } from '../src/detect/registry.js';

/**
 * Severities of the RDS cases, which detection-cases does not compare: single backup deletions and database
 * access Low, a database left with nothing to restore (and the internet, an outside key) Medium, IaC quieter.
 */
function severities(detectionId: string, caseName: string): number[] {
  const detection = DETECTIONS.find((d) => d.id === detectionId)!;
  const detectionCase = detection.cases().find((c) => c.name === caseName);
  assert.ok(detectionCase, `${detectionId} has no case “${caseName}”`);
  return runCase([detection], detectionCase)
    .map((o) => o.finding.severity)
    .sort();
}

describe('RDS backups deleted one at a time', () => {
  const id = 'gumshoe-recovery-sabotage';
  test('a database deleted by hand with no final snapshot and no automated backups is Medium alone', () => {
    assert.deepEqual(severities(id, DATABASE_DESTROYED_CASE), [5]);
  });
  test('Terraform, the console and a principal that did it before are Low', () => {
    assert.deepEqual(severities(id, DATABASE_DESTROYED_ROUTINELY_CASE), [2, 2]);
    assert.deepEqual(severities(id, RESTORE_TEST_CASE), [2, 5]);
  });
  test('a few backups deleted by hand are one Low finding; a retention job is Low on its first night only', () => {
    assert.deepEqual(severities(id, SNAPSHOTS_BY_HAND_CASE), [2]);
    assert.deepEqual(severities(id, RETENTION_JOB_CASE), [2]);
  });
});

describe('RDS data access', () => {
  const id = 'gumshoe-rds-data-access';
  test('a DB security group open to the internet and a copy under an outside key are Medium', () => {
    assert.deepEqual(severities(id, RDS_EXPOSED_CASE), [5, 5]);
  });
  test('IaC is severity 1; a nightly copy job is reported once, Low', () => {
    assert.deepEqual(severities(id, RDS_IAC_CASE), [1, 1, 1]);
    assert.deepEqual(severities(id, RDS_DR_COPY_CASE), [2]);
  });
});
