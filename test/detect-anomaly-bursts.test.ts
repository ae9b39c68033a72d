import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_AGENT, ctEvent, iamUser, repeated } from '../src/detect/case-builders.js';
import { anomalousBehavior } from '../src/detect/cloudtrail/anomalous-behavior.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { queryFindings } from '../src/findings/store.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * An IAM anomaly burst is one finding however `detect` runs split it (issue 3; guardduty.md §8.1): the
 * open burst is kept in the lake's detection state, and the run that continues it updates its finding.
 */
const scratch = scratchDir('gumshoe-bursts-');
after(() => scratch.cleanup());

const intel = staticIntel({});
const alice = iamUser('alice');
const OFFICE_IP = '81.2.69.160'; // Andrews & Arnold, London
const LAGOS_IP = '41.203.64.1'; // Globacom, Nigeria
const HTTP_AGENT = 'python-requests/2.31.0';

/** Two weeks of alice's everyday calls from the office with the CLI, ending the day before the burst. */
const history = repeated(14 * 4, '2026-11-01T09:00:00Z', 360, (time, i) => {
  const [service, name] = ([['ec2', 'DescribeInstances'], ['s3', 'ListBuckets'], ['sts', 'GetCallerIdentity'], ['iam', 'ListUsers']] as const)[i % 4]!;
  return ctEvent({ service, name, identity: alice, time, ip: OFFICE_IP, userAgent: CLI_AGENT });
});

const intruder = (service: string, name: string, time: string, request?: Record<string, unknown>): CloudTrailRecord =>
  ctEvent({ service, name, identity: alice, time, ip: LAGOS_IP, userAgent: HTTP_AGENT, request });

/** The audit's burst of five tactics, 20 seconds apart; Exfiltration (CreateSnapshot) is its highest-risk call. */
const burst = [
  intruder('ec2', 'CreateSnapshot', '2026-11-15T11:58:40Z', { volumeId: 'vol-0abc1234def567890' }),
  intruder('cloudtrail', 'StopLogging', '2026-11-15T11:59:00Z', { name: 'org-trail' }),
  intruder('iam', 'AttachUserPolicy', '2026-11-15T11:59:20Z', { userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
  intruder('secretsmanager', 'GetSecretValue', '2026-11-15T11:59:40Z', { secretId: 'prod/db' }),
  intruder('ec2', 'TerminateInstances', '2026-11-15T12:00:00Z', { instancesSet: { items: [{ instanceId: 'i-0abc1234def567890' }] } }),
];

let files = 0;
function writeRecords(records: CloudTrailRecord[]): string {
  const file = path.join(scratch.dir, `events-${++files}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

interface BurstFinding {
  type: string;
  count: number;
  apis: string;
  /** eventFirstSeen→eventLastSeen */
  seen: string;
}

/** Ingests and detects each part in turn on one fresh lake; the IAM anomaly findings after each run. */
async function detectInRuns(...parts: CloudTrailRecord[][]): Promise<BurstFinding[][]> {
  const lake = await tempLake();
  try {
    const afterEachRun: BurstFinding[][] = [];
    for (const part of parts) {
      await lake.ingest([writeRecords(part)]);
      await runDetections(lake.lake, { intel, detections: [anomalousBehavior] });
      // A continued burst names its earlier calls again: each is kept once as the finding's evidence.
      assert.equal(await lake.count('SELECT count(*) - count(DISTINCT (finding_id, event_uid)) FROM finding_evidence'), 0);
      const findings = await queryFindings(lake.lake.connection);
      afterEachRun.push(
        findings
          .map((f) => ({
            type: f.type,
            count: f.service.count,
            apis: String((f.service.additionalInfo.anomalies as { anomalousAPIs: string }).anomalousAPIs),
            seen: `${f.service.eventFirstSeen}→${f.service.eventLastSeen}`,
          }))
          .sort((a, b) => a.type.localeCompare(b.type)),
      );
    }
    return afterEachRun;
  } finally {
    lake.close();
  }
}

const CALLS = ['CreateSnapshot:success', 'StopLogging:success', 'AttachUserPolicy:success', 'GetSecretValue:success', 'TerminateInstances:success'];

describe('an IAM anomaly burst split between detect runs', () => {
  let batch: BurstFinding[];
  before(async () => {
    [batch] = (await detectInRuns([...history, ...burst])) as [BurstFinding[]];
  });

  test('is the finding a batch run gives: one, of the same type, listing all five calls', async () => {
    const [firstRun, split] = await detectInRuns([...history, ...burst.slice(0, 3)], burst.slice(3));
    assert.equal(batch.length, 1);
    assert.equal(batch[0]!.type, 'Exfiltration:IAMUser/AnomalousBehavior');
    for (const call of CALLS) assert.ok(batch[0]!.apis.includes(call), `${call} in ${batch[0]!.apis}`);
    // The finding shows its highest-risk call, and spans the whole burst: first call to last.
    assert.equal(batch[0]!.seen, '2026-11-15T11:58:40Z→2026-11-15T12:00:00Z');
    // Reported by the run that saw it begin, then continued into the same finding by the next.
    assert.deepEqual(firstRun!.map((f) => f.type), ['Exfiltration:IAMUser/AnomalousBehavior']);
    assert.ok(!firstRun![0]!.apis.includes('GetSecretValue'));
    // Counted once, as in the batch: the second run only updates the finding.
    assert.deepEqual(split, batch);
    assert.equal(split![0]!.count, 1);
  });

  test('also when each call arrives in a run of its own', async () => {
    const runs = await detectInRuns([...history, burst[0]!], ...burst.slice(1).map((call) => [call]));
    assert.deepEqual(runs.at(-1), batch);
  });

  test('calls of a higher tactic later in the burst make a new finding listing the whole burst', async () => {
    const listing = intruder('iam', 'ListRoles', '2026-11-15T11:58:00Z');
    const [, split] = await detectInRuns([...history, listing], burst.slice(0, 1));
    assert.deepEqual(split!.map((f) => f.type), ['Discovery:IAMUser/AnomalousBehavior', 'Exfiltration:IAMUser/AnomalousBehavior']);
    const [discovery, exfiltration] = split!;
    assert.ok(!discovery!.apis.includes('CreateSnapshot'));
    assert.ok(exfiltration!.apis.includes('ListRoles:success') && exfiltration!.apis.includes('CreateSnapshot:success'), exfiltration!.apis);
  });
});

describe('IAM anomaly bursts more than ten minutes apart', () => {
  test('in two runs stay two findings, each with its own calls', async () => {
    const later = intruder('ec2', 'TerminateInstances', '2026-11-15T12:10:41Z', { instancesSet: { items: [{ instanceId: 'i-0abc1234def567890' }] } });
    const [, split] = await detectInRuns([...history, burst[0]!], [later]);
    assert.deepEqual(split, [
      { type: 'Exfiltration:IAMUser/AnomalousBehavior', count: 1, apis: 'ec2.amazonaws.com:[CreateSnapshot:success]', seen: '2026-11-15T11:58:40Z→2026-11-15T11:58:40Z' },
      { type: 'Impact:IAMUser/AnomalousBehavior', count: 1, apis: 'ec2.amazonaws.com:[TerminateInstances:success]', seen: '2026-11-15T12:10:41Z→2026-11-15T12:10:41Z' },
    ]);
  });

  test('of the same tactic update one finding with the later burst’s calls, as in a batch run', async () => {
    const later = intruder('ec2', 'CopySnapshot', '2026-11-15T12:20:00Z', { sourceSnapshotId: 'snap-0abc1234def567890' });
    const [batch] = await detectInRuns([...history, burst[0]!, later]);
    const [, split] = await detectInRuns([...history, burst[0]!], [later]);
    assert.deepEqual(split, batch);
    assert.deepEqual(split, [
      { type: 'Exfiltration:IAMUser/AnomalousBehavior', count: 2, apis: 'ec2.amazonaws.com:[CopySnapshot:success]', seen: '2026-11-15T11:58:40Z→2026-11-15T12:20:00Z' },
    ]);
  });
});
