import type { DuckDBConnection } from '@duckdb/node-api';
import { type Cell, joinedRows, tableWatermark } from './lake-rows.js';
import type { DnsAnswer, DnsEvent, FlowEvent } from './network-event.js';

/** VPC flow records and DNS queries from the lake, in time order, after a row-id watermark. */
const FLOW_FIELDS = [
  'epoch_ms(time)', 'epoch_ms(coalesce(end_time, time))', 'cloud_account_uid', 'cloud_region', 'interface_uid', 'instance_uid',
  'vpc_uid', 'subnet_uid', 'src_endpoint_ip', 'src_endpoint_port', 'dst_endpoint_ip', 'dst_endpoint_port',
  'connection_info_protocol_num', 'traffic_packets', 'traffic_bytes', 'action', 'connection_info_direction',
  'connection_info_tcp_flags', 'source_file_id', 'source_line',
] as const;

const DNS_FIELDS = [
  'epoch_ms(time)', 'cloud_account_uid', 'cloud_region', 'src_endpoint_vpc_uid', 'src_endpoint_ip', 'src_endpoint_port',
  'src_endpoint_instance_uid', 'query_hostname', 'query_type', 'query_class', 'rcode', 'answers', 'connection_info_protocol_name',
  'action', 'source_file_id', 'source_line',
] as const;

const num = (v: Cell) => (v === null ? null : Number(v));

function toFlow(row: Cell[]): FlowEvent {
  return {
    kind: 'flow',
    time: Number(row[0]),
    end: Number(row[1]),
    accountId: row[2]!,
    region: row[3]!,
    interfaceId: row[4]!,
    instanceId: row[5]!,
    vpcId: row[6]!,
    subnetId: row[7]!,
    srcIp: row[8]!,
    srcPort: num(row[9]!),
    dstIp: row[10]!,
    dstPort: num(row[11]!),
    protocol: num(row[12]!),
    packets: Number(row[13] ?? 0),
    bytes: Number(row[14] ?? 0),
    action: row[15] === 'Allowed' ? 'ACCEPT' : row[15] === 'Denied' ? 'REJECT' : null,
    direction: row[16] === 'Inbound' ? 'ingress' : row[16] === 'Outbound' ? 'egress' : null,
    tcpFlags: num(row[17]!),
    fileId: num(row[18]!),
    line: num(row[19]!),
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

function toDns(row: Cell[]): DnsEvent {
  return {
    kind: 'dns',
    time: Number(row[0]),
    accountId: row[1]!,
    region: row[2]!,
    vpcId: row[3]!,
    srcIp: row[4]!,
    srcPort: num(row[5]!),
    instanceId: row[6]!,
    queryName: normalizeQueryName(row[7]!),
    queryType: row[8]!,
    queryClass: row[9]!,
    rcode: row[10]!,
    answers: parseAnswers(row[11]!),
    transport: row[12]!,
    firewallAction: row[13]!,
    fileId: num(row[14]!),
    line: num(row[15]!),
  };
}

export const flowWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'network_activity');
export const dnsWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'dns_activity');

export async function* flowEvents(connection: DuckDBConnection, after: number, upTo: number): AsyncGenerator<FlowEvent[]> {
  for await (const rows of joinedRows(connection, 'network_activity', FLOW_FIELDS, after, upTo)) yield rows.map(toFlow);
}

export async function* dnsEvents(connection: DuckDBConnection, after: number, upTo: number): AsyncGenerator<DnsEvent[]> {
  for await (const rows of joinedRows(connection, 'dns_activity', DNS_FIELDS, after, upTo)) yield rows.map(toDns);
}
