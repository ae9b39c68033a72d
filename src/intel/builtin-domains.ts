/**
 * The test domains of awslabs/amazon-guardduty-tester (guardduty.md §2.4, §9.1), shipped as a managed threat
 * set that is always loaded (loadIntel and staticIntel merge it), so that the DNS threat-intel and
 * reputation findings can be produced offline, as GuardDuty produces them for these names. Each entry's
 * threat name is its category (threat-categories.ts); the four reputation probes carry a `ReputationProbe:`
 * verdict instead, which only the domain-reputation detection acts on.
 */
import type { ThreatMatch } from './lookup.js';
import type { IntelData } from './matcher.js';
import type { ThreatCategory } from './threat-categories.js';

export const TESTER_LIST = 'GuardDutyTesterDomains';

export type ReputationVerdict = 'Abused' | 'Bitcoin' | 'Malicious' | 'Suspicious';
const PROBE = 'ReputationProbe:';

const C2 = 'guarddutyc2activityb.com';
const ENTRIES: [string, ThreatCategory | `${typeof PROBE}${ReputationVerdict}`][] = [
  [C2, 'CommandAndControl'],
  [`*.${C2}`, 'CommandAndControl'],
  [`crypto.${C2}`, 'Cryptocurrency'],
  [`abused-rep.${C2}`, `${PROBE}Abused`],
  [`crypto-rep.${C2}`, `${PROBE}Bitcoin`],
  [`malicious-rep.${C2}`, `${PROBE}Malicious`],
  [`suspicious-rep.${C2}`, `${PROBE}Suspicious`],
  ...(
    [
      ['guarddutydroppointactivity.com', 'DropPoint'],
      ['guarddutyblackholeactivity.com', 'Blackhole'],
      ['guarddutyphishingactivity.com', 'Phishing'],
      ['guarddutydrivebyactivity.com', 'DriveBy'],
      ['guarddutydgaactivity.com', 'DGA'],
    ] as const
  ).flatMap(([domain, category]): [string, ThreatCategory][] => [[domain, category], [`*.${domain}`, category]]),
];

/**
 * Threat entries for buildLookup. A name's exact entry is reported before a wildcard of the same list, so
 * `crypto.` and the `-rep.` probes are not taken for the C&C wildcard over their parent.
 */
export const BUILTIN_DOMAIN_THREATS: IntelData['threats'] = ENTRIES.map(([value, threatName]) => ({
  kind: 'domain',
  value,
  match: { listName: TESTER_LIST, threatName, custom: false },
}));

/** The reputation verdict of a built-in reputation probe, or undefined for any other match. */
export function reputationProbe(match: ThreatMatch): ReputationVerdict | undefined {
  if (match.listName !== TESTER_LIST || !match.threatName?.startsWith(PROBE)) return undefined;
  return match.threatName.slice(PROBE.length) as ReputationVerdict;
}
