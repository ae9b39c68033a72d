import { formatIpv4, ipv4Of, parseIpv6 } from '../intel/ip.js';

/**
 * VPC flow records and Route 53 Resolver queries as network detections see them, read from the lake's
 * network_activity and dns_activity tables (lake-network-events.ts) or built from raw log lines in tests
 * (network-records.ts).
 */
export interface FlowEvent {
  kind: 'flow';
  /** Start of the capture window, epoch ms. */
  time: number;
  /** End of the capture window, epoch ms. */
  end: number;
  accountId: string | null;
  region: string | null;
  interfaceId: string | null;
  instanceId: string | null;
  vpcId: string | null;
  subnetId: string | null;
  srcIp: string | null;
  srcPort: number | null;
  dstIp: string | null;
  dstPort: number | null;
  /** IANA protocol number: 6 TCP, 17 UDP, 1 ICMP. */
  protocol: number | null;
  packets: number;
  bytes: number;
  action: 'ACCEPT' | 'REJECT' | null;
  /**
   * From the v5 `flow-direction` field, when the format has it; else, for a record between two private
   * addresses, from the interface's own address where the lake shows it (lake-network-events.ts ownAddresses).
   */
  direction: 'ingress' | 'egress' | null;
  tcpFlags: number | null;
  fileId: number | null;
  line: number | null;
}

export interface DnsAnswer {
  type: string;
  data: string;
}

export interface DnsEvent {
  kind: 'dns';
  time: number;
  accountId: string | null;
  region: string | null;
  vpcId: string | null;
  srcIp: string | null;
  srcPort: number | null;
  instanceId: string | null;
  /** The query name without its trailing dot, lower-cased. */
  queryName: string;
  /** The query name as logged, when its case differs from queryName (base64 in a label is case-sensitive). */
  casedName?: string;
  queryType: string | null;
  queryClass: string | null;
  rcode: string | null;
  answers: DnsAnswer[];
  /** UDP, TCP, DoH, … as the resolver reports the transport. */
  transport: string | null;
  /** Route 53 Resolver DNS Firewall action: Allowed or Denied, when a rule matched. */
  firewallAction: string | null;
  fileId: number | null;
  line: number | null;
}

export type NetworkEvent = FlowEvent | DnsEvent;

/**
 * RFC 1918, CGNAT, link-local, loopback, and for IPv6 unique-local (fc00::/7, AWS's fd00:ec2:: services
 * included), link-local (fe80::/10), site-local (fec0::/10), multicast (ff00::/8: neighbour discovery,
 * DHCPv6, mDNS), loopback and unspecified: never a remote party on the internet. An IPv6 address that
 * carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`) is that IPv4 address.
 */
export function isPrivateIp(ip: string): boolean {
  // Called for every flow record by several detections: read the leading octets' digits in place, no slicing.
  let first = 0;
  let i = 0;
  let code = ip.charCodeAt(0);
  for (; code >= 48 && code <= 57; code = ip.charCodeAt(++i)) first = first * 10 + code - 48;
  if (code !== 46 || i === 0) return isInternalIpv6(ip);
  if (first === 10 || first === 127) return true;
  if (first !== 192 && first !== 172 && first !== 169 && first !== 100) return false;
  let second = 0;
  for (code = ip.charCodeAt(++i); code >= 48 && code <= 57; code = ip.charCodeAt(++i)) second = second * 10 + code - 48;
  if (first === 192) return second === 168;
  if (first === 172) return second >= 16 && second <= 31;
  if (first === 169) return second === 254;
  return second >= 64 && second <= 127;
}

function isInternalIpv6(ip: string): boolean {
  const embedded = ipv4Of(ip);
  if (embedded !== undefined) return isPrivateIp(formatIpv4(embedded));
  const group = firstGroup(ip);
  if (group === undefined) return false;
  if (group === 0) {
    // ::, ::1 (the rest of 0::/16 that is not an embedded IPv4 address is reserved, not internet).
    const value = parseIpv6(ip);
    return value !== undefined && value <= 1n;
  }
  return (group & 0xfe00) === 0xfc00 || (group & 0xff80) === 0xfe80 || (group & 0xff00) === 0xff00;
}

/** The first 16-bit group of an IPv6 address's text (0 for `::…`), or undefined when the text starts otherwise. */
function firstGroup(ip: string): number | undefined {
  let value = 0;
  let i = 0;
  for (; i < 5; i++) {
    const code = ip.charCodeAt(i);
    if (code === 58) return i === 0 && ip.charCodeAt(1) !== 58 ? undefined : value;
    const lower = code | 32;
    const hex = code >= 48 && code <= 57 ? code - 48 : lower >= 97 && lower <= 102 ? lower - 87 : -1;
    if (hex < 0) return undefined;
    value = value * 16 + hex;
  }
  return undefined;
}

/** The two ends of a flow from the monitored interface's side. */
export interface FlowSides {
  localIp: string | null;
  localPort: number | null;
  remoteIp: string | null;
  remotePort: number | null;
  direction: 'INBOUND' | 'OUTBOUND' | 'UNKNOWN';
}

/**
 * An IPv6 address no network interface has as its own: multicast (ff00::/8), AWS's services on
 * fd00:ec2:: (instance metadata ::254, DNS ::253, Time Sync ::123), and addresses that carry an IPv4 one
 * (IPv4-mapped, NAT64 64:ff9b::/96: the IPv4 host behind a translator). Always the remote end of a record.
 */
export function isNeverLocalIpv6(ip: string): boolean {
  const head = ip.charCodeAt(0) | 32;
  if (head === 102) {
    const lower = ip.slice(0, 9).toLowerCase();
    return lower.startsWith('ff') || lower === 'fd00:ec2:';
  }
  return ipv4Of(ip) !== undefined && ip.includes(':');
}

/**
 * Which end of a flow is the interface's own. The v5 `flow-direction` field says so; otherwise an IPv6
 * end that is never an interface's own (isNeverLocalIpv6) is remote; otherwise the private end is local
 * and the public end remote; of two private ends, the one with the lower port (the service) is taken as
 * local, since interfaces that serve are the ones flow logs are usually enabled for. (An instance's IPv6
 * address is usually global, so for IPv6 the private-end rule and the port rule are guesses.)
 */
export function flowSides(flow: FlowEvent): FlowSides {
  const inbound = (): FlowSides => ({ localIp: flow.dstIp, localPort: flow.dstPort, remoteIp: flow.srcIp, remotePort: flow.srcPort, direction: 'INBOUND' });
  const outbound = (direction: FlowSides['direction'] = 'OUTBOUND'): FlowSides => ({ localIp: flow.srcIp, localPort: flow.srcPort, remoteIp: flow.dstIp, remotePort: flow.dstPort, direction });
  if (flow.direction === 'ingress') return inbound();
  if (flow.direction === 'egress') return outbound();
  if (flow.srcIp !== null && flow.dstIp !== null && flow.srcIp.includes(':')) {
    const srcRemote = isNeverLocalIpv6(flow.srcIp);
    if (srcRemote !== isNeverLocalIpv6(flow.dstIp)) return srcRemote ? inbound() : outbound();
  }
  const srcPrivate = flow.srcIp !== null && isPrivateIp(flow.srcIp);
  const dstPrivate = flow.dstIp !== null && isPrivateIp(flow.dstIp);
  if (dstPrivate && !srcPrivate) return inbound();
  if (srcPrivate && !dstPrivate) return outbound();
  if (flow.dstPort !== null && flow.srcPort !== null && flow.dstPort !== flow.srcPort) return flow.dstPort < flow.srcPort ? inbound() : outbound();
  return outbound('UNKNOWN');
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPV6', 47: 'GRE', 50: 'ESP', 132: 'SCTP' };

export function protocolName(protocol: number | null): string {
  return protocol === null ? 'Unknown' : (PROTOCOLS[protocol] ?? String(protocol));
}

const PORT_NAMES: Record<number, string> = {
  20: 'FTP-Data', 21: 'FTP', 22: 'SSH', 23: 'Telnet', 25: 'SMTP', 53: 'DNS', 80: 'HTTP', 110: 'POP3', 123: 'NTP',
  143: 'IMAP', 389: 'LDAP', 443: 'HTTPS', 445: 'SMB', 465: 'SMTPS', 587: 'SMTP', 853: 'DNS-over-TLS', 993: 'IMAPS',
  995: 'POP3S', 1433: 'MSSQL', 1521: 'Oracle', 2049: 'NFS', 2375: 'Docker', 2376: 'Docker', 3306: 'MySQL',
  3389: 'RDP', 5432: 'PostgreSQL', 5601: 'Kibana', 5900: 'VNC', 5985: 'WinRM', 5986: 'WinRM', 6379: 'Redis',
  8080: 'HTTP', 8443: 'HTTPS', 8888: 'HTTP', 9200: 'Elasticsearch', 9300: 'Elasticsearch', 11211: 'Memcached',
  27017: 'MongoDB',
};

/** GuardDuty's `portName`: a service label, or `Unknown`. */
export function portName(port: number | null): string {
  return port === null ? 'Unknown' : (PORT_NAMES[port] ?? 'Unknown');
}
