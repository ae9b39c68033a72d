import { reputationProbe, type ReputationVerdict } from '../../intel/builtin-domains.js';
import type { ThreatMatch } from '../../intel/lookup.js';
import { threatCategory } from '../../intel/threat-categories.js';
import type { DnsDetection, FindingTypeSpec, NetworkCase, NetworkDetectionContext } from '../detection.js';
import type { DnsEvent } from '../network-event.js';
import { DAY, MINUTE, persistedTable } from '../network/flow-windows.js';
import { after, nov, querySeries, resolved } from './dns-cases.js';
import { dnsQuery } from '../network-records.js';
import { type DomainName, dnsAction, domainName, domainThreats, findingDomain, isIdn, labelRandomness, C2_MITRE, dnsTypeSpec } from './domain-names.js';
import { DGA_FAMILIES, dgaNames } from './name-samples.js';

/**
 * The four domain-reputation types (guardduty.md §2.4 #3, 4, 6, 7). GuardDuty's reputation model is not
 * published; this is Gumshoe's, over what the logs show. Per account, every owner-chosen domain
 * (domain-names.ts: the registered domain, or the name under a dynamic-DNS/free-hosting provider) gets a
 * record of when it was first seen, its queries and its NXDOMAIN answers. The account's learning period
 * (settings.learningDays from its first DNS record) only fills these records.
 *
 * A domain is new while it was first seen after the learning period and less than newForMs (24 h) ago.
 * For a new domain the reputation risk is
 *
 *     risk = 0.45·R + 0.30·A + 0.25·N
 *
 * - R, randomness: the trigram model's score for its label (0 at the median of real names, 1 at the
 *   DGA threshold for its length), clipped to [0, 1];
 * - A, abused infrastructure: 1 under a dynamic-DNS or free-hosting/tunnel provider, 0.2 on one of the
 *   most abused TLDs (domain-names.ts lists them with their sources), else 0;
 * - N, failure: the share of the domain's queries answered NXDOMAIN, once it has at least minQueries (3).
 *
 * Types, checked in this order (one per query):
 * - Impact:EC2/BitcoinDomainRequest.Reputation (High): a name of a mining pool (a pool brand, a mining
 *   keyword with a coin, or a Monero/stratum token); new or not, since workloads have no business there.
 * - Impact:EC2/MaliciousDomainRequest.Reputation (High): a managed list's generic (Malicious/Scanner)
 *   entry, new or not; or a new domain with risk ≥ maliciousRisk 0.75 (a generated-looking name under a
 *   provider; on an abused TLD, one that also always fails).
 * - Impact:EC2/AbusedDomainRequest.Reputation (Medium): a new domain with A > 0 and risk ≥ abusedRisk 0.3
 *   (any new name under a provider; on an abused TLD only with R ≥ 0.53, which ~4% of real names reach).
 * - Impact:EC2/SuspiciousDomainRequest.Reputation (Low): a new domain with risk ≥ suspiciousRisk 0.5 (a
 *   generated-looking name that also fails, or a random-ish one that mostly fails).
 * The GuardDuty tester's `*-rep.guarddutyc2activityb.com` probes (builtin-domains.ts) raise their type
 * directly. One finding per instance, type and domain (findingDomain); trusted entity list names raise nothing (runner).
 * Queries Route 53 Resolver DNS Firewall blocked are left out: the account's own policy already judged the
 * domain and no connection followed (a listed domain still raises its threat-intel type, blocked or not).
 */
const TYPES = {
  Abused: 'Impact:EC2/AbusedDomainRequest.Reputation',
  Bitcoin: 'Impact:EC2/BitcoinDomainRequest.Reputation',
  Malicious: 'Impact:EC2/MaliciousDomainRequest.Reputation',
  Suspicious: 'Impact:EC2/SuspiciousDomainRequest.Reputation',
} as const satisfies Record<ReputationVerdict, string>;

export const REPUTATION = {
  newForMs: 24 * 60 * MINUTE,
  minQueries: 3,
  weights: { randomness: 0.45, infrastructure: 0.3, failure: 0.25 },
  infrastructure: { provider: 1, abusedTld: 0.2 },
  maliciousRisk: 0.75,
  abusedRisk: 0.3,
  suspiciousRisk: 0.5,
} as const;
/** Domains remembered per run across accounts; the least recently queried go first. */
const MAX_DOMAINS = 50_000;

/** Mining pools and in-browser miners (pool operators' own domains). */
const POOL_BRANDS = new Set([
  'nicehash', 'minexmr', 'supportxmr', 'moneroocean', 'nanopool', 'f2pool', 'ethermine', '2miners', 'hashvault', 'c3pool', 'herominers',
  'unmineable', 'miningpoolhub', 'antpool', 'viabtc', 'poolin', 'kryptex', 'zpool', 'prohashing', 'flexpool', 'hiveon', 'woolypooly',
  'xmrpool', 'dwarfpool', 'minergate', 'slushpool', 'braiins', 'coinhive', 'crypto-loot', 'coinimp', 'webminepool', 'p2pool',
]);
const COIN_TOKENS = new Set(['xmr', 'monero', 'btc', 'bitcoin', 'eth', 'etc', 'ltc', 'rvn', 'zec', 'doge', 'kas', 'erg', 'coin', 'crypto']);
const POOL_TOKENS = new Set(['pool', 'mine', 'miner', 'mining', 'stratum', 'hash', 'solo']);
/** Tokens that are about mining on their own (pool.ntp.org has `pool`, but no coin). */
const MINING_TOKENS = new Set(['xmr', 'monero', 'stratum', 'xmrig', 'cryptonight', 'randomx']);

/** Time-service tokens: NTP servers name their stratum (`stratum-1.ntp.example.edu`), mining pools do not say ntp. */
const TIME_TOKENS = new Set(['ntp', 'time', 'clock', 'gps', 'ptp']);

/**
 * Pool operators run words together in their own label (`moneropools`, `litecoinpool`, `xmrminerpro`,
 * `hash-to-coins`). Only the owner-chosen label is searched, never a CDN's or cloud's hashed subdomains, and
 * only with words that do not turn up inside ordinary ones (not `eth`, `mine`: `ethernet`, `minecraft`).
 */
const COIN_WORDS = ['xmr', 'monero', 'coin', 'crypto'];
const POOL_WORDS = ['pool', 'miner', 'mining', 'hash'];
const MINING_WORDS = ['xmr', 'monero', 'cryptonight'];

function miningLabel(label: string): boolean {
  if (POOL_BRANDS.has(label) || MINING_WORDS.some((w) => label.includes(w))) return true;
  return COIN_WORDS.some((w) => label.includes(w)) && POOL_WORDS.some((w) => label.includes(w));
}

function miningName(name: DomainName): boolean {
  if (name.label !== null && miningLabel(name.label)) return true;
  const tokens = name.name.split(/[.-]/);
  const timeService = tokens.some((t) => TIME_TOKENS.has(t));
  if (tokens.some((t) => MINING_TOKENS.has(t) && !(t === 'stratum' && timeService))) return true;
  return tokens.some((t) => POOL_TOKENS.has(t)) && tokens.some((t) => COIN_TOKENS.has(t));
}

const miningCache = new WeakMap<DomainName, boolean>();

/** A mining pool's or miner's name; remembered with the (cached) parsed name. */
export function isMiningName(name: DomainName): boolean {
  let mining = miningCache.get(name);
  if (mining === undefined) miningCache.set(name, (mining = miningName(name)));
  return mining;
}

/** An owner-chosen domain's record in one account: first seen, queries, NXDOMAIN answers. */
interface Seen {
  f: number;
  q: number;
  x: number;
}
const seenTable = persistedTable<Seen>('domains', MAX_DOMAINS);
/** Each account's first DNS record time, where its learning period starts (a handful of accounts). */
const accountStarts = (context: NetworkDetectionContext) => context.state<Record<string, number>>('accounts', () => ({}));

export interface Risk {
  risk: number;
  randomness: number;
  infrastructure: number;
  failure: number;
}

export function riskOf(name: DomainName, seen: Seen): Risk {
  const score = labelRandomness(name.label!)?.score ?? 0;
  const randomness = isIdn(name.label!) ? 0 : Math.min(1, Math.max(0, score));
  const infrastructure = name.providerKind ? REPUTATION.infrastructure.provider : name.abusedTld ? REPUTATION.infrastructure.abusedTld : 0;
  const failure = seen.q >= REPUTATION.minQueries ? seen.x / seen.q : 0;
  const w = REPUTATION.weights;
  const risk = w.randomness * randomness + w.infrastructure * infrastructure + w.failure * failure;
  return { risk: round(risk), randomness: round(randomness), infrastructure, failure: round(failure) };
}

const round = (n: number) => Math.round(n * 100) / 100;

function verdictOf(risk: Risk): ReputationVerdict | undefined {
  if (risk.risk >= REPUTATION.maliciousRisk) return 'Malicious';
  // Abused is about the name and where it sits: a dead name that keeps failing (an expired .xyz in a stale
  // config) has connected to nothing, so failures do not count towards it.
  const nameRisk = round(risk.risk - REPUTATION.weights.failure * risk.failure);
  if (risk.infrastructure > 0 && nameRisk >= REPUTATION.abusedRisk) return 'Abused';
  if (risk.risk >= REPUTATION.suspiciousRisk) return 'Suspicious';
  return undefined;
}

/** A managed list's generic entry, or a tester reputation probe: the verdict and its evidence. */
function listedVerdict(query: DnsEvent, context: NetworkDetectionContext): { verdict: ReputationVerdict; threat: ThreatMatch } | undefined {
  for (const threat of domainThreats(context.intel, query.queryName)) {
    const probe = reputationProbe(threat);
    if (probe) return { verdict: probe, threat };
    if (!threat.custom && ['Malicious', 'Scanner'].includes(threatCategory(threat.threatName))) return { verdict: 'Malicious', threat };
  }
  return undefined;
}

function emit(context: NetworkDetectionContext, query: DnsEvent, verdict: ReputationVerdict, risk?: Risk, threat?: ThreatMatch): void {
  context.emit({
    type: TYPES[verdict],
    event: query,
    action: dnsAction(query),
    resourceRole: 'ACTOR',
    aggregateBy: findingDomain(query.queryName),
    domain: query.queryName,
    ...(threat ? { threat } : {}),
    additionalInfo: { domain: query.queryName, ...(risk ? { reputation: risk } : {}) },
    vars: { risk: risk?.risk ?? 'n/a' },
  });
}

function spec(type: string, severity: number, mitre: FindingTypeSpec['mitre'], what: string, why: string): FindingTypeSpec {
  return dnsTypeSpec(type, severity, mitre, {
    title: `EC2 instance {instance} queried ${what}.`,
    description: `EC2 instance {instance} queried {domain}, ${why} (reputation risk {risk}).`,
    remediation:
      'Check which process resolved the name and what it connected to. If the lookup is not explained by a known application, investigate the instance for compromise; if it is expected, add the domain to a trusted entity list.',
  });
}

const TYPE_SPECS: FindingTypeSpec[] = [
  spec(TYPES.Abused, 5, { tactic: 'TA0011 Command and Control', technique: 'T1568 Dynamic Resolution' }, 'a low reputation domain name on abused infrastructure', 'a newly seen name on infrastructure attackers commonly abuse (dynamic DNS, free hosting and tunnels, abused TLDs)'),
  spec(TYPES.Bitcoin, 8, { tactic: 'TA0040 Impact', technique: 'T1496 Resource Hijacking' }, 'a low reputation domain name related to cryptocurrency', 'a name of a cryptocurrency mining pool or miner'),
  spec(TYPES.Malicious, 8, C2_MITRE, 'a low reputation domain name associated with known malicious infrastructure', 'a name listed as malicious or one that looks generated and sits on abused infrastructure or mostly fails to resolve'),
  spec(TYPES.Suspicious, 2, C2_MITRE, 'a suspicious domain name', 'a newly seen name whose shape and answers look suspicious but match no known threat'),
];

const start = nov(6, '00:00:00');
const learned = (names: string[]) => querySeries(names, start, 60, { answers: [['A', '192.0.2.10']] });
/** Eight days of an account's ordinary lookups, then the case's own queries: the learning period is over. */
const afterLearning = (seconds: number) => after(start, 8 * 86_400 + seconds);
const EVERYDAY = ['amazonlinux-2-repos-us-east-1.s3.dualstack.us-east-1.amazonaws.com', 'registry.npmjs.org', 'github.com', 'api.datadoghq.com', 'myhomelab.duckdns.org'];

const cases = (): NetworkCase[] => [
  ...(
    [
      ['abused-rep', TYPES.Abused],
      ['crypto-rep', TYPES.Bitcoin],
      ['malicious-rep', TYPES.Malicious],
      ['suspicious-rep', TYPES.Suspicious],
    ] as const
  ).map(([probe, type]) => ({
    name: `GuardDuty tester: ${probe}.guarddutyc2activityb.com (built-in probe)`,
    dns: [resolved(`${probe}.guarddutyc2activityb.com`, nov(6, '10:00:00'), '203.0.113.80')],
    expect: [type],
  })),
  {
    name: 'an XMRig miner connects to a Monero pool',
    dns: querySeries(['gulf.moneroocean.stream', 'pool.supportxmr.com', 'xmr-eu1.nanopool.org'], start, 30, { answers: [['A', '203.0.113.120']] }),
    expect: [TYPES.Bitcoin],
  },
  ...['pool.moneropools.com', 'stratum.litecoinpool.org', 'xmrminerpro.com', 'hash-to-coins.com', 'pool.cryptonotepool.org'].map((name) => ({
    name: `a miner reaches a pool whose own label runs words together: ${name}`,
    dns: [resolved(name, start, '203.0.113.121')],
    expect: [TYPES.Bitcoin],
  })),
  {
    name: 'names with a coin or pool word alone, or mining words only in a hashed or AWS subdomain',
    dns: querySeries(
      ['www.coinbase.com', 'api.coingecko.com', 'releases.hashicorp.com', 'www.poolcorp.com', 'cryptography.io', 'xmr4k2p9.cloudfront.net', 'minecraft.net', 'ethernet.example.org', 'pool.ntp.org'],
      start,
      30,
      { answers: [['A', '192.0.2.78']] },
    ),
    expect: [],
  },
  {
    name: 'a domain on a managed list without a specific category',
    dns: [resolved('cdn.adsmartupdate.com', start)],
    intel: { threatDomains: [{ domain: 'cdn.adsmartupdate.com', listName: 'ManagedFeed', custom: false, threatName: 'Malicious Host' }] },
    expect: [TYPES.Malicious],
  },
  {
    name: 'after learning, a new generated-looking name on a dynamic-DNS provider',
    dns: [...learned(EVERYDAY), dnsQuery({ name: 'kqzvxwhtrplmf.ddns.net', time: afterLearning(0), answers: [['A', '203.0.113.66']] })],
    expect: [TYPES.Malicious],
  },
  {
    name: 'after learning, a new generated-looking name on an abused TLD',
    dns: [...learned(EVERYDAY), resolved('wvkxqzprtbhmly.top', afterLearning(0), '203.0.113.68')],
    expect: [TYPES.Abused],
  },
  {
    name: 'after learning, a new name under a tunnelling service (trycloudflare)',
    dns: [...learned(EVERYDAY), resolved('granted-pictures-stan-mirror.trycloudflare.com', afterLearning(0), '203.0.113.67')],
    expect: [TYPES.Abused],
  },
  {
    name: 'after learning, a new generated-looking .com that keeps failing',
    dns: [...learned(EVERYDAY), ...querySeries(new Array<string>(4).fill('xkqwbrmvtplzdh.com'), afterLearning(0), 60, { rcode: 'NXDOMAIN' })],
    expect: [TYPES.Suspicious],
  },
  {
    name: 'during learning nothing new is judged (an account’s first week)',
    dns: [...learned(EVERYDAY), resolved('granted-pictures-stan-mirror.trycloudflare.com', after(start, 3600), '203.0.113.67'), ...querySeries(dgaNames(DGA_FAMILIES[0]!, 3, 4), after(start, 4000), 5, { rcode: 'NXDOMAIN' })],
    expect: [],
  },
  {
    name: 'after learning: new but ordinary domains, known dynamic-DNS names, the NTP pool, AWS and CDN names',
    dns: [
      ...learned(EVERYDAY),
      ...querySeries(
        ['myhomelab.duckdns.org', 'docs.python.org', 'fonts.googleapis.com', 'd3kz1ylq6ml7nh.cloudfront.net', '0.amazon.pool.ntp.org', 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com', 'stratum-1.ntp.physics.example.edu', 'shop.mybakery.xyz', 'coinbase.com', 'status.minecraft.net'],
        afterLearning(0),
        30,
        { answers: [['A', '192.0.2.77']] },
      ),
    ],
    expect: [],
  },
  {
    name: 'lookups the account’s DNS Firewall blocked (a mining pool, a new dynamic-DNS name) are the firewall’s',
    dns: [...learned(EVERYDAY), ...querySeries(['pool.minexmr.com', 'xxpp5je3fi.duckdns.org', 'kqzvxwhtrplmf.ddns.net'], afterLearning(0), 30, { rcode: 'NXDOMAIN', firewallAction: 'BLOCK' })],
    expect: [],
  },
  {
    name: 'after learning, a dead international name on an abused TLD that a stale config keeps asking for',
    dns: [...learned(EVERYDAY), ...querySeries(new Array<string>(5).fill('xn--zckzah.xyz'), afterLearning(0), 60, { rcode: 'NXDOMAIN' })],
    expect: [],
  },
  {
    name: 'a new domain that failed a few times (a typo) and looks ordinary',
    dns: [...learned(EVERYDAY), ...querySeries(['githbu.com', 'githbu.com', 'githbu.com', 'githbu.com'], afterLearning(0), 10, { rcode: 'NXDOMAIN' })],
    expect: [],
  },
];

export const domainReputation: DnsDetection = {
  id: 'dns-domain-reputation',
  source: 'dns',
  types: TYPE_SPECS,
  onDns(query, context) {
    // The account's own DNS Firewall already judged and stopped it; its answer (often a forged NXDOMAIN)
    // says nothing about the domain either.
    if (query.firewallAction === 'Denied') return;
    const name = domainName(query.queryName);
    if (name.kind !== 'internet' || name.owned === null) return;
    const listed = listedVerdict(query, context);
    if (listed) return emit(context, query, listed.verdict, undefined, listed.threat);
    if (isMiningName(name)) return emit(context, query, 'Bitcoin');

    const account = query.accountId ?? 'unknown';
    const starts = accountStarts(context);
    // Older logs ingested after newer ones (a backfill) move the account's learning start and a domain's first query back.
    const since = (starts[account] = Math.min(starts[account] ?? query.time, query.time));
    const domains = seenTable(context);
    const key = `${account}|${name.owned}`;
    let seen = domains.get(key);
    if (!seen) domains.set(key, (seen = { f: query.time, q: 0, x: 0 }));
    seen.f = Math.min(seen.f, query.time);
    seen.q++;
    if (query.rcode === 'NXDOMAIN') seen.x++;

    const learnedUntil = since + context.settings.learningDays * DAY;
    if (seen.f < learnedUntil || query.time - seen.f > REPUTATION.newForMs) return;
    const risk = riskOf(name, seen);
    const verdict = verdictOf(risk);
    if (verdict) emit(context, query, verdict, risk);
  },
  cases,
};
