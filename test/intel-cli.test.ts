import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../src/detect/case-builders.js';
import type { CliResult } from './helpers/cli.js';
import { scratchDir } from './helpers/lake.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(ROOT, 'test/fixtures/intel');
const fixture = (name: string) => path.join(FIXTURES, name);

/**
 * The CLI from source through tsx (no build needed), run asynchronously so that the HTTP server in this
 * process can answer it.
 */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      timeout: 120_000,
    }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const scratch = scratchDir('gumshoe-intel-cli-');
const db = path.join(scratch.dir, 'lake.duckdb');
after(() => scratch.cleanup());

describe('gumshoe intel add/list/lookup/deactivate/remove', () => {
  test('add: loads the valid lines, warns file:line for the others, prints the summary', async () => {
    const result = await cli(['intel', 'add', fixture('threat-ips.txt'), '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /added threat list 'threat-ips' \(TXT\) from .*threat-ips\.txt: 7 entries, 4 malformed line\(s\); sha256 [0-9a-f]{64}/);
    assert.match(result.stderr, /warning: .*threat-ips\.txt:5: not an IP address, CIDR or domain: not-an-ip!/);
    assert.doesNotMatch(result.stderr, /threat-ips\.txt:6:/, 'the IPv6 address on line 6 is an entry');
    assert.match(result.stderr, /threat-ips\.txt:12: invalid IPv6 address or CIDR: 2001:db8::1::2/);
  });

  test('add --trusted --name, with an explicit format', async () => {
    const result = await cli(['intel', 'add', `${fixture('trusted-ips.txt')}:txt`, '--trusted', '--name', 'Office egress', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /added trusted list 'Office egress' \(TXT\).*: 3 entries, 0 malformed/);
  });

  test('add: a list with no valid entry, an unknown format, a bad name and a missing file are user errors', async () => {
    const empty = await cli(['intel', 'add', fixture('empty-of-valid.txt'), '--db', db]);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /empty-of-valid\.txt:2: expected one entry per line/);
    assert.match(empty.stderr, /gumshoe: .*empty-of-valid\.txt: no valid entries in this TXT list \(2 malformed line\(s\)\)/);
    const format = await cli(['intel', 'add', `${fixture('otx.csv')}:CSV`, '--db', db]);
    assert.equal(format.status, 2);
    assert.match(format.stderr, /unknown list format 'CSV'/);
    const name = await cli(['intel', 'add', fixture('otx.csv'), '--name', 'bad/name', '--db', db]);
    assert.equal(name.status, 2);
    assert.match(name.stderr, /invalid list name/);
    const missing = await cli(['intel', 'add', path.join(scratch.dir, 'nope.txt'), '--db', db]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read .*nope\.txt: ENOENT/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
  });

  test('list --json', async () => {
    const result = await cli(['intel', 'list', '--json', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    const sets = JSON.parse(result.stdout) as { name: string; role: string; entries: number; active: boolean }[];
    assert.deepEqual(sets.map((s) => [s.name, s.role, s.entries, s.active]), [['threat-ips', 'threat', 7, true], ['Office egress', 'trusted', 3, true]]);
    const table = await cli(['intel', 'list', '--db', db]);
    assert.match(table.stdout, /threat-ips\s+threat\s+custom\s+TXT\s+7\s+4\s+yes/);
  });

  test('lookup: list hits (trusted wins, threats still shown), geo, ASN, AWS by ASN', async () => {
    const trusted = JSON.parse((await cli(['intel', 'lookup', '192.0.2.10', '--json', '--db', db])).stdout);
    assert.equal(trusted.trusted, true);
    assert.equal(trusted.threats[0].listName, 'threat-ips');
    assert.equal(trusted.threats[0].custom, true);
    const google = JSON.parse((await cli(['intel', 'lookup', '8.8.8.8', '--json', '--db', db])).stdout);
    assert.deepEqual([google.countryCode, google.asn, google.aws, google.torExit], ['US', 15169, null, false]);
    const aws = await cli(['intel', 'lookup', '52.94.76.1', '--db', db]);
    assert.equal(aws.status, 0, aws.stderr);
    assert.match(aws.stdout, /asn:\s+16509/);
    assert.match(aws.stdout, /aws:\s+region=unknown service=AMAZON/);
    const v6 = JSON.parse((await cli(['intel', 'lookup', '2001:db8:bad::9', '--json', '--db', db])).stdout);
    assert.deepEqual([v6.threats[0]?.listName, v6.trusted], ['threat-ips', false], 'in the IPv6 /48 of the threat list');
    assert.equal(JSON.parse((await cli(['intel', 'lookup', '2001:db8:cafe::9', '--json', '--db', db])).stdout).trusted, true);
    const domain = JSON.parse((await cli(['intel', 'lookup', 'a.evil.example.org', '--json', '--db', db])).stdout);
    assert.equal(domain.threats[0].listName, 'threat-ips');
    const bad = await cli(['intel', 'lookup', 'not a thing', '--db', db]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /neither an IP address nor a domain name/);
  });

  test('lookup works without a lake (geo only)', async () => {
    const result = await cli(['intel', 'lookup', '8.8.8.8', '--json', '--db', path.join(scratch.dir, 'none.duckdb')]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).asn, 15169);
  });

  test('add --name of a list of the other role, or of a managed feed, is refused (exit 2) naming it; the same role replaces', async () => {
    const partners = path.join(scratch.dir, 'partners.txt');
    writeFileSync(partners, '192.0.2.1\n');
    const trusted = await cli(['intel', 'add', partners, '--name', 'threat-ips', '--trusted', '--db', db]);
    assert.equal(trusted.status, 2);
    assert.match(trusted.stderr, /cannot store the trusted list .*partners\.txt as 'threat-ips': 'threat-ips' is already a threat list \(custom, from .*threat-ips\.txt\)/);
    assert.equal(JSON.parse((await cli(['intel', 'lookup', '198.51.100.7', '--json', '--db', db])).stdout).threats[0]?.listName, 'threat-ips');
    const tor = await cli(['intel', 'add', partners, '--name', 'TorExitNodes', '--db', db]);
    assert.equal(tor.status, 2);
    assert.match(tor.stderr, /'TorExitNodes' is the name of the managed feed TorExitNodes \('gumshoe intel update'\)\. .*choose another --name/);
    const same = await cli(['intel', 'add', partners, '--name', 'Office egress', '--trusted', '--db', db]);
    assert.match(same.stdout, /replaced trusted list 'Office egress'/);
    const unnamed = await cli(['intel', 'add', `${fixture('trusted-ips.txt')}:txt`, '--trusted', '--name', 'Office egress', '--db', db]);
    assert.equal(unnamed.status, 0, unnamed.stderr);
  });

  test('add --managed [--category]: categories pick the managed types; the combinations that mean nothing are refused', async () => {
    const pools = path.join(scratch.dir, 'mining-pools.txt');
    writeFileSync(pools, '203.0.113.80\n203.0.113.81\n');
    const added = await cli(['intel', 'add', pools, '--managed', '--category', 'cryptocurrency', '--db', db]);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /added threat list 'mining-pools'.*\nmanaged intel, by category: Cryptocurrency 2/);
    const lookup = JSON.parse((await cli(['intel', 'lookup', '203.0.113.80', '--json', '--db', db])).stdout);
    const pool = lookup.threats.find((m: { listName: string }) => m.listName === 'mining-pools');
    assert.deepEqual([pool.custom, pool.threatName], [false, 'Cryptocurrency']);
    const et = await cli(['intel', 'add', fixture('proofpoint.csv'), '--managed', '--name', 'et-iqrisk', '--db', db]);
    assert.match(et.stdout, /managed intel, by category: .*CommandAndControl 1/);
    const list = JSON.parse((await cli(['intel', 'list', '--json', '--db', db])).stdout) as { name: string; feed: string; category?: string }[];
    assert.deepEqual(list.filter((s) => s.feed === 'user-managed').map((s) => [s.name, s.category]), [['et-iqrisk', undefined], ['mining-pools', 'Cryptocurrency']]);
    for (const [args, message] of [
      [['--managed', '--trusted'], /a trusted list has no categories/],
      [['--category', 'DropPoint'], /--category only applies with --managed/],
      [['--managed', '--category', 'bitcoin'], /unknown category 'bitcoin'; use one of CommandAndControl, Cryptocurrency/],
    ] as const) {
      const refused = await cli(['intel', 'add', pools, ...args, '--db', db]);
      assert.equal(refused.status, 2, args.join(' '));
      assert.match(refused.stderr, message);
    }
    assert.equal((await cli(['intel', 'remove', 'mining-pools', '--db', db])).status, 0);
    assert.equal((await cli(['intel', 'remove', 'et-iqrisk', '--db', db])).status, 0);
  });

  test('add: a UTF-16 list saved by Windows PowerShell loads', async () => {
    const file = path.join(scratch.dir, 'ps-blocklist.txt');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('198.51.100.11\r\n198.51.100.12\r\n', 'utf16le')]));
    const result = await cli(['intel', 'add', file, '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /added threat list 'ps-blocklist' \(TXT\).*: 2 entries, 0 malformed/);
    assert.equal((await cli(['intel', 'remove', 'ps-blocklist', '--db', db])).status, 0);
  });

  test('add and remove: a one-entry list is counted as one entry', async () => {
    const file = path.join(scratch.dir, 'single.txt');
    writeFileSync(file, '198.51.100.13\n');
    const added = await cli(['intel', 'add', file, '--db', db]);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /added threat list 'single' \(TXT\).*: 1 entry, 0 malformed/);
    assert.match((await cli(['intel', 'remove', 'single', '--db', db])).stdout, /removed threat list 'single' \(1 entry\)/);
  });

  test('deactivate, activate and remove', async () => {
    assert.match((await cli(['intel', 'deactivate', 'threat-ips', '--db', db])).stdout, /threat list 'threat-ips' is inactive/);
    assert.deepEqual(JSON.parse((await cli(['intel', 'lookup', '198.51.100.7', '--json', '--db', db])).stdout).threats, []);
    assert.equal((await cli(['intel', 'activate', 'threat-ips', '--db', db])).status, 0);
    assert.equal(JSON.parse((await cli(['intel', 'lookup', '198.51.100.7', '--json', '--db', db])).stdout).threats.length, 1);
    const removed = await cli(['intel', 'remove', 'threat-ips', '--db', db]);
    assert.match(removed.stdout, /removed threat list 'threat-ips' \(7 entries\)/);
    const again = await cli(['intel', 'remove', 'threat-ips', '--db', db]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /no intel list named 'threat-ips'/);
  });
});

describe('gumshoe intel accounts add/list/remove', () => {
  const accountsDb = path.join(scratch.dir, 'accounts.duckdb');
  const declared = async () => JSON.parse((await cli(['intel', 'accounts', 'list', '--json', '--db', accountsDb])).stdout).map((a: { accountId: string }) => a.accountId);

  test('list without a lake: none declared', async () => {
    const result = await cli(['intel', 'accounts', 'list', '--db', accountsDb]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /no organisation accounts declared; only the accounts whose events are in the lake count/);
    assert.deepEqual(await declared(), []);
    assert.equal(existsSync(accountsDb), false);
  });

  test('add stores the accounts in the lake; adding one again says so', async () => {
    const first = await cli(['intel', 'accounts', 'add', '777788889999', '999988887777', '777788889999', '--db', accountsDb]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout.trim(), 'added 2 organisation account(s): 777788889999, 999988887777');
    const again = await cli(['intel', 'accounts', 'add', '999988887777', '555566667777', '--db', accountsDb]);
    assert.equal(again.stdout.trim(), 'added 1 organisation account(s): 555566667777; already declared: 999988887777');
    assert.deepEqual(await declared(), ['555566667777', '777788889999', '999988887777']);
    const table = await cli(['intel', 'accounts', 'list', '--db', accountsDb]);
    assert.match(table.stdout, /account\s+added/);
    assert.match(table.stdout, /777788889999\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  });

  test('an id that is not exactly 12 digits is a user error naming it, and nothing is added', async () => {
    const result = await cli(['intel', 'accounts', 'add', '123412341234', '12345', 'arn:aws:iam::123412341234:root', '1234123412345', '--db', accountsDb]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^gumshoe: not an AWS account id \(12 digits\): '12345', 'arn:aws:iam::123412341234:root', '1234123412345'/);
    assert.deepEqual(await declared(), ['555566667777', '777788889999', '999988887777']);
    const fresh = path.join(scratch.dir, 'never-created.duckdb');
    assert.equal((await cli(['intel', 'accounts', 'add', 'abc', '--db', fresh])).status, 2);
    assert.equal(existsSync(fresh), false);
  });

  test('remove: the declared ones go, an undeclared one is named with exit 2', async () => {
    const result = await cli(['intel', 'accounts', 'remove', '555566667777', '121212121212', '--db', accountsDb]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout.trim(), 'removed 1 organisation account(s): 555566667777');
    assert.match(result.stderr, /gumshoe: not a declared organisation account: 121212121212; see 'gumshoe intel accounts list'/);
    assert.deepEqual(await declared(), ['777788889999', '999988887777']);
    const bad = await cli(['intel', 'accounts', 'remove', '7777-8888-9999', '--db', accountsDb]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not an AWS account id \(12 digits\): '7777-8888-9999'/);
    const noLake = await cli(['intel', 'accounts', 'remove', '777788889999', '--db', path.join(scratch.dir, 'none.duckdb')]);
    assert.equal(noLake.status, 2);
    assert.match(noLake.stderr, /no lake at .*none\.duckdb/);
  });

  test('detect counts declared accounts as the organisation’s; Terraform sharing outside it is Low', async () => {
    // One workload account's trail: the backup (777788889999) and management (999988887777) accounts have no events in it.
    const ci = assumedRole('TerraformApply', 'ci-run-8812');
    const shareSnapshot = (snapshotId: string, account: string, identity: Record<string, unknown>, time: string, userAgent?: string) =>
      ctEvent({
        service: 'ec2',
        name: 'ModifySnapshotAttribute',
        identity,
        userAgent,
        time,
        request: { snapshotId, attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: account }] } } },
      });
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'sts:AssumeRole' }] });
    const trail = (name: string, records: Record<string, unknown>[]) => {
      const file = path.join(scratch.dir, name);
      writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
      return file;
    };
    const detect = async (file: string) => {
      const result = await cli(['detect', file, '--db', accountsDb]);
      assert.equal(result.status, 0, result.stderr);
      return result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; severity: number; title: string })
        .map((f) => `${f.type} ${f.severity} ${/snap-\w+/.exec(f.title)?.[0] ?? f.title}`).sort();
    };
    const first = trail('first.json', [
      shareSnapshot('snap-0backup', '777788889999', ci, '2026-11-02T10:00:00Z', TERRAFORM_AGENT),
      ctEvent({ service: 'iam', name: 'CreateRole', identity: ci, userAgent: TERRAFORM_AGENT, time: '2026-11-02T10:00:01Z', request: { roleName: 'OrgAudit', assumeRolePolicyDocument: trust } }),
      shareSnapshot('snap-0partner', '444455556666', ci, '2026-11-02T10:00:02Z', TERRAFORM_AGENT),
      shareSnapshot('snap-0byhand', '121212121212', iamUser('alice'), '2026-11-02T10:00:03Z'),
    ]);
    assert.deepEqual(await detect(first), [
      'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe 2 snap-0partner',
      'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe 8 snap-0byhand',
    ].sort());
    // Once removed, the backup account is outside again for the events detected from then on.
    assert.equal((await cli(['intel', 'accounts', 'remove', '777788889999', '--db', accountsDb])).status, 0);
    const second = trail('second.json', [shareSnapshot('snap-0later', '777788889999', iamUser('alice'), '2026-11-03T10:00:00Z')]);
    assert.deepEqual(await detect(second), ['Exfiltration:EC2/SnapshotSharedExternally.Gumshoe 8 snap-0later']);
  });
});

describe('gumshoe intel update', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      const bodies: Record<string, string> = {
        '/torbulkexitlist': '185.220.101.1\n',
        '/feodo-ipblocklist.txt': '# Feodo\n198.51.100.50\n',
        '/compromised-ips.txt': '203.0.113.99\n',
        '/feodo-empty.txt': '# Feodo\n# END 0 entries\n',
        '/onionoo-relays.json': '{"relays":[{"or_addresses":["185.220.101.2:9001"]}]}',
      };
      const body = bodies[req.url ?? ''];
      res.writeHead(body === undefined ? 404 : 200);
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  test('loads what it can from GUMSHOE_INTEL_BASE_URL and reports the feed that failed', async () => {
    const result = await cli(['intel', 'update', '--db', db], { GUMSHOE_INTEL_BASE_URL: base });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /AwsIpRanges\s+FAILED/);
    assert.match(result.stdout, /Feodo\s+loaded\s+1\s+0\s+[0-9a-f]{64}/);
    assert.match(result.stdout, /4 of 5 feeds loaded/);
    assert.match(result.stderr, /warning: AwsIpRanges \(http:\/\/127\.0\.0\.1:\d+\/ip-ranges\.json\): cannot fetch .*HTTP 404/);
    const lookup = JSON.parse((await cli(['intel', 'lookup', '198.51.100.50', '--json', '--db', db])).stdout);
    assert.deepEqual(lookup.threats.map((m: { listName: string; custom: boolean }) => [m.listName, m.custom]), [['Feodo', false]]);
    const tor = JSON.parse((await cli(['intel', 'lookup', '185.220.101.1', '--json', '--db', db])).stdout);
    assert.equal(tor.torExit, true);
  });

  test("a feed that says it lists nothing shows as empty, not FAILED", async () => {
    const result = await cli(['intel', 'update', '--db', db, '--source', `Feodo=${base}/feodo-empty.txt`], { GUMSHOE_INTEL_BASE_URL: base });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Feodo\s+empty\s+0\s+0\s+[0-9a-f]{64}/);
    assert.doesNotMatch(result.stderr, /Feodo/);
    assert.deepEqual(JSON.parse((await cli(['intel', 'lookup', '198.51.100.50', '--json', '--db', db])).stdout).threats, []);
  });

  test('--source overrides a URL; when no feed loads it is a user error', async () => {
    const result = await cli(['intel', 'update', '--db', db, '--source', `AwsIpRanges=${base}/nothing`], { GUMSHOE_INTEL_BASE_URL: `${base}/missing` });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /AwsIpRanges \(http:\/\/127\.0\.0\.1:\d+\/nothing\)/);
    assert.match(result.stderr, /gumshoe: no feed could be downloaded/);
  });
});
