/**
 * Names for DNS cases and for the measurements of scripts/train-dga-model.ts: domains shaped like those of
 * published DGA families (from a seeded generator reproducing each family's length, alphabet and TLDs, not
 * its exact seeding, which is all a name model sees), and real benign hostnames that look generated.
 */
export interface DgaFamily {
  name: string;
  shape: string;
  generate(random: () => number): string;
}

/** mulberry32: a small deterministic PRNG, so generated cases are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const drawn = (random: () => number, alphabet: string, length: number) => Array.from({ length }, () => pick(random, [...alphabet])).join('');

export const DGA_FAMILIES: readonly DgaFamily[] = [
  {
    name: 'cryptolocker',
    shape: '12–15 random letters; .com .net .biz .ru .org .co.uk .info',
    generate: (r) => `${drawn(r, LETTERS, between(r, 12, 15))}.${pick(r, ['com', 'net', 'biz', 'ru', 'org', 'co.uk', 'info'])}`,
  },
  {
    name: 'conficker-b',
    shape: '8–11 random letters; .com .net .org .info .biz .cc',
    generate: (r) => `${drawn(r, LETTERS, between(r, 8, 11))}.${pick(r, ['com', 'net', 'org', 'info', 'biz', 'cc'])}`,
  },
  {
    name: 'necurs',
    shape: '7–21 random letters; .com .net .org .info .biz .ru .in .pw .xyz and more',
    generate: (r) => `${drawn(r, LETTERS, between(r, 7, 21))}.${pick(r, ['com', 'net', 'org', 'info', 'biz', 'ru', 'in', 'pw', 'xyz', 'tw', 'jp', 'nl'])}`,
  },
  {
    name: 'ramnit',
    shape: '8–19 random letters; .com',
    generate: (r) => `${drawn(r, LETTERS, between(r, 8, 19))}.com`,
  },
  {
    name: 'bamital',
    shape: '32 hex digits (an MD5); .info .org .co.cc .cz.cc',
    generate: (r) => `${drawn(r, '0123456789abcdef', 32)}.${pick(r, ['info', 'org', 'co.cc', 'cz.cc'])}`,
  },
  {
    name: 'symmi',
    shape: 'pronounceable consonant–vowel pairs, 10–16 letters; .ddns.net',
    generate: (r) => {
      const length = between(r, 10, 16);
      let label = '';
      while (label.length < length) label += pick(r, [...'bcdfghjklmnpqrstvwxz']) + pick(r, [...'aeiouy']);
      return `${label.slice(0, length)}.ddns.net`;
    },
  },
];

/** `count` names of one family, the same on every run for the same seed. */
export function dgaNames(family: DgaFamily, count: number, seed = 1): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => family.generate(random));
}

/**
 * Hostnames EC2 instances really resolve whose labels look generated: CDN distributions, API Gateway ids,
 * load balancers, IoT endpoints, Lambda URLs, EC2-internal names, and popular infrastructure domains with
 * short or consonant-heavy names. None may count as DGA.
 */
export const BENIGN_GENERATED_LOOKING = [
  'd1a2b3c4d5e6f7.cloudfront.net', 'd3kz1ylq6ml7nh.cloudfront.net', 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
  'examplebucket-logs-2026.s3.amazonaws.com', 'prod-artifacts-8f3a2c.s3.us-west-2.amazonaws.com', 'ip-10-0-1-25.ec2.internal',
  'ip-172-31-86-159.us-west-2.compute.internal', 'compute.internal', 'my-alb-1234567890.us-east-1.elb.amazonaws.com',
  'internal-api-lb-987654321.eu-west-1.elb.amazonaws.com', 'a2b4c6d8e0f1g2-ats.iot.us-east-1.amazonaws.com',
  'abcdefghij1234567890klmnop.lambda-url.us-east-1.on.aws', 'a1234567890abcdef.awsglobalaccelerator.com',
  'vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com', 'ocsp.r2m01.amazontrust.com',
  'e12345.dscb.akamaiedge.net', 'a1961.g2.akamai.net', 'r3---sn-ab5l6nzr.googlevideo.com', 'lh3.googleusercontent.com',
  '1234567890-abcdefghijklmnopqrstuvwxyz123456.apps.googleusercontent.com', 'fonts.gstatic.com', 'www.gstatic.com',
  'clients6.google.com', 'myapp-prod.azurewebsites.net', 'prodcache01.redis.cache.windows.net', 'production.cloudflare.docker.com',
  'registry-1.docker.io', 'pkg-containers.githubusercontent.com', 'objects.githubusercontent.com', 'deb.debian.org',
  'security.ubuntu.com', 'dl-cdn.alpinelinux.org', 'repo1.maven.org', 'registry.npmjs.org', 'files.pythonhosted.org',
  '0.amazon.pool.ntp.org', 'static.xx.fbcdn.net', 'i.ytimg.com', 'redirector.gvt1.com', 'yt3.ggpht.com', 'x.1e100.net',
  's0.2mdn.net', 'cdn.jsdelivr.net', 'unpkg.com', 'cdnjs.cloudflare.com', 'b-cdn.net', 'kxcdn.com', 'cdn.sstatic.net',
  'scontent.cdninstagram.com', 'is1-ssl.mzstatic.com', 'wbx2.com', 'aaplimg.com', 'omtrdc.net', 'nr-data.net', 'js.hs-scripts.com',
  'forms.hscollectedforms.net', 'static.cloudflareinsights.com', 'ps.pndsn.com', 'i.scdn.co', 'llnwd.net', 'edgekey.net',
  'hwcdn.net', 'az416426.vo.msecnd.net', 'azureedge.net', 'trafficmanager.net', 'c.lencr.org', 'ocsp.pki.goog', 'ocsp.sectigo.com',
  'ocsp.usertrust.com', 'a.gtld-servers.net', 'static.zdassets.com', 'intake.datadoghq.com', 'o123456.ingest.sentry.io',
  'api.mxpnl.com', 'script.hotjar.io', 'js.intercomcdn.com', 's.yimg.com', 'g.alicdn.com', 'puui.qpic.cn', 'mat1.gtimg.com',
  'api.snapcraftcontent.com', 'proxy.golang.org', 'registry.k8s.io', 'quay.io', 'gcr.io', 'us-docker.pkg.dev', 'ok12static.oktacdn.com',
  'secure.gravatar.com', 'static.wixstatic.com', 'cdn.shopify.com', 'js.stripe.com', 'www.paypalobjects.com', 'ib.adnxs.com',
  'idsync.rlcdn.com', 'ads.pubmatic.com', 'as-sec.casalemedia.com', 'u.openx.net', 'dis.criteo.com', 'cdn.taboola.com',
  'widgets.outbrain.com', 'ib.3lift.com', 'ap.lijit.com', 'aax.amazon-adsystem.com', 'z.moatads.com', 'match.adsrvr.org',
  'cm.everesttech.net', 'dpm.demdex.net', 'pixel.mathtag.com', 'x.bidswitch.net', 'sb.scorecardresearch.com', 'pixel.quantserve.com',
  'ping.chartbeat.net', 'bam.nr-data.net', 'sessions.bugsnag.com', 'collectors.sumologic.com', 'logs-01.loggly.com',
  'api.honeycomb.io', 'xkcd.com', 'qq.com', 'vk.com', 'gvt2.com', 'cxense.com', 'tynt.com',
];
