import { principalType, ref } from './arns.js';
import { catalogue } from './catalogue.js';
import { inventory } from './entities.js';
import { findingIndex } from './finding-index.js';
import { findingGroups } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { rows } from './sql.js';
import { badRequest, type EntityRef, type EntityType, identifier } from './validation.js';

const PER_FIELD = 20;
const LIMIT = 50;

/** Remote IPs of flow logs are too many to keep in memory: they are searched by prefix in SQL. */
const FLOW_IPS = `SELECT DISTINCT v FROM (
  SELECT src_endpoint_ip AS v FROM network_activity WHERE starts_with(src_endpoint_ip, $exact)
  UNION ALL SELECT dst_endpoint_ip FROM network_activity WHERE starts_with(dst_endpoint_ip, $exact))
  ORDER BY length(v), v LIMIT ${PER_FIELD}`;

type Result = EntityRef & { matched: string };

const rank = (value: string, q: string) => (value.toLowerCase() === q ? 0 : value.toLowerCase().startsWith(q) ? 1 : 2);

/** GET /api/search?q= — any identifier, exact matches first, then prefixes, then substrings. */
export async function search(context: ReadContext, raw: string | undefined): Promise<{ results: Result[] }> {
  const exact = identifier('q', raw?.trim());
  if (exact.length < 2) throw badRequest('q: give at least 2 characters');
  const q = exact.toLowerCase();
  const found = new Map<string, Result & { rank: number }>();
  const add = (type: EntityType, id: string, matched: string, value = id, label?: string) => {
    const key = `${type}\u0000${id}`;
    const r = rank(value, q);
    const seen = found.get(key);
    if (!seen || seen.rank > r) found.set(key, { ...ref(type, id), ...(label ? { label } : {}), matched, rank: r });
  };

  const index = await findingIndex(context);
  for (const f of index.all) {
    const label = `${f.row.type}: ${f.row.title}`;
    if (f.row.id.toLowerCase().includes(q)) add('finding', f.row.id, 'finding id', f.row.id, label);
    else if (f.finding.arn?.toLowerCase() === q) add('finding', f.row.id, 'finding ARN', f.finding.arn, label);
    else if (f.row.type.toLowerCase().includes(q) || f.row.title.toLowerCase().includes(q)) add('finding', f.row.id, 'finding type or title', f.row.type, label);
    for (const e of f.entities) {
      if (e.id.toLowerCase().includes(q)) add(e.type, e.id, `${e.role} in a finding`);
    }
  }
  for (const g of (await findingGroups(context)).all) {
    if (g.group.id.toLowerCase().includes(q)) add('group', g.group.id, 'finding group id', g.group.id, g.group.title);
  }
  const c = await catalogue(context);
  const inv = await inventory(context);
  const fields: [string, EntityType | 'principal', Iterable<string>][] = [
    ['principal ARN', 'principal', c.principals.keys()],
    ['role ARN', 'role', c.roles.keys()],
    ['access key id', 'accesskey', c.keys.keys()],
    ['account id', 'account', c.accounts.keys()],
    ['user agent', 'useragent', c.agents.keys()],
    ['source IP', 'ip', c.ips.keys()],
    ['bucket name', 'bucket', c.buckets.keys()],
    ['instance id', 'instance', new Set([...c.flowInstances.keys(), ...inv.enis.keys(), ...inv.details.keys()])],
  ];
  for (const [field, kind, values] of fields) {
    let matched = 0;
    for (const id of values) {
      if (!id.toLowerCase().includes(q)) continue;
      const type = kind === 'principal' ? principalType(id) : kind;
      if (type) add(type, id, field);
      if (++matched >= PER_FIELD * 5) break;
    }
  }
  if (/^[0-9a-f.:]+$/i.test(exact)) {
    for (const { v } of await rows(context.connection, FLOW_IPS, { exact })) add('ip', String(v), 'flow IP');
  }
  const results = [...found.values()]
    // Entities before findings and groups at the same rank: an identifier usually names an entity.
    .sort((a, b) => a.rank - b.rank || Number(a.type === 'finding' || a.type === 'group') - Number(b.type === 'finding' || b.type === 'group') ||
      a.id.length - b.id.length || a.type.localeCompare(b.type) || a.id.localeCompare(b.id))
    .slice(0, LIMIT)
    .map(({ rank: _rank, ...r }) => r);
  return { results };
}
