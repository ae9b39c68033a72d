import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCloudTrail } from '../src/simulate/background.js';
import { runCase } from '../src/detect/cases.js';
import { ALL_TCP_PORTS, PASSWORDS_READ, SIX_AMIS } from '../src/detect/cloudtrail/ec2-execution.js';
import { ON_CALL_SESSIONS } from '../src/detect/cloudtrail/ssm-and-secrets.js';
import { runDetections } from '../src/detect/engine.js';
import { DETECTIONS } from '../src/detect/registry.js';
import { severityLevel } from '../src/findings/guardduty-finding.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

/**
 * Benign background — admins, console users, CI and Terraform roles, instance roles, services, S3 data
 * events, a few per cent failed calls — from the benchmark's seeded generator: every detection runs over
 * it and nothing above Low may fire.
 */
const scratch = scratchDir('gumshoe-benign-');
let lake: TestLake;

before(async () => {
  const generated = await generateCloudTrail({ outDir: path.join(scratch.dir, 'logs'), records: 40_000, seed: 7 });
  lake = await tempLake();
  await lake.ingest(generated.files);
});
after(() => {
  lake.close();
  scratch.cleanup();
});

describe('benign CloudTrail background', () => {
  test('raises no finding above Low', async () => {
    const summary = await runDetections(lake.lake, { intel: staticIntel({}), settings: { learningDays: 1 } });
    assert.equal(summary.events, 40_000);
    const serious = summary.findings.filter((f) => f.severity >= 4);
    assert.deepEqual(
      serious.map((f) => `${severityLevel(f.severity)} ${f.type} ${f.resource.accessKeyDetails?.userName ?? ''} ${f.service.action.awsApiCallAction?.api ?? ''}`),
      [],
    );
  });
});

/** A detection's own case, replayed alone: the findings' severity and text, which the cases do not compare. */
function findingsOf(detectionId: string, caseName: string) {
  const detection = DETECTIONS.find((d) => d.id === detectionId)!;
  const detectionCase = detection.cases().find((c) => c.name === caseName);
  assert.ok(detectionCase, `${detectionId} has no case “${caseName}”`);
  return runCase([detection], detectionCase).map((o) => o.finding);
}

describe('Gumshoe types: severity and wording of routine work and of attacks', () => {
  test('an on-call engineer’s shell sessions from the office are Low and name him', () => {
    const [finding, ...rest] = findingsOf('gumshoe-ssm-and-secrets', ON_CALL_SESSIONS);
    assert.equal(rest.length, 0);
    assert.equal(finding!.severity, 2);
    assert.equal(finding!.title, 'frank@acme.example (AWSReservedSSO_OnCallOperator_3f2a1b0c) opened shell sessions on 3 instances through Systems Manager.');
  });

  test('the same sessions by a long-term key from a hosting network stay Medium', () => {
    const findings = findingsOf('gumshoe-ssm-and-secrets', 'the same sessions by an IAM user’s long-term key from a hosting provider (Medium)');
    assert.deepEqual(findings.map((f) => f.severity), [5]);
  });

  test('successful password reads are at least as severe as denied ones', () => {
    const [finding] = findingsOf('gumshoe-ec2-execution', PASSWORDS_READ);
    assert.equal(finding!.severity, 5);
    assert.match(finding!.description, /for 6 instances/);
  });

  test('every TCP port open to ::/0 is “all ports”, Medium', () => {
    const [finding] = findingsOf('gumshoe-ec2-execution', ALL_TCP_PORTS);
    assert.equal(finding!.severity, 5);
    assert.match(finding!.title, /allows all ports from the whole internet/);
  });

  test('a burst reports everything it reached, not the threshold', () => {
    const [finding] = findingsOf('gumshoe-ec2-execution', SIX_AMIS);
    assert.match(finding!.title, /deregistered 6 AMI\(s\)/);
  });

  test('a cross-account role trust deployed through infrastructure as code is Low, as shares are', () => {
    const findings = findingsOf('gumshoe-iam-persistence', 'a backdoor role deployed through CloudFormation is still reported (as infrastructure as code, Low)');
    assert.deepEqual(findings.map((f) => f.severity), [2]);
  });

  test('a burst reported when its window closes spans its calls and shows the latest', () => {
    const [finding, ...rest] = findingsOf('gumshoe-ssm-and-secrets', 'Stratus: 20 secrets retrieved one by one');
    assert.equal(rest.length, 0);
    // The detonation's 20 GetSecretValue calls run from 12:36:48 to 12:36:52; the threshold is crossed at 12:36:50.
    assert.deepEqual([finding!.service.eventFirstSeen, finding!.service.eventLastSeen], ['2024-07-31T12:36:48Z', '2024-07-31T12:36:52Z']);
    assert.equal(finding!.service.count, 1);
  });

  test('Lambda’s versioned API names read as the API', () => {
    const [finding] = findingsOf('gumshoe-lambda-persistence', 'Stratus: function code overwritten by an IAM user');
    assert.match(finding!.description, /called UpdateFunctionCode on/);
  });
});
