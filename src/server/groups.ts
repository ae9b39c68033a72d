import { severityLevel } from '../findings/guardduty-finding.js';
import { ID_SHAPES } from './arns.js';
import { entityKey, type FindingRow, findingIndex, type FindingIndex, type IndexedFinding } from './finding-index.js';
import type { ReadContext } from './lake-access.js';
import { DAY, iso, type Window } from './scope.js';
import { type EntityRef, type EntityType, notFound } from './validation.js';

/**
 * Finding groups (Detective's, as far as documented): findings that share an entity — the same principal or
 * session, access key, remote IP or instance — and lie within 24 hours of each other are connected, and a group
 * is a connected set of two or more unarchived findings. Its severity is its most severe finding's.
 */
export const GROUP_HORIZON_MS = DAY;
/** Entity types that connect findings; accounts, roles, buckets and user agents are shared too widely. */
const LINKING_TYPES: ReadonlySet<EntityType> = new Set(['session', 'user', 'federated', 'accesskey', 'ip', 'instance']);
/** An entity in more findings than this is a hub (a NAT address, a scanner of everything) and links nothing. */
export const HUB_LIMIT = 200;

export interface Group {
  id: string;
  title: string;
  severity: number;
  severityLevel: string;
  findings: number;
  types: string[];
  entities: EntityRef[];
  firstSeen: string;
  lastSeen: string;
}

export interface ComputedGroup {
  group: Group;
  members: IndexedFinding[];
  first: number;
  last: number;
}

export interface Groups {
  all: ComputedGroup[];
  byId: Map<string, ComputedGroup>;
  /** Finding id → its group. */
  ofFinding: Map<string, ComputedGroup>;
}

export function findingGroups(context: ReadContext): Promise<Groups> {
  return context.memo('groups', async () => clusterFindings(await findingIndex(context)));
}

export function clusterFindings(index: FindingIndex): Groups {
  const findings = index.all.filter((f) => !f.row.archived);
  const parent = findings.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };

  const byEntity = new Map<string, number[]>();
  findings.forEach((f, i) => {
    for (const e of f.entities) {
      if (!LINKING_TYPES.has(e.type)) continue;
      const key = entityKey(e.type, e.id);
      const list = byEntity.get(key);
      if (list) list.push(i);
      else byEntity.set(key, [i]);
    }
  });
  // Per entity, in time order: a finding joins the previous ones when it starts within the horizon of the
  // latest end so far (so a chain of findings each within 24 h of the last stays one group).
  for (const members of byEntity.values()) {
    if (members.length < 2 || members.length > HUB_LIMIT) continue;
    members.sort((a, b) => findings[a]!.first - findings[b]!.first);
    let reach = findings[members[0]!]!.last;
    for (let k = 1; k < members.length; k++) {
      const f = findings[members[k]!]!;
      if (f.first - reach <= GROUP_HORIZON_MS) union(members[k - 1]!, members[k]!);
      reach = Math.max(reach, f.last);
    }
  }

  const components = new Map<number, IndexedFinding[]>();
  findings.forEach((f, i) => {
    const root = find(i);
    const list = components.get(root);
    if (list) list.push(f);
    else components.set(root, [f]);
  });

  const all: ComputedGroup[] = [];
  for (const members of components.values()) {
    if (members.length < 2) continue;
    all.push(describe(members));
  }
  all.sort((a, b) => b.group.severity - a.group.severity || b.last - a.last || a.group.id.localeCompare(b.group.id));
  const byId = new Map(all.map((g) => [g.group.id, g]));
  const ofFinding = new Map(all.flatMap((g) => g.members.map((m) => [m.row.id, g] as const)));
  return { all, byId, ofFinding };
}

function describe(members: IndexedFinding[]): ComputedGroup {
  members.sort((a, b) => a.first - b.first || a.row.id.localeCompare(b.row.id));
  const first = Math.min(...members.map((m) => m.first));
  const last = Math.max(...members.map((m) => m.last));
  const severity = Math.max(...members.map((m) => m.row.severity));
  const entities = new Map<string, { ref: EntityRef; count: number; linking: boolean }>();
  for (const m of members) {
    for (const e of m.entities) {
      const key = entityKey(e.type, e.id);
      const seen = entities.get(key);
      if (seen) seen.count++;
      else entities.set(key, { ref: { type: e.type, id: e.id, label: e.label }, count: 1, linking: LINKING_TYPES.has(e.type) });
    }
  }
  const ranked = [...entities.values()].sort((a, b) => Number(b.linking) - Number(a.linking) || b.count - a.count);
  const focus = ranked[0]?.ref;
  const types = [...new Set(members.map((m) => m.row.type))];
  return {
    // Named after its earliest finding, so the id stays put as later findings join.
    group: {
      id: `g-${members[0]!.row.id}`,
      title: `${members.length} findings${focus ? ` involving ${focus.type === 'ip' ? 'IP ' : ''}${focus.label}` : ''}`,
      severity,
      severityLevel: severityLevel(severity),
      findings: members.length,
      types,
      entities: ranked.map((e) => e.ref),
      firstSeen: iso(first),
      lastSeen: iso(last),
    },
    members,
    first,
    last,
  };
}

export async function groupsInWindow(context: ReadContext, window: Window): Promise<Group[]> {
  const groups = await findingGroups(context);
  return groups.all.filter((g) => g.last >= window.from && g.first < window.to).map((g) => g.group);
}

/** A group by id; a group that has since merged into an earlier one is found through its first finding. */
export async function requireGroup(context: ReadContext, id: string): Promise<ComputedGroup> {
  const groups = await findingGroups(context);
  const found = ID_SHAPES.group.test(id) ? (groups.byId.get(id) ?? groups.ofFinding.get(id.slice(2))) : undefined;
  if (!found) throw notFound(`no finding group ${id}`);
  return found;
}

interface GraphNode {
  id: string;
  type: string;
  label: string;
  severity?: number;
}

/** GET /api/groups/:id: the group, its findings and a Cytoscape graph of findings and their entities. */
export async function groupDetail(context: ReadContext, id: string): Promise<{ group: Group; findings: FindingRow[]; graph: { nodes: GraphNode[]; edges: { source: string; target: string; label: string }[] } }> {
  const computed = await requireGroup(context, id);
  const nodes = new Map<string, GraphNode>();
  const edges: { source: string; target: string; label: string }[] = [];
  for (const m of computed.members) {
    const findingNode = `finding:${m.row.id}`;
    nodes.set(findingNode, { id: findingNode, type: 'finding', label: m.row.type, severity: m.row.severity });
    for (const e of m.entities) {
      const node = `${e.type}:${e.id}`;
      if (!nodes.has(node)) nodes.set(node, { id: node, type: e.type, label: e.label });
      edges.push({ source: findingNode, target: node, label: e.role });
    }
  }
  return {
    group: computed.group,
    findings: [...computed.members].sort((a, b) => b.row.severity - a.row.severity || a.first - b.first).map((m) => m.row),
    graph: { nodes: [...nodes.values()], edges },
  };
}
