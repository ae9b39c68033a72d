import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { dataset, scratchDir } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-cli-');
const db = path.join(scratch.dir, 'lake.duckdb');
const stratus = dataset('stratus_detonation_logs', 'logs');
const flows = dataset('aws_docs_format_examples', 'vpcflow');

before(() => {
  const first = runCli(['ingest', stratus, flows, '--db', db]);
  assert.equal(first.status, 0, first.stderr);
});
after(() => scratch.cleanup());

describe('gumshoe ingest', () => {
  test('prints a summary in which read = stored + duplicates + quarantined', () => {
    const other = path.join(scratch.dir, 'summary.duckdb');
    const result = runCli(['ingest', stratus, '--db', other]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /read 226 = stored 226 \+ duplicates 0 \+ quarantined 0/);
    assert.match(result.stdout, /cloudtrail\s+22\s+226\s+226\s+0\s+0/);
  });

  test('--json gives the summary as JSON, and a second run adds nothing', () => {
    const result = runCli(['ingest', stratus, '--db', db, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.read, 0);
    assert.equal(summary.filesUnchanged, 22);
  });

  test('a missing path is a user error: exit 2, one line naming it, no stack trace', () => {
    const result = runCli(['ingest', path.join(scratch.dir, 'nope'), '--db', db]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /gumshoe: no such file or directory: .*nope/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a tuning setting that cannot be used is named before any work; an empty one means the default', () => {
    const fresh = path.join(scratch.dir, 'settings.duckdb');
    for (const [name, value, says] of [
      ['GUMSHOE_MEMORY_LIMIT', 'lots', /GUMSHOE_MEMORY_LIMIT=lots is not a memory size/],
      ['GUMSHOE_INGEST_MEMORY_LIMIT', '256', /GUMSHOE_INGEST_MEMORY_LIMIT=256 is not a memory size/],
      ['GUMSHOE_BATCH_RECORDS', 'many', /GUMSHOE_BATCH_RECORDS=many is not a positive whole number/],
      ['GUMSHOE_THREADS', '0', /GUMSHOE_THREADS=0 is not a positive whole number/],
    ] as const) {
      const result = runCli(['ingest', flows, '--db', fresh], { [name]: value });
      assert.equal(result.status, 2, `${name}: ${result.stderr}`);
      assert.match(result.stderr, says);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
    const defaults = runCli(['ingest', flows, '--db', fresh, '--json'], { GUMSHOE_MEMORY_LIMIT: '', GUMSHOE_BATCH_RECORDS: ' ' });
    assert.equal(defaults.status, 0, defaults.stderr);
    assert.ok(JSON.parse(defaults.stdout).stored > 0);
    const detect = runCli(['detect', '--db', fresh, '--output', '-'], { GUMSHOE_DETECT_MEMORY_LIMIT: 'half' });
    assert.equal(detect.status, 2, detect.stderr);
    assert.match(detect.stderr, /GUMSHOE_DETECT_MEMORY_LIMIT=half is not a memory size/);
  });

  test('--strict exits 3 when a record was quarantined, and names where to look', () => {
    const bad = path.join(scratch.dir, 'bad.jsonl');
    writeFileSync(bad, '{"eventTime":"2024-01-01T00:00:00Z","eventName":"ListBuckets","eventSource":"s3.amazonaws.com","eventID":"x1"}\n{not json}\n');
    const result = runCli(['ingest', bad, '--db', path.join(scratch.dir, 'strict.duckdb'), '--strict']);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /1 record\(s\) quarantined/);
  });

  test('ingesting the directory that holds the lake does not read the lake itself', () => {
    const dir = path.join(scratch.dir, 'self');
    mkdirSync(dir);
    copyFileSync(path.join(flows, 'v2_default_format.log'), path.join(dir, 'flows.log'));
    const lakeFile = path.join(dir, 'lake.duckdb');
    for (const run of [1, 2]) {
      const result = runCli(['ingest', dir, '--db', lakeFile, '--json']);
      assert.equal(result.status, 0, result.stderr);
      const summary = JSON.parse(result.stdout);
      assert.deepEqual([summary.filesSkipped, summary.warnings], [0, []], `run ${run}`);
      assert.equal(summary.files + summary.filesUnchanged, 1, `run ${run}`);
    }
  });

  test('an unknown --type is refused with the allowed choices', () => {
    const result = runCli(['ingest', stratus, '--type', 'cloudtrial', '--db', db]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /cloudtrail, vpcflow, route53, guardduty/);
  });

  test('--type forces the format of a file whose content says otherwise', () => {
    const other = path.join(scratch.dir, 'forced.duckdb');
    const result = runCli(['ingest', path.join(flows, 'v2_default_format.log'), '--type', 'cloudtrail', '--db', other, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.byType.cloudtrail.quarantined, 7);
  });
});

describe('gumshoe query', () => {
  test('--format json prints one object per row', () => {
    const result = runCli(['query', "SELECT api_operation, count(*) AS n FROM api_activity WHERE api_operation = 'StopLogging' GROUP BY 1", '--db', db, '--format', 'json']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n').map((line) => JSON.parse(line)), [{ api_operation: 'StopLogging', n: 1 }]);
  });

  test('--format csv quotes values with commas and quotes', () => {
    const result = runCli(['query', `SELECT 'a,b' AS x, 'say "hi"' AS y, NULL AS z`, '--db', db, '--format', 'csv']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'x,y,z\r\n"a,b","say ""hi""",\r\n');
  });

  test('the table format aligns columns and counts rows', () => {
    const result = runCli(['query', 'SELECT action, count(*) AS n FROM network_activity GROUP BY 1 ORDER BY 1 NULLS LAST', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^action\s+n\n-+\s+-+\nAllowed\s+\d+\nDenied\s+\d+\n\s+\d+\n\(3 rows\)\n$/);
  });

  test('bad SQL is a user error with DuckDB\'s message', () => {
    const result = runCli(['query', 'SELECT nope FROM api_activity', '--db', db]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /gumshoe: query failed: .*nope/);
  });

  test('an error in a row far into the result fails the query, not ends it early', () => {
    // Streamed straight from DuckDB, this printed the 22,528 rows before the error and exited 0.
    const failing = runCli(['query', "SELECT CASE WHEN i = 150000 THEN error('bad row ' || i) ELSE i END AS v FROM range(300000) t(i)", '--db', db, '--format', 'csv']);
    assert.equal(failing.status, 2);
    assert.match(failing.stderr, /gumshoe: query failed: .*bad row 150000/);
    assert.equal(failing.stdout, '');
    // Rows computed first come out all, in the query's order, and statements that cannot be wrapped still run.
    const ordered = runCli(['query', 'SELECT i FROM range(100000) t(i) ORDER BY i DESC', '--db', db, '--format', 'csv']);
    assert.equal(ordered.status, 0, ordered.stderr);
    const lines = ordered.stdout.trim().split('\r\n');
    assert.deepEqual([lines.length, lines[1], lines.at(-1)], [100001, '99999', '0']);
    const described = runCli(['query', 'DESCRIBE api_activity', '--db', db, '--format', 'json']);
    assert.equal(described.status, 0, described.stderr);
    assert.ok(described.stdout.includes('"column_name":"api_operation"'));
  });

  test('a lake that does not exist is named', () => {
    const result = runCli(['query', 'SELECT 1', '--db', path.join(scratch.dir, 'missing.duckdb')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /missing\.duckdb/);
  });
});

describe('gumshoe stats', () => {
  test('--json counts events per table, account, region and day, matching the lake', () => {
    const result = runCli(['stats', '--db', db, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const stats = JSON.parse(result.stdout);
    assert.equal(stats.tables.api_activity.events, 226);
    const byDay = Object.fromEntries(stats.tables.api_activity.byDay.map((d: { day: string; count: number }) => [d.day, d.count]));
    const direct = runCli(['query', "SELECT strftime(time, '%Y-%m-%d') AS day, count(*) AS n FROM api_activity GROUP BY 1", '--db', db, '--format', 'json']);
    for (const row of direct.stdout.trim().split('\n').map((l) => JSON.parse(l))) assert.equal(byDay[row.day], row.n);
    assert.equal(stats.tables.api_activity.byRegion.reduce((sum: number, r: { count: number }) => sum + r.count, 0), 226);
    assert.equal(stats.quarantined, 1);
    assert.equal(stats.tables.network_activity.undated, 4);
  });

  test('the text form names each source', () => {
    const result = runCli(['stats', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /CloudTrail \(API Activity\)\s+api_activity\s+226/);
    assert.match(result.stdout, /quarantined records: 1/);
  });
});

test('--help describes every command', () => {
  const result = runCli(['--help']);
  assert.equal(result.status, 0);
  for (const command of ['ingest', 'query', 'stats']) assert.match(result.stdout, new RegExp(`\\b${command}\\b`));
  const ingestHelp = runCli(['ingest', '--help']);
  assert.match(ingestHelp.stdout, /--endpoint/);
});
