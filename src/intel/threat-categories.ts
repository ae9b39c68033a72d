/**
 * The small vocabulary threat-intel detections reason in. Managed feeds store a category name as their
 * ThreatMatch.threatName; custom lists carry free text (`BotnetCnC`, `Scanning subnet`, Proofpoint's
 * `Bitcoin_Related`, …), which threatCategory() maps by keyword. Anything unrecognised is `Malicious`.
 */
export const THREAT_CATEGORIES = [
  'CommandAndControl',
  'Cryptocurrency',
  'Blackhole',
  'DropPoint',
  'Phishing',
  'DriveBy',
  'DGA',
  'Scanner',
  'Malicious',
] as const;

export type ThreatCategory = (typeof THREAT_CATEGORIES)[number];

/** Keyword patterns, tried in order on the lower-cased threat name; the first hit wins. */
const PATTERNS: readonly [RegExp, ThreatCategory][] = [
  [/c&c|cnc|\bc2\b|command.?and.?control|botnet/, 'CommandAndControl'],
  [/crypto|bitcoin|\bbtc\b|coin|\bminer|\bmining|monero|\bxmr|stratum/, 'Cryptocurrency'],
  [/blackhole|sinkhole|bogon/, 'Blackhole'],
  // Not "dropper": that is malware delivery, not an exfiltration drop.
  [/\bdrop(?!per)|exfil/, 'DropPoint'],
  [/phish/, 'Phishing'],
  [/drive.?by|exploit.?kit|exe_source/, 'DriveBy'],
  [/\bdga\b|domain.?generat/, 'DGA'],
  [/scan|brute|probe/, 'Scanner'],
];

const EXACT = new Map<string, ThreatCategory>(THREAT_CATEGORIES.map((c) => [c.toLowerCase(), c]));

/** The category of a threat name; undefined or unrecognised names are `Malicious`. */
export function threatCategory(threatName: string | undefined): ThreatCategory {
  const name = threatName?.trim().toLowerCase();
  if (!name) return 'Malicious';
  const exact = EXACT.get(name);
  if (exact) return exact;
  for (const [pattern, category] of PATTERNS) if (pattern.test(name)) return category;
  return 'Malicious';
}
