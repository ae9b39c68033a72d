import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { findingTypeSpecs } from '../src/detect/registry.js';
import { runCoverage, type CoverageReport } from '../src/simulate/coverage.js';
import { allScenarios, simulate } from '../src/simulate/simulate.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-sim-');
after(() => scratch.cleanup());

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

describe('gumshoe coverage', () => {
  let report: CoverageReport;
  before(async () => {
    ({ report } = await runCoverage({ seed: 3, days: 8, accounts: 3, events: 40_000, scenarios: [], all: true }, path.join(scratch.dir, 'coverage')));
  });

  test('every scenario raises the finding types it declares', () => {
    assert.deepEqual(report.scenarios.filter((s) => s.missed.length).map((s) => `${s.id}: ${s.missed.join(', ')}`), []);
    assert.deepEqual(report.types.missed, []);
  });

  test('every implemented finding type has a scenario that raises it', () => {
    assert.deepEqual(report.types.withoutScenario, []);
    assert.equal(report.types.covered.length, findingTypeSpecs().size);
  });

  test('the background alone stays within the false-positive budget: no High, at most 1 Medium per 100k events', () => {
    assert.ok(report.background.events >= 40_000);
    const serious = report.background.findings.filter((f) => f.severity >= 4).map((f) => `${f.type} ${f.severity}`);
    assert.ok(report.background.withinBudget, `background findings: ${serious.join('; ')}`);
  });

  test('the multi-step incidents and the Stratus detonations are reproduced and detected', () => {
    const incidents = report.scenarios.filter((s) => s.origin === 'incident');
    assert.equal(incidents.length, 3);
    for (const incident of incidents) assert.ok(incident.fired.length >= incident.expected.length, incident.id);
    assert.deepEqual(report.techniques.notCovered, []);
    assert.equal(report.techniques.covered.length, 44);
  });
});

describe('gumshoe simulate', () => {
  test('is seeded and reproducible, writes AWS key layouts, the scenario manifest and the intel it uses', async () => {
    const options = { seed: 11, days: 2, accounts: 2, events: 3_000, scenarios: ['incident/'], all: false, end: new Date('2026-11-20T00:00:00Z') };
    const first = await simulate({ ...options, outDir: path.join(scratch.dir, 'a') });
    await simulate({ ...options, outDir: path.join(scratch.dir, 'b') });
    const written = files(path.join(scratch.dir, 'a')).map((f) => path.relative(path.join(scratch.dir, 'a'), f));
    assert.deepEqual(written, files(path.join(scratch.dir, 'b')).map((f) => path.relative(path.join(scratch.dir, 'b'), f)));
    for (const file of written) assert.ok(readFileSync(path.join(scratch.dir, 'a', file)).equals(readFileSync(path.join(scratch.dir, 'b', file))), file);

    const logs = written.filter((f) => f.startsWith('AWSLogs/'));
    assert.ok(logs.every((f) => /^AWSLogs\/\d{12}\/(CloudTrail\/[a-z0-9-]+|vpcflowlogs\/[a-z0-9-]+|vpcdnsquerylogs\/vpc-[0-9a-z-]+)\/\d{4}\/\d{2}\/\d{2}\/.+\.(json|log)\.gz$/.test(f)), logs.find((f) => !/\.gz$/.test(f)));
    for (const kind of ['CloudTrail', 'vpcflowlogs', 'vpcdnsquerylogs']) assert.ok(logs.some((f) => f.includes(`/${kind}/`)), kind);

    const manifest = JSON.parse(readFileSync(path.join(scratch.dir, 'a', 'scenarios.json'), 'utf8'));
    assert.equal(manifest.scenarios.length, 3);
    for (const scenario of manifest.scenarios) {
      assert.ok(scenario.description && scenario.expect.length && scenario.files.length, scenario.id);
      assert.ok(Date.parse(scenario.window.end) >= Date.parse('2026-11-19T00:00:00Z'), 'attacks happen on the last day');
      for (const file of scenario.files) assert.ok(written.includes(file), file);
    }
    assert.equal(first.background.cloudtrail + first.background.flows + first.background.dns, 3_000);
    const intel = JSON.parse(readFileSync(path.join(scratch.dir, 'a', 'intel', 'intel.json'), 'utf8'));
    assert.ok(intel.threatIps.some((t: { listName: string }) => t.listName === 'IncidentResponseBlocklist'));
    assert.match(readFileSync(path.join(scratch.dir, 'a', 'intel', 'IncidentResponseBlocklist.txt'), 'utf8'), /^45\.137\.21\.9$/m);

    const trail = logs.find((f) => f.includes('/CloudTrail/'))!;
    const document = JSON.parse(gunzipSync(readFileSync(path.join(scratch.dir, 'a', trail))).toString('utf8'));
    assert.ok(Array.isArray(document.Records) && document.Records.length > 0);
    assert.ok(document.Records.every((r: Record<string, unknown>) => r.eventID && r.eventTime && r.eventSource && r.userIdentity));
  });

  test('the CLI lists scenarios, and unknown ones are a user error', () => {
    const listed = runCli(['simulate', '--list']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /incident\/leaked-access-key/);
    assert.ok(allScenarios().length > 100);
    const unknown = runCli(['simulate', '--scenario', 'no-such-thing', '--out', path.join(scratch.dir, 'x')]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown scenario no-such-thing/);
  });
});

describe('gumshoe demo', () => {
  test('simulates, ingests, detects, and explains the top incidents', () => {
    const db = path.join(scratch.dir, 'demo.duckdb');
    const result = runCli(['demo', '--db', db, '--out', path.join(scratch.dir, 'demo'), '--events', '20000']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Findings by severity: Critical [1-9]/);
    assert.match(result.stdout, /Top incidents\nCritical/);
    assert.match(result.stdout, /gumshoe findings show [0-9a-f]{32}/);
    const listed = runCli(['findings', 'list', '--db', db, '--severity', 'critical', '--json']);
    assert.ok(listed.stdout.trim().split('\n').length >= 2);
  });
});
