import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ctEvent, root } from '../src/detect/case-builders.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/lake.js';

/** The findings commands refuse what can never do what was asked, instead of reporting success or nothing. */
const scratch = scratchDir('gumshoe-findings-checks-');
const db = path.join(scratch.dir, 'lake.duckdb');
after(() => scratch.cleanup());

const lines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);
const ROOT_USAGE = 'Policy:IAMUser/RootCredentialUsage';

let rootId: string;
before(() => {
  const trail = path.join(scratch.dir, 'trail.json');
  writeFileSync(trail, JSON.stringify(ctEvent({ service: 'iam', name: 'ListUsers', identity: root(), time: '2026-11-02T10:00:00Z' })));
  const detected = runCli(['detect', trail, '--db', db, '--output', '-']);
  assert.equal(detected.status, 0, detected.stderr);
  rootId = lines(detected.stdout).find((f) => f.type === ROOT_USAGE)!.id;
});

const archivedIds = () => lines(runCli(['findings', 'list', '--db', db, '--json', '--archived']).stdout).map((f) => f.id);

describe('gumshoe findings archive|unarchive with ids that are not in the lake', () => {
  test('an unknown id is named and exits 2', () => {
    const result = runCli(['findings', 'archive', 'deadbeef', '--db', db]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim(), "gumshoe: no finding with id deadbeef; list them with 'gumshoe findings list'");
    assert.deepEqual(archivedIds(), []);
  });

  test('with known ids too, the known ones are archived (as ingest reads what it can) and the unknown ones named, exit 2', () => {
    const result = runCli(['findings', 'archive', 'deadbeef', rootId, 'cafe', '--db', db]);
    assert.equal(result.status, 2);
    assert.match(result.stdout, /^1 finding\(s\) archived$/m);
    assert.match(result.stderr, /no finding with id deadbeef, cafe;/);
    assert.deepEqual(archivedIds(), [rootId]);

    const unarchive = runCli(['findings', 'unarchive', rootId, 'deadbeef', '--db', db]);
    assert.equal(unarchive.status, 2);
    assert.match(unarchive.stdout, /^1 finding\(s\) unarchived$/m);
    assert.equal(unarchive.stderr.trim(), "gumshoe: no finding with id deadbeef; list them with 'gumshoe findings list --archived'");
    assert.deepEqual(archivedIds(), []);
  });

  test('known ids alone still succeed', () => {
    const result = runCli(['findings', 'archive', rootId, '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(runCli(['findings', 'unarchive', rootId, '--db', db]).status, 0);
  });
});

describe('gumshoe findings list|export --type', () => {
  test('an unknown type is refused with the type it most likely meant', () => {
    for (const command of ['list', 'export']) {
      const misspelt = runCli(['findings', command, '--db', db, '--type', 'Recon:IAMUser/MaliciousIpCaller']);
      assert.equal(misspelt.status, 2, `${command}: ${misspelt.stderr}`);
      assert.equal(
        misspelt.stderr.trim(),
        "gumshoe: --type: unknown finding type 'Recon:IAMUser/MaliciousIpCaller' (did you mean 'Recon:IAMUser/MaliciousIPCaller'?); the types are listed in docs/finding-types.md",
      );
      const bogus = runCli(['findings', command, '--db', db, '--type', ROOT_USAGE, '--type', 'Foo:Bar/Baz']);
      assert.equal(bogus.status, 2);
      assert.match(bogus.stderr, /unknown finding type 'Foo:Bar\/Baz'; the types/);
      assert.equal(bogus.stdout, '');
    }
  });

  test('a known type with no findings lists none; one with findings lists them', () => {
    const none = runCli(['findings', 'list', '--db', db, '--type', 'Recon:IAMUser/MaliciousIPCaller']);
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout.trim(), 'no findings');
    const some = runCli(['findings', 'export', '--db', db, '--type', ROOT_USAGE]);
    assert.equal(some.status, 0, some.stderr);
    assert.deepEqual(lines(some.stdout).map((f) => f.id), [rootId]);
  });

  test('a type no detection raises is accepted when the lake has findings of it (imported GuardDuty findings)', () => {
    const imported = path.join(scratch.dir, 'guardduty.json');
    const type = 'CryptoCurrency:Runtime/BitcoinTool.B';
    writeFileSync(imported, JSON.stringify({
      schemaVersion: '2.0', accountId: '111122223333', region: 'us-east-1', partition: 'aws', id: 'a'.repeat(32),
      arn: `arn:aws:guardduty:us-east-1:111122223333:detector/${'b'.repeat(32)}/finding/${'a'.repeat(32)}`, type,
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0123456789abcdef0' } },
      service: { serviceName: 'guardduty', detectorId: 'b'.repeat(32), archived: false, count: 1, eventFirstSeen: '2026-11-02T10:00:00Z', eventLastSeen: '2026-11-02T10:00:00Z', action: {} },
      severity: 8, createdAt: '2026-11-02T10:00:00.000Z', updatedAt: '2026-11-02T10:00:00.000Z', title: 'Bitcoin tool', description: 'An instance is querying a Bitcoin-related domain.',
    }));
    const refused = runCli(['findings', 'list', '--db', db, '--type', type]);
    assert.equal(refused.status, 2, 'not raised by Gumshoe and not in the lake yet');
    const ingested = runCli(['ingest', imported, '--type', 'guardduty', '--db', db]);
    assert.equal(ingested.status, 0, ingested.stderr);
    const accepted = runCli(['findings', 'list', '--db', db, '--type', type]);
    assert.equal(accepted.status, 0, accepted.stderr);
  });
});

describe('gumshoe filters add with a condition that can never match', () => {
  test('is refused with exit 2, naming the attribute and the value', () => {
    const cases: [string, RegExp][] = [
      ['{"criterion":{"service.count":{"equals":["abc"]}}}', /criterion "service\.count": equals value "abc" is not a number/],
      ['{"criterion":{"service.archived":{"equals":["maybe"]}}}', /criterion "service\.archived": equals value "maybe" is not true or false/],
      ['{"criterion":{"region":{"GreaterThanOrEqual":1}}}', /criterion "region": GreaterThanOrEqual 1 can never match/],
    ];
    for (const [criteria, message] of cases) {
      const result = runCli(['filters', 'add', '--name', 'never-matches', '--action', 'ARCHIVE', '--criteria', criteria, '--db', db]);
      assert.equal(result.status, 2, criteria);
      assert.match(result.stderr, message);
    }
    assert.equal(runCli(['filters', 'list', '--db', db]).stdout.trim(), 'no filters');
  });
});
