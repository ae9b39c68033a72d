// The investigation API over real public datasets (Stratus Red Team detonations, OTRF cloud breach).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../src/server/app.js';
import { type BuiltLake, call, datasetLake, enc, serveLake, sql } from './helpers/api.js';
import { dataset } from './helpers/lake.js';

let lake: BuiltLake;
let server: RunningServer;

before(async () => {
  lake = await datasetLake([
    dataset('stratus_detonation_logs', 'logs'),
    dataset('otrf_aws_cloud_breach_s3', 'ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl.gz'),
  ]);
  server = await serveLake(lake.file);
});

after(async () => {
  await server?.close();
  lake?.cleanup();
});

const iso = (d: Date) => d.toISOString();
const HOUR = 3_600_000;

test('health and the findings list match the lake', async () => {
  const health = await call(server, '/api/health');
  const [r] = await sql(lake.file, 'SELECT (SELECT count(*) FROM api_activity) AS ct, (SELECT count(*) FROM findings) AS findings, (SELECT max(time) FROM api_activity) AS newest');
  assert.ok(r!.ct > 0 && r!.findings > 0);
  assert.equal(health.body.lake.events.cloudtrail, r!.ct);
  assert.equal(health.body.lake.newest, iso(r!.newest));
  const list = await call(server, '/api/findings?archived=all&limit=1000');
  assert.equal(list.body.total, r!.findings);
});

test('every finding opens, with its evidence events from the lake', async () => {
  const findings = await sql(lake.file, 'SELECT f.id, (SELECT count(*) FROM finding_evidence e WHERE e.finding_id = f.id) AS n FROM findings f');
  for (const f of findings) {
    const { status, body } = await call(server, `/api/findings/${f.id}`);
    assert.equal(status, 200, body.error);
    assert.equal(body.evidence.length, f.n);
    assert.ok(body.evidence.every((e: any) => e.raw !== null && typeof e.raw === 'object'), 'each evidence row found its CloudTrail record');
  }
});

test('principal profiles over each principal\'s own activity equal SQL', async () => {
  const principals = await sql(lake.file, `SELECT actor_user_uid AS id, actor_user_type AS type, count(*) AS n, min(time) AS first, max(time) AS last
    FROM api_activity WHERE actor_user_uid IS NOT NULL AND actor_user_type IN ('IAMUser', 'AssumedRole') GROUP BY 1, 2 ORDER BY n DESC LIMIT 6`);
  assert.ok(principals.length >= 3);
  for (const p of principals) {
    const type = p.type === 'IAMUser' ? 'user' : 'session';
    const from = new Date(Math.floor(p.first.getTime() / HOUR) * HOUR);
    const to = new Date(Math.floor(p.last.getTime() / HOUR) * HOUR + HOUR);
    const { status, body } = await call(server, `/api/entities/${type}/${enc(p.id)}?from=${iso(from)}&to=${iso(to)}`);
    assert.equal(status, 200, body.error);
    assert.equal(body.entity.details.apiCalls, p.n);
    const shown = body.panels.apiVolume.buckets.reduce((n: number, b: any) => n + b.success + b.failure, 0);
    assert.equal(shown, p.n, p.id);
    const failures = await sql(lake.file, `SELECT count(*) AS n FROM api_activity WHERE actor_user_uid = $id AND status = 'Failure'`, { id: p.id });
    assert.equal(body.panels.apiVolume.buckets.reduce((n: number, b: any) => n + b.failure, 0), failures[0]!.n);
    // Nothing happened in the baseline before a principal's first call, so everything it did is newly observed.
    const apis = await sql(lake.file, 'SELECT count(DISTINCT (api_service_name, api_operation)) AS n FROM api_activity WHERE actor_user_uid = $id', { id: p.id });
    assert.equal(body.panels.newApis.items.length, Math.min(100, apis[0]!.n));
  }
});

test('access keys, IPs and user agents of the datasets resolve and search finds them', async () => {
  const [k] = await sql(lake.file, `SELECT actor_user_credential_uid AS key, count(*) AS n FROM api_activity WHERE actor_user_credential_uid IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 1`);
  const key = await call(server, `/api/entities/accesskey/${k!.key}?from=2015-01-01T00:00:00Z&to=2016-01-01T00:00:00Z`);
  assert.equal(key.status, 200);
  assert.equal(key.body.entity.details.apiCalls, k!.n);
  const search = await call(server, `/api/search?q=${k!.key}`);
  assert.equal(search.body.results[0].id, k!.key);
  const [ip] = await sql(lake.file, `SELECT src_endpoint_ip AS ip, count(*) AS n FROM api_activity WHERE src_endpoint_ip IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 1`);
  const profile = await call(server, `/api/entities/ip/${ip!.ip}`);
  assert.equal(profile.status, 200);
  assert.equal(profile.body.entity.details.apiCalls, ip!.n);
  assert.equal(typeof profile.body.entity.details.private, 'boolean');
});

test('investigations of the datasets\' users: related findings equal SQL', async () => {
  const users = await sql(lake.file, `SELECT principal, min(first_seen) AS first, max(last_seen) AS last, count(*) AS n FROM findings
    WHERE principal LIKE 'arn:aws:iam::%:user/%' AND NOT archived GROUP BY 1`);
  assert.ok(users.length > 0, 'the datasets have findings about IAM users');
  for (const u of users) {
    const from = new Date(Math.floor(u.first.getTime() / HOUR) * HOUR);
    const to = new Date(Math.floor(u.last.getTime() / HOUR) * HOUR + HOUR);
    const { status, body } = await call(server, `/api/investigations/user/${enc(u.principal)}?from=${iso(from)}&to=${iso(to)}`);
    assert.equal(status, 200, body.error);
    const related = body.indicators.find((i: any) => i.kind === 'related_findings');
    assert.equal(related.evidence.length, u.n, u.principal);
    assert.ok(body.severity >= related.severity);
  }
});
