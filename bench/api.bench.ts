/**
 * Investigation API benchmark: `npm run bench:api`.
 *
 * Builds (once) a lake of simulated events with the hand-written incidents (bench/api-lake.ts: 10M background
 * events by default, GUMSHOE_BENCH_SCALE=0.1 for 1M), serves it on 127.0.0.1 and times every profile and
 * group endpoint over several entities each: p50/p95 of real HTTP calls, each call a distinct URL (a shifted
 * scope) so none is answered from the server's answer cache. Next to each it times the plain SQL aggregation
 * the endpoint replaces — the same numbers computed straight from the event tables, filtered by entity only —
 * on a separate connection. Target (issue 6): ≤ 300 ms per call on 10M events.
 *
 * Environment: GUMSHOE_BENCH_SCALE (default 1), GUMSHOE_BENCH_RUNS (scopes per entity, default 3).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPrivateIp } from '../src/detect/network-event.js';
import { packageGeo } from '../src/intel/geo.js';
import { Lake } from '../src/lake/db.js';
import { startServer } from '../src/server/app.js';
import { benchEvents, benchLake } from './api-lake.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 300;
const HOUR = 3_600_000;
const RUNS = Number(process.env.GUMSHOE_BENCH_RUNS ?? 3);
const ENTITIES_PER_TYPE = 5;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

const built = await benchLake(benchEvents());
const lake = await Lake.open(built.file, { readOnly: true });
const sql = async (query: string, params: Record<string, string> = {}) => (await lake.connection.runAndReadAll(query, params)).getRowObjectsJS();
const column = async (query: string) => (await sql(query)).map((r) => String(Object.values(r)[0]));

const [range] = await sql(`SELECT (SELECT count(*) FROM api_activity) + (SELECT count(*) FROM network_activity) + (SELECT count(*) FROM dns_activity) AS events,
  greatest((SELECT max(time) FROM api_activity), (SELECT max(time) FROM network_activity), (SELECT max(time) FROM dns_activity)) AS newest`);
const events = Number(range!.events);
const newest = (range!.newest as Date).getTime();
// The default scope: 24 h ending at the top of the hour after the newest event; run k shifts it back k hours.
const scopeEnd = Math.floor(newest / HOUR) * HOUR + HOUR;
const scopes = Array.from({ length: RUNS }, (_, k) => ({ from: new Date(scopeEnd - 24 * HOUR - k * HOUR), to: new Date(scopeEnd - k * HOUR) }));
const sqlTime = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);

// Busiest entities of each type (what an analyst most often opens, and the heaviest to answer).
const top = (expr: string, table: string, where = 'true') =>
  column(`SELECT (${expr}) AS v FROM ${table} WHERE ${where} AND (${expr}) IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT ${ENTITIES_PER_TYPE}`);
const entities: Record<string, string[]> = {
  user: await top('actor_user_uid', 'api_activity', "actor_user_type = 'IAMUser'"),
  role: await top('actor_session_issuer', 'api_activity'),
  session: await top('actor_user_uid', 'api_activity', "actor_user_type = 'AssumedRole'"),
  accesskey: await top('actor_user_credential_uid', 'api_activity'),
  account: await top('cloud_account_uid', 'api_activity'),
  ip: await top('src_endpoint_ip', 'api_activity'),
  useragent: await top('http_request_user_agent', 'api_activity'),
  instance: await top('instance_uid', 'network_activity'),
  bucket: await top("api_request_data->>'bucketName'", 'api_activity', "api_service_name = 's3.amazonaws.com'"),
};

/** The plain SQL each endpoint replaces: the same aggregations, filtered by entity only, no time-first shape. */
const API_FILTER: Record<string, string> = {
  user: 'actor_user_uid = $id', role: 'actor_session_issuer = $id', session: 'actor_user_uid = $id', accesskey: 'actor_user_credential_uid = $id',
  account: 'cloud_account_uid = $id', ip: 'src_endpoint_ip = $id', useragent: 'http_request_user_agent = $id',
  bucket: "(api_request_data->>'bucketName') = $id",
};
const plainPrincipal = (filter: string) => [
  `SELECT date_trunc('hour', time), status, count(*) FROM api_activity WHERE ${filter} AND time >= $from::TIMESTAMP AND time < $to::TIMESTAMP GROUP BY ALL`,
  ...['src_endpoint_ip', 'http_request_user_agent', 'api_operation'].map((c) =>
    `SELECT ${c} FROM api_activity WHERE ${filter} AND time >= $from::TIMESTAMP AND time < $to::TIMESTAMP
     EXCEPT SELECT ${c} FROM api_activity WHERE ${filter} AND time < $from::TIMESTAMP`),
  `SELECT api_request_data->>'roleArn', count(*) FROM api_activity WHERE ${filter} AND api_operation LIKE 'AssumeRole%' GROUP BY 1`,
];
const flowFilter: Record<string, string> = {
  instance: '(instance_uid = $id OR interface_uid IN (SELECT interface_uid FROM network_activity WHERE instance_uid = $id))',
  ip: '(src_endpoint_ip = $id OR dst_endpoint_ip = $id)',
};
const plainFlows = (filter: string) => [
  `SELECT date_trunc('hour', time), sum(traffic_bytes) FROM network_activity WHERE ${filter} AND time >= $from::TIMESTAMP AND time < $to::TIMESTAMP GROUP BY 1`,
  `SELECT least(src_endpoint_port, dst_endpoint_port), sum(traffic_bytes) FILTER (WHERE time >= $from::TIMESTAMP), sum(traffic_bytes) FILTER (WHERE time < $from::TIMESTAMP)
   FROM network_activity WHERE ${filter} GROUP BY 1`,
];
const PLAIN: Record<string, string[]> = {
  user: plainPrincipal(API_FILTER.user!), role: plainPrincipal(API_FILTER.role!), session: plainPrincipal(API_FILTER.session!),
  accesskey: plainPrincipal(API_FILTER.accesskey!), account: plainPrincipal(API_FILTER.account!),
  ip: [...plainPrincipal(API_FILTER.ip!).slice(0, 1), ...plainFlows(flowFilter.ip!)],
  useragent: plainPrincipal(API_FILTER.useragent!).slice(0, 1),
  instance: plainFlows(flowFilter.instance!),
  bucket: [`SELECT actor_user_uid, api_operation, count(*) FROM api_activity WHERE ${API_FILTER.bucket} AND time >= $from::TIMESTAMP AND time < $to::TIMESTAMP GROUP BY ALL`],
  group: [`SELECT a.id, b.id FROM findings a JOIN findings b ON a.id < b.id AND NOT a.archived AND NOT b.archived
    AND (a.principal = b.principal OR a.remote_ip = b.remote_ip OR a.resource_id = b.resource_id)
    AND b.first_seen <= a.last_seen + INTERVAL 24 HOUR AND a.first_seen <= b.last_seen + INTERVAL 24 HOUR`],
  investigation: plainPrincipal(API_FILTER.user!),
  // The geolocation drill-down: which source IPs are where (every IP of the scope), then their calls.
  geolocation: [`SELECT src_endpoint_ip, api_operation, actor_user_uid, status, count(*) FROM api_activity
    WHERE time >= $from::TIMESTAMP AND time < $to::TIMESTAMP AND src_endpoint_ip IS NOT NULL GROUP BY ALL`],
  drill: [`SELECT src_endpoint_ip, date_trunc('hour', time), status, count(*) FROM api_activity WHERE ${API_FILTER.user} AND time >= $from::TIMESTAMP AND time < $to::TIMESTAMP GROUP BY ALL`],
};

async function timePlain(kind: string, id: string, scope: { from: Date; to: Date }): Promise<number> {
  const started = performance.now();
  for (const query of PLAIN[kind] ?? []) {
    const params: Record<string, string> = { id, from: sqlTime(scope.from), to: sqlTime(scope.to) };
    await lake.connection.runAndReadAll(query, Object.fromEntries(Object.entries(params).filter(([k]) => query.includes(`$${k}`))));
  }
  return performance.now() - started;
}

const server = await startServer({ file: built.file, port: 0, idleMs: 60_000 });
const get = async (url: string) => {
  const started = performance.now();
  const response = await fetch(`${server.url}${url}`);
  const body = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${body.slice(0, 200)}`);
  return { ms, body: JSON.parse(body) as Record<string, unknown> };
};

console.log(`lake: ${path.relative(ROOT, built.file)}, ${events.toLocaleString('en')} events, newest ${new Date(newest).toISOString()}`);
if (built.build) console.log(`built in ${(built.build.simulateSeconds + built.build.ingestSeconds + built.build.detectSeconds).toFixed(0)} s (simulate ${built.build.simulateSeconds.toFixed(0)}, ingest ${built.build.ingestSeconds.toFixed(0)}, detect ${built.build.detectSeconds.toFixed(0)}); ${built.build.findings} findings`);

// First requests after the server opens a lake version build the per-version memos (entity catalogue, finding
// index and groups, intel); timed apart, since every later call reuses them.
const cold = await get('/api/health');
const warm = await get('/api/summary');
console.log(`first request after open: health ${cold.ms.toFixed(0)} ms, then summary (builds catalogue, finding index, groups, intel) ${warm.ms.toFixed(0)} ms`);

const wide = `from=${new Date(scopeEnd - 10 * 24 * HOUR).toISOString()}&to=${new Date(scopeEnd).toISOString()}`;
const groups = ((await get(`/api/groups?${wide}`)).body.groups as { id: string; findings: number }[]).sort((a, b) => b.findings - a.findings).slice(0, ENTITIES_PER_TYPE).map((g) => g.id);

interface Row { endpoint: string; entities: number; calls: number; p50: number; p95: number; max: number; plainP50: number; plainP95: number }
const results: Row[] = [];
async function measure(endpoint: string, kind: string, ids: string[], url: (id: string, scope: { from: Date; to: Date }) => string) {
  const api: number[] = [];
  const plain: number[] = [];
  for (const id of ids) {
    for (const scope of scopes) {
      api.push((await get(url(id, scope))).ms);
      if (PLAIN[kind]) plain.push(await timePlain(kind, id, scope));
    }
  }
  results.push({
    endpoint, entities: ids.length, calls: api.length, p50: percentile(api, 50), p95: percentile(api, 95), max: Math.max(...api),
    plainP50: plain.length ? percentile(plain, 50) : NaN, plainP95: plain.length ? percentile(plain, 95) : NaN,
  });
}
const scopeQuery = (s: { from: Date; to: Date }) => `from=${s.from.toISOString()}&to=${s.to.toISOString()}`;

for (const [type, ids] of Object.entries(entities)) {
  await measure(`GET /api/entities/${type}/:id`, type, ids, (id, s) => `/api/entities/${type}/${encodeURIComponent(id)}?${scopeQuery(s)}`);
}
await measure('GET /api/entities/user/:id/panels/apiVolume?by=ip', 'drill', entities.user!, (id, s) => `/api/entities/user/${encodeURIComponent(id)}/panels/apiVolume?by=ip&${scopeQuery(s)}`);
// Locations of the busiest public source IPs, as the new-geolocation panels key them.
const geo = packageGeo();
const locations = [...new Set((await top('src_endpoint_ip', 'api_activity', "src_endpoint_ip NOT LIKE '10.%'")).filter((ip) => !isPrivateIp(ip)).flatMap((ip) => {
  const d = geo.details(ip);
  return d.countryCode ? [`${d.countryCode}|${d.city ?? ''}`] : [];
}))];
await measure('GET /api/geolocations/:key', 'geolocation', locations, (key, s) => `/api/geolocations/${encodeURIComponent(key)}?${scopeQuery(s)}`);
await measure('GET /api/groups', 'group', ['all'], (_, s) => `/api/groups?${scopeQuery(s)}`);
await measure('GET /api/groups/:id', 'group', groups, (id, s) => `/api/groups/${id}?at=${s.to.getTime()}`);
await measure('GET /api/investigations/user/:id', 'investigation', entities.user!, (id, s) => `/api/investigations/user/${encodeURIComponent(id)}?${scopeQuery(s)}`);
await measure('GET /api/summary', 'summary', ['all'], (_, s) => `/api/summary?${scopeQuery(s)}`);
await measure('GET /api/search', 'search', ['ci-deploy', '45.137', 'AKIA'], (q, s) => `/api/search?q=${encodeURIComponent(q)}&at=${s.to.getTime()}`);

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '-');
const header = ['endpoint', 'entities', 'calls', 'p50 ms', 'p95 ms', 'max ms', 'plain SQL p50', 'plain SQL p95', `≤${TARGET_MS} ms`];
const lines = results.map((r) => [r.endpoint, String(r.entities), String(r.calls), fmt(r.p50), fmt(r.p95), fmt(r.max), fmt(r.plainP50), fmt(r.plainP95), r.p95 <= TARGET_MS ? 'yes' : 'NO']);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const print = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
console.log();
print(header);
print(widths.map((w) => '-'.repeat(w)));
for (const line of lines) print(line);
console.log(`\n${events.toLocaleString('en')} events; each call a distinct URL (no answer-cache hits); plain SQL = the endpoint's aggregations straight from the event tables, filtered by entity only.`);

writeFileSync(path.join(ROOT, '.bench', 'api-results.json'), `${JSON.stringify({ events, cold: cold.ms, warmup: warm.ms, results }, null, 2)}\n`);
await server.close();
lake.close();
