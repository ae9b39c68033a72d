/** An IntelLookup from plain arrays, for tests: no lake needed, real geo data when it is installed. */
import { packageGeo } from './geo.js';
import type { IntelLookup } from './lookup.js';
import { buildLookup } from './matcher.js';

export interface StaticIntelSpec {
  /** IPv4 addresses or CIDRs; listName defaults to 'TestThreatList', custom to true. */
  threatIps?: { ip: string; listName?: string; custom?: boolean }[];
  /** Domains or `*.parent` wildcards, on a custom list named 'TestThreatList'. */
  threatDomains?: string[];
  trustedIps?: string[];
  torExits?: string[];
  /** Addresses or CIDRs inside AWS (region 'us-east-1', service 'EC2'); when absent, Amazon's ASNs count as AWS. */
  awsIps?: string[];
}

const TEST_LIST = 'TestThreatList';

export function staticIntel(spec: StaticIntelSpec = {}): IntelLookup {
  return buildLookup({
    threats: [
      ...(spec.threatIps ?? []).map((t) => ({
        kind: t.ip.includes('/') ? ('cidr' as const) : ('ip' as const),
        value: t.ip,
        match: { listName: t.listName ?? TEST_LIST, custom: t.custom ?? true },
      })),
      ...(spec.threatDomains ?? []).map((d) => ({ kind: 'domain' as const, value: d, match: { listName: TEST_LIST, custom: true } })),
    ],
    trusted: (spec.trustedIps ?? []).map((ip) => ({ kind: ip.includes('/') ? ('cidr' as const) : ('ip' as const), value: ip })),
    torExits: spec.torExits ?? [],
    torRelays: [],
    awsRanges: (spec.awsIps ?? []).map((prefix) => ({ prefix, region: 'us-east-1', service: 'EC2' })),
    geo: packageGeo(),
  });
}
