// The web UI in a real browser (Debian chromium driven by playwright-core) against `gumshoe serve` on a demo lake.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type GraphEdge, type GraphNode, mergeSimilarFindings } from '../web/src/lib/graph.js';
import { CLI, runCli } from './helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'web');
const HOUR = 3_600_000;

/** Installs chromium when it is missing (root + apt); the reason to skip when that is impossible. */
function browserMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const install = spawnSync('bash', [path.join(ROOT, 'scripts', 'install-browser.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (existsSync(CHROMIUM)) return false;
  return `chromium is not installed and scripts/install-browser.sh could not install it: ${install.stderr.trim() || install.error?.message}`;
}

const skip = browserMissing();
if (skip) console.log(`# web-e2e skipped: ${skip}`);

// Attacker-controlled text carried by CloudTrail events: it must reach the page as inert text.
const UA = '<img src=x onerror=window.__xss=1> aws-cli/2.23.6 md/distrib#kali.2025 <script>window.__xss=2</script>';
const PARAM_IMG = '<img src=x onerror=window.__xss=3>';
const PARAM_SCRIPT = '<script>window.__xss=4</script>';
const VICTIM = 'arn:aws:iam::111122223333:user/xss-victim';

function xssEvents(newest: number): string {
  const record = (i: number, eventName: string, requestParameters: Record<string, string>) => ({
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAXSSVICTIM0000001', arn: VICTIM, accountId: '111122223333', accessKeyId: 'AKIAXSSVICTIM0000001', userName: 'xss-victim' },
    eventTime: new Date(newest - HOUR + i * 60_000).toISOString().replace('.000Z', 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    // On the demo's threat list, so the calls become findings whose evidence carries the payloads.
    sourceIPAddress: '45.137.21.9',
    userAgent: UA,
    requestParameters,
    responseElements: null,
    requestID: `xss-request-${i}`,
    eventID: `00000000-0000-4000-8000-00000000000${i}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  });
  return JSON.stringify({
    Records: [
      record(1, 'ListUsers', { pathPrefix: PARAM_IMG }),
      record(2, 'GetUser', { userName: PARAM_SCRIPT }),
      record(3, 'ListAccessKeys', { userName: PARAM_IMG }),
    ],
  });
}

function cli(args: string[]): string {
  const result = runCli(args);
  assert.equal(result.status, 0, `gumshoe ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

/** The demo lake plus the XSS events, detected. */
function buildLake(dir: string): string {
  const db = path.join(dir, 'demo.duckdb');
  cli(['demo', '--db', db, '--out', path.join(dir, 'demo'), '--events', '20000']);
  const newest = JSON.parse(cli(['query', 'SELECT max(time) AS t FROM api_activity', '--db', db, '--format', 'json']).trim()) as { t: string };
  const events = path.join(dir, 'xss-cloudtrail.json');
  writeFileSync(events, xssEvents(Date.parse(newest.t.endsWith('Z') ? newest.t : `${newest.t.replace(' ', 'T')}Z`)));
  cli(['detect', events, '--db', db, '--output', path.join(dir, 'xss-findings.jsonl')]);
  return db;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startServer(db: string): Promise<{ server: ChildProcess; base: string; log: () => string }> {
  const port = await freePort();
  const server = spawn(process.execPath, [CLI, 'serve', '--db', db, '--port', String(port)], { env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  server.stdout?.on('data', (chunk) => (output += chunk));
  server.stderr?.on('data', (chunk) => (output += chunk));
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 300; tries++) {
    if (server.exitCode !== null) throw new Error(`gumshoe serve exited ${server.exitCode}: ${output}`);
    const ok = await fetch(`${base}/api/health`).then((r) => r.ok, () => false);
    if (ok) return { server, base, log: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  server.kill();
  throw new Error(`gumshoe serve did not answer in 30 s: ${output}`);
}

describe('web UI in chromium', { skip }, () => {
  let dir: string;
  let served: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${served.base}/api${pathAndQuery}`);
    assert.equal(response.status, 200, `GET /api${pathAndQuery}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };

  /** Opens a page and waits until it has loaded (no "Loading…" left). */
  const open = async (hash: string, pageName: string) => {
    await page.goto(`${served.base}/${hash}`);
    await page.waitForSelector(`[data-page="${pageName}"]`);
    await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);
  };

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  const scopeOfUrl = () => {
    const params = new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
    return { from: params.get('from') ?? '', to: params.get('to') ?? '' };
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gumshoe-web-e2e-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const build = spawnSync('npm', ['run', 'build:web'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `npm run build:web failed: ${build.stdout}${build.stderr}`);
    served = await startServer(buildLake(dir));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // No request may leave the server: no map tiles, fonts or scripts from elsewhere.
    page.on('request', (request) => {
      if (!request.url().startsWith(served.base) && !request.url().startsWith('data:')) pageErrors.push(`external request ${request.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    served?.server.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('summary: open findings by severity, geolocations map, top principals and instances, recent groups', async () => {
    await open('', 'summary');
    const scope = scopeOfUrl();
    assert.ok(scope.from && scope.to, 'the default scope time is put into the URL');
    const summary = await api<{ findingsBySeverity: Record<string, number>; topPrincipals: unknown[]; topInstances: unknown[] }>(
      `/summary?from=${encodeURIComponent(scope.from)}&to=${encodeURIComponent(scope.to)}`,
    );
    for (const severity of ['Critical', 'High', 'Medium', 'Low']) {
      const shown = await page.textContent(`[data-severity="${severity}"] strong`);
      assert.equal(Number(shown?.replace(/,/g, '')), summary.findingsBySeverity[severity], `${severity} count`);
    }
    assert.equal(await page.locator('[data-panel="newGeolocations"] canvas').count() > 0, true, 'the map is drawn');
    assert.equal(await page.locator('table[aria-label="top principals"] tbody tr').count(), summary.topPrincipals.length);
    assert.match((await page.textContent('footer')) ?? '', /IP Geolocation by DB-IP/);
    assert.equal(await page.getAttribute('footer a', 'href'), 'https://db-ip.com');
    await shot('summary');

    // A newly observed location opens its activity details: every call from it, by IP and by resource.
    const location = page.locator('table[aria-label="newly observed geolocations"] a[title="all API calls from this location"]').first();
    assert.ok((await location.count()) > 0, 'the demo has newly observed geolocations in its last 24 hours');
    const locationHash = new URL((await location.getAttribute('href'))!, served.base).hash;
    await location.click();
    await page.waitForSelector('[data-page="geolocation"] [data-panel="activity"]');
    await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);
    const key = decodeURIComponent(locationHash.split('?')[0]!.slice('#/geolocation/'.length));
    const activity = await api<{ ips: unknown[]; resources: unknown[] }>(`/geolocations/${encodeURIComponent(key)}?from=${encodeURIComponent(scope.from)}&to=${encodeURIComponent(scope.to)}`);
    assert.equal(await page.locator('table[aria-label="API calls by observed IP address"] tbody tr').count(), Math.min(activity.ips.length, 25));
    await page.click('[role="tab"]:has-text("Resource")');
    assert.equal(await page.locator('table[aria-label="API calls by resource"] tbody tr').count(), Math.min(activity.resources.length, 25));
    await shot('geolocation');
    await page.goBack();
    await page.waitForSelector('[data-page="summary"]');
    await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);

    await page.click('table[aria-label="top instances"] tbody tr:first-child a.entity-link');
    await page.waitForSelector('[data-page="entity"][data-entity-type="instance"] [data-panel="flowVolume"] canvas');
    await page.waitForSelector('[data-panel="flowByPort"]');
    await shot('instance-profile');
  });

  test('findings: list, filter by severity, open a finding, pivot to an entity profile', async () => {
    await open('#/findings', 'findings');
    const all = await api<{ total: number }>('/findings?archived=false&sort=severity&order=desc&limit=50');
    await page.waitForSelector('table[aria-label="findings"] tbody tr');
    assert.equal(await page.locator('table[aria-label="findings"] tbody tr').count(), Math.min(all.total, 50));
    await shot('findings');

    await page.selectOption('select[aria-label="severity"]', 'Critical');
    await page.waitForFunction(() => location.hash.includes('severity=Critical'));
    await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);
    const critical = await api<{ total: number; findings: { id: string; firstSeen: string; lastSeen: string }[] }>(
      '/findings?severity=Critical&archived=false&sort=severity&order=desc&limit=50',
    );
    assert.ok(critical.total > 0, 'the demo has critical findings');
    assert.equal(await page.locator('table[aria-label="findings"] tbody tr').count(), Math.min(critical.total, 50));

    await page.click('table[aria-label="findings"] tbody tr:first-child a.finding-link');
    await page.waitForSelector('[data-page="finding"] [data-panel="entities"]');
    const finding = critical.findings[0]!;
    const scope = scopeOfUrl();
    assert.ok(Date.parse(scope.from) <= Date.parse(finding.firstSeen) && Date.parse(scope.to) >= Date.parse(finding.lastSeen), 'the scope time is the finding window');
    await page.waitForSelector('[data-panel="evidence"]');
    await shot('finding');

    const entity = page.locator('[data-panel="entities"] a.entity-link').first();
    const title = await entity.getAttribute('title');
    await entity.click();
    await page.waitForSelector('[data-page="entity"] [data-panel="details"]');
    await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0);
    assert.ok(title && (await page.textContent('.entity-header')), 'the profile has a header');
    assert.deepEqual(scopeOfUrl(), scope, 'pivoting keeps the scope time');
    await shot('entity-profile');
  });

  test('finding group: the graph is drawn with similar findings merged, and with every node when unmerged', async () => {
    const newest = (await api<{ lake: { newest: string } }>('/health')).lake.newest;
    const to = new Date(Math.floor(Date.parse(newest) / HOUR) * HOUR + HOUR).toISOString();
    const from = new Date(Date.parse(to) - 7 * 24 * HOUR).toISOString();
    const scope = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const { groups } = await api<{ groups: { id: string; findings: number }[] }>(`/groups?${scope}`);
    assert.ok(groups.length > 0, 'the demo has finding groups');
    const group = [...groups].sort((a, b) => b.findings - a.findings)[0]!;
    const detail = await api<{ graph: { nodes: GraphNode[]; edges: GraphEdge[] } }>(`/groups/${encodeURIComponent(group.id)}`);
    const merged = mergeSimilarFindings(detail.graph.nodes, detail.graph.edges, new Set());

    await open(`#/group/${encodeURIComponent(group.id)}?${scope}`, 'group');
    await page.waitForSelector('.graph canvas');
    assert.equal(Number(await page.getAttribute('.graph', 'data-nodes')), merged.nodes.length);
    assert.ok(detail.graph.nodes.length > 1, 'the graph has nodes');
    const drawn = await page.evaluate(() => document.querySelectorAll('.graph canvas').length);
    assert.ok(drawn > 0, 'cytoscape drew on canvas');
    await page.waitForTimeout(300);
    await shot('group-graph');

    await page.uncheck('input[name="merge"]');
    await page.waitForFunction((n) => document.querySelector('.graph')?.getAttribute('data-nodes') === String(n), detail.graph.nodes.length);
    await page.waitForTimeout(300);
    await shot('group-graph-unmerged');
  });

  test('investigation of an IAM user: indicators with evidence and an overall severity', async () => {
    const { results } = await api<{ results: { type: string; id: string }[] }>(`/search?q=${encodeURIComponent('xss-victim')}`);
    const user = results.find((r) => r.type === 'user');
    assert.ok(user, 'search finds the user');
    await open('', 'summary');
    const scope = scopeOfUrl();
    const query = `from=${encodeURIComponent(scope.from)}&to=${encodeURIComponent(scope.to)}`;
    const investigation = await api<{ indicators: unknown[] }>(`/investigations/user/${encodeURIComponent(user.id)}?${query}`);
    await open(`#/investigate/user/${encodeURIComponent(user.id)}?${query}`, 'investigation');
    await page.waitForSelector('.investigation-severity');
    assert.equal(await page.locator('[data-page="investigation"] .panel').count(), investigation.indicators.length);
    assert.ok(investigation.indicators.length > 0, 'a Kali user agent from a blocklisted IP gives indicators');
    await shot('investigation');
  });

  test('log text with HTML and script payloads is shown literally and never runs', async () => {
    const { findings } = await api<{ findings: { id: string; type: string; firstSeen: string; lastSeen: string }[] }>(
      `/findings?q=${encodeURIComponent('xss-victim')}&archived=false&limit=50`,
    );
    const finding = findings.find((f) => f.type.startsWith('PenTest:')) ?? findings[0];
    assert.ok(finding, 'the payload events became findings');

    await open(`#/finding/${encodeURIComponent(finding.id)}`, 'finding');
    await page.waitForSelector('[data-panel="evidence"] details');
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    const text = (await page.textContent('[data-page="finding"]')) ?? '';
    assert.ok(text.includes(PARAM_IMG) || text.includes(PARAM_SCRIPT), 'request parameters are shown as text');
    assert.ok(text.includes('<img src=x onerror=window.__xss=1>'), 'the user agent is shown as text');
    await shot('xss-finding');

    await open(`#/entity/user/${encodeURIComponent(VICTIM)}`, 'entity');
    await page.waitForSelector('[data-panel="details"]');
    await shot('xss-user-profile');

    await open(`#/entity/useragent/${encodeURIComponent(UA)}`, 'entity');
    assert.equal(await page.textContent('.entity-title'), UA, 'the user agent profile shows the string itself');
    await shot('xss-useragent-profile');

    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined, 'no payload ran');
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'no payload became an element');
    assert.deepEqual(pageErrors, [], 'no page errors and no requests beyond the server');
  });
});
