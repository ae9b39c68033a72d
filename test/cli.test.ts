import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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

  test('a file named several times (a directory, the file in it, another spelling, a link) is read and registered once', () => {
    const dir = path.join(scratch.dir, 'named-twice');
    mkdirSync(dir);
    const file = path.join(dir, 'flows.log');
    copyFileSync(path.join(flows, 'v2_default_format.log'), file);
    symlinkSync(file, path.join(dir, 'link.log'));
    const lakeFile = path.join(scratch.dir, 'named-twice.duckdb');
    const result = runCli(['ingest', dir, file, file, path.join(dir, '..', 'named-twice', 'flows.log'), '--db', lakeFile, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual([summary.files, summary.read, summary.stored, summary.duplicates, summary.filesUnchanged], [1, 7, 7, 0, 0]);
    const rows = JSON.parse(`[${runCli(['query', 'SELECT uri, records_read FROM ingested_files', '--db', lakeFile, '--format', 'json']).stdout.trim().split('\n').join(',')}]`);
    assert.deepEqual(rows, [{ uri: file, records_read: 7 }]);
    // Named twice again, unchanged: passed over once, not counted twice.
    const again = JSON.parse(runCli(['ingest', file, dir, '--db', lakeFile, '--json']).stdout);
    assert.deepEqual([again.files, again.filesUnchanged], [0, 1]);
  });

  test('two different files are both read, whatever names reach them', () => {
    const dir = path.join(scratch.dir, 'two-files');
    mkdirSync(dir);
    copyFileSync(path.join(flows, 'v2_default_format.log'), path.join(dir, 'a.log'));
    copyFileSync(path.join(flows, 'v2_default_format.log'), path.join(dir, 'b.log'));
    const result = runCli(['ingest', dir, path.join(dir, 'b.log'), '--db', path.join(scratch.dir, 'two-files.duckdb'), '--json']);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual([summary.files, summary.read, summary.stored, summary.duplicates], [2, 14, 7, 7]);
  });

  test('a directory without files is named: exit 2 when it is the only input, a warning beside others', () => {
    const empty = path.join(scratch.dir, 'empty-dir');
    mkdirSync(empty);
    const lakeFile = path.join(scratch.dir, 'empty.duckdb');
    const alone = runCli(['ingest', empty, '--db', lakeFile]);
    assert.equal(alone.status, 2, alone.stderr);
    assert.match(alone.stderr, /gumshoe: .*empty-dir holds no files; check the path/);
    assert.doesNotMatch(alone.stderr, /\n\s+at /);
    const beside = runCli(['ingest', empty, path.join(flows, 'v2_default_format.log'), '--db', lakeFile]);
    assert.equal(beside.status, 0, beside.stderr);
    assert.match(beside.stderr, /warning: .*empty-dir holds no files; check the path/);
    assert.match(beside.stdout, /read 7 = stored 7/);
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

  test('an empty or in-memory --db is refused: what it stored would be lost at exit', () => {
    for (const file of ['', ':memory:']) {
      const result = runCli(['ingest', dataset('aws_docs_format_examples', 'vpcflow', 'custom_format_07.log'), '--db', file]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /--db needs a file for the lake/);
    }
  });

  test('a lake that does not exist is named', () => {
    const result = runCli(['query', 'SELECT 1', '--db', path.join(scratch.dir, 'missing.duckdb')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /missing\.duckdb/);
  });

  test('--format csv keeps line breaks and tabs inside quoted fields; the table puts each row on one line', () => {
    const sql = "SELECT 'line1'||chr(10)||'line2' AS s, 'a'||chr(13)||chr(10)||'b' AS c, 'tab'||chr(9)||'x' AS t";
    const csv = runCli(['query', sql, '--db', db, '--format', 'csv']);
    assert.equal(csv.status, 0, csv.stderr);
    assert.equal(csv.stdout, 's,c,t\r\n"line1\nline2","a\r\nb",tab\tx\r\n');
    const json = runCli(['query', sql, '--db', db, '--format', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), { s: 'line1\nline2', c: 'a\r\nb', t: 'tab\tx' });
    const table = runCli(['query', sql, '--db', db]);
    assert.match(table.stdout, /\nline1 line2\s+a b\s+tab x\n/);
  });

  // One value of each type the audit found printed wrongly, in every format.
  const typed = [
    ["DATE '2024-01-02'", 'd', '2024-01-02', '2024-01-02'],
    ["TIMESTAMP '2024-01-02 03:04:05.123456'", 'ts', '2024-01-02T03:04:05.123456Z', '2024-01-02 03:04:05.123456'],
    ["TIMESTAMP '2024-01-02 03:04:05'", 'ts0', '2024-01-02T03:04:05.000Z', '2024-01-02 03:04:05'],
    ["'infinity'::TIMESTAMP", 'ts_inf', 'infinity', 'infinity'],
    ["TIMESTAMPTZ '2024-01-02 03:04:05.5+00'", 'ts_tz', '2024-01-02T03:04:05.500Z', '2024-01-02 03:04:05.5+00'],
    ["'infinity'::DATE", 'd_inf', 'infinity', 'infinity'],
    ['INTERVAL 3 DAY', 'span', { months: 0, days: 3, micros: 0 }, '3 days'],
    ["TIME '12:34:56'", 'tm', '12:34:56', '12:34:56'],
    ['12345678901234567890.123::DECIMAL(38,3)', 'dec', '12345678901234567890.123', '12345678901234567890.123'],
    ['1.50::DECIMAL(4,2)', 'dec_small', 1.5, '1.50'],
    ['12345678901234567890::UBIGINT', 'big', '12345678901234567890', '12345678901234567890'],
    ["'NaN'::DOUBLE", 'nan', 'NaN', 'nan'],
    ["'-Infinity'::DOUBLE", 'neg_inf', '-Infinity', '-inf'],
    ["'x'::BLOB", 'blob', 'x', 'x'],
    ["'\\x00A'::BLOB", 'blob_bytes', '\\x00A', '\\x00A'],
    ["MAP {'k': 'v'}", 'map', { k: 'v' }, '{k=v}'],
    ["MAP {1: 'a'}", 'map_int', [{ key: 1, value: 'a' }], '{1=a}'],
    [`'{"a": [1, 2]}'::JSON`, 'json', { a: [1, 2] }, '{"a": [1, 2]}'],
  ] as const;
  const typedSql = `SELECT ${typed.map(([expression, name]) => `${expression} AS ${name}`).join(', ')}`;

  test('--format json gives each DuckDB type as a JSON value without loss', () => {
    const result = runCli(['query', typedSql, '--db', db, '--format', 'json']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), Object.fromEntries(typed.map(([, name, json]) => [name, json])));
  });

  test('--format csv tells NULL (an empty field) from the empty string ("")', () => {
    const csv = runCli(['query', "SELECT '' AS e, NULL AS n, 'x' AS x", '--db', db, '--format', 'csv']);
    assert.equal(csv.status, 0, csv.stderr);
    assert.equal(csv.stdout, 'e,n,x\r\n"",,x\r\n');
  });

  test('--format csv and the table give each value as DuckDB writes it as text', () => {
    const csv = runCli(['query', typedSql, '--db', db, '--format', 'csv']);
    assert.equal(csv.status, 0, csv.stderr);
    const cells = typed.map(([, , , text]) => text);
    assert.equal(csv.stdout.split('\r\n')[1], [...cells.slice(0, -1), '"{""a"": [1, 2]}"'].join(','));
    const table = runCli(['query', typedSql, '--db', db]);
    assert.equal(table.status, 0, table.stderr);
    assert.deepEqual(table.stdout.split('\n')[2]!.trim().split(/ {2,}/), typed.map(([, , , text]) => text));
  });

  test('JSON-typed values are nested JSON, digits and all; what JSON readers refuse stays a string', () => {
    const sql = `SELECT '{"n": 12345678901234567890,\n "s": "x"}'::JSON AS doc, '{"a": NaN}'::JSON AS loose, ['[1]'::JSON] AS list`;
    const result = runCli(['query', sql, '--db', db, '--format', 'json']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '{"doc":{"n": 12345678901234567890,  "s": "x"},"loose":"{\\"a\\": NaN}","list":[[1]]}\n');
    const lake = runCli(['query', 'SELECT api_request_data FROM api_activity WHERE api_request_data IS NOT NULL LIMIT 1', '--db', db, '--format', 'json']);
    assert.equal(typeof JSON.parse(lake.stdout).api_request_data, 'object');
  });

  test('an empty query, or several statements, is refused before anything runs', () => {
    for (const sql of ['', ' -- only a comment ']) {
      const result = runCli(['query', sql, '--db', db]);
      assert.equal(result.status, 2);
      assert.equal(result.stderr, 'gumshoe: the query is empty: give one SQL statement\n');
    }
    const several = runCli(['query', 'SELECT 1; SELECT 2', '--db', db, '--format', 'csv']);
    assert.equal(several.status, 2);
    assert.equal(several.stdout, '');
    assert.equal(several.stderr, 'gumshoe: query takes one SQL statement; this has 2 (run them one at a time)\n');
    const trailing = runCli(['query', 'SELECT 1 AS one;', '--db', db, '--format', 'csv']);
    assert.equal(trailing.stdout, 'one\r\n1\r\n');
  });

  test('an error quotes the query as written, and the query sees no table of gumshoe\'s own', () => {
    const failing = runCli(['query', "SELECT 1 AS a,\n  CASE WHEN i = 5 THEN 'x' ELSE i::VARCHAR END::INT AS b\nFROM range(10) t(i)", '--db', db]);
    assert.equal(failing.status, 2);
    assert.match(failing.stderr, /Could not convert string 'x' to INT32\n\nLINE 2: {3}CASE WHEN i = 5 THEN 'x'/);
    assert.doesNotMatch(failing.stderr, /gumshoe_rows|MATERIALIZED/);
    const tables = runCli(['query', 'SELECT DISTINCT table_catalog FROM information_schema.tables', '--db', db, '--format', 'json']);
    assert.deepEqual(JSON.parse(`[${tables.stdout.trim().split('\n').join(',')}]`), [{ table_catalog: 'lake' }]);
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
    // Times as `query --format json` gives them: ISO 8601, UTC.
    const first = runCli(['query', 'SELECT min(time) AS t FROM api_activity', '--db', db, '--format', 'json']);
    assert.equal(stats.tables.api_activity.first, JSON.parse(first.stdout).t);
    assert.match(stats.lastRun.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('the text form names each source', () => {
    const result = runCli(['stats', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /CloudTrail \(API Activity\)\s+api_activity\s+226/);
    assert.match(result.stdout, /quarantined records: 1/);
  });

  test('past ten quarantine reasons, the text form counts the rest; --json lists them all', () => {
    const lake = path.join(scratch.dir, 'reasons.duckdb');
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
    const good = '2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1620000000 1620000060 ACCEPT OK'.split(' ');
    // Twelve records, each bad in its own field: twelve distinct reasons.
    const bad = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => good.map((v, k) => (k === i ? (k === 1 || k === 2 ? '' : 'x') : v)).join(' '));
    const file = path.join(scratch.dir, 'reasons.log');
    writeFileSync(file, `${[header, ...bad].join('\n')}\n`);
    assert.equal(runCli(['ingest', file, '--db', lake]).status, 0);
    const json = JSON.parse(runCli(['stats', '--db', lake, '--json']).stdout);
    assert.equal(json.quarantined, 12);
    assert.equal(json.quarantineReasons.reduce((sum: number, r: { count: number }) => sum + r.count, 0), 12);
    const text = runCli(['stats', '--db', lake]).stdout;
    const [, listed] = /quarantined records: 12 \((.*)\)/.exec(text)!;
    const parts = listed!.split('; ');
    assert.equal(parts.length, 11);
    assert.match(parts[10]!, /^\d+ other reasons: \d+$/);
    assert.equal(parts.reduce((sum, p) => sum + Number(/(\d+)$/.exec(p)![1]), 0), 12);
  });
});

test('--help describes every command', () => {
  const result = runCli(['--help']);
  assert.equal(result.status, 0);
  for (const command of ['ingest', 'query', 'stats']) assert.match(result.stdout, new RegExp(`\\b${command}\\b`));
  const ingestHelp = runCli(['ingest', '--help']);
  assert.match(ingestHelp.stdout, /--endpoint/);
});
