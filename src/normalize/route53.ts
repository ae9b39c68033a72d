import { envelopeOf, expectType, jsonString, jsonTypeOf, parseTime, type Structure, transformRecord, unwrappedText } from './json-fields.js';
import { isIpAddress, type Normalizer } from './normalizer.js';

/** Route 53 Resolver query logs → OCSF DNS Activity (4003). */
const V = 'VARCHAR';
const RECORD: Structure = {
  version: V, account_id: V, region: V, vpc_id: V, query_timestamp: V, query_name: 'JSON', query_type: V,
  query_class: V, rcode: V, answers: 'JSON', srcaddr: V, srcport: V, transport: V,
  srcids: { instance: V, resolver_endpoint: V, resolver_network_interface: V },
  firewall_rule_group_id: V, firewall_domain_list_id: V, firewall_rule_action: V,
};

/** Record types by number, for types written in RFC 3597's generic form (`TYPE65`) or as a bare number. */
const RECORD_TYPES: Record<string, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR',
  43: 'DS', 46: 'RRSIG', 48: 'DNSKEY', 52: 'TLSA', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 255: 'ANY', 257: 'CAA',
};

/**
 * SQL: the query type by its name, so that `TYPE65`, `65` and `HTTPS` are one type to search and detect on.
 * Only a type starting with a digit or `TYPE` is looked up; a number without a name stays as written.
 */
function queryTypeName(type: string): string {
  const byNumber = Object.entries(RECORD_TYPES).map(([n, name]) => `WHEN '${n}' THEN '${name}'`).join(' ');
  const generic = `starts_with(${type}, 'TYPE') OR ascii(${type}) BETWEEN 48 AND 57`;
  return `CASE WHEN ${generic} THEN CASE ltrim(${type}, 'TYPE') ${byNumber} ELSE ${type} END ELSE ${type} END`;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export const route53Normalizer: Normalizer = {
  sourceType: 'route53',
  table: 'dns_activity',
  selects: (files, from) => [
    `
WITH enveloped AS (
  SELECT r.*, CASE WHEN r.broken IS NULL THEN ${envelopeOf('r.raw', '{"version":"1.')} END AS envelope
  FROM ${from(files.map((f) => f.fileId))} r
), typed AS (
  SELECT e.* EXCLUDE (envelope), CASE WHEN e.broken IS NULL THEN ${transformRecord(`(${unwrappedText('e.raw', 'e.envelope')})`, RECORD)} END AS j
  FROM enveloped e
), timed AS (
  -- Panther-style exports write the time as 'YYYY-MM-DD HH:MM:SS'; both forms cast.
  SELECT t.*, ${parseTime('j.query_timestamp')} AS query_time, ${jsonString('j.query_name')} AS query_name
  FROM typed t
)
SELECT
  CASE
    WHEN broken IS NOT NULL THEN broken
    WHEN j IS NULL THEN 'malformed JSON'
    ${expectType('j.query_name', 'query_name', 'string')}
    WHEN left(j.answers, 1) NOT IN ('[', '{') AND j.answers <> 'null' THEN 'field answers: expected an array, found ' || ${jsonTypeOf('j.answers')}
    WHEN j.query_timestamp IS NULL THEN 'missing required field query_timestamp'
    WHEN query_time IS NULL THEN 'field query_timestamp: not a time: ' || left(j.query_timestamp, 60)
    WHEN query_name IS NULL THEN 'missing required field query_name'
    WHEN j.srcport IS NOT NULL AND NOT coalesce(try_cast(j.srcport AS INTEGER) BETWEEN 0 AND 65535, false) THEN 'field srcport: not a port number: ' || left(j.srcport, 60)
    WHEN j.srcaddr IS NOT NULL AND NOT ${isIpAddress('j.srcaddr')} THEN 'field srcaddr: not an IP address: ' || left(j.srcaddr, 60)
  END AS reason,
  query_time AS time,
  6 AS activity_id,
  400306 AS type_uid,
  j.account_id AS cloud_account_uid,
  j.region AS cloud_region,
  j.version AS metadata_product_version,
  j.vpc_id AS src_endpoint_vpc_uid,
  j.srcaddr AS src_endpoint_ip,
  try_cast(j.srcport AS INTEGER) AS src_endpoint_port,
  j.srcids.instance AS src_endpoint_instance_uid,
  j.srcids.resolver_endpoint AS dst_endpoint_instance_uid,
  j.srcids.resolver_network_interface AS dst_endpoint_interface_uid,
  query_name AS query_hostname,
  ${queryTypeName('j.query_type')} AS query_type,
  j.query_class AS query_class,
  j.rcode AS rcode,
  list_position([${RCODES.map((r) => `'${r}'`).join(', ')}], upper(j.rcode)) - 1 AS rcode_id,
  -- Panther's normalized exports write a lone answer as an object: it is a list of one.
  CASE WHEN left(j.answers, 1) = '{' THEN '[' || j.answers || ']' ELSE nullif(j.answers, 'null') END AS answers,
  j.transport AS connection_info_protocol_name,
  j.firewall_rule_group_id AS firewall_rule_uid,
  j.firewall_domain_list_id AS firewall_domain_list_id,
  CASE upper(j.firewall_rule_action) WHEN 'BLOCK' THEN 'Denied' WHEN 'ALLOW' THEN 'Allowed' WHEN 'ALERT' THEN 'Allowed' END AS action,
  CASE upper(j.firewall_rule_action) WHEN 'BLOCK' THEN 2 WHEN 'ALLOW' THEN 1 WHEN 'ALERT' THEN 1 END AS action_id,
  CASE upper(j.firewall_rule_action) WHEN 'BLOCK' THEN 'Blocked' WHEN 'ALLOW' THEN 'Allowed' WHEN 'ALERT' THEN 'Alert' END AS disposition,
  file_id AS source_file_id, line AS source_line, idx AS record_index, raw,
  md5_number('dns:' || raw) AS dedup_key
FROM timed`,
  ],
};
