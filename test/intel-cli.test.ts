import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
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
    assert.match(result.stdout, /added threat list 'threat-ips' \(TXT\) from .*threat-ips\.txt: 5 entries, 4 malformed line\(s\); sha256 [0-9a-f]{64}/);
    assert.match(result.stderr, /warning: .*threat-ips\.txt:5: not an IPv4 address, CIDR or domain: not-an-ip!/);
    assert.match(result.stderr, /threat-ips\.txt:6: IPv6 entries are not supported/);
  });

  test('add --trusted --name, with an explicit format', async () => {
    const result = await cli(['intel', 'add', `${fixture('trusted-ips.txt')}:txt`, '--trusted', '--name', 'Office egress', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /added trusted list 'Office egress' \(TXT\).*: 2 entries, 0 malformed/);
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
    assert.deepEqual(sets.map((s) => [s.name, s.role, s.entries, s.active]), [['threat-ips', 'threat', 5, true], ['Office egress', 'trusted', 2, true]]);
    const table = await cli(['intel', 'list', '--db', db]);
    assert.match(table.stdout, /threat-ips\s+threat\s+custom\s+TXT\s+5\s+4\s+yes/);
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

  test('deactivate, activate and remove', async () => {
    assert.match((await cli(['intel', 'deactivate', 'threat-ips', '--db', db])).stdout, /threat list 'threat-ips' is inactive/);
    assert.deepEqual(JSON.parse((await cli(['intel', 'lookup', '198.51.100.7', '--json', '--db', db])).stdout).threats, []);
    assert.equal((await cli(['intel', 'activate', 'threat-ips', '--db', db])).status, 0);
    assert.equal(JSON.parse((await cli(['intel', 'lookup', '198.51.100.7', '--json', '--db', db])).stdout).threats.length, 1);
    const removed = await cli(['intel', 'remove', 'threat-ips', '--db', db]);
    assert.match(removed.stdout, /removed threat list 'threat-ips' \(5 entries\)/);
    const again = await cli(['intel', 'remove', 'threat-ips', '--db', db]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /no intel list named 'threat-ips'/);
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

  test('--source overrides a URL; when no feed loads it is a user error', async () => {
    const result = await cli(['intel', 'update', '--db', db, '--source', `AwsIpRanges=${base}/nothing`], { GUMSHOE_INTEL_BASE_URL: `${base}/missing` });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /AwsIpRanges \(http:\/\/127\.0\.0\.1:\d+\/nothing\)/);
    assert.match(result.stderr, /gumshoe: no feed could be downloaded/);
  });
});
