import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIntel } from '../src/intel/load.js';
import { getSet, readList } from '../src/intel/store.js';
import { parseOnionooRelays, parseTxtFeed, resolveFeeds, updateIntel } from '../src/intel/update.js';
import { UserError } from '../src/sources/input.js';
import { setEnv } from './helpers/env.js';
import { tempLake, type TestLake } from './helpers/lake.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/intel');

/** The managed feeds, as served by a local mirror; tests change `routes` to break feeds. */
const FEED_BODIES: Record<string, string> = {
  '/ip-ranges.json': readFileSync(path.join(FIXTURES, 'ip-ranges.json'), 'utf8'),
  '/torbulkexitlist': '185.220.101.1\n185.220.101.33\n',
  '/onionoo-relays.json': JSON.stringify({
    version: '8.0',
    relays: [
      { or_addresses: ['185.220.101.2:9001', '[2001:db8::2]:9001'], flags: ['Fast', 'Running', 'Valid'] },
      { or_addresses: ['185.220.101.1:443'] },
      { or_addresses: ['not-an-ip:9001'] },
      // Two relays on one IPv6 host, the second an exit: the address is an exit's.
      { or_addresses: ['[2001:db8::33]:9002'], flags: ['Running'] },
      { or_addresses: ['185.220.101.33:443', '[2001:DB8:0::33]:443'], flags: ['Exit', 'Fast', 'Running', 'Valid'] },
    ],
  }),
  '/feodo-ipblocklist.txt': '################################################################\n# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (recommended)    #\n################################################################\n198.51.100.50\n198.51.100.51\n',
  '/compromised-ips.txt': '203.0.113.99\n203.0.113.100\n',
};

let server: Server;
let base: string;
const routes = new Map<string, { status: number; body: string }>();
const requests: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (route?.status === 0) return; // never answers: exercises the timeout
    res.writeHead(route?.status ?? 404, { 'content-type': 'text/plain' });
    res.end(route?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function serveAll(): void {
  routes.clear();
  for (const [route, body] of Object.entries(FEED_BODIES)) routes.set(route, { status: 200, body });
}

describe('intel update', () => {
  let lake: TestLake;
  before(async () => {
    lake = await tempLake();
  });
  after(() => lake.close());

  test('loads every feed from a mirror: AWS ranges, Tor exits and relays, managed threat lists', async () => {
    serveAll();
    const results = await updateIntel(lake.lake.connection, { baseUrl: base });
    assert.deepEqual(results.map((r) => [r.name, r.ok, r.entries]), [
      ['AwsIpRanges', true, 5], ['TorExitNodes', true, 2], ['TorRelays', true, 5], ['Feodo', true, 2], ['EmergingThreats', true, 2],
    ]);
    assert.match(results[0]!.sha256!, /^[0-9a-f]{64}$/);
    assert.equal(results[2]!.problems, 1, 'the relay address that is not an IP');
    const intel = await loadIntel(lake.lake.connection);
    assert.deepEqual(intel.awsRange('52.94.76.1'), { region: 'us-west-2', service: 'EC2' });
    assert.equal(intel.awsRange('52.94.1.1'), undefined, 'ranges loaded: no ASN fallback');
    assert.equal(intel.isTorExit('185.220.101.33'), true);
    assert.equal(intel.isTorRelay('185.220.101.2'), true);
    assert.equal(intel.isTorRelay('2001:db8::2'), true, 'an IPv6 OR address');
    assert.equal(intel.isTorExit('2001:db8::2'), false, 'no Exit flag');
    assert.equal(intel.isTorExit('2001:0db8::0033'), true, 'the IPv6 address of a relay with the Exit flag');
    assert.deepEqual(intel.ipThreats('198.51.100.50'), [{ listName: 'Feodo', custom: false, threatName: 'CommandAndControl', fileSha256: results[3]!.sha256 }]);
    assert.equal(intel.ipThreats('203.0.113.99')[0]?.listName, 'EmergingThreats');
  });

  test('a failing feed is reported and keeps its previous contents; the others still load', async () => {
    serveAll();
    routes.set('/torbulkexitlist', { status: 503, body: 'down' });
    routes.set('/compromised-ips.txt', { status: 200, body: '<html>maintenance</html>\n' });
    routes.set('/feodo-ipblocklist.txt', { status: 200, body: '198.51.100.52\n' });
    const results = await updateIntel(lake.lake.connection, { baseUrl: base });
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.equal(byName.TorExitNodes!.ok, false);
    assert.match(byName.TorExitNodes!.error!, /HTTP 503/);
    assert.equal(byName.EmergingThreats!.ok, false);
    assert.match(byName.EmergingThreats!.error!, /no entries/);
    assert.equal(byName.Feodo!.ok, true);
    const intel = await loadIntel(lake.lake.connection);
    assert.equal(intel.isTorExit('185.220.101.33'), true, 'previous Tor exits kept');
    assert.equal(intel.ipThreats('203.0.113.99')[0]?.listName, 'EmergingThreats', 'previous entries kept');
    assert.equal(intel.ipThreats('198.51.100.52')[0]?.listName, 'Feodo');
    assert.deepEqual(intel.ipThreats('198.51.100.50'), [], 'Feodo replaced');
  });

  test('--source overrides one URL; a feed that never answers times out', async () => {
    serveAll();
    routes.set('/elsewhere/exits', { status: 200, body: '192.0.2.77\n' });
    routes.set('/ip-ranges.json', { status: 0, body: '' });
    const t = Date.now();
    const results = await updateIntel(lake.lake.connection, { baseUrl: base, sources: [`torexitnodes=${base}/elsewhere/exits`], timeoutMs: 500 });
    assert.ok(Date.now() - t < 10_000);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.equal(byName.TorExitNodes!.url, `${base}/elsewhere/exits`);
    assert.equal(byName.TorExitNodes!.entries, 1);
    assert.equal(byName.AwsIpRanges!.ok, false);
    assert.match(byName.AwsIpRanges!.error!, /no answer in 0.5 s/);
    assert.equal((await getSet(lake.lake.connection, 'AwsIpRanges'))?.entries, 5, 'previous ranges kept');
  });

  test('a deactivated feed stays inactive across updates', async () => {
    serveAll();
    await lake.lake.connection.run("UPDATE intel_sets SET active = false WHERE name = 'Feodo'");
    await updateIntel(lake.lake.connection, { baseUrl: base });
    assert.equal((await getSet(lake.lake.connection, 'Feodo'))?.active, false);
    assert.deepEqual((await loadIntel(lake.lake.connection)).ipThreats('198.51.100.50'), []);
  });

  test('a TXT feed cut off mid-line (no final line end) is a failed download that keeps the previous set', async () => {
    serveAll();
    routes.set('/torbulkexitlist', { status: 200, body: '185.220.101.1\n185.220.101.2\n185.220.101.3\n199.249.230.87\n' });
    await updateIntel(lake.lake.connection, { baseUrl: base });
    routes.set('/torbulkexitlist', { status: 200, body: '185.220.101.1\n185.22' });
    const tor = (await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'TorExitNodes')!;
    assert.equal(tor.ok, false);
    assert.match(tor.error!, /cut off: the last line, '185\.22', has no line end/);
    const intel = await loadIntel(lake.lake.connection);
    assert.equal(intel.isTorExit('199.249.230.87'), true, 'previous contents kept');
    assert.equal((await getSet(lake.lake.connection, 'TorExitNodes'))?.entries, 4);
  });

  test('a feed shrinking below half of a set of 20 or more fails, unless accepted; smaller sets are not guarded', async () => {
    serveAll();
    const ips = (n: number) => Array.from({ length: n }, (_, i) => `203.0.113.${i + 1}\n`).join('');
    routes.set('/compromised-ips.txt', { status: 200, body: ips(40) });
    await updateIntel(lake.lake.connection, { baseUrl: base });
    routes.set('/compromised-ips.txt', { status: 200, body: ips(19) });
    const shrunk = (await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'EmergingThreats')!;
    assert.equal(shrunk.ok, false);
    assert.match(shrunk.error!, /shrank from 40 to 19 entries \(below half\).*--accept-shrink/);
    assert.equal((await getSet(lake.lake.connection, 'EmergingThreats'))?.entries, 40, 'previous contents kept');
    routes.set('/compromised-ips.txt', { status: 200, body: ips(20) });
    assert.equal((await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'EmergingThreats')!.entries, 20, 'half is no shrink');
    routes.set('/compromised-ips.txt', { status: 200, body: ips(3) });
    const accepted = (await updateIntel(lake.lake.connection, { baseUrl: base, acceptShrink: true })).find((r) => r.name === 'EmergingThreats')!;
    assert.deepEqual([accepted.ok, accepted.entries], [true, 3]);
    routes.set('/compromised-ips.txt', { status: 200, body: ips(1) });
    assert.equal((await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'EmergingThreats')!.entries, 1, '3 entries are not guarded');
  });

  test("a feed that says it lists nothing (Feodo's '# END 0 entries') empties its set; a stated size it does not hold fails", async () => {
    serveAll();
    await lake.lake.connection.run("UPDATE intel_sets SET active = true WHERE name = 'Feodo'");
    await updateIntel(lake.lake.connection, { baseUrl: base });
    assert.equal((await loadIntel(lake.lake.connection)).ipThreats('198.51.100.50')[0]?.listName, 'Feodo');
    const header = FEED_BODIES['/feodo-ipblocklist.txt']!.split('\n').filter((l) => l.startsWith('#')).join('\n');
    routes.set('/feodo-ipblocklist.txt', { status: 200, body: `${header}\n# DstIP\n198.51.100.50\n# END 2 entries\n` });
    const short = (await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'Feodo')!;
    assert.equal(short.ok, false);
    assert.match(short.error!, /incomplete: the feed says it holds 2 entries, 1 were read/);
    routes.set('/feodo-ipblocklist.txt', { status: 200, body: `${header}\n# DstIP\n# END 0 entries\n` });
    const empty = (await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'Feodo')!;
    assert.deepEqual([empty.ok, empty.entries], [true, 0]);
    assert.deepEqual((await loadIntel(lake.lake.connection)).ipThreats('198.51.100.50'), [], 'withdrawn C&C addresses no longer match');
    routes.set('/feodo-ipblocklist.txt', { status: 200, body: `${header}\n` });
    const broken = (await updateIntel(lake.lake.connection, { baseUrl: base })).find((r) => r.name === 'Feodo')!;
    assert.equal(broken.ok, false, 'no entries and no stated size: a broken download');
    assert.match(broken.error!, /no entries/);
  });

  test('parseTxtFeed: a cut-off comment is harmless; a stated size counts malformed lines too', () => {
    assert.equal(parseTxtFeed('198.51.100.1\n# END 1 ent').entries.length, 1);
    assert.deepEqual(parseTxtFeed('198.51.100.1\nnot-an-ip!\n# END 2 entries\n').problems, 1);
    assert.equal(parseTxtFeed('# END 0 entries\n').sizeConfirmed, true);
  });

  test('URL resolution: defaults, base URL from the environment, bad overrides', () => {
    const defaults = resolveFeeds({ baseUrl: '' });
    assert.equal(defaults.find((f) => f.name === 'AwsIpRanges')!.url, 'https://ip-ranges.amazonaws.com/ip-ranges.json');
    const restore = setEnv({ GUMSHOE_INTEL_BASE_URL: 'http://mirror.example/intel/' });
    try {
      assert.equal(resolveFeeds().find((f) => f.name === 'Feodo')!.url, 'http://mirror.example/intel/feodo-ipblocklist.txt');
    } finally {
      restore();
    }
    assert.throws(() => resolveFeeds({ sources: ['Nope=http://x'] }), UserError);
    assert.throws(() => resolveFeeds({ sources: ['Feodo'] }), UserError);
    assert.throws(() => resolveFeeds({ sources: ['Feodo=ftp://x'] }), UserError);
  });

  test('a list can be read from an http URL, with a :FORMAT suffix after the URL', async () => {
    serveAll();
    const list = await readList(`${base}/compromised-ips.txt:TXT`);
    assert.deepEqual([list.source, list.baseName, list.format, list.entries.length], [`${base}/compromised-ips.txt`, 'compromised-ips', 'TXT', 2]);
    await assert.rejects(readList(`${base}/missing.txt`), (e: unknown) => e instanceof UserError && /HTTP 404/.test(e.message));
  });

  test('onionoo: IPv4 and IPv6 or_addresses kept once, those of relays with the Exit flag marked', () => {
    const parsed = parseOnionooRelays(FEED_BODIES['/onionoo-relays.json']!);
    assert.deepEqual(parsed.entries, [
      { kind: 'ip', value: '185.220.101.2' }, { kind: 'ip', value: '2001:db8::2' }, { kind: 'ip', value: '185.220.101.1' },
      { kind: 'ip', value: '2001:db8::33', threatName: 'Exit' }, { kind: 'ip', value: '185.220.101.33', threatName: 'Exit' },
    ]);
    assert.equal(parsed.problems, 1);
    const bad = parseOnionooRelays(JSON.stringify({ relays: [{ or_addresses: ['[2001:db8::zz]:9001', '[2001:db8::1]', '2001:db8::1:9001', '198.51.100.9:x'] }] }));
    assert.deepEqual([bad.entries, bad.problems], [[], 4]);
    assert.throws(() => parseOnionooRelays('{}'), /no "relays" array/);
  });
});
