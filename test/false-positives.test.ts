import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCloudTrail } from '../src/simulate/background.js';
import { runDetections } from '../src/detect/engine.js';
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
