import { intel } from './entities.js';
import type { ReadContext } from './lake-access.js';
import { locator } from './panels-api.js';
import { lakeRange, scopeOf } from './profiles.js';
import { baselineOf, trainingNotice, wire } from './scope.js';
import { inList, num, type Params, rows, str, ts } from './sql.js';
import { badRequest } from './validation.js';

/**
 * The drill-down of a newly observed geolocation (Detective's, as documented): every API call made from the
 * location in the scope time — not only the profiled entity's — by observed IP address and by resource (the
 * caller), each with success and failure counts.
 */

/** Location keys as the panels give them: a two-letter country code, `|`, the city (may be empty). */
const LOCATION_KEY = /^[A-Z]{2}\|[^|]{0,200}$/;
/** The busiest IPs of a location that are broken down further; the rest are counted in `truncated`. */
export const LOCATION_IP_LIMIT = 200;
const CALL_ROW_LIMIT = 5000;

interface Calls {
  success: number;
  failure: number;
}

interface CallRow extends Calls {
  ip: string;
  service: string | null;
  api: string | null;
  principal: string | null;
  principalType: string | null;
  account: string | null;
}

export async function geolocationActivity(context: ReadContext, key: string, query: { from?: string; to?: string }) {
  if (!LOCATION_KEY.test(key)) throw badRequest(`location must look like US|Ashburn (country code, |, city), not ${JSON.stringify(key)}`);
  const scope = await scopeOf(context, query);
  const params: Params = { from: ts(scope.from), to: ts(scope.to) };
  const [locate, lookup] = [await locator(context), await intel(context)];
  const bySource = await rows(
    context.connection,
    `SELECT src_endpoint_ip AS ip, count(*) FILTER (WHERE status IS DISTINCT FROM 'Failure') AS success, count(*) FILTER (WHERE status = 'Failure') AS failure
     FROM api_activity WHERE time >= $from AND time < $to AND src_endpoint_ip IS NOT NULL GROUP BY ip`,
    params,
  );
  const here = bySource
    .map((r) => ({ ip: String(r.ip), success: num(r.success), failure: num(r.failure), where: locate(String(r.ip)) }))
    .filter((r) => r.where?.key === key)
    .sort((a, b) => b.success + b.failure - (a.success + a.failure) || a.ip.localeCompare(b.ip));
  const detailed = here.slice(0, LOCATION_IP_LIMIT);
  const calls = detailed.length ? await callsFrom(context, detailed.map((r) => r.ip), params) : [];

  const [countryCode, city] = key.split('|') as [string, string];
  const known = here[0]?.where;
  return {
    location: { key, countryCode, country: known?.country ?? countryCode, city: known?.city ?? (city || null), lat: known?.lat ?? null, lon: known?.lon ?? null },
    scope: wire(scope),
    training: trainingNotice(baselineOf(scope), (await lakeRange(context)).first),
    totals: { ips: here.length, success: sum(here, 'success'), failure: sum(here, 'failure') },
    truncated: here.length - detailed.length,
    ips: detailed.map(({ ip, success, failure }) => {
      const d = lookup.ipDetails(ip);
      const mine = calls.filter((c) => c.ip === ip);
      return {
        ip, asn: d.asn ?? null, asnOrg: d.asnOrg ?? null, success, failure,
        calls: mine.map(({ service, api, principal, principalType, success, failure }) => ({ service, api, principal, principalType, success, failure })),
      };
    }),
    resources: byResource(calls),
  };
}

/** API calls from some IPs, per (IP, service, API, caller), busiest first. */
async function callsFrom(context: ReadContext, ips: string[], params: Params): Promise<CallRow[]> {
  const found = await rows(
    context.connection,
    `SELECT src_endpoint_ip AS ip, api_service_name AS service, api_operation AS api,
            coalesce(actor_user_uid, actor_invoked_by, actor_user_type) AS principal, any_value(actor_user_type) AS principal_type,
            any_value(coalesce(actor_user_account_uid, cloud_account_uid)) AS account,
            count(*) FILTER (WHERE status IS DISTINCT FROM 'Failure') AS success, count(*) FILTER (WHERE status = 'Failure') AS failure
     FROM api_activity WHERE time >= $from AND time < $to AND src_endpoint_ip IN ${inList('ip', ips, params)}
     GROUP BY ip, service, api, principal
     ORDER BY success + failure DESC, ip, service, api, principal LIMIT ${CALL_ROW_LIMIT}`,
    params,
  );
  return found.map((r) => ({
    ip: String(r.ip), service: str(r.service), api: str(r.api), principal: str(r.principal), principalType: str(r.principal_type),
    account: str(r.account), success: num(r.success), failure: num(r.failure),
  }));
}

/** The Resource tab: callers from the location, each with the API calls they made from it. */
function byResource(calls: CallRow[]) {
  const callers = new Map<string, Calls & { principal: string | null; principalType: string | null; account: string | null; calls: Omit<CallRow, 'principal' | 'principalType' | 'account'>[] }>();
  for (const c of calls) {
    const id = c.principal ?? '';
    let caller = callers.get(id);
    if (!caller) {
      caller = { principal: c.principal, principalType: c.principalType, account: c.account, success: 0, failure: 0, calls: [] };
      callers.set(id, caller);
    }
    caller.success += c.success;
    caller.failure += c.failure;
    caller.calls.push({ ip: c.ip, service: c.service, api: c.api, success: c.success, failure: c.failure });
  }
  return [...callers.values()].sort((a, b) => b.success + b.failure - (a.success + a.failure) || (a.principal ?? '').localeCompare(b.principal ?? ''));
}

const sum = (items: Calls[], field: keyof Calls) => items.reduce((total, item) => total + item[field], 0);
