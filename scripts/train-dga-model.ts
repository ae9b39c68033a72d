// Trains the character trigram model behind Trojan:EC2/DGADomainRequest.B and writes it, with its sources,
// licences, thresholds and measured error rates, to src/detect/dns/dga-model.json. Offline and deterministic:
//
//   npm install --prefix scratch/dga-corpus --no-save --ignore-scripts top-sites@1.1.222 email-providers@2.26.0 \
//     third-party-web@0.30.0 disposable-email-domains@1.0.62
//   apt-get install wamerican publicsuffix
//   (cd scratch && apt-get download spamassassin && dpkg-deb -x spamassassin_*.deb spamassassin)
//   node --import tsx scripts/train-dga-model.ts [--corpus scratch/dga-corpus/node_modules] \
//     [--spamassassin scratch/spamassassin/usr/share/spamassassin] [--dict /usr/share/dict/american-english] \
//     [--psl /usr/share/publicsuffix/public_suffix_list.dat]
//
// Real domain names (less the throwaway ones on the disposable-email list, many of which are generated) are
// split by a hash of their label: 60% train the model, 20% set the thresholds (calibration), 20% are held
// out to measure the false-positive rate. Each length bucket gets its own centre (median) and spread
// (90th percentile − median) of bits per character; one multiple of the spread, the pooled QUANTILE of the
// calibration labels' standardised scores, sets every bucket's threshold, so that no bucket's threshold rests
// on the few labels in its own tail.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CharTrigramModel, domainName, isGenerated, type LengthThreshold, MODEL_ALPHABET } from '../src/detect/dns/domain-names.js';
import { BENIGN_GENERATED_LOOKING, DGA_FAMILIES, dgaNames, seededRandom } from '../src/detect/dns/name-samples.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'scratch/dga-corpus/node_modules' },
    spamassassin: { type: 'string', default: 'scratch/spamassassin/usr/share/spamassassin' },
    dict: { type: 'string', default: '/usr/share/dict/american-english' },
    psl: { type: 'string', default: '/usr/share/publicsuffix/public_suffix_list.dat' },
  },
});
const corpus = path.resolve(values.corpus!);
const OUT = path.resolve(import.meta.dirname, '..', 'src', 'detect', 'dns', 'dga-model.json');

/** Real domain labels count this many times more than dictionary words and PSL labels: they are the target. */
const DOMAIN_WEIGHT = 4;
/** The benign quantile of standardised calibration scores that sets the thresholds. */
const QUANTILE = 0.99;
// The last bucket runs to the longest DNS name: exfiltration payloads join several labels.
const BUCKETS: [number, number][] = [[7, 8], [9, 10], [11, 12], [13, 15], [16, 253]];
const VALID = new RegExp(`^[${MODEL_ALPHABET.replace('-', '\\-')}]+$`);

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const version = (pkg: string) => String(json(path.join(corpus, pkg, 'package.json')).version);
/** The installed Debian package's version, recorded with the data it provided. */
function debianVersion(pkg: string): string {
  try {
    return `${execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' })} (Debian)`;
  } catch {
    return 'unknown';
  }
}

/** The owner-chosen label of a real domain, as the detector sees it. */
function labelOf(host: string): string | undefined {
  const label = domainName(host.trim().toLowerCase().replace(/^www\./, '')).label;
  return label && VALID.test(label) && !label.startsWith('xn--') ? label : undefined;
}

const topSites = (json(path.join(corpus, 'top-sites', 'top-sites.json')) as { rootDomain: string }[]).map((s) => s.rootDomain);
const emailProviders = json(path.join(corpus, 'email-providers', 'all.json')) as string[];
const thirdParties = [
  ...new Set((json(path.join(corpus, 'third-party-web', 'dist', 'entities.json')) as { domains?: string[] }[]).flatMap((e) => e.domains ?? []).map((d) => d.replace(/^\*\./, ''))),
];
/** SpamAssassin's freemail and sender welcome lists: domains of real mail senders and providers. */
const SPAMASSASSIN_FILES = ['20_freemail_domains.cf', '60_welcomelist.cf', '60_welcomelist_auth.cf', '60_welcomelist_dkim.cf', '60_welcomelist_spf.cf'];
const spamassassinDomains = [
  ...new Set(
    SPAMASSASSIN_FILES.flatMap((file) => {
      const text = readFileSync(path.join(values.spamassassin!, file), 'utf8').replace(/#.*$/gm, '');
      return text.match(/\b[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}\b/g) ?? [];
    }),
  ),
];
const disposable = new Set(json(path.join(corpus, 'disposable-email-domains', 'index.json')) as string[]);
const realDomains = [...topSites, ...emailProviders, ...thirdParties, ...spamassassinDomains].filter((d) => !disposable.has(d));
const domainLabels = [...new Set(realDomains.flatMap((h) => labelOf(h) ?? []))].sort();

const pslLabels = [
  ...new Set(
    readFileSync(values.psl!, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('//'))
      .flatMap((rule) => rule.trim().replace(/^[*!]\.?/, '').split('.'))
      .filter((l) => l && VALID.test(l) && !l.startsWith('xn--')),
  ),
].sort();

const words = [
  ...new Set(
    readFileSync(values.dict!, 'utf8')
      .split('\n')
      .map((w) => w.trim().toLowerCase().replace(/'s$/, ''))
      .filter((w) => /^[a-z]+$/.test(w)),
  ),
].sort();

/** FNV-1a: a stable split that does not depend on list order. */
function bucketOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h % 10;
}
const train = domainLabels.filter((l) => bucketOf(l) < 6);
const calibration = domainLabels.filter((l) => bucketOf(l) >= 6 && bucketOf(l) < 8);
const heldOut = domainLabels.filter((l) => bucketOf(l) >= 8);

const trigrams: Record<string, number> = {};
function count(label: string, weight: number): void {
  const padded = `^^${label}$`;
  for (let i = 0; i + 3 <= padded.length; i++) {
    const key = padded.slice(i, i + 3);
    trigrams[key] = (trigrams[key] ?? 0) + weight;
  }
}
for (const label of train) count(label, DOMAIN_WEIGHT);
for (const label of pslLabels) count(label, 1);
for (const word of words) count(word, 1);

const untuned = new CharTrigramModel(trigrams);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const centres = BUCKETS.map(([minLength, maxLength]) => {
  const scores = calibration.filter((l) => l.length >= minLength && l.length <= maxLength).map((l) => untuned.bitsPerChar(l)!);
  const sorted = [...scores].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return { minLength, maxLength, median, spread: quantile(sorted, 0.9) - median, scores };
});
const standardised = centres.flatMap((c) => c.scores.map((s) => (s - c.median) / c.spread)).sort((a, b) => a - b);
const multiple = quantile(standardised, QUANTILE);
const thresholds: LengthThreshold[] = centres.map((c) => ({
  minLength: c.minLength,
  maxLength: c.maxLength,
  median: round(c.median),
  bitsPerChar: round(c.median + multiple * c.spread),
  calibrationLabels: c.scores.length,
}));
const model = new CharTrigramModel(trigrams, thresholds);
const generated = (label: string | null) => label !== null && isGenerated(label, model.randomness(label));

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
const rate = (hits: number, total: number) => ({ flagged: hits, total, rate: round(hits / Math.max(1, total), 4) });

// False positives: held-out real labels (all, and those long enough to be judged), benign lookalike hosts.
const judged = heldOut.filter((l) => l.length >= BUCKETS[0]![0]);
const heldOutFlagged = heldOut.filter(generated);
const lookalikes = BENIGN_GENERATED_LOOKING.map((host) => ({ host, name: domainName(host) }));
const lookalikeFlagged = lookalikes.filter(({ name }) => name.kind === 'internet' && generated(name.label));
const lookalikeIfScored = lookalikes.filter(({ name }) => name.label !== null && generated(name.label));

// Detection: DGA-shaped names, and dictionary-word pairs (suppobox-like), which a character model cannot see.
const families = DGA_FAMILIES.map((family) => {
  const names = dgaNames(family, 2000, 7);
  return { family: family.name, shape: family.shape, ...rate(names.filter((n) => generated(domainName(n).label)).length, names.length) };
});
const random = seededRandom(11);
const commonWords = words.filter((w) => w.length >= 4 && w.length <= 8);
const wordPairs = Array.from({ length: 2000 }, () => `${commonWords[Math.floor(random() * commonWords.length)]}${commonWords[Math.floor(random() * commonWords.length)]}.net`);
families.push({ family: 'suppobox (word pairs)', shape: 'two dictionary words; .net', ...rate(wordPairs.filter((n) => generated(domainName(n).label)).length, wordPairs.length) });

const evaluation = {
  heldOutAll: rate(heldOutFlagged.length, heldOut.length),
  heldOutJudged: rate(heldOutFlagged.length, judged.length),
  heldOutFlaggedExamples: heldOutFlagged.slice(0, 25),
  benignLookalikes: { ...rate(lookalikeFlagged.length, lookalikes.length), flaggedHosts: lookalikeFlagged.map((l) => l.host) },
  benignLookalikesIfNotSkipped: { ...rate(lookalikeIfScored.length, lookalikes.length), flaggedHosts: lookalikeIfScored.map((l) => l.host) },
  dgaFamilies: families,
};

const sortedTrigrams = Object.fromEntries(Object.entries(trigrams).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const output = {
  format: 'gumshoe-char-trigram/1',
  description: 'Character trigram counts over ^^label$ (a-z 0-9 -); Witten–Bell interpolation to bigrams and an add-one unigram. Score: bits per character.',
  alphabet: MODEL_ALPHABET,
  sources: [
    { name: 'top-sites', version: version('top-sites'), licence: 'MIT', what: 'Moz Top 500 root domains (npm package)', labels: topSites.length },
    { name: 'email-providers', version: version('email-providers'), licence: 'ISC', what: 'goware/emailproviders list of ~8k email-provider domains (npm package)', labels: emailProviders.length },
    { name: 'third-party-web', version: version('third-party-web'), licence: 'MIT', what: 'domains of third-party web services (HTTP Archive entities; npm package)', labels: thirdParties.length },
    { name: 'disposable-email-domains', version: version('disposable-email-domains'), licence: 'MIT', what: 'throwaway email domains, removed from the benign corpus (not trained on)', labels: disposable.size },
    { name: 'spamassassin', version: '4.0.1-1~deb12u1 (Debian)', licence: 'Apache-2.0', what: `freemail and sender welcome-list domains (${SPAMASSASSIN_FILES.join(', ')})`, labels: spamassassinDomains.length },
    { name: 'Public Suffix List', version: debianVersion('publicsuffix'), file: values.psl, licence: 'MPL-2.0', what: 'every label of every rule, ICANN and private sections (Debian publicsuffix)', labels: pslLabels.length },
    { name: 'SCOWL american-english', version: debianVersion('wamerican'), file: values.dict, licence: 'SCOWL (permissive, see /usr/share/doc/wamerican/copyright)', what: 'English words (Debian wamerican)', labels: words.length },
  ],
  training: {
    domainLabels: domainLabels.length,
    disposableExcluded: [...topSites, ...emailProviders, ...thirdParties, ...spamassassinDomains].length - realDomains.length,
    train: train.length,
    calibration: calibration.length,
    heldOut: heldOut.length,
    domainWeight: DOMAIN_WEIGHT,
    quantile: QUANTILE,
    spreadMultiple: round(multiple),
  },
  thresholds,
  evaluation,
  trigrams: sortedTrigrams,
};
writeFileSync(OUT, `${JSON.stringify(output)}\n`);
console.log(JSON.stringify({ ...output, trigrams: Object.keys(sortedTrigrams).length }, null, 2));
console.log(`wrote ${OUT}`);
