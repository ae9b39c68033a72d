/** Builds the IntelLookup detections use from the lake's active intel sets and the offline geo data. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BUILTIN_DOMAIN_THREATS } from './builtin-domains.js';
import { TOR_EXIT_MARK } from './feeds.js';
import { type Geo, packageGeo } from './geo.js';
import type { IntelLookup, ThreatMatch } from './lookup.js';
import { buildLookup, type IntelData } from './matcher.js';
import { hasIntelTables } from './store.js';

export async function loadIntel(connection: DuckDBConnection, geo: Geo = packageGeo()): Promise<IntelLookup> {
  return buildLookup({ ...(await loadIntelData(connection)), geo });
}

/** The lake's active intel sets as data (what a detection worker thread builds its own lookup from). */
export async function loadIntelData(connection: DuckDBConnection): Promise<Omit<IntelData, 'geo'>> {
  const data: Omit<IntelData, 'geo'> = { threats: [...BUILTIN_DOMAIN_THREATS], trusted: [], torExits: [], torRelays: [], awsRanges: [] };
  if (!(await hasIntelTables(connection))) return data;

  // Column-wise reads: a 250k-entry list would otherwise build 250k row objects.
  const entries = (await connection.runAndReadAll(`
    SELECT s.name, s.role, s.feed, s.sha256, e.kind, e.value, e.threat_name
    FROM intel_entries e JOIN intel_sets s ON s.name = e.set_name
    WHERE s.active`)).getColumnsObjectJS();
  const count = entries.name?.length ?? 0;
  const matches = new Map<string, ThreatMatch>();
  for (let i = 0; i < count; i++) {
    const feed = entries.feed![i] as string;
    const kind = entries.kind![i] as 'ip' | 'cidr' | 'domain';
    const value = entries.value![i] as string;
    if (feed === 'tor-exit') data.torExits.push(value);
    else if (feed === 'tor-relay') {
      data.torRelays.push(value);
      // Relays with the Exit flag: the exits the bulk exit list (IPv4 only) does not give, IPv6 ones above all.
      if (entries.threat_name![i] === TOR_EXIT_MARK) data.torExits.push(value);
    } else if (entries.role![i] === 'trusted') data.trusted.push({ kind, value });
    else if (entries.role![i] === 'threat') {
      const listName = entries.name![i] as string;
      const threatName = entries.threat_name![i] as string | null;
      // Entries of one list with the same threat name share one match object.
      const key = `${listName}\u0000${threatName ?? ''}`;
      let match = matches.get(key);
      if (!match) {
        const sha256 = entries.sha256![i] as string | null;
        match = { listName, custom: feed === 'custom', ...(threatName ? { threatName } : {}), ...(sha256 ? { fileSha256: sha256 } : {}) };
        matches.set(key, match);
      }
      data.threats.push({ kind, value, match });
    }
  }

  const ranges = (await connection.runAndReadAll(`
    SELECT r.prefix, r.region, r.service
    FROM intel_aws_ranges r JOIN intel_sets s ON s.name = r.set_name
    WHERE s.active`)).getRowObjectsJS();
  data.awsRanges = ranges.map((r) => ({ prefix: String(r.prefix), region: String(r.region), service: String(r.service) }));
  return data;
}
