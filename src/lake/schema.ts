import type { DuckDBConnection } from '@duckdb/node-api';
import { DETECTION_DDL } from '../detect/schema.js';
import { FILTER_DDL } from '../findings/filters.js';
import { FINDINGS_DDL } from '../findings/store.js';
import { INTEL_DDL } from '../intel/schema.js';

/**
 * The lake's tables. Event tables are named after the OCSF 1.1 class they hold (as Amazon Security Lake
 * does) and flatten OCSF paths with underscores (`actor.user.uid` → `actor_user_uid`). Every event row keeps
 * its original record verbatim in `raw` and where it came from (`source_file_id`, `source_line`).
 */
export const SCHEMA_VERSION = 1;

/**
 * lake_meta's record of the last prune that changed the lake. Event tables are otherwise only appended to,
 * so what is cached by their row counts (the server's entity catalogue) also keys on it.
 */
export const LAST_PRUNE_KEY = 'last_prune';

/**
 * The verbatim record is compressed with zstd rather than DuckDB's default choice (FSST for long text):
 * for CloudTrail about 1.5× faster to write and 2.7× smaller (needs the lake's STORAGE_VERSION, db.ts).
 * So are CloudTrail's JSON payloads and per-event ids, text that rarely repeats: their columns took a third
 * less CPU to write, and the lake of 1M events was 5% smaller. Text that repeats (names, ARNs, DNS answers)
 * keeps DuckDB's choice, which stores it smaller.
 */
const ZSTD = 'USING COMPRESSION zstd';
const provenance = `
  source_file_id INTEGER NOT NULL,
  source_line BIGINT,
  raw VARCHAR NOT NULL ${ZSTD},
  dedup_key UHUGEINT NOT NULL`;

export const EVENT_TABLES = ['api_activity', 'network_activity', 'dns_activity', 'detection_finding'] as const;
export type EventTable = (typeof EVENT_TABLES)[number];

const DDL = [
  `CREATE TABLE IF NOT EXISTS lake_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS ingested_files (
    file_id INTEGER PRIMARY KEY,
    uri VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    source_type VARCHAR,
    format VARCHAR,
    status VARCHAR NOT NULL,
    records_read BIGINT DEFAULT 0,
    quarantined BIGINT DEFAULT 0,
    note VARCHAR,
    first_seen_at TIMESTAMP,
    completed_at TIMESTAMP)`,
  `CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1`,
  `CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id INTEGER PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    inputs VARCHAR,
    files BIGINT, files_unchanged BIGINT, files_skipped BIGINT,
    records_read BIGINT, stored BIGINT, duplicates BIGINT, quarantined BIGINT)`,
  `CREATE TABLE IF NOT EXISTS quarantine (
    source_file_id INTEGER NOT NULL,
    uri VARCHAR NOT NULL,
    source_type VARCHAR,
    source_line BIGINT,
    location VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw VARCHAR,
    dedup_key UHUGEINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS api_activity (
    time TIMESTAMP NOT NULL,
    class_uid INTEGER, activity_id INTEGER, type_uid INTEGER,
    status VARCHAR, status_id INTEGER,
    cloud_account_uid VARCHAR, cloud_region VARCHAR,
    api_operation VARCHAR, api_service_name VARCHAR, api_version VARCHAR, api_request_uid VARCHAR ${ZSTD},
    api_request_data JSON ${ZSTD}, api_response_data JSON ${ZSTD}, api_response_error VARCHAR, api_response_message VARCHAR,
    actor_user_type VARCHAR, actor_user_uid VARCHAR, actor_user_uid_alt VARCHAR, actor_user_name VARCHAR,
    actor_user_account_uid VARCHAR, actor_user_credential_uid VARCHAR,
    actor_session_issuer VARCHAR, actor_session_issuer_name VARCHAR, actor_session_is_mfa BOOLEAN,
    actor_session_created_time TIMESTAMP, actor_invoked_by VARCHAR, actor_idp_name VARCHAR,
    src_endpoint_ip VARCHAR, src_endpoint_domain VARCHAR, src_endpoint_uid VARCHAR,
    http_request_user_agent VARCHAR,
    resources JSON ${ZSTD}, additional_event_data JSON ${ZSTD},
    event_category VARCHAR, event_type VARCHAR, read_only BOOLEAN, management_event BOOLEAN,
    metadata_uid VARCHAR ${ZSTD}, metadata_product_version VARCHAR,${provenance})`,
  `CREATE TABLE IF NOT EXISTS network_activity (
    time TIMESTAMP, start_time TIMESTAMP, end_time TIMESTAMP,
    activity_id INTEGER, type_uid INTEGER, action VARCHAR, action_id INTEGER, status_code VARCHAR,
    metadata_product_version INTEGER,
    cloud_account_uid VARCHAR, cloud_region VARCHAR, cloud_zone VARCHAR,
    interface_uid VARCHAR, instance_uid VARCHAR, vpc_uid VARCHAR, subnet_uid VARCHAR,
    src_endpoint_ip VARCHAR, src_endpoint_port INTEGER, src_endpoint_intermediate_ip VARCHAR, src_endpoint_svc_name VARCHAR,
    dst_endpoint_ip VARCHAR, dst_endpoint_port INTEGER, dst_endpoint_intermediate_ip VARCHAR, dst_endpoint_svc_name VARCHAR,
    connection_info_protocol_num INTEGER, connection_info_protocol_ver VARCHAR, connection_info_tcp_flags INTEGER,
    connection_info_direction VARCHAR, connection_info_direction_id INTEGER,
    connection_info_boundary VARCHAR, connection_info_boundary_id INTEGER,
    traffic_bytes BIGINT, traffic_packets BIGINT,
    unmapped JSON,${provenance})`,
  `CREATE TABLE IF NOT EXISTS dns_activity (
    time TIMESTAMP NOT NULL,
    activity_id INTEGER, type_uid INTEGER,
    cloud_account_uid VARCHAR, cloud_region VARCHAR, metadata_product_version VARCHAR,
    src_endpoint_vpc_uid VARCHAR, src_endpoint_ip VARCHAR, src_endpoint_port INTEGER, src_endpoint_instance_uid VARCHAR,
    dst_endpoint_instance_uid VARCHAR, dst_endpoint_interface_uid VARCHAR,
    query_hostname VARCHAR, query_type VARCHAR, query_class VARCHAR,
    rcode VARCHAR, rcode_id INTEGER, answers JSON,
    connection_info_protocol_name VARCHAR,
    firewall_rule_uid VARCHAR, firewall_domain_list_id VARCHAR, action VARCHAR, action_id INTEGER, disposition VARCHAR,${provenance})`,
  `CREATE TABLE IF NOT EXISTS detection_finding (
    time TIMESTAMP NOT NULL,
    finding_uid VARCHAR NOT NULL, finding_info_uid VARCHAR, finding_type VARCHAR,
    finding_info_title VARCHAR, finding_info_desc VARCHAR,
    severity VARCHAR, severity_id INTEGER, severity_score DOUBLE,
    cloud_account_uid VARCHAR, cloud_region VARCHAR, resource_type VARCHAR,
    created_time TIMESTAMP, modified_time TIMESTAMP, first_seen_time TIMESTAMP, last_seen_time TIMESTAMP,
    count BIGINT, archived BOOLEAN, metadata_product_name VARCHAR,${provenance})`,
  // Added after the first lakes were made: sample findings (CreateSampleFindings) are not activity to correlate.
  `ALTER TABLE detection_finding ADD COLUMN IF NOT EXISTS sample BOOLEAN`,
];

export async function createLakeSchema(connection: DuckDBConnection): Promise<void> {
  for (const statement of [...DDL, ...FINDINGS_DDL, ...DETECTION_DDL, ...FILTER_DDL, ...INTEL_DDL]) await connection.run(statement);
  await connection.run(
    `INSERT INTO lake_meta VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT DO NOTHING`,
  );
}
