import type { DuckDBConnection } from '@duckdb/node-api';
import type { Occurrence } from './build.js';
import type { UserIdentity } from './guardduty-finding.js';

type SessionContext = NonNullable<UserIdentity['sessionContext']>;

/** Callers whose sessions can carry these details. */
const SESSION_TYPES: ReadonlySet<string> = new Set(['AssumedRole', 'WebIdentityUser', 'Root']);

/** Event ids looked up per query. */
const PAGE = 1_000;

/** The caller's CloudTrail userIdentity in a stored record: plain, EventBridge `detail`, or a dataset's `event`. */
const IDENTITY = `coalesce(json_extract(raw, '$.userIdentity'), json_extract(raw, '$.detail.userIdentity'), json_extract(raw, '$.event.userIdentity'))::VARCHAR`;

/**
 * The session details the lake keeps no column for (`sessionContext.ec2RoleDelivery`, `sourceIdentity`,
 * `webIdFederationData`), as CloudTrail recorded them for the caller of each access-key finding of a run:
 * read back from the stored record of the finding's latest event, so that filters on these documented
 * attributes (guardduty.md §6.3) match. Only sessions have them: role sessions, and root's short-term
 * sessions from sts:AssumeRoot, which carry the source identity of the principal that called it.
 */
export async function addSessionDetails(connection: DuckDBConnection, occurrences: readonly Occurrence[]): Promise<void> {
  const byEvent = new Map<string, UserIdentity[]>();
  // The events' files, which bound the scan to their row groups (a file's rows are stored together).
  const files = new Set<number | null>();
  for (const { finding, evidence } of occurrences) {
    const identity = finding.resource.accessKeyDetails?.userIdentity;
    if (!identity || !SESSION_TYPES.has(identity.type ?? '')) continue;
    const latest = evidence.reduce<(typeof evidence)[number] | undefined>((best, ref) => (ref.uid && (!best || ref.time >= best.time) ? ref : best), undefined);
    if (!latest?.uid) continue;
    byEvent.set(latest.uid, [...(byEvent.get(latest.uid) ?? []), identity]);
    files.add(latest.fileId);
  }
  const inFiles = files.size && !files.has(null) ? ` AND source_file_id IN (${[...files].join(', ')})` : '';
  const uids = [...byEvent.keys()];
  for (let at = 0; at < uids.length; at += PAGE) {
    const page = uids.slice(at, at + PAGE);
    const reader = await connection.runAndReadAll(
      `SELECT metadata_uid, ${IDENTITY} FROM api_activity WHERE metadata_uid IN (${page.map((_, i) => `$${i + 1}`).join(', ')})${inFiles}`,
      page,
    );
    for (const [uid, text] of reader.getRowsJS()) {
      const details = text === null ? undefined : sessionDetails(String(text));
      if (!details) continue;
      for (const identity of byEvent.get(String(uid)) ?? []) identity.sessionContext = { ...identity.sessionContext, ...details };
    }
  }
}

/** The three fields, from a userIdentity's JSON text; undefined when it has none of them. */
function sessionDetails(text: string): Partial<SessionContext> | undefined {
  let context: unknown;
  try {
    context = (JSON.parse(text) as { sessionContext?: unknown }).sessionContext;
  } catch {
    return undefined;
  }
  if (typeof context !== 'object' || context === null) return undefined;
  const { ec2RoleDelivery, sourceIdentity, webIdFederationData } = context as Record<string, unknown>;
  const details: Partial<SessionContext> = {};
  if (typeof ec2RoleDelivery === 'string') details.ec2RoleDelivery = ec2RoleDelivery;
  if (typeof sourceIdentity === 'string') details.sourceIdentity = sourceIdentity;
  // An empty object is what CloudTrail writes for sessions not federated through web identity: nothing to filter on.
  if (isFederation(webIdFederationData)) details.webIdFederationData = webIdFederationData;
  return Object.keys(details).length ? details : undefined;
}

function isFederation(value: unknown): value is SessionContext['webIdFederationData'] {
  return typeof value === 'object' && value !== null && typeof (value as { federatedProvider?: unknown }).federatedProvider === 'string';
}
