import { LAST_PRUNE_KEY } from '../lake/schema.js';
import type { ReadContext } from './lake-access.js';
import { num, rows, str } from './sql.js';

/**
 * The lake's entities with their all-time activity, built with a few grouped scans once per lake version
 * (Detective's entity extraction, in memory). Details panels, 404 checks and search read it instead of
 * scanning whole tables per request; API and flow entities number in the tens of thousands at most, unlike
 * the remote IPs of flow logs, which stay in SQL.
 */
export interface Activity {
  calls: number;
  first: number | null;
  last: number | null;
}

export interface Principal extends Activity {
  arn: string;
  type: string | null;
  name: string | null;
  account: string | null;
  issuer: string | null;
  idp: string | null;
  mfa: boolean | null;
  created: number | null;
  keys: Set<string>;
}

export interface Interface extends Activity {
  /** The instance flow records named alongside this interface, if any did. */
  instance?: string;
  vpc: string | null;
  subnet: string | null;
  account: string | null;
  region: string | null;
}

export interface Catalogue {
  principals: Map<string, Principal>;
  roles: Map<string, Activity & { sessions: Set<string> }>;
  keys: Map<string, Activity & { principals: Set<string> }>;
  ips: Map<string, Activity>;
  agents: Map<string, Activity>;
  accounts: Map<string, Activity & { regions: Set<string> }>;
  buckets: Map<string, Activity & { created: number | null; deleted: number | null; account: string | null }>;
  /** Flow records per network interface and per logged instance id. */
  interfaces: Map<string, Interface>;
  flowInstances: Map<string, Activity>;
}

const activity = (r: Record<string, unknown>): Activity => ({
  calls: num(r.n),
  first: r.first === null ? null : num(r.first),
  last: r.last === null ? null : num(r.last),
});

/** Adds one group's activity into an accumulated entry. */
function merge<T extends Activity>(map: Map<string, T>, key: string, add: Activity, create: () => T): T {
  let entry = map.get(key);
  if (!entry) {
    entry = create();
    map.set(key, entry);
  }
  entry.calls += add.calls;
  if (add.first !== null) entry.first = entry.first === null ? add.first : Math.min(entry.first, add.first);
  if (add.last !== null) entry.last = entry.last === null ? add.last : Math.max(entry.last, add.last);
  return entry;
}

const empty = (): Activity => ({ calls: 0, first: null, last: null });

/**
 * Row counts of the event tables the catalogue reads, and the last prune. Ingest only ever appends to them
 * and only `gumshoe prune` deletes, so equal counts since the same prune mean equal content, and the catalogue
 * outlives writes to other tables (archiving, suppression rules, detections).
 */
export function eventCounts(context: ReadContext): Promise<string> {
  return context.memo('event-counts', async () => {
    const r = await rows(context.connection, `SELECT (SELECT count(*) FROM api_activity) AS api, (SELECT count(*) FROM network_activity) AS flows,
      (SELECT value FROM lake_meta WHERE key = '${LAST_PRUNE_KEY}') AS pruned`);
    return `${num(r[0]?.api)}:${num(r[0]?.flows)}:${str(r[0]?.pruned) ?? ''}`;
  });
}

export async function catalogue(context: ReadContext): Promise<Catalogue> {
  return context.lasting(`catalogue:${await eventCounts(context)}`, async () => {
    const c: Catalogue = {
      principals: new Map(), roles: new Map(), keys: new Map(), ips: new Map(), agents: new Map(), accounts: new Map(),
      buckets: new Map(), interfaces: new Map(), flowInstances: new Map(),
    };
    for (const r of await rows(
      context.connection,
      `SELECT actor_user_uid AS arn, count(*) AS n, min(time) AS first, max(time) AS last, any_value(actor_user_type) AS type,
              any_value(actor_user_name) AS name, any_value(cloud_account_uid) AS account, any_value(actor_session_issuer) AS issuer,
              any_value(actor_idp_name) AS idp, bool_or(actor_session_is_mfa) AS mfa, min(actor_session_created_time) AS created
       FROM api_activity WHERE actor_user_uid IS NOT NULL GROUP BY actor_user_uid`,
    )) {
      c.principals.set(String(r.arn), {
        arn: String(r.arn), ...activity(r), type: str(r.type), name: str(r.name), account: str(r.account), issuer: str(r.issuer), idp: str(r.idp),
        mfa: typeof r.mfa === 'boolean' ? r.mfa : null, created: r.created === null ? null : num(r.created), keys: new Set(),
      });
    }
    for (const r of await rows(
      context.connection,
      `SELECT grouping(actor_session_issuer) AS g_role, grouping(actor_user_credential_uid) AS g_key, grouping(src_endpoint_ip) AS g_ip,
              grouping(http_request_user_agent) AS g_agent,
              actor_session_issuer AS role, actor_user_uid AS principal, actor_user_credential_uid AS key, src_endpoint_ip AS ip,
              http_request_user_agent AS agent, cloud_account_uid AS account, cloud_region AS region,
              count(*) AS n, min(time) AS first, max(time) AS last
       FROM api_activity
       GROUP BY GROUPING SETS ((actor_session_issuer, actor_user_uid), (actor_user_credential_uid, actor_user_uid), (src_endpoint_ip),
                              (http_request_user_agent), (cloud_account_uid, cloud_region))`,
    )) {
      const a = activity(r);
      if (num(r.g_role) === 0) {
        if (r.role !== null) merge(c.roles, String(r.role), a, () => ({ ...empty(), sessions: new Set() })).sessions.add(String(r.principal));
      } else if (num(r.g_key) === 0) {
        if (r.key === null) continue;
        const key = merge(c.keys, String(r.key), a, () => ({ ...empty(), principals: new Set() }));
        if (r.principal !== null) {
          key.principals.add(String(r.principal));
          c.principals.get(String(r.principal))?.keys.add(String(r.key));
        }
      } else if (num(r.g_ip) === 0) {
        if (r.ip !== null) c.ips.set(String(r.ip), a);
      } else if (num(r.g_agent) === 0) {
        if (r.agent !== null) c.agents.set(String(r.agent), a);
      } else if (r.account !== null) {
        const account = merge(c.accounts, String(r.account), a, () => ({ ...empty(), regions: new Set() }));
        if (r.region !== null) account.regions.add(String(r.region));
      }
    }
    // A role the lake saw assumed but whose sessions made no call it holds (an outside account's sessions, a
    // trail not ingested) is still a role of the lake: its profile shows who assumed it.
    for (const r of await rows(
      context.connection,
      `SELECT DISTINCT api_request_data->>'roleArn' AS role FROM api_activity
       WHERE api_operation IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity') AND api_service_name = 'sts.amazonaws.com'`,
    )) {
      if (r.role !== null && !c.roles.has(String(r.role))) c.roles.set(String(r.role), { ...empty(), sessions: new Set() });
    }
    for (const r of await rows(
      context.connection,
      `SELECT api_request_data->>'bucketName' AS bucket, count(*) AS n, min(time) AS first, max(time) AS last, any_value(cloud_account_uid) AS account,
              min(time) FILTER (WHERE api_operation = 'CreateBucket' AND status = 'Success') AS created,
              max(time) FILTER (WHERE api_operation = 'DeleteBucket' AND status = 'Success') AS deleted
       FROM api_activity WHERE api_service_name = 's3.amazonaws.com' GROUP BY 1`,
    )) {
      if (r.bucket === null) continue;
      c.buckets.set(String(r.bucket), { ...activity(r), account: str(r.account), created: r.created === null ? null : num(r.created), deleted: r.deleted === null ? null : num(r.deleted) });
    }
    for (const r of await rows(
      context.connection,
      `SELECT interface_uid AS eni, instance_uid AS instance, count(*) AS n, min(time) AS first, max(time) AS last,
              any_value(vpc_uid) AS vpc, any_value(subnet_uid) AS subnet, any_value(cloud_account_uid) AS account, any_value(cloud_region) AS region
       FROM network_activity GROUP BY interface_uid, instance_uid`,
    )) {
      const a = activity(r);
      if (r.eni !== null) {
        const eni = merge<Interface>(c.interfaces, String(r.eni), a, () => ({ ...empty(), vpc: str(r.vpc), subnet: str(r.subnet), account: str(r.account), region: str(r.region) }));
        if (r.instance !== null) eni.instance = String(r.instance);
      }
      if (r.instance !== null) merge(c.flowInstances, String(r.instance), a, empty);
    }
    return c;
  });
}

/** Sums activity entries (an instance's interfaces, the sessions named after an instance). */
export function total(entries: Iterable<Activity>): Activity {
  const sum = empty();
  for (const e of entries) {
    sum.calls += e.calls;
    if (e.first !== null) sum.first = sum.first === null ? e.first : Math.min(sum.first, e.first);
    if (e.last !== null) sum.last = sum.last === null ? e.last : Math.max(sum.last, e.last);
  }
  return sum;
}
