import { isPrivateIp } from '../detect/network-event.js';
import { loadIntel } from '../intel/load.js';
import type { IntelLookup } from '../intel/lookup.js';
import { entityLabel, ID_FORMS, ID_SHAPES, parseRole, parseSession } from './arns.js';
import { findingIndex, roleArns, roleOfSession } from './finding-index.js';
import { findingGroups } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { list, num, one, type Params, rows, str, time } from './sql.js';
import { type EntityType, notFound } from './validation.js';

/**
 * Entities and how each type is found in the event tables. The SQL fragments are fixed text chosen by type;
 * the entity id is always the `$id` parameter (and an instance's network interfaces `$enis`).
 */
export const API_PREDICATE: Partial<Record<EntityType, string>> = {
  account: 'cloud_account_uid = $id',
  user: 'actor_user_uid = $id',
  role: 'actor_session_issuer = $id',
  session: 'actor_user_uid = $id',
  federated: 'actor_user_uid = $id',
  accesskey: 'actor_user_credential_uid = $id',
  ip: 'src_endpoint_ip = $id',
  useragent: 'http_request_user_agent = $id',
  // Instance-profile credentials are sessions named after the instance.
  instance: "actor_session_issuer IS NOT NULL AND suffix(actor_user_uid, '/' || $id)",
  // The substring test is cheap and runs first, so JSON is parsed only for rows that can match.
  bucket: "api_service_name = 's3.amazonaws.com' AND contains(api_request_data::VARCHAR, $id) AND api_request_data->>'bucketName' = $id",
};

export const FLOW_PREDICATE: Partial<Record<EntityType, string>> = {
  instance: '(instance_uid = $id OR list_contains($enis, interface_uid))',
  ip: '(src_endpoint_ip = $id OR dst_endpoint_ip = $id)',
};

export const DNS_PREDICATE: Partial<Record<EntityType, string>> = {
  instance: 'src_endpoint_instance_uid = $id',
  ip: 'src_endpoint_ip = $id',
};

export interface Entity {
  type: EntityType;
  id: string;
  label: string;
  details: Record<string, unknown>;
  /** Query parameters that identify the entity in the fragments above. */
  params: Params;
}

export function intel(context: ReadContext): Promise<IntelLookup> {
  return context.memo('intel', () => loadIntel(context.connection));
}

interface Inventory {
  /** Instance id → its network interfaces. */
  enis: Map<string, Set<string>>;
  /** Network interface → instance id. */
  instanceOfEni: Map<string, string>;
  /** Instance id → what RunInstances said about it (detection state). */
  details: Map<string, Record<string, unknown>>;
}

/**
 * Which network interfaces belong to which instance: flow records that name both, plus the inventory the
 * detections keep from CloudTrail (RunInstances, network-interface calls). Most flow formats name only the interface.
 */
export function inventory(context: ReadContext): Promise<Inventory> {
  return context.memo('inventory', async () => {
    const enis = new Map<string, Set<string>>();
    const instanceOfEni = new Map<string, string>();
    const details = new Map<string, Record<string, unknown>>();
    const link = (instance: string, eni: string) => {
      if (!enis.has(instance)) enis.set(instance, new Set());
      enis.get(instance)!.add(eni);
      instanceOfEni.set(eni, instance);
    };
    for (const r of await rows(context.connection, `SELECT DISTINCT instance_uid, interface_uid FROM network_activity WHERE instance_uid IS NOT NULL AND interface_uid IS NOT NULL`)) {
      link(String(r.instance_uid), String(r.interface_uid));
    }
    const state = await rows(context.connection, `SELECT value::VARCHAR AS value FROM detection_state WHERE detection_id = 'instance-inventory'`);
    for (const { value } of state) {
      const account = JSON.parse(String(value)) as { instances?: Record<string, Record<string, unknown>>; interfaces?: Record<string, string> };
      for (const [id, instance] of Object.entries(account.instances ?? {})) details.set(id, instance);
      for (const [eni, instance] of Object.entries(account.interfaces ?? {})) link(instance, eni);
      for (const [id, instance] of Object.entries(account.instances ?? {})) {
        for (const ni of (instance.networkInterfaces as { networkInterfaceId?: string }[] | undefined) ?? []) {
          if (ni.networkInterfaceId) link(id, ni.networkInterfaceId);
        }
      }
    }
    return { enis, instanceOfEni, details };
  });
}

const notInLake = (type: EntityType, id: string) => notFound(`no ${type} ${JSON.stringify(id)} in the lake`);

/** Looks an entity up, with its details panel; 404 when the lake has never seen it. */
export async function resolveEntity(context: ReadContext, type: EntityType, id: string): Promise<Entity> {
  if (!ID_SHAPES[type].test(id)) throw notFound(`no ${type} ${JSON.stringify(id)}: expected ${ID_FORMS[type]}`);
  const params: Params = { id };
  const details = await DETAILS[type](context, id, params);
  if (!details) throw notInLake(type, id);
  return { type, id, label: entityLabel(type, id), details, params };
}

type DetailsFn = (context: ReadContext, id: string, params: Params) => Promise<Record<string, unknown> | undefined>;

/** All-time activity of an entity in api_activity: when first and last seen, how many calls. */
async function apiActivity(context: ReadContext, type: EntityType, params: Params, extra = '') {
  const r = await one(
    context.connection,
    `SELECT count(*) AS calls, min(time) AS first, max(time) AS last${extra} FROM api_activity WHERE ${API_PREDICATE[type]}`,
    params,
  );
  return r && num(r.calls) > 0 ? r : undefined;
}

async function involvedInFindings(context: ReadContext, type: EntityType, id: string): Promise<number> {
  return (await findingIndex(context)).involving(type, id).length;
}

const seen = (r: Record<string, unknown> | undefined) => ({
  apiCalls: num(r?.calls),
  firstSeen: time(r?.first),
  lastSeen: time(r?.last),
});

const DETAILS: Record<EntityType, DetailsFn> = {
  account: async (context, id, params) => {
    const r = await apiActivity(context, 'account', params, `, count(DISTINCT actor_user_uid) AS principals, list(DISTINCT cloud_region ORDER BY cloud_region) AS regions`);
    const flows = await one(context.connection, `SELECT count(*) AS n FROM network_activity WHERE cloud_account_uid = $id`, params);
    if (!r && num(flows?.n) === 0 && (await involvedInFindings(context, 'account', id)) === 0) return undefined;
    return { accountId: id, ...seen(r), principals: num(r?.principals), regions: (r?.regions as string[] | undefined) ?? [], flowRecords: num(flows?.n) };
  },
  user: async (context, id, params) => {
    const r = await apiActivity(context, 'user', params, `, any_value(actor_user_name) AS name, any_value(actor_user_type) AS user_type,
      any_value(cloud_account_uid) AS account, list(DISTINCT actor_user_credential_uid ORDER BY actor_user_credential_uid)[1:20] AS keys`);
    if (!r && (await involvedInFindings(context, 'user', id)) === 0) return undefined;
    return { arn: id, userName: str(r?.name) ?? entityLabel('user', id), userType: str(r?.user_type), accountId: str(r?.account), ...seen(r), accessKeys: (r?.keys as string[] | undefined) ?? [] };
  },
  role: async (context, id, params) => {
    const r = await apiActivity(context, 'role', params, `, count(DISTINCT actor_user_uid) AS sessions`);
    const assumed = await one(
      context.connection,
      `SELECT count(*) AS n, min(time) AS first, max(time) AS last FROM api_activity
       WHERE api_operation IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity') AND api_request_data->>'roleArn' = $id`,
      params,
    );
    if (!r && num(assumed?.n) === 0 && (await involvedInFindings(context, 'role', id)) === 0) return undefined;
    const role = parseRole(id);
    return { arn: id, roleName: role?.name, accountId: role?.account, ...seen(r), sessions: num(r?.sessions), assumptions: num(assumed?.n) };
  },
  session: async (context, id, params) => {
    const r = await apiActivity(context, 'session', params, `, any_value(actor_session_issuer) AS issuer, bool_or(actor_session_is_mfa) AS mfa,
      min(actor_session_created_time) AS created, list(DISTINCT actor_user_credential_uid ORDER BY actor_user_credential_uid)[1:20] AS keys`);
    if (!r && (await involvedInFindings(context, 'session', id)) === 0) return undefined;
    const s = parseSession(id);
    const roles = await roleArns(context);
    return {
      arn: id, role: str(r?.issuer) ?? roleOfSession(id, roles) ?? null, sessionName: s?.session, accountId: s?.account,
      mfaAuthenticated: r?.mfa ?? null, createdTime: time(r?.created), ...seen(r), accessKeys: (r?.keys as string[] | undefined) ?? [],
    };
  },
  federated: async (context, id, params) => {
    const r = await apiActivity(context, 'federated', params, `, any_value(actor_session_issuer) AS issuer, any_value(actor_idp_name) AS idp`);
    if (!r && (await involvedInFindings(context, 'federated', id)) === 0) return undefined;
    return { arn: id, name: entityLabel('federated', id), issuer: str(r?.issuer), identityProvider: str(r?.idp), ...seen(r) };
  },
  accesskey: async (context, id, params) => {
    const r = await apiActivity(context, 'accesskey', params, `, list(DISTINCT actor_user_uid ORDER BY actor_user_uid)[1:20] AS principals,
      any_value(actor_user_type) AS user_type, any_value(cloud_account_uid) AS account`);
    if (!r && (await involvedInFindings(context, 'accesskey', id)) === 0) return undefined;
    return {
      accessKeyId: id, kind: id.startsWith('ASIA') ? 'temporary' : id.startsWith('AKIA') ? 'long-term' : 'unknown',
      principals: (r?.principals as string[] | undefined) ?? [], userType: str(r?.user_type), accountId: str(r?.account), ...seen(r),
    };
  },
  ip: async (context, id, params) => {
    const r = await apiActivity(context, 'ip', params, `, count(DISTINCT actor_user_uid) AS principals`);
    const flows = await one(
      context.connection,
      `SELECT count(*) AS n, min(time) AS first, max(time) AS last FROM network_activity WHERE ${FLOW_PREDICATE.ip}`,
      params,
    );
    const dns = await one(context.connection, `SELECT count(*) AS n FROM dns_activity WHERE ${DNS_PREDICATE.ip}`, params);
    if (!r && num(flows?.n) === 0 && num(dns?.n) === 0 && (await involvedInFindings(context, 'ip', id)) === 0) return undefined;
    return { ip: id, ...(await ipIntel(context, id)), ...seen(r), principals: num(r?.principals), flowRecords: num(flows?.n), firstFlow: time(flows?.first), lastFlow: time(flows?.last), dnsQueries: num(dns?.n) };
  },
  useragent: async (context, id, params) => {
    const r = await apiActivity(context, 'useragent', params, `, count(DISTINCT actor_user_uid) AS principals, count(DISTINCT src_endpoint_ip) AS ips`);
    if (!r && (await involvedInFindings(context, 'useragent', id)) === 0) return undefined;
    return { userAgent: id, ...seen(r), principals: num(r?.principals), ips: num(r?.ips) };
  },
  instance: async (context, id, params) => {
    const inv = await inventory(context);
    params.enis = list([...(inv.enis.get(id) ?? [])].sort());
    const flows = await one(
      context.connection,
      `SELECT count(*) AS n, min(time) AS first, max(time) AS last, any_value(vpc_uid) AS vpc, any_value(subnet_uid) AS subnet,
              any_value(cloud_account_uid) AS account, any_value(cloud_region) AS region
       FROM network_activity WHERE ${FLOW_PREDICATE.instance}`,
      params,
    );
    const api = await apiActivity(context, 'instance', params, `, list(DISTINCT actor_session_issuer) AS roles`);
    const launched = inv.details.get(id);
    if (num(flows?.n) === 0 && !api && !launched && (await involvedInFindings(context, 'instance', id)) === 0) return undefined;
    return {
      instanceId: id, accountId: str(flows?.account), region: str(flows?.region), vpcId: str(flows?.vpc), subnetId: str(flows?.subnet),
      networkInterfaces: [...(inv.enis.get(id) ?? [])].sort(), roles: (api?.roles as string[] | undefined) ?? [],
      flowRecords: num(flows?.n), firstSeen: time(flows?.first) ?? time(api?.first), lastSeen: time(flows?.last) ?? time(api?.last),
      apiCalls: num(api?.calls), launch: launched ?? null,
    };
  },
  bucket: async (context, id, params) => {
    const r = await apiActivity(context, 'bucket', params, `, count(DISTINCT actor_user_uid) AS principals, any_value(cloud_account_uid) AS account,
      min(time) FILTER (WHERE api_operation = 'CreateBucket' AND status = 'Success') AS created,
      max(time) FILTER (WHERE api_operation = 'DeleteBucket' AND status = 'Success') AS deleted`);
    if (!r && (await involvedInFindings(context, 'bucket', id)) === 0) return undefined;
    return { bucketName: id, arn: `arn:aws:s3:::${id}`, accountId: str(r?.account), ...seen(r), principals: num(r?.principals), createdTime: time(r?.created), deletedTime: time(r?.deleted) };
  },
  finding: async (context, id) => {
    const f = (await findingIndex(context)).byId.get(id);
    return f ? { ...f.row } : undefined;
  },
  group: async (context, id) => {
    const groups = await findingGroups(context);
    return groups.byId.get(id)?.group as Record<string, unknown> | undefined;
  },
};

/** Geo, ASN, AWS range, Tor and threat lists of an IP, for its details panel. */
export async function ipIntel(context: ReadContext, ip: string) {
  const lookup = await intel(context);
  const geo = lookup.ipDetails(ip);
  const aws = lookup.awsRange(ip);
  return {
    private: isPrivateIp(ip),
    countryCode: geo.countryCode ?? null,
    country: geo.countryName ?? null,
    city: geo.city ?? null,
    lat: geo.lat ?? null,
    lon: geo.lon ?? null,
    asn: geo.asn ?? null,
    asnOrg: geo.asnOrg ?? null,
    awsRange: aws ? { region: aws.region, service: aws.service } : null,
    tor: { exit: lookup.isTorExit(ip), relay: lookup.isTorRelay(ip) },
    threatLists: lookup.ipThreats(ip).map((t) => ({ listName: t.listName, threatName: t.threatName ?? null })),
  };
}
