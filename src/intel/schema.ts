/**
 * Lake tables for threat intelligence. A set is one list or feed; its IPs, CIDRs and domains are rows of
 * intel_entries, and AWS's published prefixes (which carry a region and service) rows of intel_aws_ranges.
 * intel_org_accounts holds the accounts declared as the organisation's (`gumshoe intel accounts add`).
 */
export const INTEL_DDL: string[] = [
  `CREATE TABLE IF NOT EXISTS intel_sets (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,      -- threat | trusted | reference (Tor and AWS ranges: facts, not verdicts)
    feed VARCHAR NOT NULL,      -- custom | user-managed | managed | tor-exit | tor-relay | aws-ranges
    format VARCHAR,
    source VARCHAR,             -- absolute path or URL it was read from
    sha256 VARCHAR,             -- of the file as read, for threatIntelligenceDetails[].threatFileSha256
    category VARCHAR,           -- user-managed lists: the category of entries that name none
    entries BIGINT NOT NULL,
    problems BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    loaded_at TIMESTAMP NOT NULL)`,
  // Lakes whose intel_sets predate the column.
  'ALTER TABLE intel_sets ADD COLUMN IF NOT EXISTS category VARCHAR',
  `CREATE TABLE IF NOT EXISTS intel_entries (
    set_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,      -- ip | cidr | domain (a wildcard is stored as *.parent)
    value VARCHAR NOT NULL,
    threat_name VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS intel_aws_ranges (
    set_name VARCHAR NOT NULL,
    prefix VARCHAR NOT NULL,    -- IPv4 or IPv6 CIDR
    region VARCHAR NOT NULL,
    service VARCHAR NOT NULL,
    network_border_group VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS intel_org_accounts (
    account_id VARCHAR PRIMARY KEY, -- 12 digits
    added_at TIMESTAMP NOT NULL)`,
];
