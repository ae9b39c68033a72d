import { isPrivateIp } from '../detect/network-event.js';
import { loadIntel } from '../intel/load.js';
import type { IntelLookup } from '../intel/lookup.js';
import { entityLabel, ID_FORMS, ID_SHAPES, parseRole, parseSession } from './arns.js';
import { findingIndex, roleArns, roleOfSession } from './finding-index.js';
import { findingGroups } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { type Activity, catalogue, total } from './catalogue.js';
import { inList, num, one, type Params, rows, time } from './sql.js';
import { type EntityType, notFound } from './validation.js';

/**
 * Entities and how each type is found in the event tables. The SQL fragments are fixed text chosen by type;
 * the entity id is always the `$id` parameter (an instance's interfaces and sessions are parameter lists too).
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
  // The substring test is cheap and runs first, so JSON is parsed only for rows that can match.
  bucket: "api_service_name = 's3.amazonaws.com' AND contains(api_request_data::VARCHAR, $id) AND (api_request_data->>'bucketName') = $id",
};

/**
 * The flow records of an instance or an IP in a time condition. An instance's records are those of its
 * network interfaces (an IN list of parameters pushes down into the scan); an IP's are two scans, as
 * source and as destination, which DuckDB filters far faster than one OR.
 */
export function flowRows(entity: Entity, where: string): string {
  if (entity.type === 'instance') {
    if (!entity.enis?.length) return `SELECT * FROM network_activity WHERE ${where} AND instance_uid = $id`;
    return `SELECT * FROM network_activity WHERE ${where} AND interface_uid IN ${entity.enisSql}`;
  }
  if (entity.type === 'ip') {
    return `SELECT * FROM network_activity WHERE ${where} AND src_endpoint_ip = $id
            UNION ALL
            SELECT * FROM network_activity WHERE ${where} AND dst_endpoint_ip = $id AND src_endpoint_ip IS DISTINCT FROM $id`;
  }
  throw new Error(`no flow records for ${entity.type}`);
}

/** The entity's rows of api_activity; an instance's are those of its instance-profile sessions (named after it). */
export function apiPredicate(entity: Entity): string {
  if (entity.type === 'instance') {
    return entity.sessions?.length ? `actor_user_uid IN ${entity.sessionsSql}` : 'false';
  }
  const predicate = API_PREDICATE[entity.type];
  if (!predicate) throw new Error(`no API activity of ${entity.type}`);
  return predicate;
}

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
  /** An instance's network interfaces and instance-profile sessions, and their IN lists of parameters. */
  enis?: string[];
  enisSql?: string;
  sessions?: string[];
  sessionsSql?: string;
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
    for (const [eni, i] of (await catalogue(context)).interfaces) if (i.instance) link(i.instance, eni);
    const state = await rows(context.connection, `SELECT value::VARCHAR AS value FROM detection_state WHERE detection_id = 'instance-inventory'`);
    for (const { value } of state) {
      const account = JSON.parse(String(value)) as { instances?: Record<string, Record<string, unknown>>; interfaces?: Record<string, string> };
      for (const [id, instance] of Object.entries(account.instances ?? {})) {
        details.set(id, instance);
        for (const ni of (instance.networkInterfaces as { networkInterfaceId?: string }[] | undefined) ?? []) {
          if (ni.networkInterfaceId) link(id, ni.networkInterfaceId);
        }
      }
      for (const [eni, instance] of Object.entries(account.interfaces ?? {})) link(instance, eni);
    }
    return { enis, instanceOfEni, details };
  });
}

const notInLake = (type: EntityType, id: string) => notFound(`no ${type} ${JSON.stringify(id)} in the lake`);

/** Looks an entity up, with its details panel; 404 when the lake has never seen it. */
export async function resolveEntity(context: ReadContext, type: EntityType, id: string): Promise<Entity> {
  if (!ID_SHAPES[type].test(id)) throw notFound(`no ${type} ${JSON.stringify(id)}: expected ${ID_FORMS[type]}`);
  const entity: Entity = { type, id, label: entityLabel(type, id), details: {}, params: { id } };
  if (type === 'instance') {
    entity.enis = [...((await inventory(context)).enis.get(id) ?? [])].sort();
    entity.enisSql = inList('eni', entity.enis, entity.params);
    entity.sessions = [...(await catalogue(context)).principals.values()].filter((p) => p.issuer !== null && p.arn.endsWith(`/${id}`)).map((p) => p.arn).sort();
    entity.sessionsSql = inList('session', entity.sessions, entity.params);
  }
  const details = await DETAILS[type](context, id, entity);
  if (!details) throw notInLake(type, id);
  entity.details = details;
  return entity;
}

type DetailsFn = (context: ReadContext, id: string, entity: Entity) => Promise<Record<string, unknown> | undefined>;

async function involvedInFindings(context: ReadContext, type: EntityType, id: string): Promise<boolean> {
  return (await findingIndex(context)).involving(type, id).length > 0;
}

const seen = (a: Activity | undefined) => ({ apiCalls: a?.calls ?? 0, firstSeen: time(a?.first), lastSeen: time(a?.last) });
const sorted = (values: Iterable<string> | undefined, limit = 50) => [...(values ?? [])].sort().slice(0, limit);

/** The details panel of each type, from the catalogue; undefined when the lake has never seen the entity. */
const DETAILS: Record<EntityType, DetailsFn> = {
  account: async (context, id) => {
    const c = await catalogue(context);
    const account = c.accounts.get(id);
    const flows = total([...c.interfaces.values()].filter((i) => i.account === id));
    if (!account && flows.calls === 0 && !(await involvedInFindings(context, 'account', id))) return undefined;
    const principals = [...c.principals.values()].filter((p) => p.account === id).length;
    return { accountId: id, ...seen(account), principals, regions: sorted(account?.regions), flowRecords: flows.calls };
  },
  user: async (context, id) => {
    const p = (await catalogue(context)).principals.get(id);
    if (!p && !(await involvedInFindings(context, 'user', id))) return undefined;
    return { arn: id, userName: p?.name ?? entityLabel('user', id), userType: p?.type ?? null, accountId: p?.account ?? /::(\d{12}):/.exec(id)?.[1] ?? null, ...seen(p), accessKeys: sorted(p?.keys) };
  },
  role: async (context, id) => {
    const r = (await catalogue(context)).roles.get(id);
    if (!r && !(await involvedInFindings(context, 'role', id))) return undefined;
    const role = parseRole(id);
    return { arn: id, roleName: role?.name, accountId: role?.account, ...seen(r), sessions: r?.sessions.size ?? 0, recentSessions: sorted(r?.sessions, 20) };
  },
  session: async (context, id) => {
    const p = (await catalogue(context)).principals.get(id);
    if (!p && !(await involvedInFindings(context, 'session', id))) return undefined;
    const s = parseSession(id);
    return {
      arn: id, role: p?.issuer ?? roleOfSession(id, await roleArns(context)) ?? null, sessionName: s?.session, accountId: s?.account,
      mfaAuthenticated: p?.mfa ?? null, createdTime: time(p?.created), ...seen(p), accessKeys: sorted(p?.keys),
    };
  },
  federated: async (context, id) => {
    const p = (await catalogue(context)).principals.get(id);
    if (!p && !(await involvedInFindings(context, 'federated', id))) return undefined;
    return { arn: id, name: entityLabel('federated', id), issuer: p?.issuer ?? null, identityProvider: p?.idp ?? null, ...seen(p), accessKeys: sorted(p?.keys) };
  },
  accesskey: async (context, id) => {
    const c = await catalogue(context);
    const k = c.keys.get(id);
    if (!k && !(await involvedInFindings(context, 'accesskey', id))) return undefined;
    const owner = k ? c.principals.get([...k.principals][0] ?? '') : undefined;
    return {
      accessKeyId: id, kind: id.startsWith('ASIA') ? 'temporary' : id.startsWith('AKIA') ? 'long-term' : 'unknown',
      principals: sorted(k?.principals), userType: owner?.type ?? null, accountId: owner?.account ?? null, ...seen(k),
    };
  },
  ip: async (context, id, entity) => {
    const api = (await catalogue(context)).ips.get(id);
    const dns = await one(context.connection, `SELECT count(*) AS n FROM dns_activity WHERE ${DNS_PREDICATE.ip}`, entity.params);
    // Flow volume is in the flow panels; here only whether flow logs saw the address at all (stops at the first row).
    const inFlows = async () => (await one(context.connection, `SELECT count(*) AS n FROM (${flowRows(entity, 'true')} LIMIT 1)`, entity.params))?.n === 1;
    if (!api && num(dns?.n) === 0 && !(await involvedInFindings(context, 'ip', id)) && !(await inFlows())) return undefined;
    return { ip: id, ...(await ipIntel(context, id)), ...seen(api), dnsQueries: num(dns?.n) };
  },
  useragent: async (context, id) => {
    const a = (await catalogue(context)).agents.get(id);
    if (!a && !(await involvedInFindings(context, 'useragent', id))) return undefined;
    return { userAgent: id, ...seen(a) };
  },
  instance: async (context, id, entity) => {
    const c = await catalogue(context);
    const inv = await inventory(context);
    const interfaces = (entity.enis ?? []).map((eni) => c.interfaces.get(eni)).filter((i) => i !== undefined);
    const flows = total(interfaces);
    const sessions = (entity.sessions ?? []).map((arn) => c.principals.get(arn)!);
    const launched = inv.details.get(id);
    if (flows.calls === 0 && sessions.length === 0 && !launched && !(await involvedInFindings(context, 'instance', id))) return undefined;
    const api = total(sessions);
    const first = interfaces[0];
    return {
      instanceId: id, accountId: first?.account ?? null, region: first?.region ?? null, vpcId: first?.vpc ?? null, subnetId: first?.subnet ?? null,
      networkInterfaces: entity.enis ?? [], roles: sorted(new Set(sessions.map((s) => s.issuer!))), sessions: sorted(sessions.map((s) => s.arn), 20),
      flowRecords: flows.calls, firstSeen: time(flows.first ?? api.first), lastSeen: time(flows.last ?? api.last), apiCalls: api.calls, launch: launched ?? null,
    };
  },
  bucket: async (context, id) => {
    const b = (await catalogue(context)).buckets.get(id);
    if (!b && !(await involvedInFindings(context, 'bucket', id))) return undefined;
    return { bucketName: id, arn: `arn:aws:s3:::${id}`, accountId: b?.account ?? null, ...seen(b), createdTime: time(b?.created), deletedTime: time(b?.deleted) };
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
