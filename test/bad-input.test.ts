// Bad input in realistic AWS shapes, derived from real records: every bad record is quarantined with the
// file, the place and the reason; the good records around it are stored; nothing throws; and reading the
// same file again never quarantines a record twice.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import type { SourceType } from '../src/lake/ingest.js';
import { detectFormat } from '../src/normalize/detect.js';
import { dataset, scratchDir, tempLake, type TestLake } from './helpers/lake.js';

type Json = Record<string, any>;

interface ExpectedQuarantine {
  location: string;
  /** The exact reason, or a pattern it must match. */
  reason: string | RegExp;
  /** The record's text exactly as it stands in the file. */
  raw: string;
}

interface Case {
  /** File name in the scratch directory (its extension matters for nothing but realism). */
  name: string;
  content: string | Buffer;
  type: SourceType;
  stored: number;
  quarantined: ExpectedQuarantine[];
  /** Extra checks on the lake after the first ingest. */
  check?: (lake: TestLake, uri: string) => Promise<void>;
}

/**
 * Ingests one bad file into a fresh lake and checks the run's counts, the exact quarantine rows, the
 * ingested_files row, then that reading the file again (unchanged, then touched) adds no quarantine row.
 */
async function runCase(c: Case): Promise<void> {
  const scratch = scratchDir();
  const lake = await tempLake();
  try {
    const file = path.join(scratch.dir, c.name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, c.content);
    const summary = await lake.ingest([file]);
    const read = c.stored + c.quarantined.length;
    assert.equal(summary.read, summary.stored + summary.duplicates + summary.quarantined, 'read = stored + duplicates + quarantined');
    assert.deepEqual(summary.byType, { [c.type]: { files: 1, read, stored: c.stored, duplicates: 0, quarantined: c.quarantined.length } });
    assert.deepEqual([summary.files, summary.filesSkipped, summary.warnings], [1, 0, []]);

    const rows = await lake.rows('SELECT uri, source_type, source_line, location, reason, raw FROM quarantine ORDER BY source_line, location');
    assert.equal(rows.length, c.quarantined.length, `quarantine rows: ${JSON.stringify(rows.map((r) => [r.location, r.reason]))}`);
    c.quarantined.forEach((expected, i) => {
      const row = rows[i]!;
      assert.equal(row.uri, file);
      assert.equal(row.source_type, c.type);
      assert.equal(row.location, expected.location);
      assert.equal(Number(row.source_line), Number(/^line (\d+)/.exec(expected.location)![1]));
      if (typeof expected.reason === 'string') assert.equal(row.reason, expected.reason);
      else assert.match(String(row.reason), expected.reason);
      assert.equal(row.raw, expected.raw, `raw of ${expected.location}`);
    });
    const [fileRow] = await lake.rows('SELECT status, records_read, quarantined FROM ingested_files');
    assert.deepEqual(
      { status: fileRow!.status, read: Number(fileRow!.records_read), quarantined: Number(fileRow!.quarantined) },
      { status: 'complete', read, quarantined: c.quarantined.length },
    );
    await c.check?.(lake, file);

    // The same file again: passed over.
    const unchanged = await lake.ingest([file]);
    assert.deepEqual([unchanged.filesUnchanged, unchanged.read, unchanged.quarantined], [1, 0, 0]);
    assert.equal(await lake.count('SELECT count(*) FROM quarantine'), c.quarantined.length);

    // Touched (new fingerprint): read again, every good record a duplicate, no second quarantine row.
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    const reread = await lake.ingest([file]);
    assert.equal(reread.read, reread.stored + reread.duplicates + reread.quarantined);
    assert.deepEqual([reread.files, reread.stored, reread.duplicates, reread.quarantined], [1, 0, c.stored, c.quarantined.length]);
    assert.equal(await lake.count('SELECT count(*) FROM quarantine'), c.quarantined.length);
    assert.equal(await lake.count('SELECT count(*) FROM ingested_files'), 1);
  } finally {
    lake.close();
    scratch.cleanup();
  }
}

// ---- Real records to derive the bad files from -------------------------------------------------

const OTRF_LINES = gunzipSync(readFileSync(dataset('otrf_aws_cloud_breach_s3/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl.gz')))
  .toString('utf8')
  .split('\n')
  .filter(Boolean);
const STRATUS = (name: string) => dataset('stratus_detonation_logs/logs', `${name}.json`);
const stratusRecords = (name: string) => JSON.parse(readFileSync(STRATUS(name), 'utf8')) as Json[];

/** A record's JSON text after a change to a copy of it. */
function edited(record: Json, change: (r: Json) => void): string {
  const copy = structuredClone(record);
  change(copy);
  return JSON.stringify(copy);
}
const FLOW_V3 = readFileSync(dataset('aws_docs_format_examples/vpcflow/custom_format_01.log'), 'utf8').split('\n').filter(Boolean);
const FLOW_V5 = readFileSync(dataset('aws_docs_format_examples/vpcflow/custom_format_07.log'), 'utf8').split('\n').filter(Boolean);
const ROUTE53_LINES = readFileSync(dataset('elastic_integration_fixtures/route53_resolver/test-route53.log'), 'utf8').split('\n').filter(Boolean);
const GUARDDUTY_LINES = readFileSync(dataset('elastic_integration_fixtures/guardduty/test-guardduty.log'), 'utf8').split('\n').filter(Boolean);

const lines = (items: string[]) => `${items.join('\n')}\n`;
/** JSON.parse's own message for a text, as the quarantine reason quotes it. */
function parseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected malformed JSON');
}
/** Everything a cut gzip stream still decodes to. */
const salvage = (cut: Buffer) => gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');

/** A flow log of many lines derived from the AWS doc's v3 example (ports varied so each line is its own flow). */
function longFlowLog(count: number): string[] {
  const body = FLOW_V3.slice(1);
  return Array.from({ length: count }, (_, i) => {
    const fields = body[i % body.length]!.split(' ');
    const client = String(40000 + i);
    // srcport/dstport are fields 10 and 11; the client side is whichever is not 5001.
    if (fields[9] === '5001') fields[10] = client;
    else fields[9] = client;
    return fields.join(' ');
  });
}

const GZIP_REASON = 'truncated or corrupt gzip (unexpected end of file): the file ends inside this record';

describe('truncated gzip', () => {
  test('a CloudTrail Records .json.gz cut mid-way: whole records stored, the cut-off one quarantined', async () => {
    const records = stratusRecords('aws.execution.ssm-send-command');
    const texts = records.map((r) => JSON.stringify(r));
    const doc = `{"Records":[${texts.join(',')}]}`;
    const gz = gzipSync(doc);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const decoded = salvage(cut);
    assert.ok(doc.startsWith(decoded));
    // Records wholly inside the decoded text are complete; the next one is cut.
    let end = '{"Records":['.length;
    let whole = 0;
    while (whole < texts.length && end + texts[whole]!.length <= decoded.length) end += texts[whole++]!.length + 1;
    assert.ok(whole > 10 && whole < texts.length - 1, `cut lands inside record ${whole + 1}`);
    const partial = decoded.slice(end);
    assert.ok(partial.length > 0 && partial.length < texts[whole]!.length);
    await runCase({
      name: '123456789012_CloudTrail_us-east-1_20240731T1305Z_abc.json.gz',
      content: cut,
      type: 'cloudtrail',
      stored: whole,
      quarantined: [{ location: `line 1, record ${whole + 1}`, reason: GZIP_REASON, raw: partial }],
      check: async (lake) => {
        const ids = (await lake.rows('SELECT metadata_uid FROM api_activity ORDER BY metadata_uid')).map((r) => r.metadata_uid);
        assert.deepEqual(ids, records.slice(0, whole).map((r) => r.eventID).sort());
      },
    });
  });

  test('a VPC flow .log.gz cut mid-way: whole lines stored, the cut-off line quarantined at its own line', async () => {
    const text = lines([FLOW_V3[0]!, ...longFlowLog(400)]);
    const gz = gzipSync(text);
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const decoded = salvage(cut);
    const wholeLines = decoded.slice(0, decoded.lastIndexOf('\n')).split('\n');
    const partial = decoded.slice(decoded.lastIndexOf('\n') + 1);
    assert.ok(partial.length > 0, 'the cut lands inside a line');
    const dataLines = wholeLines.length - 1; // the header is not a record
    assert.ok(dataLines > 20 && dataLines < 400);
    await runCase({
      name: '123456789012_vpcflowlogs_us-east-1_fl-0abc_20240731T1305Z_0f1e.log.gz',
      content: cut,
      type: 'vpcflow',
      stored: dataLines,
      quarantined: [{ location: `line ${wholeLines.length + 1}`, reason: GZIP_REASON, raw: partial }],
      check: async (lake) => {
        const [span] = await lake.rows('SELECT min(source_line) AS lo, max(source_line) AS hi, count(DISTINCT source_line) AS n FROM network_activity');
        assert.deepEqual([Number(span!.lo), Number(span!.hi), Number(span!.n)], [2, wholeLines.length, dataLines]);
        const [last] = await lake.rows('SELECT raw FROM network_activity WHERE source_line = $1', [wholeLines.length]);
        assert.equal(last!.raw, wholeLines.at(-1));
      },
    });
  });

  test('CloudTrail JSON lines .jsonl.gz cut mid-way', async () => {
    const gz = gzipSync(lines(OTRF_LINES));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.4));
    const decoded = salvage(cut);
    const whole = decoded.slice(0, decoded.lastIndexOf('\n')).split('\n');
    const partial = decoded.slice(decoded.lastIndexOf('\n') + 1);
    assert.ok(partial.length > 0);
    assert.deepEqual(whole, OTRF_LINES.slice(0, whole.length));
    await runCase({
      name: 'capture.jsonl.gz',
      content: cut,
      type: 'cloudtrail',
      stored: whole.length,
      quarantined: [{ location: `line ${whole.length + 1}`, reason: GZIP_REASON, raw: partial }],
    });
  });

  test('a small gzip damaged inside or in its checksum: the records before the damage are stored, not the file skipped', async () => {
    const records = stratusRecords('aws.credential-access.ec2-steal-instance-credentials').map((r) => JSON.stringify(r));
    const gz = gzipSync(lines(records));
    const inside = Buffer.from(gz);
    for (let i = 0; i < 20; i++) inside[(gz.length >> 1) + i]! ^= 0xff;
    const checksum = Buffer.from(gz);
    checksum[gz.length - 6]! ^= 0xff;
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const read = async (name: string, content: Buffer) => {
        const file = path.join(scratch.dir, name);
        writeFileSync(file, content);
        const summary = await lake.ingest([file]);
        assert.equal(summary.read, summary.stored + summary.duplicates + summary.quarantined);
        const [last] = await lake.rows('SELECT reason FROM quarantine WHERE uri = $1 ORDER BY source_line DESC LIMIT 1', [file]);
        assert.match(String(last!.reason), /^truncated or corrupt gzip \(incorrect (data|header) check|invalid/);
        return summary;
      };
      // Before the fix, zlib's one write of the whole file took its output with it: 0 stored, the file skipped.
      // Every whole line of the undamaged start (cut one salvage step before the damage) is stored.
      const undamaged = salvage(gz.subarray(0, (gz.length >> 1) - 256)).split('\n').length - 1;
      const damaged = await read('inside.jsonl.gz', inside);
      assert.ok(undamaged > 0 && damaged.stored >= undamaged, `stored ${damaged.stored}, whole lines before the damage ${undamaged}`);
      // Only the last few hundred compressed bytes' records can be lost to a bad checksum.
      const badSum = await read('checksum.jsonl.gz', checksum);
      assert.ok(badSum.stored + badSum.duplicates >= records.length - 5, `stored ${badSum.stored} + ${badSum.duplicates} of ${records.length}`);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });

  test('gzip broken before anything decodes: skipped with the damage named, unless its S3 key names the type', async () => {
    const gz = gzipSync(lines(OTRF_LINES));
    const content = Buffer.concat([gz.subarray(0, 10), Buffer.from('this is not deflate data at all')]);
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const file = path.join(scratch.dir, 'capture.jsonl.gz');
      writeFileSync(file, content);
      const summary = await lake.ingest([file]); // must not throw
      assert.deepEqual([summary.files, summary.filesSkipped, summary.read], [0, 1, 0]);
      assert.equal(summary.warnings.length, 1);
      assert.match(summary.warnings[0]!, /^skipped .*capture\.jsonl\.gz: truncated or corrupt gzip \(.+\): nothing could be read$/);
      const [row] = await lake.rows('SELECT status, note FROM ingested_files');
      assert.equal(row!.status, 'skipped');
      assert.match(String(row!.note), /^truncated or corrupt gzip/);
    } finally {
      lake.close();
      scratch.cleanup();
    }
    // Delivered under a CloudTrail key, the file is known to hold CloudTrail: the damage is quarantined.
    await runCase({
      name: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/07/31/123456789012_CloudTrail_us-east-1_20240731T1305Z_abc.json.gz',
      content,
      type: 'cloudtrail',
      stored: 0,
      quarantined: [{ location: 'line 1, record 1', reason: /^truncated or corrupt gzip \(.+\): no complete record before the damage$/, raw: '' }],
    });
  });
});

describe('truncated JSON documents without gzip', () => {
  test('a Records .json cut mid-record', async () => {
    const records = stratusRecords('aws.execution.ec2-user-data');
    const texts = records.map((r) => JSON.stringify(r));
    const doc = `{"Records":[${texts.join(',')}]}`;
    const prefix = '{"Records":['.length + texts.slice(0, 20).join(',').length + 1;
    const cutAt = prefix + Math.floor(texts[20]!.length / 2);
    await runCase({
      name: 'trail.json',
      content: doc.slice(0, cutAt),
      type: 'cloudtrail',
      stored: 20,
      quarantined: [{ location: 'line 1, record 21', reason: 'truncated JSON document: the file ends inside this record', raw: doc.slice(prefix, cutAt) }],
    });
  });

  test('text that is not JSON after a document: one quarantined record of its first 64 KiB, the rest not read', async () => {
    const records = stratusRecords('aws.execution.ec2-user-data');
    const junk = `${'not json '.repeat(2_000_000)}\n`;
    await runCase({
      name: 'trail-then-junk.json',
      content: `{"Records":[${records.map((r) => JSON.stringify(r)).join(',')}]}\n${junk}`,
      type: 'cloudtrail',
      stored: records.length,
      quarantined: [{ location: `line 2, record ${records.length + 1}`, reason: 'not a JSON value: the rest of the file is not read', raw: junk.slice(0, 64 << 10) }],
    });
  });

  test('a pretty-printed array cut mid-record: located at the line the record starts on', async () => {
    const text = readFileSync(STRATUS('aws.credential-access.secretsmanager-retrieve-secrets'), 'utf8');
    const starts = [...text.matchAll(/\n   \{\n/g)].map((m) => m.index! + 4);
    const cutAt = starts[7]! + 300;
    const line = text.slice(0, starts[7]).split('\n').length;
    await runCase({
      name: 'secretsmanager.json',
      content: text.slice(0, cutAt),
      type: 'cloudtrail',
      stored: 7,
      quarantined: [{ location: `line ${line}, record 8`, reason: 'truncated JSON document: the file ends inside this record', raw: text.slice(starts[7], cutAt) }],
    });
  });

  test('a Records document whose last record is whole but whose "]}" is missing', async () => {
    const records = stratusRecords('aws.persistence.iam-create-admin-user');
    const doc = `{"Records":[${records.map((r) => JSON.stringify(r)).join(',')}`;
    await runCase({
      name: 'trail.json',
      content: doc,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [{ location: 'line 1, record 4', reason: 'truncated JSON document: the file ends before its closing brace', raw: '' }],
    });
  });
});

describe('text encoding inside JSON documents (records are cut out as bytes)', () => {
  const records = () => stratusRecords('aws.persistence.iam-create-admin-user');
  /** The stored records' text, sorted. */
  const storedRaws = async (lake: TestLake) => (await lake.rows('SELECT raw FROM api_activity')).map((r) => String(r.raw)).sort();

  test('multi-byte characters: records keep their exact text, and a cut after them is located and kept exactly', async () => {
    const texts = records().map((r, i) => JSON.stringify({ ...r, userAgent: `Mozilla/5.0 (café ✓ 🚀 ${i})` }));
    const doc = `{"Records":[${texts.join(',')}]}`;
    const cutAt = doc.indexOf(texts[2]!) + Math.floor(texts[2]!.length / 2);
    await runCase({
      name: 'unicode.json',
      content: doc.slice(0, cutAt),
      type: 'cloudtrail',
      stored: 2,
      quarantined: [{ location: 'line 1, record 3', reason: 'truncated JSON document: the file ends inside this record', raw: doc.slice(doc.indexOf(texts[2]!), cutAt) }],
      check: async (lake) => assert.deepEqual(await storedRaws(lake), texts.slice(0, 2).sort()),
    });
  });

  test('a raw control character inside a string: that record is malformed JSON, the others are stored', async () => {
    const texts = records().map((r) => JSON.stringify(r));
    const bad = texts[1]!.replace('"userAgent":"', '"userAgent":"\u001f');
    await runCase({
      name: 'control.json',
      content: `{"Records":[${[texts[0], bad, texts[2]].join(',')}]}`,
      type: 'cloudtrail',
      stored: 2,
      quarantined: [{ location: 'line 1, record 2', reason: /^malformed JSON: /, raw: bad }],
      check: async (lake) => assert.deepEqual(await storedRaws(lake), [texts[0]!, texts[2]!].sort()),
    });
  });

  test('bytes that are not UTF-8 become U+FFFD, as a text decoder reads them; every record is stored', async () => {
    const texts = records().map((r) => JSON.stringify(r));
    const [before, after] = texts[0]!.split('"userAgent":"');
    const doc = Buffer.concat([Buffer.from(`{"Records":[${before}"userAgent":"`), Buffer.from([0xff, 0xc3]), Buffer.from(`${after},${texts.slice(1).join(',')}]}`)]);
    await runCase({
      name: 'latin.json',
      content: doc,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [],
      check: async (lake) => assert.deepEqual(await storedRaws(lake), [`${before}"userAgent":"\uFFFD\uFFFD${after}`, ...texts.slice(1)].sort()),
    });
  });
});

describe('text encoding inside line files (lines are framed as bytes)', () => {
  const storedRaws = async (lake: TestLake) => (await lake.rows('SELECT raw, source_line FROM api_activity ORDER BY source_line')).map((r) => [String(r.raw), Number(r.source_line)]);

  test('a byte-order mark before the first JSON line is not part of its record', async () => {
    await runCase({
      name: 'exported-from-windows.log',
      content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines(ROUTE53_LINES.slice(0, 3)))]),
      type: 'route53',
      stored: 3,
      quarantined: [],
    });
  });

  test('a raw control character in one line: that line is malformed JSON at its own line; later lines keep their numbers', async () => {
    const bad = OTRF_LINES[1]!.replace('"userAgent":"', '"userAgent":"\u001f');
    const content = lines([OTRF_LINES[0]!, bad, OTRF_LINES[2]!, '', OTRF_LINES[3]!]);
    await runCase({
      name: 'control.jsonl',
      content,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [{ location: 'line 2', reason: /^malformed JSON: /, raw: bad }],
      check: async (lake) => assert.deepEqual(await storedRaws(lake), [[OTRF_LINES[0]!, 1], [OTRF_LINES[2]!, 3], [OTRF_LINES[3]!, 5]]),
    });
  });

  test('bytes that are not UTF-8 become U+FFFD; multi-byte characters cut by nothing stay exact', async () => {
    const [before, after] = OTRF_LINES[1]!.split('"userAgent":"');
    const accented = OTRF_LINES[2]!.replace('"userAgent":"', '"userAgent":"café ✓ 🚀 ');
    const content = Buffer.concat([
      Buffer.from(`${OTRF_LINES[0]}\n${before}"userAgent":"`),
      Buffer.from([0xff, 0xc3]),
      Buffer.from(`${after}\n${accented}\n`),
    ]);
    await runCase({
      name: 'latin.jsonl',
      content,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [],
      check: async (lake) => assert.deepEqual(await storedRaws(lake), [[OTRF_LINES[0]!, 1], [`${before}"userAgent":"\uFFFD\uFFFD${after}`, 2], [accented, 3]]),
    });
  });

  test('a line longer than a stage-file line may be (over 1 MB) is stored whole, between lines that are not', async () => {
    const long = edited(JSON.parse(OTRF_LINES[1]!), (r) => { r.requestParameters = { policy: 'x'.repeat(1_100_000) }; });
    const content = lines([OTRF_LINES[0]!, long, OTRF_LINES[2]!]);
    await runCase({
      name: 'long.jsonl',
      content: gzipSync(content),
      type: 'cloudtrail',
      stored: 3,
      quarantined: [],
      check: async (lake) => assert.deepEqual(await storedRaws(lake), [[OTRF_LINES[0]!, 1], [long, 2], [OTRF_LINES[2]!, 3]]),
    });
  });
});

describe('bad JSON lines (CloudTrail)', () => {
  test('a malformed line: JSON.parse\'s message and its line; the other lines stored', async () => {
    const bad = OTRF_LINES[4]!.slice(0, 200);
    const content = lines([...OTRF_LINES.slice(0, 4), bad, ...OTRF_LINES.slice(5, 12)]);
    await runCase({
      name: 'capture.jsonl',
      content,
      type: 'cloudtrail',
      stored: 11,
      quarantined: [{ location: 'line 5', reason: `malformed JSON: ${parseError(bad)}`, raw: bad }],
    });
  });

  test('a line with a stray comma and one with a missing brace, CRLF line ends', async () => {
    const strayComma = OTRF_LINES[1]!.replace('"eventName"', ',"eventName"');
    const noBrace = OTRF_LINES[3]!.slice(0, -1);
    const content = [OTRF_LINES[0], strayComma, OTRF_LINES[2], noBrace, OTRF_LINES[4]].join('\r\n') + '\r\n';
    await runCase({
      name: 'capture.jsonl',
      content,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [
        { location: 'line 2', reason: `malformed JSON: ${parseError(strayComma)}`, raw: strayComma },
        { location: 'line 4', reason: `malformed JSON: ${parseError(noBrace)}`, raw: noBrace },
      ],
    });
  });

  test('lines that are valid JSON but not an object: an array, a string, a number, null', async () => {
    const asArray = `[${OTRF_LINES[2]}]`;
    const asString = JSON.stringify('DescribeInstances');
    const content = lines([OTRF_LINES[0]!, OTRF_LINES[1]!, asArray, asString, OTRF_LINES[4]!, '42', 'null', OTRF_LINES[7]!]);
    await runCase({
      name: 'capture.jsonl',
      content,
      type: 'cloudtrail',
      stored: 4,
      quarantined: [
        { location: 'line 3', reason: 'not a JSON object (found an array)', raw: asArray },
        { location: 'line 4', reason: 'not a JSON object (found string)', raw: asString },
        { location: 'line 6', reason: 'not a JSON object (found number)', raw: '42' },
        { location: 'line 7', reason: 'not a JSON object (found null)', raw: 'null' },
      ],
    });
  });

  test('records missing eventTime, eventName or eventSource, or with an eventTime that is not a time', async () => {
    const records = stratusRecords('aws.credential-access.ssm-retrieve-securestring-parameters');
    const edit = (i: number, change: (r: Json) => void) => edited(records[i]!, change);
    const noTime = edit(1, (r) => delete r.eventTime);
    const noName = edit(3, (r) => delete r.eventName);
    const noSource = edit(4, (r) => delete r.eventSource);
    const nullName = edit(5, (r) => (r.eventName = null));
    const badTime = edit(6, (r) => (r.eventTime = '31/07/2024 13:05'));
    const content = lines([JSON.stringify(records[0]), noTime, JSON.stringify(records[2]), noName, noSource, nullName, badTime, JSON.stringify(records[7])]);
    await runCase({
      name: 'trail.jsonl',
      content,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [
        { location: 'line 2', reason: 'missing required field eventTime', raw: noTime },
        { location: 'line 4', reason: 'missing required field eventName', raw: noName },
        { location: 'line 5', reason: 'missing required field eventSource', raw: noSource },
        { location: 'line 6', reason: 'missing required field eventName', raw: nullName },
        { location: 'line 7', reason: 'field eventTime: not an ISO-8601 time: 31/07/2024 13:05', raw: badTime },
      ],
    });
  });

  test('fields of the wrong JSON type: quarantined, not stored as their JSON text', async () => {
    const records = stratusRecords('aws.credential-access.ec2-steal-instance-credentials');
    const edit = (i: number, change: (r: Json) => void) => edited(records[i]!, change);
    const numericName = edit(1, (r) => (r.eventName = 42));
    const stringIdentity = edit(2, (r) => (r.userIdentity = 'arn:aws:iam::123456789012:root'));
    const arrayParameters = edit(3, (r) => (r.requestParameters = [{ instanceId: 'i-0123' }]));
    const numericTime = edit(4, (r) => (r.eventTime = 1722375075));
    const objectSource = edit(5, (r) => (r.eventSource = { name: 'ec2.amazonaws.com' }));
    const arrayRegion = edit(1, (r) => (r.awsRegion = ['us-east-1']));
    const objectAccount = edit(2, (r) => (r.recipientAccountId = { x: 1 }));
    const booleanAgent = edit(3, (r) => (r.userAgent = false));
    const objectAddress = edit(4, (r) => (r.sourceIPAddress = { a: 1 }));
    const objectError = edit(5, (r) => (r.errorCode = { c: 1 }));
    const vagueFlag = edit(6, (r) => (r.readOnly = 'maybe'));
    // Exporters that write flags as strings are read as they mean.
    const stringFlag = edit(7, (r) => (r.readOnly = 'True'));
    // Text that starts like an array is still text: the S3 console's user agent does.
    const bracketedAgent = edit(8, (r) => (r.userAgent = '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.991]'));
    const content = lines([
      JSON.stringify(records[0]), numericName, stringIdentity, arrayParameters, numericTime, objectSource,
      arrayRegion, objectAccount, booleanAgent, objectAddress, objectError, vagueFlag, stringFlag, bracketedAgent,
    ]);
    await runCase({
      name: 'trail.jsonl',
      content,
      type: 'cloudtrail',
      stored: 3,
      quarantined: [
        { location: 'line 2', reason: 'field eventName: expected a string, found a number', raw: numericName },
        { location: 'line 3', reason: 'field userIdentity: expected an object, found a string', raw: stringIdentity },
        { location: 'line 4', reason: 'field requestParameters: expected an object, found an array', raw: arrayParameters },
        { location: 'line 5', reason: 'field eventTime: expected a string, found a number', raw: numericTime },
        { location: 'line 6', reason: 'field eventSource: expected a string, found an object', raw: objectSource },
        { location: 'line 7', reason: 'field awsRegion: expected a string, found an array', raw: arrayRegion },
        { location: 'line 8', reason: 'field recipientAccountId: expected a string, found an object', raw: objectAccount },
        { location: 'line 9', reason: 'field userAgent: expected a string, found a boolean', raw: booleanAgent },
        { location: 'line 10', reason: 'field sourceIPAddress: expected a string, found an object', raw: objectAddress },
        { location: 'line 11', reason: 'field errorCode: expected a string, found an object', raw: objectError },
        { location: 'line 12', reason: 'field readOnly: expected true or false, found maybe', raw: vagueFlag },
      ],
      check: async (lake) => {
        const rows = await lake.rows('SELECT read_only, http_request_user_agent AS agent FROM api_activity ORDER BY source_line');
        assert.deepEqual(rows.map((r) => r.read_only), [records[0]!.readOnly, true, records[8]!.readOnly]);
        assert.equal(rows[2]!.agent, '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.991]');
      },
    });
    // Inside an EventBridge envelope, the field is looked up where the event is.
    const wrap = (record: string) => JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', detail: JSON.parse(record) });
    const wrappedRegion = wrap(edit(9, (r) => (r.awsRegion = ['eu-west-1'])));
    await runCase({
      name: 'eventbridge.jsonl',
      content: lines([wrap(JSON.stringify(records[0])), wrappedRegion]),
      type: 'cloudtrail',
      stored: 1,
      quarantined: [{ location: 'line 2', reason: 'field awsRegion: expected a string, found an array', raw: wrappedRegion }],
    });
  });
  test('a bad record inside a pretty-printed array is located by line and record number', async () => {
    const records = stratusRecords('aws.persistence.iam-create-admin-user');
    const broken = structuredClone(records);
    delete broken[1]!.eventTime;
    const text = `${JSON.stringify(broken, null, 2)}\n`;
    const elementStarts = [...text.matchAll(/\n  \{\n/g)].map((m) => m.index! + 3);
    assert.equal(elementStarts.length, 3);
    const line = text.slice(0, elementStarts[1]).split('\n').length;
    const rawEnd = elementStarts[2]! - 3 - 1; // up to the closing brace, before ",\n  {"
    await runCase({
      name: 'admin-user.json',
      content: text,
      type: 'cloudtrail',
      stored: 2,
      quarantined: [{ location: `line ${line}, record 2`, reason: 'missing required field eventTime', raw: text.slice(elementStarts[1], rawEnd) }],
      check: async (lake) => {
        const [row] = await lake.rows('SELECT raw FROM quarantine');
        assert.deepEqual(JSON.parse(String(row!.raw)), broken[1]);
      },
    });
  });
});

describe('bad VPC flow logs', () => {
  test('a misspelt field in the header: every record quarantined, naming the field and the fix', async () => {
    const header = FLOW_V3[0]!.replace('dstport', 'dstprt');
    const body = FLOW_V3.slice(1);
    const reason = "unknown flow-log field 'dstprt' (did you mean 'dstport'?) in the header (line 1)";
    await runCase({
      name: 'flows.log',
      content: lines([header, ...body]),
      type: 'vpcflow',
      stored: 0,
      quarantined: body.map((raw, i) => ({ location: `line ${i + 2}`, reason, raw })),
      check: async (lake) => {
        const [file] = await lake.rows('SELECT format FROM ingested_files');
        assert.equal(file!.format, header);
      },
    });
  });

  test('a header naming a field twice', async () => {
    const header = FLOW_V3[0]!.replace('tcp-flags', 'bytes');
    await runCase({
      name: 'flows.log',
      content: lines([header, FLOW_V3[1]!]),
      type: 'vpcflow',
      stored: 0,
      quarantined: [{ location: 'line 2', reason: "flow-log field 'bytes' appears twice in the header (line 1)", raw: FLOW_V3[1]! }],
    });
  });

  test('lines with too many or too few fields', async () => {
    const [header, a, b, c, d] = FLOW_V3;
    const extra = a!.replace(' 43416 ', ' 43416 43417 ');
    const missing = c!.split(' ').slice(0, -1).join(' ');
    await runCase({
      name: 'flows.log',
      content: lines([header!, extra, b!, missing, d!]),
      type: 'vpcflow',
      stored: 2,
      quarantined: [
        { location: 'line 2', reason: 'expected 21 fields, found 22', raw: extra },
        { location: 'line 4', reason: 'expected 21 fields, found 20', raw: missing },
      ],
    });
  });

  test('header-less lines matching no default format', async () => {
    const v2 = readFileSync(dataset('aws_docs_format_examples/vpcflow/v2_default_format.log'), 'utf8').split('\n').filter(Boolean);
    const odd = v2.map((l) => `${l} extra`); // 15 fields
    const reason = "no header line, and the first line's 15 fields match no default flow-log format (v2–v8 or transit gateway); add the header line your flow log's LogFormat names, or give that LogFormat with --flow-format";
    await runCase({
      name: 'flows.log',
      content: lines(odd.slice(0, 3)),
      type: 'vpcflow',
      stored: 0,
      quarantined: odd.slice(0, 3).map((raw, i) => ({ location: `line ${i + 1}`, reason, raw })),
    });
  });

  test('non-numeric ports, bytes and times; negative counts; ports out of range; addresses that are not addresses', async () => {
    const [header, a, b, c, d] = FLOW_V3;
    const namedPort = a!.replace(' 43416 ', ' http ');
    const textBytes = b!.replace(' 376 7 ', ' 376B 7 ');
    const negativePackets = c!.replace(' 100701 70 ', ' 100701 -70 ');
    const badStart = d!.replace(' 1566848875 ', ' 2019-08-26T19:47:55Z ');
    const hugePort = b!.replace(' 43416 ', ' 99999 ');
    const wordAddress = a!.replace(' 52.213.180.42 10.0.0.62 43416', ' notanip 10.0.0.62 43416');
    const badOctet = a!.replace(' 52.213.180.42 10.0.0.62 6 ', ' 52.213.180.42 10.0.0.620 6 ');
    const ipv6 = a!.replaceAll('52.213.180.42', '2001:db8::42').replace('IPv4', 'IPv6');
    await runCase({
      name: 'flows.log',
      content: lines([header!, namedPort, textBytes, negativePackets, badStart, hugePort, wordAddress, badOctet, a!, ipv6]),
      type: 'vpcflow',
      stored: 2,
      quarantined: [
        { location: 'line 2', reason: 'field srcport: not a port number (0–65535): http', raw: namedPort },
        { location: 'line 3', reason: 'field bytes: not a non-negative integer: 376B', raw: textBytes },
        { location: 'line 4', reason: 'field packets: not a non-negative integer: -70', raw: negativePackets },
        { location: 'line 5', reason: 'field start: not an epoch time: 2019-08-26T19:47:55Z', raw: badStart },
        { location: 'line 6', reason: 'field dstport: not a port number (0–65535): 99999', raw: hugePort },
        { location: 'line 7', reason: 'field srcaddr: not an IP address: notanip', raw: wordAddress },
        { location: 'line 8', reason: 'field pkt-dstaddr: not an IP address: 10.0.0.620', raw: badOctet },
      ],
    });
  });

  test(
    'a decimal or exponent where an integer belongs is quarantined, not rounded',
    async () => {
      const [header, a, b] = FLOW_V3;
      const decimalBytes = a!.replace(' 568 8 ', ' 56.8 8 ');
      const exponentPort = b!.replace(' 5001 ', ' 5e3 ');
      await runCase({
        name: 'flows.log',
        content: lines([header!, decimalBytes, exponentPort]),
        type: 'vpcflow',
        stored: 0,
        quarantined: [
          { location: 'line 2', reason: 'field bytes: not a non-negative integer: 56.8', raw: decimalBytes },
          { location: 'line 3', reason: 'field srcport: not a port number (0–65535): 5e3', raw: exponentPort },
        ],
      });
    },
  );

  test('values outside a field\'s allowed set: action, log-status, flow-direction', async () => {
    const [header, inbound, outbound] = FLOW_V5;
    const allow = inbound!.replace(' ACCEPT ', ' ALLOW ');
    const lower = outbound!.replace(' ACCEPT ', ' accept ');
    const status = inbound!.replace(/ OK$/, ' FAILED');
    const direction = outbound!.replace(' egress ', ' outbound ');
    await runCase({
      name: 'flows.log',
      content: lines([header!, allow, lower, status, direction, inbound!]),
      type: 'vpcflow',
      stored: 1,
      quarantined: [
        { location: 'line 2', reason: 'field action: expected one of ACCEPT, REJECT, found ALLOW', raw: allow },
        { location: 'line 3', reason: 'field action: expected one of ACCEPT, REJECT, found accept', raw: lower },
        { location: 'line 4', reason: 'field log-status: expected one of OK, NODATA, SKIPDATA, found FAILED', raw: status },
        { location: 'line 5', reason: 'field flow-direction: expected one of ingress, egress, found outbound', raw: direction },
      ],
    });
  });

  test('a line of nothing but dashes has no time: quarantined; a NODATA line with its times is stored', async () => {
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
    const dashes = '2 - - - - - - - - - - - - -';
    const noStart = '2 123456789012 eni-0a1b2c3d - - - - - - - - - - NODATA';
    const nodata = '2 123456789012 eni-0a1b2c3d - - - - - - - 1566848875 1566848935 - NODATA';
    await runCase({
      name: 'flows.log',
      content: lines([header, dashes, noStart, nodata]),
      type: 'vpcflow',
      stored: 1,
      quarantined: [
        { location: 'line 2', reason: 'fields start and end: both missing', raw: dashes },
        { location: 'line 3', reason: 'fields start and end: both missing', raw: noStart },
      ],
    });
  });
});

describe('bad Route 53 Resolver and GuardDuty records', () => {
  test('Route 53: missing query_timestamp, a timestamp that is not a time, a port that is not a number, no query_name', async () => {
    const edit = (i: number, change: (r: Json) => void) => edited(JSON.parse(ROUTE53_LINES[i]!) as Json, change);
    const noTime = edit(1, (r) => delete r.query_timestamp);
    const badTime = edit(2, (r) => (r.query_timestamp = 'Sat Dec 11 22:46:23 2021'));
    const badPort = edit(3, (r) => (r.srcport = 'fifty'));
    const noName = edit(4, (r) => delete r.query_name);
    const hugePort = edit(3, (r) => (r.srcport = '99999'));
    const wordAddress = edit(4, (r) => (r.srcaddr = 'notanip'));
    const content = lines([ROUTE53_LINES[0]!, noTime, badTime, badPort, noName, ROUTE53_LINES[5]!, hugePort, wordAddress]);
    await runCase({
      name: '123456789012_vpcdnsquerylogs_vpc-01e31a7c_20211211T2245Z_0f1e.log',
      content,
      type: 'route53',
      stored: 2,
      quarantined: [
        { location: 'line 2', reason: 'missing required field query_timestamp', raw: noTime },
        { location: 'line 3', reason: 'field query_timestamp: not a time: Sat Dec 11 22:46:23 2021', raw: badTime },
        { location: 'line 4', reason: 'field srcport: not a port number: fifty', raw: badPort },
        { location: 'line 5', reason: 'missing required field query_name', raw: noName },
        { location: 'line 7', reason: 'field srcport: not a port number: 99999', raw: hugePort },
        { location: 'line 8', reason: 'field srcaddr: not an IP address: notanip', raw: wordAddress },
      ],
    });
  });

  test('GuardDuty: a finding missing its id, one with a severity that is not a number', async () => {
    const edit = (i: number, change: (r: Json) => void) => edited(JSON.parse(GUARDDUTY_LINES[i]!) as Json, change);
    const noId = edit(1, (f) => delete f.id);
    const wordSeverity = edit(2, (f) => (f.severity = 'HIGH'));
    const noType = edit(3, (f) => delete f.type);
    const content = lines([GUARDDUTY_LINES[0]!, noId, wordSeverity, noType, GUARDDUTY_LINES[4]!]);
    await runCase({
      name: 'findings.jsonl',
      content,
      type: 'guardduty',
      stored: 2,
      quarantined: [
        { location: 'line 2', reason: 'missing required field id', raw: noId },
        { location: 'line 3', reason: 'field severity: not a number: HIGH', raw: wordSeverity },
        { location: 'line 4', reason: 'missing required field type', raw: noType },
      ],
    });
  });

  test('GuardDuty: a bad finding inside a {"Findings":[…]} document (AWS CLI get-findings output, PascalCase)', async () => {
    const pascal = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(pascal)
        : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), pascal(v)]))
          : value;
    const findings = GUARDDUTY_LINES.slice(0, 3).map((l) => pascal(JSON.parse(l)) as Json);
    assert.equal(findings[1]!.Type, 'Persistence:Kubernetes/SuccessfulAnonymousAccess');
    delete findings[1]!.Id;
    const text = JSON.stringify({ Findings: findings });
    const second = JSON.stringify(findings[1]);
    await runCase({
      name: 'get-findings.json',
      content: text,
      type: 'guardduty',
      stored: 2,
      quarantined: [{ location: 'line 1, record 2', reason: 'missing required field id', raw: second }],
    });
  });
});

describe('files that cannot be read, and a mistaken --type: never registered as read for good', () => {
  const FLOW_TEXT = lines(FLOW_V3);
  const flowRecords = FLOW_V3.length - 1;

  test('a broken link and a link cycle in a tree: the rest is stored, the broken link named and read once it is mended', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const tree = path.join(scratch.dir, 'logs');
      mkdirSync(path.join(tree, 'flows'), { recursive: true });
      writeFileSync(path.join(tree, 'flows', 'a.log'), FLOW_TEXT);
      writeFileSync(path.join(scratch.dir, 'elsewhere.log'), lines([FLOW_V3[0]!, ...longFlowLog(5)]));
      symlinkSync(path.join(scratch.dir, 'missing.log'), path.join(tree, 'b.log'));
      symlinkSync(tree, path.join(tree, 'flows', 'loop'));
      const summary = await lake.ingest([tree]);
      assert.deepEqual([summary.files, summary.stored, summary.quarantined], [1, flowRecords, 0]);
      assert.equal(summary.unreadable.length, 1);
      assert.match(summary.unreadable[0]!, /b\.log: ENOENT/);
      assert.deepEqual((await lake.rows('SELECT uri FROM ingested_files')).map((r) => path.basename(String(r.uri))), ['a.log']);

      // Mended: the link now leads to a file, which the same command reads.
      rmSync(path.join(tree, 'b.log'));
      symlinkSync(path.join(scratch.dir, 'elsewhere.log'), path.join(tree, 'b.log'));
      const mended = await lake.ingest([tree]);
      assert.deepEqual([mended.files, mended.filesUnchanged, mended.stored, mended.unreadable], [1, 1, 5, []]);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });

  test('a flow log forced as CloudTrail, then read as what it is: its records stored and the mistaken quarantine dropped', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const file = path.join(scratch.dir, 'flows.log');
      writeFileSync(file, FLOW_TEXT);
      const mistaken = await lake.ingest([file], { forceType: 'cloudtrail' });
      // Read as CloudTrail, the header line is a record too.
      assert.deepEqual([mistaken.stored, mistaken.quarantined], [0, FLOW_V3.length]);
      // Without --type, or forced as the same type again, the file is known and passed over.
      assert.equal((await lake.ingest([file])).filesUnchanged, 1);
      assert.equal((await lake.ingest([file], { forceType: 'cloudtrail' })).filesUnchanged, 1);

      const corrected = await lake.ingest([file], { forceType: 'vpcflow' });
      assert.deepEqual([corrected.files, corrected.stored, corrected.quarantined], [1, flowRecords, 0]);
      assert.equal(await lake.count('SELECT count(*) FROM quarantine'), 0);
      assert.equal(await lake.count('SELECT count(*) FROM network_activity'), flowRecords);
      const [row] = await lake.rows('SELECT status, source_type FROM ingested_files');
      assert.deepEqual([row!.status, row!.source_type], ['complete', 'vpcflow']);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });
});

describe('issue 2 audit: per-record envelopes, eventTime spellings, header lines among flow records', () => {
  test('CloudTrail eventTime: lower-case t and z stored at their time; text that is no time quarantined naming the field', async () => {
    const records = stratusRecords('aws.credential-access.ssm-retrieve-securestring-parameters');
    const at = (i: number, eventTime: string) => edited(records[i]!, (r) => (r.eventTime = eventTime));
    const lowerZ = at(0, '2024-05-01T10:00:00z');
    const lowerT = at(1, '2024-05-01t10:00:01Z');
    const minute24 = at(2, '2024-05-01T10:24:00Z');
    const notTime = at(3, 'yesterday');
    await runCase({
      name: 'trail.jsonl',
      content: lines([lowerZ, lowerT, minute24, notTime]),
      type: 'cloudtrail',
      stored: 3,
      quarantined: [{ location: 'line 4', reason: 'field eventTime: not an ISO-8601 time: yesterday', raw: notTime }],
      check: async (lake) => {
        const times = await lake.rows('SELECT time FROM api_activity ORDER BY source_line');
        assert.deepEqual(times.map((r) => (r.time as Date).toISOString()), ['2024-05-01T10:00:00.000Z', '2024-05-01T10:00:01.000Z', '2024-05-01T10:24:00.000Z']);
      },
    });
  });

  test('bare and EventBridge-wrapped events in one file: both stored; a bad one of either shape gets its true reason', async () => {
    const records = stratusRecords('aws.credential-access.ssm-retrieve-securestring-parameters');
    const wrap = (record: string) => JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ssm', time: '2024-05-01T10:00:00Z', region: 'us-east-1', resources: [], detail: JSON.parse(record) });
    const edit = (i: number, change: (r: Json) => void) => edited(records[i]!, change);
    const wrappedNoTime = wrap(edit(2, (r) => delete r.eventTime));
    const wrappedArrayRegion = wrap(edit(3, (r) => (r.awsRegion = ['eu-west-1'])));
    // Valid JSON (JSON.parse reads it) that is not Unicode text: the lake's parser refuses it.
    const loneSurrogate = edit(4, (r) => (r.userAgent = 'agent \ud800'));
    assert.match(loneSurrogate, /\\ud800/);
    const escapedPair = edit(5, (r) => (r.userAgent = 'SMILE')).replace('SMILE', '\\ud83d\\ude00');
    await runCase({
      name: 'mixed.jsonl',
      content: lines([JSON.stringify(records[0]), wrap(JSON.stringify(records[1])), wrappedNoTime, wrappedArrayRegion, loneSurrogate, escapedPair]),
      type: 'cloudtrail',
      stored: 3,
      quarantined: [
        { location: 'line 3', reason: 'missing required field eventTime', raw: wrappedNoTime },
        { location: 'line 4', reason: 'field awsRegion: expected a string, found an array', raw: wrappedArrayRegion },
        { location: 'line 5', reason: 'field userAgent: an unpaired UTF-16 surrogate escape, not Unicode text', raw: loneSurrogate },
      ],
      check: async (lake) => {
        const stored = await lake.rows('SELECT metadata_uid, http_request_user_agent AS agent FROM api_activity ORDER BY source_line');
        assert.deepEqual(stored.map((r) => r.metadata_uid), [records[0]!.eventID, records[1]!.eventID, records[5]!.eventID]);
        assert.equal(stored[2]!.agent, '\u{1F600}');
      },
    });
  });

  test('a header line among flow records: one naming other fields, or the same fields spaced otherwise, is quarantined as such', async () => {
    const [header, a, b, c] = FLOW_V3;
    const otherHeader = header!.split(' ').slice(0, -1).join(' ');
    const respaced = header!.replaceAll(' ', '  ');
    await runCase({
      name: 'joined.log',
      content: lines([header!, a!, otherHeader, b!, respaced, c!]),
      type: 'vpcflow',
      stored: 3,
      quarantined: [
        { location: 'line 3', reason: 'a second header line with other fields', raw: otherHeader },
        { location: 'line 5', reason: 'the header line again (two logs joined end to end?)', raw: respaced },
      ],
    });
  });

  test('an upper-case flow header is read like a lower-case one', async () => {
    const [header, a, b] = FLOW_V3;
    await runCase({ name: 'upper.log', content: lines([header!.toUpperCase(), a!, b!]), type: 'vpcflow', stored: 2, quarantined: [] });
  });

  test('the same header line again (two logs joined with cat) is passed over, not counted as read', async () => {
    const [header, a, b, c] = FLOW_V3;
    await runCase({ name: 'joined.log', content: [header, a, b, header, c].join('\r\n') + '\r\n', type: 'vpcflow', stored: 3, quarantined: [] });
  });
});

describe('a bad first line, or a first record longer than the detection window: the file is read, not skipped', () => {
  const good = OTRF_LINES.slice(0, 5);
  const cutOff = OTRF_LINES[5]!.slice(0, 120);
  const firstLines: [string, string, string | RegExp][] = [
    ['cut off (a partial write)', cutOff, `malformed JSON: ${parseError(cutOff)}`],
    ['an empty object', '{}', /^missing required field /],
    ["an export's metadata line", JSON.stringify({ exportedAt: '2024-05-04T12:00:00Z', count: 5 }), /^missing required field /],
  ];
  for (const [kind, first, reason] of firstLines) {
    test(`CloudTrail JSON lines whose first line is ${kind}: that line quarantined at line 1, the rest stored`, () =>
      runCase({ name: 'export.jsonl', content: lines([first, ...good]), type: 'cloudtrail', stored: good.length, quarantined: [{ location: 'line 1', reason, raw: first }] }));
  }

  test('Route 53 JSON lines whose first line is cut off', () => {
    const cut = ROUTE53_LINES[0]!.slice(0, 40);
    return runCase({
      name: 'resolver.log',
      content: lines([cut, ...ROUTE53_LINES]),
      type: 'route53',
      stored: ROUTE53_LINES.length,
      quarantined: [{ location: 'line 1', reason: `malformed JSON: ${parseError(cut)}`, raw: cut }],
    });
  });

  test('with --type the lines are framed as lines too (not one record running to the end); --strict exits 3', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const file = path.join(scratch.dir, 'export.jsonl');
      writeFileSync(file, lines([cutOff, ...good]));
      const summary = await lake.ingest([file], { forceType: 'cloudtrail' });
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [good.length + 1, good.length, 1]);
      assert.deepEqual(await lake.rows('SELECT location, raw FROM quarantine'), [{ location: 'line 1', raw: cutOff }]);
      const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ingest', file, '--db', path.join(scratch.dir, 'cli.duckdb'), '--strict'], {
        cwd: path.resolve(import.meta.dirname, '..'),
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      assert.equal(cli.status, 3, cli.stderr);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });

  const withTemplate = (record: Json) => edited(record, (r) => { r.requestParameters = { templateBody: 'x'.repeat(300_000) }; });

  test('a 300 KB first line (a CreateStack with its template) in JSON lines', () => {
    const big = withTemplate(JSON.parse(OTRF_LINES[0]!));
    return runCase({ name: 'stacks.jsonl', content: lines([big, ...OTRF_LINES.slice(1, 10)]), type: 'cloudtrail', stored: 10, quarantined: [] });
  });

  test('a gzipped minified {"Records":[…]} file outside the AWSLogs layout whose first record is 300 KB', () => {
    const [first, ...rest] = stratusRecords('aws.persistence.iam-create-admin-user');
    const doc = `{"Records":[${[withTemplate(first!), ...rest.map((r) => JSON.stringify(r))].join(',')}]}`;
    return runCase({ name: 'trail.json.gz', content: gzipSync(doc), type: 'cloudtrail', stored: rest.length + 1, quarantined: [] });
  });

  test('a first record longer than detection reads is classified from the keys its start names', () => {
    const start = `{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","requestParameters":{"policy":"${'x'.repeat(1000)}`;
    assert.equal(detectFormat('/x/huge.jsonl', start, undefined, 'open'), undefined);
    assert.deepEqual(detectFormat('/x/huge.jsonl', start, undefined, 'limit'), { sourceType: 'cloudtrail', framing: 'lines' });
    assert.deepEqual(detectFormat('/x/huge.json', `{"Records":[${start}`, undefined, 'limit'), { sourceType: 'cloudtrail', framing: 'document' });
    assert.deepEqual(detectFormat('/x/bridge.jsonl', `{"version":"0","detail":${start}`, undefined, 'limit'), { sourceType: 'cloudtrail', framing: 'lines' });
    const resolver = `{"version":"1.100000","query_name":"a.example.","answers":[${'{"Rdata":"192.0.2.1"},'.repeat(50)}`;
    assert.deepEqual(detectFormat('/x/huge.log', resolver, undefined, 'limit'), { sourceType: 'route53', framing: 'lines' });
  });
});
