// The server keeps answering while a real `gumshoe ingest` process writes the same lake.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../src/server/app.js';
import { simulate } from '../src/simulate/simulate.js';
import { type BuiltLake, call, serveLake, simulatedLake, sql } from './helpers/api.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const END = new Date('2026-01-10T00:00:00Z');

let lake: BuiltLake;
let server: RunningServer;
let more: string;

before(async () => {
  lake = await simulatedLake({ events: 5_000, end: END });
  // A second, larger batch of logs (a later week) for the concurrent ingest: large enough to take seconds.
  more = path.join(lake.dir, 'more');
  await simulate({ outDir: more, seed: 99, days: 3, accounts: 2, events: 300_000, scenarios: [], all: false, end: new Date('2026-01-17T00:00:00Z') });
  server = await serveLake(lake.file, { idleMs: 50 });
});

after(async () => {
  await server?.close();
  lake?.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('answers from its cache, marked stale, while gumshoe ingest holds the lake; fresh again after', async () => {
  const before = await call(server, '/api/health');
  const findings = await call(server, '/api/findings?limit=5');
  assert.equal(before.status, 200);
  assert.equal(before.body.stale, undefined);

  // The server must not hold the file when the writer starts, or the writer could not open it.
  await until(() => !server.access.isOpen, 'the server to release the lake');
  const version = server.access.version();
  const ingest: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ingest', path.join(more, 'AWSLogs'), '--db', lake.file, '--json'], {
    cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  ingest.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => ingest.once('exit', resolve));
  try {
    // Writing has begun once the file changes.
    await until(() => server.access.version() !== version || ingest.exitCode !== null, 'the ingest to write');
    assert.equal(ingest.exitCode, null, `ingest ended before the test could watch it: ${stderr}`);

    const stale = await call(server, '/api/health');
    const staleFindings = await call(server, '/api/findings?limit=5');
    const uncached = await call(server, '/api/groups?from=2026-01-01T00:00:00Z&to=2026-01-20T00:00:00Z');
    // Answered while the ingest still runs: nothing waited for the writer.
    assert.equal(ingest.exitCode, null, 'the ingest was still running during the requests');

    assert.equal(stale.status, 200);
    assert.equal(stale.body.stale, true);
    assert.equal(stale.headers.get('x-gumshoe-stale'), 'true');
    assert.deepEqual(stale.body.lake, before.body.lake, 'the last answer, as it was');
    assert.equal(staleFindings.body.stale, true);
    assert.deepEqual(staleFindings.body.findings, findings.body.findings);
    assert.equal(uncached.status, 503);
    assert.match(uncached.body.error, /being written by another process/);
    assert.equal(uncached.headers.get('retry-after'), '5');
  } finally {
    if (ingest.exitCode === null) await exited;
  }
  assert.equal(await exited, 0, `ingest failed: ${stderr}`);

  const fresh = await call(server, '/api/health');
  assert.equal(fresh.status, 200);
  assert.equal(fresh.body.stale, undefined);
  const [counts] = await sql(lake.file, 'SELECT (SELECT count(*) FROM api_activity) AS ct, (SELECT count(*) FROM network_activity) AS flow, (SELECT count(*) FROM dns_activity) AS dns');
  assert.deepEqual(fresh.body.lake.events, { cloudtrail: counts!.ct, flow: counts!.flow, dns: counts!.dns });
  assert.ok(fresh.body.lake.events.flow > before.body.lake.events.flow, 'the new records are visible');
  assert.equal((await call(server, '/api/groups?from=2026-01-01T00:00:00Z&to=2026-01-20T00:00:00Z')).status, 200);
});
