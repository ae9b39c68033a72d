import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FINDINGS_DDL, resolveFindingIds, setArchived } from '../src/findings/store.js';
import { type TestLake, tempLake } from './helpers/lake.js';

/** Ids as `findings show|archive|unarchive` take them: whole, or abbreviated to a unique prefix. */
const ROOT = '0399481eebaafe8bb084df966f79d1e5';
const TWIN_A = '1d2e6610d34c7f76d16313caa17f178b';
const TWIN_B = '1d2e66ffd34c7f76d16313caa17f1000';

let lake: TestLake;
before(async () => {
  lake = await tempLake();
  for (const ddl of FINDINGS_DDL) await lake.lake.connection.run(ddl);
  for (const id of [ROOT, TWIN_A, TWIN_B]) {
    const finding = { id, type: 'Policy:IAMUser/RootCredentialUsage', severity: 2, service: { archived: false }, updatedAt: '2026-11-24T10:00:00.000Z' };
    await lake.lake.connection.run(
      `INSERT INTO findings (id, aggregation_key, type, severity, archived, finding) VALUES ($1, $1, 'Policy:IAMUser/RootCredentialUsage', 2, false, $2::JSON)`,
      [id, JSON.stringify(finding)],
    );
  }
});
after(() => lake.close());

describe('finding ids abbreviated as with git', () => {
  test('a unique prefix of six or more characters names its finding, in any case', async () => {
    const resolved = await resolveFindingIds(lake.lake.connection, ['039948', '0399481EEB', ROOT]);
    assert.deepEqual(resolved, { found: [ROOT], unknown: [], ambiguous: [] });
    assert.equal(await setArchived(lake.lake.connection, resolved.found, true), 1);
  });

  test('a prefix shared by several findings is named as ambiguous, with the findings it could mean', async () => {
    const resolved = await resolveFindingIds(lake.lake.connection, ['1d2e66']);
    assert.deepEqual(resolved.ambiguous, [['1d2e66', [TWIN_A, TWIN_B]]]);
    assert.deepEqual(resolved.found, []);
    assert.deepEqual((await resolveFindingIds(lake.lake.connection, ['1d2e661'])).found, [TWIN_A]);
  });

  test('too short, not hexadecimal or matching nothing: unknown', async () => {
    const resolved = await resolveFindingIds(lake.lake.connection, ['03994', "0399'4", 'deadbeef', '%']);
    assert.deepEqual(resolved, { found: [], unknown: ['03994', "0399'4", 'deadbeef', '%'], ambiguous: [] });
  });
});
