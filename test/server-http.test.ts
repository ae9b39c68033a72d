// The HTTP surface of `gumshoe serve`: loopback by default, a bearer token off loopback, the CLI, static files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Lake } from '../src/lake/db.js';
import { startServer } from '../src/server/app.js';
import { scratchDir } from './helpers/lake.js';

const ROOT = path.resolve(import.meta.dirname, '..');
let scratch: ReturnType<typeof scratchDir>;
let file: string;

before(async () => {
  scratch = scratchDir('gumshoe-http-');
  file = path.join(scratch.dir, 'lake.duckdb');
  (await Lake.open(file)).close();
});
after(() => scratch.cleanup());

const get = (port: number, urlPath: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${port}${urlPath}`, { headers }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), text: await r.text() }));

test('off loopback, every /api call needs the bearer token', async () => {
  await assert.rejects(startServer({ file, host: '0.0.0.0', port: 0 }), /needs a token/);
  const server = await startServer({ file, host: '0.0.0.0', port: 0, token: 's3cret-token' });
  try {
    const none = await get(server.port, '/api/health');
    assert.equal(none.status, 401);
    assert.match(JSON.parse(none.text).error, /bearer token is required/);
    assert.equal((await get(server.port, '/api/health', { Authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await get(server.port, '/api/findings', { Authorization: 'Basic czNjcmV0LXRva2Vu' })).status, 401);
    const ok = await get(server.port, '/api/health', { Authorization: 'Bearer s3cret-token' });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.text).ok, true);
  } finally {
    await server.close();
  }
});

test('on loopback no token is needed, but the Host must be a loopback name (no DNS rebinding)', async () => {
  const server = await startServer({ file, port: 0 });
  try {
    assert.equal(server.host, '127.0.0.1');
    assert.equal((await get(server.port, '/api/health')).status, 200);
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/api/health', headers: { Host: 'attacker.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(rebound, 403);
  } finally {
    await server.close();
  }
  // A token given on loopback is enforced too.
  const guarded = await startServer({ file, port: 0, token: 'abc' });
  try {
    assert.equal((await get(guarded.port, '/api/health')).status, 401);
    assert.equal((await get(guarded.port, '/api/health', { Authorization: 'Bearer abc' })).status, 200);
  } finally {
    await guarded.close();
  }
});

test('gumshoe serve off loopback prints a token that opens the API', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', file, '--host', '0.0.0.0', '--port', '0'], {
    cwd: ROOT, env: { ...process.env, NO_COLOR: '1', GUMSHOE_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const printed = await new Promise<{ port: number; token: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no token printed: ${out}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        const port = /:(\d+)\/\s/.exec(out)?.[1];
        const token = /^API token: (\S+)$/m.exec(out)?.[1];
        if (port && token) {
          clearTimeout(timer);
          resolve({ port: Number(port), token });
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    assert.equal((await get(printed.port, '/api/health')).status, 401);
    assert.equal((await get(printed.port, '/api/health', { Authorization: `Bearer ${printed.token}` })).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
  assert.equal(code, 0, 'Ctrl-C / SIGTERM stops the server cleanly');
});

test('gumshoe serve without a lake says so', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', path.join(scratch.dir, 'missing.duckdb')], {
    cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /no lake at .*missing\.duckdb/);
});

test('the built UI is served, with index.html for deep links, never a file outside it', async () => {
  const web = path.join(scratch.dir, 'web');
  mkdirSync(path.join(web, 'assets'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>gumshoe</title>');
  writeFileSync(path.join(web, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(scratch.dir, 'secret.txt'), 'do not serve');
  const server = await startServer({ file, port: 0, webRoot: web });
  try {
    const index = await get(server.port, '/');
    assert.equal(index.status, 200);
    assert.match(index.type ?? '', /text\/html/);
    assert.match(index.text, /<title>gumshoe/);
    const deep = await get(server.port, `/entities/user/${encodeURIComponent('arn:aws:iam::1:user/x')}?from=2026-01-01`);
    assert.equal(deep.text, index.text);
    const script = await get(server.port, '/assets/app.js');
    assert.match(script.type ?? '', /text\/javascript/);
    assert.equal(script.text, 'console.log(1)');
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await get(server.port, attempt);
      assert.notEqual(r.text, 'do not serve', attempt);
    }
    const api = await get(server.port, '/api/nothing');
    assert.equal(api.status, 404);
    assert.match(api.type ?? '', /application\/json/);
  } finally {
    await server.close();
  }
});
