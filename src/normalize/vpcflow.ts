import { type BatchFile, isIpAddress, type Normalizer } from './normalizer.js';
import { FLOW_FIELDS } from './vpcflow-fields.js';

/** Fields that become typed Network Activity columns; every other field of a format goes to `unmapped`. */
const MAPPED = new Set([
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets',
  'bytes', 'start', 'end', 'action', 'log-status', 'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type',
  'pkt-srcaddr', 'pkt-dstaddr', 'region', 'az-id', 'pkt-src-aws-service', 'pkt-dst-aws-service',
  'flow-direction', 'traffic-path',
]);

const BOUNDARIES = [
  'Same VPC', 'Internet/VPC Gateway', 'Virtual Private Gateway', 'Intra-region VPC', 'Inter-region VPC',
  'Local Gateway', 'Gateway VPC', 'Internet Gateway',
];

/** Latest epoch second accepted (year 3000); beyond it a value is a parse error, not a time. */
const MAX_EPOCH = 32503680000;

/** VPC Flow Logs → OCSF Network Activity (4001). One SELECT per distinct field order in the batch. */
export const vpcFlowNormalizer: Normalizer = {
  sourceType: 'vpcflow',
  table: 'network_activity',
  selects(files, from) {
    const groups = new Map<string, BatchFile[]>();
    for (const file of files) {
      const key = `${(file.flowFields ?? []).join(' ')}\n${file.formatError ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), file]);
    }
    return [...groups.values()].map((group) => selectForFormat(group[0]!, from(group.map((f) => f.fileId)), deliveredTo(group)));
  },
};

/**
 * Account and region from the S3 key AWS delivers flow logs under (`AWSLogs/<account>/vpcflowlogs/<region>/…`,
 * or with Hive-compatible prefixes `AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/…`),
 * as SQL over file_id: the default v2 format names neither the region nor, for transit gateways, always the account.
 */
function deliveredTo(files: BatchFile[]): { account: string; region: string } {
  const located = files.flatMap((file) => {
    const match = /AWSLogs\/(?:o-[a-z0-9]+\/)?(?:aws-account-id=)?(\d{12})\/(?:aws-service=)?vpcflowlogs\/(?:aws-region=)?([a-z0-9-]+)\//.exec(file.uri);
    return match ? [{ fileId: file.fileId, account: match[1]!, region: match[2]! }] : [];
  });
  if (located.length === 0) return { account: 'NULL', region: 'NULL' };
  const pick = (part: 'account' | 'region') =>
    `CASE file_id ${located.map((f) => `WHEN ${f.fileId} THEN ${sqlString(f[part])}`).join(' ')} END`;
  return { account: pick('account'), region: pick('region') };
}

function selectForFormat(file: BatchFile, records: string, delivered: { account: string; region: string }): string {
  const fields = file.flowFields ?? [];
  const position = new Map(fields.map((name, i) => [name, i + 1]));
  // Each field is converted once, in the `typed` step; checks and columns refer to the converted value.
  const column = (name: string) => `"f_${name}"`;
  const value = (name: string) => (position.has(name) ? column(name) : 'NULL');
  const conversions = fields.map((name, i) => {
    const kind = FLOW_FIELDS.get(name)?.kind ?? 'text';
    const text = `nullif(p[${i + 1}], '-')`;
    return `${kind === 'text' || kind === 'address' ? text : `try_cast(${text} AS BIGINT)`} AS ${column(name)}`;
  });
  const time = (name: string) =>
    position.has(name) ? `CASE WHEN ${column(name)} BETWEEN 0 AND ${MAX_EPOCH} THEN make_timestamp(${column(name)} * 1000000) END` : 'NULL';
  const checks = fields.map((name, i) => fieldCheck(name, i + 1, column(name), position)).filter(Boolean).join('\n    ');
  // A record without a time cannot be placed on a timeline, searched by day or detected on: it is not a record.
  const timeCheck = position.has('start') || position.has('end')
    ? `WHEN coalesce(${time('start')}, ${time('end')}) IS NULL THEN 'fields start and end: both missing'`
    : '';
  const formatError = file.formatError ? `WHEN true THEN ${sqlString(file.formatError)}` : '';
  const headerLine = headerLineCheck(fields);
  const describedFormat = fields.length ? `${fields.length} fields` : 'a known field order';
  const unmappedFields = fields.filter((name) => !MAPPED.has(name));
  const unmapped = unmappedFields.length
    ? `json_object(${unmappedFields.map((name) => `${sqlString(name)}, ${value(name)}`).join(', ')})`
    : 'NULL';
  const action = value('action');
  const direction = value('flow-direction');
  const path = value('traffic-path');
  return `
WITH split AS (
  SELECT r.*, CASE WHEN r.broken IS NULL THEN
      CASE WHEN contains(r.raw, '  ') OR contains(r.raw, chr(9)) THEN regexp_split_to_array(trim(r.raw), '\\s+')
      ELSE string_split(r.raw, ' ') END END AS p
  FROM ${records} r
), typed AS (
  SELECT split.*${conversions.length ? `, ${conversions.join(', ')}` : ''} FROM split
)
SELECT
  CASE
    WHEN broken IS NOT NULL THEN broken
    ${formatError}
    ${headerLine}
    WHEN len(p) <> ${fields.length} THEN 'expected ${describedFormat}, found ' || len(p)
    ${checks}
    ${timeCheck}
  END AS reason,
  coalesce(${time('start')}, ${time('end')}) AS time,
  ${time('start')} AS start_time,
  ${time('end')} AS end_time,
  CASE ${action} WHEN 'ACCEPT' THEN 6 WHEN 'REJECT' THEN 5 ELSE 0 END AS activity_id,
  400100 + CASE ${action} WHEN 'ACCEPT' THEN 6 WHEN 'REJECT' THEN 5 ELSE 0 END AS type_uid,
  CASE ${action} WHEN 'ACCEPT' THEN 'Allowed' WHEN 'REJECT' THEN 'Denied' END AS action,
  CASE ${action} WHEN 'ACCEPT' THEN 1 WHEN 'REJECT' THEN 2 END AS action_id,
  ${value('log-status')} AS status_code,
  ${value('version')} AS metadata_product_version,
  coalesce(${value('account-id')}, ${delivered.account}) AS cloud_account_uid,
  coalesce(${value('region')}, ${delivered.region}) AS cloud_region,
  ${value('az-id')} AS cloud_zone,
  ${value('interface-id')} AS interface_uid,
  ${value('instance-id')} AS instance_uid,
  ${value('vpc-id')} AS vpc_uid,
  ${value('subnet-id')} AS subnet_uid,
  coalesce(${value('pkt-srcaddr')}, ${value('srcaddr')}) AS src_endpoint_ip,
  ${value('srcport')} AS src_endpoint_port,
  CASE WHEN ${value('pkt-srcaddr')} <> ${value('srcaddr')} THEN ${value('srcaddr')} END AS src_endpoint_intermediate_ip,
  ${value('pkt-src-aws-service')} AS src_endpoint_svc_name,
  coalesce(${value('pkt-dstaddr')}, ${value('dstaddr')}) AS dst_endpoint_ip,
  ${value('dstport')} AS dst_endpoint_port,
  CASE WHEN ${value('pkt-dstaddr')} <> ${value('dstaddr')} THEN ${value('dstaddr')} END AS dst_endpoint_intermediate_ip,
  ${value('pkt-dst-aws-service')} AS dst_endpoint_svc_name,
  ${value('protocol')} AS connection_info_protocol_num,
  ${value('type')} AS connection_info_protocol_ver,
  ${value('tcp-flags')} AS connection_info_tcp_flags,
  CASE ${direction} WHEN 'ingress' THEN 'Inbound' WHEN 'egress' THEN 'Outbound' END AS connection_info_direction,
  CASE ${direction} WHEN 'ingress' THEN 1 WHEN 'egress' THEN 2 END AS connection_info_direction_id,
  CASE WHEN ${path} BETWEEN 1 AND 8 THEN [${BOUNDARIES.map(sqlString).join(', ')}][${path}] END AS connection_info_boundary,
  CASE WHEN ${path} BETWEEN 1 AND 8 THEN ${path} + 3 END AS connection_info_boundary_id,
  ${value('bytes')} AS traffic_bytes,
  ${value('packets')} AS traffic_packets,
  ${unmapped} AS unmapped,
  file_id AS source_file_id, line AS source_line, idx AS record_index, raw,
  md5_number(${sqlString(fields.join(' '))} || chr(10) || raw${deliveryInKey(fields, delivered)}) AS dedup_key
FROM typed`;
}

const FIELD_NAMES = [...FLOW_FIELDS.keys()].map(sqlString).join(', ');

/**
 * A WHEN clause for a header line among the records (two logs joined end to end with cat): one naming the
 * file's own fields again (reached only where the reader did not pass over the repeat itself), or one naming
 * other fields, whose records would be read in the wrong order. A line is a header when its first word is a
 * field name; only words starting with a letter are looked up, so lines starting with a number cost one test.
 */
function headerLineCheck(fields: string[]): string {
  const namesField = `ascii(p[1]) >= 65 AND lower(p[1]) IN (${FIELD_NAMES})`;
  const sameFields = `list_transform(p, name -> lower(name)) = [${fields.map(sqlString).join(', ')}]::VARCHAR[]`;
  return `WHEN ${namesField} THEN CASE WHEN ${sameFields} THEN 'the header line again (two logs joined end to end?)' ELSE 'a second header line with other fields' END`;
}

/** Fields whose ids no two accounts or regions share: a line holding one tells where it was logged. */
const LOCATING_FIELDS = ['interface-id', 'tgw-attachment-id'];

/**
 * What the dedup key adds to the format and line: the account and region of the S3 key the file was delivered
 * under, when the line holds neither them nor an id that only one account and region has. The same line from
 * two accounts (overlapping private addresses in a reduced format) is then two records, not a duplicate; keys
 * of formats that locate their lines stay as they were.
 */
function deliveryInKey(fields: string[], delivered: { account: string; region: string }): string {
  if (LOCATING_FIELDS.some((name) => fields.includes(name))) return '';
  const parts = [['account-id', delivered.account], ['region', delivered.region]].filter(([name]) => !fields.includes(name!));
  // Files delivered elsewhere (no account or region in their path) keep the key they always had.
  return parts.map(([, sql]) => ` || coalesce(chr(10) || ${sql}, '')`).join('');
}

/** The address a packet-level address usually repeats: checked already, so an equal one needs no check of its own. */
const PACKET_ADDRESS_OF: Record<string, string> = { 'pkt-srcaddr': 'srcaddr', 'pkt-dstaddr': 'dstaddr' };

/** A WHEN clause rejecting a malformed value of one field, or '' when any text is acceptable. */
function fieldCheck(name: string, position: number, converted: string, positions: Map<string, number>): string {
  const field = FLOW_FIELDS.get(name);
  if (!field) return '';
  const text = `p[${position}]`;
  if (field.kind === 'address') {
    const repeated = positions.get(PACKET_ADDRESS_OF[name] ?? '');
    const same = repeated ? ` AND ${text} <> p[${repeated}]` : '';
    return `WHEN ${text} <> '-'${same} AND NOT ${isIpAddress(text)} THEN 'field ${name}: not an IP address: ' || left(${text}, 60)`;
  }
  if (field.kind === 'integer' || field.kind === 'port' || field.kind === 'epoch') {
    const max = { integer: field.max, port: 65535, epoch: MAX_EPOCH }[field.kind];
    const upper = max === undefined ? '' : ` OR ${converted} > ${max}`;
    const integer = field.max === undefined ? 'a non-negative integer' : `an integer (0–${field.max})`;
    const expected = { integer, port: 'a port number (0–65535)', epoch: 'an epoch time' }[field.kind];
    // Comparing the number's own spelling with the text rejects what a cast would round or reinterpret: 56.8, 6.3e2, 0x1F.
    return `WHEN ${text} <> '-' AND (${converted} IS NULL OR ${converted} < 0 OR ${converted}::VARCHAR <> ${text}${upper}) THEN 'field ${name}: not ${expected}: ' || left(${text}, 60)`;
  }
  if (field.values) {
    return `WHEN ${text} NOT IN ('-', ${field.values.map(sqlString).join(', ')}) THEN 'field ${name}: expected one of ${field.values.join(', ')}, found ' || left(${text}, 60)`;
  }
  return '';
}

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
