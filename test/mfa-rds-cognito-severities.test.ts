import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import { DETECTIONS } from '../src/detect/registry.js';

/**
 * Severities of the cases of MfaDeviceRegisteredForOtherUser, DeletionProtectionDisabled and
 * IdentityPoolOpenToGuests, which detection-cases does not compare: the attacks Medium, the lookalikes Low.
 */
function severities(detectionId: string, caseName: string): number[] {
  const detection = DETECTIONS.find((d) => d.id === detectionId)!;
  const detectionCase = detection.cases().find((c) => c.name === caseName);
  assert.ok(detectionCase, `${detectionId} has no case “${caseName}”`);
  return runCase([detection], detectionCase).map((o) => o.finding.severity);
}

describe('MFA device registered on another user', () => {
  const id = 'gumshoe-iam-persistence';
  test('Medium for a first-time caller, Low for a help desk’s later days and Terraform', () => {
    assert.deepEqual(severities(id, 'an IAM user’s key registers an MFA device on another, existing user (Medium)'), [5]);
    assert.deepEqual(severities(id, 'a help desk registering MFA for existing users on several days, and Terraform doing it (Low)').sort(), [2, 2, 5]);
  });
});

describe('RDS deletion protection turned off', () => {
  const id = 'gumshoe-recovery-sabotage';
  test('Medium when the same principal deletes the database within the hour; Low for Terraform and alone', () => {
    assert.deepEqual(severities(id, 'an IAM user’s key turns off deletion protection of a database, then deletes it without a final snapshot (Medium)'), [5]);
    assert.deepEqual(severities(id, 'Terraform destroys an Aurora cluster (protection off, then deleted), an admin turns protection off on a test database (Low)'), [2, 2]);
  });
});

describe('Cognito identity pool opened to guests', () => {
  const id = 'gumshoe-cognito-exposure';
  test('Medium from the CLI, Low through IaC or the console', () => {
    assert.deepEqual(severities(id, 'a stolen key sets a guest role on an existing pool, then turns on guest access (Medium)'), [5]);
    assert.deepEqual(severities(id, 'a new identity pool allowing guests, from the CLI (Medium)'), [5]);
    assert.deepEqual(severities(id, 'Terraform re-applying a guest pool (reported once, Low), and an app builder enabling guests in the console (Low)'), [2, 2]);
  });
});
