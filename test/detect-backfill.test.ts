import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { anomalousBehavior } from '../src/detect/cloudtrail/anomalous-behavior.js';
import { lambdaPersistence } from '../src/detect/cloudtrail/lambda-persistence.js';
import { DEFAULT_SETTINGS, type ApiDetection, type CloudTrailRecord, type FlowDetection } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { flowFromLine } from '../src/detect/network-records.js';
import { firstSeen } from '../src/detect/network/first-seen.js';
import { trafficVolume } from '../src/detect/network/traffic-volume.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * Backfill: older logs ingested and detected after a first run on newer ones. What is learned from them
 * (learning periods, first-seen times, habits, baselines) counts as if they had come first, so the newer
 * data that follows is judged as a one-shot run over everything judges it.
 */
const intel = staticIntel({});
const scratch = scratchDir('gumshoe-backfill-');
after(() => scratch.cleanup());

let files = 0;
function writeRecords(records: CloudTrailRecord[]): string {
  const file = path.join(scratch.dir, `events-${++files}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

/** One `detect` per batch of records, in the order given, on one lake; the summaries. */
async function detectInRuns(detections: ApiDetection[], batches: CloudTrailRecord[][]) {
  const lake = await tempLake();
  try {
    const summaries = [];
    for (const batch of batches) {
      await lake.ingest([writeRecords(batch)]);
      summaries.push(await runDetections(lake.lake, { intel, detections }));
    }
    return summaries;
  } finally {
    lake.close();
  }
}

const types = (summary: { findings: { type: string }[] }) => summary.findings.map((f) => f.type).sort();
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `2026-11-${String(from + i).padStart(2, '0')}`);

describe('IAM AnomalousBehavior after a backfill', () => {
  const sam = iamUser('dev-sam');
  const office = (date: string) => [
    ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: sam, time: `${date}T09:00:00Z`, ip: '81.2.69.160' }),
    ctEvent({ service: 's3', name: 'ListBuckets', identity: sam, time: `${date}T15:00:00Z`, ip: '81.2.69.160' }),
  ];
  const newest = office('2026-11-21');
  const history = days(1, 20).flatMap(office);
  const ordinary = [ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: sam, time: '2026-11-22T09:00:00Z', ip: '81.2.69.160' })];
  const attack = [
    ctEvent({
      service: 'iam', name: 'AttachUserPolicy', identity: sam, time: '2026-11-22T10:00:00Z', ip: '41.203.64.1', userAgent: 'python-requests/2.31.0',
      request: { userName: 'dev-sam', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    }),
  ];

  test('the history learned late counts: an ordinary call stays quiet, the attack is raised as in a one-shot run', async () => {
    const [oneShot] = await detectInRuns([anomalousBehavior], [[...history, ...newest, ...ordinary, ...attack]]);
    assert.deepEqual(types(oneShot!), ['PrivilegeEscalation:IAMUser/AnomalousBehavior']);

    const [first, backfill, quiet, attacked] = await detectInRuns([anomalousBehavior], [newest, history, ordinary, attack]);
    assert.deepEqual(types(first!), []);
    assert.deepEqual(types(backfill!), []);
    assert.deepEqual(types(quiet!), [], 'an ordinary call from the office is no anomaly');
    assert.deepEqual(types(attacked!), types(oneShot!), 'the principal learned from 11/01, not from the first run’s 11/21');
  });

  test('a run of older rows warns that its windows were judged out of order; runs in time order do not', async () => {
    const [first, backfill, next] = await detectInRuns([anomalousBehavior], [newest, history, ordinary]);
    assert.deepEqual(first!.warnings, []);
    assert.equal(backfill!.warnings.length, 1);
    assert.match(backfill!.warnings[0]!, /^40 CloudTrail event\(s\) of this run are older than what earlier runs processed \(up to 2026-11-21T15:00Z\).*out of order/);
    assert.deepEqual(next!.warnings, []);
  });
});

describe('first-use habits after a backfill (a pipeline’s deploys)', () => {
  const terraform = assumedRole('terraform-ci', 'terraform');
  const pipeline = assumedRole('GithubActionsDeploy', 'GitHubActions');
  const deploy = (fn: string, date: string, hour: string, identity: Record<string, unknown>, userAgent?: string) =>
    ctEvent({ service: 'lambda', name: 'UpdateFunctionCode20150331v2', identity, time: `${date}T${hour}:00:00Z`, request: { functionName: fn, publish: true }, ...(userAgent ? { userAgent } : {}) });
  /** Terraform deploys orders-api and the GitHub pipeline payments-api, every day. */
  const routine = (date: string) => [deploy('orders-api', date, '09', terraform, TERRAFORM_AGENT), deploy('payments-api', date, '10', pipeline)];
  /** The pipeline, deploying daily since 11/10, deploys orders-api once too: a known deployer, nothing to raise. */
  const secondPipeline = deploy('orders-api', '2026-11-15', '11', pipeline);
  const byHand = deploy('orders-api', '2026-11-16', '12', iamUser('dave'));

  test('an older routine deploy arriving late is no first time; a person’s code push in the backfill still is', async () => {
    const newest = days(20, 22).flatMap(routine);
    const history = [...days(10, 19).flatMap(routine), secondPipeline, byHand];
    const [oneShot] = await detectInRuns([lambdaPersistence], [[...history, ...newest]]);
    const [first, backfill] = await detectInRuns([lambdaPersistence], [newest, history]);
    assert.deepEqual(types(first!), []);
    const raisedOn = (summary: typeof backfill) => summary!.findings.map((f) => `${f.type} ${f.service.eventFirstSeen}`);
    assert.deepEqual(raisedOn(backfill), ['Persistence:Lambda/FunctionCodeOverwritten.Gumshoe 2026-11-16T12:00:00Z'], 'only dave’s push, not the pipeline’s 11/15 deploy');
    assert.deepEqual(raisedOn(backfill), raisedOn(oneShot));
  });
});

// ---- flow detections, run by run on persisted state as the engine does ----

/** One run per batch of flow lines, the state written as JSON and read back between runs; each run's findings. */
function flowRuns(detections: FlowDetection[], batches: string[][], settings = {}): string[][] {
  let state = new StateStore();
  return batches.map((lines) => {
    const runner = new DetectionRunner(detections, intel, { ...DEFAULT_SETTINGS, ...settings }, state, { intel, detectorId: '0'.repeat(32), partition: 'aws' });
    for (const flow of lines.map((line, i) => flowFromLine(line, i + 1)).sort((a, b) => a.time - b.time)) runner.processFlow(flow);
    const found = runner.finish().map((o) => o.finding.type);
    const next = new StateStore();
    for (const e of state.entries()) next.load(e.detectionId, e.key, JSON.parse(JSON.stringify(e.value)), e.usedAt);
    state = next;
    return found;
  });
}

const flowsOf = (detection: FlowDetection, prefix: string) => detection.cases().find((c) => c.name.startsWith(prefix))!.flows!;
const timeOf = (line: string) => flowFromLine(line, 1).time;
const before = (iso: string) => (line: string) => timeOf(line) < Date.parse(iso);
const from = (iso: string) => (line: string) => timeOf(line) >= Date.parse(iso);

describe('first-seen flow types after a backfill', () => {
  // Eight ordinary days up to 11/02, an ordinary 11/03, and a connection out to 4444 on 11/03.
  const flows = flowsOf(firstSeen, 'after a day of ordinary traffic');
  const unusual = (line: string) => line.includes('203.0.113.50');
  const newest = flows.filter((l) => !unusual(l) && from('2026-11-02T00:00:00Z')(l) && before('2026-11-03T00:00:00Z')(l));
  const history = flows.filter(before('2026-11-02T00:00:00Z'));
  const ordinary = flows.filter((l) => !unusual(l) && from('2026-11-03T00:00:00Z')(l));

  test('the instance learned from its earliest record: an ordinary day is quiet, a new port is raised', () => {
    assert.deepEqual(flowRuns([firstSeen], [flows]), [['Behavior:EC2/NetworkPortUnusual']], 'one-shot');
    assert.deepEqual(flowRuns([firstSeen], [newest, history, ordinary, flows.filter(unusual)]), [[], [], [], ['Behavior:EC2/NetworkPortUnusual']]);
  });
});

describe('TrafficVolumeUnusual after a backfill', () => {
  // A nightly 50 GB backup to one server, 11/01–11/12: the same host's daily volume, no anomaly.
  const backups = flowsOf(trafficVolume, 'a nightly backup');
  const exfil = flowsOf(trafficVolume, 'after a week of ordinary days').filter((line) => line.includes('185.220.101.45'));
  const newest = backups.filter(from('2026-11-12T00:00:00Z'));
  const history = backups.filter(before('2026-11-12T00:00:00Z'));

  test('older days go to the history, not into today’s volume: the backfill and the next backup raise nothing', () => {
    assert.deepEqual(flowRuns([trafficVolume], [backups]), [[]], 'one-shot');
    const nextBackup = flowsOf(trafficVolume, 'a nightly backup').filter(from('2026-11-12T00:00:00Z')).map((line) => shiftDay(line, 1));
    assert.deepEqual(flowRuns([trafficVolume], [newest, history, nextBackup]), [[], [], []]);
  });

  test('after the backfill, 12 GB to an unknown host is raised as in a one-shot run', () => {
    const late = exfil.map((line) => shiftDay(line, 4)); // 11/13
    assert.deepEqual(flowRuns([trafficVolume], [[...backups, ...late]]), [['Behavior:EC2/TrafficVolumeUnusual']], 'one-shot');
    assert.deepEqual(flowRuns([trafficVolume], [newest, history, late]), [[], [], ['Behavior:EC2/TrafficVolumeUnusual']]);
  });
});

/** A flow line moved `days` later (its start and end fields). */
function shiftDay(line: string, days: number): string {
  const fields = line.split(' ');
  for (const i of [10, 11]) fields[i] = String(Number(fields[i]) + days * 86_400);
  return fields.join(' ');
}
