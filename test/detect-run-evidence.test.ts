import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvidenceRef, Occurrence } from '../src/findings/build.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';
import { writeFindings } from '../src/findings/store.js';
import { tempLake } from './helpers/lake.js';

/** The fields of a finding its row is made of. */
function finding(id: string): GuardDutyFinding {
  const at = '2026-11-02T10:00:00.000Z';
  return {
    id, type: 'Policy:IAMUser/RootCredentialUsage', severity: 2, accountId: '111122223333', region: 'us-east-1', title: 't',
    createdAt: at, updatedAt: at, resource: { resourceType: 'AccessKey' },
    service: { eventFirstSeen: at, eventLastSeen: at, count: 1, archived: false },
  } as unknown as GuardDutyFinding;
}
const write = (id: string, newEvidence: EvidenceRef[]) => ({
  finding: finding(id), archivedBy: null, newEvidence,
  occurrence: { key: id, detectionId: 'd', resourceId: null, principal: null, remoteIp: null } as unknown as Occurrence,
});
const mark = (uid: string): EvidenceRef => ({ uid, fileId: 1, line: 1, time: Date.parse('2026-11-02T10:00:00Z') });

test('evidence a continued finding already holds is stored once; only the findings written are checked', async () => {
  const lake = await tempLake();
  try {
    const { connection } = lake.lake;
    await writeFindings(connection, [write('a', [mark('e1'), mark('e2')]), write('b', [mark('e9')])]);
    // Left by another run long ago: not this run's to check (the whole table grows with the lake's history).
    await connection.run(`INSERT INTO finding_evidence VALUES ('b', 'e9', 1, 1, '2026-11-02 10:00:00')`);
    await writeFindings(connection, [write('a', [mark('e2'), mark('e3')])]);
    const rows = await lake.rows('SELECT finding_id, event_uid, count(*)::INT AS n FROM finding_evidence GROUP BY ALL ORDER BY ALL');
    assert.deepEqual(rows.map((r) => `${r.finding_id}:${r.event_uid}:${r.n}`), ['a:e1:1', 'a:e2:1', 'a:e3:1', 'b:e9:2']);
  } finally {
    lake.close();
  }
});
