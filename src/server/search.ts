import { principalType, ref } from './arns.js';
import { findingIndex } from './finding-index.js';
import { findingGroups } from './groups.js';
import type { ReadContext } from './lake-access.js';
import { rows } from './sql.js';
import { badRequest, type EntityRef, type EntityType, identifier } from './validation.js';

const PER_FIELD = 20;
const LIMIT = 50;

/**
 * Identifier columns searched, with the entity type of their values (`principal` is told apart by ARN shape).
 * Fixed SQL: the search text is the `$q` parameter, lower-cased in JS; `$exact` is the text as typed.
 */
const FIELDS: { field: string; type: EntityType | 'principal'; sql: string }[] = [
  { field: 'principal ARN', type: 'principal', sql: `SELECT DISTINCT actor_user_uid AS v FROM api_activity WHERE contains(lower(actor_user_uid), $q)` },
  { field: 'role ARN', type: 'role', sql: `SELECT DISTINCT actor_session_issuer AS v FROM api_activity WHERE contains(lower(actor_session_issuer), $q)` },
  { field: 'access key id', type: 'accesskey', sql: `SELECT DISTINCT actor_user_credential_uid AS v FROM api_activity WHERE contains(lower(actor_user_credential_uid), $q)` },
  { field: 'account id', type: 'account', sql: `SELECT DISTINCT cloud_account_uid AS v FROM api_activity WHERE starts_with(cloud_account_uid, $exact)` },
  { field: 'user agent', type: 'useragent', sql: `SELECT DISTINCT http_request_user_agent AS v FROM api_activity WHERE contains(lower(http_request_user_agent), $q)` },
  { field: 'source IP', type: 'ip', sql: `SELECT DISTINCT src_endpoint_ip AS v FROM api_activity WHERE starts_with(src_endpoint_ip, $exact)` },
  { field: 'flow IP', type: 'ip', sql: `SELECT DISTINCT v FROM (SELECT src_endpoint_ip AS v FROM network_activity UNION ALL SELECT dst_endpoint_ip FROM network_activity) WHERE starts_with(v, $exact)` },
  { field: 'instance id', type: 'instance', sql: `SELECT DISTINCT instance_uid AS v FROM network_activity WHERE contains(lower(instance_uid), $q)` },
  {
    field: 'bucket name',
    type: 'bucket',
    sql: `SELECT DISTINCT api_request_data->>'bucketName' AS v FROM api_activity
          WHERE api_service_name = 's3.amazonaws.com' AND contains(lower(api_request_data::VARCHAR), $q) AND contains(lower(api_request_data->>'bucketName'), $q)`,
  },
];

type Result = EntityRef & { matched: string };

const rank = (value: string, q: string) => (value.toLowerCase() === q ? 0 : value.toLowerCase().startsWith(q) ? 1 : 2);

/** GET /api/search?q= — any identifier, exact matches first, then prefixes, then substrings. */
export async function search(context: ReadContext, raw: string | undefined): Promise<{ results: Result[] }> {
  const exact = identifier('q', raw?.trim());
  if (exact.length < 2) throw badRequest('q: give at least 2 characters');
  const q = exact.toLowerCase();
  const found = new Map<string, Result & { rank: number }>();
  const add = (type: EntityType, id: string, matched: string, value = id) => {
    const key = `${type}\u0000${id}`;
    const r = rank(value, q);
    const seen = found.get(key);
    if (!seen || seen.rank > r) found.set(key, { ...ref(type, id), matched, rank: r });
  };

  const index = await findingIndex(context);
  for (const f of index.all) {
    if (f.row.id.toLowerCase().includes(q)) add('finding', f.row.id, 'finding id');
    else if (f.finding.arn?.toLowerCase() === q) add('finding', f.row.id, 'finding ARN', f.finding.arn);
    else if (f.row.type.toLowerCase().includes(q) || f.row.title.toLowerCase().includes(q)) add('finding', f.row.id, 'finding type or title', f.row.type);
    for (const e of f.entities) {
      if (e.id.toLowerCase().includes(q)) add(e.type, e.id, `${e.role} in a finding`);
    }
  }
  for (const g of (await findingGroups(context)).all) {
    if (g.group.id.toLowerCase().includes(q)) add('group', g.group.id, 'finding group id');
  }
  for (const f of FIELDS) {
    const values = await rows(context.connection, `SELECT v FROM (${f.sql}) WHERE v IS NOT NULL ORDER BY length(v), v LIMIT ${PER_FIELD}`, { q, exact });
    for (const { v } of values) {
      const id = String(v);
      const type = f.type === 'principal' ? principalType(id) : f.type;
      if (type) add(type, id, f.field);
    }
  }
  const results = [...found.values()]
    .sort((a, b) => a.rank - b.rank || a.id.length - b.id.length || a.type.localeCompare(b.type) || a.id.localeCompare(b.id))
    .slice(0, LIMIT)
    .map(({ rank: _rank, ...r }) => r);
  return { results };
}
