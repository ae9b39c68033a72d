import { isPrivateIp } from '../detect/network-event.js';
import { apiPredicate, type Entity, intel } from './entities.js';
import type { ReadContext } from './lake-access.js';
import { bucketStarts, bucketUnit, coveredDays, DAY, iso, type Window } from './scope.js';
import { num, type Params, rows, str, time, ts } from './sql.js';
import { oneOf } from './validation.js';

/** What every panel gets: the entity, scope and baseline, the drill-down query string. */
export interface PanelRequest {
  context: ReadContext;
  entity: Entity;
  scope: Window;
  baseline: Window;
  query: Record<string, string | undefined>;
  /** Earliest event in the lake, so baseline averages divide by the days the lake actually covers. */
  lakeFirst: number | null;
  /** Per-request cache of the one scan the newly-observed panels share. */
  facts?: Promise<Facts>;
}

const SCOPE = 'time >= $from AND time < $to';
const predicate = (request: PanelRequest) => apiPredicate(request.entity);
const scopeParams = (request: PanelRequest, window: Window = request.scope): Params => ({
  ...request.entity.params,
  from: ts(window.from),
  to: ts(window.to),
});

interface ApiBucket {
  time: string;
  success: number;
  failure: number;
}

function fillBuckets(scope: Window, found: { bucket: number; success: number; failure: number }[]): ApiBucket[] {
  const byTime = new Map(found.map((f) => [f.bucket, f]));
  return bucketStarts(scope).map((t) => ({ time: iso(t), success: byTime.get(t)?.success ?? 0, failure: byTime.get(t)?.failure ?? 0 }));
}

/** Drill-down keys of the API volume panel (fixed SQL expressions). */
const DRILL_KEYS = {
  ip: 'coalesce(src_endpoint_ip, src_endpoint_domain)',
  api: "api_service_name || ' ' || api_operation",
  accesskey: 'actor_user_credential_uid',
} as const;
const SERIES_LIMIT = 10;

/** Overall API call volume, success vs failure per bucket; `by=ip|api|accesskey` splits it into the top series. */
export async function apiVolume(request: PanelRequest) {
  const unit = bucketUnit(request.scope);
  const by = request.query.by ? oneOf('by', request.query.by, ['ip', 'api', 'accesskey'] as const, 'ip') : undefined;
  if (!by) {
    const found = await rows(
      request.context.connection,
      `SELECT date_trunc('${unit}', time) AS bucket,
              count(*) FILTER (WHERE status IS DISTINCT FROM 'Failure') AS success,
              count(*) FILTER (WHERE status = 'Failure') AS failure
       FROM api_activity WHERE ${SCOPE} AND ${predicate(request)} GROUP BY bucket`,
      scopeParams(request),
    );
    return { buckets: fillBuckets(request.scope, found.map((r) => ({ bucket: num(r.bucket), success: num(r.success), failure: num(r.failure) }))) };
  }
  const found = await rows(
    request.context.connection,
    `WITH calls AS (
       SELECT ${DRILL_KEYS[by]} AS key, date_trunc('${unit}', time) AS bucket, status
       FROM api_activity WHERE ${SCOPE} AND ${predicate(request)}),
     top AS (SELECT key, count(*) AS n FROM calls WHERE key IS NOT NULL GROUP BY key ORDER BY n DESC, key LIMIT ${SERIES_LIMIT})
     SELECT c.key, c.bucket, any_value(top.n) AS total,
            count(*) FILTER (WHERE c.status IS DISTINCT FROM 'Failure') AS success,
            count(*) FILTER (WHERE c.status = 'Failure') AS failure
     FROM calls c JOIN top ON top.key = c.key GROUP BY c.key, c.bucket`,
    scopeParams(request),
  );
  const series = new Map<string, { total: number; found: { bucket: number; success: number; failure: number }[] }>();
  for (const r of found) {
    const key = String(r.key);
    if (!series.has(key)) series.set(key, { total: num(r.total), found: [] });
    series.get(key)!.found.push({ bucket: num(r.bucket), success: num(r.success), failure: num(r.failure) });
  }
  return {
    by,
    series: [...series.entries()]
      .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))
      .map(([key, s]) => ({ key, total: s.total, buckets: fillBuckets(request.scope, s.found) })),
  };
}

/** One scan of scope + baseline, grouped three ways (source IP, user agent, API), for the newly-observed panels. */
interface Fact {
  scopeCalls: number;
  scopeFailures: number;
  baselineCalls: number;
  firstSeen: number | null;
  lastSeen: number | null;
}
interface Facts {
  ips: Map<string, Fact>;
  agents: Map<string, Fact>;
  apis: Map<string, Fact & { service: string; api: string }>;
}

function facts(request: PanelRequest): Promise<Facts> {
  request.facts ??= (async () => {
    const found = await rows(
      request.context.connection,
      `SELECT grouping(src_endpoint_ip) AS no_ip, grouping(http_request_user_agent) AS no_agent,
              src_endpoint_ip AS ip, http_request_user_agent AS agent, api_service_name AS service, api_operation AS api,
              count(*) FILTER (WHERE time >= $scope) AS scope_calls,
              count(*) FILTER (WHERE time >= $scope AND status = 'Failure') AS scope_failures,
              count(*) FILTER (WHERE time < $scope) AS baseline_calls,
              min(time) FILTER (WHERE time >= $scope) AS first_seen,
              max(time) FILTER (WHERE time >= $scope) AS last_seen
       FROM api_activity
       WHERE time >= $from AND time < $to AND ${predicate(request)}
       GROUP BY GROUPING SETS ((src_endpoint_ip), (http_request_user_agent), (api_service_name, api_operation))`,
      { ...scopeParams(request, { from: request.baseline.from, to: request.scope.to }), scope: ts(request.scope.from) },
    );
    const result: Facts = { ips: new Map(), agents: new Map(), apis: new Map() };
    for (const r of found) {
      const fact: Fact = {
        scopeCalls: num(r.scope_calls),
        scopeFailures: num(r.scope_failures),
        baselineCalls: num(r.baseline_calls),
        firstSeen: r.first_seen === null ? null : num(r.first_seen),
        lastSeen: r.last_seen === null ? null : num(r.last_seen),
      };
      if (num(r.no_ip) === 0) {
        if (r.ip !== null) result.ips.set(String(r.ip), fact);
      } else if (num(r.no_agent) === 0) {
        if (r.agent !== null) result.agents.set(String(r.agent), fact);
      } else if (r.api !== null) {
        result.apis.set(`${str(r.service) ?? ''} ${String(r.api)}`, { ...fact, service: str(r.service) ?? '', api: String(r.api) });
      }
    }
    return result;
  })();
  return request.facts;
}

interface Group<T> {
  key: string;
  sample: T;
  scope: Fact & { values: Set<string> };
  baselineCalls: number;
}

/** Aggregates facts under a derived key (location, ASN); keeps which source values fed each key. */
function regroup<T>(source: Map<string, Fact>, keyOf: (value: string) => { key: string; sample: T } | undefined): Group<T>[] {
  const groups = new Map<string, Group<T>>();
  for (const [value, fact] of source) {
    const k = keyOf(value);
    if (!k) continue;
    let g = groups.get(k.key);
    if (!g) {
      g = { key: k.key, sample: k.sample, scope: { scopeCalls: 0, scopeFailures: 0, baselineCalls: 0, firstSeen: null, lastSeen: null, values: new Set() }, baselineCalls: 0 };
      groups.set(k.key, g);
    }
    g.baselineCalls += fact.baselineCalls;
    if (fact.scopeCalls > 0) {
      g.scope.scopeCalls += fact.scopeCalls;
      g.scope.scopeFailures += fact.scopeFailures;
      g.scope.values.add(value);
      g.scope.firstSeen = g.scope.firstSeen === null ? fact.firstSeen : Math.min(g.scope.firstSeen, fact.firstSeen ?? Infinity);
      g.scope.lastSeen = g.scope.lastSeen === null ? fact.lastSeen : Math.max(g.scope.lastSeen, fact.lastSeen ?? -Infinity);
    }
  }
  return [...groups.values()];
}

const newOnes = <T>(groups: Group<T>[]) =>
  groups.filter((g) => g.scope.scopeCalls > 0 && g.baselineCalls === 0).sort((a, b) => (a.scope.firstSeen ?? 0) - (b.scope.firstSeen ?? 0) || a.key.localeCompare(b.key));

const observed = (g: Group<unknown>) => ({
  firstSeen: time(g.scope.firstSeen),
  lastSeen: time(g.scope.lastSeen),
  count: g.scope.scopeCalls,
  failures: g.scope.scopeFailures,
});

export interface Location {
  key: string;
  countryCode: string;
  country: string;
  city: string | null;
  lat: number | null;
  lon: number | null;
}

/** Where a public IP is, at city precision; private and unknown addresses have no location. */
export async function locator(context: ReadContext): Promise<(ip: string) => Location | undefined> {
  const lookup = await intel(context);
  return (ip) => {
    if (isPrivateIp(ip)) return undefined;
    const d = lookup.ipDetails(ip);
    if (!d.countryCode) return undefined;
    return { key: `${d.countryCode}|${d.city ?? ''}`, countryCode: d.countryCode, country: d.countryName ?? d.countryCode, city: d.city ?? null, lat: d.lat ?? null, lon: d.lon ?? null };
  };
}

export const ITEM_LIMIT = 100;

export const locationName = (l: { city: string | null; country: string }) => (l.city ? `${l.city}, ${l.country}` : l.country);

export async function newGeolocations(request: PanelRequest) {
  const locate = await locator(request.context);
  const groups = regroup((await facts(request)).ips, (ip) => {
    const location = locate(ip);
    return location ? { key: location.key, sample: location } : undefined;
  });
  return {
    items: newOnes(groups).slice(0, ITEM_LIMIT).map((g) => {
      const { key, ...location } = g.sample;
      return { value: locationName(location), locationKey: key, ...location, ips: [...g.scope.values].sort(), ...observed(g) };
    }),
  };
}

export async function newAsns(request: PanelRequest) {
  const lookup = await intel(request.context);
  const groups = regroup((await facts(request)).ips, (ip) => {
    const d = lookup.ipDetails(ip);
    return d.asn === undefined ? undefined : { key: String(d.asn), sample: { asn: d.asn, asnOrg: d.asnOrg ?? null } };
  });
  return {
    items: newOnes(groups).slice(0, ITEM_LIMIT).map((g) => ({
      value: `AS${g.sample.asn}${g.sample.asnOrg ? ` ${g.sample.asnOrg}` : ''}`,
      ...g.sample,
      ips: [...g.scope.values].sort(),
      ...observed(g),
    })),
  };
}

export async function newUserAgents(request: PanelRequest) {
  const groups = regroup((await facts(request)).agents, (agent) => ({ key: agent, sample: null }));
  return { items: newOnes(groups).slice(0, ITEM_LIMIT).map((g) => ({ value: g.key, ...observed(g) })) };
}

export async function newApis(request: PanelRequest) {
  const apis = (await facts(request)).apis;
  const groups = regroup(apis, (key) => ({ key, sample: apis.get(key)! }));
  return {
    items: newOnes(groups).slice(0, ITEM_LIMIT).map((g) => ({ value: g.sample.api, api: g.sample.api, service: g.sample.service, ...observed(g) })),
  };
}

/** Scope volume at least this many times the baseline's daily average (per day of scope) counts as increased. */
export const INCREASE_RATIO = 2;
/** …and at least this many calls in scope, so one call against a tiny baseline is not a spike. */
export const INCREASE_MIN_CALLS = 10;

export async function increasedApis(request: PanelRequest) {
  const baselineDays = coveredDays(request.baseline, request.lakeFirst);
  const scopeDays = (request.scope.to - request.scope.from) / DAY;
  const items = [...(await facts(request)).apis.values()]
    .filter((f) => f.baselineCalls > 0 && f.scopeCalls >= INCREASE_MIN_CALLS)
    .map((f) => {
      const baselineDailyAvg = f.baselineCalls / baselineDays;
      return { api: f.api, service: f.service, scope: f.scopeCalls, baseline: f.baselineCalls, baselineDailyAvg, ratio: f.scopeCalls / scopeDays / baselineDailyAvg };
    })
    .filter((i) => i.ratio >= INCREASE_RATIO)
    .sort((a, b) => b.ratio - a.ratio || a.api.localeCompare(b.api));
  return { baselineDays, items: items.slice(0, ITEM_LIMIT) };
}

const ASSUME = "api_operation IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')";
/** Assumptions where the entity is the role assumed or the session created (the caller side is the entity's own API activity). */
const ASSUMED_PREDICATE: Partial<Record<Entity['type'], string>> = {
  role: "(api_request_data->>'roleArn') = $id",
  session: "(api_response_data->'assumedRoleUser'->>'arn') = $id",
};

/** Role assumption and chaining: who assumed which role into which session, and what the entity assumed. */
export async function roleAssumptions(request: PanelRequest) {
  const { type } = request.entity;
  const sides = [predicate(request), ASSUMED_PREDICATE[type]].filter(Boolean).map((p) => `(${p})`).join(' OR ');
  const found = await rows(
    request.context.connection,
    `SELECT coalesce(actor_user_uid, actor_invoked_by, src_endpoint_domain, actor_user_type) AS caller,
            actor_user_type AS caller_type,
            api_request_data->>'roleArn' AS role,
            api_response_data->'assumedRoleUser'->>'arn' AS session,
            api_operation AS operation,
            min(time) AS first, max(time) AS last, count(*) AS n, count(*) FILTER (WHERE status = 'Failure') AS failures
     FROM api_activity
     WHERE ${SCOPE} AND ${ASSUME} AND (${sides})
     GROUP BY ALL ORDER BY last DESC LIMIT ${ITEM_LIMIT}`,
    scopeParams(request),
  );
  return {
    items: found.map((r) => ({
      from: str(r.caller),
      fromType: str(r.caller_type),
      to: str(r.role),
      session: str(r.session),
      operation: str(r.operation),
      // An assumed-role caller assuming another role is role chaining.
      chained: r.caller_type === 'AssumedRole',
      time: time(r.last),
      firstSeen: time(r.first),
      count: num(r.n),
      failures: num(r.failures),
    })),
  };
}

/** Who called (bucket, IP and user agent profiles), most calls first. */
export async function principals(request: PanelRequest) {
  const found = await rows(
    request.context.connection,
    `SELECT coalesce(actor_user_uid, actor_invoked_by, src_endpoint_domain, actor_user_type) AS principal, any_value(actor_user_type) AS type,
            count(*) AS calls, count(*) FILTER (WHERE status = 'Failure') AS failures, min(time) AS first, max(time) AS last
     FROM api_activity WHERE ${SCOPE} AND ${predicate(request)}
     GROUP BY 1 ORDER BY calls DESC, principal LIMIT ${ITEM_LIMIT}`,
    scopeParams(request),
  );
  return { items: found.map((r) => ({ principal: str(r.principal), principalType: str(r.type), calls: num(r.calls), failures: num(r.failures), firstSeen: time(r.first), lastSeen: time(r.last) })) };
}

/** Which API calls (bucket profile: calls made to the bucket). */
export async function apis(request: PanelRequest) {
  const found = await rows(
    request.context.connection,
    `SELECT api_operation AS api, any_value(api_service_name) AS service, count(*) AS calls, count(*) FILTER (WHERE status = 'Failure') AS failures
     FROM api_activity WHERE ${SCOPE} AND ${predicate(request)}
     GROUP BY 1 ORDER BY calls DESC, api LIMIT ${ITEM_LIMIT}`,
    scopeParams(request),
  );
  return { items: found.map((r) => ({ api: str(r.api), service: str(r.service), calls: num(r.calls), failures: num(r.failures) })) };
}
