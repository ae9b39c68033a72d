import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CriteriaError } from '../src/findings/criteria.js';
import {
  addFilter,
  FILTER_DDL,
  FilterError,
  type FindingFilter,
  getFilter,
  listFilters,
  removeFilter,
  suppressingFilter,
  updateFilter,
} from '../src/findings/filters.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';
import { Lake } from '../src/lake/db.js';
import { type TestLake, tempLake } from './helpers/lake.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/findings', name), 'utf8')) as GuardDutyFinding;
const iam = fixture('iam-malicious-ip-caller.json');
const ec2 = fixture('ec2-ssh-brute-force.json');

const byType = (type: string) => ({ criterion: { type: { equals: [type] } } });
const ranks = async (lake: TestLake) => (await listFilters(lake.lake.connection)).map((f) => `${f.rank}:${f.name}`);

describe('filter store', () => {
  let lake: TestLake;
  before(async () => {
    lake = await tempLake();
  });
  after(() => lake.close());

  test('a fresh lake has no filters', async () => {
    assert.deepEqual(await listFilters(lake.lake.connection), []);
    assert.equal(await getFilter(lake.lake.connection, 'x'), undefined);
  });

  test('add: defaults to NOOP and the last rank; stores canonical criteria; version 1', async () => {
    const connection = lake.lake.connection;
    const first = await addFilter(connection, { name: 'bastion-ssh', findingCriteria: { Criterion: { type: { Eq: ['UnauthorizedAccess:EC2/SSHBruteForce'] } } } });
    assert.equal(first.action, 'NOOP');
    assert.equal(first.rank, 1);
    assert.equal(first.version, 1);
    assert.equal(first.description, '');
    assert.deepEqual(first.findingCriteria, byType('UnauthorizedAccess:EC2/SSHBruteForce'));
    assert.match(first.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(first.updatedAt, first.createdAt);
    await addFilter(connection, { name: 'scanner.ips', findingCriteria: byType('Recon:EC2/Portscan'), action: 'ARCHIVE', description: 'vuln scanner' });
    assert.deepEqual(await ranks(lake), ['1:bastion-ssh', '2:scanner.ips']);
  });

  test('add at a rank shifts the filters at and after it down; a rank past the end means last', async () => {
    const connection = lake.lake.connection;
    await addFilter(connection, { name: 'first_one', findingCriteria: byType('a'), rank: 1 });
    assert.deepEqual(await ranks(lake), ['1:first_one', '2:bastion-ssh', '3:scanner.ips']);
    const last = await addFilter(connection, { name: 'far-away', findingCriteria: byType('b'), rank: 99 });
    assert.equal(last.rank, 4);
    await addFilter(connection, { name: 'middle', findingCriteria: byType('c'), rank: 3 });
    assert.deepEqual(await ranks(lake), ['1:first_one', '2:bastion-ssh', '3:middle', '4:scanner.ips', '5:far-away']);
  });

  test('update: moves ranks both ways, changes fields, bumps version and updatedAt', async () => {
    const connection = lake.lake.connection;
    const before = (await getFilter(connection, 'middle'))!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const moved = await updateFilter(connection, 'middle', { rank: 1, action: 'ARCHIVE', description: 'now first' });
    assert.deepEqual(await ranks(lake), ['1:middle', '2:first_one', '3:bastion-ssh', '4:scanner.ips', '5:far-away']);
    assert.equal(moved.version, 2);
    assert.equal(moved.action, 'ARCHIVE');
    assert.equal(moved.description, 'now first');
    assert.equal(moved.createdAt, before.createdAt);
    assert.ok(moved.updatedAt > before.updatedAt);
    await updateFilter(connection, 'middle', { rank: 4 });
    assert.deepEqual(await ranks(lake), ['1:first_one', '2:bastion-ssh', '3:scanner.ips', '4:middle', '5:far-away']);
    await updateFilter(connection, 'middle', { rank: 50 });
    assert.deepEqual(await ranks(lake), ['1:first_one', '2:bastion-ssh', '3:scanner.ips', '4:far-away', '5:middle']);
    const recriteria = await updateFilter(connection, 'middle', { findingCriteria: { criterion: { severity: { gte: 7 } } } });
    assert.deepEqual(recriteria.findingCriteria, { criterion: { severity: { greaterThanOrEqual: 7 } } });
    assert.equal(recriteria.version, 5);
    assert.equal(recriteria.action, 'ARCHIVE', 'unchanged fields are kept');
  });

  test('remove closes the gap', async () => {
    await removeFilter(lake.lake.connection, 'bastion-ssh');
    assert.deepEqual(await ranks(lake), ['1:first_one', '2:scanner.ips', '3:far-away', '4:middle']);
  });

  test('bad requests are refused and change nothing', async () => {
    const connection = lake.lake.connection;
    const snapshot = await ranks(lake);
    await assert.rejects(addFilter(connection, { name: 'first_one', findingCriteria: byType('x') }), /a filter named "first_one" already exists/);
    await assert.rejects(addFilter(connection, { name: 'ab', findingCriteria: byType('x') }), FilterError);
    await assert.rejects(addFilter(connection, { name: 'has space', findingCriteria: byType('x') }), /3–64 characters of letters, digits/);
    await assert.rejects(addFilter(connection, { name: 'x'.repeat(65), findingCriteria: byType('x') }), FilterError);
    await assert.rejects(addFilter(connection, { name: 'ranked', findingCriteria: byType('x'), rank: 0 }), /rank 0 must be an integer from 1 to 100/);
    await assert.rejects(addFilter(connection, { name: 'ranked', findingCriteria: byType('x'), rank: 101 }), FilterError);
    await assert.rejects(addFilter(connection, { name: 'described', findingCriteria: byType('x'), description: 'd'.repeat(513) }), /at most 512/);
    await assert.rejects(
      addFilter(connection, { name: 'bad-criteria', findingCriteria: { criterion: { 'service.archivd': { eq: ['false'] } } } }),
      (error: unknown) => error instanceof CriteriaError && error.field === 'service.archivd',
    );
    await assert.rejects(updateFilter(connection, 'nope', { rank: 1 }), /no filter named "nope"/);
    await assert.rejects(updateFilter(connection, 'middle', {}), /nothing to update/);
    await assert.rejects(removeFilter(connection, 'nope'), /no filter named "nope"/);
    assert.deepEqual(await ranks(lake), snapshot);
  });

  test('FILTER_DDL is idempotent', async () => {
    for (const statement of [...FILTER_DDL, ...FILTER_DDL]) await lake.lake.connection.run(statement);
    assert.equal((await listFilters(lake.lake.connection)).length, 4);
  });

  test('filters survive reopening the lake, and a read-only lake can list them', async () => {
    const file = lake.file;
    lake.lake.close();
    const readOnly = await Lake.open(file, { readOnly: true });
    try {
      assert.deepEqual((await listFilters(readOnly.connection)).map((f) => f.name), ['first_one', 'scanner.ips', 'far-away', 'middle']);
    } finally {
      readOnly.close();
    }
    (lake as { lake: Lake }).lake = await Lake.open(file);
  });
});

test('a lake made before the filter table existed lists no filters', async () => {
  const old = await tempLake();
  try {
    await old.lake.connection.run('DROP TABLE finding_filters');
    assert.deepEqual(await listFilters(old.lake.connection), []);
    assert.equal(await getFilter(old.lake.connection, 'x'), undefined);
  } finally {
    old.close();
  }
});

describe('suppressingFilter', () => {
  const filter = (name: string, rank: number, action: FindingFilter['action'], criterion: Record<string, unknown>): FindingFilter => ({
    name, rank, action, description: '', findingCriteria: { criterion } as FindingFilter['findingCriteria'],
    createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z', version: 1,
  });
  const sshType = { type: { equals: ['UnauthorizedAccess:EC2/SSHBruteForce'] } };
  const bastionTag = { 'resource.instanceDetails.tags.value': { equals: ['bastion-1'] } };

  test('NOOP filters are saved views: they never archive, even when they match', () => {
    assert.equal(suppressingFilter(ec2, [filter('view', 1, 'NOOP', sshType)]), undefined);
  });

  test('the first matching ARCHIVE filter in rank order names the suppression', () => {
    const filters = [
      filter('late-rule', 3, 'ARCHIVE', sshType),
      filter('view', 1, 'NOOP', sshType),
      filter('bastions', 2, 'ARCHIVE', { ...sshType, ...bastionTag }),
    ];
    assert.equal(suppressingFilter(ec2, filters), 'bastions');
    assert.equal(suppressingFilter(iam, filters), undefined);
    const otherTag = { ...ec2, resource: { ...ec2.resource, instanceDetails: { ...ec2.resource.instanceDetails!, tags: [{ key: 'Name', value: 'web-1' }] } } };
    assert.equal(suppressingFilter(otherTag, filters), 'late-rule');
  });

  test('nothing archives without filters', () => {
    assert.equal(suppressingFilter(iam, []), undefined);
  });
});
