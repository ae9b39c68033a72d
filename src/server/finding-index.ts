import { type GuardDutyFinding, type RemoteIpDetails, severityLevel } from '../findings/guardduty-finding.js';
import { parseRole, parseSession, principalType, ref } from './arns.js';
import { catalogue } from './catalogue.js';
import type { ReadContext } from './lake-access.js';
import { iso } from './scope.js';
import { num, rows, str } from './sql.js';
import type { EntityRef, EntityType } from './validation.js';

/** A finding as listed by the API (docs/api.md `FindingRow`). */
export interface FindingRow {
  id: string;
  type: string;
  severity: number;
  severityLevel: string;
  title: string;
  accountId: string;
  region: string;
  resourceType: string;
  resource: string | null;
  principal: string | null;
  remoteIp: string | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  archived: boolean;
}

/** An entity a finding involves, and in what role (the label of its edge in a group graph). */
export interface FindingEntity extends EntityRef {
  role: string;
}

export interface IndexedFinding {
  row: FindingRow;
  first: number;
  last: number;
  updated: number;
  finding: GuardDutyFinding;
  entities: FindingEntity[];
}

/**
 * Every finding with the entities it involves, read once per lake version: findings number in the
 * thousands at most, and profiles, groups, investigations and search all ask "which findings involve X".
 */
export class FindingIndex {
  readonly byId = new Map<string, IndexedFinding>();
  private readonly byEntity = new Map<string, IndexedFinding[]>();

  constructor(readonly all: IndexedFinding[]) {
    for (const f of all) {
      this.byId.set(f.row.id, f);
      for (const e of f.entities) {
        const key = entityKey(e.type, e.id);
        const list = this.byEntity.get(key);
        if (list) list.push(f);
        else this.byEntity.set(key, [f]);
      }
    }
  }

  involving(type: EntityType, id: string): IndexedFinding[] {
    return this.byEntity.get(entityKey(type, id)) ?? [];
  }
}

export const entityKey = (type: string, id: string) => `${type}\u0000${id}`;

export function findingIndex(context: ReadContext): Promise<FindingIndex> {
  return context.memo('finding-index', async () => {
    const roles = await roleArns(context);
    const found = await rows(
      context.connection,
      `SELECT id, type, severity, title, account_id, region, resource_type, resource_id, principal, remote_ip, count,
              first_seen, last_seen, updated_at, archived, finding::VARCHAR AS finding
       FROM findings`,
    );
    return new FindingIndex(found.map((r) => {
      const finding = JSON.parse(String(r.finding)) as GuardDutyFinding;
      const severity = num(r.severity);
      const row: FindingRow = {
        id: String(r.id),
        type: String(r.type),
        severity,
        severityLevel: severityLevel(severity),
        title: str(r.title) ?? '',
        accountId: str(r.account_id) ?? '',
        region: str(r.region) ?? '',
        resourceType: str(r.resource_type) ?? '',
        resource: str(r.resource_id),
        principal: str(r.principal),
        remoteIp: str(r.remote_ip),
        count: num(r.count),
        firstSeen: iso(num(r.first_seen)),
        lastSeen: iso(num(r.last_seen)),
        archived: r.archived === true,
      };
      return { row, first: num(r.first_seen), last: num(r.last_seen), updated: num(r.updated_at), finding, entities: findingEntities(finding, row, roles) };
    }));
  });
}

/**
 * Role ARNs by account and name. A session ARN names its role without the role's path, so the role entity
 * of a session found in a finding is looked up among the roles CloudTrail saw.
 */
export function roleArns(context: ReadContext): Promise<Map<string, string>> {
  return context.memo('role-arns', async () => {
    const map = new Map<string, string>();
    for (const arn of (await catalogue(context)).roles.keys()) {
      const role = parseRole(arn);
      if (role) map.set(`${role.account}/${role.name}`, arn);
    }
    return map;
  });
}

export function roleOfSession(sessionArn: string, roles: Map<string, string>): string | undefined {
  const s = parseSession(sessionArn);
  if (!s) return undefined;
  return roles.get(`${s.account}/${s.role}`) ?? `arn:aws:iam::${s.account}:role/${s.role}`;
}

function remoteIps(finding: GuardDutyFinding): string[] {
  const action = finding.service?.action;
  const details: (RemoteIpDetails | undefined)[] = [
    action?.awsApiCallAction?.remoteIpDetails,
    action?.networkConnectionAction?.remoteIpDetails,
    ...(action?.portProbeAction?.portProbeDetails ?? []).map((p) => p.remoteIpDetails),
  ];
  return details.flatMap((d) => [d?.ipAddressV4, d?.ipAddressV6]).filter((ip): ip is string => typeof ip === 'string' && ip.length > 0);
}

/** The entities of one finding, from its columns and its GuardDuty JSON. */
export function findingEntities(finding: GuardDutyFinding, row: FindingRow, roles: Map<string, string>): FindingEntity[] {
  const out = new Map<string, FindingEntity>();
  const add = (type: EntityType, id: string | null | undefined, role: string) => {
    if (!id) return;
    const key = entityKey(type, id);
    if (!out.has(key)) out.set(key, { ...ref(type, id), role });
  };
  add('account', row.accountId, 'account');
  if (row.principal) {
    const type = principalType(row.principal);
    if (type) add(type, row.principal, 'principal');
    if (type === 'session') add('role', roleOfSession(row.principal, roles), 'role');
  }
  const resource = finding.resource;
  add('accesskey', resource?.accessKeyDetails?.accessKeyId, 'access key');
  add('instance', resource?.instanceDetails?.instanceId, 'instance');
  for (const bucket of resource?.s3BucketDetails ?? []) add('bucket', bucket.name, 'bucket');
  add('ip', row.remoteIp, 'remote IP');
  for (const ip of remoteIps(finding)) add('ip', ip, 'remote IP');
  const api = finding.service?.action?.awsApiCallAction;
  const agent = api?.userAgent ?? (finding.service?.additionalInfo?.userAgent as { fullUserAgent?: string } | undefined)?.fullUserAgent;
  add('useragent', agent, 'user agent');
  return [...out.values()];
}
