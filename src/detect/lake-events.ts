import type { DuckDBConnection } from '@duckdb/node-api';
import { ApiEvent, NAMELESS_TYPES } from './api-event.js';
import { type Cell, joinedChunks, type JoinedDictionary, joinedRows, orNull, type ReadChunk, type ReadOptions, type RowChunk, rowRange, tableWatermark } from './lake-rows.js';
import type { LakeConnections, SliceSize } from './time-slices.js';

/**
 * CloudTrail events from the lake's api_activity table as ApiEvents, in time order. Only the flat
 * columns and the JSON payloads detections read are fetched; the verbatim record is not. The whole userIdentity is
 * read only for root and IAM Identity Center callers (IDENTITY_TYPES), by a query of its own: in the events'
 * query, DuckDB would read every event's verbatim record to find them.
 * Who called what, from where and how (account, region, API, outcome, principal, agent) repeats across a
 * principal's events and is read once per distinct combination (lake-rows.ts sharedColumns).
 */
const SHARED = [
  'cloud_account_uid', 'cloud_region', 'api_service_name', 'api_operation', 'api_response_error', 'status_id', 'read_only',
  'management_event', 'event_type', 'event_category', 'actor_user_type', 'actor_user_uid', 'actor_user_uid_alt', 'actor_user_name',
  'actor_user_account_uid', 'actor_session_issuer', 'actor_session_issuer_name', 'actor_session_is_mfa', 'actor_invoked_by',
  'src_endpoint_domain', 'src_endpoint_uid', 'http_request_user_agent',
] as const;

/** Callers whose whole userIdentity is read: root (`sessionContext.assumedRoot`) and those its columns do not name (`onBehalfOf`). */
const IDENTITY_TYPES = ['Root', ...NAMELESS_TYPES];
const fields = (payloads: string) => [
  'metadata_uid', 'api_response_message', 'actor_user_credential_uid', 'src_endpoint_ip',
  ...['api_request_data', 'api_response_data', 'additional_event_data', 'resources'].map((column) => `CASE WHEN ${payloads} THEN ${column} END`),
];
const NUMBERS = ['epoch_ms(time)', 'source_file_id', 'source_line', 'row_id'] as const;

/** Time slices (time-slices.ts): an event's width is mostly its JSON payloads, from a few bytes to hundreds of KB. */
const API_SLICE: SliceSize = {
  rows: 500_000,
  rowBytes: `200 + ${['api_request_data', 'api_response_data', 'additional_event_data', 'resources'].map((c) => `coalesce(strlen(${c}::VARCHAR), 0)`).join(' + ')}`,
};

/** Columns that carry text a caller chose (names, agents, messages): they may hold any character. */
const FREE_TEXT: ReadonlySet<string> = new Set([
  'metadata_uid', 'cloud_region', 'api_service_name', 'api_operation', 'api_response_error', 'api_response_message',
  'event_type', 'event_category', 'actor_user_type', 'actor_user_uid', 'actor_user_uid_alt', 'actor_user_name',
  'actor_user_credential_uid', 'actor_session_issuer', 'actor_session_issuer_name', 'actor_invoked_by',
  'src_endpoint_domain', 'src_endpoint_uid', 'http_request_user_agent',
]);

const bool = (v: Cell) => (v === null ? null : v === 'true');

function toEvent(row: Cell[], shared: Cell[], n: Float64Array[], i: number, identities: Map<number, string>): ApiEvent {
  return new ApiEvent({
    uid: row[0]!,
    time: orNull(n[0]![i]!) ?? 0,
    accountId: shared[0]!,
    region: shared[1]!,
    service: shared[2] ?? '',
    api: shared[3] ?? '',
    errorCode: shared[4]!,
    errorMessage: row[1]!,
    failed: shared[5] === '2',
    readOnly: bool(shared[6]!),
    managementEvent: bool(shared[7]!),
    eventType: shared[8]!,
    eventCategory: shared[9]!,
    actor: {
      type: shared[10]!,
      arn: shared[11]!,
      principalId: shared[12]!,
      userName: shared[13]!,
      accountId: shared[14]!,
      accessKeyId: row[2]!,
      sessionIssuerArn: shared[15]!,
      sessionIssuerName: shared[16]!,
      mfa: bool(shared[17]!),
      invokedBy: shared[18]!,
    },
    sourceIp: row[3]!,
    sourceHost: shared[19]!,
    vpcEndpointId: shared[20]!,
    userAgent: shared[21]!,
    requestText: row[4]!,
    responseText: row[5]!,
    additionalText: row[6]!,
    resourcesText: row[7]!,
    identityText: identities.get(n[3]![i]!) ?? null,
    fileId: orNull(n[1]![i]!),
    line: orNull(n[2]![i]!),
  });
}

/** The highest row id in api_activity: the watermark a run processes up to. */
export const apiWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'api_activity');

/** A joined read's dictionary, and the userIdentity of root's and Identity Center callers' events by row id. */
export interface ApiDictionary extends JoinedDictionary {
  identities: Map<number, string>;
}

/**
 * Events stored after `after` up to and including `upTo` (row ids), in time order, chunk by chunk; JSON
 * payloads only where `payloads` (a SQL condition, see payloads.ts) holds, every payload by default. Past
 * `options.sharedLimit` distinct callers, each event carries its own (lake-rows.ts).
 */
export async function* apiChunks(lake: LakeConnections, after: number, upTo: number, payloads = 'true', options: ReadOptions = {}): AsyncGenerator<ReadChunk<ApiDictionary>> {
  const identities = new Map<number, string>();
  const found = await lake.connection.runAndReadAll(`SELECT rowid::DOUBLE, json_extract(raw, '$.userIdentity')::VARCHAR FROM api_activity
    WHERE ${rowRange(after, upTo)} AND actor_user_type IN (${IDENTITY_TYPES.map((type) => `'${type}'`).join(', ')})`);
  for (const [rowId, identity] of found.getRowsJS()) if (identity !== null) identities.set(Number(rowId), String(identity));
  const read = { ...options, slice: API_SLICE, freeText: FREE_TEXT, numbers: NUMBERS, shared: SHARED };
  let dictionary: ApiDictionary | undefined;
  for await (const { dictionary: joined, chunk } of joinedChunks(lake, 'api_activity', fields(payloads), after, upTo, read)) {
    dictionary ??= { ...joined, identities };
    yield { dictionary, chunk };
  }
}

/** The events of a chunk `apiChunks` read, each made as it is iterated. */
export const apiEventsOf = (dictionary: ApiDictionary, chunk: RowChunk): Iterable<ApiEvent> =>
  joinedRows(dictionary, chunk, (row, shared, numbers, i) => toEvent(row, shared, numbers, i, dictionary.identities));

/** `apiChunks` made into events. */
export async function* apiEvents(lake: LakeConnections, after: number, upTo: number, payloads = 'true', options: ReadOptions = {}): AsyncGenerator<Iterable<ApiEvent>> {
  for await (const { dictionary, chunk } of apiChunks(lake, after, upTo, payloads, options)) yield apiEventsOf(dictionary, chunk);
}
