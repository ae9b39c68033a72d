import { principalType } from './arns.js';
import { eventCounts } from './catalogue.js';
import { inventory } from './entities.js';
import { findingIndex } from './finding-index.js';
import { groupsInWindow } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { locator } from './panels-api.js';
import { INTERFACE_DIRECTION } from './panels-network.js';
import { lakeRange, scopeOf } from './profiles.js';
import { baselineOf, DAY, iso, trainingNotice, type Window, wire } from './scope.js';
import { num, rows, str, ts } from './sql.js';

const TOP = 10;
const NEW_LOCATIONS_LIMIT = 100;

/**
 * Locations of every public source IP seen in a window. Whole UTC days are looked up once per lake state and
 * kept (a shifted scope shares 44 of its 45 baseline days with the last one); the partial days at either end
 * are read directly.
 */
async function locationsSeen(context: ReadContext, window: Window): Promise<Set<string>> {
  const byDay = await context.lasting(`location-days:${await eventCounts(context)}`, async () => new Map<number, Set<string>>());
  const locate = await locator(context);
  const keys = new Set<string>();
  const ipsIn = async (from: number, to: number) =>
    from < to
      ? await rows(
          context.connection,
          `SELECT DISTINCT date_trunc('day', time) AS day, src_endpoint_ip AS ip FROM api_activity
           WHERE time >= $from AND time < $to AND src_endpoint_ip IS NOT NULL`,
          { from: ts(from), to: ts(to) },
        )
      : [];
  const firstDay = Math.ceil(window.from / DAY) * DAY;
  const endDay = Math.max(firstDay, Math.floor(window.to / DAY) * DAY);
  const missing = [];
  for (let day = firstDay; day < endDay; day += DAY) if (!byDay.has(day)) missing.push(day);
  if (missing.length) {
    const filled = new Map(missing.map((day) => [day, new Set<string>()]));
    for (const { day, ip } of await ipsIn(missing[0]!, missing.at(-1)! + DAY)) {
      const location = locate(String(ip));
      if (location) filled.get(num(day))?.add(location.key);
    }
    for (const [day, seen] of filled) byDay.set(day, seen);
  }
  for (let day = firstDay; day < endDay; day += DAY) for (const key of byDay.get(day)!) keys.add(key);
  const edges = [...(await ipsIn(window.from, Math.min(firstDay, window.to))), ...(await ipsIn(Math.max(endDay, window.from), window.to))];
  for (const { ip } of edges) {
    const location = locate(String(ip));
    if (location) keys.add(location.key);
  }
  return keys;
}

/** Geolocations API calls came from in the scope that no call came from in the baseline, with who and from which IP. */
async function newGeolocations(context: ReadContext, scope: Window) {
  const [known, locate] = await Promise.all([locationsSeen(context, baselineOf(scope)), locator(context)]);
  const found = await rows(
    context.connection,
    `SELECT src_endpoint_ip AS ip, coalesce(actor_user_uid, actor_invoked_by, actor_user_type) AS principal, min(time) AS first, count(*) AS calls,
            count(*) FILTER (WHERE status = 'Failure') AS failures
     FROM api_activity WHERE time >= $from AND time < $to AND src_endpoint_ip IS NOT NULL
     GROUP BY ALL`,
    { from: ts(scope.from), to: ts(scope.to) },
  );
  return found
    .flatMap((r) => {
      const location = locate(String(r.ip));
      if (!location || known.has(location.key)) return [];
      const { key, ...where } = location;
      return [{ ...where, locationKey: key, ip: String(r.ip), principal: str(r.principal), firstSeen: iso(num(r.first)), calls: num(r.calls), failures: num(r.failures) }];
    })
    .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.ip.localeCompare(b.ip))
    .slice(0, NEW_LOCATIONS_LIMIT);
}

/** Roles (all their sessions together) and users with the most API calls. */
async function topPrincipals(context: ReadContext, scope: Window) {
  const found = await rows(
    context.connection,
    `SELECT CASE WHEN actor_user_type = 'AssumedRole' AND actor_session_issuer IS NOT NULL THEN actor_session_issuer ELSE actor_user_uid END AS principal,
            count(*) AS calls, count(*) FILTER (WHERE status = 'Failure') AS failures
     FROM api_activity WHERE time >= $from AND time < $to AND actor_user_uid IS NOT NULL
     GROUP BY 1 ORDER BY calls DESC, principal LIMIT ${TOP}`,
    { from: ts(scope.from), to: ts(scope.to) },
  );
  return found.map((r) => ({ principal: String(r.principal), type: principalType(String(r.principal)) ?? 'user', calls: num(r.calls), failures: num(r.failures) }));
}

/** Instances by flow bytes; flow records name an interface, which the inventory ties to its instance. */
async function topInstances(context: ReadContext, scope: Window) {
  const inv = await inventory(context);
  const found = await rows(
    context.connection,
    `SELECT interface_uid AS eni, instance_uid AS instance,
            sum(traffic_bytes) FILTER (WHERE dir = 'in') AS bytes_in, sum(traffic_bytes) FILTER (WHERE dir = 'out') AS bytes_out, count(*) AS flows
     FROM (SELECT interface_uid, instance_uid, traffic_bytes, ${INTERFACE_DIRECTION} AS dir
           FROM network_activity WHERE time >= $from AND time < $to)
     GROUP BY ALL`,
    { from: ts(scope.from), to: ts(scope.to) },
  );
  const byInstance = new Map<string, { instanceId: string; bytesIn: number; bytesOut: number; flows: number }>();
  for (const r of found) {
    const id = str(r.instance) ?? inv.instanceOfEni.get(String(r.eni));
    if (!id) continue;
    const t = byInstance.get(id) ?? { instanceId: id, bytesIn: 0, bytesOut: 0, flows: 0 };
    t.bytesIn += num(r.bytes_in);
    t.bytesOut += num(r.bytes_out);
    t.flows += num(r.flows);
    byInstance.set(id, t);
  }
  return [...byInstance.values()].sort((a, b) => b.bytesIn + b.bytesOut - (a.bytesIn + a.bytesOut) || a.instanceId.localeCompare(b.instanceId)).slice(0, TOP);
}

/** GET /api/summary */
export async function summary(context: ReadContext, query: { from?: string; to?: string }) {
  const scope = await scopeOf(context, query);
  const index = await findingIndex(context);
  const findingsBySeverity = { Critical: 0, High: 0, Medium: 0, Low: 0 };
  for (const f of index.all) {
    if (!f.row.archived && f.last >= scope.from && f.first < scope.to) findingsBySeverity[f.row.severityLevel as keyof typeof findingsBySeverity]++;
  }
  const recentGroups = (await groupsInWindow(context, scope)).sort((a, b) => b.lastSeen.localeCompare(a.lastSeen)).slice(0, TOP);
  return {
    scope: wire(scope),
    training: trainingNotice(baselineOf(scope), (await lakeRange(context)).first),
    findingsBySeverity,
    newGeolocations: await newGeolocations(context, scope),
    topPrincipals: await topPrincipals(context, scope),
    topInstances: await topInstances(context, scope),
    recentGroups,
  };
}
