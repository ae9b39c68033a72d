/**
 * Threat and trusted list parsing: GuardDuty's six formats (TXT, STIX, OTX_CSV, ALIEN_VAULT, PROOF_POINT,
 * FIRE_EYE), where STIX also takes STIX 2.1 JSON bundles and TXT also takes domains and `*.parent` wildcards.
 * Every format takes IPv6 addresses and CIDRs beside IPv4 ones (GuardDuty's lists take IPv4 only, which
 * leaves a dual-stack organisation blind to listed IPv6 attackers). A bad line is reported with its number
 * and the rest still loads.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../sources/input.js';
import { formatIpv4, formatIpv6, formatIpv6Range, ipv4RangeOf, isDomainName, lastAtOrBelow, parseIpv4, parseIpv6, parseIpv6Range } from './ip.js';

export const LIST_FORMATS = ['TXT', 'STIX', 'OTX_CSV', 'ALIEN_VAULT', 'PROOF_POINT', 'FIRE_EYE'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

export interface ListEntry {
  kind: 'ip' | 'cidr' | 'domain';
  /**
   * IPv4 or IPv6 address (IPv6 in RFC 5952 text); CIDR as network/bits; domain lower-cased, a wildcard as
   * `*.parent` (matches subdomains of parent).
   */
  value: string;
  threatName?: string;
}

export interface ListProblem {
  line: number;
  message: string;
}

export interface ParsedList {
  format: ListFormat;
  entries: ListEntry[];
  problems: ListProblem[];
  /** Rows that hold only indicators lists do not match on (hashes, URLs, e-mail addresses): not errors. */
  skipped: number;
}

function parseListFormat(name: string): ListFormat | undefined {
  const upper = name.toUpperCase();
  return (LIST_FORMATS as readonly string[]).includes(upper) ? (upper as ListFormat) : undefined;
}

export interface ListSpec {
  /** A local path or an http(s) URL. */
  location: string;
  isUrl: boolean;
  format?: ListFormat;
}

/** `FILE[:FORMAT]` or `URL[:FORMAT]`; a colon is only a format separator when a format name follows it. */
export function parseListSpec(spec: string): ListSpec {
  const isUrl = /^https?:\/\//i.test(spec);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !isUrl) {
    throw new UserError(`cannot read the list ${spec}: only local files and http(s):// URLs are supported (download it first)`);
  }
  const colon = spec.lastIndexOf(':');
  const suffix = colon > 0 ? spec.slice(colon + 1) : '';
  const format = parseListFormat(suffix);
  if (format) return { location: spec.slice(0, colon), isUrl, format };
  if (!isUrl && /^[A-Za-z_]+$/.test(suffix) && !existsSync(spec)) {
    throw new UserError(`unknown list format '${suffix}' in ${spec}; use one of ${LIST_FORMATS.join(', ')}`);
  }
  return { location: spec, isUrl };
}

/** The format by content (JSON/XML → STIX, CSV headers, `#`-separated fields), the file name breaking ties. */
export function detectFormat(text: string, fileName = ''): ListFormat {
  const body = stripBom(text).trimStart();
  if (body.startsWith('{') || body.startsWith('[') || body.startsWith('<')) return 'STIX';
  const ext = path.extname(fileName.replace(/[?#].*$/, '')).toLowerCase();
  if (ext === '.json' || ext === '.xml' || ext === '.stix') return 'STIX';
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const header = (lines[0] ?? '').toLowerCase().replace(/\s+/g, ' ');
  if (/^"?indicator ?type"?\s*,/.test(header)) return 'OTX_CSV';
  if (/^"?(ip|domain)"?\s*,\s*"?category"?\s*,/.test(header)) return 'PROOF_POINT';
  const columns = splitCsvLine(header).map((c) => c.trim());
  if (columns.includes('reportid') && (columns.includes('ip') || columns.includes('cidr') || columns.includes('domain'))) return 'FIRE_EYE';
  const data = lines.filter((l) => !l.startsWith('#')).slice(0, 20);
  if (data.length > 0 && data.filter((l) => l.split('#').length >= 6).length * 2 > data.length) return 'ALIEN_VAULT';
  return 'TXT';
}

export function parseList(text: string, format?: ListFormat, fileName?: string): ParsedList {
  const body = stripBom(text);
  const chosen = format ?? detectFormat(body, fileName);
  const out = new ListBuilder();
  switch (chosen) {
    case 'TXT':
      parseTxt(body, out);
      break;
    case 'STIX':
      if (/^\s*[[{]/.test(body)) parseStix2(body, out);
      else parseStix1(body, out);
      break;
    case 'OTX_CSV':
      parseOtx(body, out);
      break;
    case 'ALIEN_VAULT':
      parseAlienVault(body, out);
      break;
    case 'PROOF_POINT':
      parseProofPoint(body, out);
      break;
    case 'FIRE_EYE':
      parseFireEye(body, out);
      break;
  }
  return { format: chosen, entries: out.entries, problems: out.problems, skipped: out.skipped };
}

class ListBuilder {
  readonly entries: ListEntry[] = [];
  readonly problems: ListProblem[] = [];
  skipped = 0;

  problem(line: number, message: string): void {
    this.problems.push({ line, message });
  }

  /** Adds an IPv4 or IPv6 address or CIDR, domain or wildcard; anything else is a problem on that line. */
  add(raw: string, line: number, threatName?: string): void {
    const value = raw.trim().replace(/^["']|["']$/g, '');
    const entry = classify(value);
    if (typeof entry === 'string') return this.problem(line, entry);
    if (threatName?.trim()) entry.threatName = threatName.trim();
    this.entries.push(entry);
  }
}

/** An entry, or why the value is not one. */
function classify(value: string): ListEntry | string {
  if (value === '') return 'empty entry';
  // An address written IPv4-mapped or NAT64 (as dual-stack servers log clients) is that IPv4 host, as in lookups.
  const range = ipv4RangeOf(value);
  if (range) {
    const bits = 32 - Math.log2(range.end - range.start + 1);
    return bits === 32 ? { kind: 'ip', value: formatIpv4(range.start) } : { kind: 'cidr', value: `${formatIpv4(range.start)}/${bits}` };
  }
  const range6 = parseIpv6Range(value);
  if (range6) return { kind: range6.start === range6.end ? 'ip' : 'cidr', value: formatIpv6Range(range6) };
  const domain = value.toLowerCase().replace(/\.$/, '');
  if (isDomainName(domain.startsWith('*.') ? domain.slice(2) : domain)) return { kind: 'domain', value: domain };
  if (/^[\d./]+$/.test(value)) return `invalid IPv4 address or CIDR: ${truncate(value)}`;
  if (value.includes(':') && /^[\da-f:./%]+$/i.test(value)) return `invalid IPv6 address or CIDR: ${truncate(value)}`;
  return `not an IP address, CIDR or domain: ${truncate(value)}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A list file's text. UTF-8 unless it is UTF-16: with a byte order mark (Windows PowerShell 5.1 writes
 * UTF-16LE with one by default), or without one when NUL bytes fill every other byte, as they do in UTF-16
 * text that is mostly ASCII (addresses, domains, CSV).
 */
export function decodeListText(bytes: Uint8Array): string {
  const order = utf16ByteOrder(bytes);
  if (!order) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const even = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  // Node decodes UTF-16LE only; big-endian text is swapped into it. The decoder drops a leading BOM.
  return new TextDecoder('utf-16le').decode(order === 'BE' ? even.swap16() : even);
}

/** How many leading bytes decide whether a file without a BOM is UTF-16. */
const UTF16_SNIFF_BYTES = 512;

function utf16ByteOrder(bytes: Uint8Array): 'LE' | 'BE' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'LE';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'BE';
  const pairs = Math.floor(Math.min(bytes.length, UTF16_SNIFF_BYTES) / 2);
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < pairs; i++) {
    if (bytes[2 * i] === 0) evenNuls++;
    if (bytes[2 * i + 1] === 0) oddNuls++;
  }
  // Text in UTF-8 has no NUL at all; "clearly UTF-16" is NULs on one side of most pairs and none on the other.
  if (pairs >= 2 && oddNuls > pairs * 0.8 && evenNuls === 0) return 'LE';
  if (pairs >= 2 && evenNuls > pairs * 0.8 && oddNuls === 0) return 'BE';
  return undefined;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** One entry per line; `#`, `;` and `//` start comments (whole-line or trailing, as in Spamhaus DROP). */
function parseTxt(text: string, out: ListBuilder): void {
  lines(text).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)(#|;|\/\/).*$/, '').trim();
    if (line === '') return;
    if (/\s/.test(line)) return out.problem(i + 1, `expected one entry per line: ${truncate(line)}`);
    out.add(line, i + 1);
  });
}

/** Splits one CSV line, honouring double quotes ("" inside quotes is a quote). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** OTX CSV: `Indicator type,Indicator,Description`; IPv4, IPv6, CIDR and hostname/domain types are taken. */
function parseOtx(text: string, out: ListBuilder): void {
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [type = '', indicator = '', ...description] = splitCsvLine(line).map((f) => f.trim());
    const kind = type.toLowerCase();
    if (/^indicator ?type$/.test(kind)) return;
    if (kind === 'ipv4' || kind === 'ipv6' || kind === 'cidr' || kind === 'domain' || kind === 'domain name' || kind === 'hostname') {
      return out.add(indicator, i + 1, description.join(',') || undefined);
    }
    if (indicator === '') return out.problem(i + 1, `expected "Indicator type,Indicator,Description": ${truncate(line)}`);
    out.skipped++;
  });
}

/** AlienVault reputation: `indicator#reliability#risk#activity#country#city#lat,lon#n`; activity is the threat name. */
function parseAlienVault(text: string, out: ListBuilder): void {
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split('#');
    out.add(fields[0]!, i + 1, fields[3]?.split(';')[0]);
  });
}

/** Proofpoint ET Intelligence category ids, as documented for the ET reputation feeds. */
const PROOFPOINT_CATEGORIES: Record<string, string> = {
  1: 'CnC', 2: 'Bot', 3: 'Spam', 4: 'Drop', 5: 'SpywareCnC', 6: 'OnlineGaming', 7: 'DriveBySrc', 8: 'ChatServer',
  9: 'TorNode', 10: 'Compromised', 11: 'P2P', 12: 'Proxy', 13: 'IPCheck', 14: 'Utility', 15: 'DDoSTarget',
  16: 'Scanner', 17: 'Brute_Forcer', 18: 'FakeAV', 19: 'DynDNS', 20: 'Undesirable', 21: 'AbusedTLD',
  22: 'SelfSignedSSL', 23: 'Blackhole', 24: 'RemoteAccessService', 25: 'P2PCnC', 26: 'Parking', 27: 'VPN',
  28: 'EXE_Source', 29: 'Mobile_CnC', 30: 'Mobile_Spyware_CnC', 31: 'Skype_SuperNode', 32: 'Bitcoin_Related',
  33: 'DDoSAttacker',
};

/** Proofpoint ET: header `ip|domain, category, score, first_seen, last_seen, ports (|)`; the first column is the entry. */
function parseProofPoint(text: string, out: ListBuilder): void {
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = splitCsvLine(line).map((f) => f.trim());
    if (/^(ip|domain)$/i.test(fields[0]!) && /^category$/i.test(fields[1] ?? '')) return;
    if (fields.length < 5) return out.problem(i + 1, `expected "ip, category, score, first_seen, last_seen, ports": ${truncate(line)}`);
    const category = fields[1]!;
    out.add(fields[0]!, i + 1, PROOFPOINT_CATEGORIES[category] ?? (category || undefined));
  });
}

/** FireEye iSIGHT CSV: a header naming ~47 columns; the `ip`, `cidr` and `domain` columns are taken. */
function parseFireEye(text: string, out: ListBuilder): void {
  const all = lines(text);
  const headerIndex = all.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) return;
  const header = splitCsvLine(all[headerIndex]!.trim()).map((c) => c.trim().toLowerCase());
  const columns = ['ip', 'cidr', 'domain'].map((c) => header.indexOf(c)).filter((c) => c >= 0);
  if (columns.length === 0) return out.problem(headerIndex + 1, 'FireEye header has no ip, cidr or domain column');
  const family = header.indexOf('malwarefamily');
  const actor = header.indexOf('actor');
  // Quoted fields may span lines (report titles), so rows are re-joined until their quotes balance.
  let row = '';
  let rowLine = 0;
  for (let i = headerIndex + 1; i < all.length; i++) {
    if (row === '') rowLine = i + 1;
    row = row === '' ? all[i]! : `${row}\n${all[i]}`;
    if ((row.match(/"/g)?.length ?? 0) % 2 === 1) continue;
    const line = row;
    row = '';
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (fields.length < header.length / 2) {
      out.problem(rowLine, `expected ${header.length} columns, found ${fields.length}`);
      continue;
    }
    const values = columns.map((c) => fields[c]?.trim() ?? '').filter((v) => v !== '');
    if (values.length === 0) {
      out.skipped++;
      continue;
    }
    const threatName = (family >= 0 && fields[family]?.trim()) || (actor >= 0 && fields[actor]?.trim()) || undefined;
    for (const value of values) out.add(value, rowLine, threatName);
  }
  if (row !== '') out.problem(rowLine, 'unterminated quoted field');
}

/** Maps character offsets to 1-based line numbers by binary search over the line starts. */
function lineLocator(text: string): (index: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (index) => lastAtOrBelow(starts, index) + 1;
}

function decodeXml(text: string): string {
  return text
    .replace(/^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/, '$1')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/**
 * The smallest set of CIDRs covering an inclusive range of IPv4 (32-bit) or IPv6 (128-bit) addresses, as
 * list entries are written.
 */
function rangeToCidrs(start: bigint, end: bigint, bits: 32 | 128): string[] {
  const format = (address: bigint) => (bits === 32 ? formatIpv4(Number(address)) : formatIpv6(address));
  const cidrs: string[] = [];
  while (start <= end) {
    let hostBits = 0n;
    while (hostBits < BigInt(bits) && ((start >> hostBits) & 1n) === 0n && start + (2n << hostBits) - 1n <= end) hostBits++;
    cidrs.push(hostBits === 0n ? format(start) : `${format(start)}/${bits - Number(hostBits)}`);
    start += 1n << hostBits;
  }
  return cidrs;
}

/** Both ends of a CybOX InclusiveBetween range, IPv4 or IPv6 alike, with the width of their addresses. */
function addressPair(low: string | undefined, high: string | undefined): { start: bigint; end: bigint; bits: 32 | 128 } | undefined {
  if (low === undefined || high === undefined) return undefined;
  const [a4, b4] = [parseIpv4(low), parseIpv4(high)];
  if (a4 !== undefined && b4 !== undefined) return a4 <= b4 ? { start: BigInt(a4), end: BigInt(b4), bits: 32 } : undefined;
  const [a6, b6] = [parseIpv6(low), parseIpv6(high)];
  return a6 !== undefined && b6 !== undefined && a6 <= b6 ? { start: a6, end: b6, bits: 128 } : undefined;
}

const CYBOX_DOMAIN_NS = 'http://cybox.mitre.org/objects#DomainNameObject-1';

/**
 * STIX 1.2 XML: CybOX `Address_Value` (values joined by `##comma##`; two of them with
 * condition="InclusiveBetween" are a range) and DomainNameObject `Value` elements; an enclosing
 * Indicator's Title is the threat name. Read with patterns rather than a full XML parser: these
 * elements hold plain text, and the prefixes are resolved from the document's xmlns declarations.
 */
function parseStix1(text: string, out: ListBuilder): void {
  if (!/<([\w.-]+:)?STIX_Package\b/.test(text) && !/Address_Value|DomainNameObj/.test(text)) {
    return out.problem(1, 'not a STIX 1.2 package (no STIX_Package, Address_Value or DomainNameObject)');
  }
  const lineAt = lineLocator(text);
  const indicators: { start: number; end: number; title?: string }[] = [];
  for (const m of text.matchAll(/<([\w.-]+:)?Indicator\b[^>]*?(?<!\/)>([\s\S]*?)<\/\1?Indicator>/g)) {
    const title = /<([\w.-]+:)?Title\b[^>]*>([\s\S]*?)<\/\1?Title>/.exec(m[2]!)?.[2];
    indicators.push({ start: m.index, end: m.index + m[0].length, title: title ? decodeXml(title).trim() : undefined });
  }
  const indicatorStarts = indicators.map((ind) => ind.start);
  const titleAt = (index: number) => {
    const ind = indicators[lastAtOrBelow(indicatorStarts, index)];
    return ind && index < ind.end ? ind.title : undefined;
  };
  const domainPrefixes = new Set(['DomainNameObj']);
  for (const m of text.matchAll(/xmlns:([\w.-]+)\s*=\s*["']([^"']+)["']/g)) if (m[2] === CYBOX_DOMAIN_NS) domainPrefixes.add(m[1]!);

  const found: { index: number; attrs: string; value: string; domain: boolean }[] = [];
  for (const m of text.matchAll(/<([\w.-]+:)?Address_Value\b([^>]*)>([\s\S]*?)<\/\1?Address_Value>/g)) {
    found.push({ index: m.index, attrs: m[2]!, value: m[3]!, domain: false });
  }
  for (const m of text.matchAll(/<([\w.-]+):Value\b([^>]*)>([\s\S]*?)<\/\1:Value>/g)) {
    if (domainPrefixes.has(m[1]!)) found.push({ index: m.index, attrs: m[2]!, value: m[3]!, domain: true });
  }
  found.sort((a, b) => a.index - b.index);
  for (const { index, attrs, value, domain } of found) {
    const line = lineAt(index);
    const title = titleAt(index);
    const parts = decodeXml(value).split('##comma##').map((p) => p.trim()).filter((p) => p !== '');
    if (!domain && /condition\s*=\s*["']InclusiveBetween["']/.test(attrs)) {
      const range = parts.length === 2 ? addressPair(parts[0], parts[1]) : undefined;
      if (!range) {
        out.problem(line, `InclusiveBetween needs two IPv4 or two IPv6 addresses, low##comma##high: ${truncate(parts.join(' '))}`);
        continue;
      }
      for (const cidr of rangeToCidrs(range.start, range.end, range.bits)) out.add(cidr, line, title);
      continue;
    }
    if (parts.length === 0) out.problem(line, 'empty value');
    for (const part of parts) out.add(part, line, title);
  }
}

interface Stix2Object {
  type?: string;
  id?: string;
  value?: unknown;
  pattern?: unknown;
  pattern_type?: unknown;
  name?: unknown;
  indicator_types?: unknown;
  revoked?: unknown;
  objects?: unknown;
}

/**
 * A comparison of an address or domain: `ipv4-addr:value = '…'` (also ipv6-addr, domain-name, ISSUBSET), or
 * the referenced end of a connection, `network-traffic:dst_ref.value = '…'` (src_ref too), as MISP and other
 * exporters write ip-dst / ip-src. The `…_ref.type = 'ipv4-addr'` comparison beside it needs no reading: the
 * value itself tells an address from a domain.
 */
const STIX2_COMPARISON = /\b(?:(?:ipv4-addr|ipv6-addr|domain-name):value|network-traffic:(?:src|dst)_ref\.value)\s*(?:=|ISSUBSET)\s*'(?<value>(?:[^'\\]|\\.)*)'/g;

/**
 * STIX 2.1 JSON (a bundle, one object or an array): indicators whose pattern compares ipv4-addr, ipv6-addr
 * or domain-name values, or network-traffic src_ref/dst_ref values (OR'd comparisons each give an entry),
 * and ipv4-addr / ipv6-addr / domain-name objects.
 */
function parseStix2(text: string, out: ListBuilder): void {
  const lineAt = lineLocator(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return out.problem(position ? lineAt(Number(position)) : 1, `invalid JSON: ${(error as Error).message}`);
  }
  // JSON.parse keeps no positions; an object's line is where its (unique) id appears.
  const idLines = new Map<string, number>();
  for (const m of text.matchAll(/"id"\s*:\s*"([^"\\]+)"/g)) if (!idLines.has(m[1]!)) idLines.set(m[1]!, lineAt(m.index));
  const objects: unknown[] = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.objects) ? doc.objects : [doc];
  for (const object of objects) {
    if (!isObject(object)) continue;
    const line = (typeof object.id === 'string' && idLines.get(object.id)) || 1;
    if (object.type === 'indicator') {
      if (object.revoked === true) continue;
      if (object.pattern_type !== undefined && object.pattern_type !== 'stix') {
        out.skipped++;
        continue;
      }
      if (typeof object.pattern !== 'string') {
        out.problem(line, 'indicator has no pattern');
        continue;
      }
      const threatName = typeof object.name === 'string' ? object.name
        : Array.isArray(object.indicator_types) && typeof object.indicator_types[0] === 'string' ? object.indicator_types[0] : undefined;
      const comparisons = [...object.pattern.matchAll(STIX2_COMPARISON)];
      if (comparisons.length === 0) out.skipped++;
      for (const { groups } of comparisons) out.add(groups!.value!.replace(/\\(.)/g, '$1'), line, threatName);
    } else if (object.type === 'ipv4-addr' || object.type === 'ipv6-addr' || object.type === 'domain-name') {
      if (typeof object.value === 'string') out.add(object.value, line);
      else out.problem(line, `${object.type} object has no value`);
    }
  }
}

function isObject(value: unknown): value is Stix2Object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
