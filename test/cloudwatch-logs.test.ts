import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { caseRecords } from '../src/detect/cases.js';
import type { NetworkCase } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { FLOW_CASE_HEADER } from '../src/detect/network-records.js';
import { DETECTIONS } from '../src/detect/registry.js';
import { staticIntel } from '../src/intel/static.js';
import type { SourceType } from '../src/lake/ingest-api.js';
import { VPC_FIELDS } from '../src/normalize/vpcflow-fields.js';
import { dataset, scratchDir, tempLake } from './helpers/lake.js';

/**
 * Records that went through CloudWatch Logs, in the three forms they reach files in, are read as the same
 * records delivered to S3: each log event's message is the record.
 */
const scratch = scratchDir('gumshoe-cloudwatch-logs-');
after(() => scratch.cleanup());

const write = scratch.write;

type Form = 'subscription' | 'export' | 'events';
const FORMS: Form[] = ['subscription', 'export', 'events'];
const START = Date.parse('2024-05-06T00:00:30Z');

const CONTROL = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: START, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] };

/** A subscription filter's payload of some log events (`events`: whatever each log event is, message or not). */
function payload(events: unknown[]): string {
  return JSON.stringify({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: 'group', logStream: 'stream', subscriptionFilters: ['to-firehose'], logEvents: events });
}

const logEvents = (messages: string[]) => messages.map((message, i) => ({ id: String(i), timestamp: START + i, message }));

/** Messages as a subscription's Firehose delivers them: a control message first, then payloads of five, each its own gzip member. */
function subscriptionFile(messages: string[]): Buffer {
  const members = [gzipSync(JSON.stringify(CONTROL))];
  for (let i = 0; i < messages.length; i += 5) members.push(gzipSync(payload(logEvents(messages.slice(i, i + 5)))));
  return Buffer.concat(members);
}

/** An export task's object: `<ISO time> <message>` lines, gzipped. */
function exportFile(messages: string[]): Buffer {
  return gzipSync(messages.map((m, i) => `${new Date(START + i).toISOString()} ${m}\n`).join(''));
}

/** `aws logs filter-log-events` output, pretty-printed as the CLI prints it (`events`: whatever each event is). */
function eventsFile(events: unknown[]): string {
  return JSON.stringify({ events, searchedLogStreams: [{ logStreamName: 'stream', searchedCompletely: true }] }, null, 4);
}

const filterEvents = (messages: string[]) =>
  messages.map((message, i) => ({ logStreamName: 'stream', timestamp: START + i, message, ingestionTime: START + i + 500, eventId: `3${i}` }));

/** The messages as a file of one CloudWatch Logs form. */
function cloudWatchFile(form: Form, messages: string[]): string {
  if (form === 'subscription') return write('firehose-1-2024-05-06-00-00-30-abcd', subscriptionFile(messages));
  if (form === 'export') return write('exportedlogs/0f1e2d3c-task/stream/000000.gz', exportFile(messages));
  return write('filter-log-events.json', eventsFile(filterEvents(messages)));
}

/** Real records of each source, as CloudWatch Logs messages and as the file AWS delivers to S3. */
interface Source {
  type: SourceType;
  messages: string[];
  s3File(messages: string[]): string;
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
const stratus = (technique: string) => JSON.parse(readFileSync(dataset('stratus_detonation_logs', 'logs', `${technique}.json`), 'utf8')) as Record<string, unknown>[];

const SOURCES: Source[] = [
  {
    type: 'vpcflow',
    messages: lines(dataset('aws_docs_format_examples', 'vpcflow', 'v2_default_format.log')),
    s3File: (messages) => write('AWSLogs/123456789010/vpcflowlogs/us-east-1/2015/05/28/123456789010_vpcflowlogs_us-east-1_fl-1_20150528T0000Z_hash.log.gz', gzipSync(`${messages.join('\n')}\n`)),
  },
  {
    type: 'route53',
    messages: lines(dataset('elastic_integration_fixtures', 'route53_resolver', 'test-route53.log')),
    s3File: (messages) => write('AWSLogs/626345947581/vpcdnsquerylogs/vpc-01e31a7c/2021/12/11/vpc-01e31a7c_vpcdnsquerylogs_626345947581_20211211T2245Z_x.log.gz', gzipSync(`${messages.join('\n')}\n`)),
  },
  {
    type: 'cloudtrail',
    messages: ['aws.defense-evasion.cloudtrail-stop', 'aws.persistence.iam-create-admin-user'].flatMap(stratus).map((record) => JSON.stringify(record)),
    // A trail's file: the same events, pretty-printed in a Records document.
    s3File: (messages) => write('AWSLogs/123456789012/CloudTrail/us-east-1/2024/07/31/123456789012_CloudTrail_us-east-1_20240731T1305Z_x.json.gz', gzipSync(JSON.stringify({ Records: messages.map((m) => JSON.parse(m)) }, null, 2))),
  },
];

const TABLES: Record<SourceType, string> = { vpcflow: 'network_activity', route53: 'dns_activity', cloudtrail: 'api_activity', guardduty: 'detection_finding' };

describe('each form of each source is read as the same records delivered to S3', () => {
  for (const source of SOURCES) {
    for (const form of FORMS) {
      test(`${source.type}, ${form}: every message stored verbatim, then the S3 delivery stored once`, async () => {
        const lake = await tempLake();
        try {
          const read = await lake.ingest([cloudWatchFile(form, source.messages)]);
          assert.deepEqual(read.warnings, []);
          assert.equal(read.byType[source.type]?.read, source.messages.length);
          assert.equal(read.quarantined, 0);
          const stored = await lake.rows(`SELECT raw FROM ${TABLES[source.type]}`);
          assert.deepEqual(stored.map((row) => row.raw).sort(), [...new Set(source.messages)].sort());
          const again = await lake.ingest([source.s3File(source.messages)]);
          assert.equal(again.byType[source.type]?.read, source.messages.length);
          assert.equal(again.stored, 0, 'the S3 delivery of the same records is not stored again');
          assert.equal(again.duplicates, source.messages.length);
        } finally {
          lake.close();
        }
      });
    }
  }

  test('each log event is placed on the line it starts on', async () => {
    const flow = SOURCES[0]!.messages;
    const lake = await tempLake();
    try {
      // With a byte-order mark, as Windows editors save it.
      await lake.ingest([write('events-bom.json', `\uFEFF${eventsFile(filterEvents(flow))}`)]);
      const lines = await lake.rows('SELECT source_line FROM network_activity ORDER BY 1');
      // Pretty-printed, each event takes 7 lines after the 2 that open the list.
      assert.deepEqual(lines.map((row) => row.source_line), flow.map((_, i) => BigInt(3 + 7 * i)));
    } finally {
      lake.close();
    }
  });
});

describe('get-log-events and filter-log-events output', () => {
  test('get-log-events output, and outputs appended one after another, are each read whole', async () => {
    const route53 = SOURCES[1]!.messages;
    const page = (messages: string[], token: string) =>
      JSON.stringify({ events: messages.map((message, i) => ({ timestamp: START + i, message, ingestionTime: START + i })), nextForwardToken: token, nextBackwardToken: 'b/[0]' }, null, 4);
    const lake = await tempLake();
    try {
      const file = write('get-log-events.json', `${page(route53.slice(0, 10), 'f/{"a":"]"}')}\n${page(route53.slice(10), 'f/2')}\n`);
      const summary = await lake.ingest([file]);
      assert.equal(summary.read, route53.length);
      assert.equal(summary.quarantined, 0);
      const lines = await lake.rows('SELECT DISTINCT source_line FROM dns_activity ORDER BY 1 LIMIT 2');
      assert.deepEqual(lines.map((row) => row.source_line), [3n, 8n]);
    } finally {
      lake.close();
    }
  });

  test('an SDK response written out, its metadata and token before the events, is read as the CLI output is', async () => {
    const route53 = SOURCES[1]!.messages.slice(0, 4);
    const response = (messages: string[]) => JSON.stringify({ $metadata: { httpStatusCode: 200, attempts: 1 }, nextToken: 'x"]}', events: filterEvents(messages), searchedLogStreams: [] }, null, '\t');
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([write('filter-log-events-sdk.json', `${response(route53.slice(0, 2))}\n${response(route53.slice(2))}\n`)]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [4, 4, 0]);
      const lines = await lake.rows('SELECT source_line FROM dns_activity ORDER BY 1');
      assert.deepEqual(lines.map((row) => row.source_line), [8n, 15n, 32n, 39n]);
    } finally {
      lake.close();
    }
  });

  test('something other than an output after one is quarantined, saying the rest is not read', async () => {
    const route53 = SOURCES[1]!.messages.slice(0, 3);
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([write('appended.json', `${eventsFile(filterEvents(route53))}\n[1, 2]\n`)]);
      assert.equal(summary.read, 4);
      const [row] = await lake.rows('SELECT location, reason, raw FROM quarantine');
      assert.deepEqual(row, { location: `line ${eventsFile(filterEvents(route53)).split('\n').length + 1}, record 4`, reason: 'CloudWatch Logs events: not an events document (`{"events": [`): the rest of the file is not read', raw: '[1, 2]\n' });
    } finally {
      lake.close();
    }
  });
});

describe('what is not a record', () => {
  test('control messages are passed over, not counted; a file of them only is an empty file', async () => {
    const lake = await tempLake();
    try {
      const only = write('firehose-control', gzipSync(`${JSON.stringify(CONTROL)}\n${JSON.stringify(CONTROL)}`));
      const summary = await lake.ingest([only]);
      assert.equal(summary.read, 0);
      assert.equal(summary.filesSkipped, 0);
      assert.deepEqual(summary.warnings, []);
    } finally {
      lake.close();
    }
  });

  test('a malformed payload, an event without a message and a message that is no record are quarantined with their place and reason', async () => {
    const flow = SOURCES[0]!.messages;
    const file = write('firehose-bad', [
      JSON.stringify(CONTROL),
      payload(logEvents(flow.slice(0, 2))),
      '{"messageType":"DATA_MESSAGE","logEvents":[{"message":"2 1"},]}',
      payload([{ id: '9', timestamp: START }, ...logEvents(['2 123456789010 eni-1 not a flow line', flow[2]!])]),
    ].join('\n'));
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([file]);
      assert.equal(summary.read, 6);
      assert.equal(summary.stored, 3);
      assert.equal(summary.quarantined, 3);
      const rows = await lake.rows('SELECT location, reason, raw FROM quarantine ORDER BY location');
      assert.deepEqual(rows.map((r) => [r.location, String(r.reason).replace(/ \(.*/, ' (…)')]), [
        ['line 3, record 3', 'CloudWatch Logs payload 3: malformed JSON (…)'],
        ['line 4, record 4', 'CloudWatch Logs payload 4, log event 1: no message string'],
        ['line 4, record 5', 'expected 14 fields, found 7'],
      ]);
      assert.equal(rows[2]!.raw, '2 123456789010 eni-1 not a flow line');
    } finally {
      lake.close();
    }
  });

  test('a truncated gzip: the log events read are kept, the cut-off end is one quarantined record', async () => {
    const messages = manyFlowLines(2000);
    const lake = await tempLake();
    try {
      for (const form of ['subscription', 'export'] as const) {
        const whole = form === 'subscription' ? gzipSync(Buffer.concat(chunks(messages, 5).map((part) => Buffer.from(payload(logEvents(part)))))) : exportFile(messages);
        const file = write(`cut-${form}.gz`, whole.subarray(0, Math.floor(whole.length * 0.6)));
        const summary = await lake.ingest([file]);
        const kept = summary.stored + summary.duplicates;
        assert.ok(kept > 500 && kept < 2000, `${form}: ${kept} kept`);
        assert.equal(summary.quarantined, 1, form);
        assert.equal(summary.read, kept + 1);
        const [row] = await lake.rows('SELECT reason FROM quarantine WHERE uri = $1', [file]);
        assert.match(String(row!.reason), /^truncated or corrupt gzip .*: the file ends inside this record$/, form);
      }
    } finally {
      lake.close();
    }
  });
});

describe('what stands between payloads, and around log events', () => {
  test('payloads separated by commas are read; other bytes between two are one quarantined record, and the payloads after them are read', async () => {
    const flow = manyFlowLines(6);
    const lake = await tempLake();
    try {
      const commas = await lake.ingest([write('firehose-commas', `${payload(logEvents(flow.slice(0, 2)))},\n${payload(logEvents(flow.slice(2, 3)))},`)]);
      assert.deepEqual([commas.read, commas.stored], [3, 3]);
      const file = write('firehose-pasted', `${payload(logEvents(flow.slice(3, 4)))}\nnot a payload\n${payload(logEvents(flow.slice(4)))}\n`);
      const summary = await lake.ingest([file]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [4, 3, 1]);
      const rows = await lake.rows('SELECT location, reason, raw FROM quarantine');
      assert.deepEqual(rows, [{ location: 'line 2, record 2', reason: 'CloudWatch Logs payload 2: not a subscription payload (a JSON object): passed over up to the next payload', raw: 'not a payload\n' }]);
    } finally {
      lake.close();
    }
  });

  test('200 MB of text after a payload are one quarantined record, its start kept', async () => {
    const [first] = manyFlowLines(1);
    const garbage = Buffer.alloc(200 << 20, 'no payload here ');
    const file = write('firehose-garbage.gz', gzipSync(Buffer.concat([Buffer.from(payload(logEvents([first!]))), garbage])));
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([file]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [2, 1, 1]);
      const [row] = await lake.rows('SELECT location, length(raw) AS kept FROM quarantine');
      assert.deepEqual([row!.location, Number(row!.kept)], ['line 1, record 2', 64 << 10]);
    } finally {
      lake.close();
    }
  });

  test('a payload of 70 MB is quarantined with its start, and the payload after it is read', async () => {
    const [first, second, third] = manyFlowLines(3);
    const huge = payload(logEvents([second!, 'x'.repeat(70 << 20)]));
    const file = write('firehose-huge.gz', gzipSync(`${payload(logEvents([first!]))}\n${huge}\n${payload(logEvents([third!]))}`));
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([file]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [3, 2, 1]);
      const [row] = await lake.rows('SELECT location, reason, length(raw) AS kept FROM quarantine');
      assert.deepEqual([row!.location, row!.reason, Number(row!.kept)], ['line 2, record 2', 'CloudWatch Logs payload 2: longer than 64 MiB, which no payload is: passed over up to the next payload', 64 << 10]);
    } finally {
      lake.close();
    }
  });

  test('an events list holding something other than log events: the rest is one quarantined record, not one per word', async () => {
    const flow = manyFlowLines(2);
    const file = write('events-text.json', `{"events": [${JSON.stringify(filterEvents(flow)[0])},\n${' words not events'.repeat(100_000)}`);
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([file]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [2, 1, 1]);
      const [row] = await lake.rows('SELECT location, reason FROM quarantine');
      assert.deepEqual(row, { location: 'line 2, record 2', reason: 'CloudWatch Logs event 2: not a log event (a JSON object): the rest of the file is not read' });
    } finally {
      lake.close();
    }
  });

  test('export lines after a byte-order mark, and with times given as an offset from UTC', async () => {
    const route53 = SOURCES[1]!.messages.slice(0, 3);
    const lake = await tempLake();
    try {
      const file = write('exportedlogs/task/stream/000002', `\uFEFF${route53.map((m, i) => `2024-05-06T00:00:3${i}.000+00:00 ${m}\r\n`).join('')}`);
      const summary = await lake.ingest([file]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [3, 3, 0]);
    } finally {
      lake.close();
    }
  });
});

describe('source type', () => {
  test('the first message of a known kind decides; --type forces one', async () => {
    const appLog = ['GET /health 200 3ms', 'GET /orders 200 41ms', 'POST /orders 201 88ms'];
    const route53 = SOURCES[1]!.messages.slice(0, 3);
    const lake = await tempLake();
    try {
      const mixed = await lake.ingest([cloudWatchFile('events', [...appLog.slice(0, 1), ...route53])]);
      assert.equal(mixed.byType.route53?.stored, 3, 'a bad first message does not decide');
      assert.equal(mixed.quarantined, 1);
      const unknown = cloudWatchFile('export', appLog);
      const skipped = await lake.ingest([unknown]);
      assert.equal(skipped.filesSkipped, 1);
      assert.match(skipped.warnings.join(), /CloudWatch Logs export whose messages are not .* \(use --type to force\)/);
      const forced = await lake.ingest([unknown], { forceType: 'route53' });
      assert.equal(forced.byType.route53?.read, 3);
      assert.equal(forced.quarantined, 3);
    } finally {
      lake.close();
    }
  });
});

describe('messages that are not one line', () => {
  test('a message over several lines is stored verbatim', async () => {
    const [event] = stratus('aws.defense-evasion.cloudtrail-stop');
    const message = JSON.stringify(event, null, 2);
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([cloudWatchFile('subscription', [message])]);
      assert.equal(summary.stored, 1);
      assert.deepEqual(await lake.rows('SELECT raw FROM api_activity'), [{ raw: message }]);
    } finally {
      lake.close();
    }
  });
});

describe('flow logs in a custom format', () => {
  test('cannot be read from their messages (no header line): every record is quarantined, saying why', async () => {
    const bruteForce = DETECTIONS.find((d) => d.id === 'network-brute-force')!.cases()[0] as NetworkCase;
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([cloudWatchFile('export', bruteForce.flows!.slice(0, 4))]);
      assert.equal(summary.byType.vpcflow?.quarantined, 4);
      const [row] = await lake.rows('SELECT DISTINCT reason FROM quarantine');
      assert.match(String(row!.reason), /first message's 19 fields match no default flow-log format .* no header line/);
    } finally {
      lake.close();
    }
  });
});

describe('large files', () => {
  test('an export line of 70 MB is quarantined with its start, without gathering it whole, and the lines around it are stored', async () => {
    const [first, second] = manyFlowLines(2);
    const time = new Date(START).toISOString();
    const file = write('exportedlogs/task/stream/000001.gz', gzipSync(`${time} ${first}\n${time} ${'x'.repeat(70 << 20)}\n${time} ${second}\n`));
    const lake = await tempLake();
    try {
      const summary = await lake.ingest([file]);
      assert.deepEqual([summary.read, summary.stored, summary.quarantined], [3, 2, 1]);
      const [row] = await lake.rows('SELECT location, reason, length(raw) AS kept FROM quarantine');
      assert.deepEqual([row!.location, row!.reason, Number(row!.kept)], ['line 2, record 2', 'line longer than 64 MiB: not a record', 64 << 10]);
    } finally {
      lake.close();
    }
  });

  test('files of many windows are read whole in each form', async () => {
    const messages = manyFlowLines(30_000);
    const lake = await tempLake();
    try {
      const summary = await lake.ingest(FORMS.map((form) => cloudWatchFile(form, messages)));
      assert.equal(summary.read, 3 * messages.length);
      assert.equal(summary.stored, messages.length);
      assert.equal(summary.quarantined, 0);
    } finally {
      lake.close();
    }
  });
});

describe('gumshoe detect raises the same findings from CloudWatch Logs as from S3', () => {
  const caseOf = (id: string) => DETECTIONS.find((d) => d.id === id)!;

  async function findings(file: string, detectionId: string): Promise<string[]> {
    const lake = await tempLake();
    try {
      await lake.ingest([file]);
      const summary = await runDetections(lake.lake, { intel: staticIntel({}), detections: [caseOf(detectionId)] });
      return summary.findings.map((f) => `${f.type} ${f.service.count}`).sort();
    } finally {
      lake.close();
    }
  }

  test('an SSH brute force in flow logs (subscription payloads)', async () => {
    const detection = caseOf('network-brute-force');
    const bruteForce = detection.cases()[0] as NetworkCase;
    const messages = bruteForce.flows!.map(asDefaultV5);
    const s3 = await findings(SOURCES[0]!.s3File(messages), detection.id);
    assert.deepEqual(s3.map((f) => f.split(' ')[0]), bruteForce.expect);
    assert.deepEqual(await findings(cloudWatchFile('subscription', messages), detection.id), s3);
  });

  test('a DNS rebind to the metadata service (filter-log-events output)', async () => {
    const detection = caseOf('dns-metadata-rebind');
    const rebind = detection.cases()[0] as NetworkCase;
    const messages = rebind.dns!.map((record) => JSON.stringify(record));
    const s3 = await findings(SOURCES[1]!.s3File(messages), detection.id);
    assert.deepEqual(s3.map((f) => f.split(' ')[0]), rebind.expect);
    assert.deepEqual(await findings(cloudWatchFile('events', messages), detection.id), s3);
  });

  test('CloudTrail StopLogging (export task)', async () => {
    const detection = caseOf('cloudtrail-logging-disabled');
    const stop = detection.cases()[0]!;
    const messages = caseRecords(stop).map((record) => JSON.stringify(record));
    const s3 = await findings(SOURCES[2]!.s3File(messages), detection.id);
    assert.deepEqual(s3.map((f) => f.split(' ')[0]), stop.expect);
    assert.deepEqual(await findings(cloudWatchFile('export', messages), detection.id), s3);
  });
});

/** A detection case's flow line (written in FLOW_CASE_HEADER's order) in the default v5 order, which needs no header. */
function asDefaultV5(line: string): string {
  const values = new Map(FLOW_CASE_HEADER.split(' ').map((name, i) => [name, line.split(' ')[i]!]));
  return VPC_FIELDS.slice(0, 29).map(({ name }) => values.get(name) ?? '-').join(' ');
}

/** Distinct v2 flow lines. */
function manyFlowLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    `2 123456789010 eni-1235b8ca123456789 198.51.100.${i % 250} 172.31.16.21 ${1024 + i} 443 6 ${10 + (i % 7)} ${4000 + i} ${1714953600 + i} ${1714953660 + i} ACCEPT OK`);
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
}
