import type { DuckDBConnection } from '@duckdb/node-api';
import type { StaticIntelSpec } from '../intel/static.js';
import { type IntelFeed, type IntelRole, saveSet } from '../intel/store.js';
import type { ListEntry } from '../intel/list-formats.js';

/**
 * The threat intel a simulation relies on: the scenarios' threat and trusted lists, Tor nodes and AWS
 * ranges, merged into one spec (written to intel/intel.json) and loaded into a lake as the sets a user
 * would have (uploaded lists as custom sets, feeds as managed ones).
 */
export function mergeIntel(specs: StaticIntelSpec[], backgroundAwsCidrs: string[]): StaticIntelSpec {
  const unique = <T>(items: T[], key: (item: T) => string) => [...new Map(items.map((item) => [key(item), item])).values()];
  const merged: StaticIntelSpec = {
    threatIps: unique(specs.flatMap((s) => s.threatIps ?? []), (t) => `${t.ip}|${t.listName ?? ''}|${t.custom ?? true}`),
    threatDomains: unique(specs.flatMap((s) => s.threatDomains ?? []), (d) => JSON.stringify(d)),
    trustedIps: unique(specs.flatMap((s) => s.trustedIps ?? []), (ip) => ip),
    trustedDomains: unique(specs.flatMap((s) => s.trustedDomains ?? []), (domain) => domain),
    torExits: unique(specs.flatMap((s) => s.torExits ?? []), (ip) => ip),
    torRelays: unique(specs.flatMap((s) => s.torRelays ?? []), (ip) => ip),
    awsIps: unique(specs.flatMap((s) => s.awsIps ?? []), (ip) => ip),
  };
  // Published AWS ranges replace the ASN fallback, so they must cover the background's AWS addresses too.
  if (merged.awsIps!.length) merged.awsIps = [...merged.awsIps!, ...backgroundAwsCidrs];
  return merged;
}

const TEST_LIST = 'TestThreatList';
const ipEntry = (ip: string, threatName?: string): ListEntry => ({ kind: ip.includes('/') ? 'cidr' : 'ip', value: ip, ...(threatName ? { threatName } : {}) });

export async function loadSimulatedIntel(connection: DuckDBConnection, spec: StaticIntelSpec): Promise<void> {
  const sets = new Map<string, { role: IntelRole; feed: IntelFeed; entries: ListEntry[] }>();
  const add = (name: string, role: IntelRole, feed: IntelFeed, entry: ListEntry) => {
    const set = sets.get(name) ?? { role, feed, entries: [] };
    set.entries.push(entry);
    sets.set(name, set);
  };
  // A managed feed and an uploaded list may share a name in the scenarios; in a lake they are two sets.
  const threatSet = (listName: string | undefined, custom: boolean | undefined) => `${listName ?? TEST_LIST}${(custom ?? true) ? '' : 'Feed'}`;
  for (const t of spec.threatIps ?? []) add(threatSet(t.listName, t.custom), 'threat', (t.custom ?? true) ? 'custom' : 'managed', ipEntry(t.ip, t.threatName));
  for (const d of spec.threatDomains ?? []) {
    if (typeof d === 'string') add(TEST_LIST, 'threat', 'custom', { kind: 'domain', value: d });
    else add(threatSet(d.listName, d.custom), 'threat', (d.custom ?? true) ? 'custom' : 'managed', { kind: 'domain', value: d.domain, ...(d.threatName ? { threatName: d.threatName } : {}) });
  }
  for (const ip of spec.trustedIps ?? []) add('SimulationTrustedIPs', 'trusted', 'custom', ipEntry(ip));
  for (const domain of spec.trustedDomains ?? []) add('SimulationTrustedDomains', 'trusted', 'custom', { kind: 'domain', value: domain });
  for (const ip of spec.torExits ?? []) add('TorExitNodes', 'reference', 'tor-exit', ipEntry(ip));
  for (const ip of spec.torRelays ?? []) add('TorRelays', 'reference', 'tor-relay', ipEntry(ip));
  for (const [name, set] of sets) await saveSet(connection, { name, ...set, problems: 0, source: 'gumshoe simulate' });
  if (spec.awsIps?.length) {
    await saveSet(connection, {
      name: 'AwsIpRanges',
      role: 'reference',
      feed: 'aws-ranges',
      problems: 0,
      entries: [],
      source: 'gumshoe simulate',
      awsRanges: spec.awsIps.map((ip) => ({ prefix: ip.includes('/') ? ip : `${ip}/32`, region: 'us-east-1', service: 'EC2' })),
    });
  }
}
