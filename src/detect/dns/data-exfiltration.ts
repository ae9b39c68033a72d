import { createHash } from 'node:crypto';
import type { DnsDetection, NetworkCase } from '../detection.js';
import { MINUTE, persistedTable } from '../network/flow-windows.js';
import { nov, querySeries } from './dns-cases.js';
import { DGA_MODEL, dnsAction, domainName, isGenerated, senderKey, dnsTypeSpec, tenantName } from './domain-names.js';
import { BENIGN_GENERATED_LOOKING, seededRandom } from './name-samples.js';

/**
 * Trojan:EC2/DNSDataExfiltration (guardduty.md §2.4 #11): an instance encodes data into the names it
 * queries (DNS tunnels such as iodine, dnscat2, DNSExfiltrator; the GuardDuty tester's `dig -f` of ~930
 * long random labels under one domain).
 *
 * A query carries an encoded payload when the labels left of its tenant's name (domain-names.ts tenantName:
 * the owner-chosen domain, or one tenant's name on a CDN or hosting platform),
 * without `_service` labels and a leading reversed IP address, joined, are at least MIN_PAYLOAD characters long and
 * either look random to the trigram model (hex, base32 and base64 all score far above real names) or hold
 * more than FOREIGN_SHARE characters outside letters, digits and hyphens (binary encodings). The finding
 * needs MIN_DISTINCT distinct payloads under one tenant's name from one instance within WINDOW, and starts
 * (eventFirstSeen) at the window's first; from then on every further distinct payload is raised into the
 * same finding (one per instance and name, High).
 *
 * Not judged: AWS, internal, reverse-lookup and unqualified names, and the reputation-lookup zones below,
 * where anti-malware and mail filters look up file hashes and addresses by design (McAfee GTI
 * `*.avqs.mcafee.com`, Sophos, Team Cymru's malware hash registry, Spamhaus (its HBL too), SURBL (hashbl),
 * MSBL's email blocklist `ebl.msbl.org`, CIRCL hashlookup, …). Their queries go to their operators' name
 * servers, never an attacker's, so the list costs no evasion. DKIM and ACME lookups put their data in
 * `_domainkey`/`_acme-challenge` labels and short selectors. CDN and hosting platforms give each
 * customer or resource its own hashed name (`e7.<md5>.akamaized.net`): each is its tenant's, so a page
 * loading fifty CDN resources is fifty tenants with one short label each, not one tunnel; a CDN or
 * load-balancer hostname of one tenant has one hashed label per resource, never fifty new ones in ten minutes.
 *
 * Hash lookups under zones not on the list: a reputation lookup puts exactly one label in front of a fixed
 * list zone, a digest of fixed length (MD5, SHA-1 or SHA-256 in hex: 32, 40, 64 characters; or such a
 * digest in base32: 26, 32, 52), and every query of that zone has the same length (`<sha1>.ebl.msbl.org`,
 * `<md5>.malware.hash.cymru.com`). A tunnel varies its lengths, spreads data over several labels, puts it
 * straight under its domain or mixes these. While every payload of a window under one tenant name has that
 * shape (each zone one length; at most LOOKUP_ZONES zones), the finding needs LOOKUP_MIN_DISTINCT (200)
 * distinct payloads instead of 50; a payload of any other shape makes the next 10 minutes count at 50 again.
 * The trade-off: a tunnel can take on this shape (`<64 hex>.bl.attacker.example`), but then each query
 * carries at most 32 bytes and 199 queries per 10 minutes stay unseen, about 6.4 KB, no more than the
 * ~7 KB that any tunnel already moves unseen below 50 payloads of up to ~150 bytes each (the slow-tunnel
 * miss). Answers are not evidence: a DNSBL answers 127.0.0.x when listed, but so can an attacker's name
 * server, so an answer in 127.0.0.0/8 no longer lets a query pass (it did before, which a tunnel could
 * use to hide any volume). A mail server that looks up more than 200 distinct hashes in 10 minutes against
 * an unlisted zone raises the finding (add the zone to a trusted entity list).
 *
 * Slow tunnels (issue 4's per-domain query volume): a tunnel at one query every 20 seconds never has 50
 * payloads in 10 minutes, but moves 180 an hour. Per instance and tenant name, the distinct payloads of the
 * current SLOW.periodMs (3 hours) and the one before are counted too; SLOW.factor (6) times the 10-minute
 * threshold within them (300 payloads, 1,200 hash-lookup-shaped, in 3 to 6 hours: one a minute on average)
 * raises the same finding, first seen at the earlier period's first payload. CDN and SaaS hashed names stay
 * far below: each CDN tenant's own name has a handful, and names that share one tenant (safeframe
 * `<32 hex>.safeframe.googlesyndication.com`, Cedexis radar probes, `<32 hex>.r2.cloudflarestorage.com`) had at
 * most 32 distinct in any 6 hours per host in 9 days of a simulated busy VPC. Memory stays bounded
 * whatever the rate: each period keeps a K-minimum-values sketch (the SLOW.sketch smallest payload hashes),
 * which counts exactly up to that many and estimates beyond (about ±18 % at the threshold).
 */
const TYPE = 'Trojan:EC2/DNSDataExfiltration';
export const EXFILTRATION = { minPayload: 30, foreignShare: 0.1, minDistinct: 50, lookupMinDistinct: 200, windowMs: 10 * MINUTE } as const;
const MAX_TUNNELS = 20_000;
/** The long window: two periods of this length, SLOW.factor times the 10-minute threshold, sketches of SLOW.sketch hashes. */
export const SLOW = { periodMs: 180 * MINUTE, factor: 6, sketch: 32 } as const;
/** More list zones than this under one name within a window is not a lookup service. */
const LOOKUP_ZONES = 16;

/** Zones that answer reputation lookups whose query names are hashes or encoded addresses by design. */
const REPUTATION_ZONES = [
  'avqs.mcafee.com', 'avts.mcafee.com', 'sophosxl.net', 'hash.cymru.com', 'spamhaus.org', 'spamhaus.net', 'surbl.org', 'uribl.com',
  'spamcop.net', 'barracudacentral.org', 'sorbs.net', 'mailspike.net', 'dnswl.org', 'abuseat.org', 'senderbase.org',
  // MSBL's email blocklist (rspamd MSBL_EBL: SHA-1 of the sender address), rspamd's own email list (blake2, base32),
  // Rambler's email list (rspamd RAMBLER_EMAILBL), CIRCL hashlookup (MD5/SHA-1 of known files).
  'msbl.org', 'email.rspamd.com', 'email-bl.rambler.ru', 'dns.hashlookup.circl.lu',
];

const HEX_DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Base32 digests, in any of the alphabets in use (RFC 4648, rspamd's z-base-32-like one): MD5, SHA-1, SHA-256. */
const BASE32_DIGEST = /^(?:[a-z0-9]{26}|[a-z0-9]{32}|[a-z0-9]{52})$/;

/**
 * A hash lookup's shape: the subdomain under the tenant name is one digest label in front of at least one
 * list label (`<sha1>.ebl` of `<sha1>.ebl.msbl.org`). The zone (the list labels) and the digest's length;
 * undefined for anything else.
 */
export function lookupShape(subdomain: string): { zone: string; length: number } | undefined {
  const dot = subdomain.indexOf('.');
  if (dot < 0) return undefined;
  const digest = subdomain.slice(0, dot);
  if (!HEX_DIGEST.test(digest) && !BASE32_DIGEST.test(digest)) return undefined;
  return { zone: subdomain.slice(dot + 1), length: digest.length };
}

/**
 * A reversed IPv4 or IPv6 address at the start of a name (`4.3.2.1.zen.…`, 32 nibbles): what blocklists and
 * ASN services look up. Only this is left out of a payload: digits elsewhere are data (a decimal-encoded
 * tunnel sends nothing but digit labels).
 */
const REVERSED_ADDRESS = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){4}|^(?:[0-9a-f]\.){32}/;

/** The payload a query's subdomain carries, or undefined when it does not look encoded. */
export function encodedPayload(subdomain: string): string | undefined {
  if (subdomain.length < EXFILTRATION.minPayload) return undefined;
  const payload = subdomain
    .replace(REVERSED_ADDRESS, '')
    .split('.')
    .filter((label) => !label.startsWith('_'))
    .join('');
  if (payload.length < EXFILTRATION.minPayload) return undefined;
  const plain = payload.replace(/[^a-z0-9-]/g, '');
  if (payload.length - plain.length > EXFILTRATION.foreignShare * payload.length) return payload;
  // Payloads are unique per query: scored without the label cache, which they would only churn.
  return isGenerated(plain, DGA_MODEL.randomness(plain)) ? payload : undefined;
}

/** FNV-1a of a payload: distinct payloads are told apart without storing them. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** murmur3's finaliser: FNV-1a's values are not uniform enough for a minimum-values sketch. */
function uniform(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Adds hash `id` to a sorted K-minimum-values sketch (the SLOW.sketch smallest distinct hashes). */
function sketchAdd(values: number[], id: number): void {
  if (values.length >= SLOW.sketch && id >= values[values.length - 1]!) return;
  let at = values.length;
  while (at > 0 && values[at - 1]! > id) at--;
  if (values[at - 1] === id) return;
  values.splice(at, 0, id);
  if (values.length > SLOW.sketch) values.pop();
}

/** Distinct hashes behind sketches: exact while fewer than SLOW.sketch, else (k − 1) / (k-th smallest as a fraction of 2³²). */
function sketchCount(sketches: number[][]): number {
  const union = [...new Set(sketches.flat())].sort((a, b) => a - b).slice(0, SLOW.sketch);
  if (union.length < SLOW.sketch) return union.length;
  return Math.round(((SLOW.sketch - 1) * 2 ** 32) / (union[SLOW.sketch - 1]! + 1));
}

/** Counts a new payload into the long window; the window's distinct payloads (estimated) and characters. */
function slowCount(tunnel: Tunnel, id: number, length: number, time: number): { payloads: number; characters: number; since: number } {
  const periods = (tunnel.p ??= []);
  if (periods.length === 0 || time - periods[periods.length - 1]!.s >= SLOW.periodMs) periods.push({ s: time, v: [], n: 0, c: 0 });
  while (time - periods[0]!.s >= 2 * SLOW.periodMs || periods.length > 2) periods.shift();
  const current = periods[periods.length - 1]!;
  // A query delivered late is the period's first when it is older than what the period holds.
  current.s = Math.min(current.s, time);
  sketchAdd(current.v, uniform(id));
  current.n++;
  current.c += length;
  const payloads = sketchCount(periods.map((period) => period.v));
  const sum = (of: (period: Period) => number) => periods.reduce((total, period) => total + of(period), 0);
  // A payload repeated after 10 minutes is counted again in n and c: the characters are the mean length times the distinct payloads.
  return { payloads, characters: Math.round((sum((period) => period.c) / sum((period) => period.n)) * payloads), since: Math.min(...periods.map((period) => period.s)) };
}

/** A long-window period: its first payload's time, the smallest payload hashes (sorted), payloads and characters counted. */
interface Period {
  s: number;
  v: number[];
  n: number;
  c: number;
}

/** Distinct payload hashes under one domain from one sender, oldest first, with their times. */
interface Tunnel {
  h: number[];
  t: number[];
  /** Each payload's length, and their sum: the characters moved within the window. */
  l: number[];
  c: number;
  /** Each list zone of the window's hash-lookup-shaped payloads, with its digest length. */
  z?: Record<string, number>;
  /** When a payload last broke the hash-lookup shape: another shape, another length in a zone, too many zones. */
  m?: number;
  /** The long window's periods, older first (at most two). */
  p?: Period[];
}

/** Notes the shape of a new payload; true while every payload of the window has a hash lookup's. */
function lookupOnly(tunnel: Tunnel, shape: { zone: string; length: number } | undefined, time: number): boolean {
  const zones = (tunnel.z ??= {});
  // A late query that breaks the shape does not move its mark back.
  const broke = () => (tunnel.m = Math.max(tunnel.m ?? time, time));
  if (!shape) broke();
  else if (zones[shape.zone] !== shape.length) {
    const known = zones[shape.zone] !== undefined;
    if (known || Object.keys(zones).length >= LOOKUP_ZONES) broke();
    if (known || Object.keys(zones).length < LOOKUP_ZONES) zones[shape.zone] = shape.length;
  }
  return tunnel.m === undefined || time - tunnel.m > EXFILTRATION.windowMs;
}
const tunnelTable = persistedTable<Tunnel>('tunnels', MAX_TUNNELS);

function payloads(count: number, seed: number, alphabet: string, length: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
}
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const HEX = '0123456789abcdef';
const start = nov(5, '01:30:00');
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
/** A dnscat2-style name: hex payload split into labels of at most 63 characters. */
const dnscat = (hex: string, domain: string) => `${hex.match(/.{1,63}/g)!.join('.')}.${domain}`;

/** `count` distinct 56-character base32 payloads in TXT queries to a new domain, one every `seconds`. */
export const slowTunnel = (count: number, seconds: number, seed = 16) =>
  querySeries(payloads(count, seed, BASE32, 56).map((p) => `${p}.t.cdn-telemetry-sync.net`), start, seconds, { type: 'TXT', rcode: 'NOERROR' });

const cases = (): NetworkCase[] => [
  {
    name: 'GuardDuty tester: dig -f over long random labels under one domain',
    dns: querySeries(payloads(60, 1, BASE32, 52).map((p) => `${p}.guarddutyc2activityb.com`), start, 1, { rcode: 'NXDOMAIN' }),
    expect: [TYPE],
  },
  {
    name: 'dnscat2-style hex payloads in TXT queries to an attacker domain',
    dns: querySeries(payloads(80, 2, HEX, 90).map((p) => dnscat(p, 'cdn-sync.io')), start, 3, { type: 'TXT', answers: [['TXT', '"0a1b2c"']] }),
    expect: [TYPE],
  },
  {
    // duckdns.org is a suffix of the Public Suffix List's private section: the tunnel is its holder's name, t1.duckdns.org.
    name: 'iodine-style base32 payloads under a dynamic-DNS name',
    dns: querySeries(payloads(55, 3, BASE32, 40).map((p) => `p${p}.t1.duckdns.org`), start, 5, { type: 'NULL' }),
    expect: [TYPE],
  },
  {
    name: 'per-resource hashed names of CDN tenants (Akamai, Azure CDN, Fastly), each name its own tenant’s',
    dns: querySeries(
      payloads(70, 12, HEX, 32).flatMap((md5, i) => [`e${i}.${md5}.akamaized.net`, `${md5}.azureedge.net`, `${md5}.global.ssl.fastly.net`, `${md5}.map.fastly.net`]),
      start,
      1,
      { answers: [['A', '23.1.1.1']] },
    ),
    expect: [],
  },
  {
    name: 'McAfee GTI file-reputation lookups: hex hashes under avqs.mcafee.com, answered in 127.0.0.0/8',
    dns: querySeries(payloads(120, 4, HEX, 32).map((p) => `0.0.0.0.1.0.0.4e.${p}.avqs.mcafee.com`), start, 2, { answers: [['A', '127.0.0.1']] }),
    expect: [],
  },
  {
    name: 'a mail filter’s DNSBL and hash-registry lookups',
    dns: [
      ...querySeries(payloads(60, 5, HEX, 32).map((p) => `${p}.malware.hash.cymru.com`), start, 2, { rcode: 'NXDOMAIN' }),
      ...querySeries(payloads(60, 6, BASE32, 52).map((p) => `${p}._file.hash.dq.spamhaus.net`), start, 2, { rcode: 'NXDOMAIN' }),
    ],
    expect: [],
  },
  {
    // The audit's mail server: rspamd's MSBL_EBL rule looks up SHA-1 of each sender and reply-to address.
    name: 'rspamd’s MSBL email blocklist: SHA-1 of 80 sender addresses under ebl.msbl.org, NXDOMAIN',
    dns: querySeries(Array.from({ length: 80 }, (_, i) => `${sha1(`user${i}@example${i % 7}.com`)}.ebl.msbl.org`), start, 7, { rcode: 'NXDOMAIN' }),
    expect: [],
  },
  {
    name: 'hash lookups against a blocklist not on the list: 120 SHA-1 and 60 MD5 in two zones of one operator, some listed',
    dns: querySeries(
      Array.from({ length: 180 }, (_, i) => (i % 3 === 2 ? `${md5(`https://shop${i}.example/landing`)}.hashbl.blocklist-example.org` : `${sha1(`sender${i}@mail${i % 11}.example`)}.ebl.blocklist-example.org`)),
      start,
      3,
      { rcode: 'NXDOMAIN' },
    ).map((query, i) => (i % 40 === 0 ? { ...query, rcode: 'NOERROR', answers: [{ Rdata: '127.0.0.2', Type: 'A', Class: 'IN' }] } : query)),
    expect: [],
  },
  {
    name: 'evasion: a tunnel dressed as hash lookups (64-hex chunks under bl.<its domain>) past 200 queries in 10 minutes',
    dns: querySeries(payloads(250, 10, HEX, 64).map((p) => `${p}.bl.mail-rep-check.net`), start, 2, { rcode: 'NXDOMAIN' }),
    expect: [TYPE],
  },
  {
    name: 'evasion: a tunnel padding chunks to SHA-1 length, with a shorter last chunk for each file (mixed lengths)',
    dns: querySeries(payloads(60, 11, HEX, 40).map((p, i) => `${i % 10 === 9 ? p.slice(0, 34) : p}.ebl.mail-rep-check.net`), start, 5, { rcode: 'NXDOMAIN' }),
    expect: [TYPE],
  },
  {
    name: 'evasion: digest-length chunks in front of a sequence number (a new zone per query)',
    dns: querySeries(payloads(60, 13, BASE32, 52).map((p, i) => `${p}.${i}.telemetry-sync.org`), start, 5, { type: 'TXT', rcode: 'NXDOMAIN' }),
    expect: [TYPE],
  },
  {
    name: 'evasion: a tunnel whose name server answers 127.0.0.2, as a DNSBL does for a listed entry',
    dns: querySeries(payloads(60, 14, HEX, 90).map((p) => dnscat(p, 'cdn-sync.io')), start, 5, { answers: [['A', '127.0.0.2']] }),
    expect: [TYPE],
  },
  {
    name: 'evasion: a decimal-encoded tunnel, nothing but digit labels',
    dns: querySeries(payloads(60, 17, '0123456789', 100).map((p) => `${p.slice(0, 60)}.${p.slice(60)}.cdn-sync.io`), start, 5, { type: 'TXT' }),
    expect: [TYPE],
  },
  {
    // Abusix Mail Intelligence puts the subscriber's key after the address: only the address varies.
    name: 'reversed IPv4 and IPv6 lookups under zones not listed: Abusix with a subscriber key, Team Cymru’s IPv6 ASN zone',
    dns: querySeries(
      payloads(120, 18, HEX, 32).map((p, i) => {
        const octets = [0, 2, 4, 6].map((k) => parseInt(p.slice(k, k + 2), 16)).join('.');
        return i % 2 ? `${[...p].join('.')}.origin6.asn.cymru.com` : `${octets}.9f3b27c1d4e5a6b7c8d9e0f1a2b3c4d5.combined.mail.abusix.zone`;
      }),
      start,
      2,
      { type: 'TXT', rcode: 'NXDOMAIN' },
    ),
    expect: [],
  },
  {
    name: 'DKIM and ACME TXT lookups for many domains',
    dns: querySeries(
      Array.from({ length: 80 }, (_, i) => (i % 2 ? `selector1-tenant${i}-com._domainkey.tenant${i}.onmicrosoft.com` : `_acme-challenge.shop${i}.example-store.com`)),
      start,
      2,
      { type: 'TXT' },
    ),
    expect: [],
  },
  {
    name: 'hashed CDN, API Gateway and load-balancer hostnames, and long descriptive service names',
    dns: querySeries(
      [...BENIGN_GENERATED_LOOKING, ...Array.from({ length: 60 }, (_, i) => `payments-service-production-eu-west-${i}-canary-deployment.internal-tools.example.com`)],
      start,
      1,
      { answers: [['A', '192.0.2.30']] },
    ),
    expect: [],
  },
  {
    name: 'a slow tunnel: one TXT query every 20 seconds, 400 base32 payloads to a new domain in 2 hours 13 minutes',
    dns: slowTunnel(400, 20),
    expect: [TYPE],
  },
  {
    name: 'a day of hashed names shared by one tenant name: safeframe ad frames and Cedexis radar probes, 10 an hour each',
    dns: querySeries(
      payloads(480, 15, HEX, 32).map((p, i) => (i % 2 ? `${p}.safeframe.googlesyndication.com` : `${p.slice(0, 12)}-${p.slice(12, 30)}.rdr.cedexis-radar.net`)),
      start,
      180,
      { answers: [['A', '192.0.2.30']] },
    ),
    expect: [],
  },
  {
    name: 'forty encoded queries in ten minutes stay below the threshold',
    dns: querySeries(payloads(40, 7, BASE32, 52).map((p) => `${p}.guarddutyc2activityb.com`), start, 10, { rcode: 'NXDOMAIN' }),
    expect: [],
  },
  {
    name: 'the same encoded name repeated (a cached beacon) is one payload',
    dns: querySeries(new Array<string>(80).fill(`${payloads(1, 8, BASE32, 52)[0]}.cdn-sync.io`), start, 5),
    expect: [],
  },
  {
    name: 'Kubernetes service discovery names with pod hashes stay internal',
    dns: querySeries(payloads(70, 9, HEX, 40).map((p) => `${p}.headless.payments.svc.cluster.local`), start, 1),
    expect: [],
  },
];

export const dnsDataExfiltration: DnsDetection = {
  id: 'dns-data-exfiltration',
  source: 'dns',
  types: [
    dnsTypeSpec(TYPE, 8, { tactic: 'TA0010 Exfiltration', technique: 'T1048 Exfiltration Over Alternative Protocol' }, {
      title: 'Data exfiltration through DNS queries from EC2 instance {instance}.',
      description:
        'EC2 instance {instance} sent {payloads} DNS queries with distinct encoded subdomains ({characters} characters of payload) under {owner} within {minutes} minutes. Encoding data in query names is how DNS tunnels move data past firewalls.',
      remediation:
        'Identify the process sending these queries. If it is not a known security product, treat the instance as compromised: isolate it, preserve its volumes, rotate credentials it could reach, and block the domain with Route 53 Resolver DNS Firewall.',
    }),
  ],
  onDns(query, context) {
    const name = domainName(query.queryName);
    // The subdomain under the owned name is the longest a tenant's can be: most names stop here.
    if (name.kind !== 'internet' || name.subdomain.length < EXFILTRATION.minPayload) return;
    const owner = tenantName(name)!;
    const subdomain = name.name.slice(0, Math.max(0, name.name.length - owner.length - 1));
    const payload = encodedPayload(subdomain);
    if (payload === undefined) return;
    if (REPUTATION_ZONES.some((zone) => name.name.endsWith(`.${zone}`))) return;
    const table = tunnelTable(context);
    const key = `${senderKey(query)}|${owner}`;
    let tunnel = table.get(key);
    if (!tunnel) table.set(key, (tunnel = { h: [], t: [], l: [], c: 0 }));
    // The window ends at the newest query seen: a log file delivered late (01:30's after 01:35's, in the next
    // run) brings older queries, which take their place in time order, or count in the long window only.
    const newest = Math.max(query.time, tunnel.t[tunnel.t.length - 1] ?? query.time);
    while (tunnel.t.length > 0 && newest - tunnel.t[0]! > EXFILTRATION.windowMs) {
      tunnel.h.shift();
      tunnel.t.shift();
      tunnel.c -= tunnel.l.shift()!;
    }
    // A new window: the zones seen before it say nothing about this one.
    if (tunnel.t.length === 0) delete tunnel.z;
    const id = hash(payload);
    if (tunnel.h.includes(id)) return;
    const threshold = lookupOnly(tunnel, lookupShape(subdomain), query.time) ? EXFILTRATION.lookupMinDistinct : EXFILTRATION.minDistinct;
    const inWindow = newest - query.time <= EXFILTRATION.windowMs;
    if (inWindow) {
      let at = tunnel.t.length;
      while (at > 0 && tunnel.t[at - 1]! > query.time) at--;
      tunnel.h.splice(at, 0, id);
      tunnel.t.splice(at, 0, query.time);
      tunnel.l.splice(at, 0, payload.length);
      tunnel.c += payload.length;
    }
    // Only the threshold matters: keep the latest few times it (hash-lookup-shaped windows, up to their own).
    while (tunnel.h.length > Math.max(threshold, 2 * EXFILTRATION.minDistinct)) {
      tunnel.h.shift();
      tunnel.t.shift();
      tunnel.c -= tunnel.l.shift()!;
    }
    const slow = slowCount(tunnel, id, payload.length, query.time);
    const fast = inWindow && tunnel.h.length >= threshold;
    if (!fast && slow.payloads < threshold * SLOW.factor) return;
    context.emit({
      type: TYPE,
      event: query,
      action: dnsAction(query),
      resourceRole: 'ACTOR',
      aggregateBy: owner,
      domain: query.queryName,
      // A late query trimmed out of a full window still began the occurrence it raises.
      since: Math.min(fast ? tunnel.t[0]! : slow.since, query.time),
      until: Math.max(query.time, tunnel.t.at(-1) ?? query.time),
      additionalInfo: { domain: query.queryName, tunnelDomain: owner, payloadLength: payload.length },
      vars: fast
        ? { payloads: tunnel.h.length, characters: tunnel.c, owner, minutes: EXFILTRATION.windowMs / MINUTE }
        : { payloads: slow.payloads, characters: slow.characters, owner, minutes: Math.round((query.time - slow.since) / MINUTE) },
    });
  },
  cases,
};
