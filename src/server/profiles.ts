import { type Entity, resolveEntity } from './entities.js';
import { type FindingRow, findingIndex } from './finding-index.js';
import { findingGroups } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { apis, apiVolume, increasedApis, newApis, newAsns, newGeolocations, newUserAgents, type PanelRequest, principals, roleAssumptions } from './panels-api.js';
import { dnsQueries, flowByPort, flowVolume, peerTraffic } from './panels-network.js';
import { baselineOf, parseScope, trainingNotice, type Window, wire } from './scope.js';
import { one } from './sql.js';
import { type EntityType, notFound } from './validation.js';

type Panel = (request: PanelRequest) => Promise<object>;

const PRINCIPAL_PANELS: Record<string, Panel> = { apiVolume, newGeolocations, newApis, newUserAgents, newAsns, increasedApis, roleAssumptions };

/** Panels per entity type, in page order. */
export const PANELS: Record<EntityType, Record<string, Panel>> = {
  account: PRINCIPAL_PANELS,
  user: PRINCIPAL_PANELS,
  role: PRINCIPAL_PANELS,
  session: PRINCIPAL_PANELS,
  federated: PRINCIPAL_PANELS,
  accesskey: PRINCIPAL_PANELS,
  ip: { apiVolume, principals, flowVolume, flowByPort, dnsQueries, peerTraffic },
  useragent: { apiVolume, principals },
  instance: { flowVolume, flowByPort, apiVolume, dnsQueries, peerTraffic },
  bucket: { apiVolume, principals, apis },
  finding: {},
  group: {},
};

/** Panels that need a drill-down parameter; in the whole profile only when it is given. */
const ON_DEMAND: Record<string, string> = { peerTraffic: 'peer' };

export interface LakeRange {
  first: number | null;
  newest: number | null;
}

/** Earliest and newest event over CloudTrail, flow and DNS. */
export function lakeRange(context: ReadContext): Promise<LakeRange> {
  return context.memo('lake-range', async () => {
    const r = await one(
      context.connection,
      `SELECT min(first) AS first, max(last) AS last FROM (
         SELECT min(time) AS first, max(time) AS last FROM api_activity
         UNION ALL SELECT min(time), max(time) FROM network_activity
         UNION ALL SELECT min(time), max(time) FROM dns_activity)`,
    );
    return { first: typeof r?.first === 'number' ? r.first : null, newest: typeof r?.last === 'number' ? r.last : null };
  });
}

export async function scopeOf(context: ReadContext, query: { from?: string; to?: string }): Promise<Window> {
  return parseScope(query, (await lakeRange(context)).newest);
}

async function panelRequest(context: ReadContext, entity: Entity, query: Record<string, string | undefined>): Promise<PanelRequest> {
  const range = await lakeRange(context);
  const scope = parseScope(query, range.newest);
  return { context, entity, scope, baseline: baselineOf(scope), query, lakeFirst: range.first };
}

/** Findings that involve the entity and were active during the scope, most severe first. */
async function associatedFindings(context: ReadContext, entity: Entity, scope: Window): Promise<FindingRow[]> {
  if (entity.type === 'group') {
    const group = (await findingGroups(context)).byId.get(entity.id);
    return group ? group.members.map((m) => m.row) : [];
  }
  const index = await findingIndex(context);
  const involved = entity.type === 'finding' ? [index.byId.get(entity.id)!] : index.involving(entity.type, entity.id);
  return involved
    .filter((f) => entity.type === 'finding' || (f.last >= scope.from && f.first < scope.to))
    .sort((a, b) => b.row.severity - a.row.severity || b.last - a.last)
    .map((f) => f.row);
}

/** GET /api/entities/:type/:id */
export async function entityProfile(context: ReadContext, type: EntityType, id: string, query: Record<string, string | undefined>) {
  const entity = await resolveEntity(context, type, id);
  const request = await panelRequest(context, entity, query);
  const panels: Record<string, object> = {};
  // One after another on this request's connection; the newly-observed panels share one scan.
  for (const [name, panel] of Object.entries(PANELS[type])) {
    const needs = ON_DEMAND[name];
    if (needs && !query[needs]) continue;
    panels[name] = await panel(request);
  }
  return {
    entity: { type: entity.type, id: entity.id, label: entity.label, details: entity.details },
    scope: wire(request.scope),
    baseline: wire(request.baseline),
    training: trainingNotice(request.baseline, request.lakeFirst),
    findings: await associatedFindings(context, entity, request.scope),
    panels,
  };
}

/** GET /api/entities/:type/:id/panels/:panel */
export async function entityPanel(context: ReadContext, type: EntityType, id: string, name: string, query: Record<string, string | undefined>) {
  const panel = Object.hasOwn(PANELS[type], name) ? PANELS[type][name] : undefined;
  if (!panel) {
    const names = Object.keys(PANELS[type]);
    throw notFound(`no panel ${JSON.stringify(name)} for ${type}${names.length ? `; one of ${names.join(', ')}` : ''}`);
  }
  const entity = await resolveEntity(context, type, id);
  const request = await panelRequest(context, entity, query);
  return {
    entity: { type: entity.type, id: entity.id, label: entity.label },
    scope: wire(request.scope),
    baseline: wire(request.baseline),
    training: trainingNotice(request.baseline, request.lakeFirst),
    panel: name,
    ...(await panel(request)),
  };
}
