import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addListsFromSpecs } from '../src/cli/intel.js';
import { loadIntel } from '../src/intel/load.js';
import { INTEL_DDL } from '../src/intel/schema.js';
import {
  addOrgAccounts, chooseSetName, declaredOrgAccounts, getSet, listOrgAccounts, listSets, readList, removeOrgAccounts, removeSet, saveList, saveSet, setActive,
} from '../src/intel/store.js';
import { UserError } from '../src/sources/input.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/intel');
const fixture = (name: string) => path.join(FIXTURES, name);
const fileSha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let lake: TestLake;
const scratch = scratchDir('gumshoe-intel-store-');
before(async () => {
  lake = await tempLake();
});
after(() => {
  lake.close();
  scratch.cleanup();
});

describe('intel store and loadIntel', () => {
  test('a lake without intel tables gives empty lists and still geo', async () => {
    const intel = await loadIntel(lake.lake.connection);
    assert.deepEqual(intel.ipThreats('198.51.100.7'), []);
    assert.equal(intel.ipDetails('8.8.8.8').asn, 15169);
    assert.deepEqual(await listSets(lake.lake.connection), []);
  });

  test('INTEL_DDL is idempotent', async () => {
    for (let i = 0; i < 2; i++) for (const ddl of INTEL_DDL) await lake.lake.connection.run(ddl);
  });

  test('a custom threat list: matches carry list name, threat name and the file sha256', async () => {
    const c = lake.lake.connection;
    const list = await readList(`${fixture('otx.csv')}:OTX_CSV`);
    const set = await saveList(c, list, await chooseSetName(c, list, 'threat'), 'threat');
    assert.equal(set.name, 'otx');
    assert.deepEqual([set.role, set.feed, set.format, set.entries, set.problems, set.active], ['threat', 'custom', 'OTX_CSV', 4, 2, true]);
    assert.equal(set.sha256, fileSha(fixture('otx.csv')));
    const intel = await loadIntel(c);
    assert.deepEqual(intel.ipThreats('203.0.113.70'), [{ listName: 'otx', custom: true, threatName: 'Scanning subnet', fileSha256: set.sha256 }]);
    assert.equal(intel.domainThreats('beacon.c2.example')[0]?.listName, 'otx');
  });

  test('managed feeds give custom=false; Tor sets answer isTorExit/isTorRelay, not ipThreats', async () => {
    const c = lake.lake.connection;
    await saveSet(c, { name: 'Feodo', role: 'threat', feed: 'managed', problems: 0, entries: [{ kind: 'ip', value: '198.51.100.23', threatName: 'BotnetCnC' }] });
    await saveSet(c, { name: 'TorExitNodes', role: 'reference', feed: 'tor-exit', problems: 0, entries: [{ kind: 'ip', value: '185.220.101.1' }] });
    await saveSet(c, { name: 'TorRelays', role: 'reference', feed: 'tor-relay', problems: 0, entries: [{ kind: 'ip', value: '185.220.101.2' }] });
    const intel = await loadIntel(c);
    assert.deepEqual(intel.ipThreats('198.51.100.23').map((m) => `${m.listName}:${m.custom}:${m.threatName}`).sort(), [
      'Feodo:false:BotnetCnC', 'otx:true:SSH brute force source',
    ]);
    assert.equal(intel.isTorExit('185.220.101.1'), true);
    assert.equal(intel.isTorRelay('185.220.101.2'), true);
    assert.deepEqual(intel.ipThreats('185.220.101.1'), []);
  });

  test('trusted wins over threat, and deactivation stops a list matching', async () => {
    const c = lake.lake.connection;
    const trusted = await readList(fixture('trusted-ips.txt'));
    await saveList(c, trusted, 'Office', 'trusted');
    const threat = await readList(fixture('threat-ips.txt'));
    await saveList(c, threat, 'RedTeam', 'threat');
    let intel = await loadIntel(c);
    assert.equal(intel.isTrustedIp('192.0.2.10'), true);
    assert.equal(intel.ipThreats('192.0.2.10')[0]?.listName, 'RedTeam');
    assert.equal(intel.domainThreats('x.evil.example.org')[0]?.listName, 'RedTeam');

    await setActive(c, 'Office', false);
    await setActive(c, 'RedTeam', false);
    intel = await loadIntel(c);
    assert.equal(intel.isTrustedIp('192.0.2.10'), false);
    assert.deepEqual(intel.ipThreats('192.0.2.10'), []);
    assert.equal((await getSet(c, 'RedTeam'))?.entries, 5, 'entries are kept');
    await setActive(c, 'RedTeam', true);
    assert.equal((await loadIntel(c)).ipThreats('203.0.113.1').length, 1);
  });

  test('replacing a set swaps its entries; removing it deletes them', async () => {
    const c = lake.lake.connection;
    const file = path.join(scratch.dir, 'replace.txt');
    writeFileSync(file, '198.51.100.200\n');
    await saveList(c, await readList(file), 'Replace', 'threat');
    writeFileSync(file, '198.51.100.201\n198.51.100.202\n198.51.100.202\n');
    const set = await saveList(c, await readList(file), 'Replace', 'threat');
    assert.equal(set.entries, 2, 'duplicates stored once');
    let intel = await loadIntel(c);
    assert.deepEqual(intel.ipThreats('198.51.100.200'), []);
    assert.equal(intel.ipThreats('198.51.100.201').length, 1);
    await removeSet(c, 'Replace');
    intel = await loadIntel(c);
    assert.deepEqual(intel.ipThreats('198.51.100.201'), []);
    assert.equal(await lake.count("SELECT count(*) FROM intel_entries WHERE set_name = 'Replace'"), 0);
    await assert.rejects(removeSet(c, 'Replace'), UserError);
    await assert.rejects(setActive(c, 'nope', true), /no intel list named 'nope'/);
  });

  test('default names: the file name, reused for the same file, numbered for another file of that name', async () => {
    const c = lake.lake.connection;
    const other = path.join(scratch.dir, 'otx.csv');
    copyFileSync(fixture('otx.csv'), other);
    assert.equal(await chooseSetName(c, await readList(fixture('otx.csv')), 'threat'), 'otx');
    assert.equal(await chooseSetName(c, await readList(other), 'threat'), 'otx-2');
    assert.equal(await chooseSetName(c, await readList(fixture('otx.csv')), 'trusted'), 'otx-2');
  });

  test('addListsFromSpecs: stores each list once, re-activates an unchanged one, rejects a list with no valid entry', async () => {
    const c = lake.lake.connection;
    const [first] = await addListsFromSpecs(c, [fixture('stix2.json')], 'threat');
    assert.equal(first!.name, 'stix2');
    const loadedAt = first!.loadedAt.getTime();
    await setActive(c, 'stix2', false);
    const [again] = await addListsFromSpecs(c, [`${fixture('stix2.json')}:STIX`], 'threat');
    assert.equal(again!.active, true);
    assert.equal(again!.loadedAt.getTime(), loadedAt, 'same content: not reloaded');
    await assert.rejects(addListsFromSpecs(c, [fixture('empty-of-valid.txt')], 'trusted'), (e: unknown) =>
      e instanceof UserError && /no valid entries/.test(e.message));
    assert.equal(await getSet(c, 'empty-of-valid'), undefined);
  });

  test('250,000 entries store in bulk and match by binary search', async () => {
    const c = lake.lake.connection;
    const file = path.join(scratch.dir, 'big.txt');
    const lines: string[] = [];
    for (let i = 0; i < 250_000; i++) lines.push(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    lines.push('172.32.0.0/12');
    writeFileSync(file, `${lines.join('\n')}\n`);
    let t = Date.now();
    const set = await saveList(c, await readList(file), 'Big', 'threat');
    const storeMs = Date.now() - t;
    assert.equal(set.entries, 250_001);
    t = Date.now();
    const intel = await loadIntel(c);
    const loadMs = Date.now() - t;
    assert.equal(intel.ipThreats('11.3.208.143')[0]?.listName, 'Big');
    assert.equal(intel.ipThreats('172.40.1.1')[0]?.listName, 'Big');
    assert.deepEqual(intel.ipThreats('11.4.0.0'), [], 'entry 262,144 is past the end');
    assert.ok(storeMs < 20_000 && loadMs < 20_000, `store ${storeMs} ms, load ${loadMs} ms`);
    await removeSet(c, 'Big');
  });
});

describe('the organisation’s accounts', () => {
  test('a lake from before the table existed has none; adding creates it; add and remove report what they did', async () => {
    const c = lake.lake.connection;
    await c.run('DROP TABLE IF EXISTS intel_org_accounts');
    assert.deepEqual(await listOrgAccounts(c), []);
    assert.deepEqual(await addOrgAccounts(c, ['777788889999', '999988887777', '777788889999']), ['777788889999', '999988887777']);
    assert.deepEqual(await addOrgAccounts(c, ['999988887777']), []);
    const [first] = await listOrgAccounts(c);
    assert.equal(first!.accountId, '777788889999');
    assert.ok(first!.addedAt instanceof Date);
    assert.deepEqual(await removeOrgAccounts(c, ['999988887777', '121212121212']), { removed: ['999988887777'], unknown: ['121212121212'] });
    assert.deepEqual(await declaredOrgAccounts(c), ['777788889999']);
  });

  test('an id that is not 12 digits is refused before anything is stored', async () => {
    const c = lake.lake.connection;
    await assert.rejects(addOrgAccounts(c, ['444455556666', '4444-5555-6666']), (e: unknown) =>
      e instanceof UserError && e.message === "not an AWS account id (12 digits): '4444-5555-6666'");
    assert.deepEqual(await declaredOrgAccounts(c), ['777788889999']);
  });
});

