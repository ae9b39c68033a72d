import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCli } from './helpers/cli.js';
import { scratchDir, tempLake } from './helpers/lake.js';
import { S3RVER_ENV, type S3rverHandle, startS3rver } from './helpers/s3rver.js';

const scratch = scratchDir('gumshoe-flow-parquet-');
after(() => scratch.cleanup());

type Value = string | number | null;

/** Parquet column types as VPC Flow Logs writes them (Athena's table for Parquet flow logs names the same). */
const TYPES: Record<string, string> = {
  version: 'INTEGER', srcport: 'INTEGER', dstport: 'INTEGER', protocol: 'BIGINT', packets: 'BIGINT', bytes: 'BIGINT',
  start: 'BIGINT', end: 'BIGINT', tcp_flags: 'INTEGER', traffic_path: 'INTEGER',
};

/** Writes rows as a gzip-compressed Parquet file, as VPC Flow Logs delivers it; returns the file. */
async function writeParquet(file: string, columns: string[], rows: Value[][]): Promise<string> {
  mkdirSync(path.dirname(file), { recursive: true });
  const literal = (value: Value) => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`);
  const values = rows.map((row) => `(${row.map(literal).join(', ')})`).join(', ');
  const names = columns.map((c) => `"${c}"`);
  const typed = columns.map((c, i) => `CAST(${names[i]} AS ${TYPES[c] ?? 'VARCHAR'}) AS ${names[i]}`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (SELECT ${typed.join(', ')} FROM (VALUES ${values}) v(${names.join(', ')})) TO '${file}' (FORMAT parquet, COMPRESSION gzip)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return file;
}

// A custom format (a subset of v2–v5 fields in the order the flow log's LogFormat named them).
const FIELDS = [
  'version', 'account-id', 'interface-id', 'instance-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets',
  'bytes', 'start', 'end', 'action', 'log-status', 'tcp-flags', 'flow-direction', 'traffic-path', 'pkt-dst-aws-service',
];
const COLUMNS = FIELDS.map((f) => f.replaceAll('-', '_'));
const ROWS: Value[][] = [
  [5, '123456789012', 'eni-0a1b2c3d', 'i-0123456789abcdef0', '10.0.0.5', '198.51.100.7', 43210, 443, 6, 10, 840, 1717200000, 1717200060, 'ACCEPT', 'OK', 3, 'egress', 8, null],
  [5, '123456789012', 'eni-0a1b2c3d', 'i-0123456789abcdef0', '203.0.113.9', '10.0.0.5', 51515, 22, 6, 1, 44, 1717200000, 1717200060, 'REJECT', 'OK', 2, 'ingress', null, null],
  [5, '123456789012', 'eni-0a1b2c3d', null, null, null, null, null, null, null, null, 1717200000, 1717200060, null, 'NODATA', null, null, null, null],
];
const textLine = (row: Value[]) => row.map((value) => (value === null ? '-' : String(value))).join(' ');
const HIVE_PREFIX = 'AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=06/day=01';
const parquetName = '123456789012_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f_20240601T0000Z_9f8e7d6c.log.parquet';

test('flow logs delivered as Parquet (Hive-compatible prefixes) are stored as the same records delivered as text', async () => {
  const dir = path.join(scratch.dir, 'equivalent');
  await writeParquet(path.join(dir, 'parquet', HIVE_PREFIX, parquetName), COLUMNS, ROWS);
  const textFile = path.join(dir, 'text', 'AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/06/01', parquetName.replace('.parquet', ''));
  mkdirSync(path.dirname(textFile), { recursive: true });
  writeFileSync(textFile, `${FIELDS.join(' ')}\n${ROWS.map(textLine).join('\n')}\n`);
  const lake = await tempLake();
  try {
    const summary = await lake.ingest([path.join(dir, 'parquet')]);
    assert.deepEqual(summary.byType, { vpcflow: { files: 1, read: 3, stored: 3, duplicates: 0, quarantined: 0 } });
    const rows = await lake.rows(`SELECT source_line::INTEGER AS line, cloud_account_uid AS account, cloud_region AS region, instance_uid AS instance,
        dst_endpoint_port AS port, action, connection_info_direction AS direction, connection_info_boundary AS boundary,
        connection_info_tcp_flags AS flags, status_code AS status, raw
      FROM network_activity ORDER BY source_line`);
    assert.deepEqual(rows, [
      { line: 1, account: '123456789012', region: 'eu-west-1', instance: 'i-0123456789abcdef0', port: 443, action: 'Allowed', direction: 'Outbound', boundary: 'Internet Gateway', flags: 3, status: 'OK', raw: textLine(ROWS[0]!) },
      { line: 2, account: '123456789012', region: 'eu-west-1', instance: 'i-0123456789abcdef0', port: 22, action: 'Denied', direction: 'Inbound', boundary: null, flags: 2, status: 'OK', raw: textLine(ROWS[1]!) },
      { line: 3, account: '123456789012', region: 'eu-west-1', instance: null, port: null, action: null, direction: null, boundary: null, flags: null, status: 'NODATA', raw: textLine(ROWS[2]!) },
    ]);
    // The same records as text (with a header line naming the same fields) are recognised as already stored.
    const text = await lake.ingest([path.join(dir, 'text')]);
    assert.deepEqual([text.read, text.stored, text.duplicates], [3, 0, 3]);
    // And the Parquet file again, unchanged, is not read twice.
    const again = await lake.ingest([path.join(dir, 'parquet')]);
    assert.deepEqual([again.read, again.filesUnchanged], [0, 1]);
  } finally {
    lake.close();
  }
});

test('bad Parquet input: every row is stored or quarantined with its row number and reason, and counted', async () => {
  const dir = path.join(scratch.dir, 'bad', 'AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/06/01');
  // A row with a negative port and an unknown action among good ones.
  const badRow = [...ROWS[0]!];
  badRow[6] = -1;
  const badAction = [...ROWS[1]!];
  badAction[13] = 'ACCEPTED';
  await writeParquet(path.join(dir, 'a-values.log.parquet'), COLUMNS, [ROWS[0]!, badRow, badAction]);
  // A misspelt column: no row can be read in a known order.
  await writeParquet(path.join(dir, 'b-columns.log.parquet'), COLUMNS.map((c) => (c === 'srcaddr' ? 'srcadr' : c)), [ROWS[0]!, ROWS[1]!]);
  // A file cut off mid-upload: Parquet keeps its schema at the end, so nothing of it is readable.
  const whole = readFileSync(await writeParquet(path.join(scratch.dir, 'whole.parquet'), COLUMNS, ROWS));
  writeFileSync(path.join(dir, 'c-truncated.log.parquet'), whole.subarray(0, Math.floor(whole.length / 2)));
  const lake = await tempLake();
  try {
    const summary = await lake.ingest([path.join(scratch.dir, 'bad')]);
    assert.deepEqual(summary.byType, { vpcflow: { files: 3, read: 6, stored: 1, duplicates: 0, quarantined: 5 } });
    const quarantined = await lake.rows(`SELECT regexp_extract(uri, '[a-z]-[a-z]+\\.log\\.parquet') AS file, source_line::INTEGER AS line, location, reason
      FROM quarantine ORDER BY uri, source_line`);
    assert.deepEqual(quarantined.map((q) => [q.file, q.line, q.location]), [
      ['a-values.log.parquet', 2, 'line 2'],
      ['a-values.log.parquet', 3, 'line 3'],
      ['b-columns.log.parquet', 1, 'line 1'],
      ['b-columns.log.parquet', 2, 'line 2'],
      ['c-truncated.log.parquet', 1, 'line 1'],
    ]);
    assert.match(String(quarantined[0]!.reason), /field srcport: not a port number \(0–65535\): -1/);
    assert.match(String(quarantined[1]!.reason), /field action: expected one of ACCEPT, REJECT, found ACCEPTED/);
    assert.match(String(quarantined[2]!.reason), /unknown flow-log field 'srcadr' \(did you mean 'srcaddr'\?\) among the Parquet columns/);
    assert.match(String(quarantined[4]!.reason), /not a readable Parquet file/);
  } finally {
    lake.close();
  }
});

test('Parquet that is not a flow log is skipped with a reason, unless --type vpcflow forces it; other --types skip Parquet', async () => {
  const dir = path.join(scratch.dir, 'other');
  await writeParquet(path.join(dir, 'metrics.parquet'), ['host', 'cpu'], [['web-1', '0.5']]);
  const flowOutsideLayout = await writeParquet(path.join(scratch.dir, 'exported', 'flows.parquet'), COLUMNS, [ROWS[0]!]);
  const lake = await tempLake();
  try {
    const skipped = await lake.ingest([dir]);
    assert.deepEqual([skipped.read, skipped.filesSkipped], [0, 1]);
    assert.match(skipped.warnings.join('\n'), /metrics\.parquet: a Parquet file that is not a VPC flow log .*--type vpcflow/);
    // Columns alone tell a flow log outside AWS's key layout.
    const exported = await lake.ingest([flowOutsideLayout]);
    assert.deepEqual([exported.read, exported.stored], [1, 1]);
    const asCloudTrail = await lake.ingest([dir], { forceType: 'cloudtrail' });
    assert.match(asCloudTrail.warnings.join('\n'), /only VPC flow logs are read from Parquet, not --type cloudtrail/);
    const forced = await lake.ingest([dir], { forceType: 'vpcflow' });
    assert.deepEqual([forced.read, forced.quarantined], [1, 1]);
    const [reason] = await lake.rows(`SELECT reason FROM quarantine WHERE uri LIKE '%metrics.parquet'`);
    assert.match(String(reason!.reason), /unknown flow-log field 'host', 'cpu' among the Parquet columns/);
  } finally {
    lake.close();
  }
});

describeS3();

function describeS3(): void {
  let s3: S3rverHandle;
  before(async () => {
    s3 = await startS3rver({ buckets: ['flow-bucket'] });
    const file = await writeParquet(path.join(scratch.dir, 's3', parquetName), COLUMNS, ROWS);
    await s3.putObjects('flow-bucket', [[`${HIVE_PREFIX}/${parquetName}`, readFileSync(file)]]);
  });
  after(() => s3?.stop());

  test('Parquet flow logs are read from S3 (streamed to a scratch file next to the lake, then removed)', () => {
    const db = path.join(scratch.dir, 's3-lake', 'lake.duckdb');
    mkdirSync(path.dirname(db), { recursive: true });
    const run = runCli(['ingest', 's3://flow-bucket/AWSLogs/', '--endpoint', s3.endpoint, '--db', db, '--json'], S3RVER_ENV);
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual(summary.byType, { vpcflow: { files: 1, read: 3, stored: 3, duplicates: 0, quarantined: 0 } });
    const regions = runCli(['query', 'SELECT DISTINCT cloud_region AS region FROM network_activity', '--db', db, '--format', 'json']);
    assert.deepEqual(JSON.parse(regions.stdout), { region: 'eu-west-1' });
    assert.deepEqual(readdirSync(path.dirname(db)).filter((name) => name.startsWith('.gumshoe-stage')), []);
  });
}
