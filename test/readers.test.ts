// Every reader on the real public data sets (read in place from ../shared/datasets): what lands in the
// lake, column by column, checked against the source records themselves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { IngestSummary, RecordCounts } from '../src/lake/ingest.js';
import { dataset, DATASETS, scratchDir, tempLake, type TestLake } from './helpers/lake.js';

type Row = Record<string, unknown>;
type Json = Record<string, any>;

const STRATUS_LOGS = dataset('stratus_detonation_logs/logs');
const STRATUS_LABELLED = dataset('stratus_detonation_logs/all_events_labelled.jsonl.gz');
const OTRF = dataset('otrf_aws_cloud_breach_s3/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl.gz');
const CT_DOCS = dataset('aws_docs_format_examples/cloudtrail/cloudtrail_user_guide_examples.jsonl');
const DOC_FLOWS = dataset('aws_docs_format_examples/vpcflow');
const ELASTIC_FLOWS = dataset('elastic_integration_fixtures/vpcflow');
const ROUTE53_ELASTIC = dataset('elastic_integration_fixtures/route53_resolver/test-route53.log');
const ROUTE53_DOC = dataset('aws_docs_format_examples/route53_resolver/example_01.json');
const GUARDDUTY = dataset('elastic_integration_fixtures/guardduty/test-guardduty.log');

const WAF_ROLE = 'arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0';

/** BIGINT columns come back as bigint; these tests compare numbers. */
function plain(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
}

async function rows(lake: TestLake, sql: string, params: (string | number | null)[] = []): Promise<Row[]> {
  return (await lake.rows(sql, params)).map(plain);
}

async function one(lake: TestLake, sql: string, params: (string | number | null)[] = []): Promise<Row> {
  const found = await rows(lake, sql, params);
  assert.equal(found.length, 1, `expected one row from: ${sql} ${JSON.stringify(params)}`);
  return found[0]!;
}

function assertInvariant(counts: RecordCounts, label: string): void {
  assert.equal(counts.read, counts.stored + counts.duplicates + counts.quarantined, `${label}: read = stored + duplicates + quarantined`);
}

function assertSummaryInvariant(summary: IngestSummary): void {
  assertInvariant(summary, 'overall');
  const total = { read: 0, stored: 0, duplicates: 0, quarantined: 0 };
  for (const [type, counts] of Object.entries(summary.byType)) {
    assertInvariant(counts!, type);
    for (const key of ['read', 'stored', 'duplicates', 'quarantined'] as const) total[key] += counts![key];
  }
  assert.deepEqual(total, { read: summary.read, stored: summary.stored, duplicates: summary.duplicates, quarantined: summary.quarantined });
}

const epoch = (seconds: number) => new Date(seconds * 1000);
const gunzipText = (file: string) => gunzipSync(readFileSync(file)).toString('utf8');
const jsonLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** Each element of a Stratus file: its record, verbatim text and the line it starts on (elements open with "   {"). */
function stratusElements(file: string): { record: Json; text: string; line: number }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const records = JSON.parse(lines.join('\n')) as Json[];
  const elements: { record: Json; text: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '   {') continue;
    const close = lines.findIndex((l, j) => j > i && (l === '   }' || l === '   },'));
    const text = lines.slice(i, close + 1).join('\n').slice(3).replace(/,$/, '');
    elements.push({ record: records[elements.length]!, text, line: i + 1 });
  }
  assert.equal(elements.length, records.length, file);
  return elements;
}

describe('CloudTrail: Stratus Red Team detonation logs (pretty-printed JSON arrays)', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  const files = readdirSync(STRATUS_LOGS).filter((f) => f.endsWith('.json')).sort();

  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([STRATUS_LOGS]);
  });
  after(() => lake?.close());

  test('all 226 records of the 22 files are stored, none quarantined (fake region names are valid)', async () => {
    assert.equal(files.length, 22);
    assert.deepEqual(summary.byType, { cloudtrail: { files: 22, read: 226, stored: 226, duplicates: 0, quarantined: 0 } });
    assert.equal(summary.filesSkipped, 0);
    assert.equal(await lake.count('SELECT count(*) FROM api_activity'), 226);
    assert.equal(await lake.count('SELECT count(DISTINCT metadata_uid) FROM api_activity'), 226);
    assert.equal(await lake.count('SELECT count(*) FROM quarantine'), 0);
    assert.equal(await lake.count("SELECT count(*) FROM api_activity WHERE cloud_region LIKE '%r'"), 226);
    const files22 = await rows(lake, "SELECT status, source_type, sum(records_read) AS n, sum(quarantined) AS q, count(*) AS files FROM ingested_files GROUP BY ALL");
    assert.deepEqual(files22, [{ status: 'complete', source_type: 'cloudtrail', n: 226, q: 0, files: 22 }]);
  });

  test('raw is each record verbatim, source_line is the line its element starts on, time is eventTime', async () => {
    for (const file of files) {
      const stored = await rows(
        lake,
        `SELECT a.raw, a.source_line, a.time, a.metadata_uid FROM api_activity a JOIN ingested_files f ON f.file_id = a.source_file_id
         WHERE f.uri = $1 ORDER BY a.source_line`,
        [path.join(STRATUS_LOGS, file)],
      );
      const elements = stratusElements(path.join(STRATUS_LOGS, file));
      assert.equal(stored.length, elements.length, file);
      elements.forEach((element, i) => {
        const row = stored[i]!;
        assert.equal(row.raw, element.text, `${file} element ${i}: raw is the verbatim text`);
        assert.deepEqual(JSON.parse(String(row.raw)), element.record);
        assert.equal(row.source_line, element.line, `${file} element ${i}`);
        assert.equal(row.metadata_uid, element.record.eventID);
        assert.deepEqual(row.time, new Date(element.record.eventTime));
      });
    }
  });

  test('ConsoleLogin without MFA: every mapped column', async () => {
    const row = await one(lake, "SELECT * EXCLUDE (raw, dedup_key, source_file_id) FROM api_activity WHERE api_operation = 'ConsoleLogin'");
    assert.deepEqual(row, {
      time: new Date('2024-08-02T08:53:24Z'),
      class_uid: 3002, activity_id: 1, type_uid: 300201, status: 'Success', status_id: 1,
      cloud_account_uid: '562283505220', cloud_region: 'eu-west-2r',
      api_operation: 'ConsoleLogin', api_service_name: 'signin.amazonaws.com', api_version: null, api_request_uid: null,
      api_request_data: null, api_response_data: '{"ConsoleLogin":"Success"}', api_response_error: null, api_response_message: null,
      actor_user_type: 'IAMUser', actor_user_uid: 'arn:aws:iam::562283505220:user/stratus-red-team-nmfalu-jfzdtsvchl',
      actor_user_uid_alt: 'AIDA1ERT0661IN5R239V', actor_user_name: 'stratus-red-team-nmfalu-jfzdtsvchl',
      actor_user_account_uid: '562283505220', actor_user_credential_uid: null,
      actor_session_issuer: null, actor_session_issuer_name: null, actor_session_is_mfa: false,
      actor_session_created_time: null, actor_invoked_by: null, actor_idp_name: null,
      src_endpoint_ip: '225.01.00.16', src_endpoint_domain: null, src_endpoint_uid: null,
      http_request_user_agent: 'stratus-red-team_fccf7123-0651-41f5-b06c-460da5ee1c94',
      resources: null, additional_event_data: '{"LoginTo":"https://console.aws.amazon.com/console/home","MFAUsed":"No","MobileVersion":"No"}',
      event_category: 'Management', event_type: 'AwsConsoleSignIn', read_only: false, management_event: true,
      metadata_uid: '865d9377-9c6b-4fd7-8aad-725e95f6a140', metadata_product_version: '1.08',
      source_line: 2,
    });
  });

  test('an assumed-role call failing with Client.UnauthorizedOperation', async () => {
    const file = path.join(STRATUS_LOGS, 'aws.credential-access.ec2-get-password-data.json');
    const records = JSON.parse(readFileSync(file, 'utf8')) as Json[];
    const failed = records.filter((r) => r.errorCode === 'Client.UnauthorizedOperation');
    assert.ok(failed.length > 20);
    const record = failed[0]!;
    const row = await one(lake, 'SELECT * FROM api_activity WHERE metadata_uid = $1', [record.eventID]);
    assert.equal(row.status, 'Failure');
    assert.equal(row.status_id, 2);
    assert.equal(row.api_response_error, 'Client.UnauthorizedOperation');
    assert.equal(row.api_response_message, record.errorMessage);
    assert.equal(row.api_operation, 'GetPasswordData');
    assert.equal(row.api_service_name, 'ec2.amazonaws.com');
    assert.equal(row.class_uid, 6003);
    assert.equal(row.type_uid, 600302);
    assert.equal(row.actor_user_type, 'AssumedRole');
    assert.equal(row.actor_user_uid, record.userIdentity.arn);
    assert.equal(row.actor_user_credential_uid, record.userIdentity.accessKeyId);
    assert.equal(row.actor_session_issuer, record.userIdentity.sessionContext.sessionIssuer.arn);
    assert.equal(row.actor_session_is_mfa, false);
    assert.equal(row.src_endpoint_ip, record.sourceIPAddress);
    assert.equal(row.cloud_region, record.awsRegion);
    assert.deepEqual(JSON.parse(String(row.api_request_data)), record.requestParameters);
    assert.equal(row.read_only, true);
    // Every failed call in the set, whatever its code, is a Failure; every other call a Success.
    const all = files.flatMap((f) => JSON.parse(readFileSync(path.join(STRATUS_LOGS, f), 'utf8')) as Json[]);
    const byStatus = await rows(lake, 'SELECT status, api_response_error, count(*) AS n FROM api_activity GROUP BY ALL ORDER BY n DESC');
    const expected = new Map<string, number>();
    for (const r of all) {
      const key = `${r.errorCode ? 'Failure' : 'Success'}|${r.errorCode ?? null}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    assert.deepEqual(new Map(byStatus.map((r) => [`${r.status}|${r.api_response_error}`, r.n])), expected);
  });

  test('OCSF class: sign-ins and AssumeRole 3002, IAM account changes 3001, every other call 6003', async () => {
    const byClass = await rows(lake, 'SELECT class_uid, list(DISTINCT api_operation ORDER BY api_operation) AS ops, count(*) AS n FROM api_activity GROUP BY 1 ORDER BY 1');
    assert.deepEqual(byClass.map((r) => [r.class_uid, r.n]), [[3001, 9], [3002, 7], [6003, 210]]);
    assert.deepEqual(byClass[0]!.ops, [
      'AttachRolePolicy', 'AttachUserPolicy', 'CreateAccessKey', 'CreateLoginProfile', 'CreateRole', 'CreateUser', 'DeleteLoginProfile', 'UpdateLoginProfile',
    ]);
    assert.deepEqual(byClass[1]!.ops, ['AssumeRole', 'ConsoleLogin']);
    const ops6003 = byClass[2]!.ops as string[];
    for (const op of ['GetPasswordData', 'SendCommand', 'StopLogging', 'DeleteTrail', 'GetSecretValue', 'RunInstances', 'DescribeInstances', 'ModifyImageAttribute']) {
      assert.ok(ops6003.includes(op), op);
    }
    // Activity ids inside the classes.
    const activities = await rows(lake, `SELECT api_operation, activity_id, type_uid FROM api_activity
      WHERE api_operation IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'AssumeRole', 'DeleteTrail', 'GetSecretValue', 'StopLogging', 'AttachUserPolicy')
      GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(activities, [
      { api_operation: 'AssumeRole', activity_id: 1, type_uid: 300201 },
      { api_operation: 'AttachUserPolicy', activity_id: 7, type_uid: 300107 },
      { api_operation: 'CreateAccessKey', activity_id: 1, type_uid: 300101 },
      { api_operation: 'CreateLoginProfile', activity_id: 1, type_uid: 300101 },
      { api_operation: 'CreateUser', activity_id: 1, type_uid: 300101 },
      { api_operation: 'DeleteTrail', activity_id: 4, type_uid: 600304 },
      { api_operation: 'GetSecretValue', activity_id: 2, type_uid: 600302 },
      { api_operation: 'StopLogging', activity_id: 3, type_uid: 600303 },
    ]);
  });

  test('CreateAccessKey (iam-create-admin-user): actor, request and response', async () => {
    const file = path.join(STRATUS_LOGS, 'aws.persistence.iam-create-admin-user.json');
    const record = (JSON.parse(readFileSync(file, 'utf8')) as Json[]).find((r) => r.eventName === 'CreateAccessKey')!;
    const row = await one(lake, 'SELECT * FROM api_activity WHERE metadata_uid = $1', [record.eventID]);
    assert.equal(row.class_uid, 3001);
    assert.equal(row.api_service_name, 'iam.amazonaws.com');
    assert.equal(row.actor_user_type, record.userIdentity.type);
    assert.equal(row.actor_user_uid, record.userIdentity.arn);
    assert.equal(row.actor_user_credential_uid, record.userIdentity.accessKeyId);
    assert.equal(row.src_endpoint_ip, record.sourceIPAddress);
    assert.equal(row.cloud_region, record.awsRegion);
    assert.deepEqual(JSON.parse(String(row.api_request_data)), record.requestParameters);
    assert.deepEqual(JSON.parse(String(row.api_response_data)), record.responseElements);
    assert.equal(row.http_request_user_agent, record.userAgent);
  });

  test('the labelled JSON-lines copy: all 226 are duplicates of the events already stored', async () => {
    const again = await lake.ingest([STRATUS_LABELLED]);
    assert.deepEqual(again.byType, { cloudtrail: { files: 1, read: 226, stored: 0, duplicates: 226, quarantined: 0 } });
    assert.equal(await lake.count('SELECT count(*) FROM api_activity'), 226);
  });
});

describe('CloudTrail: the labelled Stratus file alone ({"label", "event"} wrapper, gzipped JSON lines)', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([STRATUS_LABELLED]);
  });
  after(() => lake?.close());

  test('226 stored; each row keeps its whole line and maps the wrapped event', async () => {
    assert.deepEqual(summary.byType, { cloudtrail: { files: 1, read: 226, stored: 226, duplicates: 0, quarantined: 0 } });
    const lines = jsonLines(gunzipText(STRATUS_LABELLED));
    const stored = await rows(lake, 'SELECT raw, source_line, metadata_uid, api_operation, cloud_region, time, actor_user_uid FROM api_activity ORDER BY source_line');
    assert.equal(stored.length, 226);
    stored.forEach((row, i) => {
      const { event } = JSON.parse(lines[i]!) as { event: Json };
      assert.equal(row.source_line, i + 1);
      assert.equal(row.raw, lines[i]);
      assert.equal(row.metadata_uid, event.eventID);
      assert.equal(row.api_operation, event.eventName);
      assert.equal(row.cloud_region, event.awsRegion);
      assert.equal(row.actor_user_uid, event.userIdentity.arn ?? null);
      assert.deepEqual(row.time, new Date(event.eventTime));
    });
  });

  test('the per-technique files read afterwards are all duplicates', async () => {
    const again = await lake.ingest([STRATUS_LOGS]);
    assert.deepEqual(again.byType, { cloudtrail: { files: 22, read: 226, stored: 0, duplicates: 226, quarantined: 0 } });
  });
});

describe('CloudTrail: OTRF cloud-breach capture (Logstash-flattened, time only in @timestamp)', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  const records = jsonLines(gunzipText(OTRF)).map((line) => JSON.parse(line) as Json);
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([OTRF]);
  });
  after(() => lake?.close());

  test('all 103 records stored, time taken from @timestamp', async () => {
    assert.equal(records.length, 103);
    assert.ok(records.every((r) => r.eventTime === undefined && typeof r['@timestamp'] === 'string'));
    assert.deepEqual(summary.byType, { cloudtrail: { files: 1, read: 103, stored: 103, duplicates: 0, quarantined: 0 } });
    const stored = await rows(lake, 'SELECT source_line, time, metadata_uid FROM api_activity ORDER BY source_line');
    assert.deepEqual(
      stored.map((r) => [r.source_line, (r.time as Date).toISOString(), r.metadata_uid]),
      records.map((r, i) => [i + 1, new Date(r['@timestamp']).toISOString(), r.eventID]),
    );
  });

  test("the 11 malicious calls are the stolen BankingWAFRole session's", async () => {
    const labels = jsonLines(gunzipText(dataset('otrf_aws_cloud_breach_s3/labels.jsonl.gz'))).map((l) => JSON.parse(l) as Json);
    const malicious = labels.filter((l) => l.malicious).map((l) => l.eventID as string).sort();
    assert.equal(malicious.length, 11);
    const fromRole = await rows(lake, 'SELECT metadata_uid, api_operation, actor_user_type, actor_session_issuer_name, actor_user_credential_uid, src_endpoint_ip FROM api_activity WHERE actor_session_issuer = $1 ORDER BY metadata_uid', [WAF_ROLE]);
    assert.deepEqual(fromRole.map((r) => r.metadata_uid), malicious);
    const ops = fromRole.reduce<Record<string, number>>((acc, r) => ({ ...acc, [String(r.api_operation)]: (acc[String(r.api_operation)] ?? 0) + 1 }), {});
    assert.deepEqual(ops, { GetObject: 2, ListBuckets: 2, ListObjects: 7 });
    for (const row of fromRole) {
      assert.equal(row.actor_user_type, 'AssumedRole');
      assert.equal(row.actor_session_issuer_name, 'MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0');
      assert.match(String(row.actor_user_credential_uid), /^ASIA/);
      assert.equal(row.src_endpoint_ip, '1.2.3.4');
    }
  });

  test('S3 data events keep their request parameters, with the bucket name', async () => {
    const s3 = await rows(lake, `SELECT api_operation, api_service_name, api_request_data->>'bucketName' AS bucket, api_request_data, metadata_uid
      FROM api_activity WHERE api_operation IN ('GetObject', 'ListObjects') ORDER BY source_line`);
    assert.equal(s3.length, 9);
    for (const row of s3) {
      assert.equal(row.api_service_name, 's3.amazonaws.com');
      assert.ok(row.bucket, `${row.api_operation} has a bucketName`);
      const source = records.find((r) => r.eventID === row.metadata_uid)!;
      assert.deepEqual(JSON.parse(String(row.api_request_data)), source.requestParameters);
      assert.equal(row.bucket, source.requestParameters.bucketName);
    }
    const getObjects = s3.filter((r) => r.api_operation === 'GetObject');
    assert.equal(getObjects.length, 2);
  });

  test('AssumeRole by the EC2 service: domain source, invokedBy, response credentials', async () => {
    const assumed = await rows(lake, "SELECT * FROM api_activity WHERE api_operation = 'AssumeRole' ORDER BY source_line");
    assert.equal(assumed.length, 5);
    for (const row of assumed) {
      assert.equal(row.class_uid, 3002);
      assert.equal(row.actor_user_type, 'AWSService');
      assert.equal(row.actor_invoked_by, 'ec2.amazonaws.com');
      assert.equal(row.src_endpoint_ip, null);
      assert.equal(row.src_endpoint_domain, 'ec2.amazonaws.com');
      assert.match(String((JSON.parse(String(row.api_response_data)) as Json).credentials.accessKeyId), /^ASIA/);
    }
  });

  test('the OTRF folder: only the capture is read; labels, CSV and YAML are skipped', async () => {
    const folder = await tempLake();
    try {
      const result = await folder.ingest([dataset('otrf_aws_cloud_breach_s3')]);
      assert.equal(result.files, 1);
      assert.equal(result.filesSkipped, 5);
      assert.deepEqual(result.byType, { cloudtrail: { files: 1, read: 103, stored: 103, duplicates: 0, quarantined: 0 } });
      const skipped = await rows(folder, "SELECT uri, note FROM ingested_files WHERE status = 'skipped' ORDER BY uri");
      assert.deepEqual(skipped.map((r) => path.basename(String(r.uri))), [
        'AWS_S3_HoneyBucketLogs.csv.gz', 'SDAWS-200914011940.yaml', 'SDAWS-2202181000.yaml', 'SOURCE.md', 'labels.jsonl.gz',
      ]);
      assert.equal(skipped.find((r) => String(r.uri).endsWith('labels.jsonl.gz'))!.note, 'JSON that is not CloudTrail, Route 53 Resolver or GuardDuty (use --type to force)');
      assert.equal(await folder.count('SELECT count(*) FROM quarantine'), 0);
    } finally {
      folder.close();
    }
  });
});

describe('CloudTrail: AWS documentation examples ({"source_doc", "event"} wrapper)', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  const events = jsonLines(readFileSync(CT_DOCS, 'utf8')).map((line) => (JSON.parse(line) as Json).event as Json);
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([CT_DOCS]);
  });
  after(() => lake?.close());

  test('19 read; the examples that repeat another example\'s eventID and time count as duplicates', async () => {
    assert.deepEqual(summary.byType, { cloudtrail: { files: 1, read: 19, stored: 17, duplicates: 2, quarantined: 0 } });
    // Lines 5 and 7 repeat the eventIDs and times of lines 4 and 6; line 19 reuses line 18's eventID at another time.
    const lines = (await rows(lake, 'SELECT source_line FROM api_activity ORDER BY 1')).map((r) => r.source_line);
    assert.deepEqual(lines, [1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal(events[4]!.eventID, events[3]!.eventID);
    assert.equal(events[6]!.eventID, events[5]!.eventID);
    assert.equal(events[18]!.eventID, events[17]!.eventID);
    assert.notEqual(events[18]!.eventTime, events[17]!.eventTime);
  });

  async function line(n: number): Promise<Row> {
    return one(lake, 'SELECT * FROM api_activity WHERE source_line = $1', [n]);
  }

  test('successful console sign-ins, with and without MFA', async () => {
    const noMfa = await line(1);
    assert.equal(noMfa.api_operation, 'ConsoleLogin');
    assert.equal(noMfa.class_uid, 3002);
    assert.equal(noMfa.status, 'Success');
    assert.equal(noMfa.actor_user_type, 'IAMUser');
    assert.equal((JSON.parse(String(noMfa.additional_event_data)) as Json).MFAUsed, 'No');
    assert.equal(noMfa.actor_session_is_mfa, false);
    assert.equal(noMfa.cloud_region, 'us-east-2');
    assert.equal(noMfa.src_endpoint_ip, '192.0.2.0');
    const withMfa = await line(2);
    assert.equal(withMfa.status, 'Success');
    const extra = JSON.parse(String(withMfa.additional_event_data)) as Json;
    assert.equal(extra.MFAUsed, 'Yes');
    assert.equal(withMfa.actor_session_is_mfa, true);
    assert.equal(extra.MFAIdentifier, 'arn:aws:iam::111122223333:u2f/user/anaya/default-AAAAAAAABBBBBBBBCCCCCCCCDD');
    const root = await line(6);
    assert.equal(root.actor_user_type, 'Root');
    assert.equal(root.status, 'Success');
  });

  test('a failed console sign-in (errorMessage only, response "Failure") is a Failure', async () => {
    for (const n of [3, 8]) {
      const row = await line(n);
      assert.equal(row.api_operation, 'ConsoleLogin');
      assert.equal(row.status, 'Failure', `line ${n}`);
      assert.equal(row.status_id, 2);
      assert.equal(row.api_response_error, null); // the record has no errorCode
      assert.equal(row.api_response_message, 'Failed authentication');
      assert.equal(row.api_response_data, '{"ConsoleLogin":"Failure"}');
    }
    assert.equal((await line(3)).actor_user_type, 'IAMUser');
    assert.equal((await line(8)).actor_user_type, 'Root');
  });

  test('other examples: MFA session flag, error code, AWS-internal source, EnableMFADevice', async () => {
    const enableMfa = await line(9);
    assert.equal(enableMfa.api_operation, 'EnableMFADevice');
    assert.equal(enableMfa.class_uid, 3001);
    assert.equal(enableMfa.activity_id, 10);
    assert.equal(enableMfa.actor_session_is_mfa, false);
    assert.deepEqual(enableMfa.actor_session_created_time, new Date('2020-10-13T21:05:40Z'));
    const checkMfa = await line(4);
    assert.equal(checkMfa.class_uid, 3002);
    const updateTrail = await line(16);
    assert.equal(updateTrail.status, 'Failure');
    assert.equal(updateTrail.api_response_error, 'TrailNotFoundException');
    assert.equal(updateTrail.api_response_message, 'Unknown trail: myTrail2 for the user: 123456789012');
    const rotateKey = await line(18);
    assert.equal(rotateKey.src_endpoint_ip, null);
    assert.equal(rotateKey.src_endpoint_domain, 'AWS Internal');
    const createKeyPair = await line(13);
    assert.equal(createKeyPair.actor_session_is_mfa, false);
    assert.deepEqual(JSON.parse(String(createKeyPair.api_response_data)).keyName, 'mykeypair');
    // StartInstances has no eventID: still stored, keyed by its text.
    const start = await line(11);
    assert.equal(start.metadata_uid, null);
    assert.deepEqual(start.time, new Date('2014-03-06T21:22:54Z'));
    assert.equal(start.raw, jsonLines(readFileSync(CT_DOCS, 'utf8'))[10]);
  });
});

describe('CloudTrail document shapes written by other tools', () => {
  test('a single pretty-printed event (as the console shows it) ending in a boolean is one record', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const record = (JSON.parse(readFileSync(path.join(STRATUS_LOGS, 'aws.defense-evasion.cloudtrail-stop.json'), 'utf8')) as Json[])[0]!;
      const { readOnly, ...rest } = record;
      const reordered = { ...rest, readOnly }; // last value a boolean
      const file = path.join(scratch.dir, 'event.json');
      writeFileSync(file, `${JSON.stringify(reordered, null, 2)}\n`);
      const summary = await lake.ingest([file]);
      assert.deepEqual(summary.byType, { cloudtrail: { files: 1, read: 1, stored: 1, duplicates: 0, quarantined: 0 } });
      const row = await one(lake, 'SELECT api_operation, read_only, raw, source_line FROM api_activity');
      assert.equal(row.api_operation, 'StopLogging');
      assert.equal(row.read_only, false);
      assert.equal(row.source_line, 1);
      assert.equal(row.raw, JSON.stringify(reordered, null, 2));
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });

  test('EventBridge "AWS API Call via CloudTrail" events: the detail is the record', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const records = JSON.parse(readFileSync(path.join(STRATUS_LOGS, 'aws.persistence.iam-create-admin-user.json'), 'utf8')) as Json[];
      const lines = records.map((detail, i) =>
        JSON.stringify({ version: '0', id: `0000000${i}-aaaa-bbbb-cccc-dddddddddddd`, 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', account: detail.recipientAccountId, time: detail.eventTime, region: 'us-east-1', resources: [], detail }),
      );
      const file = path.join(scratch.dir, 'eventbridge.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const summary = await lake.ingest([file]);
      assert.deepEqual(summary.byType, { cloudtrail: { files: 1, read: 3, stored: 3, duplicates: 0, quarantined: 0 } });
      const stored = await rows(lake, 'SELECT api_operation, metadata_uid, raw, source_line, cloud_region FROM api_activity ORDER BY source_line');
      assert.deepEqual(stored.map((r) => [r.source_line, r.api_operation, r.metadata_uid, r.cloud_region]), records.map((r, i) => [i + 1, r.eventName, r.eventID, r.awsRegion]));
      assert.deepEqual(stored.map((r) => r.raw), lines);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });
});

describe('VPC Flow Logs: AWS documentation and Elastic fixtures', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([DOC_FLOWS, ELASTIC_FLOWS]);
  });
  after(() => lake?.close());

  async function flows(file: string): Promise<Row[]> {
    return rows(lake, `SELECT n.* EXCLUDE (dedup_key, source_file_id) FROM network_activity n JOIN ingested_files f ON f.file_id = n.source_file_id
      WHERE f.uri = $1 ORDER BY n.source_line`, [file]);
  }
  const doc = (name: string) => path.join(DOC_FLOWS, name);
  const elastic = (name: string) => path.join(ELASTIC_FLOWS, name);

  test('12 files: 41 records, one quarantined, the 5 lines the Elastic v2 file shares with the AWS doc are duplicates', () => {
    assert.deepEqual(summary.byType, { vpcflow: { files: 12, read: 41, stored: 35, duplicates: 5, quarantined: 1 } });
    assertSummaryInvariant(summary);
  });

  test('per-file records and the field order each file was read with', async () => {
    const files = await rows(lake, 'SELECT uri, status, records_read, quarantined, format FROM ingested_files ORDER BY uri');
    const byName = Object.fromEntries(files.map((f) => [path.basename(String(f.uri)), f]));
    const reads = Object.fromEntries(Object.entries(byName).map(([name, f]) => [name, [f.records_read, f.quarantined]]));
    assert.deepEqual(reads, {
      'custom_format_01.log': [4, 0], 'custom_format_02.log': [2, 0], 'custom_format_03.log': [2, 0], 'custom_format_04.log': [3, 1],
      'custom_format_05.log': [1, 0], 'custom_format_06.log': [1, 0], 'custom_format_07.log': [2, 0], 'v2_default_format.log': [7, 0],
      'test-extra-samples.log': [7, 0], 'test-tgw-samples.log': [10, 0], 'test-v5-all-fields.log': [1, 0], 'test-v8-samples.log': [1, 0],
    });
    assert.ok(files.every((f) => f.status === 'complete'));
    assert.equal(byName['v2_default_format.log']!.format, 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status');
    assert.equal(byName['custom_format_03.log']!.format, readFileSync(doc('custom_format_03.log'), 'utf8').split('\n')[0]);
    assert.equal(String(byName['test-v5-all-fields.log']!.format).split(' ').length, 29);
    assert.equal(String(byName['test-v8-samples.log']!.format).split(' ').at(-1), 'reject-reason');
    assert.match(String(byName['test-tgw-samples.log']!.format), /^version resource-type account-id tgw-id tgw-attachment-id /);
  });

  test('v2 default format (no header): mapped columns, epoch times, actions', async () => {
    const [accept, reject, nodata, skipdata, icmpIn, icmpOut, ipv6] = await flows(doc('v2_default_format.log'));
    const lines = readFileSync(doc('v2_default_format.log'), 'utf8').split('\n');
    assert.deepEqual(accept, {
      time: epoch(1418530010), start_time: epoch(1418530010), end_time: epoch(1418530070),
      activity_id: 6, type_uid: 400106, action: 'Allowed', action_id: 1, status_code: 'OK', metadata_product_version: 2,
      cloud_account_uid: '123456789010', cloud_region: null, cloud_zone: null,
      interface_uid: 'eni-1235b8ca123456789', instance_uid: null, vpc_uid: null, subnet_uid: null,
      src_endpoint_ip: '172.31.16.139', src_endpoint_port: 20641, src_endpoint_intermediate_ip: null, src_endpoint_svc_name: null,
      dst_endpoint_ip: '172.31.16.21', dst_endpoint_port: 22, dst_endpoint_intermediate_ip: null, dst_endpoint_svc_name: null,
      connection_info_protocol_num: 6, connection_info_protocol_ver: null, connection_info_tcp_flags: null,
      connection_info_direction: null, connection_info_direction_id: null, connection_info_boundary: null, connection_info_boundary_id: null,
      traffic_bytes: 4249, traffic_packets: 20, unmapped: null, source_line: 1, raw: lines[0],
    });
    assert.deepEqual([reject!.action, reject!.action_id, reject!.activity_id, reject!.type_uid, reject!.dst_endpoint_port], ['Denied', 2, 5, 400105, 3389]);
    for (const [row, status] of [[nodata!, 'NODATA'], [skipdata!, 'SKIPDATA']] as const) {
      assert.equal(row.status_code, status);
      assert.equal(row.src_endpoint_ip, null);
      assert.equal(row.dst_endpoint_ip, null);
      assert.equal(row.src_endpoint_port, null);
      assert.equal(row.traffic_bytes, null);
      assert.equal(row.action, null);
      assert.equal(row.activity_id, 0);
      assert.deepEqual(row.time, epoch(1431280876));
      assert.deepEqual(row.end_time, epoch(1431280934));
    }
    assert.equal(skipdata!.interface_uid, 'eni-11111111aaaaaaaaa');
    assert.deepEqual([icmpIn!.connection_info_protocol_num, icmpIn!.src_endpoint_port, icmpIn!.dst_endpoint_port, icmpIn!.action], [1, 0, 0, 'Allowed']);
    assert.deepEqual([icmpOut!.src_endpoint_ip, icmpOut!.action, icmpOut!.traffic_bytes], ['172.31.16.139', 'Denied', 336]);
    assert.equal(ipv6!.src_endpoint_ip, '2001:db8:1234:a100:8d6e:3477:df66:f105');
    assert.equal(ipv6!.dst_endpoint_ip, '2001:db8:1234:a102:3304:8879:34cf:4071');
    assert.deepEqual([ipv6!.traffic_packets, ipv6!.traffic_bytes, ipv6!.source_line], [54, 8855, 7]);
  });

  test('v3 custom formats with a header: header is not a record, a double space still parses', async () => {
    const f1 = await flows(doc('custom_format_01.log'));
    assert.deepEqual(f1.map((r) => r.source_line), [2, 3, 4, 5]);
    assert.deepEqual(
      f1.map((r) => [r.src_endpoint_ip, r.src_endpoint_port, r.dst_endpoint_ip, r.dst_endpoint_port, r.traffic_bytes, r.traffic_packets, r.connection_info_tcp_flags]),
      [
        ['52.213.180.42', 43416, '10.0.0.62', 5001, 568, 8, 2],
        ['10.0.0.62', 5001, '52.213.180.42', 43416, 376, 7, 18],
        ['52.213.180.42', 43418, '10.0.0.62', 5001, 100701, 70, 2],
        ['10.0.0.62', 5001, '52.213.180.42', 43418, 632, 12, 18],
      ],
    );
    const first = f1[0]!;
    assert.deepEqual(
      [first.vpc_uid, first.subnet_uid, first.instance_uid, first.interface_uid, first.cloud_account_uid, first.connection_info_protocol_ver, first.metadata_product_version],
      ['vpc-abcdefab012345678', 'subnet-aaaaaaaa012345678', 'i-01234567890123456', 'eni-1235b8ca123456789', '123456789010', 'IPv4', 3],
    );
    // pkt-srcaddr equal to srcaddr: no intermediate address.
    assert.ok(f1.every((r) => r.src_endpoint_intermediate_ip === null && r.dst_endpoint_intermediate_ip === null));
    assert.deepEqual(first.start_time, epoch(1566848875));
    assert.deepEqual(first.end_time, epoch(1566848933));

    const f3 = await flows(doc('custom_format_03.log'));
    assert.equal(f3.length, 2);
    const doubleSpaced = f3[1]!;
    assert.ok(String(doubleSpaced.raw).includes('43638  10.0.0.62'));
    assert.deepEqual(
      [doubleSpaced.src_endpoint_port, doubleSpaced.dst_endpoint_port, doubleSpaced.dst_endpoint_ip, doubleSpaced.connection_info_protocol_num, doubleSpaced.traffic_bytes, doubleSpaced.traffic_packets, doubleSpaced.connection_info_tcp_flags, doubleSpaced.status_code],
      [5001, 43638, '52.213.180.42', 6, 967, 14, 19, 'OK'],
    );
  });

  test("custom_format_04's literal '...' line is quarantined; the lines around it are stored", async () => {
    const q = await rows(lake, 'SELECT uri, source_type, source_line, location, reason, raw FROM quarantine');
    assert.deepEqual(q, [{ uri: doc('custom_format_04.log'), source_type: 'vpcflow', source_line: 3, location: 'line 3', reason: 'expected 17 fields, found 1', raw: '...' }]);
    const f4 = await flows(doc('custom_format_04.log'));
    assert.deepEqual(f4.map((r) => [r.source_line, r.src_endpoint_ip, r.dst_endpoint_port]), [[2, '10.20.33.164', 80], [4, '10.40.2.236', 39812]]);
    // This format has no start/end fields: no time.
    assert.ok(f4.every((r) => r.time === null && r.start_time === null));
  });

  test('NAT-ed traffic: pkt-srcaddr/pkt-dstaddr are the endpoints, srcaddr/dstaddr the intermediate hops', async () => {
    const [f5] = await flows(doc('custom_format_05.log'));
    assert.deepEqual(
      [f5!.src_endpoint_ip, f5!.src_endpoint_intermediate_ip, f5!.dst_endpoint_ip, f5!.dst_endpoint_intermediate_ip, f5!.instance_uid, f5!.interface_uid],
      ['10.20.33.164', '10.40.1.175', '10.40.2.236', null, null, 'eni-11111111111111111'],
    );
    const [f6] = await flows(doc('custom_format_06.log'));
    assert.deepEqual(
      [f6!.src_endpoint_ip, f6!.src_endpoint_intermediate_ip, f6!.dst_endpoint_ip, f6!.dst_endpoint_intermediate_ip, f6!.src_endpoint_port, f6!.dst_endpoint_port],
      ['10.40.2.236', null, '10.20.33.164', '10.40.2.31', 80, 39812],
    );
  });

  test('v5 custom format: flow-direction, traffic-path boundary, AWS service names, region and zone', async () => {
    const [inbound, outbound] = await flows(doc('custom_format_07.log'));
    assert.deepEqual(
      [inbound!.connection_info_direction, inbound!.connection_info_direction_id, inbound!.src_endpoint_svc_name, inbound!.dst_endpoint_svc_name, inbound!.connection_info_boundary, inbound!.connection_info_boundary_id],
      ['Inbound', 1, 'S3', null, null, null],
    );
    assert.deepEqual(
      [outbound!.connection_info_direction, outbound!.connection_info_direction_id, outbound!.src_endpoint_svc_name, outbound!.dst_endpoint_svc_name, outbound!.connection_info_boundary, outbound!.connection_info_boundary_id],
      ['Outbound', 2, null, 'S3', 'Internet Gateway', 11],
    );
    assert.deepEqual([inbound!.cloud_region, inbound!.cloud_zone, inbound!.metadata_product_version, inbound!.traffic_packets, inbound!.traffic_bytes], ['ap-southeast-2', 'apse2-az3', 5, 14, 15044]);
    assert.deepEqual(JSON.parse(String(inbound!.unmapped)), { 'sublocation-type': null, 'sublocation-id': null });
    assert.deepEqual(inbound!.time, epoch(1616729292));
  });

  test('v5 default order, all 29 fields, no header (Elastic)', async () => {
    const [row] = await flows(elastic('test-v5-all-fields.log'));
    assert.deepEqual(
      {
        src: [row!.src_endpoint_ip, row!.src_endpoint_port, row!.src_endpoint_intermediate_ip, row!.src_endpoint_svc_name],
        dst: [row!.dst_endpoint_ip, row!.dst_endpoint_port, row!.dst_endpoint_intermediate_ip, row!.dst_endpoint_svc_name],
        action: [row!.action, row!.activity_id, row!.status_code],
        connection: [row!.connection_info_protocol_num, row!.connection_info_protocol_ver, row!.connection_info_tcp_flags, row!.connection_info_direction, row!.connection_info_boundary, row!.connection_info_boundary_id],
        where: [row!.cloud_account_uid, row!.cloud_region, row!.cloud_zone, row!.vpc_uid, row!.subnet_uid, row!.instance_uid, row!.interface_uid],
        traffic: [row!.traffic_packets, row!.traffic_bytes],
      },
      {
        src: ['89.160.20.156', 50041, null, 'AMAZON'],
        dst: ['10.200.0.80', 33004, '10.200.0.0', 'CLOUDFRONT'],
        action: ['Denied', 5, 'OK'],
        connection: [17, 'IPv4', 1, 'Inbound', 'Same VPC', 4],
        where: ['64111117617', 'us-east-1', 'use1-az5', 'vpc-09676f97xxxxxb8a7', 'subnet-02d645xxxxxxxdbc0', 'i-0axxxxxx1ad77', 'eni-069xxxxxb7a490'],
        traffic: [52, 1],
      },
    );
    // The fixture's start (164000066) lacks a digit; it is kept as written.
    assert.deepEqual(row!.start_time, epoch(164000066));
    assert.deepEqual(row!.end_time, epoch(1640000297));
  });

  test('v8 with ECS fields (40, no header): ECS fields and reject-reason go to unmapped', async () => {
    const [row] = await flows(elastic('test-v8-samples.log'));
    const unmapped = JSON.parse(String(row!.unmapped)) as Json;
    assert.equal(unmapped['reject-reason'], 'BPA');
    assert.equal(unmapped['ecs-cluster-name'], 'backend-cluster');
    assert.equal(unmapped['ecs-cluster-arn'], 'arn:aws:ecs:us-east-1:000000000000:cluster/backend-cluster');
    assert.equal(unmapped['ecs-service-name'], 'payments-service');
    assert.equal(unmapped['ecs-task-id'], 'e504f037-35c');
    assert.equal(unmapped['ecs-container-id'], '601a6500-efa');
    assert.equal(Object.keys(unmapped).length, 13); // sublocation-type/-id, 10 ECS fields, reject-reason
    assert.deepEqual(
      [row!.src_endpoint_ip, row!.src_endpoint_port, row!.dst_endpoint_ip, row!.dst_endpoint_port, row!.action, row!.status_code, row!.connection_info_direction, row!.metadata_product_version, row!.cloud_account_uid],
      ['2a02:cf40::', 42910, '1.128.0.0', 80, 'Denied', 'NODATA', 'Inbound', 3, '000000000000'],
    );
    assert.deepEqual(row!.time, epoch(1755678754));
  });

  test('transit-gateway default order: tgw fields in unmapped, no action', async () => {
    const tgw = await flows(elastic('test-tgw-samples.log'));
    assert.equal(tgw.length, 10);
    const lines = readFileSync(elastic('test-tgw-samples.log'), 'utf8').split('\n').filter(Boolean);
    tgw.forEach((row, i) => {
      const tokens = lines[i]!.split(' ');
      const unmapped = JSON.parse(String(row.unmapped)) as Json;
      assert.equal(row.source_line, i + 1);
      assert.equal(unmapped['tgw-id'], 'tgw-0a12bc34de56f7890');
      assert.equal(unmapped['tgw-attachment-id'], tokens[4]);
      assert.equal(unmapped['tgw-src-vpc-id'], tokens[7]);
      assert.equal(unmapped['tgw-src-eni'], tokens[11]);
      assert.equal(row.src_endpoint_ip, tokens[16]);
      assert.equal(row.dst_endpoint_ip, tokens[17]);
      assert.equal(row.src_endpoint_port, Number(tokens[18]));
      assert.equal(row.dst_endpoint_port, Number(tokens[19]));
      assert.equal(row.connection_info_protocol_num, Number(tokens[20]));
      assert.equal(row.traffic_packets, Number(tokens[21]));
      assert.equal(row.traffic_bytes, Number(tokens[22]));
      assert.deepEqual(row.start_time, epoch(Number(tokens[23])));
      assert.equal(row.status_code, tokens[25]);
      assert.equal(row.cloud_account_uid, '748335378900');
      assert.equal(row.connection_info_direction, 'Inbound');
      assert.equal(row.action, null);
      assert.equal(row.activity_id, 0);
    });
    assert.equal(tgw[0]!.dst_endpoint_ip, '2a02:cf40::');
    assert.deepEqual(tgw.map((r) => r.status_code), ['SKIPDATA', 'NODATA', 'OK', 'SKIPDATA', 'SKIPDATA', 'SKIPDATA', 'OK', 'SKIPDATA', 'OK', 'SKIPDATA']);
  });

  test('the Elastic v2 samples: only its two lines the AWS doc lacks are new', async () => {
    const extra = await flows(elastic('test-extra-samples.log'));
    assert.deepEqual(extra.map((r) => [r.source_line, r.src_endpoint_ip, r.dst_endpoint_ip, r.action]), [
      [4, '78.24.182.42', '158.109.0.1', 'Allowed'],
      [5, '78.24.182.42', '158.109.0.1', 'Denied'],
    ]);
  });
});

describe('Route 53 Resolver query logs', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  const lines = jsonLines(readFileSync(ROUTE53_ELASTIC, 'utf8'));
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([ROUTE53_ELASTIC, ROUTE53_DOC]);
  });
  after(() => lake?.close());

  test('34 + 1 records stored', () => {
    assert.equal(lines.length, 34);
    assert.deepEqual(summary.byType, { route53: { files: 2, read: 35, stored: 35, duplicates: 0, quarantined: 0 } });
  });

  test('every Elastic record: name, type, rcode, answers, source, time', async () => {
    const stored = await rows(lake, `SELECT d.* FROM dns_activity d JOIN ingested_files f ON f.file_id = d.source_file_id WHERE f.uri = $1 ORDER BY source_line`, [ROUTE53_ELASTIC]);
    const rcodes: Record<string, number> = { NOERROR: 0, NXDOMAIN: 3, SERVFAIL: 2 };
    assert.equal(stored.length, 34);
    stored.forEach((row, i) => {
      const r = JSON.parse(lines[i]!) as Json;
      assert.equal(row.source_line, i + 1);
      assert.equal(row.raw, lines[i]);
      assert.equal(row.query_hostname, r.query_name);
      assert.equal(row.query_type, r.query_type);
      assert.equal(row.query_class, r.query_class);
      assert.equal(row.rcode, r.rcode);
      assert.equal(row.rcode_id, rcodes[r.rcode]);
      assert.deepEqual(JSON.parse(String(row.answers)), r.answers);
      assert.equal(row.src_endpoint_ip, r.srcaddr);
      assert.equal(row.src_endpoint_port, Number(r.srcport));
      assert.equal(row.src_endpoint_vpc_uid, r.vpc_id);
      assert.equal(row.src_endpoint_instance_uid, r.srcids?.instance ?? null);
      assert.equal(row.connection_info_protocol_name, r.transport);
      assert.equal(row.cloud_account_uid, r.account_id);
      assert.deepEqual(row.time, new Date(r.query_timestamp));
      assert.equal(row.activity_id, 6);
      assert.equal(row.type_uid, 400306);
    });
    // Names keep the trailing dot the resolver logs (one Elastic record, a reverse-IPv6 name, was written without it).
    assert.equal(stored.filter((r) => String(r.query_hostname).endsWith('.')).length, 33);
    const nx = stored.filter((r) => r.rcode === 'NXDOMAIN');
    assert.equal(nx.length, 11);
    assert.ok(nx.every((r) => r.rcode_id === 3 && r.answers === '[]'));
  });

  test('NXDOMAIN lookup, first line', async () => {
    const row = await one(lake, 'SELECT * FROM dns_activity WHERE source_line = 1 AND query_type = $1', ['A']);
    assert.deepEqual(
      [row.query_hostname, row.rcode, row.rcode_id, row.answers, row.src_endpoint_port, row.src_endpoint_instance_uid, row.action, row.disposition],
      ['does-not-exist.abc.com.', 'NXDOMAIN', 3, '[]', 48701, null, null, null],
    );
    assert.deepEqual(row.time, new Date('2021-12-11T22:46:23Z'));
  });

  test('DNS Firewall BLOCK: Denied / Blocked, with rule group, domain list and instance', async () => {
    const blocked = await rows(lake, "SELECT d.*, f.uri FROM dns_activity d JOIN ingested_files f ON f.file_id = d.source_file_id WHERE action IS NOT NULL ORDER BY f.uri");
    assert.equal(blocked.length, 2);
    const [doc, elastic] = blocked;
    for (const row of blocked) {
      assert.deepEqual(
        [row.action, row.action_id, row.disposition, row.firewall_rule_uid, row.firewall_domain_list_id, row.src_endpoint_instance_uid, row.query_type, row.rcode, row.rcode_id, row.src_endpoint_port],
        ['Denied', 2, 'Blocked', 'rslvr-frg-01234567890abcdef', 'rslvr-fdl-01234567890abcdef', 'i-0d15cd0d3example', 'PTR', 'NOERROR', 0, 56067],
      );
      assert.deepEqual(JSON.parse(String(row.answers)), [{ Rdata: '203.0.113.9', Type: 'PTR', Class: 'IN' }]);
    }
    assert.equal(doc!.uri, ROUTE53_DOC);
    assert.equal(doc!.query_hostname, '15.3.4.32.in-addr.arpa.');
    assert.equal(doc!.src_endpoint_ip, '4.5.64.102');
    assert.equal(doc!.cloud_account_uid, '111122223333');
    assert.equal(doc!.src_endpoint_vpc_uid, 'vpc-7example');
    assert.equal(doc!.source_line, 1);
    assert.equal(doc!.raw, readFileSync(ROUTE53_DOC, 'utf8').trim());
    assert.equal(elastic!.source_line, 33);
    assert.equal(elastic!.query_hostname, '15.199.16.175.in-addr.arpa.');
  });

  test("Panther's Route 53 test records: space-separated times and a lone answer object are read; a string answer is quarantined", async () => {
    const cases = gunzipSync(readFileSync(dataset('panther_rule_tests/vpcdns_tests.jsonl.gz')))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { log: Json }).log)
      .filter((log) => typeof log.query_name === 'string')
      .map((log) => Object.fromEntries(Object.entries(log).filter(([key]) => !key.startsWith('p_'))));
    const scratch = scratchDir();
    const file = path.join(scratch.dir, 'panther-vpcdns.log');
    const broken = { ...cases[0], query_name: 'broken.example.com', answers: 'A 1.2.3.4' };
    writeFileSync(file, [...cases, broken].map((log) => JSON.stringify(log)).join('\n') + '\n');
    const panther = await tempLake();
    try {
      const summary = await panther.ingest([file]);
      assert.deepEqual(summary.byType.route53, { files: 1, read: cases.length + 1, stored: cases.length, duplicates: 0, quarantined: 1 });
      assert.equal((await one(panther, 'SELECT reason FROM quarantine')).reason, 'field answers: expected an array, found a string');
      const lone = await one(panther, "SELECT answers, time FROM dns_activity WHERE query_hostname = 'moneropool.ru' LIMIT 1");
      assert.deepEqual(JSON.parse(String(lone.answers)), [{ Class: 'IN', Rdata: '1.2.3.4', Type: 'A' }]);
      assert.deepEqual(lone.time, new Date('2022-06-25T00:27:53Z'));
    } finally {
      panther.close();
      scratch.cleanup();
    }
  });
});

describe('GuardDuty findings (Elastic fixture, GetFindings shape)', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  const lines = jsonLines(readFileSync(GUARDDUTY, 'utf8'));
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([GUARDDUTY]);
  });
  after(() => lake?.close());

  test('5 findings stored; the trailing {"findings":[]} line holds none', () => {
    assert.equal(lines.length, 6);
    assert.equal(lines[5], '{"findings":[]}');
    assert.deepEqual(summary.byType, { guardduty: { files: 1, read: 5, stored: 5, duplicates: 0, quarantined: 0 } });
  });

  test('each finding: id, type, severity label from the score, count, first/last seen', async () => {
    const label = (score: number) => (score >= 9 ? 'Critical' : score >= 7 ? 'High' : score >= 4 ? 'Medium' : 'Low');
    const stored = await rows(lake, 'SELECT * FROM detection_finding ORDER BY source_line');
    assert.equal(stored.length, 5);
    stored.forEach((row, i) => {
      const f = JSON.parse(lines[i]!) as Json;
      assert.equal(row.source_line, i + 1);
      assert.equal(row.raw, lines[i]);
      assert.equal(row.finding_uid, f.id);
      assert.equal(row.finding_info_uid, f.arn);
      assert.equal(row.finding_type, f.type);
      assert.equal(row.finding_info_title, f.title);
      assert.equal(row.severity_score, f.severity);
      assert.equal(row.severity, label(f.severity));
      assert.equal(row.count, f.service.count);
      assert.equal(row.archived, f.service.archived);
      assert.deepEqual(row.first_seen_time, new Date(f.service.eventFirstSeen));
      assert.deepEqual(row.last_seen_time, new Date(f.service.eventLastSeen));
      assert.deepEqual(row.created_time, new Date(f.createdAt));
      assert.deepEqual(row.modified_time, new Date(f.updatedAt));
      assert.deepEqual(row.time, new Date(f.updatedAt));
      assert.equal(row.resource_type, f.resource.resourceType);
      assert.equal(row.cloud_account_uid, f.accountId);
      assert.equal(row.cloud_region, f.region);
      assert.equal(row.metadata_product_name, 'GuardDuty');
    });
    assert.deepEqual(stored.map((r) => [r.finding_type, r.severity, r.severity_id]), [
      ['Trojan:EC2/BlackholeTraffic!DNS', 'Medium', 3],
      ['Persistence:Kubernetes/SuccessfulAnonymousAccess', 'High', 4],
      ['Discovery:Kubernetes/TorIPCaller', 'Medium', 3],
      ['CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin', 'High', 4],
      ['PrivilegeEscalation:Runtime/DockerSocketAccessed', 'Medium', 3],
    ]);
    assert.deepEqual(stored.map((r) => r.count), [2, 2, 2, 1, 9]);
  });

  test('the same findings as the AWS CLI prints them ({"Findings":[…]}, PascalCase) give the same columns', async () => {
    const pascal = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(pascal)
        : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), pascal(v)]))
          : value;
    const findings = lines.slice(0, 5).map((line) => pascal(JSON.parse(line)));
    const scratch = scratchDir();
    const cli = await tempLake();
    try {
      const file = path.join(scratch.dir, 'get-findings.json');
      writeFileSync(file, JSON.stringify({ Findings: findings }, null, 2));
      const result = await cli.ingest([file]);
      assert.deepEqual(result.byType, { guardduty: { files: 1, read: 5, stored: 5, duplicates: 0, quarantined: 0 } });
      const columns = 'SELECT * EXCLUDE (raw, source_line, source_file_id) FROM detection_finding ORDER BY finding_uid';
      assert.deepEqual(await rows(cli, columns), await rows(lake, columns));
      const stored = await rows(cli, 'SELECT raw FROM detection_finding ORDER BY source_line');
      assert.deepEqual(stored.map((r) => JSON.parse(String(r.raw))), findings);
    } finally {
      cli.close();
      scratch.cleanup();
    }
  });
});

describe('the whole datasets tree in one run', () => {
  let lake: TestLake;
  let summary: IngestSummary;
  before(async () => {
    lake = await tempLake();
    summary = await lake.ingest([DATASETS]);
  });
  after(() => lake?.close());

  const SKIPPED = [
    'README.md', 'aws_docs_format_examples/SOURCE.md', 'aws_docs_format_examples/manifest.json',
    ...[1, 2, 3, 4, 5].map((n) => `aws_docs_format_examples/securityhub_asff/sample-control-findings_0${n}.json`),
    'aws_docs_format_examples/securityhub_asff/securityhub-integration_01.json',
    'elastic_integration_fixtures/SOURCE.md',
    'otrf_aws_cloud_breach_s3/AWS_S3_HoneyBucketLogs.csv.gz', 'otrf_aws_cloud_breach_s3/SDAWS-200914011940.yaml',
    'otrf_aws_cloud_breach_s3/SDAWS-2202181000.yaml', 'otrf_aws_cloud_breach_s3/SOURCE.md', 'otrf_aws_cloud_breach_s3/labels.jsonl.gz',
    'panther_rule_tests/SOURCE.md', 'panther_rule_tests/index.json',
    ...['cloudtrail', 'guardduty', 's3_access', 'securityhub_asff', 'vpcdns', 'vpcflow'].map((f) => `panther_rule_tests/${f}_tests.jsonl.gz`),
    'stratus_detonation_logs/SOURCE.md', 'stratus_detonation_logs/labels.json',
  ].map((p) => path.join(DATASETS, p)).sort();

  test('non-log files are skipped, each with a warning naming it', async () => {
    assert.equal(summary.filesSkipped, SKIPPED.length);
    const skipped = await rows(lake, "SELECT uri, note FROM ingested_files WHERE status = 'skipped' ORDER BY uri");
    assert.deepEqual(skipped.map((r) => r.uri), SKIPPED);
    assert.ok(skipped.every((r) => /^(not a recognised log format|JSON that is not CloudTrail|Security Hub ASFF findings)/.test(String(r.note))));
    assert.deepEqual(summary.warnings.slice().sort(), skipped.map((r) => `skipped ${r.uri}: ${r.note}`).sort());
  });

  test('read = stored + duplicates + quarantined, overall and per type', async () => {
    assertSummaryInvariant(summary);
    assert.equal(summary.files, 40);
    assert.deepEqual(Object.keys(summary.byType).sort(), ['cloudtrail', 'guardduty', 'route53', 'vpcflow']);
    assert.deepEqual(
      Object.fromEntries(Object.entries(summary.byType).map(([t, c]) => [t, [c!.files, c!.read, c!.quarantined]])),
      { cloudtrail: [25, 574, 0], vpcflow: [12, 41, 1], route53: [2, 35, 0], guardduty: [1, 5, 0] },
    );
    const lakeRows = await lake.count(`SELECT (SELECT count(*) FROM api_activity) + (SELECT count(*) FROM network_activity)
      + (SELECT count(*) FROM dns_activity) + (SELECT count(*) FROM detection_finding)`);
    assert.equal(lakeRows, summary.stored);
    assert.equal(await lake.count('SELECT count(*) FROM quarantine'), summary.quarantined);
  });

  test('ingested_files: every file complete or skipped, its counts adding up to the run', async () => {
    const files = await rows(lake, 'SELECT status, count(*) AS n, sum(records_read) AS read, sum(quarantined) AS quarantined FROM ingested_files GROUP BY 1 ORDER BY 1');
    assert.deepEqual(files, [
      { status: 'complete', n: summary.files, read: summary.read, quarantined: summary.quarantined },
      { status: 'skipped', n: summary.filesSkipped, read: 0, quarantined: 0 },
    ]);
    assert.equal(await lake.count("SELECT count(*) FROM ingested_files WHERE status = 'complete' AND (source_type IS NULL OR completed_at IS NULL)"), 0);
    const runs = await rows(lake, 'SELECT files, files_skipped, records_read, stored, duplicates, quarantined FROM ingest_runs');
    assert.deepEqual(runs, [{ files: summary.files, files_skipped: summary.filesSkipped, records_read: summary.read, stored: summary.stored, duplicates: summary.duplicates, quarantined: summary.quarantined }]);
  });

  test('a second run reads nothing again', async () => {
    const again = await lake.ingest([DATASETS]);
    assert.equal(again.filesUnchanged, summary.files + summary.filesSkipped);
    assert.deepEqual([again.files, again.read, again.stored, again.quarantined, again.warnings.length], [0, 0, 0, 0, 0]);
  });

  test(
    'each CloudTrail event is stored once, though the labelled Stratus file and the per-technique files share a batch',
    async () => {
      // Once per eventID and time: the AWS guide's examples reuse one eventID at two times (two events).
      assert.equal(await lake.count('SELECT count(*) - count(DISTINCT (metadata_uid, time)) FROM api_activity WHERE metadata_uid IS NOT NULL'), 0);
      assert.equal(summary.byType.cloudtrail!.stored, 574 - 2 - 226);
    },
  );
});

describe('gzip and plain files give identical rows', () => {
  async function compare(source: string, name: string, table: string): Promise<void> {
    const scratch = scratchDir();
    const plainLake = await tempLake();
    const gzipLake = await tempLake();
    try {
      const text = source.endsWith('.gz') ? gunzipSync(readFileSync(source)) : readFileSync(source);
      const plainFile = path.join(scratch.dir, name);
      const gzFile = path.join(scratch.dir, `${name}.gz`);
      writeFileSync(plainFile, text);
      writeFileSync(gzFile, gzipSync(text));
      const a = await plainLake.ingest([plainFile]);
      const b = await gzipLake.ingest([gzFile]);
      assert.deepEqual(b.byType, a.byType);
      assert.ok(a.stored > 0);
      const sql = `SELECT * EXCLUDE (source_file_id) FROM ${table} ORDER BY dedup_key`;
      const plainRows = await rows(plainLake, sql);
      const gzipRows = await rows(gzipLake, sql);
      assert.equal(plainRows.length, a.stored);
      assert.deepEqual(gzipRows.map((r) => r.dedup_key), plainRows.map((r) => r.dedup_key));
      assert.deepEqual(gzipRows, plainRows);
    } finally {
      plainLake.close();
      gzipLake.close();
      scratch.cleanup();
    }
  }

  test('a pretty-printed CloudTrail array', () => compare(path.join(STRATUS_LOGS, 'aws.execution.ssm-send-command.json'), 'ssm-send-command.json', 'api_activity'));
  test('CloudTrail JSON lines (OTRF)', () => compare(OTRF, 'otrf.jsonl', 'api_activity'));
  test('a flow log with a header', () => compare(path.join(DOC_FLOWS, 'custom_format_01.log'), 'flow.log', 'network_activity'));
});

describe('records of both shapes in one file, decided record by record (issue 2 audit)', () => {
  const STRATUS_USER = path.join(STRATUS_LOGS, 'aws.persistence.iam-create-admin-user.json');
  const wrapCloudTrail = (detail: Json) => JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', time: detail.eventTime, region: 'eu-west-3', resources: [], detail });

  /** Ingests files written into a scratch directory; returns the summary of one run over all of them. */
  async function ingestFiles(lake: TestLake, dir: string, files: Record<string, string[]>): Promise<IngestSummary> {
    const paths = Object.entries(files).map(([name, content]) => {
      const file = path.join(dir, name);
      writeFileSync(file, `${content.join('\n')}\n`);
      return file;
    });
    const summary = await lake.ingest(paths);
    assertSummaryInvariant(summary);
    return summary;
  }

  test('CloudTrail: wrapped first or bare first, every event stored with its own columns; the other file all duplicates', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const records = JSON.parse(readFileSync(STRATUS_USER, 'utf8')) as Json[];
      const wrappedFirst = [wrapCloudTrail(records[0]!), JSON.stringify(records[1]), wrapCloudTrail(records[2]!)];
      const first = await ingestFiles(lake, scratch.dir, { 'wrapped-first.jsonl': wrappedFirst });
      assert.deepEqual(first.byType, { cloudtrail: { files: 1, read: 3, stored: 3, duplicates: 0, quarantined: 0 } });
      const stored = await rows(lake, 'SELECT source_line, api_operation, metadata_uid, cloud_region, time FROM api_activity ORDER BY source_line');
      assert.deepEqual(
        stored.map((r) => [r.source_line, r.api_operation, r.metadata_uid, r.cloud_region, (r.time as Date).toISOString()]),
        records.map((r, i) => [i + 1, r.eventName, r.eventID, r.awsRegion, new Date(r.eventTime).toISOString()]),
      );
      // The same events, bare first: every one known already.
      const bareFirst = [JSON.stringify(records[0]), wrapCloudTrail(records[1]!), JSON.stringify(records[2])];
      const second = await ingestFiles(lake, scratch.dir, { 'bare-first.jsonl': bareFirst });
      assert.deepEqual(second.byType, { cloudtrail: { files: 1, read: 3, stored: 0, duplicates: 3, quarantined: 0 } });
      assert.equal(await lake.count('SELECT count(*) FROM quarantine'), 0);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });

  test('GuardDuty and Route 53: a bare record and a wrapped one in the same file are both stored', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const [bare, inner] = jsonLines(readFileSync(GUARDDUTY, 'utf8')).map((line) => JSON.parse(line) as Json);
      const wrappedFinding = JSON.stringify({ version: '0', id: 'envelope-id', 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', region: 'us-east-1', resources: [], detail: inner });
      const [query, other] = jsonLines(readFileSync(ROUTE53_ELASTIC, 'utf8'));
      const summary = await ingestFiles(lake, scratch.dir, {
        'findings.jsonl': [JSON.stringify(bare), wrappedFinding],
        'queries.jsonl': [query!, JSON.stringify({ label: 'benign', event: JSON.parse(other!) })],
      });
      assert.deepEqual(summary.byType.guardduty, { files: 1, read: 2, stored: 2, duplicates: 0, quarantined: 0 });
      assert.deepEqual(summary.byType.route53, { files: 1, read: 2, stored: 2, duplicates: 0, quarantined: 0 });
      const findings = await rows(lake, 'SELECT finding_uid, finding_type FROM detection_finding ORDER BY source_line');
      assert.deepEqual(findings.map((r) => [r.finding_uid, r.finding_type]), [[bare!.id, bare!.type], [inner!.id, inner!.type]]);
      const queries = await rows(lake, 'SELECT query_hostname FROM dns_activity ORDER BY source_line');
      assert.deepEqual(queries.map((r) => r.query_hostname), [JSON.parse(query!).query_name, JSON.parse(other!).query_name]);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });

  test('GuardDuty: one update with its time spelt …00Z and …00.000Z is stored once; a later update is stored', async () => {
    const scratch = scratchDir();
    const lake = await tempLake();
    try {
      const finding = JSON.parse(jsonLines(readFileSync(GUARDDUTY, 'utf8'))[0]!) as Json;
      const at = (updatedAt: string) => JSON.stringify({ ...finding, updatedAt });
      const summary = await ingestFiles(lake, scratch.dir, {
        'findings.jsonl': [at('2024-05-01T10:00:00.000Z'), at('2024-05-01T10:00:00Z'), at('2024-05-01T10:00:01.000Z')],
      });
      assert.deepEqual(summary.byType.guardduty, { files: 1, read: 3, stored: 2, duplicates: 1, quarantined: 0 });
      const stored = await rows(lake, 'SELECT source_line, modified_time FROM detection_finding ORDER BY source_line');
      assert.deepEqual(stored.map((r) => [r.source_line, (r.modified_time as Date).toISOString()]), [[1, '2024-05-01T10:00:00.000Z'], [3, '2024-05-01T10:00:01.000Z']]);
    } finally {
      lake.close();
      scratch.cleanup();
    }
  });
});
