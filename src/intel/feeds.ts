/**
 * The managed feeds `gumshoe intel update` downloads. Their names are reserved: no list a user adds may take
 * one (store.ts nameClash).
 */
import type { IntelFeed, UserFeed } from './store.js';
import type { ThreatCategory } from './threat-categories.js';

export interface FeedDefinition {
  /** The set name in the lake, and the name `--source name=URL` uses. */
  name: string;
  feed: Exclude<IntelFeed, UserFeed>;
  url: string;
  /** File name under GUMSHOE_INTEL_BASE_URL, which replaces every default URL (mirrors, tests). */
  file: string;
  /** For threat feeds: what their entries are, stored as ThreatMatch.threatName. */
  threatName?: ThreatCategory;
}

export const MANAGED_FEEDS: readonly FeedDefinition[] = [
  { name: 'AwsIpRanges', feed: 'aws-ranges', url: 'https://ip-ranges.amazonaws.com/ip-ranges.json', file: 'ip-ranges.json' },
  { name: 'TorExitNodes', feed: 'tor-exit', url: 'https://check.torproject.org/torbulkexitlist', file: 'torbulkexitlist' },
  {
    name: 'TorRelays',
    feed: 'tor-relay',
    url: 'https://onionoo.torproject.org/details?type=relay&running=true&fields=or_addresses,flags',
    file: 'onionoo-relays.json',
  },
  {
    name: 'Feodo',
    feed: 'managed',
    url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.txt',
    file: 'feodo-ipblocklist.txt',
    threatName: 'CommandAndControl',
  },
  {
    name: 'EmergingThreats',
    feed: 'managed',
    url: 'https://rules.emergingthreats.net/blockrules/compromised-ips.txt',
    file: 'compromised-ips.txt',
    threatName: 'Malicious',
  },
];

/**
 * The threat_name of TorRelays entries whose relay has the Exit flag: loadIntel counts them as exits too.
 * The bulk exit list holds IPv4 only; these give the IPv6 exits.
 */
export const TOR_EXIT_MARK = 'Exit';
