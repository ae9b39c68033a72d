/** Detection bookkeeping: persisted state of stateful detections, and one row per run with its watermark. */
export const DETECTION_DDL = [
  `CREATE TABLE IF NOT EXISTS detection_state (detection_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value JSON, used_at TIMESTAMP)`,
  `CREATE SEQUENCE IF NOT EXISTS detection_run_seq START 1`,
  `CREATE TABLE IF NOT EXISTS detection_runs (
    run_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
    api_after BIGINT, api_up_to BIGINT, flow_up_to BIGINT, dns_up_to BIGINT,
    events BIGINT, flows BIGINT, queries BIGINT, signals BIGINT, trusted BIGINT,
    created BIGINT, updated BIGINT, suppressed BIGINT)`,
];
