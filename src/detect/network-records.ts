import { parseAnswers, queryNames } from './lake-network-events.js';
import type { DnsEvent, FlowEvent } from './network-event.js';

/**
 * Raw flow-log lines and Route 53 Resolver records for network detection cases, and their conversion to
 * events with the lake's rules (test/detect-network-events.test.ts checks both paths agree).
 */
export const FLOW_CASE_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags flow-direction';

const FIELDS = FLOW_CASE_HEADER.split(' ');
const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

export const CASE_ACCOUNT = '111122223333';
export const CASE_VPC = 'vpc-0a1b2c3d4e5f60718';
export const CASE_SUBNET = 'subnet-0f1e2d3c4b5a69788';
export const CASE_INSTANCE = 'i-0abc123def4567890';
export const CASE_ENI = 'eni-0123456789abcdef0';
export const CASE_PRIVATE_IP = '10.0.1.25';
/** The case instance's IPv6 address in a dual-stack subnet: global, as AWS assigns them. */
export const CASE_IPV6 = '2600:1f18:6a4:b100::25';

export interface FlowOptions {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  protocol?: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  packets?: number;
  bytes?: number;
  /** ISO time of the capture window's start. */
  time: string;
  /** Window length in seconds (default 60). */
  seconds?: number;
  action?: 'ACCEPT' | 'REJECT';
  eni?: string;
  instance?: string | null;
  account?: string;
  direction?: 'ingress' | 'egress';
  tcpFlags?: number;
}

/** One flow-log line in FLOW_CASE_HEADER's format. */
export function flowLine(o: FlowOptions): string {
  const start = Math.floor(Date.parse(o.time) / 1000);
  const values = [
    '5', o.account ?? CASE_ACCOUNT, o.eni ?? CASE_ENI, o.src, o.dst, o.srcPort ?? (o.protocol === 'icmp' || o.protocol === 'icmpv6' ? 0 : 49152), o.dstPort ?? 0,
    PROTOCOL_NUMBERS[o.protocol ?? 'tcp'], o.packets ?? 10, o.bytes ?? 840, start, start + (o.seconds ?? 60), o.action ?? 'ACCEPT', 'OK',
    CASE_VPC, CASE_SUBNET, o.instance === null ? '-' : (o.instance ?? CASE_INSTANCE), o.tcpFlags ?? (o.protocol === 'tcp' || !o.protocol ? 2 : 0),
    o.direction ?? '-',
  ];
  return values.join(' ');
}

/** A flow line in FLOW_CASE_HEADER's format → FlowEvent, as the lake maps it. */
export function flowFromLine(line: string, lineNumber: number | null = null): FlowEvent {
  const parts = line.trim().split(/\s+/);
  const field = (name: string) => {
    const value = parts[FIELDS.indexOf(name)];
    return value === undefined || value === '-' ? null : value;
  };
  const int = (name: string) => (field(name) === null ? null : Number(field(name)));
  const action = field('action');
  const direction = field('flow-direction');
  return {
    kind: 'flow',
    time: (int('start') ?? int('end') ?? 0) * 1000,
    end: (int('end') ?? int('start') ?? 0) * 1000,
    accountId: field('account-id'),
    region: 'us-east-1',
    interfaceId: field('interface-id'),
    instanceId: field('instance-id'),
    vpcId: field('vpc-id'),
    subnetId: field('subnet-id'),
    srcIp: field('srcaddr'),
    srcPort: int('srcport'),
    dstIp: field('dstaddr'),
    dstPort: int('dstport'),
    protocol: int('protocol'),
    packets: int('packets') ?? 0,
    bytes: int('bytes') ?? 0,
    action: action === 'ACCEPT' || action === 'REJECT' ? action : null,
    direction: direction === 'ingress' || direction === 'egress' ? direction : null,
    tcpFlags: int('tcp-flags'),
    fileId: null,
    line: lineNumber,
  };
}

export interface DnsOptions {
  name: string;
  time: string;
  type?: string;
  src?: string;
  instance?: string | null;
  rcode?: string;
  /** Answers as [type, data] pairs, e.g. [['A', '192.0.2.10']]. */
  answers?: [string, string][];
  transport?: string;
  account?: string;
  firewallAction?: 'BLOCK' | 'ALLOW' | 'ALERT';
}

/** One Route 53 Resolver query-log record, shaped as delivered. */
export function dnsQuery(o: DnsOptions): Record<string, unknown> {
  const record: Record<string, unknown> = {
    version: '1.100000',
    account_id: o.account ?? CASE_ACCOUNT,
    region: 'us-east-1',
    vpc_id: CASE_VPC,
    query_timestamp: o.time,
    query_name: o.name.endsWith('.') ? o.name : `${o.name}.`,
    query_type: o.type ?? 'A',
    query_class: 'IN',
    rcode: o.rcode ?? 'NOERROR',
    answers: (o.answers ?? []).map(([type, data]) => ({ Rdata: data, Type: type, Class: 'IN' })),
    srcaddr: o.src ?? CASE_PRIVATE_IP,
    srcport: '53124',
    transport: o.transport ?? 'UDP',
    srcids: o.instance === null ? {} : { instance: o.instance ?? CASE_INSTANCE },
  };
  if (o.firewallAction) record.firewall_rule_action = o.firewallAction;
  return record;
}

const text = (v: unknown) => (v === undefined || v === null ? null : String(v));

/** A raw Route 53 Resolver record → DnsEvent, as the lake maps it. */
export function dnsFromRecord(record: Record<string, unknown>, lineNumber: number | null = null): DnsEvent {
  const srcids = (record.srcids ?? {}) as Record<string, unknown>;
  const action = text(record.firewall_rule_action)?.toUpperCase();
  return {
    kind: 'dns',
    time: Date.parse(String(record.query_timestamp)),
    accountId: text(record.account_id),
    region: text(record.region),
    vpcId: text(record.vpc_id),
    srcIp: text(record.srcaddr),
    srcPort: record.srcport === undefined ? null : Number(record.srcport),
    instanceId: text(srcids.instance),
    ...queryNames(text(record.query_name)),
    queryType: text(record.query_type),
    queryClass: text(record.query_class),
    rcode: text(record.rcode),
    answers: parseAnswers(record.answers === undefined ? null : JSON.stringify(record.answers)),
    transport: text(record.transport),
    firewallAction: action === 'BLOCK' ? 'Denied' : action === 'ALLOW' || action === 'ALERT' ? 'Allowed' : null,
    fileId: null,
    line: lineNumber,
  };
}
