import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    const set = await saveList(c, list, (await chooseSetName(c, list, 'threat')).name, 'threat');
    assert.equal(set.name, 'otx');
    assert.deepEqual([set.role, set.feed, set.format, set.entries, set.problems, set.active], ['threat', 'custom', 'OTX_CSV', 5, 1, true]);
    assert.equal(set.sha256, fileSha(fixture('otx.csv')));
    const intel = await loadIntel(c);
    assert.deepEqual(intel.ipThreats('203.0.113.70'), [{ listName: 'otx', custom: true, threatName: 'Scanning subnet', fileSha256: set.sha256 }]);
    assert.equal(intel.domainThreats('beacon.c2.example')[0]?.listName, 'otx');
    assert.deepEqual(intel.ipThreats('2001:DB8:0::5'), [{ listName: 'otx', custom: true, threatName: 'ipv6 host', fileSha256: set.sha256 }], 'the IPv6 row, however written');
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
    assert.equal(intel.ipThreats('2001:db8:bad:77::1')[0]?.listName, 'RedTeam', 'in the IPv6 /48');
    assert.equal(intel.isTrustedIp('2001:db8:cafe:1::10'), true, 'in the trusted IPv6 /48');
    assert.equal(intel.isTrustedIp('2001:db8:caff::10'), false);

    await setActive(c, 'Office', false);
    await setActive(c, 'RedTeam', false);
    intel = await loadIntel(c);
    assert.equal(intel.isTrustedIp('192.0.2.10'), false);
    assert.deepEqual(intel.ipThreats('192.0.2.10'), []);
    assert.equal((await getSet(c, 'RedTeam'))?.entries, 7, 'entries are kept');
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

  test('default names: the file name, also for a copy from another path (an update); numbered for another role, a feed name or a file taken in the run', async () => {
    const c = lake.lake.connection;
    const other = path.join(scratch.dir, 'otx.csv');
    copyFileSync(fixture('otx.csv'), other);
    assert.deepEqual(await chooseSetName(c, await readList(fixture('otx.csv')), 'threat'), { name: 'otx' });
    assert.deepEqual(await chooseSetName(c, await readList(other), 'threat'), { name: 'otx' });
    const trusted = await chooseSetName(c, await readList(fixture('otx.csv')), 'trusted');
    assert.equal(trusted.name, 'otx-2');
    assert.match(trusted.notBaseName!, /'otx' is already a threat list \(custom, from .*otx\.csv\)/);
    const inRun = await chooseSetName(c, await readList(other), 'threat', new Map([['otx', 'lists/otx.csv']]));
    assert.deepEqual(inRun, { name: 'otx-2', notBaseName: "lists/otx.csv, also given in this run, is stored as 'otx'" });
    const feodo = path.join(scratch.dir, 'feodo.txt');
    writeFileSync(feodo, '198.51.100.9\n');
    assert.deepEqual(await chooseSetName(c, await readList(feodo), 'threat'), { name: 'feodo-2', notBaseName: "'feodo' is the name of the managed feed Feodo ('gumshoe intel update')" });
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

  test('addListsFromSpecs: a copy from a new path updates the list of its name (no NAME-2); two files of one name in a run stay two lists', async () => {
    const c = lake.lake.connection;
    const day = (d: string, body: string) => {
      const file = path.join(scratch.dir, d, 'corp-block.txt');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
      return file;
    };
    const first = day('2026-11-20', '198.51.100.10\n198.51.100.70\n');
    const second = day('2026-11-21', '198.51.100.70\n');
    await addListsFromSpecs(c, [first], 'threat');
    const [updated] = await addListsFromSpecs(c, [second], 'threat');
    assert.deepEqual([updated!.name, updated!.entries, updated!.source], ['corp-block', 1, second]);
    assert.equal(await getSet(c, 'corp-block-2'), undefined);
    const intel = await loadIntel(c);
    assert.deepEqual(intel.ipThreats('198.51.100.10'), [], 'an entry taken off the list no longer matches');
    assert.deepEqual(intel.ipThreats('198.51.100.70').map((m) => m.listName), ['corp-block'], 'one match, not one per copy');
    const sets = await addListsFromSpecs(c, [first, second], 'threat');
    assert.deepEqual(sets.map((set) => [set.name, set.source]), [['corp-block', first], ['corp-block-2', second]]);
    await removeSet(c, 'corp-block');
    await removeSet(c, 'corp-block-2');
  });

  test('a list declared managed: its matches are not custom, entries without a category take the declared one, updates keep the declaration', async () => {
    const c = lake.lake.connection;
    const file = path.join(scratch.dir, 'pools.txt');
    writeFileSync(file, '203.0.113.80\n');
    const set = await saveList(c, await readList(file), 'pools', 'threat', { feed: 'user-managed', category: 'Cryptocurrency' });
    assert.deepEqual([set.feed, set.category], ['user-managed', 'Cryptocurrency']);
    const match = (ip: string, list: string) => loadIntel(c).then((intel) => intel.ipThreats(ip).find((m) => m.listName === list));
    assert.deepEqual(await match('203.0.113.80', 'pools'), { listName: 'pools', custom: false, threatName: 'Cryptocurrency', fileSha256: set.sha256 });
    const et = await saveList(c, await readList(fixture('proofpoint.csv')), 'et-managed', 'threat', { feed: 'user-managed' });
    assert.equal(et.category, undefined);
    assert.deepEqual([(await match('198.51.100.61', 'et-managed'))?.custom, (await match('198.51.100.61', 'et-managed'))?.threatName], [false, 'CnC'], 'its own category');
    const moved = path.join(scratch.dir, 'new', 'pools.txt');
    mkdirSync(path.dirname(moved), { recursive: true });
    writeFileSync(moved, '203.0.113.81\n');
    const [update] = await addListsFromSpecs(c, [moved], 'threat');
    assert.deepEqual([update!.name, update!.feed, update!.category], ['pools', 'user-managed', 'Cryptocurrency']);
    assert.equal((await match('203.0.113.81', 'pools'))?.threatName, 'Cryptocurrency');
    await removeSet(c, 'pools');
    await removeSet(c, 'et-managed');
  });

  test('saveList refuses a name held by a list of the other role or by a managed feed, and replaces within a role', async () => {
    const c = lake.lake.connection;
    const file = path.join(scratch.dir, 'partners.txt');
    writeFileSync(file, '192.0.2.1\n');
    const list = await readList(file);
    await saveList(c, list, 'corp-block', 'threat');
    await assert.rejects(saveList(c, list, 'corp-block', 'trusted'), (e: unknown) =>
      e instanceof UserError && /'corp-block' is already a threat list \(custom, from .*partners\.txt\)/.test(e.message) && /gumshoe intel remove corp-block/.test(e.message));
    assert.equal((await getSet(c, 'corp-block'))?.role, 'threat', 'the threat list is untouched');
    await saveSet(c, { name: 'TorExitNodes', role: 'reference', feed: 'tor-exit', problems: 0, entries: [{ kind: 'ip', value: '185.220.101.1' }] });
    for (const [name, role] of [['TorExitNodes', 'threat'], ['AwsIpRanges', 'threat'], ['feodo', 'trusted'], ['GuardDutyTesterDomains', 'threat']] as const) {
      await assert.rejects(saveList(c, list, name, role), (e: unknown) => e instanceof UserError && /is the name of (the managed feed|the built-in set)/.test(e.message), name);
    }
    assert.equal((await loadIntel(c)).isTorExit('185.220.101.1'), true, 'the Tor exits are untouched');
    assert.equal((await saveList(c, list, 'corp-block', 'threat')).role, 'threat', 'same role: replaced');
    await removeSet(c, 'corp-block');
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

