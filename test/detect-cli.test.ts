import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ctEvent, iamUser, root } from '../src/detect/case-builders.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-detect-cli-');
after(() => scratch.cleanup());
const db = path.join(scratch.dir, 'lake.duckdb');

const ATTACKER = '203.0.113.66';
const logs = path.join(scratch.dir, 'trail.json');
writeFileSync(
  logs,
  [
    ctEvent({ service: 'iam', name: 'ListUsers', identity: root(), time: '2026-11-02T10:00:00Z', ip: '198.51.100.10' }),
    ctEvent({ service: 's3', name: 'ListBuckets', identity: iamUser('build-bot'), time: '2026-11-02T10:01:00Z', ip: ATTACKER }),
    ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: iamUser('alice'), time: '2026-11-02T10:02:00Z' }),
  ]
    .map((r) => JSON.stringify(r))
    .join('\n'),
);
const threatList = path.join(scratch.dir, 'tester-threats.txt');
writeFileSync(threatList, `# lists of bad IPs\n${ATTACKER}\n`);

const lines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);

describe('gumshoe detect', () => {
  test('ingests, detects and writes GuardDuty findings as JSON lines, the list name included', () => {
    const result = runCli(['detect', logs, '--db', db, '--threat-list', threatList]);
    assert.equal(result.status, 0, result.stderr);
    const findings = lines(result.stdout);
    const types = findings.map((f) => f.type).sort();
    assert.ok(types.includes('Policy:IAMUser/RootCredentialUsage'), types.join());
    assert.ok(types.includes('Recon:IAMUser/MaliciousIPCaller.Custom'), types.join());
    const custom = findings.find((f) => f.type === 'Recon:IAMUser/MaliciousIPCaller.Custom')!;
    assert.equal(custom.schemaVersion, '2.0');
    assert.equal(custom.service.additionalInfo.threatListName, 'tester-threats');
    assert.equal(custom.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4, ATTACKER);
    assert.equal(custom.resource.accessKeyDetails.userName, 'build-bot');
    assert.match(result.stderr, /detected: 3 CloudTrail events/);
  });

  test('with GUMSHOE_DETECT_THREADS=2 the built CLI runs detections on a worker thread too, with the same findings', () => {
    const run = (threads: string) => {
      const result = runCli(['detect', logs, '--db', path.join(scratch.dir, `threads-${threads}.duckdb`), '--threat-list', threatList], { GUMSHOE_DETECT_THREADS: threads });
      assert.equal(result.status, 0, result.stderr);
      return lines(result.stdout).map((f) => `${f.type} ${f.severity} ${f.id} ${f.service.count} ${f.service.eventLastSeen}`);
    };
    const one = run('1');
    assert.ok(one.length >= 2);
    assert.deepEqual(run('2'), one);
    const zero = runCli(['detect', '--db', path.join(scratch.dir, 'threads-0.duckdb')], { GUMSHOE_DETECT_THREADS: '0' });
    assert.equal(zero.status, 2);
    assert.match(zero.stderr, /GUMSHOE_DETECT_THREADS=0 is not a positive whole number/);
  });

  test('a listed private caller raises nothing, and the list’s private entry is warned about', () => {
    const trail = path.join(scratch.dir, 'private-callers.json');
    writeFileSync(trail, [
      ctEvent({ service: 's3', name: 'ListBuckets', identity: iamUser('intranet-job'), time: '2026-11-02T11:00:00Z', ip: '10.1.2.3' }),
      ctEvent({ service: 's3', name: 'ListBuckets', identity: iamUser('roaming-laptop'), time: '2026-11-02T11:01:00Z', ip: '203.0.113.99' }),
    ].map((r) => JSON.stringify(r)).join('\n'));
    const list = path.join(scratch.dir, 'mixed.txt');
    writeFileSync(list, '10.0.0.0/8\n203.0.113.99\n');
    const result = runCli(['detect', trail, '--db', path.join(scratch.dir, 'private.duckdb'), '--threat-list', list]);
    assert.equal(result.status, 0, result.stderr);
    const custom = lines(result.stdout).filter((f) => f.type === 'Recon:IAMUser/MaliciousIPCaller.Custom');
    assert.deepEqual(custom.map((f) => f.resource.accessKeyDetails.userName), ['roaming-laptop']);
    assert.match(result.stderr, /warning: .*mixed\.txt: 1 private or reserved address entry \(10\.0\.0\.0\/8\) will never match/);
  });

  test('a second run over nothing new writes nothing', () => {
    const result = runCli(['detect', logs, '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /detected: 0 CloudTrail events/);
  });

  test('findings list, show, export in each format, archive and unarchive', () => {
    const listed = runCli(['findings', 'list', '--db', db, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const root = lines(listed.stdout).find((f) => f.type === 'Policy:IAMUser/RootCredentialUsage')!;

    const table = runCli(['findings', 'list', '--db', db, '--severity', 'low']);
    assert.match(table.stdout, /Policy:IAMUser\/RootCredentialUsage/);
    assert.doesNotMatch(table.stdout, /MaliciousIPCaller/);
    assert.equal(lines(runCli(['findings', 'list', '--db', db, '--json', '--limit', '1']).stdout).length, 1);
    assert.deepEqual(lines(runCli(['findings', 'list', '--db', db, '--format', 'guardduty']).stdout), lines(listed.stdout), '--json is --format guardduty');
    const listedOcsf = lines(runCli(['findings', 'list', '--db', db, '--format', 'ocsf']).stdout);
    assert.ok(listedOcsf.length === lines(listed.stdout).length && listedOcsf.every((f) => f.class_uid === 2004));

    const shown = runCli(['findings', 'show', root.id, '--db', db]);
    assert.equal(JSON.parse(shown.stdout).id, root.id);
    assert.equal(runCli(['findings', 'show', 'nope', '--db', db]).status, 2);

    const eventbridge = lines(runCli(['findings', 'export', '--db', db, '--format', 'eventbridge']).stdout);
    assert.ok(eventbridge.every((e) => e.source === 'aws.guardduty' && e['detail-type'] === 'GuardDuty Finding' && e.detail.id));
    const asff = lines(runCli(['findings', 'export', '--db', db, '--format', 'asff']).stdout);
    assert.ok(asff.every((f) => f.SchemaVersion === '2018-10-08' && f.AwsAccountId === '111122223333'));
    const ocsf = lines(runCli(['findings', 'export', '--db', db, '--format', 'ocsf']).stdout);
    assert.ok(ocsf.every((f) => f.class_uid === 2004));
    const file = path.join(scratch.dir, 'export.jsonl');
    assert.equal(runCli(['findings', 'export', '--db', db, '--type', 'Policy:IAMUser/RootCredentialUsage', '--output', file]).status, 0);
    assert.equal(lines(readFileSync(file, 'utf8')).length, 1);

    assert.match(runCli(['findings', 'archive', root.id, '--db', db]).stdout, /1 finding\(s\) archived/);
    assert.ok(!lines(runCli(['findings', 'list', '--db', db, '--json']).stdout).some((f) => f.id === root.id));
    assert.ok(lines(runCli(['findings', 'list', '--db', db, '--json', '--archived']).stdout).some((f) => f.id === root.id));
    assert.match(runCli(['findings', 'unarchive', root.id, '--db', db]).stdout, /1 finding\(s\) unarchived/);
  });

  test('bad options are user errors', () => {
    const severity = runCli(['findings', 'list', '--db', db, '--severity', 'extreme']);
    assert.equal(severity.status, 2);
    assert.match(severity.stderr, /--severity/);
    const format = runCli(['detect', '--db', db, '--format', 'xml']);
    assert.equal(format.status, 2);
    for (const limit of ['-1', '0', 'abc', '1.5']) {
      const result = runCli(['findings', 'list', '--db', db, '--limit', limit]);
      assert.equal(result.status, 2, `--limit ${limit}: ${result.stderr}`);
      assert.match(result.stderr, /--limit <n>.*invalid\. expected a whole number of at least 1/, `--limit ${limit}`);
    }
    assert.equal(runCli(['findings', 'export', '--db', db, '--limit', '0']).status, 2);
    assert.equal(runCli(['findings', 'list', '--db', db, '--format', 'xml']).status, 2);
    assert.equal(runCli(['findings', 'list', '--db', db, '--format', 'ocsf', '--json']).status, 2, '--json is --format guardduty: not both');
  });
});
