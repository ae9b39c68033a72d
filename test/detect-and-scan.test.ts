// Unit tests for the pieces that decide what a file is and where its records are, before the lake sees it:
// the JSON document scanner, format detection (paths, first bytes) and the flow-log field catalogue.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { classifyRecord, detectFormat, typeFromPath } from '../src/normalize/detect.js';
import { type JsonSpan, scanJsonDocument } from '../src/normalize/json-scan.js';
import { defaultFieldsFor, looksLikeHeader, parseHeader, TGW_FIELDS, VPC_FIELDS } from '../src/normalize/vpcflow-fields.js';
import { dataset } from './helpers/lake.js';

/** The spans of a document, each with the text it covers. */
function scan(text: string): (JsonSpan & { text: string })[] {
  const bytes = Buffer.from(text);
  return [...scanJsonDocument(bytes)].map((span) => ({ ...span, text: bytes.toString('utf8', span.start, span.end) }));
}

/** Line (1-based) of a character offset. */
function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

const ACCOUNT = '123456789012';
const STRATUS_CONSOLE_LOGIN = dataset('stratus_detonation_logs/logs/aws.initial-access.console-login-without-mfa.json');
const STRATUS_USER_DATA = dataset('stratus_detonation_logs/logs/aws.execution.ec2-user-data.json');

describe('scanJsonDocument', () => {
  test('a top-level array yields one span per element, each the exact element text', () => {
    const text = '[{"eventName":"A","n":1},{"eventName":"B","list":[1,2,{"x":[]}]}]';
    const spans = scan(text);
    assert.deepEqual(
      spans.map((s) => s.text),
      ['{"eventName":"A","n":1}', '{"eventName":"B","list":[1,2,{"x":[]}]}'],
    );
    assert.ok(spans.every((s) => s.line === 1 && !s.broken && !s.empty));
  });

  test('a CloudTrail {"Records":[…]} wrapper yields its records, not the wrapper', () => {
    const records = [
      { eventVersion: '1.08', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', requestParameters: { userName: 'bob' } },
      { eventVersion: '1.08', eventSource: 's3.amazonaws.com', eventName: 'GetObject', resources: [{ ARN: 'arn:aws:s3:::b/k' }] },
    ];
    const text = JSON.stringify({ Records: records });
    const spans = scan(text);
    assert.equal(spans.length, 2);
    assert.deepEqual(spans.map((s) => JSON.parse(s.text)), records);
    assert.equal(text.slice(spans[0]!.start, spans[0]!.start + 12), '{"eventVersi');
  });

  test('the wrapper key may follow other keys, and Findings/findings wrap GuardDuty findings', () => {
    const spans = scan('{"NextToken":"abc]","Findings":[{"Id":"f1"},{"Id":"f2"}],"Extra":{"Records":[9]}}');
    assert.deepEqual(spans.map((s) => s.text), ['{"Id":"f1"}', '{"Id":"f2"}']);
    assert.deepEqual(scan('{"findings":[{"id":"g1"}]}').map((s) => s.text), ['{"id":"g1"}']);
  });

  test('{"findings":[]} is one empty span, not a record', () => {
    const spans = scan('{"findings":[]}');
    assert.equal(spans.length, 1);
    assert.equal(spans[0]!.empty, true);
    assert.equal(spans[0]!.broken, undefined);
    assert.equal(spans[0]!.text, '{"findings":[]}');
  });

  test('an object that is not a wrapper is one record, even with a Records key nested deeper', () => {
    const text = '{"detail":{"Records":[1,2]},"eventName":"X"}';
    assert.deepEqual(scan(text).map((s) => [s.text, !!s.broken, !!s.empty]), [[text, false, false]]);
  });

  test('strings holding brackets, braces, commas, escaped quotes and backslashes do not end a record', () => {
    const a = { msg: 'a ] } [ { , "quoted" ]', path: 'C:\\temp\\', key: '{"Records":[' };
    const b = { eventName: 'B', tricky: '\\"}]' };
    const text = JSON.stringify([a, b]);
    const spans = scan(text);
    assert.equal(spans.length, 2);
    assert.deepEqual(JSON.parse(spans[0]!.text), a);
    assert.deepEqual(JSON.parse(spans[1]!.text), b);
  });

  test('scalar elements end at the comma or bracket after them, which stay outside the span', () => {
    // A scalar last in its array must not swallow the array's closing bracket (nor the next document).
    assert.deepEqual(scan('[1, true, null]').map((s) => s.text), ['1', 'true', 'null']);
    assert.deepEqual(scan('[1]\n[{"a":2}]').map((s) => [s.text, s.line]), [['1', 1], ['{"a":2}', 2]]);
    assert.deepEqual(scan('[\n  10,\n  -2.5e3\n]').map((s) => [s.text, s.line]), [['10', 2], ['-2.5e3', 3]]);
  });

  test('a single object whose last value is a number, boolean or null is whole, not truncated', () => {
    for (const text of ['{"eventName":"X","managementEvent":true}', '{\n  "a": 1,\n  "readOnly": false\n}\n', '{"x":null}']) {
      const spans = scan(text);
      assert.equal(spans.length, 1, text);
      assert.equal(spans[0]!.broken, undefined, text);
      assert.equal(spans[0]!.text, text.trim(), text);
    }
  });

  test('concatenated documents (one object per line, or several arrays) each give their records with their line', () => {
    const text = '{"eventName":"A"}\n{"eventName":"B","n":7}\n\n[{"eventName":"C"}]\n{"Records":[{"eventName":"D"}]}';
    assert.deepEqual(scan(text).map((s) => [JSON.parse(s.text).eventName, s.line]), [['A', 1], ['B', 2], ['C', 4], ['D', 5]]);
  });

  test('pretty-printed documents: each span starts on the line where its element starts', () => {
    const text = readFileSync(STRATUS_USER_DATA, 'utf8');
    const records = JSON.parse(text) as unknown[];
    const spans = scan(text);
    assert.equal(spans.length, records.length);
    assert.equal(spans.length, 35);
    spans.forEach((span, i) => {
      assert.deepEqual(JSON.parse(span.text), records[i]);
      assert.equal(span.line, lineAt(text, span.start), `element ${i}`);
      assert.equal(text[span.start], '{');
      assert.equal(text[span.end - 1], '}');
    });
    // The file's first element opens on line 2, right after the array's '['.
    assert.equal(spans[0]!.line, 2);
    // The single-record file: '[' then the record from line 2 to its closing brace.
    const single = readFileSync(STRATUS_CONSOLE_LOGIN, 'utf8');
    const [only] = scan(single);
    assert.equal(only!.line, 2);
    assert.equal(lineAt(single, only!.end), single.trimEnd().split('\n').length - 1);
  });

  test('pretty-printed wrapper with CRLF line ends counts lines the same way', () => {
    const text = JSON.stringify({ Records: [{ a: 1 }, { b: { c: [1, 2] } }] }, null, 2).replaceAll('\n', '\r\n');
    const spans = scan(text);
    assert.deepEqual(spans.map((s) => s.line), [3, 6]);
    assert.deepEqual(spans.map((s) => JSON.parse(s.text)), [{ a: 1 }, { b: { c: [1, 2] } }]);
  });

  test('a document cut inside an array element: whole elements, then one broken span to the end', () => {
    const whole = JSON.stringify([{ eventName: 'A' }, { eventName: 'B', x: '[{' }, { eventName: 'C' }]);
    const cut = whole.slice(0, whole.indexOf('"C"') + 2);
    const spans = scan(cut);
    assert.deepEqual(spans.map((s) => s.text), ['{"eventName":"A"}', '{"eventName":"B","x":"[{"}', '{"eventName":"C']);
    assert.equal(spans[2]!.broken, 'truncated JSON document: the file ends inside this record');
    assert.equal(spans[2]!.end, cut.length);
    assert.equal(spans[0]!.broken, undefined);
  });

  test('a Records document cut inside a record, inside a string, and after a record', () => {
    const records = [{ eventName: 'A', eventSource: 'x' }, { eventName: 'B', eventSource: 'y' }];
    const whole = JSON.stringify({ Records: records });
    const insideRecord = whole.slice(0, whole.indexOf('"B"') - 1);
    let spans = scan(insideRecord);
    assert.equal(spans.length, 2);
    assert.deepEqual(JSON.parse(spans[0]!.text), records[0]);
    assert.equal(spans[1]!.broken, 'truncated JSON document: the file ends inside this record');
    assert.equal(spans[1]!.text, '{"eventName"');

    const insideString = whole.slice(0, whole.indexOf('"B"') + 2);
    spans = scan(insideString);
    assert.equal(spans.length, 2);
    assert.equal(spans[1]!.text, '{"eventName":"B');
    assert.ok(spans[1]!.broken);

    // Both records whole, the closing "]}" missing: the records stand, the damage is still reported.
    const afterRecords = whole.slice(0, whole.length - 2);
    spans = scan(afterRecords);
    assert.deepEqual(spans.filter((s) => !s.broken).map((s) => JSON.parse(s.text)), records);
    const broken = spans.filter((s) => s.broken);
    assert.equal(broken.length, 1);
    assert.equal(broken[0]!.broken, 'truncated JSON document: the file ends before its closing brace');
  });

  test('a single object cut short is one broken span holding all of it', () => {
    const cut = '{\n  "eventName": "ConsoleLogin",\n  "userIdentity": {\n    "type": "Root"';
    const spans = scan(cut);
    assert.equal(spans.length, 1);
    assert.equal(spans[0]!.text, cut);
    assert.equal(spans[0]!.line, 1);
    assert.equal(spans[0]!.broken, 'truncated JSON document: the file ends inside this record');
  });

  test('text that is not JSON is handed on as one broken span; a BOM and blank text are not records', () => {
    assert.deepEqual(scan('version account-id\n2 1'), [
      { start: 0, end: 22, line: 1, broken: 'not a JSON value', text: 'version account-id\n2 1' },
    ]);
    assert.deepEqual(scan('[{"a":1}]\ngarbage').map((s) => [s.text, s.line, s.broken]), [
      ['{"a":1}', 1, undefined],
      ['garbage', 2, 'not a JSON value'],
    ]);
    assert.deepEqual(scan('\uFEFF[{"a":1}]').map((s) => s.text), ['{"a":1}']);
    assert.deepEqual(scan('  \n\t '), []);
    assert.deepEqual(scan('[]'), []);
  });

  test('malformed text never hangs the scanner', () => {
    for (const text of ['{"a":]}', '[}]', '{,,:}', '{"a" "b"}', '[,,]', '{"Records":[,]}', '{"a":1}}']) {
      const spans = scan(text); // would loop forever if the scanner stopped making progress
      assert.ok(spans.length <= text.length, text);
    }
  });
});

describe('typeFromPath', () => {
  test('the S3 key layouts AWS delivers to', () => {
    const cases: [string, ReturnType<typeof typeFromPath>][] = [
      [`s3://logs/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail_us-east-1_20240731T1305Z_abc.json.gz`, 'cloudtrail'],
      [`s3://logs/AWSLogs/o-a1b2c3d4e5/${ACCOUNT}/CloudTrail/eu-west-1/2024/07/31/${ACCOUNT}_CloudTrail_eu-west-1_20240731T1305Z_abc.json.gz`, 'cloudtrail'],
      [`s3://logs/AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Insight_us-east-1_20240731T1305Z_abc.json.gz`, 'cloudtrail'],
      [`s3://logs/AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240731T130500Z.json.gz`, 'digest'],
      [`/archive/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240731T130500Z.json.gz`, 'digest'],
      [`s3://logs/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2024/07/31/${ACCOUNT}_vpcflowlogs_us-east-1_fl-0abc_20240731T1305Z_0f1e.log.gz`, 'vpcflow'],
      [`s3://logs/AWSLogs/${ACCOUNT}/vpcdnsquerylogs/vpc-0abc/2024/07/31/${ACCOUNT}_vpcdnsquerylogs_vpc-0abc_20240731T1305Z_0f1e.log.gz`, 'route53'],
      [`s3://findings/AWSLogs/${ACCOUNT}/GuardDuty/us-east-1/2024/07/31/4d2f0a1e-1111-2222-3333-444455556666.jsonl.gz`, 'guardduty'],
      ['/work/shared/datasets/elastic_integration_fixtures/vpcflow/test-v5-all-fields.log', undefined],
      ['/tmp/CloudTrailExport.json', undefined],
    ];
    for (const [uri, expected] of cases) assert.equal(typeFromPath(uri), expected, uri);
  });
});

describe('classifyRecord', () => {
  const cloudTrail = { eventVersion: '1.08', eventTime: '2024-07-31T13:05:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' };
  const finding = { schemaVersion: '2.0', id: 'f1', type: 'Recon:EC2/PortProbeUnprotectedPort', severity: 2 };

  test('bare records of each source type', () => {
    assert.equal(classifyRecord(cloudTrail), 'cloudtrail');
    // Logstash-flattened CloudTrail (OTRF) carries @timestamp and no eventTime.
    assert.equal(classifyRecord({ eventName: 'GetObject', '@timestamp': '2020-09-14T00:44:23.000Z', userIdentity: {} }), 'cloudtrail');
    assert.equal(classifyRecord({ eventSource: 'signin.amazonaws.com' }), 'cloudtrail');
    assert.equal(classifyRecord({ query_name: 'example.com.', query_timestamp: '2021-12-11T22:46:23Z' }), 'route53');
    assert.equal(classifyRecord(finding), 'guardduty');
    assert.equal(classifyRecord({ SchemaVersion: '2.0', Id: 'f1', Type: 'Backdoor:EC2/C&CActivity.B' }), 'guardduty');
    assert.equal(classifyRecord({ findings: [] }), 'guardduty');
    assert.equal(classifyRecord({ digestStartTime: '2024-07-31T12:05:00Z', digestEndTime: '2024-07-31T13:05:00Z' }), 'digest');
  });

  test('wrappers: EventBridge detail (CloudTrail and GuardDuty) and a labelled dataset event', () => {
    const ctEvent = { version: '0', id: 'e1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: cloudTrail };
    assert.equal(classifyRecord(ctEvent), 'cloudtrail');
    const gdEvent = { version: '0', id: 'e2', 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: finding };
    assert.equal(classifyRecord(gdEvent), 'guardduty');
    const labelled = { label: { technique_id: 'aws.persistence.iam-create-admin-user', malicious: true }, event: cloudTrail };
    assert.equal(classifyRecord(labelled), 'cloudtrail');
  });

  test('what is not an event record', () => {
    for (const value of [null, 'text', 42, [cloudTrail], {}, { rule_id: 'x', log: cloudTrail }]) {
      assert.equal(classifyRecord(value), undefined, JSON.stringify(value));
    }
    // A label file keyed by eventID/eventName (OTRF labels.jsonl.gz) is not CloudTrail.
    assert.equal(classifyRecord({ eventID: 'fd4f1042', eventName: 'DescribeInstanceTypes', malicious: false, label: 'benign' }), undefined);
    // ASFF (Security Hub) findings are not GuardDuty findings.
    assert.equal(classifyRecord({ SchemaVersion: '2018-10-08', Id: 'arn:aws:securityhub:…', ProductArn: 'arn' }), undefined);
  });
});

describe('detectFormat', () => {
  const ctRecord = JSON.stringify({ eventVersion: '1.08', eventTime: '2024-07-31T13:05:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' });

  test('CloudTrail: Records document, JSON lines, pretty-printed array', () => {
    assert.deepEqual(detectFormat('/x/trail.json', `{"Records":[${ctRecord},${ctRecord}]}`), { sourceType: 'cloudtrail', framing: 'document'});
    assert.deepEqual(detectFormat('/x/trail.jsonl', `${ctRecord}\n${ctRecord}\n`), { sourceType: 'cloudtrail', framing: 'lines'});
    assert.deepEqual(detectFormat(STRATUS_USER_DATA, readFileSync(STRATUS_USER_DATA, 'utf8')), { sourceType: 'cloudtrail', framing: 'document'});
  });

  test('a Records document larger than the sniffed head is still a CloudTrail document', () => {
    const head = `{"Records":[${ctRecord},{"eventVersion":"1.08","eventSou`;
    assert.deepEqual(detectFormat('/x/big.json', head), { sourceType: 'cloudtrail', framing: 'document'});
  });

  test('EventBridge envelopes and the labelled Stratus dataset are read as lines of their source', () => {
    const bridge = JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: JSON.parse(ctRecord) });
    assert.deepEqual(detectFormat('/x/events.jsonl', `${bridge}\n`), { sourceType: 'cloudtrail', framing: 'lines' });
    const gd = JSON.stringify({ version: '0', 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: { schemaVersion: '2.0', id: 'f', type: 't' } });
    assert.deepEqual(detectFormat('/x/gd.jsonl', `${gd}\n`), { sourceType: 'guardduty', framing: 'lines' });
    const labelled = gunzipSync(readFileSync(dataset('stratus_detonation_logs/all_events_labelled.jsonl.gz'))).toString('utf8');
    assert.deepEqual(detectFormat('/x/all_events_labelled.jsonl', labelled.slice(0, 65536)), { sourceType: 'cloudtrail', framing: 'lines' });
  });

  test('Route 53 and GuardDuty real files', () => {
    const r53 = readFileSync(dataset('elastic_integration_fixtures/route53_resolver/test-route53.log'), 'utf8');
    assert.deepEqual(detectFormat('/x/test-route53.log', r53), { sourceType: 'route53', framing: 'lines'});
    const example = readFileSync(dataset('aws_docs_format_examples/route53_resolver/example_01.json'), 'utf8');
    assert.deepEqual(detectFormat('/x/example_01.json', example), { sourceType: 'route53', framing: 'lines'});
    const gd = readFileSync(dataset('elastic_integration_fixtures/guardduty/test-guardduty.log'), 'utf8');
    assert.deepEqual(detectFormat('/x/test-guardduty.log', gd), { sourceType: 'guardduty', framing: 'lines'});
    assert.deepEqual(detectFormat('/x/findings.json', '{"findings":[]}'), { sourceType: 'guardduty', framing: 'document'});
    assert.deepEqual(detectFormat('/x/findings.json', '{"Findings":[{"SchemaVersion":"2.0","Id":"a","Type":"b"}]}'), {
      sourceType: 'guardduty', framing: 'document',
    });
  });

  test('flow logs: with a header, and header-less default formats', () => {
    for (const name of ['custom_format_01.log', 'custom_format_07.log', 'v2_default_format.log']) {
      const text = readFileSync(dataset('aws_docs_format_examples/vpcflow', name), 'utf8');
      assert.deepEqual(detectFormat(`/x/${name}`, text), { sourceType: 'vpcflow', framing: 'lines' }, name);
    }
    const tgw = readFileSync(dataset('elastic_integration_fixtures/vpcflow/test-tgw-samples.log'), 'utf8');
    assert.deepEqual(detectFormat('/x/tgw.log', tgw), { sourceType: 'vpcflow', framing: 'lines' });
  });

  test('CloudTrail digest files are skipped, by path or by content, unless a type is forced', () => {
    const digestKey = `s3://logs/AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240731T130500Z.json.gz`;
    const digest = JSON.stringify({ awsAccountId: ACCOUNT, digestStartTime: '2024-07-31T12:05:00Z', digestEndTime: '2024-07-31T13:05:00Z', logFiles: [] });
    const skip = { skip: 'CloudTrail digest file (integrity hashes, no events)' };
    assert.deepEqual(detectFormat(digestKey, digest), skip);
    assert.deepEqual(detectFormat(digestKey, `{"Records":[${ctRecord}]}`), skip);
    assert.deepEqual(detectFormat('/x/unnamed.json', digest), skip);
    assert.deepEqual(detectFormat(digestKey, `{"Records":[${ctRecord}]}`, 'cloudtrail'), { sourceType: 'cloudtrail', framing: 'document'});
  });

  test('files that are not logs are skipped with a reason; --type forces a format', () => {
    assert.deepEqual(detectFormat('/x/README.md', '# Test datasets\n\nEvery folder has a SOURCE.md'), { skip: 'not a recognised log format (use --type to force)' });
    assert.deepEqual(detectFormat('/x/meta.yaml', 'title: AWS cloud breach\nid: SDAWS-200914011940\n'), { skip: 'not a recognised log format (use --type to force)' });
    const asff = readFileSync(dataset('aws_docs_format_examples/securityhub_asff/sample-control-findings_01.json'), 'utf8');
    const notOurs = { skip: 'JSON that is not CloudTrail, Route 53 Resolver or GuardDuty (use --type to force)' };
    // Security Hub's findings are named, not lumped with other JSON: they are findings, but not in GuardDuty's format.
    assert.deepEqual(detectFormat('/x/asff.json', asff), { skip: 'Security Hub ASFF findings, not GuardDuty finding JSON: import findings as GuardDuty writes them' });
    const labels = gunzipSync(readFileSync(dataset('otrf_aws_cloud_breach_s3/labels.jsonl.gz'))).toString('utf8');
    assert.deepEqual(detectFormat('/x/labels.jsonl', labels), notOurs);
    assert.deepEqual(detectFormat('/x/README.md', '# notes', 'vpcflow'), { sourceType: 'vpcflow', framing: 'lines' });
    assert.deepEqual(detectFormat('/x/asff.json', asff, 'guardduty'), { sourceType: 'guardduty', framing: 'document'});
  });

  test('the S3 key layout decides when the content cannot', () => {
    const flowKey = `s3://logs/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2024/07/31/${ACCOUNT}_vpcflowlogs_us-east-1_fl-0abc_20240731T1305Z_0f1e.log.gz`;
    assert.deepEqual(detectFormat(flowKey, 'garbage first line\n'), { sourceType: 'vpcflow', framing: 'lines' });
    const trailKey = `s3://logs/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail_us-east-1_20240731T1305Z_abc.json.gz`;
    assert.deepEqual(detectFormat(trailKey, '{"Records":[]}'), { sourceType: 'cloudtrail', framing: 'document'});
  });

  test('a UTF-8 byte-order mark and leading blank lines do not hide the format', () => {
    assert.deepEqual(detectFormat('/x/t.json', `\uFEFF\n\n{"Records":[${ctRecord}]}`), { sourceType: 'cloudtrail', framing: 'document'});
  });
});

describe('flow-log fields', () => {
  test('parseHeader accepts every documented header, whatever the spacing', () => {
    for (const name of ['custom_format_01.log', 'custom_format_04.log', 'custom_format_07.log']) {
      const header = readFileSync(dataset('aws_docs_format_examples/vpcflow', name), 'utf8').split('\n')[0]!;
      const parsed = parseHeader(header);
      assert.equal(parsed.error, undefined, name);
      assert.deepEqual(parsed.fields, header.trim().split(' '));
    }
    assert.deepEqual(parseHeader('  version\tsrcaddr  dstaddr action\r'), { fields: ['version', 'srcaddr', 'dstaddr', 'action'] });
  });

  test('parseHeader names unknown fields and suggests the nearest known one', () => {
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstprt protocol packets bytes start end action log-status';
    const parsed = parseHeader(header);
    assert.equal(parsed.fields[6], 'dstprt');
    assert.equal(parsed.error, "unknown flow-log field 'dstprt' (did you mean 'dstport'?) in the header (line 1)");
    assert.equal(
      parseHeader('version srcadr flow-direction totally-unrelated').error,
      "unknown flow-log field 'srcadr' (did you mean 'srcaddr'?), 'totally-unrelated' in the header (line 1)",
    );
    assert.equal(parseHeader('version pkt-src-aws-servce').error, "unknown flow-log field 'pkt-src-aws-servce' (did you mean 'pkt-src-aws-service'?) in the header (line 1)");
  });

  test('parseHeader rejects a field named twice', () => {
    assert.equal(parseHeader('version srcaddr dstaddr srcaddr').error, "flow-log field 'srcaddr' appears twice in the header (line 1)");
  });

  test('looksLikeHeader tells header lines from data lines', () => {
    assert.equal(looksLikeHeader('version account-id interface-id srcaddr'), true);
    assert.equal(looksLikeHeader('version dstprt'), true); // misspelt but still a header (then reported by parseHeader)
    assert.equal(looksLikeHeader('2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK'), false);
    assert.equal(looksLikeHeader('hello world'), false);
    assert.equal(looksLikeHeader('version'), false);
    // Names in any case: some exports upper-case the header.
    assert.equal(looksLikeHeader('VERSION ACCOUNT-ID'), true);
    assert.equal(looksLikeHeader('Hello World'), false);
  });

  test('defaultFieldsFor maps each default line length to its version', () => {
    const tokens = (n: number, fourth = 'x') => Array.from({ length: n }, (_, i) => (i === 3 ? fourth : '-'));
    const v2 = defaultFieldsFor(tokens(14))!;
    assert.deepEqual(v2, ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status']);
    assert.equal(defaultFieldsFor(tokens(21))!.at(-1), 'pkt-dstaddr');
    assert.equal(defaultFieldsFor(tokens(25))!.at(-1), 'sublocation-id');
    const v5 = defaultFieldsFor(tokens(29))!;
    assert.deepEqual(v5.slice(-4), ['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path']);
    assert.equal(defaultFieldsFor(tokens(39))!.at(-1), 'ecs-task-id');
    assert.deepEqual(defaultFieldsFor(tokens(40)), VPC_FIELDS.map((f) => f.name));
    assert.equal(defaultFieldsFor(tokens(15)), undefined);
    assert.equal(defaultFieldsFor(tokens(1)), undefined);
  });

  test('defaultFieldsFor recognises the transit-gateway order by its tgw- id, not by length alone', () => {
    const tgwLine = readFileSync(dataset('elastic_integration_fixtures/vpcflow/test-tgw-samples.log'), 'utf8').split('\n')[0]!;
    const tokens = tgwLine.trim().split(/\s+/);
    assert.equal(tokens.length, TGW_FIELDS.length);
    const fields = defaultFieldsFor(tokens)!;
    assert.deepEqual(fields, TGW_FIELDS.map((f) => f.name));
    assert.equal(fields[3], 'tgw-id');
    assert.equal(tokens[fields.indexOf('srcaddr')], '1.128.0.0');
    assert.equal(tokens[fields.indexOf('flow-direction')], 'ingress');
    const notTgw = [...tokens];
    notTgw[3] = 'eni-0abc';
    assert.equal(defaultFieldsFor(notTgw), undefined);
  });

  test('the real header-less files line up with their default order', () => {
    const v5 = readFileSync(dataset('elastic_integration_fixtures/vpcflow/test-v5-all-fields.log'), 'utf8').trim().split(/\s+/);
    const v5Fields = defaultFieldsFor(v5)!;
    assert.equal(v5Fields.length, 29);
    assert.equal(v5[v5Fields.indexOf('pkt-src-aws-service')], 'AMAZON');
    assert.equal(v5[v5Fields.indexOf('traffic-path')], '1');
    const v8 = readFileSync(dataset('elastic_integration_fixtures/vpcflow/test-v8-samples.log'), 'utf8').trim().split(/\s+/);
    const v8Fields = defaultFieldsFor(v8)!;
    assert.equal(v8Fields.length, 40);
    assert.equal(v8[v8Fields.indexOf('reject-reason')], 'BPA');
    assert.equal(v8[v8Fields.indexOf('ecs-service-name')], 'payments-service');
  });
});
