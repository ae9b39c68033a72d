import type { DuckDBConnection } from '@duckdb/node-api';
import { ApiEvent } from './api-event.js';
import { type Cell, joinedRows, tableWatermark } from './lake-rows.js';

/**
 * CloudTrail events from the lake's api_activity table as ApiEvents, in time order. Only the flat
 * columns and the JSON payloads detections read are fetched; the verbatim record is not. The whole userIdentity is
 * read only for root and EC2 instance-role sessions, where detections need more than the columns hold.
 */
const fields = (payloads: string) => [
  'metadata_uid', 'epoch_ms(time)', 'cloud_account_uid', 'cloud_region', 'api_service_name', 'api_operation',
  'api_response_error', 'api_response_message', 'status_id', 'read_only', 'management_event', 'event_type', 'event_category',
  'actor_user_type', 'actor_user_uid', 'actor_user_uid_alt', 'actor_user_name', 'actor_user_account_uid', 'actor_user_credential_uid',
  'actor_session_issuer', 'actor_session_issuer_name', 'actor_session_is_mfa', 'actor_invoked_by',
  'src_endpoint_ip', 'src_endpoint_domain', 'src_endpoint_uid', 'http_request_user_agent',
  ...['api_request_data', 'api_response_data', 'additional_event_data', 'resources'].map((column) => `CASE WHEN ${payloads} THEN ${column} END`),
  `CASE WHEN actor_user_type = 'Root' OR actor_user_uid_alt LIKE '%:i-%' THEN json_extract(raw, '$.userIdentity') END`,
  'source_file_id', 'source_line',
];

/** Columns that carry text a caller chose (names, agents, messages): they may hold any character. */
const FREE_TEXT: ReadonlySet<string> = new Set([
  'metadata_uid', 'cloud_region', 'api_service_name', 'api_operation', 'api_response_error', 'api_response_message',
  'event_type', 'event_category', 'actor_user_type', 'actor_user_uid', 'actor_user_uid_alt', 'actor_user_name',
  'actor_user_credential_uid', 'actor_session_issuer', 'actor_session_issuer_name', 'actor_invoked_by',
  'src_endpoint_domain', 'src_endpoint_uid', 'http_request_user_agent',
]);

const bool = (v: Cell) => (v === null ? null : v === 'true');
const num = (v: Cell) => (v === null ? null : Number(v));

function toEvent(row: Cell[]): ApiEvent {
  return new ApiEvent({
    uid: row[0]!,
    time: Number(row[1]),
    accountId: row[2]!,
    region: row[3]!,
    service: row[4] ?? '',
    api: row[5] ?? '',
    errorCode: row[6]!,
    errorMessage: row[7]!,
    failed: row[8] === '2',
    readOnly: bool(row[9]!),
    managementEvent: bool(row[10]!),
    eventType: row[11]!,
    eventCategory: row[12]!,
    actor: {
      type: row[13]!,
      arn: row[14]!,
      principalId: row[15]!,
      userName: row[16]!,
      accountId: row[17]!,
      accessKeyId: row[18]!,
      sessionIssuerArn: row[19]!,
      sessionIssuerName: row[20]!,
      mfa: bool(row[21]!),
      invokedBy: row[22]!,
    },
    sourceIp: row[23]!,
    sourceHost: row[24]!,
    vpcEndpointId: row[25]!,
    userAgent: row[26]!,
    requestText: row[27]!,
    responseText: row[28]!,
    additionalText: row[29]!,
    resourcesText: row[30]!,
    identityText: row[31]!,
    fileId: num(row[32]!),
    line: num(row[33]!),
  });
}

/** The highest row id in api_activity: the watermark a run processes up to. */
export const apiWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'api_activity');

/**
 * Events stored after `after` up to and including `upTo` (row ids), in time order, chunk by chunk; JSON
 * payloads only where `payloads` (a SQL condition, see payloads.ts) holds, every payload by default.
 */
export async function* apiEvents(connection: DuckDBConnection, after: number, upTo: number, payloads = 'true'): AsyncGenerator<ApiEvent[]> {
  for await (const rows of joinedRows(connection, 'api_activity', fields(payloads), after, upTo, { freeText: FREE_TEXT })) yield rows.text.map(toEvent);
}
