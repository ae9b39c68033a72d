import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attackSequence } from '../src/detect/cloudtrail/attack-sequence.js';
import { DEFAULT_SETTINGS, type Detection } from '../src/detect/detection.js';
import { dnsThreatIntel } from '../src/detect/dns/dns-threat-intel.js';
import { availableParallelism } from 'node:os';
import { detectionThreads, runDetections } from '../src/detect/engine.js';
import { MICROS_PER_RECORD, planLanes } from '../src/detect/lane-plan.js';
import { DetectionLanes } from '../src/detect/lanes.js';
import { trafficVolume } from '../src/detect/network/traffic-volume.js';
import { DETECTIONS } from '../src/detect/registry.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import { staticIntel, type StaticIntelSpec } from '../src/intel/static.js';
import { Lake } from '../src/lake/db.js';
import { ingest } from '../src/lake/ingest.js';
import { loadSimulatedIntel } from '../src/simulate/intel.js';
import { simulate } from '../src/simulate/simulate.js';
import { setEnv } from './helpers/env.js';
import { scratchDir } from './helpers/lake.js';

const ids = (lane: readonly Detection[]) => lane.map((d) => d.id);

describe('lane plan', () => {
  test('the cost table names registered detections', () => {
    const registered = new Set(DETECTIONS.map((d) => d.id));
    assert.deepEqual(Object.keys(MICROS_PER_RECORD).filter((id) => !registered.has(id)), []);
  });

  test('one lane holds every detection', () => {
    assert.deepEqual(planLanes(DETECTIONS, 1).map(ids), [ids(DETECTIONS)]);
  });

  test('two lanes share every source, each detection once; correlation stays on the main thread', () => {
    const plan = planLanes(DETECTIONS, 2);
    assert.equal(plan.length, 2);
    assert.deepEqual(plan.flatMap(ids).sort(), ids(DETECTIONS).sort());
    assert.ok(ids(plan[0]!).includes(attackSequence.id));
    for (const source of ['cloudtrail', 'vpcflow', 'dns']) {
      for (const lane of plan) assert.ok(lane.some((d) => d.source === source), `${source} on every lane`);
    }
  });

  test('lanes beyond what the detections fill are not started; unregistered detections stay on lane 0', () => {
    const own: Detection = { ...trafficVolume, id: 'test-own-volume' };
    const plan = planLanes([own, trafficVolume, dnsThreatIntel], 8);
    assert.ok(plan.length <= 3);
    assert.ok(plan.slice(1).every((lane) => lane.length > 0));
    assert.ok(ids(plan[0]!).includes('test-own-volume'));
  });
});

describe('threads per run', () => {
  test('one for small runs, one per core up to 4 for larger ones, and what is asked whatever the size', () => {
    const restore = setEnv({ GUMSHOE_DETECT_THREADS: undefined });
    try {
      assert.equal(detectionThreads(99_999), 1);
      assert.equal(detectionThreads(100_000), Math.min(availableParallelism(), 4));
      assert.equal(detectionThreads(10, 3), 3);
      process.env.GUMSHOE_DETECT_THREADS = '6';
      assert.equal(detectionThreads(10), 6);
      assert.equal(detectionThreads(10, 2), 2);
    } finally {
      restore();
    }
  });
});

describe('detection on several threads', () => {
  const scratch = scratchDir('gumshoe-lanes-');
  const fresh = path.join(scratch.dir, 'fresh.duckdb');
  after(() => scratch.cleanup());

  before(async () => {
    // Every scenario (all finding types, attack sequences among them) over a background of three sources.
    const logs = path.join(scratch.dir, 'logs');
    await simulate({ seed: 5, days: 8, accounts: 2, events: 12_000, scenarios: [], all: true, outDir: logs });
    const lake = await Lake.open(fresh);
    try {
      await ingest(lake, [path.join(logs, 'AWSLogs')]);
      await loadSimulatedIntel(lake.connection, JSON.parse(readFileSync(path.join(logs, 'intel', 'intel.json'), 'utf8')) as StaticIntelSpec);
      // The detector id is made at the first run: set here, so that every copy files its findings under the same one.
      await lake.connection.run(`INSERT INTO lake_meta VALUES ('detector_id', '0123456789abcdef0123456789abcdef')`);
      await lake.connection.run('CHECKPOINT');
    } finally {
      lake.close();
    }
  });

  /** Detects on a copy of the fresh lake with `threads`; the findings and state it stored, as comparable text. */
  async function detectWith(threads: number) {
    const file = path.join(scratch.dir, `threads-${threads}.duckdb`);
    copyFileSync(fresh, file);
    const lake = await Lake.open(file);
    try {
      const summary = await runDetections(lake, { threads });
      const text = async (sql: string) => (await lake.connection.runAndReadAll(sql)).getRowsJS().map((row) => JSON.stringify(row));
      // createdAt and updatedAt are the run's own time.
      const findings = await text(`SELECT json_merge_patch(finding, '{"createdAt": null, "updatedAt": null}') FROM findings ORDER BY 1`);
      const state = await text('SELECT detection_id, key, value::VARCHAR FROM detection_state ORDER BY ALL');
      const { findings: published, warnings, ...counts } = summary;
      return { findings, state, counts, published: published.map((f) => `${f.type} ${f.severity} ${f.id}`), warnings };
    } finally {
      lake.close();
    }
  }

  test('two and three threads store exactly the findings and state one thread does', async () => {
    const one = await detectWith(1);
    assert.ok(one.findings.length > 50, `${one.findings.length} findings`);
    assert.ok(one.findings.some((f) => f.includes('AttackSequence:')), 'attack sequences among them');
    assert.ok(one.counts.events > 0 && one.counts.flows > 0 && one.counts.queries > 0);
    for (const threads of [2, 3]) {
      const many = await detectWith(threads);
      assert.deepEqual(many.counts, one.counts, `${threads} threads: counts`);
      assert.deepEqual(many.published, one.published, `${threads} threads: published findings in order`);
      assert.deepEqual(many.findings, one.findings, `${threads} threads: stored findings`);
      assert.deepEqual(many.state, one.state, `${threads} threads: detection state`);
    }
  });

  test("a worker's failure fails the run", async () => {
    const intel = staticIntel({});
    const runner = new DetectionRunner([dnsThreatIntel], intel, DEFAULT_SETTINGS, new StateStore(), { intel, detectorId: 'test', partition: 'aws' });
    const setup = { settings: DEFAULT_SETTINGS, intel: { threats: [], trusted: [], torExits: [], torRelays: [], awsRanges: [] }, detectorId: 'test', partition: 'aws', now: Date.now(), shareCity: false };
    const lanes = DetectionLanes.start(runner, [[dnsThreatIntel], [trafficVolume]], [], setup);
    try {
      // Flow records go to the worker only; this chunk lacks the addresses' columns a flow record is made from.
      await lanes.process('flow', { dictionary: { origins: [] }, chunk: { text: [[null], [null]], numbers: [Float64Array.of(0)], codes: Float64Array.of(0) } });
      await assert.rejects(lanes.finish(), TypeError);
    } finally {
      await lanes.stop();
    }
  });
});
