/** An IntelLookup from plain arrays, for tests: no lake needed, real geo data when it is installed. */
import { BUILTIN_DOMAIN_THREATS } from './builtin-domains.js';
import { packageGeo } from './geo.js';
import type { IntelLookup } from './lookup.js';
import { buildLookup } from './matcher.js';

export interface StaticIntelSpec {
  /** IPv4 or IPv6 addresses or CIDRs; listName defaults to 'TestThreatList', custom to true. */
  threatIps?: { ip: string; listName?: string; custom?: boolean; threatName?: string }[];
  /**
   * Domains or `*.parent` wildcards, on a custom list named 'TestThreatList' unless an entry says otherwise
   * (listName defaults to 'TestThreatList', custom to true).
   */
  threatDomains?: (string | { domain: string; listName?: string; custom?: boolean; threatName?: string })[];
  trustedIps?: string[];
  /** Domains or `*.parent` wildcards on a trusted entity list. */
  trustedDomains?: string[];
  torExits?: string[];
  /** Tor relays (any role, exits included, as the onionoo feed lists them). */
  torRelays?: string[];
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
        match: { listName: t.listName ?? TEST_LIST, custom: t.custom ?? true, ...(t.threatName ? { threatName: t.threatName } : {}) },
      })),
      ...(spec.threatDomains ?? []).map((d) => {
        const { domain, listName, custom, threatName } = typeof d === 'string' ? { domain: d } : d;
        return { kind: 'domain' as const, value: domain, match: { listName: listName ?? TEST_LIST, custom: custom ?? true, ...(threatName ? { threatName } : {}) } };
      }),
      ...BUILTIN_DOMAIN_THREATS,
    ],
    trusted: [
      ...(spec.trustedIps ?? []).map((ip) => ({ kind: ip.includes('/') ? ('cidr' as const) : ('ip' as const), value: ip })),
      ...(spec.trustedDomains ?? []).map((domain) => ({ kind: 'domain' as const, value: domain })),
    ],
    torExits: spec.torExits ?? [],
    torRelays: spec.torRelays ?? [],
    awsRanges: (spec.awsIps ?? []).map((prefix) => ({ prefix, region: 'us-east-1', service: 'EC2' })),
    geo: packageGeo(),
  });
}
