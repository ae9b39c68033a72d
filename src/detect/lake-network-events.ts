import type { DuckDBConnection } from '@duckdb/node-api';
import { type Cell, joinedRows, tableWatermark } from './lake-rows.js';
import type { DnsAnswer, DnsEvent, FlowEvent } from './network-event.js';

/** VPC flow records and DNS queries from the lake, in time order, after a row-id watermark. */
const FLOW_TEXT = [
  'cloud_account_uid', 'cloud_region', 'interface_uid', 'instance_uid', 'vpc_uid', 'subnet_uid', 'src_endpoint_ip', 'dst_endpoint_ip',
] as const;
/** Numeric fields (see lake-rows.ts); for flow records, action and direction as codes (1 and 2), which are cheaper to read than text. */
const FLOW_NUMBERS = [
  'epoch_ms(time)', 'epoch_ms(coalesce(end_time, time))', 'src_endpoint_port', 'dst_endpoint_port', 'connection_info_protocol_num',
  'traffic_packets', 'traffic_bytes', "CASE action WHEN 'Allowed' THEN 1 WHEN 'Denied' THEN 2 END",
  "CASE connection_info_direction WHEN 'Inbound' THEN 1 WHEN 'Outbound' THEN 2 END", 'connection_info_tcp_flags', 'source_file_id', 'source_line',
] as const;

const DNS_TEXT = [
  'cloud_account_uid', 'cloud_region', 'src_endpoint_vpc_uid', 'src_endpoint_ip', 'src_endpoint_instance_uid', 'query_hostname',
  'query_type', 'query_class', 'rcode', 'answers', 'connection_info_protocol_name', 'action',
] as const;
const DNS_NUMBERS = ['epoch_ms(time)', 'src_endpoint_port', 'source_file_id', 'source_line'] as const;

/** A numeric field: NaN stands for NULL. */
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

function toFlow(row: Cell[], n: Float64Array[], i: number): FlowEvent {
  const action = n[7]![i];
  const direction = n[8]![i];
  return {
    kind: 'flow',
    time: n[0]![i]!,
    end: n[1]![i]!,
    accountId: row[0]!,
    region: row[1]!,
    interfaceId: row[2]!,
    instanceId: row[3]!,
    vpcId: row[4]!,
    subnetId: row[5]!,
    srcIp: row[6]!,
    srcPort: orNull(n[2]![i]!),
    dstIp: row[7]!,
    dstPort: orNull(n[3]![i]!),
    protocol: orNull(n[4]![i]!),
    packets: orNull(n[5]![i]!) ?? 0,
    bytes: orNull(n[6]![i]!) ?? 0,
    action: action === 1 ? 'ACCEPT' : action === 2 ? 'REJECT' : null,
    direction: direction === 1 ? 'ingress' : direction === 2 ? 'egress' : null,
    tcpFlags: orNull(n[9]![i]!),
    fileId: orNull(n[10]![i]!),
    line: orNull(n[11]![i]!),
  };
}

/** Route 53 Resolver answers: `[{"Rdata": "…", "Type": "A", "Class": "IN"}]`. */
export function parseAnswers(text: string | null): DnsAnswer[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.flatMap((a: Record<string, unknown>) => (typeof a?.Rdata === 'string' ? [{ type: String(a.Type ?? ''), data: a.Rdata }] : []));
  } catch {
    return [];
  }
}

/** Query names are compared without the trailing root dot, in lower case. */
export function normalizeQueryName(name: string | null): string {
  return (name ?? '').replace(/\.$/, '').toLowerCase();
}

function toDns(row: Cell[], n: Float64Array[], i: number): DnsEvent {
  return {
    kind: 'dns',
    time: n[0]![i]!,
    accountId: row[0]!,
    region: row[1]!,
    vpcId: row[2]!,
    srcIp: row[3]!,
    srcPort: orNull(n[1]![i]!),
    instanceId: row[4]!,
    queryName: normalizeQueryName(row[5]!),
    queryType: row[6]!,
    queryClass: row[7]!,
    rcode: row[8]!,
    answers: parseAnswers(row[9]!),
    transport: row[10]!,
    firewallAction: row[11]!,
    fileId: orNull(n[2]![i]!),
    line: orNull(n[3]![i]!),
  };
}

export const flowWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'network_activity');
export const dnsWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'dns_activity');

export async function* flowEvents(connection: DuckDBConnection, after: number, upTo: number): AsyncGenerator<FlowEvent[]> {
  for await (const { text, numbers } of joinedRows(connection, 'network_activity', FLOW_TEXT, after, upTo, { numbers: FLOW_NUMBERS })) {
    yield text.map((row, i) => toFlow(row, numbers, i));
  }
}

export async function* dnsEvents(connection: DuckDBConnection, after: number, upTo: number): AsyncGenerator<DnsEvent[]> {
  for await (const { text, numbers } of joinedRows(connection, 'dns_activity', DNS_TEXT, after, upTo, { numbers: DNS_NUMBERS })) {
    yield text.map((row, i) => toDns(row, numbers, i));
  }
}
