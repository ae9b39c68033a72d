import type { AsnRecord } from './geo.js';
import { lastAtOrBelow, parseIpv4, parseIpv6 } from './ip.js';

/** Range keys: IPv4 addresses as numbers, IPv6 addresses by their upper 64 bits. */
export type AsnKeys<K extends number | bigint> = K extends number ? Uint32Array : BigUint64Array;

/**
 * ASN ranges kept compactly: parallel typed arrays of range starts/ends and ASNs, with organisation names
 * deduplicated (400k IPv4 ranges share about 80k names), searched by binary search.
 */
export class AsnTable<K extends number | bigint> {
  constructor(
    readonly starts: AsnKeys<K>,
    readonly ends: AsnKeys<K>,
    readonly asns: Uint32Array,
    readonly orgIndex: Uint32Array,
    readonly orgs: string[],
  ) {}

  find(value: K): AsnRecord | undefined {
    const starts = this.starts as unknown as ArrayLike<K>;
    const i = lastAtOrBelow(starts, value);
    if (i < 0 || (this.ends as unknown as ArrayLike<K>)[i]! < value) return undefined;
    const org = this.orgs[this.orgIndex[i]!];
    return org ? { asn: this.asns[i]!, org } : { asn: this.asns[i]! };
  }
}

/**
 * Parses `start,end,asn,org` CSV (start/end as addresses or as decimal numbers; org possibly quoted), the
 * layout of @ip-location-db/asn. Rows are expected in ascending order, as the package ships them; they are
 * sorted anyway if not.
 */
export function parseAsnCsv(text: string, family: 4): AsnTable<number>;
export function parseAsnCsv(text: string, family: 6): AsnTable<bigint>;
export function parseAsnCsv(text: string, family: 4 | 6): AsnTable<number> | AsnTable<bigint>;
export function parseAsnCsv(text: string, family: 4 | 6): AsnTable<number> | AsnTable<bigint> {
  const toKey: (field: string) => number | bigint | undefined = family === 4 ? ipv4Key : ipv6Key;
  // Parallel arrays, not an object per row: 400k rows load in a fraction of the time.
  const starts: (number | bigint)[] = [];
  const ends: (number | bigint)[] = [];
  const asns: number[] = [];
  const orgIndex: number[] = [];
  const orgIds = new Map<string, number>();
  const orgs: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const lineEnd = text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const c1 = text.indexOf(',', pos);
    const c2 = c1 < 0 || c1 > lineEnd ? -1 : text.indexOf(',', c1 + 1);
    const lineStart = pos;
    pos = nl + 1;
    if (c2 < 0 || c2 > lineEnd) continue;
    const c3found = text.indexOf(',', c2 + 1);
    const c3 = c3found < 0 || c3found > lineEnd ? -1 : c3found;
    const start = toKey(text.slice(lineStart, c1));
    const end = toKey(text.slice(c1 + 1, c2));
    const asn = decimal(text, c2 + 1, c3 < 0 ? lineEnd : c3);
    if (start === undefined || end === undefined || asn === undefined) continue;
    let org = c3 < 0 ? '' : text.slice(c3 + 1, lineEnd);
    if (org.startsWith('"')) org = org.slice(1, org.endsWith('"') ? -1 : undefined).replaceAll('""', '"');
    let id = orgIds.get(org);
    if (id === undefined) {
      // A copy: a slice would keep the whole file's text (22 MB for IPv4) alive.
      id = orgs.push(JSON.parse(JSON.stringify(org)) as string) - 1;
      orgIds.set(org, id);
    }
    starts.push(start);
    ends.push(end);
    asns.push(asn);
    orgIndex.push(id);
  }
  // Rows come in ascending order as the package ships them; sorted here if not.
  let order: number[] | undefined;
  for (let i = 1; i < starts.length; i++) {
    if (starts[i]! < starts[i - 1]!) {
      order = starts.map((_, j) => j).sort((a, b) => (starts[a]! < starts[b]! ? -1 : starts[a]! > starts[b]! ? 1 : 0));
      break;
    }
  }
  const sorted = <T>(values: T[]): T[] => (order ? order.map((j) => values[j]!) : values);
  if (family === 4) {
    return new AsnTable<number>(Uint32Array.from(sorted(starts) as number[]), Uint32Array.from(sorted(ends) as number[]), Uint32Array.from(sorted(asns)), Uint32Array.from(sorted(orgIndex)), orgs);
  }
  return new AsnTable<bigint>(BigUint64Array.from(sorted(starts) as bigint[]), BigUint64Array.from(sorted(ends) as bigint[]), Uint32Array.from(sorted(asns)), Uint32Array.from(sorted(orgIndex)), orgs);
}

/** The non-negative integer written in `text[from, to)`, or undefined if it is not all digits (or too long). */
function decimal(text: string, from: number, to: number): number | undefined {
  if (to <= from || to - from > 15) return undefined;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** An IPv4 key: a decimal number (the `-num` CSV) or a dotted quad. */
function ipv4Key(field: string): number | undefined {
  const n = decimal(field, 0, field.length);
  if (n !== undefined) return n <= 0xffffffff ? n : undefined;
  return parseIpv4(field);
}

/**
 * An IPv6 key: the upper 64 bits. Routed IPv6 prefixes are /64 or shorter (BGP filters longer ones), so
 * range boundaries fall on /64 boundaries and a 64-bit key fits a BigUint64Array without losing precision.
 */
function ipv6Key(field: string): bigint | undefined {
  const value = /^\d+$/.test(field) ? BigInt(field) : parseIpv6(field);
  return value === undefined ? undefined : value >> 64n;
}

/**
 * The binary form asn-cache.ts keeps on disk: a fixed header, the four arrays as the machine lays them out,
 * then the organisation names joined by line breaks (a CSV line cannot hold one).
 */
const MAGIC = 'GSASN01\n';
const HEADER_BYTES = 8 + 4 * 4;

export function encodeAsnTable(table: AsnTable<number> | AsnTable<bigint>, family: 4 | 6): Buffer {
  const orgs = Buffer.from(table.orgs.join('\n'), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(family, 8);
  header.writeUInt32LE(table.asns.length, 12);
  header.writeUInt32LE(table.orgs.length, 16);
  header.writeUInt32LE(orgs.length, 20);
  const bytes = (array: ArrayBufferView) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return Buffer.concat([header, bytes(table.starts), bytes(table.ends), bytes(table.asns), bytes(table.orgIndex), orgs]);
}

/** The table `encodeAsnTable` wrote, or undefined if `data` is not one of `family` (truncated, other layout). */
export function decodeAsnTable(data: Buffer, family: 4): AsnTable<number> | undefined;
export function decodeAsnTable(data: Buffer, family: 6): AsnTable<bigint> | undefined;
export function decodeAsnTable(data: Buffer, family: 4 | 6): AsnTable<number> | AsnTable<bigint> | undefined;
export function decodeAsnTable(data: Buffer, family: 4 | 6): AsnTable<number> | AsnTable<bigint> | undefined {
  if (data.length < HEADER_BYTES || data.toString('latin1', 0, 8) !== MAGIC || data.readUInt32LE(8) !== family) return undefined;
  const count = data.readUInt32LE(12);
  const orgCount = data.readUInt32LE(16);
  const orgBytes = data.readUInt32LE(20);
  const keyBytes = family === 4 ? 4 : 8;
  if (data.length !== HEADER_BYTES + count * (2 * keyBytes + 8) + orgBytes) return undefined;
  let at = HEADER_BYTES;
  // Copied out byte-wise: a view would need the file's buffer aligned to the element size.
  const fill = <T extends Uint32Array | BigUint64Array>(array: T): T => {
    Buffer.from(array.buffer).set(data.subarray(at, at + array.byteLength));
    at += array.byteLength;
    return array;
  };
  const keys = () => (family === 4 ? fill(new Uint32Array(count)) : fill(new BigUint64Array(count)));
  const starts = keys();
  const ends = keys();
  const asns = fill(new Uint32Array(count));
  const orgIndex = fill(new Uint32Array(count));
  const orgs = orgCount === 0 ? [] : data.toString('utf8', at, at + orgBytes).split('\n');
  if (orgs.length !== orgCount || orgIndex.some((i) => i >= orgCount)) return undefined;
  return family === 4
    ? new AsnTable<number>(starts as Uint32Array, ends as Uint32Array, asns, orgIndex, orgs)
    : new AsnTable<bigint>(starts as BigUint64Array, ends as BigUint64Array, asns, orgIndex, orgs);
}
