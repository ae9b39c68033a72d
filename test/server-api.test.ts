// The investigation API over a simulated organisation with the hand-written incidents: every number the API
// shows is recomputed here with plain SQL against the same lake.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findingTypeSpecs } from '../src/detect/registry.js';
import { isPrivateIp } from '../src/detect/network-event.js';
import { packageGeo } from '../src/intel/geo.js';
import type { RunningServer } from '../src/server/app.js';
import { type BuiltLake, call, enc, post, serveLake, simulatedLake, sql, writeCloudTrail } from './helpers/api.js';

const END = new Date('2026-01-10T00:00:00Z');
const SCOPE = 'from=2026-01-09T00:00:00Z&to=2026-01-10T00:00:00Z';
// The same scope and its 45-day baseline as SQL timestamps.
const W = { from: '2026-01-09 00:00:00', to: '2026-01-10 00:00:00', bfrom: '2025-11-25 00:00:00' };
const IN_SCOPE = `time >= $from::TIMESTAMP AND time < $to::TIMESTAMP`;
const IN_BASELINE = `time >= $bfrom::TIMESTAMP AND time < $from::TIMESTAMP`;

const ATTACKER_IP = '45.137.21.9';
const XSS_AGENT = '<script>alert(1)</script><img src=x onerror="alert(2)">';
const XSS_USER = "xss-<img src=x onerror=alert(4)>";

let lake: BuiltLake;
let server: RunningServer;
let ciUser: string;

before(async () => {
  lake = await simulatedLake({
    events: 20_000,
    end: END,
    extraInputs: (dir) => [
      writeCloudTrail(path.join(dir, 'extra'), 'xss.json', [1, 2].map((i) => ({
        eventVersion: '1.08',
        userIdentity: { type: 'IAMUser', principalId: 'AIDAXSSXSSXSSXSSXSS1', arn: `arn:aws:iam::111122223333:user/${XSS_USER}`, accountId: '111122223333', accessKeyId: 'AKIAXSSXSSXSSXSSXSS1', userName: XSS_USER },
        eventTime: `2026-01-09T12:0${i}:00Z`,
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        awsRegion: 'us-east-1',
        sourceIPAddress: '203.0.113.66',
        userAgent: XSS_AGENT,
        requestParameters: { note: '<img src=x onerror=alert(3)>' },
        responseElements: null,
        requestID: `XSSREQUEST${i}`,
        eventID: `00000000-0000-4000-a000-00000000000${i}`,
        readOnly: true,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: '111122223333',
        eventCategory: 'Management',
      }))),
    ],
  });
  server = await serveLake(lake.file);
  const [row] = await sql(lake.file, `SELECT principal FROM findings WHERE type = 'PenTest:IAMUser/KaliLinux' AND principal LIKE '%user/ci-deploy' LIMIT 1`);
  ciUser = row!.principal;
});

after(async () => {
  await server?.close();
  lake?.cleanup();
});

const count = (rows: Record<string, any>[]) => Number(rows[0]!.n);

describe('health and findings', () => {
  test('health counts equal the tables', async () => {
    const { status, body } = await call(server, '/api/health');
    assert.equal(status, 200);
    const [r] = await sql(lake.file, `SELECT (SELECT count(*) FROM api_activity) AS ct, (SELECT count(*) FROM network_activity) AS flow,
      (SELECT count(*) FROM dns_activity) AS dns, (SELECT count(*) FROM findings) AS findings`);
    assert.deepEqual(body.lake.events, { cloudtrail: r!.ct, flow: r!.flow, dns: r!.dns });
    assert.equal(body.lake.findings, r!.findings);
    assert.ok(r!.findings > 10, 'the incidents raised findings');
  });

  test('list: totals per filter equal SQL counts; paging and sorting hold', async () => {
    const all = await call(server, '/api/findings?limit=1000');
    assert.equal(all.body.total, count(await sql(lake.file, 'SELECT count(*) AS n FROM findings WHERE NOT archived')));
    const high = await call(server, '/api/findings?severity=High,Critical&limit=1000');
    assert.equal(high.body.total, count(await sql(lake.file, 'SELECT count(*) AS n FROM findings WHERE NOT archived AND severity >= 7')));
    assert.ok(high.body.findings.every((f: any) => f.severity >= 7 && ['High', 'Critical'].includes(f.severityLevel)));
    const type = 'PenTest:IAMUser/KaliLinux';
    const byType = await call(server, `/api/findings?type=${enc(type)}`);
    assert.equal(byType.body.total, count(await sql(lake.file, 'SELECT count(*) AS n FROM findings WHERE NOT archived AND type = $t', { t: type })));
    const byCount = await call(server, '/api/findings?sort=count&order=asc&limit=1000');
    const counts = byCount.body.findings.map((f: any) => f.count);
    assert.deepEqual(counts, [...counts].sort((a: number, b: number) => a - b));
    const page = await call(server, '/api/findings?limit=3&offset=2');
    assert.deepEqual(page.body.findings.map((f: any) => f.id), all.body.findings.slice(2, 5).map((f: any) => f.id));
    const searched = await call(server, `/api/findings?q=${ATTACKER_IP}&limit=1000`);
    assert.equal(searched.body.total, count(await sql(lake.file, 'SELECT count(*) AS n FROM findings WHERE NOT archived AND contains(finding::VARCHAR, $ip)', { ip: ATTACKER_IP })));
  });

  test('detail: evidence is the lake events the finding_evidence rows point to; spec comes from the catalogue', async () => {
    const [f] = await sql(lake.file, `SELECT id, type FROM findings WHERE type LIKE 'AttackSequence:S3%' AND principal = $p LIMIT 1`, { p: ciUser });
    const { status, body } = await call(server, `/api/findings/${f!.id}`);
    assert.equal(status, 200);
    assert.equal(body.finding.id, f!.id);
    assert.deepEqual(body.spec.mitre, findingTypeSpecs().get(f!.type)!.mitre);
    const expected = await sql(lake.file, `SELECT a.metadata_uid AS uid FROM finding_evidence e
      JOIN api_activity a ON a.source_file_id = e.source_file_id AND a.metadata_uid = e.event_uid WHERE e.finding_id = $id ORDER BY e.time`, { id: f!.id });
    assert.equal(body.evidence.length, count(await sql(lake.file, 'SELECT count(*) AS n FROM finding_evidence WHERE finding_id = $id', { id: f!.id })));
    assert.deepEqual(body.evidence.map((e: any) => e.raw.eventID).sort(), expected.map((e) => e.uid).sort());
    assert.ok(body.entities.some((e: any) => e.type === 'user' && e.id === ciUser));
    assert.ok(body.timeline.length >= body.evidence.length);
  });
});

describe('entity profiles', () => {
  test('user: API volume, newly observed APIs and agents, findings equal SQL', async () => {
    const { status, body } = await call(server, `/api/entities/user/${enc(ciUser)}?${SCOPE}`);
    assert.equal(status, 200, body.error);
    assert.equal(body.entity.label, 'ci-deploy');
    assert.deepEqual(body.scope, { from: '2026-01-09T00:00:00.000Z', to: '2026-01-10T00:00:00.000Z' });
    assert.deepEqual(body.baseline, { from: '2025-11-25T00:00:00.000Z', to: '2026-01-09T00:00:00.000Z' });
    const p = { id: ciUser, ...W };
    assert.equal(body.entity.details.apiCalls, count(await sql(lake.file, 'SELECT count(*) AS n FROM api_activity WHERE actor_user_uid = $id', { id: ciUser })));

    const hourly = await sql(lake.file, `SELECT epoch_ms(date_trunc('hour', time)) AS t, count(*) FILTER (WHERE status IS DISTINCT FROM 'Failure') AS s,
      count(*) FILTER (WHERE status = 'Failure') AS f FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id GROUP BY 1`, p);
    const buckets = body.panels.apiVolume.buckets;
    assert.equal(buckets.length, 24);
    for (const h of hourly) {
      const b = buckets.find((x: any) => Date.parse(x.time) === Number(h.t));
      assert.deepEqual([b.success, b.failure], [h.s, h.f]);
    }
    assert.equal(buckets.reduce((n: number, b: any) => n + b.success + b.failure, 0), hourly.reduce((n, h) => n + h.s + h.f, 0));

    const newApis = await sql(lake.file, `SELECT api_operation AS api FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id
      EXCEPT SELECT api_operation FROM api_activity WHERE ${IN_BASELINE} AND actor_user_uid = $id`, p);
    assert.deepEqual(body.panels.newApis.items.map((i: any) => i.api).sort(), newApis.map((r) => r.api).sort());
    assert.ok(body.panels.newApis.items.some((i: any) => i.api === 'CreateUser'));
    const newAgents = await sql(lake.file, `SELECT http_request_user_agent AS ua FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id
      EXCEPT SELECT http_request_user_agent FROM api_activity WHERE ${IN_BASELINE} AND actor_user_uid = $id`, p);
    assert.deepEqual(body.panels.newUserAgents.items.map((i: any) => i.value).sort(), newAgents.map((r) => r.ua).sort());
    for (const item of body.panels.newUserAgents.items) {
      assert.equal(item.count, count(await sql(lake.file, `SELECT count(*) AS n FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id AND http_request_user_agent = $ua`, { ...p, ua: item.value })));
    }
    // A new location's IPs are used in scope and never in the baseline.
    const geo = body.panels.newGeolocations.items;
    assert.ok(geo.some((g: any) => g.ips.includes(ATTACKER_IP)));
    for (const ip of geo.flatMap((g: any) => g.ips)) {
      assert.equal(count(await sql(lake.file, `SELECT count(*) AS n FROM api_activity WHERE ${IN_BASELINE} AND actor_user_uid = $id AND src_endpoint_ip = $ip`, { ...p, ip })), 0);
    }
    const findings = await sql(lake.file, `SELECT count(*) AS n FROM findings WHERE principal = $id AND last_seen >= $from::TIMESTAMP AND first_seen < $to::TIMESTAMP`, p);
    assert.equal(body.findings.length, count(findings));
  });

  test('drill-down by API: series totals equal SQL', async () => {
    const { body } = await call(server, `/api/entities/user/${enc(ciUser)}/panels/apiVolume?${SCOPE}&by=api`);
    const expected = await sql(lake.file, `SELECT api_service_name || ' ' || api_operation AS key, count(*) AS n FROM api_activity
      WHERE ${IN_SCOPE} AND actor_user_uid = $id GROUP BY 1 ORDER BY n DESC, key LIMIT 10`, { id: ciUser, ...W });
    assert.deepEqual(body.series.map((s: any) => [s.key, s.total]), expected.map((e) => [e.key, e.n]));
    for (const s of body.series) assert.equal(s.buckets.reduce((n: number, b: any) => n + b.success + b.failure, 0), s.total);
  });

  test('account and role: volume and role assumptions equal SQL', async () => {
    const [busiest] = await sql(lake.file, `SELECT cloud_account_uid AS a, count(*) AS n FROM api_activity WHERE ${IN_SCOPE} GROUP BY 1 ORDER BY n DESC LIMIT 1`, W);
    const account = await call(server, `/api/entities/account/${busiest!.a}?${SCOPE}`);
    assert.equal(account.body.panels.apiVolume.buckets.reduce((n: number, b: any) => n + b.success + b.failure, 0), busiest!.n);

    const [assumed] = await sql(lake.file, `SELECT api_request_data->>'roleArn' AS role, count(*) AS n FROM api_activity
      WHERE ${IN_SCOPE} AND api_operation = 'AssumeRole' GROUP BY 1 ORDER BY n DESC, role LIMIT 1`, W);
    const role = await call(server, `/api/entities/role/${enc(assumed!.role)}?${SCOPE}`);
    assert.equal(role.status, 200, role.body.error);
    const into = role.body.panels.roleAssumptions.items.filter((i: any) => i.to === assumed!.role);
    assert.equal(into.reduce((n: number, i: any) => n + i.count, 0), assumed!.n);
    for (const item of role.body.panels.increasedApis.items) {
      const [r] = await sql(lake.file, `SELECT count(*) FILTER (WHERE ${IN_SCOPE}) AS s, count(*) FILTER (WHERE ${IN_BASELINE}) AS b FROM api_activity
        WHERE actor_session_issuer = $id AND api_operation = $api`, { id: assumed!.role, api: item.api, ...W });
      assert.deepEqual([item.scope, item.baseline], [r!.s, r!.b]);
    }
  });

  test('IP: intel details, API volume and principals equal SQL', async () => {
    const { body } = await call(server, `/api/entities/ip/${ATTACKER_IP}?${SCOPE}`);
    assert.ok(body.entity.details.threatLists.length > 0, 'the attacker IP is on the simulated threat list');
    assert.equal(body.entity.details.countryCode, 'NL');
    const callers = await sql(lake.file, `SELECT actor_user_uid AS p, count(*) AS n FROM api_activity WHERE ${IN_SCOPE} AND src_endpoint_ip = $ip GROUP BY 1 ORDER BY n DESC`, { ...W, ip: ATTACKER_IP });
    assert.deepEqual(body.panels.principals.items.map((i: any) => [i.principal, i.calls]), callers.map((c) => [c.p, c.n]));
    assert.equal(body.panels.apiVolume.buckets.reduce((n: number, b: any) => n + b.success + b.failure, 0), callers.reduce((n, c) => n + c.n, 0));
  });

  test('instance: flow volume, ports, peer traffic and DNS equal SQL', async () => {
    const [f] = await sql(lake.file, `SELECT resource_id AS instance, remote_ip AS peer FROM findings WHERE type = 'Backdoor:EC2/C&CActivity.B' LIMIT 1`);
    const instance = f!.instance;
    const enis = `(instance_uid = $id OR interface_uid IN (SELECT interface_uid FROM network_activity WHERE instance_uid = $id))`;
    const p = { ...W, id: instance };
    const { body } = await call(server, `/api/entities/instance/${instance}?${SCOPE}&peer=${f!.peer}`);
    assert.equal(body.entity.details.instanceId, instance);
    const [total] = await sql(lake.file, `SELECT sum(traffic_bytes) AS bytes, count(*) AS flows FROM network_activity WHERE ${IN_SCOPE} AND ${enis}`, p);
    const shown = body.panels.flowVolume.buckets.reduce((a: any, b: any) => ({ bytes: a.bytes + b.bytesIn + b.bytesOut, flows: a.flows + b.flows }), { bytes: 0, flows: 0 });
    assert.deepEqual(shown, { bytes: Number(total!.bytes), flows: total!.flows });
    const ports = await sql(lake.file, `SELECT least(src_endpoint_port, dst_endpoint_port) AS port, sum(traffic_bytes) AS bytes FROM network_activity
      WHERE ${IN_SCOPE} AND ${enis} GROUP BY 1`, p);
    for (const item of body.panels.flowByPort.items) assert.equal(item.bytes, Number(ports.find((x) => x.port === item.port)!.bytes));
    assert.ok(body.panels.flowByPort.items.some((i: any) => i.aboveBaseline));
    const [peer] = await sql(lake.file, `SELECT sum(traffic_bytes) AS bytes FROM network_activity WHERE ${IN_SCOPE} AND ${enis}
      AND (src_endpoint_ip = $peer OR dst_endpoint_ip = $peer)`, { ...p, peer: f!.peer });
    assert.equal(body.panels.peerTraffic.items.reduce((n: number, i: any) => n + i.bytesIn + i.bytesOut, 0), Number(peer!.bytes));
    const dns = await sql(lake.file, `SELECT query_hostname AS d, count(*) AS n FROM dns_activity WHERE ${IN_SCOPE} AND src_endpoint_instance_uid = $id GROUP BY 1 ORDER BY n DESC, d LIMIT 100`, p);
    assert.deepEqual(body.panels.dnsQueries.items.map((i: any) => [i.domain, i.count]), dns.map((d) => [d.d, d.n]));
  });

  test('bucket: principals and API calls equal SQL', async () => {
    const bucket = 'acme-prod-customer-data';
    const { body } = await call(server, `/api/entities/bucket/${bucket}?${SCOPE}`);
    const by = await sql(lake.file, `SELECT actor_user_uid AS p, count(*) AS n FROM api_activity WHERE ${IN_SCOPE}
      AND api_service_name = 's3.amazonaws.com' AND (api_request_data->>'bucketName') = $b GROUP BY 1 ORDER BY n DESC`, { ...W, b: bucket });
    assert.deepEqual(body.panels.principals.items.map((i: any) => [i.principal, i.calls]), by.map((r) => [r.p, r.n]));
    assert.ok(body.findings.length > 0);
  });
});

describe('groups, summary, investigations, search', () => {
  test('groups: severity is the highest member severity; the graph links findings to their entities', async () => {
    const { body } = await call(server, `/api/groups?${SCOPE}`);
    assert.ok(body.groups.length > 0);
    const severity = new Map((await sql(lake.file, 'SELECT id, severity FROM findings')).map((r) => [r.id, r.severity]));
    for (const g of body.groups) {
      const detail = await call(server, `/api/groups/${g.id}`);
      const ids = detail.body.findings.map((f: any) => f.id);
      assert.equal(ids.length, g.findings);
      assert.equal(g.severity, Math.max(...ids.map((id: string) => severity.get(id))));
      const nodes = new Set(detail.body.graph.nodes.map((n: any) => n.id));
      assert.ok(ids.every((id: string) => nodes.has(`finding:${id}`)));
      assert.ok(detail.body.graph.edges.every((e: any) => nodes.has(e.source) && nodes.has(e.target)));
    }
    const ciGroup = body.groups.find((g: any) => g.entities.some((e: any) => e.id === ciUser));
    assert.ok(ciGroup, 'the leaked-key findings form a group');
    const ciFindings = await sql(lake.file, `SELECT count(*) AS n FROM findings WHERE principal = $p AND NOT archived`, { p: ciUser });
    assert.equal(ciGroup.findings, count(ciFindings));
  });

  test('summary: severities, top principals and new geolocations equal SQL', async () => {
    const { body } = await call(server, `/api/summary?${SCOPE}`);
    const levels = await sql(lake.file, `SELECT CASE WHEN severity >= 9 THEN 'Critical' WHEN severity >= 7 THEN 'High' WHEN severity >= 4 THEN 'Medium' ELSE 'Low' END AS l,
      count(*) AS n FROM findings WHERE NOT archived AND last_seen >= $from::TIMESTAMP AND first_seen < $to::TIMESTAMP GROUP BY 1`, W);
    for (const level of ['Critical', 'High', 'Medium', 'Low']) assert.equal(body.findingsBySeverity[level], levels.find((l) => l.l === level)?.n ?? 0, level);
    const [top] = await sql(lake.file, `SELECT CASE WHEN actor_user_type = 'AssumedRole' AND actor_session_issuer IS NOT NULL THEN actor_session_issuer ELSE actor_user_uid END AS p,
      count(*) AS n FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid IS NOT NULL GROUP BY 1 ORDER BY n DESC, p LIMIT 1`, W);
    assert.deepEqual([body.topPrincipals[0].principal, body.topPrincipals[0].calls], [top!.p, top!.n]);
    assert.ok(body.newGeolocations.some((g: any) => g.ip === ATTACKER_IP && g.principal === ciUser));
    assert.ok(body.topInstances.length > 0);
  });

  test('geolocation drill-down: every call from the attacker\'s location, by IP and by resource, equals SQL', async () => {
    const summary = await call(server, `/api/summary?${SCOPE}`);
    const key: string = summary.body.newGeolocations.find((g: any) => g.ip === ATTACKER_IP).locationKey;
    const { status, body } = await call(server, `/api/geolocations/${enc(key)}?${SCOPE}`);
    assert.equal(status, 200, body.error);
    // Every public source IP of the scope located at the key (located here with the same packaged data).
    const geo = packageGeo();
    const perIp = await sql(lake.file, `SELECT src_endpoint_ip AS ip, count(*) FILTER (WHERE status IS DISTINCT FROM 'Failure') AS ok,
      count(*) FILTER (WHERE status = 'Failure') AS failed FROM api_activity WHERE ${IN_SCOPE} AND src_endpoint_ip IS NOT NULL GROUP BY 1`, W);
    const here = perIp.filter((r) => {
      if (isPrivateIp(r.ip)) return false;
      const d = geo.details(r.ip);
      return d.countryCode !== undefined && `${d.countryCode}|${d.city ?? ''}` === key;
    });
    assert.ok(here.some((r) => r.ip === ATTACKER_IP));
    assert.equal(body.totals.ips, here.length);
    assert.equal(body.totals.success, here.reduce((n, r) => n + r.ok, 0));
    assert.equal(body.totals.failure, here.reduce((n, r) => n + r.failed, 0));
    assert.deepEqual(new Set(body.ips.map((r: any) => r.ip)), new Set(here.map((r) => r.ip)));
    for (const row of body.ips) {
      const expected = here.find((r) => r.ip === row.ip)!;
      assert.deepEqual([row.success, row.failure], [expected.ok, expected.failed], row.ip);
      assert.equal(row.calls.reduce((n: number, c: any) => n + c.success + c.failure, 0), row.success + row.failure, `${row.ip}: its calls add up`);
    }
    // The Resource tab: the leaked-key user's calls from the location, whoever else called from there too.
    const ci = body.resources.find((r: any) => r.principal === ciUser);
    const ips = here.map((r) => `'${r.ip}'`).join(', ');
    assert.equal(ci.success + ci.failure, count(await sql(lake.file, `SELECT count(*) AS n FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id AND src_endpoint_ip IN (${ips})`, { ...W, id: ciUser })));
    assert.equal(body.resources.reduce((n: number, r: any) => n + r.success + r.failure, 0), body.totals.success + body.totals.failure);
    assert.equal(body.location.countryCode, key.split('|')[0]);
  });

  test('training period: the simulated lake holds under two weeks, so profiles, summary and investigations say so', async () => {
    const [range] = await sql(lake.file, `SELECT epoch_ms(min(time)) AS first FROM api_activity`);
    const expectedDays = Number(((Date.parse('2026-01-09T00:00:00Z') - Math.max(Date.parse('2025-11-25T00:00:00Z'), Number(range!.first))) / 86_400_000).toFixed(1));
    for (const path of [`/api/summary?${SCOPE}`, `/api/entities/user/${enc(ciUser)}?${SCOPE}`, `/api/investigations/user/${enc(ciUser)}?${SCOPE}`]) {
      const { body } = await call(server, path);
      assert.deepEqual(body.training, { baselineDays: expectedDays, requiredDays: 14 }, path);
    }
    assert.ok(expectedDays < 14);
  });

  test('investigation of the leaked key user: indicators with evidence equal to SQL', async () => {
    const { status, body } = await call(server, `/api/investigations/user/${enc(ciUser)}?${SCOPE}`);
    assert.equal(status, 200, body.error);
    const kinds = new Set(body.indicators.map((i: any) => i.kind));
    for (const kind of ['ttp', 'threat_intel_ip', 'new_geolocation', 'new_asn', 'new_user_agent', 'related_findings', 'related_groups']) assert.ok(kinds.has(kind), kind);
    const flagged = body.indicators.find((i: any) => i.kind === 'threat_intel_ip').evidence.find((e: any) => e.ipAddress === ATTACKER_IP);
    assert.equal(flagged.calls, count(await sql(lake.file, `SELECT count(*) AS n FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id AND src_endpoint_ip = $ip`, { ...W, id: ciUser, ip: ATTACKER_IP })));
    const related = body.indicators.find((i: any) => i.kind === 'related_findings');
    assert.equal(related.evidence.length, count(await sql(lake.file, `SELECT count(*) AS n FROM findings WHERE principal = $id AND NOT archived
      AND last_seen >= $from::TIMESTAMP AND first_seen < $to::TIMESTAMP`, { ...W, id: ciUser })));
    const createUser = body.indicators.filter((i: any) => i.kind === 'ttp').flatMap((i: any) => i.evidence).find((e: any) => e.apiName === 'CreateUser');
    assert.equal(createUser.apiSuccessCount, count(await sql(lake.file, `SELECT count(*) AS n FROM api_activity WHERE ${IN_SCOPE} AND actor_user_uid = $id AND api_operation = 'CreateUser' AND status = 'Success'`, { ...W, id: ciUser })));
    assert.ok(body.indicators.filter((i: any) => i.kind === 'ttp').some((i: any) => i.evidence.some((e: any) => e.findingId)), 'TTPs from findings (MITRE mapping)');
    assert.ok(body.severity >= 7 && ['High', 'Critical'].includes(body.severityLevel));
  });

  test('search by name, key, IP prefix, instance, bucket, finding id', async () => {
    const [f] = await sql(lake.file, `SELECT id, resource_id FROM findings WHERE type = 'Backdoor:EC2/C&CActivity.B' LIMIT 1`);
    const cases: [string, string, string][] = [
      ['ci-deploy', 'user', ciUser],
      ['AKIAQX3EXAMPLECIKEY1', 'accesskey', 'AKIAQX3EXAMPLECIKEY1'],
      ['45.137.21', 'ip', ATTACKER_IP],
      [f!.resource_id, 'instance', f!.resource_id],
      ['customer-data', 'bucket', 'acme-prod-customer-data'],
      [f!.id, 'finding', f!.id],
    ];
    for (const [q, type, id] of cases) {
      const { body } = await call(server, `/api/search?q=${enc(q)}`);
      assert.ok(body.results.some((r: any) => r.type === type && r.id === id), `${q} → ${type} ${id}: ${JSON.stringify(body.results.slice(0, 5))}`);
    }
  });
});

describe('input validation', () => {
  test('unknown ids are 404 with a message', async () => {
    for (const path of [
      '/api/findings/0123456789abcdef0123456789abcdef',
      '/api/groups/g-nothing',
      `/api/entities/user/${enc('arn:aws:iam::123456789012:user/nobody')}`,
      '/api/entities/instance/i-00000000000000000',
      '/api/entities/ip/not-an-ip',
      '/api/entities/planet/x',
      `/api/entities/user/${enc(ciUser)}/panels/nope`,
      '/api/nowhere',
    ]) {
      const { status, body } = await call(server, path);
      assert.equal(status, 404, path);
      assert.match(body.error, /^no /, path);
    }
  });

  test('bad time ranges and parameters are 400 saying why', async () => {
    const cases: [string, RegExp][] = [
      ['/api/summary?from=2026-01-09T00:00:00Z&to=2026-01-08T00:00:00Z', /from must be before to/],
      ['/api/summary?from=2026-01-09T00:00:00Z&to=2026-01-09T00:00:00Z', /from must be before to/],
      ['/api/groups?from=last-tuesday', /from must be an ISO-8601 time/],
      ['/api/summary?from=2020-01-01&to=2025-01-01', /at most 400/],
      [`/api/entities/user/${enc(ciUser)}?to=soon`, /to must be an ISO-8601 time/],
      ['/api/findings?sort=colour', /sort must be one of/],
      ['/api/findings?limit=99999', /limit must be between/],
      ['/api/findings?archived=maybe', /archived must be true or false/],
      [`/api/entities/user/${enc(ciUser)}/panels/apiVolume?by=planet`, /by must be one of/],
      [`/api/entities/ip/${ATTACKER_IP}/panels/peerTraffic?peer=x`, /peer must be an IPv4 or IPv6 address/],
      ['/api/investigations/ip/1.2.3.4', /investigations are of an IAM user or role/],
      ['/api/search?q=', /q is required/],
      [`/api/geolocations/${enc('Atlantis')}`, /location must look like US\|Ashburn/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await call(server, path);
      assert.equal(status, 400, path);
      assert.match(body.error, message, path);
    }
  });
});

describe('writes', () => {
  test('archive, unarchive and a suppression rule from a finding', async () => {
    const [f] = await sql(lake.file, `SELECT id FROM findings WHERE principal = $p AND type = 'PenTest:IAMUser/KaliLinux' LIMIT 1`, { p: ciUser });
    const archived = await post(server, `/api/findings/${f!.id}/archive`);
    assert.deepEqual(archived.body, { id: f!.id, archived: true });
    assert.equal((await sql(lake.file, 'SELECT archived FROM findings WHERE id = $id', { id: f!.id }))[0]!.archived, true);
    const list = await call(server, '/api/findings?archived=true');
    assert.ok(list.body.findings.some((x: any) => x.id === f!.id));
    assert.equal((await post(server, `/api/findings/${f!.id}/unarchive`)).body.archived, false);
    assert.equal((await sql(lake.file, 'SELECT archived FROM findings WHERE id = $id', { id: f!.id }))[0]!.archived, false);

    const rule = await post(server, `/api/findings/${f!.id}/suppress`, { name: 'ci-kali', fields: ['type', 'resource.accessKeyDetails.userName'] });
    assert.equal(rule.status, 201, rule.body.error);
    const [stored] = await sql(lake.file, `SELECT action, criteria::VARCHAR AS c FROM finding_filters WHERE name = 'ci-kali'`);
    assert.equal(stored!.action, 'ARCHIVE');
    assert.deepEqual(JSON.parse(stored!.c).criterion, { type: { equals: ['PenTest:IAMUser/KaliLinux'] }, 'resource.accessKeyDetails.userName': { equals: ['ci-deploy'] } });
    assert.equal((await post(server, `/api/findings/${f!.id}/suppress`, { name: 'ci-kali', fields: ['type'] })).status, 409);
    assert.equal((await post(server, `/api/findings/${f!.id}/suppress`, { name: 'x y', fields: ['type'] })).status, 400);
    assert.equal((await post(server, `/api/findings/${f!.id}/suppress`, { name: 'no-such-field', fields: ['service.nothing'] })).status, 400);
    assert.equal((await post(server, '/api/findings/0123456789abcdef0123456789abcdef/archive')).status, 404);
    // A cross-site form cannot post JSON: other content types are refused.
    const form = await call(server, `/api/findings/${f!.id}/archive`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    assert.equal(form.status, 400);
  });

  test('reads and writes interleaved: every request is answered, writes one at a time', async () => {
    const ids = (await sql(lake.file, `SELECT id FROM findings WHERE NOT archived ORDER BY id LIMIT 2`)).map((r) => r.id);
    const replies = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => call(server, `/api/findings?limit=${i + 1}&offset=1`)),
      ...ids.map((id) => post(server, `/api/findings/${id}/archive`)),
      ...Array.from({ length: 6 }, (_, i) => call(server, `/api/entities/user/${enc(ciUser)}?${SCOPE}&n=${i}`)),
    ]);
    assert.deepEqual(replies.map((r) => r.status), replies.map(() => 200));
    const archived = await sql(lake.file, `SELECT count(*) AS n FROM findings WHERE archived AND id IN ($a, $b)`, { a: ids[0]!, b: ids[1]! });
    assert.equal(count(archived), 2);
    for (const id of ids) assert.equal((await post(server, `/api/findings/${id}/unarchive`)).status, 200);
  });
});

describe('attacker-controlled text', () => {
  test('an HTML/script user agent round-trips as plain JSON text', async () => {
    const reply = await call(server, `/api/entities/useragent/${enc(XSS_AGENT)}?${SCOPE}`);
    assert.equal(reply.status, 200, reply.body?.error);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(reply.body.entity.id, XSS_AGENT);
    assert.equal(reply.body.panels.principals.items[0].principal, `arn:aws:iam::111122223333:user/${XSS_USER}`);
    assert.equal(reply.body.panels.apiVolume.buckets.reduce((n: number, b: any) => n + b.success, 0), 2);
    const user = await call(server, `/api/entities/user/${enc(`arn:aws:iam::111122223333:user/${XSS_USER}`)}?${SCOPE}`);
    assert.equal(user.body.entity.label, XSS_USER);
    assert.deepEqual(user.body.panels.newUserAgents.items.map((i: any) => i.value), [XSS_AGENT]);
    const found = await call(server, `/api/search?q=${enc('<script>')}`);
    assert.ok(found.body.results.some((r: any) => r.type === 'useragent' && r.id === XSS_AGENT));
  });
});
