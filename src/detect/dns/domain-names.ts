import type { FindingTypeSpec } from '../detection.js';
/**
 * What every DNS detection needs to know about a query name: its registered domain (public suffix list,
 * via tldts), whether it is an AWS, internal or reverse-lookup name that heuristics must leave alone, the
 * GuardDuty DNS_REQUEST action, and how random its labels look (a character trigram model trained on real
 * domain names, dga-model.json, see scripts/train-dga-model.ts and docs/detections-network.md).
 */
import { domainToUnicode } from 'node:url';
import { parse } from 'tldts';
import type { FindingAction } from '../../findings/guardduty-finding.js';
import type { IntelLookup, ThreatMatch } from '../../intel/lookup.js';
import type { DnsEvent } from '../network-event.js';
import modelFile from './dga-model.json' with { type: 'json' };

export type NameKind = 'internet' | 'aws' | 'internal' | 'reverse' | 'ip' | 'unqualified';

export interface DomainName {
  /** The query name, lower-cased, without the root dot. */
  name: string;
  kind: NameKind;
  /** The registrable domain under an ICANN suffix (`example.co.uk`): GuardDuty's `domainWithSuffix`. */
  registered: string | null;
  /** ICANN public suffix (`co.uk`). */
  suffix: string | null;
  /**
   * The name its owner chose: the registered domain, or one level under a dynamic-DNS or free-hosting
   * provider (`myhost.duckdns.org`), where the provider's customers pick their own names.
   */
  owned: string | null;
  /** The leftmost label of `owned` (`example`, `myhost`): the part DGAs generate. */
  label: string | null;
  /** Labels left of `owned` (`a.b` for `a.b.example.com`). */
  subdomain: string;
  /** The dynamic-DNS or free-hosting provider suffix `owned` sits under, if any. */
  provider: string | null;
  providerKind: ProviderKind | null;
  /** The ICANN suffix is one of the TLDs most abused for malware and phishing (ABUSED_TLDS). */
  abusedTld: boolean;
}

export type ProviderKind = 'dynamic-dns' | 'free-hosting';

/**
 * Dynamic-DNS providers' shared domains: anyone can point a name under these at any address for free,
 * which is why malware C2 uses them (Cisco Talos and Palo Alto Unit 42 reports on dynamic DNS abuse). From
 * the Public Suffix List's private section (DuckDNS, No-IP, Dyn, Dynu, dynv6, DDNSS) plus FreeDNS's
 * (afraid.org) and ChangeIP's, 3322.org and DNSExit's, which the PSL does not list.
 */
export const DYNAMIC_DNS = new Set([
  'duckdns.org', 'ddns.net', 'no-ip.org', 'no-ip.biz', 'no-ip.info', 'noip.me', 'hopto.org', 'zapto.org', 'sytes.net',
  'myftp.biz', 'myftp.org', 'servehttp.com', 'serveftp.com', 'servegame.com', 'redirectme.net', 'bounceme.net', 'webhop.me',
  'ddnsking.com', 'myvnc.com', 'dynu.net', 'freeddns.org', 'ddnsfree.com', 'kozow.com', 'dyndns.org', 'dyndns-home.com',
  'homeip.net', 'gotdns.ch', 'dnsdojo.com', 'dynns.com', 'dynv6.net', 'ddnss.de', 'dyn-ip24.de', 'mooo.com',
  'chickenkiller.com', 'strangled.net', 'changeip.net', '3322.org', 'f3322.net', 'linkpc.net',
]);

/**
 * Free hosting and tunnelling services whose hostnames are handed out (often generated): used to stage
 * phishing pages and reach C2 through tunnels. Their labels are not scored for randomness.
 */
export const FREE_HOSTING = new Set([
  'ngrok.io', 'ngrok-free.app', 'ngrok.app', 'trycloudflare.com', 'serveo.net', 'loca.lt', 'localtunnel.me', 'pagekite.me',
  '000webhostapp.com', 'glitch.me', 'repl.co', 'portmap.io', 'co.cc', 'cz.cc',
]);

/**
 * TLDs that led Spamhaus's published "most abused TLDs" rankings (2021–2024) and Freenom's former free
 * TLDs (.tk .ml .ga .cf .gq). Many legitimate sites use them too: on its own this is weak evidence.
 */
export const ABUSED_TLDS = new Set([
  'tk', 'ml', 'ga', 'cf', 'gq', 'top', 'xyz', 'buzz', 'icu', 'cyou', 'rest', 'monster', 'bar', 'casa', 'sbs', 'cfd', 'click', 'work',
  'fit', 'link', 'surf', 'support', 'quest', 'bid', 'loan', 'zip', 'mov', 'pw', 'cc', 'su',
]);

/**
 * Registered domains operated by AWS whose hostnames carry generated labels by design (API Gateway ids,
 * CloudFront distributions, Global Accelerator, Cognito domains, Lambda function URLs under `.aws`).
 */
const AWS_REGISTERED = new Set([
  'amazonaws.com', 'amazonaws.com.cn', 'amazonaws-us-gov.com', 'cloudfront.net', 'awsglobalaccelerator.com', 'amazoncognito.com',
  'awsapps.com', 'amazontrust.com', 'awsstatic.com', 'aws.dev', 'amazon.com', 'a2z.com', 'amazon.dev', 'amazonwebservices.com',
]);
/**
 * CDN and hosting domains that give each customer or resource a hashed name of its own, beyond the Public
 * Suffix List's private section (which already lists akamaized.net, akamaiedge.net, edgekey.net,
 * azureedge.net, cloudfront.net, global.ssl.fastly.net, …). From the providers' documented hostname forms.
 */
const TENANT_SUFFIXES = new Set([
  'fastly.net', 'googleusercontent.com', 'fbcdn.net', 'b-cdn.net', 'cdn77.org', 'imgix.net', 'llnwd.net', 'kxcdn.com',
  'stackpathdns.com', 'msecnd.net', 'z01.azurefd.net',
]);

/**
 * Top-level names that are never on the internet, whatever the PSL says of them one day: VPC-internal
 * names (ICANN reserved `.internal` for private use), RFC 6761/6762 special-use names, common LAN suffixes.
 */
const INTERNAL_SUFFIXES = new Set(['internal', 'local', 'localdomain', 'localhost', 'test', 'example', 'invalid', 'lan', 'corp', 'intranet', 'private']);

const CACHE_LIMIT = 50_000;
const cache = new Map<string, DomainName>();

const NO_NAME = { registered: null, suffix: null, owned: null, label: null, subdomain: '', provider: null, providerKind: null, abusedTld: false };

function providerOf(name: string, registered: string): [string, ProviderKind] | undefined {
  // Longest provider suffix first: a provider may hand out names a few levels down (dyn.ddnss.de).
  let found: [string, ProviderKind] | undefined;
  for (let suffix = registered; ; ) {
    if (DYNAMIC_DNS.has(suffix)) found = [suffix, 'dynamic-dns'];
    else if (FREE_HOSTING.has(suffix)) found = [suffix, 'free-hosting'];
    if (suffix === name) return found;
    const start = name.lastIndexOf('.', name.length - suffix.length - 2);
    suffix = name.slice(start + 1);
  }
}

function classify(name: string): DomainName {
  if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa') || name === 'in-addr.arpa' || name === 'ip6.arpa') return { name, kind: 'reverse', ...NO_NAME };
  if (!name.includes('.')) return { name, kind: 'unqualified', ...NO_NAME };
  const icann = parse(name, { extractHostname: false, validateHostname: false });
  if (icann.isIp) return { name, kind: 'ip', ...NO_NAME };
  const lastLabel = name.slice(name.lastIndexOf('.') + 1);
  // tldts applies the PSL's default `*` rule to unknown TLDs: `.internal` and the like are not ICANN TLDs.
  if (INTERNAL_SUFFIXES.has(lastLabel) || name.endsWith('.home.arpa') || !icann.isIcann) return { name, kind: 'internal', ...NO_NAME };
  const registered = icann.domain;
  const suffix = icann.publicSuffix;
  if (!registered || !suffix) return { name, kind: 'unqualified', ...NO_NAME, suffix };
  const aws = suffix === 'aws' || AWS_REGISTERED.has(registered);
  const found = aws ? undefined : providerOf(name, registered);
  // A query for the provider's own site is not one of its customers' names.
  const provider = found && found[0] !== name ? found : undefined;
  const owned = provider ? name.slice(name.lastIndexOf('.', name.length - provider[0].length - 2) + 1) : registered;
  return {
    name,
    kind: aws ? 'aws' : 'internet',
    registered,
    suffix,
    owned,
    label: owned.slice(0, owned.indexOf('.')),
    subdomain: name.length > owned.length ? name.slice(0, name.length - owned.length - 1) : '',
    provider: provider?.[0] ?? null,
    providerKind: provider?.[1] ?? null,
    abusedTld: ABUSED_TLDS.has(suffix),
  };
}

/** The last name asked about: every DNS detection asks about the same query in turn. */
let last: DomainName | undefined;

/** The query name taken apart; cached, since resolvers see the same names over and over. */
export function domainName(name: string): DomainName {
  if (last?.name === name) return last;
  let parsed = cache.get(name);
  if (!parsed) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    parsed = classify(name);
    cache.set(name, parsed);
  }
  return (last = parsed);
}

/**
 * The name one tenant of a multi-tenant platform holds: one label under a suffix of the Public Suffix List's
 * private section (via tldts: `<hash>.akamaized.net`, `shop.myshopify.com`, `host.duckdns.org`) or under
 * TENANT_SUFFIXES, else the owner-chosen name (`owned`). Each tenant's hashed names are its own: the platform,
 * not one party, answers for all of them.
 */
export function tenantName(name: DomainName): string | null {
  if (name.owned === null || name.registered === null) return name.owned;
  const platform = parse(name.name, { allowPrivateDomains: true, extractHostname: false, validateHostname: false });
  let tenant = platform.isPrivate && platform.domain && platform.domain.length > name.owned.length ? platform.domain : name.owned;
  for (let suffix = name.registered; suffix !== name.name; ) {
    const longer = name.name.slice(name.name.lastIndexOf('.', name.name.length - suffix.length - 2) + 1);
    if (TENANT_SUFFIXES.has(suffix) && longer.length > tenant.length) tenant = longer;
    suffix = longer;
  }
  return tenant;
}

/**
 * The domain a DNS finding is about: one tenant's or owner's name (`a.evil.example` and `b.evil.example`
 * together), else the query name. One finding per instance and domain keeps each domain an analyst must
 * block: a finding shows only its latest occurrence.
 */
export function findingDomain(queryName: string): string {
  const name = domainName(queryName);
  return tenantName(name) ?? name.name;
}

/** GuardDuty's DNS_REQUEST action for a query: blocked when Route 53 Resolver DNS Firewall denied it. */
export function dnsAction(query: DnsEvent): FindingAction {
  const registered = domainName(query.queryName).registered;
  return {
    actionType: 'DNS_REQUEST',
    dnsRequestAction: {
      domain: query.queryName,
      protocol: query.transport ?? 'UDP',
      blocked: query.firewallAction === 'Denied',
      ...(registered ? { domainWithSuffix: registered } : {}),
      ...(query.accountId ? { vpcOwnerAccountId: query.accountId } : {}),
    },
  };
}

/** Shannon entropy of a string's characters, in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export const MODEL_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789-';
/** One index past the alphabet: `^` (start) as a context, `$` (end) as an output. They never meet. */
const BOUNDARY = MODEL_ALPHABET.length;
const SIZE = BOUNDARY + 1;
const CODES = new Int8Array(128).fill(-1);
for (let i = 0; i < MODEL_ALPHABET.length; i++) CODES[MODEL_ALPHABET.charCodeAt(i)] = i;
const index = (ch: string) => (ch === '^' || ch === '$' ? BOUNDARY : CODES[ch.charCodeAt(0)]!);

/** Per-length decision thresholds: a label at or above `bitsPerChar` looks generated. */
export interface LengthThreshold {
  minLength: number;
  maxLength: number;
  /** Median bits per character of real domain labels of these lengths (the benign centre). */
  median: number;
  /** The benign quantile chosen as the decision line. */
  bitsPerChar: number;
  /** How many calibration labels set it. */
  calibrationLabels?: number;
}

export interface Randomness {
  length: number;
  /** Average surprisal of the label's characters (and its end) under the model, in bits. */
  bitsPerChar: number;
  entropy: number;
  /**
   * Where the label sits between the benign median (0) and the decision threshold (1) for its length;
   * above 1 it looks generated. Undefined below the shortest judged length.
   */
  score: number | undefined;
}

/**
 * A character trigram model over `^^label$` with Witten–Bell interpolation down to bigrams and an add-one
 * unigram, precomputed into a flat table of surprisals so that scoring a label is one lookup per character.
 */
export class CharTrigramModel {
  private readonly surprisal = new Float32Array(SIZE * SIZE * SIZE);

  constructor(trigrams: Record<string, number>, readonly thresholds: LengthThreshold[] = []) {
    const tri = new Float64Array(SIZE * SIZE * SIZE);
    const bi = new Float64Array(SIZE * SIZE);
    const uni = new Float64Array(SIZE);
    for (const [key, count] of Object.entries(trigrams)) {
      const [a, b, c] = [...key].map(index);
      if (a === undefined || b === undefined || c === undefined || a < 0 || b < 0 || c < 0) continue;
      tri[(a * SIZE + b) * SIZE + c]! += count;
      bi[b * SIZE + c]! += count;
      uni[c]! += count;
    }
    const total = uni.reduce((s, n) => s + n, 0);
    const p1 = Float64Array.from(uni, (n) => (n + 1) / (total + SIZE));
    const p2 = new Float64Array(SIZE * SIZE);
    for (let b = 0; b < SIZE; b++) {
      const [seen, kinds] = rowTotals(bi, b * SIZE);
      for (let c = 0; c < SIZE; c++) p2[b * SIZE + c] = seen === 0 ? p1[c]! : (bi[b * SIZE + c]! + kinds * p1[c]!) / (seen + kinds);
    }
    for (let a = 0; a < SIZE; a++) {
      for (let b = 0; b < SIZE; b++) {
        const row = (a * SIZE + b) * SIZE;
        const [seen, kinds] = rowTotals(tri, row);
        for (let c = 0; c < SIZE; c++) {
          const p = seen === 0 ? p2[b * SIZE + c]! : (tri[row + c]! + kinds * p2[b * SIZE + c]!) / (seen + kinds);
          this.surprisal[row + c] = -Math.log2(p);
        }
      }
    }
  }

  /** Bits per character of a label, or undefined when it has characters outside the model's alphabet. */
  bitsPerChar(label: string): number | undefined {
    let a = BOUNDARY;
    let b = BOUNDARY;
    let bits = 0;
    for (let i = 0; i < label.length; i++) {
      const code = label.charCodeAt(i);
      const c = code < 128 ? CODES[code]! : -1;
      if (c < 0) return undefined;
      bits += this.surprisal[(a * SIZE + b) * SIZE + c]!;
      a = b;
      b = c;
    }
    bits += this.surprisal[(a * SIZE + b) * SIZE + BOUNDARY]!;
    return bits / (label.length + 1);
  }

  threshold(length: number): LengthThreshold | undefined {
    return this.thresholds.find((t) => length >= t.minLength && length <= t.maxLength);
  }

  randomness(label: string): Randomness | undefined {
    const bitsPerChar = this.bitsPerChar(label);
    if (bitsPerChar === undefined) return undefined;
    const t = this.threshold(label.length);
    const score = t ? (bitsPerChar - t.median) / (t.bitsPerChar - t.median) : undefined;
    return { length: label.length, bitsPerChar, entropy: shannonEntropy(label), score };
  }
}

function rowTotals(counts: Float64Array, start: number): [number, number] {
  let seen = 0;
  let kinds = 0;
  for (let c = 0; c < SIZE; c++) {
    const n = counts[start + c]!;
    seen += n;
    if (n > 0) kinds++;
  }
  return [seen, kinds];
}

/** The shipped model (see dga-model.json's `sources` for the training data and its licences). */
export const DGA_MODEL = new CharTrigramModel(modelFile.trigrams as Record<string, number>, modelFile.thresholds);

const scoreCache = new Map<string, Randomness | undefined>();

/** How random a label looks under the shipped model; cached (registered labels repeat). */
export function labelRandomness(label: string): Randomness | undefined {
  if (scoreCache.has(label)) return scoreCache.get(label);
  if (scoreCache.size >= CACHE_LIMIT) scoreCache.clear();
  const result = DGA_MODEL.randomness(label);
  scoreCache.set(label, result);
  return result;
}

/**
 * Generated labels spread over many characters; a label that repeats a few (`zzzzzzzz`, `abababab`) is
 * unusual but made by hand. 2.5 bits ≈ six equally used characters.
 */
const MIN_ENTROPY = 2.5;

/**
 * A punycode label that decodes to a valid internationalised name: its ASCII form is an encoding, not a
 * chosen spelling, so the model cannot judge it. About a third of random letters behind `xn--` decode to
 * no valid name: those are judged, so a DGA cannot hide behind the prefix alone.
 */
export function isIdn(label: string): boolean {
  return label.startsWith('xn--') && domainToUnicode(label) !== '';
}

/**
 * A label that looks algorithmically generated: long enough to judge, at or above its length's threshold,
 * spread over enough characters, and not an internationalised (punycode) name.
 */
export function isGenerated(label: string, randomness: Randomness | undefined): boolean {
  return randomness?.score !== undefined && randomness.score >= 1 && randomness.entropy >= MIN_ENTROPY && !isIdn(label);
}

export function looksGenerated(label: string): boolean {
  return isGenerated(label, labelRandomness(label));
}

/** The key a query's sender is tracked under: its account and instance id, else its source address. */
export function senderKey(query: DnsEvent): string {
  return `${query.accountId ?? ''}|${query.instanceId ?? query.srcIp ?? 'unknown'}`;
}

interface ThreatCache {
  map: Map<string, ThreatMatch[]>;
  lastKey?: string;
  last?: ThreatMatch[];
}
const threatCaches = new WeakMap<IntelLookup, ThreatCache>();

/**
 * intel.domainThreats for a query name, remembered per intel lookup: resolvers see the same names over and
 * over, and several DNS detections ask about each. (Answers are not remembered: an address lookup costs less
 * than the map would, answers repeat less, and most address lists are empty.)
 */
export function domainThreats(intel: IntelLookup, name: string): ThreatMatch[] {
  let cache = threatCaches.get(intel);
  if (!cache) threatCaches.set(intel, (cache = { map: new Map() }));
  if (cache.lastKey === name) return cache.last!;
  let matches = cache.map.get(name);
  if (!matches) {
    if (cache.map.size >= CACHE_LIMIT) cache.map.clear();
    cache.map.set(name, (matches = intel.domainThreats(name)));
  }
  cache.lastKey = name;
  return (cache.last = matches);
}

/** A DNS finding type: always about the querying instance, from Route 53 Resolver logs. */
export function dnsTypeSpec(
  type: string,
  severity: number,
  mitre: FindingTypeSpec['mitre'],
  texts: Pick<FindingTypeSpec, 'title' | 'description' | 'remediation'>,
): FindingTypeSpec {
  return { type, dataSource: 'DNSLogs', severity, resourceType: 'Instance', mitre, ...texts };
}

export const C2_MITRE = { tactic: 'TA0011 Command and Control', technique: 'T1071 Application Layer Protocol' };
