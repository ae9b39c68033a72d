import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { bedrockAndSes } from '../src/detect/cloudtrail/bedrock-and-ses.js';
import { consoleLogin } from '../src/detect/cloudtrail/console-login.js';
import { instanceEnumeration } from '../src/detect/cloudtrail/ec2-execution.js';
import { loggingTampering } from '../src/detect/cloudtrail/logging-tampering.js';
import { ssmAndSecrets } from '../src/detect/cloudtrail/ssm-and-secrets.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { queryFindings } from '../src/findings/store.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * CloudTrail delivers its files 5 to 15 minutes late and in no particular order, so a cron job often reads an
 * event one run after a later one. The event that explains another (a removed MFA device before a sign-in
 * without MFA, the CreateTrail before its creator's selector change, a listing before a batch read or an
 * invocation) must decide as it does in one run over all logs.
 */

const scratch = scratchDir('gumshoe-late4-');
after(() => scratch.cleanup());

const DETECTIONS = [consoleLogin, loggingTampering, bedrockAndSes, ssmAndSecrets, instanceEnumeration];

let files = 0;
const write = (records: CloudTrailRecord[]) => {
  const file = path.join(scratch.dir, `events-${++files}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
};

/** A run as a cron job on live logs: a minute after the latest event it reads (its logs may still come late). */
const liveClock = (records: CloudTrailRecord[]) => Math.max(...records.map((r) => Date.parse(String(r.eventTime)))) + 60_000;

/**
 * Every finding after one run per batch: live (each run's clock just after its logs) or over past logs. An
 * empty batch is a run with no new logs.
 */
async function findingsAfter(live: boolean, ...batches: CloudTrailRecord[][]): Promise<string[]> {
  const lake = await tempLake();
  try {
    let clock = 0;
    for (const records of batches) {
      if (records.length) await lake.ingest([write(records)]);
      clock = records.length ? Math.max(clock, liveClock(records)) : clock + 5 * 60_000;
      await runDetections(lake.lake, { intel: staticIntel({}), detections: DETECTIONS, ...(live ? { clock } : {}) });
    }
    const found = await queryFindings(lake.lake.connection);
    return found.map((f) => `${f.type} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} sev ${f.severity} ${f.title} ${f.id}`).sort();
  } finally {
    lake.close();
  }
}

/** The same findings in one run and in each split, live and over past logs. */
async function sameAsOneRun(records: CloudTrailRecord[], ...splits: CloudTrailRecord[][][]): Promise<string[]> {
  const batch = await findingsAfter(false, records);
  for (const split of splits) {
    assert.deepEqual(await findingsAfter(true, ...split), batch, 'live runs');
    assert.deepEqual(await findingsAfter(false, ...split), batch, 'runs over past logs');
  }
  return batch;
}

describe('console sign-in without MFA', () => {
  const login = (time: string) => ({
    ...ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: { ...iamUser('anaya'), accessKeyId: undefined }, time, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', response: { ConsoleLogin: 'Success' } }),
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
  });
  const deactivate = (time: string) =>
    ctEvent({ service: 'iam', name: 'DeactivateMFADevice', identity: iamUser('mallory'), time, request: { userName: 'anaya', serialNumber: 'arn:aws:iam::111122223333:mfa/anaya' } });

  test('the MFA device deactivation delivered one run after the sign-in: Medium, one occurrence, as in one run', async () => {
    const removal = deactivate('2026-11-02T03:05:00Z');
    const signIn = login('2026-11-02T03:10:00Z');
    const batch = await sameAsOneRun([removal, signIn], [[signIn], [removal]], [[signIn], [removal], []]);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /ConsoleLoginWithoutMfa\.Gumshoe ×1 2026-11-02T03:10:00Z→2026-11-02T03:10:00Z sev 5 /);
  });

  test('a removal after the sign-in, delivered late, leaves it Low', async () => {
    const signIn = login('2026-11-02T03:10:00Z');
    const removal = deactivate('2026-11-02T03:12:00Z');
    const batch = await sameAsOneRun([signIn, removal], [[removal], [signIn]]);
    assert.match(batch.join('\n'), /ConsoleLoginWithoutMfa\.Gumshoe ×1 .* sev 2 /);
  });
});

describe('CloudTrail event selectors set by the trail’s creator', () => {
  const terraform = assumedRole('TerraformApply', 'ci-run-8812');
  const create = ctEvent({ service: 'cloudtrail', name: 'CreateTrail', identity: terraform, userAgent: TERRAFORM_AGENT, time: '2026-11-02T10:00:00Z', request: { name: 's3-data-events', s3BucketName: 'acme-data-events' } });
  const selectors = (time: string, identity = terraform) =>
    ctEvent({ service: 'cloudtrail', name: 'PutEventSelectors', identity, userAgent: TERRAFORM_AGENT, time, request: { trailName: 's3-data-events', eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false, dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] }] } });

  test('Terraform’s CreateTrail delivered in the next run: its data-events selectors are setup, not tampering', async () => {
    const setup = selectors('2026-11-02T10:00:04Z');
    assert.deepEqual(await findingsAfter(false, [create, setup]), []);
    // Live, the run that reads the selectors waits for the delivery delay; a run over past logs decides at
    // its end (their files were all delivered long ago: a CreateTrail read later is a backfill).
    assert.deepEqual(await findingsAfter(true, [setup], [create]), []);
    assert.deepEqual(await findingsAfter(true, [setup], [create], []), []);
  });

  test('CreateTrail and the selectors in the same second, in either order: setup', async () => {
    const setup = selectors('2026-11-02T10:00:00Z');
    assert.deepEqual(await findingsAfter(false, [setup, create]), []);
    assert.deepEqual(await findingsAfter(false, [create, setup]), []);
  });

  test('selectors weakened on a trail someone else created: reported, live by the next run', async () => {
    const weakened = selectors('2026-11-02T10:00:04Z', iamUser('mallory'));
    const batch = await findingsAfter(false, [create, weakened]);
    assert.deepEqual(await findingsAfter(true, [weakened], [create]), batch);
    assert.deepEqual(await findingsAfter(true, [weakened], []), batch);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /^DefenseEvasion:IAMUser\/CloudTrailEventSelectorsWeakened\.Gumshoe ×1 /);
    // A live run whose logs may still hold the CreateTrail waits for the next one.
    assert.deepEqual(await findingsAfter(true, [weakened]), []);
  });
});

describe('Bedrock', () => {
  const stolen = iamUser('ci-deployer');
  const bedrock = (name: string, time: string, request: Record<string, unknown> = {}, errorCode?: string) => ctEvent({ service: 'bedrock', name, time, identity: stolen, request, errorCode });
  const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 11, 2, 10, minute, second)).toISOString().replace('.000Z', 'Z');

  test('models listed, then invoked: the listing delivered one run late still makes it Medium', async () => {
    const list = bedrock('ListFoundationModels', at(0));
    const invoke = bedrock('InvokeModel', at(0, 20), { modelId: 'anthropic.claude-v2' });
    const batch = await sameAsOneRun([list, invoke], [[invoke], [list]], [[invoke], [list], []]);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /ModelInvocationAbuse\.Gumshoe ×1 2026-12-02T10:00:20Z→2026-12-02T10:00:20Z sev 5 ci-deployer listed the foundation models, then invoked anthropic\.claude-v2/);
  });

  test('failing invocations, one delivered late: the finding spans them all and counts them', async () => {
    const failures = [0, 1, 2, 3].map((m) => bedrock('InvokeModel', at(m), { modelId: `model-${m}` }, 'AccessDeniedException'));
    const batch = await sameAsOneRun(failures, [[failures[0]!, failures[2]!, failures[3]!], [failures[1]!]], [failures.slice(0, 3), failures.slice(3)]);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /×1 2026-12-02T10:00:00Z→2026-12-02T10:03:00Z sev 5 ci-deployer made 4 failing invocations \(AccessDeniedException\)/);
  });

  test('a first invocation delivered after the second: one occurrence, first seen at the first', async () => {
    const role = assumedRole('new-chatbot', 'fn');
    const first = ctEvent({ service: 'bedrock', name: 'InvokeModel', time: '2026-12-20T10:00:00Z', identity: role, request: { modelId: 'anthropic.claude-v2' }, userAgent: CONSOLE_AGENT });
    const second = ctEvent({ service: 'bedrock', name: 'InvokeModel', time: '2026-12-20T10:04:00Z', identity: role, request: { modelId: 'anthropic.claude-v2' }, userAgent: CONSOLE_AGENT });
    // Bedrock has been watched in the account since weeks before (the learning period is over).
    const earlier = ctEvent({ service: 'bedrock', name: 'InvokeModel', time: '2026-12-01T10:00:00Z', identity: iamUser('admin'), request: { modelId: 'anthropic.claude-v2' }, userAgent: CONSOLE_AGENT });
    const batch = await findingsAfter(false, [earlier, first, second]);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /ModelInvocationAbuse\.Gumshoe ×1 2026-12-20T10:00:00Z→2026-12-20T10:00:00Z sev 2 new-chatbot invoked anthropic\.claude-v2 for the first time/);
    // The second call, judged the first use until the first arrived, stays in the finding's span.
    for (const live of [true, false]) {
      const split = await findingsAfter(live, [earlier, second], [first]);
      assert.equal(split.length, 1, split.join('\n'));
      assert.match(split[0]!, /ModelInvocationAbuse\.Gumshoe ×1 2026-12-20T10:00:00Z→2026-12-20T10:04:00Z sev 2 new-chatbot invoked anthropic\.claude-v2 for the first time/);
    }
  });
});

describe('Secrets Manager list, then batch read', () => {
  const mallory = iamUser('mallory');
  const list = ctEvent({ service: 'secretsmanager', name: 'ListSecrets', identity: mallory, time: '2026-11-02T10:00:00Z', request: { maxResults: 100 } });
  const batchGet = (time: string) => ctEvent({ service: 'secretsmanager', name: 'BatchGetSecretValue', identity: mallory, time, request: { secretIdList: ['prod/orders/db', 'prod/orders/stripe'] } });

  test('ListSecrets delivered one run after the batch read it led to: the bulk read is reported, as in one run', async () => {
    const read = batchGet('2026-11-02T10:00:05Z');
    const batch = await sameAsOneRun([list, read], [[read], [list]], [[read], [list], []]);
    assert.equal(batch.length, 1, batch.join('\n'));
    assert.match(batch[0]!, /SecretsMassRetrieved\.Gumshoe ×1 2026-11-02T10:00:05Z→2026-11-02T10:00:05Z sev 5 mallory retrieved many Secrets Manager secrets/);
  });

  test('a listing after the batch read does not make it bulk, in whichever order it is delivered', async () => {
    const read = batchGet('2026-11-02T09:59:55Z');
    assert.deepEqual(await sameAsOneRun([read, list], [[list], [read]], [[read], [list]]), []);
  });
});

test('an instance enumerating the account, half its refused calls delivered one run late: Medium (probing), as in one run', async () => {
  // Nine discovery calls two seconds apart; refused: the 3rd to the 6th.
  const calls = instanceEnumeration.cases()[0]!.records!;
  const early = calls.filter((_, i) => i % 2 === 0 && i < 7);
  const late = calls.filter((call) => !early.includes(call));
  const batch = await sameAsOneRun(calls, [early, late]);
  assert.equal(batch.length, 1, batch.join('\n'));
  assert.match(batch[0]!, /^Discovery:EC2\/EnumerationFromInstance\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:00:16Z sev 5 /);
});

test('SES sending checks, the second delivered one run late: one finding spanning every check, naming them all', async () => {
  const checks = ['GetAccountSendingEnabled', 'GetSendQuota', 'ListIdentities', 'GetIdentityVerificationAttributes'].map((api, i) =>
    ctEvent({ service: 'ses', name: api, time: `2026-11-02T10:0${i}:00Z`, identity: iamUser('mallory') }),
  );
  const [first, second, ...rest] = checks;
  const batch = await sameAsOneRun(checks, [[first!, ...rest], [second!]], [checks.slice(0, 3), checks.slice(3)]);
  assert.equal(batch.length, 1, batch.join('\n'));
  assert.match(batch[0]!, /^Discovery:SES\/SendingCapabilityEnumeration\.Gumshoe ×1 2026-11-02T10:00:00Z→2026-11-02T10:03:00Z sev 5 /);
});
