import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser } from '../src/detect/case-builders.js';
import { consoleLoginGeoVelocity } from '../src/detect/cloudtrail/console-login-geo-velocity.js';
import { lambdaPersistence } from '../src/detect/cloudtrail/lambda-persistence.js';
import type { ApiDetection, CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { queryFindings } from '../src/findings/store.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

/**
 * The same logs give the same findings however they arrive: in one batch, or over several detect runs with
 * files that come late (older than what earlier runs saw).
 */
const scratch = scratchDir('gumshoe-arrival-');
after(() => scratch.cleanup());
const intel = staticIntel({});

let fileCount = 0;
function writeRecords(records: CloudTrailRecord[]): string {
  const file = path.join(scratch.dir, `events-${++fileCount}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

const carol = iamUser('carol');
const signIn = (time: string, ip: string) =>
  ctEvent({
    service: 'signin', name: 'ConsoleLogin', identity: carol, time, ip, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', readOnly: false,
    response: { ConsoleLogin: 'Success' },
  });

const LONDON = '81.2.69.160';
const PARIS = '62.210.16.1';
const SYDNEY = '110.33.122.75';
// Each of Sydney 12:00 and London 13:00 is impossible after the sign-in before it; London and Paris are too close to judge.
const london10 = signIn('2026-11-10T10:00:00Z', LONDON);
const paris1030 = signIn('2026-11-10T10:30:00Z', PARIS);
const sydney12 = signIn('2026-11-10T12:00:00Z', SYDNEY);
const london13 = signIn('2026-11-10T13:00:00Z', LONDON);

type Summary = { type: string; count: number; firstSeen: string; lastSeen: string; ip: string | undefined };

/** Runs detect once per group of records, in the order given, on a fresh lake; `check` sees the lake after each run. */
async function afterRuns(
  runs: CloudTrailRecord[][],
  check: (lake: TestLake, run: number) => Promise<void> = async () => {},
  detections: ApiDetection[] = [consoleLoginGeoVelocity],
): Promise<Summary[]> {
  const lake = await tempLake();
  try {
    for (const [i, records] of runs.entries()) {
      await lake.ingest([writeRecords(records)]);
      await runDetections(lake.lake, { intel, detections });
      await check(lake, i);
    }
    return await summaries(lake);
  } finally {
    lake.close();
  }
}

async function summaries(lake: TestLake): Promise<Summary[]> {
  return (await queryFindings(lake.lake.connection)).map((f) => ({
    type: f.type,
    count: f.service.count,
    firstSeen: f.service.eventFirstSeen,
    lastSeen: f.service.eventLastSeen,
    ip: f.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4,
  }));
}

const TYPE = 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B';
const BOTH = [{ type: TYPE, count: 2, firstSeen: '2026-11-10T12:00:00Z', lastSeen: '2026-11-10T13:00:00Z', ip: LONDON }];

describe('console sign-ins arriving out of time order (ConsoleLoginSuccess.B)', () => {
  test('a late, older sign-in raises the newer one it makes impossible, and keeps it for the next', async () => {
    const found = await afterRuns([[sydney12], [london10], [london13]], async (lake, run) => {
      if (run !== 1) return;
      // Raised at Sydney's time and address, with Sydney's event as evidence, as a batch would.
      assert.deepEqual(await summaries(lake), [{ type: TYPE, count: 1, firstSeen: '2026-11-10T12:00:00Z', lastSeen: '2026-11-10T12:00:00Z', ip: SYDNEY }]);
      const [evidence] = await lake.rows('SELECT event_uid FROM finding_evidence');
      assert.equal(evidence?.event_uid, sydney12.eventID);
    });
    assert.deepEqual(found, BOTH);
  });

  test('a batch and any split of the same sign-ins, in any arrival order, give the same finding', async () => {
    assert.deepEqual(await afterRuns([[london10, paris1030, sydney12, london13]]), BOTH);
    const splits = [
      [[london13], [sydney12], [paris1030], [london10]],
      [[sydney12, london13], [london10, paris1030]],
      [[london10, london13], [sydney12], [paris1030]],
    ];
    for (const runs of splits) assert.deepEqual(await afterRuns(runs), BOTH, runs.map((r) => r.map((e) => e.eventTime).join('+')).join(' | '));
  });

  test('a late sign-in more than a day before the newer ones raises nothing', async () => {
    assert.deepEqual(await afterRuns([[sydney12, london13], [signIn('2026-11-09T09:00:00Z', PARIS)]]), [
      { type: TYPE, count: 1, firstSeen: '2026-11-10T13:00:00Z', lastSeen: '2026-11-10T13:00:00Z', ip: LONDON },
    ]);
  });
});

describe('Lambda deploys arriving newest first (FunctionCodeOverwritten)', () => {
  const deploy = (name: string, time: string, role: string) =>
    ctEvent({ service: 'lambda', name, identity: assumedRole(role, 'ci'), time, request: { functionName: 'billing-export' } });
  const created = deploy('CreateFunction20150331', '2026-11-01T09:00:00Z', 'terraform-ci');
  const terraformDeploy = deploy('UpdateFunctionCode20150331v2', '2026-11-03T09:00:00Z', 'terraform-ci');
  const actionsDeploy = deploy('UpdateFunctionCode20150331v2', '2026-11-05T09:00:00Z', 'github-actions');

  test('a deployer first seen later is not the usual deployer of an older deploy', async () => {
    const newestFirst = await afterRuns([[actionsDeploy], [terraformDeploy], [created]], undefined, [lambdaPersistence]);
    assert.deepEqual(newestFirst, []);
  });

  test('in time order the second pipeline is noted, Low', async () => {
    const inOrder = await afterRuns([[created], [terraformDeploy], [actionsDeploy]], undefined, [lambdaPersistence]);
    assert.deepEqual(inOrder.map((f) => f.type), ['Persistence:Lambda/FunctionCodeOverwritten.Gumshoe']);
  });
});
