/** IP address parsing and range matching shared by the intel layer. */

/**
 * A dotted-quad IPv4 address (four decimal octets of 1–3 digits, each ≤ 255) as an unsigned 32-bit number,
 * or undefined when it is not one. Parsed by hand: detections call this several times per flow record.
 */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (++digits > 3) return undefined;
      octet = octet * 10 + (code - 48);
    } else if (code === 46 && digits > 0 && octet <= 255 && ++dots <= 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 && octet <= 255 ? value * 256 + octet : undefined;
}

/** IPv4-mapped (::ffff:0:0/96, RFC 4291) and NAT64 well-known-prefix (64:ff9b::/96, RFC 6052) addresses. */
const EMBEDDING_PREFIXES = [0xffffn << 32n, 0x64ff9bn << 96n];
const LOW_32_BITS = 0xffffffffn;

/**
 * The IPv4 address an address is, as a number: a dotted quad, or an IPv6 address that carries one in its
 * low 32 bits (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, in any spelling). Such a peer is that
 * IPv4 host, so geo, ASN, lists, Tor and AWS ranges judge it as one. Other IPv6 addresses give undefined.
 */
export function ipv4Of(text: string): number | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined || !mayEmbedIpv4(text)) return v4;
  const v6 = parseIpv6(text);
  return v6 !== undefined && EMBEDDING_PREFIXES.includes(v6 & ~LOW_32_BITS) ? Number(v6 & LOW_32_BITS) : undefined;
}

/** Both forms start with `:`, `0` or `6`; most IPv6 traffic (2000::/3) is ruled out without a parse. */
function mayEmbedIpv4(text: string): boolean {
  const first = text.charCodeAt(0);
  return (first === 58 || first === 48 || first === 54) && text.includes(':');
}

/** The dotted IPv4 address an IPv4-mapped or NAT64 address carries; any other text as it is. */
export function unmapIpv4(text: string): string {
  if (!mayEmbedIpv4(text)) return text;
  const v4 = ipv4Of(text);
  return v4 === undefined ? text : formatIpv4(v4);
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The eight 16-bit groups of the IPv6 address parseIpv6 is reading (module scratch: it never re-enters). */
const groups = new Uint16Array(8);

/**
 * An IPv6 address as a 128-bit bigint (embedded IPv4 tails allowed, zone ids not), or undefined. Parsed by
 * hand, one pass over the characters: lookups parse every IPv6 flow peer and caller.
 */
export function parseIpv6(text: string): bigint | undefined {
  const n = text.length;
  if (n < 2 || n > 45) return undefined;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return undefined;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    for (; i < n; i++) {
      const hex = hexValue(text.charCodeAt(i));
      if (hex < 0) break;
      value = value * 16 + hex;
    }
    const digits = i - start;
    if (i < n && text.charCodeAt(i) === 46) {
      // An IPv4 tail ends the address and fills two groups.
      const v4 = count <= 6 ? parseIpv4(text.slice(start)) : undefined;
      if (v4 === undefined) return undefined;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4 || count === 8) return undefined;
    groups[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58 || ++i === n) return undefined;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined;
      gap = count;
      i++;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return undefined;
  if (gap >= 0) {
    const moved = count - gap;
    groups.copyWithin(8 - moved, gap, count);
    groups.fill(0, gap, 8 - moved);
  }
  return (BigInt(groups[0]! * 0x10000 + groups[1]!) << 96n) | (BigInt(groups[2]! * 0x10000 + groups[3]!) << 64n)
    | (BigInt(groups[4]! * 0x10000 + groups[5]!) << 32n) | BigInt(groups[6]! * 0x10000 + groups[7]!);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** RFC 5952's text for an IPv6 address: lower-case, no leading zeros, the longest run of 2+ zero groups as `::`. */
export function formatIpv6(value: bigint): string {
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) => parts.slice(from, to).map((p) => p.toString(16)).join(':');
  return bestStart < 0 ? hex(0, 8) : `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

export interface Ipv4Range {
  start: number;
  end: number;
}

/**
 * The network an address is in, as activity is grouped by it without ASN data: IPv4 /24, IPv6 /48. An IPv6
 * address carrying an IPv4 one is in that address's /24 (all of them share one /48, ::ffff:0:0/96's).
 */
export function networkPrefix(ip: string): string {
  const v4 = ipv4Of(ip);
  if (v4 !== undefined) return `${formatIpv4(v4 - (v4 % 256))}/24`;
  const v6 = parseIpv6(ip);
  if (v6 === undefined) return ip;
  const groups = [v6 >> 112n, (v6 >> 96n) & 0xffffn, (v6 >> 80n) & 0xffffn];
  return `${groups.map((g) => g.toString(16)).join(':')}::/48`;
}

/** An IPv4 address or CIDR as an inclusive range; host bits below the prefix are ignored. */
export function parseIpv4Range(text: string): Ipv4Range | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const ip = parseIpv4(text);
    return ip === undefined ? undefined : { start: ip, end: ip };
  }
  const ip = parseIpv4(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  const start = ip - (ip % size);
  return { start, end: start + size - 1 };
}

export interface Ipv6Range {
  start: bigint;
  end: bigint;
}

/** An IPv6 address or CIDR as an inclusive range; host bits below the prefix are ignored. */
export function parseIpv6Range(text: string): Ipv6Range | undefined {
  const slash = text.indexOf('/');
  const ip = parseIpv6(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  if (slash < 0) return { start: ip, end: ip };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > 128) return undefined;
  const hostBits = BigInt(128 - Number(bitsText));
  const start = (ip >> hostBits) << hostBits;
  return { start, end: start + (1n << hostBits) - 1n };
}

/** An IPv6 range as stored and shown: `address/bits` in RFC 5952 text, a single address without `/128`. */
export function formatIpv6Range({ start, end }: Ipv6Range): string {
  const hostBits = end === start ? 0 : (end - start).toString(2).length;
  return hostBits === 0 ? formatIpv6(start) : `${formatIpv6(start)}/${128 - hostBits}`;
}

/**
 * An IPv4 address or CIDR, also written as an IPv6 one that carries it (`::ffff:198.51.100.7`,
 * `64:ff9b::c633:6400/120`; see ipv4Of), as an IPv4 range; undefined for anything else.
 */
export function ipv4RangeOf(text: string): Ipv4Range | undefined {
  const v4 = parseIpv4Range(text);
  if (v4 || !mayEmbedIpv4(text)) return v4;
  const v6 = parseIpv6Range(text);
  if (!v6) return undefined;
  const prefix = v6.start & ~LOW_32_BITS;
  if (!EMBEDDING_PREFIXES.includes(prefix) || (v6.end & ~LOW_32_BITS) !== prefix) return undefined;
  return { start: Number(v6.start & LOW_32_BITS), end: Number(v6.end & LOW_32_BITS) };
}

/**
 * CIDR ranges with a payload each, sorted once and searched by binary search. CIDRs are either nested or
 * disjoint, so every range holding a value is the range found by the search or one of its enclosing
 * ranges: a lookup follows parent links (at most 33 for IPv4) instead of scanning. Ranges that partly
 * overlap (not CIDRs) are not supported.
 */
export class RangeIndex<T, K extends number | bigint = number> {
  private readonly starts: K[];
  private readonly ends: K[];
  private readonly parents: Int32Array;
  private readonly payloads: T[];

  constructor(ranges: { start: K; end: K; payload: T }[]) {
    // Wider ranges first on equal starts, so an enclosing range precedes the ranges inside it.
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0));
    this.starts = sorted.map((r) => r.start);
    this.ends = sorted.map((r) => r.end);
    this.payloads = sorted.map((r) => r.payload);
    this.parents = new Int32Array(sorted.length);
    const open: number[] = [];
    for (let i = 0; i < sorted.length; i++) {
      while (open.length > 0 && this.ends[open.at(-1)!]! < this.starts[i]!) open.pop();
      this.parents[i] = open.length > 0 ? open.at(-1)! : -1;
      open.push(i);
    }
  }

  get size(): number {
    return this.starts.length;
  }

  /** Payloads of every range holding the value, narrowest range first. */
  find(value: K): T[] {
    const hits: T[] = [];
    for (let i = lastAtOrBelow(this.starts, value); i >= 0; i = this.parents[i]!) {
      if (this.ends[i]! >= value) hits.push(this.payloads[i]!);
    }
    return hits;
  }

  has(value: K): boolean {
    for (let i = lastAtOrBelow(this.starts, value); i >= 0; i = this.parents[i]!) {
      if (this.ends[i]! >= value) return true;
    }
    return false;
  }
}

/** Index of the last element <= value in a sorted array-like, or -1. */
export function lastAtOrBelow<K extends number | bigint>(sorted: ArrayLike<K>, value: K): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Lower-cased, without a trailing dot: how domains are compared. */
export function normalizeDomain(domain: string): string {
  const name = domain.trim().toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A plausible DNS name with at least two labels (not an IP address). */
export function isDomainName(text: string): boolean {
  if (text.length > 253 || parseIpv4(text) !== undefined) return false;
  const labels = text.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}
