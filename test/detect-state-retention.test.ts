import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ACCOUNT, ctEvent, iamUser } from '../src/detect/case-builders.js';
import { attackSequence } from '../src/detect/cloudtrail/attack-sequence.js';
import { consoleLoginGeoVelocity } from '../src/detect/cloudtrail/console-login-geo-velocity.js';
import type { ApiDetection, CloudTrailRecord, Detection, FlowDetection } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { INVENTORY_STATE_ID } from '../src/detect/instance-inventory.js';
import { CASE_ACCOUNT, FLOW_CASE_HEADER } from '../src/detect/network-records.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { firstSeen } from '../src/detect/network/first-seen.js';
import { portProbe } from '../src/detect/network/port-probe.js';
import { trafficVolume } from '../src/detect/network/traffic-volume.js';
import { readList, saveList } from '../src/intel/store.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

/**
 * Detection state is retired by event time: an entry is dropped once the logs have moved 180 days past its
 * last use, however much or little wall-clock time passed between runs.
 */
const DAY = 86_400_000;
const DAY0 = Date.UTC(2025, 0, 1, 12);
const at = (day: number) => DAY0 + day * DAY;
const iso = (day: number) => new Date(at(day)).toISOString().replace('.000Z', 'Z');

const scratch = scratchDir('gumshoe-retain-');
after(() => scratch.cleanup());
let files = 0;

/** One state entry per principal, used by each of its calls. */
const perPrincipal: ApiDetection = {
  id: 'test-per-principal',
  source: 'cloudtrail',
  types: [],
  onEvent(event, context) {
    context.state<{ calls: number }>(`p:${event.principalKey}`, () => ({ calls: 0 })).calls++;
  },
  cases: () => [],
};

/** One state entry per interface address, used by each of its flow records. */
const perAddress: FlowDetection = {
  id: 'test-per-address',
  source: 'vpcflow',
  types: [],
  onFlow(flow, context) {
    context.state<{ records: number }>(`ip:${flow.srcIp}`, () => ({ records: 0 })).records++;
  },
  cases: () => [],
};

const call = (user: string, day: number): CloudTrailRecord =>
  ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: iamUser(user), time: iso(day), ip: '81.2.69.160' });

function writeCalls(records: CloudTrailRecord[]): string {
  const file = path.join(scratch.dir, `calls-${++files}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

const FLOW_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
function writeFlows(flows: { src: string; day: number }[]): string {
  const folder = path.join(scratch.dir, `flows-${++files}`, `AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2025/01/01`);
  mkdirSync(folder, { recursive: true });
  const lines = flows.map(({ src, day }) => `2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 ${src} 198.51.100.9 40000 443 6 10 840 ${at(day) / 1000} ${at(day) / 1000 + 60} ACCEPT OK`);
  const file = path.join(folder, `${ACCOUNT}_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20250101T0000Z_${files}.log`);
  writeFileSync(file, `${[FLOW_HEADER, ...lines].join('\n')}\n`);
  return file;
}

function writeFlowLines(lines: string[]): string {
  const folder = path.join(scratch.dir, `flows-${++files}`, `AWSLogs/${CASE_ACCOUNT}/vpcflowlogs/us-east-1/2025/01/01`);
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${CASE_ACCOUNT}_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20250101T0000Z_${files}.log`);
  writeFileSync(file, `${[FLOW_CASE_HEADER, ...lines].join('\n')}\n`);
  return file;
}

const every = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, k) => from + k * step);

async function stateKeys(lake: TestLake, detectionId: string): Promise<string[]> {
  const rows = await lake.rows(`SELECT key FROM detection_state WHERE detection_id = '${detectionId}' ORDER BY key`);
  return rows.map((r) => String(r.key));
}

async function usedAt(lake: TestLake, detectionId: string, key: string): Promise<number> {
  const [row] = await lake.rows(`SELECT epoch_ms(used_at)::DOUBLE AS t FROM detection_state WHERE detection_id = '${detectionId}' AND key = '${key}'`);
  return Number(row!.t);
}

const detect = (lake: TestLake, clock: number, detections: readonly Detection[] = [perPrincipal, perAddress]) =>
  runDetections(lake.lake, { intel: staticIntel({}), detections, clock });

const principal = (user: string) => `arn:aws:iam::${ACCOUNT}:user/${user}`;

describe('state retirement follows event time', () => {
  test('a backfill spanning more than the retention, in one run, keeps only what its last 180 days used', async () => {
    const lake = await tempLake();
    try {
      // Over 400 days: dev-ann calls for the first 10 only, ci-bot all along; likewise two flow sources.
      await lake.ingest([
        writeCalls([...every(0, 10, 1).map((d) => call('dev-ann', d)), ...every(0, 400, 5).map((d) => call('ci-bot', d))].sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)))),
        writeFlows([...every(0, 10, 1).map((day) => ({ src: '10.0.0.1', day })), ...every(0, 400, 5).map((day) => ({ src: '10.0.0.2', day }))]),
      ]);
      // Detected the afternoon after the last record: with wall-clock stamps every entry was "used" then.
      await detect(lake, at(401));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`]);
      assert.deepEqual(await stateKeys(lake, perAddress.id), ['ip:10.0.0.2']);
      assert.equal(await usedAt(lake, perPrincipal.id, `p:${principal('ci-bot')}`), at(400));
      assert.equal(await usedAt(lake, perAddress.id, 'ip:10.0.0.2'), at(400));
    } finally {
      lake.close();
    }
  });

  test('months without a run forget nothing the logs have not moved 180 days past', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([writeCalls(every(0, 10, 1).flatMap((d) => [call('dev-ann', d), call('ci-bot', d)])), writeFlows(every(0, 10, 1).flatMap((day) => [{ src: '10.0.0.1', day }, { src: '10.0.0.2', day }]))]);
      await detect(lake, at(11));
      // The next run, 300 days later by the wall clock, gets the logs of days 11–20, where only ci-bot and 10.0.0.2 appear.
      await lake.ingest([writeCalls(every(11, 20, 1).map((d) => call('ci-bot', d))), writeFlows(every(11, 20, 1).map((day) => ({ src: '10.0.0.2', day })))]);
      await detect(lake, at(311));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`, `p:${principal('dev-ann')}`]);
      assert.deepEqual(await stateKeys(lake, perAddress.id), ['ip:10.0.0.1', 'ip:10.0.0.2']);
      // Once the logs are 180 days past dev-ann's last call, it goes.
      await lake.ingest([writeCalls([call('ci-bot', 190)]), writeFlows([{ src: '10.0.0.2', day: 190 }])]);
      await detect(lake, at(320));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`]);
      assert.deepEqual(await stateKeys(lake, perAddress.id), ['ip:10.0.0.2']);
    } finally {
      lake.close();
    }
  });

  test('a record dated in the future neither wipes state nor stamps it', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([writeCalls(every(0, 10, 1).flatMap((d) => [call('dev-ann', d), call('ci-bot', d)]))]);
      // Historic logs, detected long after: the wall clock is a year past them.
      await detect(lake, at(400));
      await lake.ingest([writeCalls([call('ci-bot', 15), call('ci-bot', 365 * 75)])]);
      await detect(lake, at(401));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`, `p:${principal('dev-ann')}`]);
      assert.equal(await usedAt(lake, perPrincipal.id, `p:${principal('ci-bot')}`), at(15));
      // Nor does it count in a later run.
      await lake.ingest([writeCalls([call('ci-bot', 30)])]);
      await detect(lake, at(402));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`, `p:${principal('dev-ann')}`]);
    } finally {
      lake.close();
    }
  });

  test('state stamped with the wall clock by earlier versions counts as used at the latest record processed then', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([writeCalls(every(0, 10, 1).flatMap((d) => [call('dev-ann', d), call('ci-bot', d)]))]);
      await detect(lake, at(400));
      // As an earlier version left it: every entry used at the run's wall clock, and no state clock.
      await lake.lake.connection.run(`UPDATE detection_state SET used_at = make_timestamp(${at(400)}::BIGINT * 1000)`);
      await lake.lake.connection.run(`DELETE FROM lake_meta WHERE key = 'detect_state_clock'`);
      await lake.ingest([writeCalls([call('ci-bot', 20)])]);
      await detect(lake, at(401));
      assert.equal(await usedAt(lake, perPrincipal.id, `p:${principal('dev-ann')}`), at(10));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`, `p:${principal('dev-ann')}`]);
      // Retired once the logs move 180 days past, not 180 days past the old wall clock.
      await lake.ingest([writeCalls([call('ci-bot', 195)])]);
      await detect(lake, at(402));
      assert.deepEqual(await stateKeys(lake, perPrincipal.id), [`p:${principal('ci-bot')}`]);
    } finally {
      lake.close();
    }
  });

  test('with several lanes, time moved by records only a worker lane reads retires what the others hold', async () => {
    const lake = await tempLake();
    try {
      // Lane 0 holds attack-sequence (it correlates); a worker holds console-login-geo-velocity and traffic-volume.
      const detections = [attackSequence, consoleLoginGeoVelocity, trafficVolume];
      const login = (user: string, day: number) =>
        ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: iamUser(user), time: iso(day), ip: '81.2.69.160', eventType: 'AwsConsoleSignIn', response: { ConsoleLogin: 'Success' } });
      await lake.ingest([writeCalls([login('dev-ann', 0), login('ci-bot', 1)])]);
      const run = (clock: number) => runDetections(lake.lake, { detections, threads: 2, clock });
      await run(at(2));
      const logins = await stateKeys(lake, consoleLoginGeoVelocity.id);
      assert.equal(logins.length, 2, `state per user: ${logins.join(', ')}`);
      // Only flow records, 200 days on: read by the worker alone.
      await lake.ingest([writeFlows([{ src: '10.0.0.2', day: 200 }])]);
      await run(at(201));
      assert.deepEqual(await stateKeys(lake, consoleLoginGeoVelocity.id), []);
      assert.deepEqual(await stateKeys(lake, trafficVolume.id), ['instances']);
    } finally {
      lake.close();
    }
  });

  test('the instance inventory each lane copies is kept while any lane uses it', async () => {
    const lake = await tempLake();
    try {
      const threats = path.join(scratch.dir, 'scanners.txt');
      writeFileSync(threats, '203.0.113.77\n');
      await saveList(lake.lake.connection, await readList(threats), 'scanners', 'threat');
      // Lane 0 holds attack-sequence; a worker holds port-probe, which looks up the probed instance.
      const detections = [attackSequence, portProbe];
      const run = (clock: number) => runDetections(lake.lake, { detections, threads: 2, clock });
      const launch = ctEvent({ service: 'ec2', name: 'RunInstances', identity: iamUser('ops'), time: iso(0), account: CASE_ACCOUNT, response: { instancesSet: { items: [{ instanceId: 'i-0feedbeef12345678', instanceType: 'm6i.large' }] } } });
      await lake.ingest([writeCalls([launch])]);
      await run(at(1));
      assert.deepEqual(await stateKeys(lake, INVENTORY_STATE_ID), [CASE_ACCOUNT]);
      // Day 100: a scanner probes the account's instance (the worker looks the account up); CloudTrail has other accounts' calls only.
      const probe = connectionLines({ remote: '203.0.113.77', opener: 'remote', port: 3389, time: iso(100), withDirection: false, bytesUp: 60 });
      await lake.ingest([writeFlowLines(probe), writeCalls([ctEvent({ service: 's3', name: 'ListBuckets', identity: iamUser('dev', '444455556666'), time: iso(100) })])]);
      await run(at(101));
      assert.equal(await usedAt(lake, INVENTORY_STATE_ID, CASE_ACCOUNT), at(100));
      await lake.ingest([writeCalls([ctEvent({ service: 's3', name: 'ListBuckets', identity: iamUser('dev', '444455556666'), time: iso(250) })])]);
      await run(at(251));
      assert.ok((await stateKeys(lake, INVENTORY_STATE_ID)).includes(CASE_ACCOUNT));
    } finally {
      lake.close();
    }
  });

  // Fails until flow-windows.ts (persistedTable) and first-seen.ts (historyOf) ask for their state on every use
  // rather than once per run: their last use stays at the run's first record, and a long run retires them.
  test('tables a detection fetches once per run are kept by a run spanning more than the retention', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([writeFlows(every(0, 400, 5).map((day) => ({ src: '10.0.0.2', day })))]);
      await detect(lake, at(401), [trafficVolume, firstSeen]);
      assert.deepEqual(await stateKeys(lake, trafficVolume.id), ['instances']);
      assert.ok((await stateKeys(lake, firstSeen.id)).some((key) => key.startsWith('i:')));
    } finally {
      lake.close();
    }
  });
});
