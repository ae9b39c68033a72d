import type { IntelLookup, ThreatMatch } from '../../intel/lookup.js';
import type { ApiEvent } from '../api-event.js';

/** What threat intelligence says about the caller's source IP. */
export interface CallerIntel {
  /** The first managed feed that lists the IP (one finding per type; the feed is evidence). */
  managed?: ThreatMatch;
  /** Every uploaded list that holds the IP: the `.Custom` types keep one finding per list. */
  custom: ThreatMatch[];
  tor: boolean;
}

/**
 * Threat-list and Tor matches for the calling IP, or null when there are none. Calls AWS makes on the
 * caller's behalf carry the service's name instead of an IP and are never matched; console calls
 * (`invokedBy` signin) keep the user's IP and are. Private callers (through a VPC endpoint, from on-premises
 * over Direct Connect) never match: the lookup consults lists for publicly routable addresses only, as
 * GuardDuty does (intel/matcher.ts).
 */
export function callerIntel(event: ApiEvent, intel: IntelLookup): CallerIntel | null {
  const ip = event.sourceIp;
  if (!ip || event.eventType === 'AwsServiceEvent') return null;
  const matches = intel.ipThreats(ip);
  const tor = intel.isTorExit(ip);
  if (matches.length === 0 && !tor) return null;
  return { managed: matches.find((m) => !m.custom), custom: matches.filter((m) => m.custom), tor };
}

/**
 * One signal per hit, with the types the caller picked for the call's class: the managed-feed type with
 * the feed as evidence, the `.Custom` type once per uploaded list (a finding per list), the Tor type.
 */
export function emitIntelSignals(
  hits: CallerIntel,
  types: { managed?: string; custom?: string; tor?: string },
  emit: (type: string, extra: { threat?: ThreatMatch; aggregateBy?: string }) => void,
): void {
  if (hits.managed && types.managed) emit(types.managed, { threat: hits.managed });
  if (types.custom) for (const match of hits.custom) emit(types.custom, { threat: match, aggregateBy: match.listName });
  if (hits.tor && types.tor) emit(types.tor, {});
}
