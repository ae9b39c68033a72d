// Finding groups: which findings cluster, on synthetic findings whose entities are given directly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';
import { ref } from '../src/server/arns.js';
import { FindingIndex, type FindingEntity, type IndexedFinding } from '../src/server/finding-index.js';
import { clusterFindings, HUB_LIMIT } from '../src/server/groups.js';
import type { EntityType } from '../src/server/validation.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function finding(id: string, startHours: number, entities: [EntityType, string][], options: { severity?: number; endHours?: number; archived?: boolean } = {}): IndexedFinding {
  const first = T0 + startHours * HOUR;
  const last = T0 + (options.endHours ?? startHours) * HOUR;
  const severity = options.severity ?? 5;
  return {
    row: {
      id, type: `Test:Type/${id}`, severity, severityLevel: 'Medium', title: id, accountId: '111122223333', region: 'us-east-1', resourceType: 'AccessKey',
      resource: null, principal: null, remoteIp: null, count: 1, firstSeen: new Date(first).toISOString(), lastSeen: new Date(last).toISOString(), archived: options.archived ?? false,
    },
    first,
    last,
    updated: last,
    finding: { id } as GuardDutyFinding,
    entities: [['account', '111122223333'] as [EntityType, string], ...entities].map(([type, value]): FindingEntity => ({ ...ref(type, value), role: type })),
  };
}

const groupsOf = (findings: IndexedFinding[]) =>
  clusterFindings(new FindingIndex(findings)).all.map((g) => g.members.map((m) => m.row.id).sort());

test('findings sharing an access key within 24 hours form a group; further apart they do not', () => {
  assert.deepEqual(groupsOf([finding('a', 0, [['accesskey', 'AKIA1']]), finding('b', 10, [['accesskey', 'AKIA1']])]), [['a', 'b']]);
  assert.deepEqual(groupsOf([finding('a', 0, [['accesskey', 'AKIA1']]), finding('b', 30, [['accesskey', 'AKIA1']])]), []);
});

test('the 24 hours run from the end of the earlier finding, and chains stay one group', () => {
  assert.deepEqual(groupsOf([finding('a', 0, [['ip', '203.0.113.9']], { endHours: 20 }), finding('b', 40, [['ip', '203.0.113.9']])]), [['a', 'b']]);
  const chain = [finding('a', 0, [['ip', '203.0.113.9']]), finding('b', 20, [['ip', '203.0.113.9']]), finding('c', 40, [['ip', '203.0.113.9']])];
  assert.deepEqual(groupsOf(chain), [['a', 'b', 'c']]);
});

test('different linking entities join transitively: session → key → instance', () => {
  const arn = 'arn:aws:sts::111122223333:assumed-role/app/i-0123456789abcdef0';
  const groups = groupsOf([
    finding('a', 0, [['session', arn]]),
    finding('b', 1, [['session', arn], ['accesskey', 'ASIA1']]),
    finding('c', 2, [['accesskey', 'ASIA1'], ['instance', 'i-0123456789abcdef0']]),
    finding('d', 3, [['instance', 'i-0123456789abcdef0']]),
    finding('e', 4, [['instance', 'i-0fedcba9876543210']]),
  ]);
  assert.deepEqual(groups, [['a', 'b', 'c', 'd']]);
});

test('accounts, buckets and user agents do not link; archived findings are left out', () => {
  assert.deepEqual(groupsOf([finding('a', 0, [['bucket', 'b1'], ['useragent', 'curl']]), finding('b', 1, [['bucket', 'b1'], ['useragent', 'curl']])]), []);
  assert.deepEqual(groupsOf([finding('a', 0, [['ip', '203.0.113.9']]), finding('b', 1, [['ip', '203.0.113.9']], { archived: true })]), []);
});

test('an entity in more than HUB_LIMIT findings links none of them', () => {
  const many = Array.from({ length: HUB_LIMIT + 1 }, (_, i) => finding(`f${i}`, i * 0.01, [['ip', '10.0.0.1']]));
  assert.deepEqual(groupsOf(many), []);
});

test('a group takes its highest severity, is named after its earliest finding and lists its entities', () => {
  const { all } = clusterFindings(new FindingIndex([
    finding('late', 5, [['user', 'arn:aws:iam::111122223333:user/bob']], { severity: 8 }),
    finding('early', 1, [['user', 'arn:aws:iam::111122223333:user/bob']], { severity: 2 }),
  ]));
  assert.equal(all.length, 1);
  const { group } = all[0]!;
  assert.equal(group.id, 'g-early');
  assert.equal(group.severity, 8);
  assert.equal(group.severityLevel, 'High');
  assert.equal(group.findings, 2);
  assert.equal(group.entities[0]!.label, 'bob');
  assert.match(group.title, /2 findings involving bob/);
});
