/** The in-memory IntelLookup behind both loadIntel (lake tables) and staticIntel (plain arrays). */
import type { Geo } from './geo.js';
import { ipv4Of, ipv4RangeOf, normalizeDomain, parseIpv4Range, parseIpv6, parseIpv6Range, RangeIndex } from './ip.js';
import type { AwsRange, IntelLookup, IpDetails, ThreatMatch } from './lookup.js';

/**
 * ASNs AWS space is announced from (9059 and 8987: AWS Ireland, also GovCloud; 214101: European Sovereign
 * Cloud; the aws-cn partition: 135630 Amazon's Beijing entity, 55960 Sinnet for cn-north-1 and 135629 NWCD for
 * cn-northwest-1, the two operators' region-only ASNs); used to place an IP inside AWS when no ip-ranges.json
 * is loaded.
 */
const AMAZON_ASNS: ReadonlySet<number> = new Set([16509, 14618, 8987, 7224, 62785, 38895, 39111, 9059, 135630, 55960, 135629, 214101]);

/**
 * IPv4 blocks that are never a party on the internet (IANA's special-purpose registry): this network,
 * private (RFC 1918), carrier-grade NAT, loopback, link-local, IETF protocol assignments, benchmarking,
 * multicast, reserved and broadcast. GuardDuty's lists "only affect traffic to or from publicly routable
 * addresses" (guardduty.md §7), so lists are not consulted for these. The documentation blocks
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) stay routable here: examples, GuardDuty's own docs and the
 * tests use them for internet addresses.
 */
const NON_ROUTABLE_IPV4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3',
].map((cidr) => parseIpv4Range(cidr)!);

const isPubliclyRoutable = (ip: number) => !NON_ROUTABLE_IPV4.some((block) => ip >= block.start && ip <= block.end);

/**
 * Global unicast, 2000::/3, is the only IPv6 space in use on the internet (IANA's IPv6 address space
 * registry): the rest is unassigned, loopback, unique-local (fc00::/7), link-local (fe80::/10), multicast
 * (ff00::/8) or IPv4-embedding (mapped and NAT64 addresses are judged as their IPv4 address, see ipv4Of).
 * The documentation prefixes (2001:db8::/32, 3fff::/20) stay routable, as the IPv4 ones do.
 */
const GLOBAL_UNICAST = parseIpv6Range('2000::/3')!;
const isPubliclyRoutableIpv6 = (ip: bigint) => ip >= GLOBAL_UNICAST.start && ip <= GLOBAL_UNICAST.end;

/** A list entry (IPv4 or IPv6 address or CIDR) wholly inside non-routable space: it can never match. */
export function isNonRoutableEntry(entry: string): boolean {
  const range = ipv4RangeOf(entry);
  if (range) return NON_ROUTABLE_IPV4.some((block) => range.start >= block.start && range.end <= block.end);
  const v6 = parseIpv6Range(entry);
  return v6 !== undefined && (v6.end < GLOBAL_UNICAST.start || v6.start > GLOBAL_UNICAST.end);
}

/** One IPv4 or IPv6 address, CIDR, domain or `*.domain` wildcard, as stored in intel_entries. */
export interface IntelEntryValue {
  kind: 'ip' | 'cidr' | 'domain';
  value: string;
}

export interface IntelData {
  threats: (IntelEntryValue & { match: ThreatMatch })[];
  trusted: IntelEntryValue[];
  /** Addresses (IPv4 or IPv6) of Tor exits. */
  torExits: string[];
  /** Addresses (IPv4 or IPv6) of running Tor relays, exits included. */
  torRelays: string[];
  /** IPv4 or IPv6 prefixes; an empty list turns on the ASN fallback. */
  awsRanges: { prefix: string; region: string; service: string }[];
  geo?: Geo;
}

/*
 * The last address looked up, parsed. Detections ask every index (threats, trusted, Tor exits and relays)
 * about one caller's or flow peer's address in turn, so it is parsed once, not once per index; IPv6 only
 * when an index holds IPv6 entries.
 */
let lastIp: string | undefined;
/** lastIp is IPv4, or an IPv6 address carrying one (ipv4Of): it is never looked up as IPv6. */
let lastIsV4 = false;
/** The IPv4 address lastIp is, when routable. */
let lastV4: number | undefined;
/** The IPv6 address lastIp is, when routable; null until parsed. */
let lastV6: bigint | undefined | null = null;

/** The key an address is looked up by: a routable IPv4 address as a number, a routable IPv6 one as a bigint. */
function addressKey(ip: string, withIpv6: boolean): number | bigint | undefined {
  if (ip !== lastIp) {
    const v4 = ipv4Of(ip.trim());
    lastIp = ip;
    lastIsV4 = v4 !== undefined;
    lastV4 = v4 !== undefined && isPubliclyRoutable(v4) ? v4 : undefined;
    lastV6 = null;
  }
  if (lastIsV4) return lastV4;
  if (!withIpv6) return undefined;
  if (lastV6 === null) {
    const v6 = parseIpv6(ip.trim());
    lastV6 = v6 !== undefined && isPubliclyRoutableIpv6(v6) ? v6 : undefined;
  }
  return lastV6;
}

/**
 * IPv4 addresses in a map and CIDRs in a range index; IPv6 addresses and CIDRs in a range index of their
 * own (an address is a one-address range); domains (and `*.parent` wildcards) in maps.
 */
class EntryIndex<T> {
  private readonly ips = new Map<number, T[]>();
  private readonly cidrs: RangeIndex<T>;
  private readonly v6: RangeIndex<T, bigint>;
  private readonly domains = new Map<string, T[]>();
  private readonly wildcards = new Map<string, T[]>();
  /** No address entries: flow detections ask about every record, so an empty list answers without parsing. */
  private readonly noIps: boolean;

  constructor(entries: (IntelEntryValue & { payload: T })[]) {
    const ranges: { start: number; end: number; payload: T }[] = [];
    const ranges6: { start: bigint; end: bigint; payload: T }[] = [];
    const push = <K>(map: Map<K, T[]>, key: K, payload: T) => {
      const list = map.get(key);
      if (list) list.push(payload);
      else map.set(key, [payload]);
    };
    for (const entry of entries) {
      if (entry.kind === 'domain') {
        const domain = normalizeDomain(entry.value);
        if (domain.startsWith('*.')) push(this.wildcards, domain.slice(2), entry.payload);
        else push(this.domains, domain, entry.payload);
        continue;
      }
      const range = ipv4RangeOf(entry.value);
      const range6 = range ? undefined : parseIpv6Range(entry.value);
      if (range && range.start === range.end) push(this.ips, range.start, entry.payload);
      else if (range) ranges.push({ ...range, payload: entry.payload });
      else if (range6) ranges6.push({ ...range6, payload: entry.payload });
    }
    this.cidrs = new RangeIndex(ranges);
    this.v6 = new RangeIndex<T, bigint>(ranges6);
    this.noIps = this.ips.size === 0 && this.cidrs.size === 0 && this.v6.size === 0;
  }

  /** The address to look up, or undefined when nothing can match: no address entries, not an address, not routable. */
  private address(ip: string): number | bigint | undefined {
    return this.noIps ? undefined : addressKey(ip, this.v6.size > 0);
  }

  ip(ip: string): T[] {
    const value = this.address(ip);
    if (value === undefined) return [];
    if (typeof value === 'bigint') return this.v6.find(value);
    return [...(this.ips.get(value) ?? []), ...this.cidrs.find(value)];
  }

  hasIp(ip: string): boolean {
    const value = this.address(ip);
    if (value === undefined) return false;
    if (typeof value === 'bigint') return this.v6.has(value);
    return this.ips.has(value) || this.cidrs.has(value);
  }

  /** Exact entries for the name itself; wildcard entries for any of its parents (not the apex itself). */
  domain(domain: string): T[] {
    if (this.domains.size === 0 && this.wildcards.size === 0) return [];
    const name = normalizeDomain(domain);
    const hits = [...(this.domains.get(name) ?? [])];
    if (this.wildcards.size === 0) return hits;
    // Each parent in turn (b.example.org, example.org, org), without building the list of them.
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const entries = this.wildcards.get(name.slice(dot + 1));
      if (entries) hits.push(...entries);
    }
    return hits;
  }
}

/** One match per list: the same list may hold an IP and a CIDR around it. */
function onePerList(matches: ThreatMatch[]): ThreatMatch[] {
  if (matches.length < 2) return matches;
  const seen = new Set<string>();
  return matches.filter((m) => !seen.has(m.listName) && seen.add(m.listName));
}

export function buildLookup(data: IntelData): IntelLookup {
  const threats = new EntryIndex(data.threats.map((t) => ({ ...t, payload: t.match })));
  const trusted = new EntryIndex(data.trusted.map((t) => ({ ...t, payload: true })));
  const torExits = new EntryIndex(data.torExits.map((ip) => ({ kind: 'ip' as const, value: ip, payload: true })));
  const torRelays = new EntryIndex(data.torRelays.map((ip) => ({ kind: 'ip' as const, value: ip, payload: true })));
  const aws4: { start: number; end: number; payload: AwsRange }[] = [];
  const aws6: { start: bigint; end: bigint; payload: AwsRange }[] = [];
  for (const { prefix, region, service } of data.awsRanges) {
    const payload = { region, service };
    const v4 = parseIpv4Range(prefix);
    if (v4) aws4.push({ ...v4, payload });
    else {
      const v6 = parseIpv6Range(prefix);
      if (v6) aws6.push({ ...v6, payload });
    }
  }
  const awsV4 = new RangeIndex(aws4);
  const awsV6 = new RangeIndex<AwsRange, bigint>(aws6);
  const geo = data.geo;
  const ipDetails = (ip: string): IpDetails => geo?.details(ip) ?? {};
  const amazonAsn = (ip: string): boolean => {
    const asn = geo?.asn(ip.trim());
    return asn !== undefined && AMAZON_ASNS.has(asn);
  };

  const lookup: IntelLookup = {
    ipThreats: (ip) => onePerList(threats.ip(ip)),
    domainThreats: (domain) => onePerList(threats.domain(domain)),
    isTrustedIp: (ip) => trusted.hasIp(ip),
    isTrustedDomain: (domain) => trusted.domain(domain).length > 0,
    isTorExit: (ip) => torExits.hasIp(ip),
    isTorRelay: (ip) => torRelays.hasIp(ip),
    awsRange(ip) {
      const text = ip.trim();
      if (awsV4.size + awsV6.size === 0) return amazonAsn(text) ? { region: 'unknown', service: 'AMAZON' } : undefined;
      const v4 = ipv4Of(text);
      const v6 = v4 === undefined ? parseIpv6(text) : undefined;
      const ranges = v4 !== undefined ? awsV4.find(v4) : v6 !== undefined ? awsV6.find(v6) : [];
      // ip-ranges.json lists most EC2 space twice, as AMAZON and as EC2: the narrowest, most specific one wins.
      return ranges.find((r) => r.service !== 'AMAZON') ?? ranges[0];
    },
    isInsideAws: (ip) => lookup.awsRange(ip) !== undefined || amazonAsn(ip),
    ipDetails,
  };
  return lookup;
}
