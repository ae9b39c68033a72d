import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ctEvent, iamUser, instanceRole, repeated, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { attackSequence } from '../src/detect/cloudtrail/attack-sequence.js';
import { datasetRecords } from '../src/detect/dataset-records.js';
import type { CloudTrailRecord, DetectionCase } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { DETECTIONS } from '../src/detect/registry.js';
import type { Occurrence } from '../src/findings/build.js';
import { queryFindings } from '../src/findings/store.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';
import { staticIntel } from '../src/intel/static.js';
import { INCIDENTS } from '../src/simulate/incidents.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * Attack sequences (guardduty.md §2.6) correlate several distinct signals of one credential, across more
 * than one stage; S3/CompromisedData needs object reads, deletes or writes on a bucket it names. Every
 * detection runs here, as in `gumshoe detect`, so the findings a sequence could build on are all raised.
 */

const scratch = scratchDir('gumshoe-sequence-');
after(() => scratch.cleanup());

interface Indicator {
  key: string;
  values: string[];
}

interface Sequence {
  description: string;
  signals: { type: string; name: string; uid: string; resourceUids: string[]; count: number; firstSeenAt: string; lastSeenAt: string; signalIndicators: Indicator[] }[];
  sequenceIndicators: Indicator[];
  resources: { uid: string; name: string; resourceType: string; data?: { accessKey?: { userName?: string; userType?: string } } }[];
  actors: { user: { name: string; type?: string; credentialUid?: string } }[];
  additionalSequenceTypes?: string[];
}

const sequenceOf = (f: GuardDutyFinding): Sequence => (f.service.detection as { sequence: Sequence }).sequence;
const sequences = (found: Occurrence[]) => found.filter((o) => o.finding.type.startsWith('AttackSequence:'));
const all = (c: Omit<DetectionCase, 'name'>) => runCase(DETECTIONS, { name: 'attack sequence', ...c });
const incident = (id: string) => {
  const scenario = INCIDENTS.find((s) => s.id === id)!;
  return all({ records: scenario.records, expect: scenario.expect, intel: scenario.intel });
};
/** The detection's own case whose name starts with `name`, run with every detection. */
const ownCase = (name: string) => {
  const found = attackSequence.cases().find((c) => c.name.startsWith(name));
  assert.ok(found, name);
  return found;
};
/** The signal count a sequence's description states. */
const statedSignals = (f: GuardDutyFinding) => Number(/(\d+) (suspicious )?signals/.exec(f.description)?.[1]);

const CLI = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8';
const THREAT_IP = '198.51.100.23';
const threatList = { threatIps: [{ ip: THREAT_IP, listName: 'IncidentIOCs', custom: true }] };
const dana = iamUser('dana');
const externalRead = (bucket: string) => ({
  bucketName: bucket,
  bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] },
});
const getObject = (time: string, ip: string, key: string) =>
  ctEvent({ service: 's3', name: 'GetObject', identity: dana, time, ip, userAgent: CLI, data: true, request: { bucketName: 'finance-archive', key, Host: 'finance-archive.s3.amazonaws.com' } });

describe('attack sequences: what is no sequence', () => {
  test('a lone PutBucketPolicy raises its own findings, and no attack sequence', () => {
    const found = all({
      records: [
        ...repeated(14, '2026-11-01T09:00:00Z', 24 * 60, (t) => getObject(t, '81.2.69.160', 'reports/daily.csv')),
        ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: dana, time: '2026-11-15T09:00:00Z', ip: '51.15.1.1', userAgent: CLI, request: externalRead('finance-archive') }),
      ],
      expect: [],
    });
    const types = found.map((o) => o.finding.type);
    assert.ok(types.includes('Impact:S3/AnomalousBehavior.Permission'), types.join(', '));
    assert.ok(types.includes('Exfiltration:S3/BucketPolicyGrantsExternalAccount.Gumshoe'), types.join(', '));
    assert.deepEqual(sequences(found).map((o) => o.finding.title), []);
  });

  test('ListUsers and a denied CreateUser from a threat-listed IP are two threat-list findings, not a Critical sequence', () => {
    const found = all({
      records: [
        ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('alice'), time: '2025-06-10T06:13:20Z', ip: THREAT_IP, userAgent: CLI }),
        ctEvent({ service: 'iam', name: 'CreateUser', identity: iamUser('alice'), time: '2025-06-10T06:14:20Z', ip: THREAT_IP, userAgent: CLI, request: { userName: 'svc' }, errorCode: 'AccessDenied' }),
      ],
      intel: threatList,
      expect: [],
    });
    assert.deepEqual(found.map((o) => o.finding.type).sort(), ['Recon:IAMUser/MaliciousIPCaller.Custom', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom']);
  });
});

describe('attack sequences: whose hands the credential is in', () => {
  const TEARDOWN_FINDINGS = ['DefenseEvasion:IAMUser/DnsQueryLoggingDeleted.Gumshoe', 'DefenseEvasion:IAMUser/FlowLogsDeleted.Gumshoe', 'DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe'];
  const types = (found: Occurrence[]) => [...new Set(found.map((o) => o.finding.type))].sort();

  test('an administrator tearing down a region by hand from the office raises the Medium findings and no sequence', () => {
    const found = all(ownCase('an SSO administrator decommissions a region by hand'));
    assert.deepEqual(types(found), TEARDOWN_FINDINGS);
    assert.deepEqual(sequences(found).map((o) => o.finding.type), []);
  });

  test('the same teardown from a Tor exit is a compromised credential, its findings linked to the sequence', () => {
    const found = all(ownCase('the same teardown by the administrator’s session from a Tor exit'));
    const [sequence, ...more] = sequences(found);
    assert.equal(sequence?.finding.type, 'AttackSequence:IAM/CompromisedCredentials');
    assert.equal(more.length, 0);
    const names = sequenceOf(sequence!.finding).signals.filter((s) => s.type === 'FINDING').map((s) => s.name);
    assert.deepEqual([...new Set(names)].sort(), [...TEARDOWN_FINDINGS, 'UnauthorizedAccess:IAMUser/TorIPCaller'].sort());
    for (const o of found.filter((f) => f !== sequence)) assert.equal(o.finding.associatedAttackSequenceArn, sequence!.finding.arn, o.finding.type);
  });

  test('a Terraform apply of the CI role raises its persistence and sharing findings and no sequence', () => {
    const found = all(ownCase('a Terraform apply from a GitHub Actions OIDC session'));
    const raised = types(found);
    for (const type of ['Persistence:IAMUser/RoleTrustBackdoor.Gumshoe', 'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe']) assert.ok(raised.includes(type), raised.join(', '));
    assert.deepEqual(sequences(found).map((o) => o.finding.type), []);
  });

  test('a finding raised on a Terraform call stays out of a sequence the credential makes otherwise', () => {
    const { records = [], intel } = ownCase('the same teardown by the administrator’s session from a Tor exit');
    const identity = records[0]!.userIdentity;
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole' }] };
    const backdoor = ctEvent({ service: 'iam', name: 'CreateRole', identity, time: '2026-11-15T15:30:00Z', ip: '81.2.69.160', userAgent: TERRAFORM_AGENT, request: { roleName: 'ops-access', assumeRolePolicyDocument: JSON.stringify(trust) } });
    const found = all({ records: [...records, backdoor], intel, expect: [] });
    assert.ok(found.some((o) => o.finding.type === 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe'), types(found).join(', '));
    const [sequence] = sequences(found);
    const detail = sequenceOf(sequence!.finding);
    assert.ok(!detail.signals.some((s) => s.name === 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe' || s.name === 'CreateRole'), detail.signals.map((s) => s.name).join(', '));
    assert.equal(found.find((o) => o.finding.type === 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe')!.finding.associatedAttackSequenceArn, undefined);
  });
});

describe('attack sequences: what they say', () => {
  test('S3/CompromisedData is filed under the bucket read, as an AttackSequence resource (Correlation) with its s3BucketDetails', () => {
    const [sequence] = sequences(incident('incident/ssrf-instance-credential-theft'));
    assert.equal(sequence?.finding.type, 'AttackSequence:S3/CompromisedData');
    const { finding } = sequence!;
    assert.equal(finding.resource.resourceType, 'AttackSequence');
    assert.equal(finding.service.featureName, 'Correlation');
    assert.deepEqual(finding.resource.s3BucketDetails?.map((b) => b.name), ['acme-prod-customer-data']);
    assert.match(finding.title, /^Potential data compromise of S3 bucket acme-prod-customer-data by web-frontend-role/);
    assert.match(finding.description, /objects in acme-prod-customer-data \(3 signals/);
    const detail = sequenceOf(finding);
    assert.match(detail.description, /then read objects 25 times in acme-prod-customer-data\.$/);
    assert.ok(detail.resources.some((r) => r.resourceType === 'S3_BUCKET' && r.uid === 'arn:aws:s3:::acme-prod-customer-data'));
    // The credential-exfiltration finding (ListBuckets among its events), the listing and the object reads: the
    // S3 data events are about the data, the finding about the caller. The listing is a Discovery signal of its
    // own, unless an S3 anomaly finding was raised on it (then it is that finding).
    const names = detail.signals.map((s) => `${s.type} ${s.name}`);
    const anomaly = 'FINDING Discovery:S3/AnomalousBehavior';
    assert.deepEqual(names.filter((n) => n !== anomaly), [
      'FINDING UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      ...(names.includes(anomaly) ? [] : ['S3_DATA_EVENTS ListObjects']),
      'S3_DATA_EVENTS GetObject',
    ]);
  });

  test('a call that raised a finding is that finding’s signal, not one more: the stated count is the signals listed', () => {
    const [sequence] = sequences(incident('incident/leaked-access-key'));
    assert.equal(sequence?.finding.type, 'AttackSequence:S3/CompromisedData');
    const detail = sequenceOf(sequence!.finding);
    // Every high-risk call and object read of the leaked key raised a threat-list or Kali finding.
    assert.deepEqual(detail.signals.filter((s) => s.type !== 'FINDING').map((s) => s.name), []);
    assert.equal(new Set(detail.signals.map((s) => s.uid)).size, detail.signals.length);
    assert.equal(statedSignals(sequence!.finding), detail.signals.length);
    assert.deepEqual(detail.additionalSequenceTypes, ['AttackSequence:IAM/CompromisedCredentials']);
    // The object reads are in the S3 findings' signals, on the bucket.
    assert.ok(detail.signals.some((s) => s.name === 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom' && s.resourceUids.includes('arn:aws:s3:::acme-prod-customer-data')));
  });

  test('stolen instance credentials creating a key and attaching admin rights: each finding is one signal, its calls none', () => {
    const orders = instanceRole('orders-instance-role', 'i-0c1d2e3f4a5b60718');
    const history = repeated(56, '2026-11-01T09:00:00Z', 360, (t) => ctEvent({ service: 'sqs', name: 'ReceiveMessage', identity: orders, time: t, ip: '3.5.140.2', userAgent: 'aws-sdk-java/2.25.6' }));
    const found = all({
      records: [
        ...history,
        ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: orders, time: '2026-11-15T09:00:00Z', ip: '51.15.1.1', userAgent: CLI }),
        ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: orders, time: '2026-11-15T09:01:00Z', ip: '51.15.1.1', userAgent: CLI, request: { userName: 'svc-backup' } }),
        ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: orders, time: '2026-11-15T09:02:00Z', ip: '51.15.1.1', userAgent: CLI, request: { userName: 'svc-backup', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
      ],
      intel: { awsIps: ['3.5.140.0/22'] },
      expect: [],
    });
    const [sequence] = sequences(found);
    assert.equal(sequence?.finding.type, 'AttackSequence:IAM/CompromisedCredentials');
    const detail = sequenceOf(sequence!.finding);
    // Credential exfiltration, the key created for another user, the admin policy (and any anomaly finding on these calls).
    assert.ok(detail.signals.length >= 3, detail.signals.map((s) => s.name).join(', '));
    assert.deepEqual(detail.signals.filter((s) => s.type !== 'FINDING').map((s) => s.name), []);
    assert.equal(statedSignals(sequence!.finding), detail.signals.length);
  });
});

/** The OTRF cloud-breach capture: an instance's credentials used from 1.2.3.4 to list a bucket and read two objects. */
const otrf = () => datasetRecords({ otrf: 'all' });
const OTRF_SESSION = /MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0\/i-0317f6c6b66ae9c40$/;

describe('attack sequences: span and discovery (OTRF cloud breach)', () => {
  test('the sequence spans its signals: from the credential theft’s first call to the last read', () => {
    const found = all({ records: otrf(), expect: [] });
    const [sequence] = sequences(found);
    assert.equal(sequence?.finding.type, 'AttackSequence:S3/CompromisedData');
    const theft = found.find((o) => o.finding.type === 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS' && OTRF_SESSION.test(o.principal ?? ''))!;
    assert.equal(theft.finding.service.eventFirstSeen, '2020-09-14T01:00:04Z');
    const { service } = sequence!.finding;
    assert.deepEqual([service.eventFirstSeen, service.eventLastSeen], ['2020-09-14T01:00:04Z', '2020-09-14T01:13:20Z']);
    assert.equal(sequence!.finding.createdAt, '2020-09-14T01:00:04.000Z');
    // The first call of the sequence (ListBuckets at 01:00:04) is among its evidence.
    assert.ok(sequence!.evidence.some((ref) => ref.time === Date.parse('2020-09-14T01:00:04Z')), JSON.stringify(sequence!.evidence));
    assert.equal(new Set(sequence!.evidence.map((ref) => ref.uid)).size, sequence!.evidence.length, 'each event once');
    // Every signal lies within the finding's span.
    const detail = sequenceOf(sequence!.finding);
    for (const s of detail.signals) assert.ok(s.firstSeenAt.slice(0, 19) >= service.eventFirstSeen.slice(0, 19) && s.lastSeenAt.slice(0, 19) <= service.eventLastSeen.slice(0, 19), s.name);
    // Its actor and access-key resource name the credential, as the finding's accessKeyDetails do.
    const key = sequence!.finding.resource.accessKeyDetails!;
    const { user } = detail.actors[0]!;
    assert.deepEqual([user.name, user.type, user.credentialUid], [key.userName, 'AssumedRole', key.accessKeyId]);
    const accessKey = detail.resources.find((r) => r.resourceType === 'ACCESS_KEY')!;
    assert.equal(accessKey.uid, key.accessKeyId);
    assert.deepEqual(accessKey.data?.accessKey?.userType, 'AssumedRole');
  });

  test('the bucket listings are a Discovery signal of the sequence; ListBuckets is the theft finding’s event', () => {
    const [sequence] = sequences(all({ records: otrf(), expect: [] }));
    const detail = sequenceOf(sequence!.finding);
    assert.deepEqual(detail.signals.map((s) => `${s.type} ${s.name} ${s.count}`), [
      'FINDING UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS 11',
      'S3_DATA_EVENTS ListObjects 7',
      'S3_DATA_EVENTS GetObject 2',
    ]);
    const listing = detail.signals.find((s) => s.name === 'ListObjects')!;
    assert.deepEqual(listing.signalIndicators, [{ key: 'ATTACK_TACTIC', values: ['Discovery'] }]);
    assert.deepEqual([listing.firstSeenAt, listing.lastSeenAt], ['2020-09-14T01:00:33.000Z', '2020-09-14T01:13:20.000Z']);
    assert.deepEqual(detail.sequenceIndicators.find((i) => i.key === 'ATTACK_TACTIC')?.values, ['Credential Access', 'Discovery', 'Exfiltration']);
    assert.equal(detail.sequenceIndicators.find((i) => i.key === 'HIGH_RISK_API'), undefined, 'listing is no high-risk call');
    assert.equal(statedSignals(sequence!.finding), 3);
    // Filed under the bucket read; the description speaks of the reads only.
    assert.deepEqual(sequence!.finding.resource.s3BucketDetails?.map((b) => b.name), ['mordors3stack-s3bucket-llp2yingx64a']);
    assert.match(detail.description, /then read objects twice in mordors3stack-s3bucket-llp2yingx64a\.$/);
  });

  test('discovery alone never makes CompromisedData: the breach without its two object reads', () => {
    const found = all({ records: otrf().filter((r) => r.eventName !== 'GetObject'), expect: [] });
    assert.ok(found.some((o) => o.finding.type === 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'));
    assert.deepEqual(sequences(found).map((o) => o.finding.type), []);
  });

  test('listing many buckets does not push the object reads out of the sequence', () => {
    const orders = instanceRole('orders-instance-role', 'i-0c1d2e3f4a5b60718');
    const history = repeated(56, '2026-11-01T09:00:00Z', 360, (t) => ctEvent({ service: 'sqs', name: 'ReceiveMessage', identity: orders, time: t, ip: '3.5.140.2', userAgent: 'aws-sdk-java/2.25.6' }));
    const list = (bucket: string, time: string) =>
      ctEvent({ service: 's3', name: 'ListObjects', identity: orders, time, ip: '51.15.1.1', userAgent: CLI, data: true, request: { bucketName: bucket, 'list-type': '2' } });
    const found = all({
      records: [
        ...history,
        ctEvent({ service: 's3', name: 'ListBuckets', identity: orders, time: '2026-11-15T09:00:00Z', ip: '51.15.1.1', userAgent: CLI }),
        ...repeated(30, '2026-11-15T09:01:00Z', 0.1, (t, i) => list(`bucket-${i}`, t)),
        ...repeated(3, '2026-11-15T09:10:00Z', 1, (t, i) =>
          ctEvent({ service: 's3', name: 'GetObject', identity: orders, time: t, ip: '51.15.1.1', userAgent: CLI, data: true, request: { bucketName: 'orders-export', key: `day-${i}.csv` } })),
      ],
      intel: { awsIps: ['3.5.140.0/22'] },
      expect: [],
    });
    const [sequence] = sequences(found);
    assert.equal(sequence?.finding.type, 'AttackSequence:S3/CompromisedData', found.map((o) => o.finding.type).join(', '));
    assert.deepEqual(sequence!.finding.resource.s3BucketDetails?.map((b) => b.name), ['orders-export']);
    const detail = sequenceOf(sequence!.finding);
    const listings = detail.signals.filter((s) => s.name === 'ListObjects');
    assert.equal(listings.reduce((n, s) => n + s.count, 0), 30, 'every listing counted');
    assert.ok(listings.length <= 6, `${listings.length} listing signals`);
    assert.deepEqual([sequence!.finding.service.eventFirstSeen, sequence!.finding.service.eventLastSeen], ['2026-11-15T09:00:00Z', '2026-11-15T09:12:00Z']);
  });
});

describe('attack sequences across runs', () => {
  let files = 0;
  const write = (records: CloudTrailRecord[]) => {
    const file = path.join(scratch.dir, `events-${++files}.json`);
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
    return file;
  };

  test('findings of one run and object reads of a later one make S3/CompromisedData on that bucket, each signal counted once', async () => {
    const lake = await tempLake();
    try {
      const intel = staticIntel(threatList);
      await lake.ingest([
        write([
          ctEvent({ service: 'iam', name: 'ListUsers', identity: dana, time: '2026-11-15T09:00:00Z', ip: THREAT_IP, userAgent: CLI }),
          ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: dana, time: '2026-11-15T09:02:00Z', ip: THREAT_IP, userAgent: CLI, request: externalRead('finance-archive') }),
        ]),
      ]);
      const first = await runDetections(lake.lake, { intel });
      assert.deepEqual(first.findings.filter((f) => f.type.startsWith('AttackSequence:')).map((f) => f.title), [], 'a bucket policy is no object access');

      await lake.ingest([write(Array.from({ length: 5 }, (_, i) => getObject(`2026-11-15T10:0${i}:00Z`, THREAT_IP, `ledger/2026-${i + 1}.csv`)))]);
      const second = await runDetections(lake.lake, { intel });
      const sequence = second.findings.find((f) => f.type === 'AttackSequence:S3/CompromisedData');
      assert.ok(sequence, second.findings.map((f) => f.type).join(', '));
      assert.equal(sequence.resource.resourceType, 'AttackSequence');
      assert.deepEqual(sequence.resource.s3BucketDetails?.map((b) => b.name), ['finance-archive']);
      assert.match(sequence.title, /S3 bucket finance-archive by dana/);
      const detail = sequenceOf(sequence);
      // PutBucketPolicy (run 1) and the reads (run 2) raised findings of their own: no extra CLOUD_TRAIL or S3 signal.
      assert.deepEqual(detail.signals.map((s) => s.type), ['FINDING', 'FINDING', 'FINDING', 'FINDING']);
      assert.equal(statedSignals(sequence), 4);
      assert.match(detail.description, /then read objects 5 times in finance-archive\.$/);
      // Members the first run raised point to the sequence the second run raised, as the second run's do.
      const members = (await queryFindings(lake.lake.connection)).filter((f) => !f.type.startsWith('AttackSequence:'));
      assert.deepEqual(members.map((f) => [f.type, f.associatedAttackSequenceArn]).sort(), members.map((f) => [f.type, sequence.arn]).sort());
      assert.ok(members.some((f) => f.type === 'Recon:IAMUser/MaliciousIPCaller.Custom'), members.map((f) => f.type).join(', '));
      // The sequence starts at its first signal, the ListUsers of the first run, and ends at the last read.
      assert.deepEqual([sequence.service.eventFirstSeen, sequence.service.eventLastSeen], ['2026-11-15T09:00:00Z', '2026-11-15T10:04:00Z']);

      // More reads later extend it; its start stays.
      await lake.ingest([write([getObject('2026-11-15T11:00:00Z', THREAT_IP, 'ledger/2026-6.csv')])]);
      const third = await runDetections(lake.lake, { intel });
      const extended = third.findings.find((f) => f.type === 'AttackSequence:S3/CompromisedData');
      assert.equal(extended?.id, sequence.id);
      assert.deepEqual([extended?.service.eventFirstSeen, extended?.service.eventLastSeen], ['2026-11-15T09:00:00Z', '2026-11-15T11:00:00Z']);
      // A signal counts as its member finding does: the reads of both runs.
      const reads = third.findings.find((f) => f.type === 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom')!;
      assert.equal(reads.service.count, 6);
      assert.equal(sequenceOf(extended!).signals.find((s) => s.name === reads.type)?.count, 6);

      // A member recurring days later, in a run that raises no sequence, stays linked to it.
      await lake.ingest([write([ctEvent({ service: 'iam', name: 'ListUsers', identity: dana, time: '2026-11-18T09:00:00Z', ip: THREAT_IP, userAgent: CLI })])]);
      const fourth = await runDetections(lake.lake, { intel });
      const recon = fourth.findings.find((f) => f.type === 'Recon:IAMUser/MaliciousIPCaller.Custom');
      assert.equal(recon?.service.count, 2);
      assert.equal(recon?.associatedAttackSequenceArn, sequence.arn);
    } finally {
      lake.close();
    }
  });

  /** The lake's attack sequences after one run per batch of records: type, count, span and severity. */
  async function sequencesAfter(...batches: CloudTrailRecord[][]): Promise<string[]> {
    const lake = await tempLake();
    try {
      for (const records of batches) {
        await lake.ingest([write(records)]);
        await runDetections(lake.lake, { intel: staticIntel(threatList) });
      }
      const found = await queryFindings(lake.lake.connection);
      return found.filter((f) => f.type.startsWith('AttackSequence:')).map((f) => `${f.type} ×${f.service.count} ${f.service.eventFirstSeen}→${f.service.eventLastSeen} ${f.severity}`);
    } finally {
      lake.close();
    }
  }
  const eve = iamUser('eve');
  const call = (name: string, time: string, ip: string, request?: Record<string, unknown>) => ctEvent({ service: name === 'GetCallerIdentity' ? 'sts' : 'iam', name, identity: eve, time, ip, userAgent: CLI, ...(request ? { request } : {}) });
  /** The audit's repro: eve's key lists users, creates an administrator and a key for it from a threat-listed IP. */
  const takeover = (day: string, ip: string) => [
    call('ListUsers', `${day}T10:00:00Z`, ip),
    call('CreateUser', `${day}T10:02:00Z`, ip, { userName: 'backup-admin' }),
    call('AttachUserPolicy', `${day}T10:03:00Z`, ip, { userName: 'backup-admin', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    call('CreateAccessKey', `${day}T10:04:00Z`, ip, { userName: 'backup-admin' }),
  ];

  test('a sequence, then one call of the key two days later: the same sequence from one run as from one run a day', async () => {
    const later = [call('GetCallerIdentity', '2026-11-12T10:30:00Z', THREAT_IP)];
    // The batch judges each 24-hour window of the key, not only the one ending at its latest call.
    const batch = await sequencesAfter([...takeover('2026-11-10', THREAT_IP), ...later]);
    assert.deepEqual(batch, ['AttackSequence:IAM/CompromisedCredentials ×1 2026-11-10T10:00:00Z→2026-11-10T10:04:00Z 9']);
    assert.deepEqual(await sequencesAfter(takeover('2026-11-10', THREAT_IP), later), batch);
  });

  test('a sequence that grows in a later run is updated, counted once as in one run', async () => {
    const calls = takeover('2026-11-10', THREAT_IP);
    const batch = await sequencesAfter(calls);
    assert.deepEqual(batch, ['AttackSequence:IAM/CompromisedCredentials ×1 2026-11-10T10:00:00Z→2026-11-10T10:04:00Z 9']);
    assert.deepEqual(await sequencesAfter(calls.slice(0, 3), calls.slice(3)), batch);
  });

  test('a read from a pentest distribution joining the owner’s reads of the day before is no S3 sequence, from one run or one a day', async () => {
    const kaliAgent = 'aws-cli/2.23.6 md/awscrt#1.0.0.dev0 ua/2.0 os/linux#6.12.13-cloud-amd64 md/arch#x86_64 lang/python#3.13.2 md/distrib#kali.2025 md/command#s3api.get-object';
    const owner = Array.from({ length: 5 }, (_, i) => getObject(`2026-11-10T20:0${i}:00Z`, '81.2.69.160', `reports/q${i + 1}.csv`));
    const kali = [{ ...getObject('2026-11-11T16:00:00Z', '81.2.69.160', 'reports/q1.csv'), userAgent: kaliAgent }];
    // The owner's reads are a habit the pentest call joined, 20 hours before it: not the sequence's data access.
    assert.deepEqual(await sequencesAfter(owner, kali), []);
    assert.deepEqual(await sequencesAfter([...owner, ...kali]), []);
  });

  test('a sequence whose latest call comes from a trusted address is still raised: trust covers the call’s own findings', async () => {
    const office = '81.2.69.160';
    const lake = await tempLake();
    try {
      await lake.ingest([write([...takeover('2026-11-10', THREAT_IP), call('CreateLoginProfile', '2026-11-10T10:06:00Z', office, { userName: 'backup-admin' })])]);
      const run = await runDetections(lake.lake, { intel: staticIntel({ ...threatList, trustedIps: [office] }) });
      const sequence = run.findings.find((f) => f.type === 'AttackSequence:IAM/CompromisedCredentials');
      assert.ok(sequence, run.findings.map((f) => f.type).join(', '));
      assert.equal(sequence.service.eventLastSeen, '2026-11-10T10:06:00Z');
    } finally {
      lake.close();
    }
  });

  test('a threat-list hit one day and the owner’s admin work two days later are no sequence, from one run or one a day', async () => {
    const hit = [call('ListUsers', '2026-11-10T10:00:00Z', THREAT_IP)];
    const work = takeover('2026-11-12', '81.2.69.160').slice(1);
    // Together they would score (a wrong-hands finding, an admin user created, three events, two tactics): no window holds both.
    assert.deepEqual(await sequencesAfter([...hit, ...work]), []);
    assert.deepEqual(await sequencesAfter(hit, work), []);
  });
});
