/**
 * The benchmark generators must write files in the exact AWS formats and key layouts, or the
 * benchmark measures a parser path real data never takes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  FLOW_V2_HEADER,
  FLOW_V5_CUSTOM_HEADER,
  generateCloudTrail,
  generateDnsLogs,
  generateFlowLogs,
  type GenerateOptions,
  type GenerateResult,
} from '../src/simulate/background.js';
import { dataset } from './helpers/lake.js';

const RECORDS = 2000;
const SEED = 7;
const ROUTE53_SAMPLE = dataset('elastic_integration_fixtures/route53_resolver/test-route53.log');

type Generator = (options: GenerateOptions) => Promise<GenerateResult>;

let workDir = '';

before(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'gumshoe-bench-generate-'));
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Small files, so a couple of thousand records still spread over several keys. */
/** Monday 14:00 UTC, afternoon in Europe and morning in the Americas: people at work as well as machines. */
const WORKING_HOURS = new Date('2024-05-06T14:00:00Z');

async function generate(generator: Generator, name: string, seed = SEED): Promise<GenerateResult> {
  const outDir = path.join(workDir, `${name}-${seed}`);
  return generator({ outDir, records: RECORDS, seed, start: WORKING_HOURS, recordsPerFile: { min: 200, max: 600 }, customFormatShare: 0.5 } as GenerateOptions);
}

function relativeKeys(result: GenerateResult, outDir: string): string[] {
  return result.files.map((file) => path.relative(outDir, file).split(path.sep).join('/'));
}

async function gunzipText(file: string): Promise<string> {
  return gunzipSync(await readFile(file)).toString('utf8');
}

const CLOUDTRAIL_KEY =
  /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z]{2}(?:-[a-z]+)+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_\3\4\5T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/;
const FLOW_KEY =
  /^AWSLogs\/(\d{12})\/vpcflowlogs\/([a-z]{2}(?:-[a-z]+)+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_vpcflowlogs_\2_fl-[0-9a-f]{17}_\3\4\5T\d{4}Z_[0-9a-f]{8}\.log\.gz$/;
const DNS_KEY =
  /^AWSLogs\/(\d{12})\/vpcdnsquerylogs\/(vpc-[0-9a-f]{17})\/(\d{4})\/(\d{2})\/(\d{2})\/\1_vpcdnsquerylogs_\2_\3\4\5T\d{4}Z_[0-9a-f]{8}\.log\.gz$/;

const CLOUDTRAIL_KEYS = [
  'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
  'requestParameters', 'responseElements', 'requestID', 'eventID', 'readOnly', 'eventType', 'managementEvent',
  'recipientAccountId', 'eventCategory',
];

type CloudTrailRecord = Record<string, unknown> & { userIdentity: Record<string, unknown> };

test('CloudTrail files are {"Records":[...]} in the AWS key layout with complete records', async () => {
  const result = await generate(generateCloudTrail, 'cloudtrail');
  const outDir = path.join(workDir, `cloudtrail-${SEED}`);
  assert.equal(result.records, RECORDS);
  assert.ok(result.files.length > 1, 'several files');

  const records: CloudTrailRecord[] = [];
  let serializedBytes = 0;
  for (const [i, key] of relativeKeys(result, outDir).entries()) {
    const match = CLOUDTRAIL_KEY.exec(key);
    assert.ok(match, `key layout: ${key}`);
    const text = await gunzipText(result.files[i] as string);
    assert.ok(text.startsWith('{"Records":['), 'wrapper');
    const parsed = JSON.parse(text) as { Records: CloudTrailRecord[] };
    assert.deepEqual(Object.keys(parsed), ['Records']);
    for (const record of parsed.Records) {
      assert.equal(record.recipientAccountId, match[1], 'account in key');
      serializedBytes += JSON.stringify(record).length;
    }
    records.push(...parsed.Records);
  }
  assert.equal(records.length, RECORDS);

  for (const record of records) {
    for (const key of CLOUDTRAIL_KEYS) {
      // Console sign-in events carry no requestID, as in real trails.
      if (key === 'requestID' && record.eventType === 'AwsConsoleSignIn') continue;
      assert.ok(key in record, `${String(record.eventName)} has ${key}`);
    }
    assert.match(record.eventTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(record.eventID as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(record.eventSource as string, /^[a-z0-9-]+\.amazonaws\.com$/);
    assert.ok(['Management', 'Data'].includes(record.eventCategory as string));
    const identity = record.userIdentity;
    // AWSAccount: another account's caller (a vendor assuming its integration role), as the role's account logs it.
    assert.ok(['IAMUser', 'AssumedRole', 'AWSService', 'Root', 'AWSAccount'].includes(identity.type as string));
    if (identity.type === 'AWSAccount') assert.notEqual(identity.accountId, record.recipientAccountId);
    if (identity.type === 'AssumedRole') {
      const context = identity.sessionContext as { sessionIssuer: { type: string; arn: string } };
      assert.equal(context.sessionIssuer.type, 'Role');
      assert.match(context.sessionIssuer.arn, /^arn:aws:iam::\d{12}:role\//);
    }
    if (identity.type === 'AWSService') assert.match(identity.invokedBy as string, /\.amazonaws\.com$/);
    if (identity.type === 'Root') assert.match(identity.arn as string, /^arn:aws:iam::\d{12}:root$/);
    if (record.eventCategory === 'Data') {
      assert.equal(record.managementEvent, false);
      assert.ok(Array.isArray(record.resources), 'data events list resources');
      assert.equal(typeof (record.additionalEventData as Record<string, unknown>).bytesTransferredOut, 'number');
    }
  }

  const eventIds = new Set(records.map((record) => record.eventID));
  assert.equal(eventIds.size, records.length, 'unique eventIDs');
  const share = (predicate: (record: CloudTrailRecord) => boolean): number => records.filter(predicate).length / records.length;
  const errorShare = share((record) => 'errorCode' in record || 'errorMessage' in record);
  assert.ok(errorShare > 0.01 && errorShare < 0.06, `error share ${errorShare}`);
  const dataShare = share((record) => record.eventCategory === 'Data');
  assert.ok(dataShare > 0.14 && dataShare < 0.26, `data event share ${dataShare}`);
  assert.ok(share((record) => record.responseElements === null) > 0.3, 'many null responseElements');
  assert.ok(share((record) => record.sourceIPAddress === 'ec2.amazonaws.com' || String(record.sourceIPAddress).endsWith('.amazonaws.com')) > 0.02, 'service source addresses');
  const identityTypes = new Set(records.map((record) => record.userIdentity.type));
  for (const type of ['IAMUser', 'AssumedRole', 'AWSService']) assert.ok(identityTypes.has(type), `has ${type}`);
  const averageBytes = serializedBytes / records.length;
  assert.ok(averageBytes > 1000 && averageBytes < 1500, `average record size ${averageBytes}`);
});

test('people keep working hours on weekdays; pipelines, workloads and services run around the clock', async () => {
  const outDir = path.join(workDir, 'hours');
  // 2024-05-10 is a Friday: a working day, then a Saturday.
  const result = await generateCloudTrail({ outDir, records: 20_000, seed: SEED, start: new Date('2024-05-10T00:00:00Z'), days: 2 });
  const records: CloudTrailRecord[] = [];
  for (const file of result.files) records.push(...(JSON.parse(await gunzipText(file)) as { Records: CloudTrailRecord[] }).Records);
  const hourOf = (r: CloudTrailRecord) => new Date(r.eventTime as string).getUTCHours();
  const dayOf = (r: CloudTrailRecord) => new Date(r.eventTime as string).getUTCDay();
  const people = records.filter((r) => r.userIdentity.type === 'IAMUser' || String(r.userIdentity.arn).includes('AWSReservedSSO'));
  const machines = records.filter((r) => r.userIdentity.type === 'AWSService');
  const share = (list: CloudTrailRecord[], predicate: (r: CloudTrailRecord) => boolean) => list.filter(predicate).length / list.length;
  const night = (r: CloudTrailRecord) => dayOf(r) === 5 && hourOf(r) < 5;
  const weekend = (r: CloudTrailRecord) => dayOf(r) === 6;
  assert.ok(share(people, night) < 0.05, `people at night: ${share(people, night)}`);
  assert.ok(share(people, weekend) < 0.2, `people on Saturday: ${share(people, weekend)}`);
  assert.ok(share(machines, weekend) > 0.3, `services on Saturday: ${share(machines, weekend)}`);
});

const FLOW_NUMERIC_FIELDS = new Set([
  'version', 'account-id', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'tcp-flags', 'traffic-path',
]);

test('VPC flow log files have a header and well-formed fields in both formats', async () => {
  const result = await generate(generateFlowLogs, 'vpcflow');
  const outDir = path.join(workDir, `vpcflow-${SEED}`);
  assert.equal(result.records, RECORDS);
  const headersSeen = new Set<string>();
  const distinct = new Set<string>();
  let lines = 0;
  for (const [i, key] of relativeKeys(result, outDir).entries()) {
    assert.match(key, FLOW_KEY);
    const [header, ...rows] = (await gunzipText(result.files[i] as string)).trimEnd().split('\n');
    assert.ok(header === FLOW_V2_HEADER || header === FLOW_V5_CUSTOM_HEADER, `header: ${header}`);
    headersSeen.add(header as string);
    const fields = (header as string).split(' ');
    for (const row of rows) {
      distinct.add(row);
      const values = row.split(' ');
      assert.equal(values.length, fields.length, `field count: ${row}`);
      fields.forEach((field, j) => {
        const value = values[j] as string;
        if (FLOW_NUMERIC_FIELDS.has(field)) assert.match(value, /^(\d+|-)$/, `${field}=${value}`);
        if (field === 'action') assert.match(value, /^(ACCEPT|REJECT|-)$/);
        if (field === 'log-status') assert.match(value, /^(OK|NODATA|SKIPDATA)$/);
        if (field === 'srcaddr' || field === 'dstaddr') assert.match(value, /^(\d+\.\d+\.\d+\.\d+|-)$/);
        if (field === 'interface-id') assert.match(value, /^eni-[0-9a-f]{17}$/);
      });
    }
    lines += rows.length;
  }
  assert.equal(lines, RECORDS);
  assert.equal(distinct.size, RECORDS, 'no line repeated');
  assert.equal(headersSeen.size, 2, 'both the default v2 and the custom v5 format');
});

test('Route 53 Resolver query log lines have the fields of the real sample', async (t) => {
  if (!existsSync(ROUTE53_SAMPLE)) {
    t.skip(`real sample not found at ${ROUTE53_SAMPLE}`);
    return;
  }
  const sampleKeySets = new Set(
    (await readFile(ROUTE53_SAMPLE, 'utf8'))
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => Object.keys(JSON.parse(line) as object).sort().join(',')),
  );
  const result = await generate(generateDnsLogs, 'dns');
  const outDir = path.join(workDir, `dns-${SEED}`);
  assert.equal(result.records, RECORDS);
  const distinct = new Set<string>();
  let lines = 0;
  for (const [i, key] of relativeKeys(result, outDir).entries()) {
    const match = DNS_KEY.exec(key);
    assert.ok(match, `key layout: ${key}`);
    for (const line of (await gunzipText(result.files[i] as string)).trimEnd().split('\n')) {
      distinct.add(line);
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.ok(sampleKeySets.has(Object.keys(record).sort().join(',')), `keys of ${line}`);
      assert.equal(record.version, '1.100000');
      assert.equal(record.account_id, match[1]);
      assert.equal(record.vpc_id, match[2]);
      assert.match(record.query_timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(record.query_name as string, /\.$/);
      assert.match(record.srcport as string, /^\d+$/);
      assert.ok(['UDP', 'TCP'].includes(record.transport as string));
      for (const answer of record.answers as Record<string, unknown>[]) {
        assert.deepEqual(Object.keys(answer), ['Rdata', 'Type', 'Class']);
      }
      lines++;
    }
  }
  assert.equal(lines, RECORDS);
  assert.equal(distinct.size, RECORDS, 'no line repeated');
});

test('the same seed gives identical bytes, another seed different ones', async () => {
  for (const [name, generator] of [['cloudtrail', generateCloudTrail], ['vpcflow', generateFlowLogs], ['dns', generateDnsLogs]] as const) {
    const first = await generate(generator, `${name}-again-a`);
    const second = await generate(generator, `${name}-again-b`);
    const keysA = relativeKeys(first, path.join(workDir, `${name}-again-a-${SEED}`));
    const keysB = relativeKeys(second, path.join(workDir, `${name}-again-b-${SEED}`));
    assert.deepEqual(keysA, keysB, `${name} keys`);
    for (let i = 0; i < first.files.length; i++) {
      assert.ok((await readFile(first.files[i] as string)).equals(await readFile(second.files[i] as string)), `${name} ${keysA[i]}`);
    }
    const other = await generate(generator, `${name}-other`, SEED + 1);
    assert.notDeepEqual(
      await readFile(other.files[0] as string),
      await readFile(first.files[0] as string),
      `${name}: another seed differs`,
    );
  }
});
