/**
 * `gumshoe intel update`: downloads the managed feeds (AWS ranges, Tor exits and relays, free threat feeds)
 * into the lake. Each feed stands alone: one that fails is reported and keeps its previous contents.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../sources/input.js';
import { formatIpv6, parseIpv4, parseIpv6 } from './ip.js';
import { type ListEntry, parseList } from './list-formats.js';
import { type FeedDefinition, MANAGED_FEEDS, TOR_EXIT_MARK } from './feeds.js';
import { type AwsPrefix, FETCH_TIMEOUT_MS, getSet, isUserList, readSource, saveSet, sha256 } from './store.js';

const INTEL_BASE_URL_ENV = 'GUMSHOE_INTEL_BASE_URL';

export interface UpdateOptions {
  /** `name=URL` overrides, names as in MANAGED_FEEDS (case-insensitive). */
  sources?: string[];
  /** Replaces every default URL by `${baseUrl}/${feed.file}`; defaults to $GUMSHOE_INTEL_BASE_URL. */
  baseUrl?: string;
  timeoutMs?: number;
  /** Store a feed that shrank below half of its previous size (SHRINK_GUARD) instead of failing it. */
  acceptShrink?: boolean;
}

export interface FeedResult {
  name: string;
  feed: FeedDefinition['feed'];
  url: string;
  ok: boolean;
  /** 0 when the feed says it lists nothing (Feodo's `# END 0 entries`): the set is emptied. */
  entries?: number;
  /** Lines or records that could not be read. */
  problems?: number;
  sha256?: string;
  error?: string;
}

/** The feeds with their URLs after the base URL and `name=URL` overrides. */
export function resolveFeeds(options: UpdateOptions = {}): FeedDefinition[] {
  const base = (options.baseUrl ?? process.env[INTEL_BASE_URL_ENV])?.replace(/\/+$/, '');
  const feeds = MANAGED_FEEDS.map((f) => ({ ...f, url: base ? `${base}/${f.file}` : f.url }));
  for (const spec of options.sources ?? []) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq).trim();
    const url = spec.slice(eq + 1).trim();
    const feed = feeds.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (eq < 1 || !feed) {
      throw new UserError(`--source expects NAME=URL with NAME one of ${MANAGED_FEEDS.map((f) => f.name).join(', ')}; got '${spec}'`);
    }
    if (!/^https?:\/\//i.test(url)) throw new UserError(`--source ${name}: '${url}' is not an http(s) URL`);
    feed.url = url;
  }
  return feeds;
}

interface FeedContent {
  entries: ListEntry[];
  awsRanges?: AwsPrefix[];
  problems: number;
  /** The feed states how many entries it holds and that many were read: complete, however small. */
  sizeConfirmed?: boolean;
}

/** AWS's ip-ranges.json: `prefixes[].ip_prefix` and `ipv6_prefixes[].ipv6_prefix`, with region and service. */
export function parseAwsIpRanges(text: string): FeedContent {
  let doc: { prefixes?: unknown; ipv6_prefixes?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(doc?.prefixes)) throw new Error('no "prefixes" array: not an ip-ranges.json document');
  const ranges: AwsPrefix[] = [];
  let problems = 0;
  const take = (items: unknown, key: 'ip_prefix' | 'ipv6_prefix') => {
    for (const item of Array.isArray(items) ? items : []) {
      const p = item as Record<string, unknown>;
      if (typeof p[key] !== 'string' || typeof p.region !== 'string' || typeof p.service !== 'string') {
        problems++;
        continue;
      }
      ranges.push({
        prefix: p[key],
        region: p.region,
        service: p.service,
        ...(typeof p.network_border_group === 'string' ? { networkBorderGroup: p.network_border_group } : {}),
      });
    }
  };
  take(doc.prefixes, 'ip_prefix');
  take(doc.ipv6_prefixes, 'ipv6_prefix');
  return { entries: [], awsRanges: ranges, problems };
}

/**
 * Onionoo relay details: `relays[].or_addresses` as `ip:port` or `[ipv6]:port`, every address kept. A relay
 * with the `Exit` flag (`flags`) is an exit: its addresses are marked TOR_EXIT_MARK. The bulk exit list
 * (TorExitNodes) holds IPv4 only, so these marks are what finds Tor exits over IPv6. An address shared by
 * several relays (one host, several ports) is an exit when any of them is.
 */
export function parseOnionooRelays(text: string): FeedContent {
  let doc: { relays?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(doc?.relays)) throw new Error('no "relays" array: not an onionoo details document');
  /** Address → whether a relay there is an exit. */
  const relays = new Map<string, boolean>();
  let problems = 0;
  for (const relay of doc.relays as { or_addresses?: unknown; flags?: unknown }[]) {
    const exit = Array.isArray(relay?.flags) && relay.flags.includes('Exit');
    for (const address of Array.isArray(relay?.or_addresses) ? relay.or_addresses : []) {
      const ip = typeof address === 'string' ? relayAddress(address) : undefined;
      if (ip === undefined) problems++;
      else relays.set(ip, exit || relays.get(ip) === true);
    }
  }
  return { entries: [...relays].map(([value, exit]) => ({ kind: 'ip', value, ...(exit ? { threatName: TOR_EXIT_MARK } : {}) })), problems };
}

/** The address of an OR address, `198.51.100.7:9001` or `[2001:db8::7]:9001` (IPv6 in RFC 5952 text); undefined when malformed. */
function relayAddress(orAddress: string): string | undefined {
  const colon = orAddress.lastIndexOf(':');
  const host = orAddress.slice(0, colon);
  if (!/^\d{1,5}$/.test(orAddress.slice(colon + 1))) return undefined;
  if (host.startsWith('[') && host.endsWith(']')) {
    const v6 = parseIpv6(host.slice(1, -1));
    return v6 === undefined ? undefined : formatIpv6(v6);
  }
  return parseIpv4(host) === undefined ? undefined : host;
}

/** Feodo Tracker's last line, `# END 3 entries`: how many entries the list holds. */
const DECLARED_SIZE = /^#\s*END\s+(\d+)\s+entr(?:y|ies)\b/im;

/**
 * A one-entry-per-line feed. Every line of a complete download ends with a line break: a last data line
 * without one was cut off in transit, and fails the feed. A feed that states its size must hold that many
 * lines of entries (or malformed ones); then it is complete even when empty.
 */
export function parseTxtFeed(text: string, threatName?: string): FeedContent {
  const last = text.slice(text.lastIndexOf('\n') + 1).trim();
  if (last !== '' && !last.startsWith('#')) throw new Error(`cut off: the last line, '${last.slice(0, 40)}', has no line end`);
  const parsed = parseList(text, 'TXT');
  const declared = DECLARED_SIZE.exec(text)?.[1];
  const read = parsed.entries.length + parsed.problems.length;
  if (declared !== undefined && Number(declared) !== read) throw new Error(`incomplete: the feed says it holds ${declared} entries, ${read} were read`);
  const entries = threatName ? parsed.entries.map((e) => ({ ...e, threatName })) : parsed.entries;
  return { entries, problems: parsed.problems.length, sizeConfirmed: declared !== undefined };
}

function parseFeed(feed: FeedDefinition, text: string): FeedContent {
  if (feed.feed === 'aws-ranges') return parseAwsIpRanges(text);
  if (feed.feed === 'tor-relay') return parseOnionooRelays(text);
  return parseTxtFeed(text, feed.threatName);
}

/**
 * A download that leaves fewer than half the entries of the set it replaces is taken for a partial one
 * (a mirror mid-sync, a feed published half-written) unless the feed confirms its size. Sets below
 * `minimum` entries are not guarded: a handful of entries come and go.
 */
export const SHRINK_GUARD = { fraction: 0.5, minimum: 20 };

function shrinkage(previous: number | undefined, count: number): string | undefined {
  if (previous === undefined || previous < SHRINK_GUARD.minimum || count >= previous * SHRINK_GUARD.fraction) return undefined;
  return `shrank from ${previous} to ${count} entries (below half), which looks like a partial download; previous contents kept (--accept-shrink stores it)`;
}

/**
 * Downloads every feed in parallel, then stores those that downloaded and parsed whole: with at least one
 * entry, or none when the feed says so; and not shrunk past SHRINK_GUARD unless `acceptShrink`.
 */
export async function updateIntel(connection: DuckDBConnection, options: UpdateOptions = {}): Promise<FeedResult[]> {
  const feeds = resolveFeeds(options);
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const downloads = await Promise.allSettled(feeds.map((f) => readSource(f.url, true, timeoutMs)));
  const results: FeedResult[] = [];
  for (const [i, feed] of feeds.entries()) {
    const base = { name: feed.name, feed: feed.feed, url: feed.url };
    const download = downloads[i]!;
    if (download.status === 'rejected') {
      results.push({ ...base, ok: false, error: (download.reason as Error).message });
      continue;
    }
    try {
      const content = parseFeed(feed, download.value.toString('utf8'));
      const count = content.awsRanges?.length ?? content.entries.length;
      if (count === 0 && !content.sizeConfirmed) throw new Error(`no entries in ${feed.url} (${content.problems} unreadable)`);
      const existing = await getSet(connection, feed.name);
      // Lakes from before feed names were reserved may hold a user list under one.
      if (existing && isUserList(existing)) throw new Error(`a list you added is named ${feed.name}; rename it to update this feed`);
      const shrunk = content.sizeConfirmed || options.acceptShrink ? undefined : shrinkage(existing?.entries, count);
      if (shrunk) throw new Error(shrunk);
      const hash = sha256(download.value);
      const role = feed.feed === 'managed' ? 'threat' : 'reference';
      const format = feed.feed === 'aws-ranges' || feed.feed === 'tor-relay' ? 'JSON' : 'TXT';
      // A feed the user deactivated stays deactivated across updates.
      const set = await saveSet(connection, { name: feed.name, role, feed: feed.feed, format, source: feed.url, sha256: hash, ...content }, existing?.active ?? true);
      results.push({ ...base, ok: true, entries: set.entries, problems: content.problems, sha256: hash });
    } catch (error) {
      results.push({ ...base, ok: false, error: (error as Error).message });
    }
  }
  return results;
}
