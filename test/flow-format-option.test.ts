import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { IngestOptions } from '../src/lake/ingest-api.js';
import { parseLogFormat } from '../src/normalize/vpcflow-fields.js';
import { dataset, scratchDir, tempLake } from './helpers/lake.js';

/**
 * --flow-format gives the field order of flow logs without a header line (CloudWatch Logs messages, lines cut
 * from a file); a file with a header line keeps its header's.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = scratchDir('gumshoe-flow-format-');
after(() => scratch.cleanup());

const write = scratch.write;

/** AWS's custom-format example: 21 fields, as many as the v3 default order, which reads them wrongly. */
const [HEADER, ...RECORDS] = readFileSync(dataset('aws_docs_format_examples', 'vpcflow', 'custom_format_01.log'), 'utf8').split('\n').filter(Boolean) as [string, ...string[]];
const FIELDS = HEADER.split(' ');
/** The LogFormat as the flow log's description gives it, and the same fields by name. */
const LOG_FORMAT = FIELDS.map((name) => `\${${name}}`).join(' ');
const PLAIN_FORMAT = FIELDS.join(' ');

const START = Date.parse('2019-08-26T19:47:55Z');
const lines = (records: string[]) => `${records.join('\n')}\n`;

/** A subscription filter's Firehose delivery of the records: a control message, then one payload (see cloudwatch-logs.test.ts). */
function subscriptionFile(messages: string[]): string {
  const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: START, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] };
  const logEvents = messages.map((message, i) => ({ id: String(i), timestamp: START + i, message }));
  const data = { messageType: 'DATA_MESSAGE', owner: '123456789010', logGroup: 'flows', logStream: 'eni-1235b8ca123456789-all', subscriptionFilters: ['to-firehose'], logEvents };
  return write('firehose-1-2019-08-26-19-47-55-abcd', Buffer.concat([gzipSync(JSON.stringify(control)), gzipSync(JSON.stringify(data))]));
}

/** The same records as AWS delivers them to S3: a header line naming the fields first. */
const s3File = (records: string[]) =>
  write('AWSLogs/123456789010/vpcflowlogs/us-east-1/2019/08/26/123456789010_vpcflowlogs_us-east-1_fl-1_20190826T1945Z_hash.log.gz', gzipSync(lines([HEADER, ...records])));

/** Each record's columns, as its fields name them, in the order of their lines. */
const expectedColumns = (records: string[]) => [...records].sort().map((record) => {
  const value = (name: string) => record.split(' ')[FIELDS.indexOf(name)];
  return {
    vpc_uid: value('vpc-id'), subnet_uid: value('subnet-id'), instance_uid: value('instance-id'), interface_uid: value('interface-id'),
    src_endpoint_ip: value('pkt-srcaddr'), dst_endpoint_ip: value('pkt-dstaddr'), src_endpoint_port: Number(value('srcport')),
    traffic_bytes: BigInt(value('bytes')!), raw: record,
  };
});

async function storedColumns(lake: Awaited<ReturnType<typeof tempLake>>) {
  return lake.rows(`SELECT vpc_uid, subnet_uid, instance_uid, interface_uid, src_endpoint_ip, dst_endpoint_ip, src_endpoint_port,
    traffic_bytes, raw FROM network_activity ORDER BY raw`);
}

describe('--flow-format', () => {
  test('a CloudWatch subscription file of a custom format is read in the given order; its S3 delivery is then stored once', async () => {
    const lake = await tempLake();
    try {
      const read = await lake.ingest([subscriptionFile(RECORDS)], { flowFormat: LOG_FORMAT });
      assert.deepEqual([read.read, read.stored, read.quarantined], [RECORDS.length, RECORDS.length, 0]);
      assert.deepEqual(await storedColumns(lake), expectedColumns(RECORDS));
      const again = await lake.ingest([s3File(RECORDS)]);
      assert.deepEqual([again.read, again.stored, again.duplicates], [RECORDS.length, 0, RECORDS.length], 'the S3 copy is the same records');
    } finally {
      lake.close();
    }
  });

  test('without it, the same messages are read in the v3 default order their field count implies, and quarantined', async () => {
    const lake = await tempLake();
    try {
      const file = subscriptionFile(RECORDS);
      const read = await lake.ingest([file]);
      assert.equal(read.stored, 0);
      assert.equal(read.quarantined, RECORDS.length);
      // Giving the format then reads the same file again, and its records replace their quarantine rows.
      const reread = await lake.ingest([file], { flowFormat: LOG_FORMAT });
      assert.deepEqual([reread.filesUnchanged, reread.stored, reread.quarantined], [0, RECORDS.length, 0]);
      assert.deepEqual(await lake.rows('SELECT count(*)::INTEGER AS n FROM quarantine'), [{ n: 0 }]);
      assert.equal((await lake.ingest([file], { flowFormat: LOG_FORMAT })).filesUnchanged, 1, 'read in the given order, it is not read again');
    } finally {
      lake.close();
    }
  });

  test('a header-less plain .log file, in either form of the format', async () => {
    for (const flowFormat of [LOG_FORMAT, PLAIN_FORMAT]) {
      const lake = await tempLake();
      try {
        const read = await lake.ingest([write('cut.log', lines(RECORDS))], { flowFormat });
        assert.deepEqual([read.read, read.stored, read.quarantined], [RECORDS.length, RECORDS.length, 0], flowFormat);
        assert.deepEqual(await storedColumns(lake), expectedColumns(RECORDS));
        // The header's copy of the lines is the same records (the field list is part of the dedup key).
        const again = await lake.ingest([write('with-header.log', lines([HEADER, ...RECORDS]))]);
        assert.deepEqual([again.stored, again.duplicates], [0, RECORDS.length], flowFormat);
      } finally {
        lake.close();
      }
    }
  });

  test('the ${…} form and the plain form name the same fields, in any case', () => {
    assert.deepEqual(parseLogFormat(LOG_FORMAT), { fields: FIELDS });
    assert.deepEqual(parseLogFormat(PLAIN_FORMAT.toUpperCase()), { fields: FIELDS });
    assert.deepEqual(parseLogFormat(`  ${LOG_FORMAT.replaceAll(' ', '')} `), { fields: FIELDS });
  });

  test('a format whose first field is not the version: lines that fit it are detected as flow logs', async () => {
    // The same records with the version moved to the end: the lines start with the VPC id, not a number.
    const rotate = (line: string) => { const [first, ...rest] = line.split(' '); return [...rest, first].join(' '); };
    const lake = await tempLake();
    try {
      const file = write('vpc-first.log', lines(RECORDS.map(rotate)));
      const unknown = await lake.ingest([file]);
      assert.equal(unknown.filesSkipped, 1, 'not recognised without the format');
      const read = await lake.ingest([file], { flowFormat: rotate(PLAIN_FORMAT) });
      assert.deepEqual([read.stored, read.quarantined], [RECORDS.length, 0]);
      const rows = await lake.rows('SELECT vpc_uid, metadata_product_version FROM network_activity');
      assert.deepEqual(rows.map((row) => [row.vpc_uid, row.metadata_product_version]), RECORDS.map(() => ['vpc-abcdefab012345678', 3]));
    } finally {
      lake.close();
    }
  });

  test('a file with a header line keeps its header order', async () => {
    const lake = await tempLake();
    try {
      const v2 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
      const read = await lake.ingest([write('flows.log', lines([HEADER, ...RECORDS]))], { flowFormat: v2 });
      assert.deepEqual([read.stored, read.quarantined], [RECORDS.length, 0]);
      assert.deepEqual(await storedColumns(lake), expectedColumns(RECORDS));
      // One bad line among them: the header named the order, so the file is not read again for another one.
      const withBadLine = write('bad-line.log', lines([HEADER, ...RECORDS, '3 bad line']));
      assert.equal((await lake.ingest([withBadLine])).quarantined, 1);
      assert.equal((await lake.ingest([withBadLine], { flowFormat: v2 })).filesUnchanged, 1);
    } finally {
      lake.close();
    }
  });

  test('header-less lines of another field count are quarantined, each saying how many fields it has', async () => {
    const v2Lines = readFileSync(dataset('aws_docs_format_examples', 'vpcflow', 'v2_default_format.log'), 'utf8').split('\n').filter(Boolean);
    const lake = await tempLake();
    try {
      const read = await lake.ingest([write('v2.log', lines(v2Lines))], { flowFormat: LOG_FORMAT });
      assert.deepEqual([read.stored, read.quarantined], [0, v2Lines.length]);
      const reasons = await lake.rows('SELECT DISTINCT reason FROM quarantine');
      assert.deepEqual(reasons, [{ reason: 'expected 21 fields, found 14' }]);
    } finally {
      lake.close();
    }
  });

  test('an unknown field name is an error before anything is read', async () => {
    const lake = await tempLake();
    try {
      const options: IngestOptions = { flowFormat: '${version} ${srcadr} ${dstaddr}' };
      await assert.rejects(lake.ingest([write('cut.log', lines(RECORDS))], options), /unknown flow-log field 'srcadr' \(did you mean 'srcaddr'\?\) in --flow-format/);
      assert.equal(await lake.count('SELECT count(*) FROM ingested_files'), 0);
      await assert.rejects(lake.ingest([write('cut.log', lines(RECORDS))], { flowFormat: ' ' }), /no field names/);
    } finally {
      lake.close();
    }
  });

  test('a ${ without its }: the error names the token that lacks it, not the field after it', () => {
    assert.deepEqual(parseLogFormat('${version} ${srcaddr ${dstaddr}'), { fields: [], error: "--flow-format: '${srcaddr' is not ${name} or a name (a ${ or } missing?)" });
    assert.deepEqual(parseLogFormat('${version} srcaddr}'), { fields: [], error: "--flow-format: 'srcaddr}' is not ${name} or a name (a ${ or } missing?)" });
    assert.match(parseLogFormat('${version} ${version}').error!, /flow-log field 'version' appears twice in --flow-format/);
  });

  test('gumshoe ingest: a misspelt field is a usage error (exit 2) naming it, and no lake is made', async () => {
    const db = path.join(scratch.dir, 'cli', 'lake.duckdb');
    const { status, stderr } = await cli(['ingest', write('cut.log', lines(RECORDS)), '--db', db, '--flow-format', `${LOG_FORMAT} \${pkt-srcadr}`]);
    assert.equal(status, 2, stderr);
    assert.match(stderr, /unknown flow-log field 'pkt-srcadr' \(did you mean 'pkt-srcaddr'\?\) in --flow-format/);
    assert.equal(existsSync(db), false);
  });

  test('gumshoe detect: --flow-format without inputs to read is a usage error, and no lake is made', async () => {
    const db = path.join(scratch.dir, 'cli-detect', 'lake.duckdb');
    const { status, stderr } = await cli(['detect', '--db', db, '--flow-format', PLAIN_FORMAT]);
    assert.equal(status, 2, stderr);
    assert.match(stderr, /--flow-format: applies to the inputs detect reads first, and none were given/);
    assert.equal(existsSync(db), false);
  });
});

function cli(args: string[]): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000,
    }, (error, _stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }));
  });
}
