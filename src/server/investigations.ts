import { findingTypeSpecs } from '../detect/registry.js';
import { severityLevel } from '../findings/guardduty-finding.js';
import { parseRole } from './arns.js';
import { API_PREDICATE, intel, resolveEntity } from './entities.js';
import { findingIndex, type IndexedFinding } from './finding-index.js';
import { findingGroups } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { type Location, locationName, locator, newAsns, newGeolocations, newUserAgents, type PanelRequest } from './panels-api.js';
import { lakeRange } from './profiles.js';
import { baselineOf, HOUR, iso, parseScope, trainingNotice, type Window, wire } from './scope.js';
import { inList, num, type Params, rows, str, ts } from './sql.js';
import { badRequest, type EntityType } from './validation.js';

/**
 * Investigations of an IAM user or role over a window (Detective's indicator types, docs/api.md). AWS does
 * not publish how it rates them; the severities here are Gumshoe's own and are documented with the API.
 */
export type IndicatorKind = 'ttp' | 'threat_intel_ip' | 'impossible_travel' | 'new_geolocation' | 'new_asn' | 'new_user_agent' | 'related_findings' | 'related_groups';

export interface Indicator {
  kind: IndicatorKind;
  title: string;
  severity: number;
  severityLevel: string;
  evidence: Record<string, unknown>[];
}

const level = (severity: number) => (severity <= 0 ? 'Informational' : severityLevel(severity));
const LOW = 2;
const MEDIUM = 5;
const HIGH = 8;
const CRITICAL = 9;

const indicator = (kind: IndicatorKind, title: string, severity: number, evidence: Record<string, unknown>[]): Indicator => ({
  kind, title, severity, severityLevel: level(severity), evidence,
});

/** API calls that are TTPs on their own (MITRE ATT&CK Enterprise, cloud matrix), beyond those findings name. */
const API_TTPS: Record<string, { tactic: string; technique: string }> = {
  StopLogging: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Disable or Modify Cloud Logs' },
  DeleteTrail: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Disable or Modify Cloud Logs' },
  PutEventSelectors: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Disable or Modify Cloud Logs' },
  DeleteFlowLogs: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Disable or Modify Cloud Logs' },
  DeleteDetector: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.001 Disable or Modify Tools' },
  LeaveOrganization: { tactic: 'TA0005 Defense Evasion', technique: 'T1562 Impair Defenses' },
  DeactivateMFADevice: { tactic: 'TA0005 Defense Evasion', technique: 'T1556.006 Multi-Factor Authentication' },
  CreateUser: { tactic: 'TA0003 Persistence', technique: 'T1136.003 Cloud Account' },
  CreateLoginProfile: { tactic: 'TA0003 Persistence', technique: 'T1098.001 Additional Cloud Credentials' },
  UpdateLoginProfile: { tactic: 'TA0003 Persistence', technique: 'T1098.001 Additional Cloud Credentials' },
  CreateAccessKey: { tactic: 'TA0003 Persistence', technique: 'T1098.001 Additional Cloud Credentials' },
  UpdateAssumeRolePolicy: { tactic: 'TA0003 Persistence', technique: 'T1098.003 Additional Cloud Roles' },
  AttachUserPolicy: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Additional Cloud Roles' },
  AttachRolePolicy: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Additional Cloud Roles' },
  PutUserPolicy: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Additional Cloud Roles' },
  PutRolePolicy: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Additional Cloud Roles' },
  AddUserToGroup: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Additional Cloud Roles' },
  GetSecretValue: { tactic: 'TA0006 Credential Access', technique: 'T1555.006 Cloud Secrets Management Stores' },
  GetPasswordData: { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Cloud Instance Metadata API' },
  GetAccountAuthorizationDetails: { tactic: 'TA0007 Discovery', technique: 'T1087.004 Cloud Account' },
  ListBuckets: { tactic: 'TA0007 Discovery', technique: 'T1619 Cloud Storage Object Discovery' },
  PutBucketPolicy: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
  PutBucketAcl: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
  DeleteBucketPublicAccessBlock: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
  ModifySnapshotAttribute: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
  ModifyImageAttribute: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
  SendCommand: { tactic: 'TA0002 Execution', technique: 'T1651 Cloud Administration Command' },
  DeleteBucket: { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
};
/** Tactics whose successful API calls rate Medium rather than Low. */
const SERIOUS_TACTICS = ['Defense Evasion', 'Persistence', 'Privilege Escalation', 'Credential Access', 'Exfiltration', 'Impact'];

interface InvestigationRequest {
  context: ReadContext;
  type: 'user' | 'role';
  id: string;
  scope: Window;
  params: { id: string; from: ReturnType<typeof ts>; to: ReturnType<typeof ts> };
}

async function ttps(request: InvestigationRequest, related: IndexedFinding[]): Promise<Indicator[]> {
  const specs = findingTypeSpecs();
  const byTechnique = new Map<string, { tactic: string; technique: string; severity: number; evidence: Record<string, unknown>[] }>();
  const add = (tactic: string, technique: string, severity: number, evidence: Record<string, unknown>) => {
    const key = `${tactic}\u0000${technique}`;
    const entry = byTechnique.get(key) ?? { tactic, technique, severity: 0, evidence: [] };
    entry.severity = Math.max(entry.severity, severity);
    entry.evidence.push(evidence);
    byTechnique.set(key, entry);
  };
  for (const f of related) {
    const spec = specs.get(f.row.type);
    if (!spec) continue;
    add(spec.mitre.tactic, spec.mitre.technique, f.row.severity, {
      tactic: spec.mitre.tactic, technique: spec.mitre.technique, procedure: f.row.type, findingId: f.row.id, ipAddress: f.row.remoteIp, firstSeen: f.row.firstSeen, lastSeen: f.row.lastSeen,
    });
  }
  const params: Params = { ...request.params };
  const calls = await rows(
    request.context.connection,
    `SELECT api_operation AS api, api_service_name AS service, coalesce(src_endpoint_ip, src_endpoint_domain) AS ip,
            count(*) FILTER (WHERE status IS DISTINCT FROM 'Failure') AS successes, count(*) FILTER (WHERE status = 'Failure') AS failures,
            min(time) AS first, max(time) AS last
     FROM api_activity
     WHERE time >= $from AND time < $to AND ${API_PREDICATE[request.type]} AND api_operation IN ${inList('api', Object.keys(API_TTPS), params)}
     GROUP BY ALL ORDER BY first`,
    params,
  );
  for (const c of calls) {
    const ttp = API_TTPS[String(c.api)]!;
    const successes = num(c.successes);
    const severity = successes > 0 && SERIOUS_TACTICS.some((t) => ttp.tactic.endsWith(t)) ? MEDIUM : LOW;
    add(ttp.tactic, ttp.technique, severity, {
      tactic: ttp.tactic, technique: ttp.technique, procedure: `${str(c.service) ?? ''} ${String(c.api)}`.trim(), apiName: String(c.api), ipAddress: str(c.ip),
      apiSuccessCount: successes, apiFailureCount: num(c.failures), firstSeen: iso(num(c.first)), lastSeen: iso(num(c.last)),
    });
  }
  return [...byTechnique.values()]
    .sort((a, b) => b.severity - a.severity || a.tactic.localeCompare(b.tactic))
    .map((t) => indicator('ttp', `${t.tactic}: ${t.technique}`, t.severity, t.evidence));
}

/** Source IPs of the principal on an active threat list. */
async function flaggedIps(request: InvestigationRequest): Promise<Indicator[]> {
  const lookup = await intel(request.context);
  const ips = await rows(
    request.context.connection,
    `SELECT src_endpoint_ip AS ip, count(*) AS calls, min(time) AS first, max(time) AS last
     FROM api_activity WHERE time >= $from AND time < $to AND ${API_PREDICATE[request.type]} AND src_endpoint_ip IS NOT NULL
     GROUP BY ip ORDER BY first`,
    request.params,
  );
  const evidence = ips.flatMap((r) => {
    const matches = lookup.ipThreats(String(r.ip));
    return matches.length === 0 ? [] : [{
      ipAddress: String(r.ip), reason: 'THREAT_INTELLIGENCE', lists: matches.map((m) => ({ listName: m.listName, threatName: m.threatName ?? null })),
      calls: num(r.calls), firstSeen: iso(num(r.first)), lastSeen: iso(num(r.last)),
    }];
  });
  return evidence.length ? [indicator('threat_intel_ip', `${evidence.length} source IP${evidence.length === 1 ? '' : 's'} on threat lists`, HIGH, evidence)] : [];
}

/** Over this distance and this speed between consecutive uses, travel is impossible (AWS publishes no threshold). */
export const TRAVEL_MIN_KM = 500;
export const TRAVEL_MAX_KMH = 1000;

function distanceKm(a: Location, b: Location): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat! - a.lat!) * rad;
  const dLon = (b.lon! - a.lon!) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat! * rad) * Math.cos(b.lat! * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Consecutive uses (10-minute slices per IP) from places too far apart for the time between them. */
async function impossibleTravel(request: InvestigationRequest): Promise<Indicator[]> {
  const lookup = await intel(request.context);
  const locate = await locator(request.context);
  const uses = await rows(
    request.context.connection,
    `SELECT src_endpoint_ip AS ip, min(time) AS first, max(time) AS last
     FROM api_activity WHERE time >= $from AND time < $to AND ${API_PREDICATE[request.type]} AND src_endpoint_ip IS NOT NULL
     GROUP BY ip, time_bucket(INTERVAL 10 MINUTE, time) ORDER BY first, ip`,
    request.params,
  );
  // Calls from inside AWS (services, NAT gateways) say nothing about where the person is.
  const located = uses.flatMap((u) => {
    const ip = String(u.ip);
    const where = lookup.awsRange(ip) ? undefined : locate(ip);
    return where && where.lat !== null && where.lon !== null ? [{ ip, where, first: num(u.first), last: num(u.last) }] : [];
  });
  const evidence: Record<string, unknown>[] = [];
  const reported = new Set<string>();
  for (let i = 1; i < located.length; i++) {
    const [previous, current] = [located[i - 1]!, located[i]!];
    if (current.where.key !== previous.where.key) {
      const km = distanceKm(previous.where, current.where);
      const hours = Math.max(0, current.first - previous.last) / HOUR;
      const speed = hours === 0 ? Infinity : km / hours;
      const pair = `${previous.where.key}>${current.where.key}`;
      if (km >= TRAVEL_MIN_KM && speed > TRAVEL_MAX_KMH && !reported.has(pair)) {
        reported.add(pair);
        evidence.push({
          startingIpAddress: previous.ip, endingIpAddress: current.ip,
          startingLocation: locationName(previous.where), endingLocation: locationName(current.where),
          startTime: iso(previous.last), endTime: iso(current.first), hourlyTimeDelta: Number(hours.toFixed(2)),
          distanceKm: Math.round(km), speedKmh: Number.isFinite(speed) ? Math.round(speed) : null,
        });
      }
    }
  }
  return evidence.length ? [indicator('impossible_travel', `Impossible travel between ${evidence.length} pair${evidence.length === 1 ? '' : 's'} of locations`, HIGH, evidence)] : [];
}

/** The account's own baseline of locations, ASNs and user agents, for `isNewForEntireAccount`. */
async function accountBaseline(request: InvestigationRequest, account: string | undefined) {
  const empty = { locations: new Set<string>(), asns: new Set<number>(), agents: new Set<string>() };
  if (!account) return empty;
  const baseline = baselineOf(request.scope);
  const found = await rows(
    request.context.connection,
    `SELECT DISTINCT src_endpoint_ip AS ip, http_request_user_agent AS agent FROM api_activity
     WHERE time >= $from AND time < $to AND cloud_account_uid = $account`,
    { from: ts(baseline.from), to: ts(baseline.to), account },
  );
  const locate = await locator(request.context);
  const lookup = await intel(request.context);
  for (const r of found) {
    if (r.agent !== null) empty.agents.add(String(r.agent));
    if (r.ip === null) continue;
    const where = locate(String(r.ip));
    if (where) empty.locations.add(where.key);
    const asn = lookup.ipDetails(String(r.ip)).asn;
    if (asn !== undefined) empty.asns.add(asn);
  }
  return empty;
}

async function newlyObserved(request: InvestigationRequest, panel: PanelRequest): Promise<Indicator[]> {
  const account = parseRole(request.id)?.account ?? /::(\d{12}):/.exec(request.id)?.[1];
  const known = await accountBaseline(request, account);
  const out: Indicator[] = [];
  const geos = (await newGeolocations(panel)).items.map((g) => ({ ...g, isNewForEntireAccount: !known.locations.has(g.locationKey) }));
  if (geos.length) {
    out.push(indicator('new_geolocation', `${geos.length} new geolocation${geos.length === 1 ? '' : 's'}`, geos.some((g) => g.isNewForEntireAccount) ? MEDIUM : LOW, geos));
  }
  const asns = (await newAsns(panel)).items.map((a) => ({ ...a, isNewForEntireAccount: !known.asns.has(a.asn) }));
  if (asns.length) out.push(indicator('new_asn', `${asns.length} new ASN${asns.length === 1 ? '' : 's'}`, asns.some((a) => a.isNewForEntireAccount) ? MEDIUM : LOW, asns));
  const agents = (await newUserAgents(panel)).items.map((a) => ({ ...a, isNewForEntireAccount: !known.agents.has(a.value) }));
  if (agents.length) {
    out.push(indicator('new_user_agent', `${agents.length} new user agent${agents.length === 1 ? '' : 's'}`, agents.some((a) => a.isNewForEntireAccount) ? MEDIUM : LOW, agents));
  }
  return out;
}

/** GET /api/investigations/:type/:id */
export async function investigate(context: ReadContext, type: EntityType, id: string, query: { from?: string; to?: string }) {
  if (type !== 'user' && type !== 'role') throw badRequest(`investigations are of an IAM user or role, not ${type}`);
  const entity = await resolveEntity(context, type, id);
  const range = await lakeRange(context);
  const scope = parseScope(query, range.newest);
  const request: InvestigationRequest = { context, type, id, scope, params: { id, from: ts(scope.from), to: ts(scope.to) } };
  const panel: PanelRequest = { context, entity, scope, baseline: baselineOf(scope), query: {}, lakeFirst: range.first };

  const index = await findingIndex(context);
  const related = index.involving(type, id).filter((f) => f.last >= scope.from && f.first < scope.to && !f.row.archived);
  const groups = await findingGroups(context);
  const relatedGroups = [...new Set(related.map((f) => groups.ofFinding.get(f.row.id)).filter((g) => g !== undefined))];

  const indicators: Indicator[] = [
    ...(await ttps(request, related)),
    ...(await flaggedIps(request)),
    ...(await impossibleTravel(request)),
    ...(await newlyObserved(request, panel)),
  ];
  if (related.length) {
    indicators.push(indicator('related_findings', `${related.length} related finding${related.length === 1 ? '' : 's'}`, Math.max(...related.map((f) => f.row.severity)),
      related.map((f) => ({ id: f.row.id, arn: f.finding.arn, type: f.row.type, severity: f.row.severity, ipAddress: f.row.remoteIp, firstSeen: f.row.firstSeen, lastSeen: f.row.lastSeen }))));
  }
  if (relatedGroups.length) {
    indicators.push(indicator('related_groups', `${relatedGroups.length} related finding group${relatedGroups.length === 1 ? '' : 's'}`, Math.max(...relatedGroups.map((g) => g.group.severity)),
      relatedGroups.map((g) => ({ ...g.group }))));
  }
  // Overall: the worst indicator; three or more High ones together make it Critical.
  const worst = Math.max(0, ...indicators.map((i) => i.severity));
  const severity = indicators.filter((i) => i.severity >= 7).length >= 3 ? Math.max(worst, CRITICAL) : worst;
  return {
    entity: { type: entity.type, id: entity.id, label: entity.label },
    scope: wire(scope),
    baseline: wire(baselineOf(scope)),
    training: trainingNotice(baselineOf(scope), range.first),
    severity,
    severityLevel: level(severity),
    indicators: indicators.sort((a, b) => b.severity - a.severity),
  };
}
