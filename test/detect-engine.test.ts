import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, identityCenterSignIn, identityCenterUser, instanceRole, root } from '../src/detect/case-builders.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { datasetRecords } from '../src/detect/dataset-records.js';
import { type ApiEvent, NAMELESS_TYPES } from '../src/detect/api-event.js';
import type { ApiDetection, CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { apiEvents, apiWatermark } from '../src/detect/lake-events.js';
import { rowRange } from '../src/detect/lake-rows.js';
import { timeSlices } from '../src/detect/time-slices.js';
import { pentestUserAgent } from '../src/detect/cloudtrail/pentest-user-agent.js';
import { rootCredentialUsage } from '../src/detect/cloudtrail/root-credential-usage.js';
import { matchesCriteria, parseCriteria } from '../src/findings/criteria.js';
import { addFilter, removeFilter, updateFilter } from '../src/findings/filters.js';
import { queryFindings, setArchived } from '../src/findings/store.js';
import { partitionOf } from '../src/findings/build.js';
import { toAsff } from '../src/findings/export/asff.js';
import { toOcsf } from '../src/findings/export/ocsf.js';
import { s3PublicAccess } from '../src/detect/cloudtrail/s3-public-access.js';
import { staticIntel } from '../src/intel/static.js';
import { runCase } from '../src/detect/cases.js';
import { DETECTIONS } from '../src/detect/registry.js';
import { INCIDENTS } from '../src/simulate/incidents.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-detect-');
after(() => scratch.cleanup());

let fileCount = 0;
function writeRecords(records: CloudTrailRecord[]): string {
  const file = path.join(scratch.dir, `events-${++fileCount}.json`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

const intel = staticIntel({});
const rootCall = (time: string, ip = '203.0.113.9') =>
  ctEvent({ service: 'iam', name: 'ListUsers', identity: root(), time, ip });

describe('events read from the lake', () => {
  let lake: TestLake;
  before(async () => {
    lake = await tempLake();
  });
  after(() => lake.close());

  test('match the events built from the same raw records, field for field', async () => {
    const records = [
      ...datasetRecords({ stratus: 'aws.credential-access.ec2-steal-instance-credentials' }),
      ...datasetRecords({ stratus: 'aws.persistence.iam-create-admin-user' }),
      ...datasetRecords({ otrf: 'all' }),
      ...datasetRecords({ panther: 'AWS.Console.RootLogin', test: 'Successful Root Login' }),
      // IAM Identity Center callers, named by onBehalfOf: in both the current and the pre-July-2025 shape.
      identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:00:00Z', 'PASSWORD,TOTP'),
      identityCenterSignIn(identityCenterUser('erin', { before2025: true }), 'erin', '2025-03-02T09:00:00Z', 'PASSWORD'),
    ];
    await lake.ingest([writeRecords(records)]);
    const fromLake = [];
    for await (const chunk of apiEvents(lake.lake, -1, await apiWatermark(lake.lake.connection))) fromLake.push(...chunk);
    assert.equal(fromLake.length, records.length);
    const byUid = new Map(records.map((r, i) => [String(r.eventID), apiEventFromRecord(r, null, i + 1)]));
    const normalized = (value: unknown) => (typeof value === 'string' && /^[{[]/.test(value) ? JSON.parse(value) : value);
    for (const event of fromLake) {
      const expected = byUid.get(String(event.uid));
      assert.ok(expected, `event ${event.uid} not in the input`);
      for (const field of ['time', 'accountId', 'region', 'service', 'api', 'errorCode', 'failed', 'readOnly', 'managementEvent', 'eventType', 'sourceIp', 'sourceHost', 'vpcEndpointId', 'userAgent'] as const) {
        assert.deepEqual(event[field], expected[field], `${field} of ${event.uid}`);
      }
      assert.deepEqual(event.actor, expected.actor, `actor of ${event.uid}`);
      for (const field of ['requestText', 'responseText', 'additionalText'] as const) {
        assert.deepEqual(normalized(event[field]), normalized(expected[field]), `${field} of ${event.uid}`);
      }
      // The whole userIdentity is read for root (root-credential-usage needs sessionContext.assumedRoot) and for
      // callers its columns do not name (onBehalfOf); not for the others.
      const readWhole = event.actor.type === 'Root' || NAMELESS_TYPES.has(event.actor.type ?? '');
      assert.deepEqual(event.identity, readWhole ? expected.identity : null, `identity of ${event.uid}`);
      assert.equal(event.principalKey, expected.principalKey, `principal of ${event.uid}`);
    }
    // More distinct callers than the reader holds at once: each event carries its own, with the same result.
    const unshared = [];
    for await (const chunk of apiEvents(lake.lake, -1, await apiWatermark(lake.lake.connection), 'true', { sharedLimit: 1 })) unshared.push(...chunk);
    // Without the payloads each event parsed lazily when the checks above read them.
    const fields = (events: ApiEvent[]) => events.map((event) => ({ ...event, parsed: undefined }));
    assert.deepEqual(fields(unshared), fields(fromLake));
    // Cut into time slices of a few events, read on two connections in turn: the same events in the same order.
    const mark = await apiWatermark(lake.lake.connection);
    const slices = await timeSlices(lake.lake.connection, 'api_activity', rowRange(-1, mark), { rows: 25 });
    assert.ok(slices.length > 3, `${fromLake.length} events in ${slices.length} slices: ${slices.map((slice) => slice.condition).join(' | ')}`);
    const sliced = [];
    for await (const chunk of apiEvents(lake.lake, -1, mark, 'true', { sliceRows: 25 })) sliced.push(...chunk);
    assert.deepEqual(fields(sliced), fields(fromLake));
  });
});

describe('root sessions read from the lake', () => {
  test('a root call made with sts:AssumeRoot credentials is told apart by the identity read for root', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([
        writeRecords([
          ctEvent({ service: 's3', name: 'DeleteBucketPolicy', identity: root(undefined, { assumedRoot: true }), time: '2026-11-02T10:00:00Z', request: { bucketName: 'locked-bucket' } }),
          rootCall('2026-11-02T10:05:00Z'),
        ]),
      ]);
      const summary = await runDetections(lake.lake, { intel, detections: [rootCredentialUsage] });
      assert.deepEqual(summary.findings.map((f) => f.type).sort(), ['Policy:IAMUser/RootCredentialUsage', 'Policy:IAMUser/ShortTermRootCredentialUsage']);
    } finally {
      lake.close();
    }
  });
});

describe('events whose text holds the field separator', () => {
  test('are read field by field, the separator shown as ␟', async () => {
    const lake = await tempLake();
    try {
      const agent = 'curl/8.0 \u001f\u001e odd';
      await lake.ingest([writeRecords([ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('odd'), time: '2026-11-02T10:00:00Z', userAgent: agent })])]);
      const events = [];
      for await (const chunk of apiEvents(lake.lake, -1, await apiWatermark(lake.lake.connection))) events.push(...chunk);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.userAgent, 'curl/8.0 \u241f\u001e odd');
      assert.equal(events[0]!.actor.userName, 'odd');
    } finally {
      lake.close();
    }
  });
});

describe('runDetections', () => {
  let lake: TestLake;
  before(async () => {
    lake = await tempLake();
  });
  after(() => lake.close());

  test('raises a finding once per resource, and a repeat updates its count and last-seen time', async () => {
    await lake.ingest([writeRecords([rootCall('2026-11-02T10:00:00Z'), rootCall('2026-11-02T10:05:00Z'), ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('alice'), time: '2026-11-02T10:06:00Z' })])]);
    const first = await runDetections(lake.lake, { intel });
    assert.equal(first.events, 3);
    assert.equal(first.created, 1);
    assert.equal(first.findings.length, 1);
    const [finding] = first.findings;
    assert.equal(finding!.type, 'Policy:IAMUser/RootCredentialUsage');
    assert.equal(finding!.service.count, 2);
    assert.equal(finding!.service.eventFirstSeen, '2026-11-02T10:00:00Z');
    assert.equal(finding!.service.eventLastSeen, '2026-11-02T10:05:00Z');
    assert.match(finding!.id, /^[0-9a-f]{32}$/);
    assert.match(finding!.arn, new RegExp(`^arn:aws:guardduty:us-east-1:111122223333:detector/[0-9a-f]{32}/finding/${finding!.id}$`));

    const nothingNew = await runDetections(lake.lake, { intel });
    assert.equal(nothingNew.events, 0);
    assert.equal(nothingNew.findings.length, 0);

    await lake.ingest([writeRecords([rootCall('2026-11-03T08:00:00Z', '198.51.100.77')])]);
    const repeat = await runDetections(lake.lake, { intel });
    assert.equal(repeat.events, 1);
    assert.equal(repeat.created, 0);
    assert.equal(repeat.updated, 1);
    const [updated] = repeat.findings;
    assert.equal(updated!.id, finding!.id);
    assert.equal(updated!.service.count, 3);
    assert.equal(updated!.service.eventFirstSeen, '2026-11-02T10:00:00Z');
    assert.equal(updated!.service.eventLastSeen, '2026-11-03T08:00:00Z');
    assert.equal(updated!.createdAt, finding!.createdAt);
    // GuardDuty keeps the latest occurrence's details.
    assert.equal(updated!.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4, '198.51.100.77');
    assert.equal(await lake.count(`SELECT count(*) FROM finding_evidence WHERE finding_id = '${finding!.id}'`), 3);
  });

  test('an instance-role finding carries ec2RoleDelivery and sourceIdentity from the stored event, and filters on them match', async () => {
    const identity = instanceRole('web-role', 'i-0abc1234def567890');
    (identity.sessionContext as Record<string, unknown>).sourceIdentity = 'deploy-bot';
    const kali = 'aws-cli/2.13.4 Python/3.11.4 Linux/6.3.0-kali1-amd64 exe/x86_64.kali.2023 prompt/off command/sts.get-caller-identity';
    const fresh = await tempLake();
    try {
      await fresh.ingest([writeRecords([ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity, time: '2026-11-02T11:00:00Z', ip: '203.0.113.40', userAgent: kali })])]);
      const run = await runDetections(fresh.lake, { intel, detections: [pentestUserAgent] });
      const [finding] = run.findings;
      assert.equal(finding?.type, 'PenTest:IAMUser/KaliLinux');
      const context = finding!.resource.accessKeyDetails?.userIdentity?.sessionContext;
      assert.equal(context?.ec2RoleDelivery, '2.0');
      assert.equal(context?.sourceIdentity, 'deploy-bot');
      // An empty webIdFederationData, as CloudTrail writes for other sessions, is left out.
      assert.equal(context?.webIdFederationData, undefined);
      assert.equal(context?.sessionIssuer?.userName, 'web-role');
      const criteria = parseCriteria({ criterion: { 'resource.accessKeyDetails.userIdentity.sessionContext.ec2RoleDelivery': { eq: ['2.0'] } } });
      assert.equal(matchesCriteria(finding!, criteria), true);
    } finally {
      fresh.close();
    }
  });

  test('a finding archived by hand comes back when the activity recurs', async () => {
    const [stored] = await queryFindings(lake.lake.connection, {});
    assert.equal(await setArchived(lake.lake.connection, [stored!.id], true), 1);
    assert.equal((await queryFindings(lake.lake.connection, { archived: false })).length, 0);
    await lake.ingest([writeRecords([rootCall('2026-11-04T08:00:00Z')])]);
    const run = await runDetections(lake.lake, { intel });
    assert.equal(run.findings.length, 1);
    assert.equal(run.findings[0]!.service.archived, false);
  });

  test('a suppression rule archives new occurrences, which are stored but not published', async () => {
    await addFilter(lake.lake.connection, {
      name: 'root-is-expected',
      action: 'ARCHIVE',
      findingCriteria: { criterion: { type: { equals: ['Policy:IAMUser/RootCredentialUsage'] } } },
    });
    await lake.ingest([writeRecords([rootCall('2026-11-05T08:00:00Z')])]);
    const run = await runDetections(lake.lake, { intel });
    assert.equal(run.suppressed, 1);
    assert.equal(run.findings.length, 0);
    const [archived] = await queryFindings(lake.lake.connection, { archived: true });
    assert.equal(archived!.service.archived, true);
    assert.equal(archived!.service.count, 5);
  });
});

describe('a suppression rule archives new occurrences only while it exists and is an ARCHIVE rule', () => {
  const ROOT_USAGE = 'Policy:IAMUser/RootCredentialUsage';
  const rule = { name: 'root-is-expected', action: 'ARCHIVE' as const, findingCriteria: { criterion: { type: { equals: [ROOT_USAGE] } } } };
  const ways: [string, (connection: DuckDBConnection) => Promise<unknown>][] = [
    ['removed', (connection) => removeFilter(connection, rule.name)],
    ['switched to NOOP', (connection) => updateFilter(connection, rule.name, { action: 'NOOP' })],
    ['narrowed so it no longer matches', (connection) => updateFilter(connection, rule.name, { findingCriteria: { criterion: { type: { equals: ['Recon:EC2/Portscan'] } } } })],
  ];
  for (const [how, undo] of ways) {
    test(`${how}: its findings stay archived until they recur, then are current and published`, async () => {
      const lake = await tempLake();
      try {
        const connection = lake.lake.connection;
        await addFilter(connection, rule);
        await lake.ingest([writeRecords([rootCall('2026-11-02T10:00:00Z')])]);
        const suppressed = await runDetections(lake.lake, { intel, detections: [rootCredentialUsage] });
        assert.deepEqual([suppressed.suppressed, suppressed.findings.length], [1, 0]);

        await undo(connection);
        // GuardDuty does not unarchive when a rule goes: the archived finding stays as it is…
        assert.equal((await queryFindings(connection, { archived: true })).length, 1);
        // …and its next occurrence is no longer the rule's to archive.
        await lake.ingest([writeRecords([rootCall('2026-11-03T10:00:00Z')])]);
        const recurred = await runDetections(lake.lake, { intel, detections: [rootCredentialUsage] });
        assert.deepEqual([recurred.suppressed, recurred.updated], [0, 1]);
        assert.deepEqual(recurred.findings.map((f) => [f.type, f.service.archived, f.service.count]), [[ROOT_USAGE, false, 2]]);
        assert.equal((await queryFindings(connection, { archived: true })).length, 0);
        assert.equal(await lake.count(`SELECT count(*) FROM findings WHERE archived_by IS NOT NULL`), 0);
      } finally {
        lake.close();
      }
    });
  }

  test('while the rule is there, a recurring finding stays archived', async () => {
    const lake = await tempLake();
    try {
      await addFilter(lake.lake.connection, rule);
      for (const day of ['02', '03']) {
        await lake.ingest([writeRecords([rootCall(`2026-11-${day}T10:00:00Z`)])]);
        const run = await runDetections(lake.lake, { intel, detections: [rootCredentialUsage] });
        assert.deepEqual([run.suppressed, run.findings.length], [1, 0], `day ${day}`);
      }
      assert.deepEqual((await lake.rows('SELECT archived_by, count FROM findings')).map((r) => [r.archived_by, Number(r.count)]), [[rule.name, 2]]);
    } finally {
      lake.close();
    }
  });
});

describe('partition', () => {
  test('follows the region: China, GovCloud and ISO regions have their own, every other region is aws', () => {
    assert.equal(partitionOf('us-east-1'), 'aws');
    assert.equal(partitionOf('eu-central-2'), 'aws');
    assert.equal(partitionOf('cn-north-1'), 'aws-cn');
    assert.equal(partitionOf('cn-northwest-1'), 'aws-cn');
    assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
    assert.equal(partitionOf('us-gov-east-1'), 'aws-us-gov');
    assert.equal(partitionOf('us-iso-east-1'), 'aws-iso');
    assert.equal(partitionOf('us-isob-east-1'), 'aws-iso-b');
    assert.equal(partitionOf('unknown'), 'aws');
    assert.equal(partitionOf('unknown', 'aws-cn'), 'aws-cn');
  });

  test('findings in cn-north-1 and us-gov-west-1 name their partition in the finding, its ARNs, ASFF and OCSF', async () => {
    const lake = await tempLake();
    try {
      const call = (region: string, account: string) => ctEvent({ service: 'iam', name: 'ListUsers', identity: root(account), time: '2026-11-02T10:00:00Z', region });
      await lake.ingest([writeRecords([call('cn-north-1', '222233334444'), call('us-gov-west-1', '333344445555'), call('us-east-1', '111122223333')])]);
      const { findings } = await runDetections(lake.lake, { intel, detections: [rootCredentialUsage] });
      const expected: Record<string, string> = { 'cn-north-1': 'aws-cn', 'us-gov-west-1': 'aws-us-gov', 'us-east-1': 'aws' };
      assert.deepEqual(findings.map((f) => f.region).sort(), Object.keys(expected).sort());
      for (const finding of findings) {
        const partition = expected[finding.region]!;
        assert.equal(finding.partition, partition, finding.region);
        assert.ok(finding.arn.startsWith(`arn:${partition}:guardduty:${finding.region}:${finding.accountId}:detector/`), finding.arn);
        const asff = toAsff(finding);
        assert.equal(asff.ProductArn, `arn:${partition}:securityhub:${finding.region}:${finding.accountId}:product/${finding.accountId}/default`);
        assert.equal(asff.Id, finding.arn);
        assert.ok(asff.Resources.every((r) => r.Partition === partition), JSON.stringify(asff.Resources));
        assert.ok(toOcsf(finding).resources.every((r) => r.cloud_partition === partition));
      }
      // A partition filter can now match.
      const govOnly = parseCriteria({ criterion: { partition: { equals: ['aws-us-gov'] } } });
      assert.deepEqual(findings.filter((f) => matchesCriteria(f, govOnly)).map((f) => f.region), ['us-gov-west-1']);
    } finally {
      lake.close();
    }
  });

  test('a bucket in a China region gets an aws-cn bucket ARN, in the finding and as the ASFF resource id', async () => {
    const lake = await tempLake();
    try {
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws-cn:s3:::cn-public/*' }] };
      await lake.ingest([writeRecords([ctEvent({
        service: 's3', name: 'PutBucketPolicy', identity: iamUser('ops', '222233334444'), time: '2026-11-02T10:00:00Z', region: 'cn-north-1',
        request: { bucketName: 'cn-public', bucketPolicy: policy, policy: [''], Host: 'cn-public.s3.cn-north-1.amazonaws.com.cn' },
      })])]);
      const { findings } = await runDetections(lake.lake, { intel, detections: [s3PublicAccess] });
      assert.ok(findings.length > 0, 'a public-access finding');
      for (const finding of findings) {
        assert.deepEqual(finding.resource.s3BucketDetails?.map((b) => b.arn), ['arn:aws-cn:s3:::cn-public'], finding.type);
        const bucket = toAsff(finding).Resources.find((r) => r.Type === 'AwsS3Bucket');
        assert.deepEqual([bucket?.Id, bucket?.Partition], ['arn:aws-cn:s3:::cn-public', 'aws-cn']);
      }
    } finally {
      lake.close();
    }
  });
});

describe('the caller’s userIdentity in access-key findings', () => {
  const KALI = 'aws-cli/2.23.6 md/awscrt#1.0.0.dev0 ua/2.0 os/linux#6.12.13-cloud-amd64 md/arch#x86_64 lang/python#3.13.2 md/distrib#kali.2025 md/command#sts.get-caller-identity';
  const calls = [
    ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: assumedRole('deployer', 'ci-run-42', undefined, { mfa: true }), time: '2026-11-02T10:00:00Z', userAgent: KALI }),
    ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: iamUser('alice'), time: '2026-11-02T10:01:00Z', userAgent: KALI }),
  ];

  test('is filled from the lake as CloudTrail names it, the role session’s issuer included', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([writeRecords(calls)]);
      const { findings } = await runDetections(lake.lake, { intel, detections: [pentestUserAgent] });
      // As stored and exported: JSON, without the fields left undefined.
      const identities = new Map(findings.map((f) => [f.resource.accessKeyDetails?.userIdentity?.type, JSON.parse(JSON.stringify(f.resource.accessKeyDetails?.userIdentity))]));
      const role = (calls[0]!.userIdentity as Record<string, any>);
      assert.deepEqual(identities.get('AssumedRole'), {
        type: 'AssumedRole', principalId: role.principalId, arn: role.arn, accountId: '111122223333', accessKeyId: role.accessKeyId,
        sessionContext: { attributes: { mfaAuthenticated: 'true' }, sessionIssuer: role.sessionContext.sessionIssuer },
      });
      const user = calls[1]!.userIdentity as Record<string, any>;
      assert.deepEqual(identities.get('IAMUser'), { type: 'IAMUser', principalId: user.principalId, arn: user.arn, accountId: '111122223333', accessKeyId: user.accessKeyId, userName: 'alice' });
    } finally {
      lake.close();
    }
  });

  test('a suppression rule on resource.accessKeyDetails.userIdentity.type archives role sessions, not IAM users', async () => {
    const lake = await tempLake();
    try {
      await addFilter(lake.lake.connection, {
        name: 'role-sessions',
        action: 'ARCHIVE',
        findingCriteria: { Criterion: { 'resource.accessKeyDetails.userIdentity.type': { Eq: ['AssumedRole'] } } },
      });
      await lake.ingest([writeRecords(calls)]);
      const run = await runDetections(lake.lake, { intel, detections: [pentestUserAgent] });
      assert.equal(run.suppressed, 1);
      assert.deepEqual(run.findings.map((f) => f.resource.accessKeyDetails?.userName), ['alice']);
      const [archived] = await queryFindings(lake.lake.connection, { archived: true });
      assert.equal(archived!.resource.accessKeyDetails?.userIdentity?.sessionContext?.sessionIssuer?.arn, 'arn:aws:iam::111122223333:role/deployer');
    } finally {
      lake.close();
    }
  });
});

describe('memory', () => {
  test('a run that runs out of memory at the detection limit is run again at the lake limit, with the same findings', async () => {
    const records = datasetRecords({ stratus: 'aws.persistence.iam-create-admin-user' });
    const roomy = await tempLake();
    const tight = await tempLake();
    try {
      for (const lake of [roomy, tight]) await lake.ingest([writeRecords(records)]);
      const limit = async (lake: TestLake) => String((await lake.lake.connection.runAndReadAll("SELECT current_setting('memory_limit')")).getRows()[0]![0]);
      const lakeLimit = await limit(tight);
      const expected = await runDetections(roomy.lake, { intel });
      assert.deepEqual(expected.warnings, []);
      const retried = await runDetections(tight.lake, { intel, memoryLimit: '16MB' });
      assert.deepEqual(retried.warnings, ['detection ran out of memory at 16MB and was run again at 512MB']);
      const described = (findings: typeof expected.findings) => findings.map((f) => `${f.type} ${f.title} ${f.service.count}`);
      assert.ok(expected.findings.length > 0);
      assert.deepEqual(described(retried.findings), described(expected.findings));
      assert.equal(retried.events, expected.events);
      assert.equal(await tight.count('SELECT count(*) FROM detection_runs'), 1);
      for (const lake of [roomy, tight]) assert.equal(await limit(lake), lakeLimit);
    } finally {
      roomy.close();
      tight.close();
    }
  });
});

describe('detection state', () => {
  test('persists in the lake, so a later run continues from what was learned', async () => {
    const lake = await tempLake();
    try {
      const counting: ApiDetection = {
        id: 'count-calls',
        source: 'cloudtrail',
        types: [{ ...rootCredentialUsage.types[0]!, type: 'Test:IAMUser/ThirdCall' }],
        onEvent(event, context) {
          const seen = context.state(event.principalKey, () => ({ calls: 0 }));
          seen.calls++;
          if (seen.calls === 3) context.emit({ type: 'Test:IAMUser/ThirdCall', event });
        },
        cases: () => [],
      };
      const call = (time: string) => ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('bob'), time });
      await lake.ingest([writeRecords([call('2026-11-02T10:00:00Z'), call('2026-11-02T10:01:00Z')])]);
      assert.equal((await runDetections(lake.lake, { intel, detections: [counting] })).findings.length, 0);
      await lake.ingest([writeRecords([call('2026-11-02T10:02:00Z')])]);
      const third = await runDetections(lake.lake, { intel, detections: [counting] });
      assert.equal(third.events, 1);
      assert.equal(third.findings.length, 1);
    } finally {
      lake.close();
    }
  });
});

describe('correlation', () => {
  test('findings of an attack sequence keep their link to it', () => {
    const incident = INCIDENTS.find((s) => s.id === 'incident/leaked-access-key')!;
    const found = runCase(DETECTIONS, { name: incident.id, records: incident.records, expect: incident.expect, intel: incident.intel });
    const sequence = found.find((o) => o.finding.type === 'AttackSequence:S3/CompromisedData')!;
    const members = found.filter((o) => o.finding.associatedAttackSequenceArn === sequence.finding.arn);
    assert.ok(members.length >= 5, `${members.length} linked findings`);
  });

  test('an attack sequence names the caller as its member findings do, so filters on the identity match both', () => {
    const incident = INCIDENTS.find((s) => s.id === 'incident/leaked-access-key')!;
    const found = runCase(DETECTIONS, { name: incident.id, records: incident.records, expect: incident.expect, intel: incident.intel });
    const sequence = found.find((o) => o.finding.type === 'AttackSequence:S3/CompromisedData')!;
    const member = found.find((o) => o.finding.associatedAttackSequenceArn === sequence.finding.arn)!;
    const identity = sequence.finding.resource.accessKeyDetails?.userIdentity;
    assert.ok(identity?.arn, 'the sequence carries the caller\'s ARN');
    assert.deepEqual(identity, member.finding.resource.accessKeyDetails?.userIdentity);
    const criteria = parseCriteria({ criterion: { 'resource.accessKeyDetails.userIdentity.arn': { eq: [identity.arn] } } });
    assert.equal(matchesCriteria(sequence.finding, criteria), true);
  });
});
