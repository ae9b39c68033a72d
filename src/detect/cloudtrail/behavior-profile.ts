import type { ApiEvent } from '../api-event.js';
import type { IntelLookup } from '../../intel/lookup.js';
import { bareAgent, userAgentCategory } from '../user-agent.js';

/**
 * Frequency profiles for the anomaly detections (guardduty.md §8.5): per scope (principal, account,
 * bucket) and feature (API, ASN, user-agent category, country, user name, user type, bucket), how many
 * distinct days each value was active. Plain JSON objects, because they live in persisted detection state.
 * A value is judged unusual until it is established (see `established`): seen is not yet learned.
 */
const DAY_MS = 86_400_000;

/** A value unused this long is forgotten: it counts as unseen again. */
const STALE_DAYS = 90;

/**
 * Evidence a profile needs besides time before it may call anything unusual: activity on this many distinct
 * days. A principal seen on a single day has no habits to depart from, however long ago that day was.
 */
export const MIN_ACTIVE_DAYS = 3;

/**
 * [first seen (epoch ms), last active day (day index), days active, and, while older days arrive late (a
 * backfill), the older day counted last]. First seen is the earliest event seen, last active the latest,
 * whatever order the events came in.
 */
export type ValueStats = [number, number, number, number?];

export interface FeatureProfile {
  /** Number of values, kept so the cap check does not count keys. */
  n: number;
  v: Record<string, ValueStats>;
}

export interface Profile {
  /** When the scope was first seen (epoch ms): the learning period runs from here. */
  first: number;
  /** Distinct days (day index) the scope was active, up to MIN_ACTIVE_DAYS of them: whether it has been is all that counts. */
  days?: number[];
  /** The last day (day index) the scope was active. */
  last?: number;
  f: Record<string, FeatureProfile>;
}

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

export function newProfile(time: number): Profile {
  return { first: time, days: [], f: {} };
}

/** Still learning: first seen less than `learningDays` ago, or active on fewer than MIN_ACTIVE_DAYS days. */
export function learning(profile: Profile, time: number, learningDays: number): boolean {
  return time - profile.first < learningDays * DAY_MS || activeDays(profile).length < MIN_ACTIVE_DAYS;
}

/**
 * The profile's active days. Profiles saved before these were kept start from the days their values were
 * last active: true active days, if fewer than there were.
 */
function activeDays(profile: Profile): number[] {
  if (!profile.days) {
    const lastActive = new Set(Object.values(profile.f).flatMap((feature) => Object.values(feature.v).map((stats) => stats[1])));
    profile.days = [...lastActive].slice(0, MIN_ACTIVE_DAYS);
  }
  return profile.days;
}

function markActive(profile: Profile, day: number): void {
  const days = activeDays(profile);
  if (days.length < MIN_ACTIVE_DAYS && !days.includes(day)) days.push(day);
  profile.last = Math.max(lastActive(profile), day);
}

/** The profile's last active day; profiles saved before it was kept start from their values' last active day. */
function lastActive(profile: Profile): number {
  profile.last ??= Math.max(...Object.values(profile.f).flatMap((feature) => Object.values(feature.v).map((stats) => stats[1])));
  return profile.last;
}

/**
 * A scope back after more than STALE_DAYS unseen, when every value it had is forgotten, learns again from
 * `time`, as if first seen: what it does now (a quarterly job) is no departure from habits it no longer has.
 */
export function relearnIfDormant(profile: Profile, time: number): void {
  if (dayOf(time) - lastActive(profile) <= STALE_DAYS) return;
  profile.first = time;
  profile.days = [];
}

function stale(stats: ValueStats, time: number): boolean {
  return dayOf(time) - stats[1] > STALE_DAYS;
}

/** Counts `value`, and the profile, as active today, evicting the least-used value when the feature is over `cap`. */
export function observe(profile: Profile, feature: string, value: string, time: number, cap: number): void {
  const values = (profile.f[feature] ??= { n: 0, v: {} });
  const day = dayOf(time);
  // Older logs ingested after newer ones (a backfill) move the learning period's start back.
  profile.first = Math.min(profile.first, time);
  markActive(profile, day);
  const stats = values.v[value];
  if (stats && !stale(stats, time)) {
    countDay(stats, day, time);
    return;
  }
  if (!stats) values.n++;
  values.v[value] = [time, day, 1];
  if (values.n > cap) evictLeastUsed(values, value);
}

/**
 * Counts `day` as one of the value's active days unless it already is. Days arrive in time order within a
 * run, so a day is known counted if it is the last active day, the first-seen day or, for older days
 * arriving late, the older day counted last. (A backfill of a day in the middle of days already counted
 * cannot be told apart and counts again: it only makes the value established a little sooner.)
 */
function countDay(stats: ValueStats, day: number, time: number): void {
  const counted = day === stats[1] || day === dayOf(stats[0]) || day === stats[3];
  stats[0] = Math.min(stats[0], time);
  if (counted) return;
  stats[2]++;
  if (day > stats[1]) {
    stats[1] = day;
    stats.length = 3; // back in time order: no late day to remember
  } else stats[3] = day;
}

function evictLeastUsed(values: FeatureProfile, keep: string): void {
  let victim: string | undefined;
  let worst: ValueStats | undefined;
  for (const [value, stats] of Object.entries(values.v)) {
    if (value === keep) continue;
    if (!worst || stats[2] < worst[2] || (stats[2] === worst[2] && stats[1] < worst[1])) {
      victim = value;
      worst = stats;
    }
  }
  if (victim !== undefined) {
    delete values.v[victim];
    values.n--;
  }
}

/**
 * Unseen before `since` (epoch ms): never seen, forgotten, or first seen at or after `since`. A plain
 * first-seen test; the anomaly types judge with `isUnusual`, for which a value seen only minutes ago is
 * still unusual.
 */
export function isNew(profile: Profile, feature: string, value: string, since: number): boolean {
  const stats = profile.f[feature]?.v[value];
  return !stats || stats[0] >= since || stale(stats, since);
}

/**
 * Whether a known value has become part of the profile by `time`: active on MIN_ACTIVE_DAYS distinct days
 * (a habit), or first seen at least the learning period ago (at least a day: it has been through a whole
 * learning period of the model, like a scope that has finished learning). A value first seen minutes, hours
 * or a couple of days ago is not yet profiled, however many calls came with it: the calls an intruder makes
 * first with stolen keys do not make their network familiar. The bound is what keeps a new office or tool
 * from staying unusual for ever: it is learned after three days of use, or after the learning period.
 */
export function established(stats: ValueStats, time: number, learningDays: number): boolean {
  return stats[2] >= MIN_ACTIVE_DAYS || time - stats[0] >= Math.max(1, learningDays) * DAY_MS;
}

/**
 * Unusual for the profile at `time` (the anomaly types' "unseen"): never seen, forgotten after STALE_DAYS,
 * or seen but not yet established.
 */
export function isUnusual(profile: Profile, feature: string, value: string, time: number, learningDays: number): boolean {
  const stats = profile.f[feature]?.v[value];
  return !stats || stale(stats, time) || !established(stats, time, learningDays);
}

type Frequency = 'frequent' | 'infrequent' | 'rare';

/** GuardDuty's labels: frequent = daily to weekly, infrequent = a few times a month, rare = less than monthly. */
function frequency(stats: ValueStats, profile: Profile, time: number): Frequency {
  const observed = Math.min(STALE_DAYS, Math.max(1, dayOf(time) - dayOf(profile.first) + 1));
  const perMonth = (stats[2] * 30) / observed;
  return perMonth >= 4 ? 'frequent' : perMonth >= 1 ? 'infrequent' : 'rare';
}

/** When a report is made, and the learning period that decides which values are established. */
export interface AsOf {
  time: number;
  learningDays: number;
}

/** The values established at `asOf` (isUnusual's complement), most active first, at most `limit` per frequency. */
function profiledValues(profile: Profile, feature: string, asOf: AsOf, limit = 20): Record<Frequency, string[]> {
  const out: Record<Frequency, string[]> = { frequent: [], infrequent: [], rare: [] };
  const values = Object.entries(profile.f[feature]?.v ?? {})
    .filter(([, stats]) => !stale(stats, asOf.time) && established(stats, asOf.time, asOf.learningDays))
    .sort((a, b) => b[1][2] - a[1][2]);
  for (const [value, stats] of values) {
    const list = out[frequency(stats, profile, asOf.time)];
    if (list.length < limit) list.push(value);
  }
  return out;
}

// ---- Features of an event ----

const uaCache = new Map<string, string>();

/**
 * The console speaks with many agents (the browser, `console.ec2.amazonaws.com`, `S3Console/…`, `AWS
 * Internal`) that change with the page visited: one tool for profiling, or every new console page would be
 * a new tool.
 */
const CONSOLE_CATEGORIES = new Set(['browser', 'AWS Console', 'AWS Service', 'AWS Internal', 'AwsSignin']);
/** The category every console agent is profiled as. */
export const CONSOLE_CATEGORY = 'AWS Console';
/** A service console's own agent (`console.ec2.amazonaws.com`), which userAgentCategory leaves as OTHER. */
const SERVICE_CONSOLE = /^console\.[a-z0-9-]+\.amazonaws\.com$/;

/**
 * CloudShell, the console's own shell: its CLI calls come from AWS's addresses, not the user's, so they
 * are the console user at work and say nothing of where the user is.
 */
export const inCloudShell = (userAgent: string | null): boolean => userAgent !== null && userAgent.includes('exec-env/CloudShell');

/**
 * The agent category profiled (userAgentCategory, console agents as one), memoised because agents repeat
 * endlessly, ignoring the brackets S3 data events add.
 */
export function uaCategory(userAgent: string | null): string {
  if (!userAgent) return 'OTHER';
  let category = uaCache.get(userAgent);
  if (category === undefined) {
    category = userAgentCategory(userAgent);
    if (CONSOLE_CATEGORIES.has(category) || SERVICE_CONSOLE.test(bareAgent(userAgent)) || inCloudShell(userAgent)) category = CONSOLE_CATEGORY;
    if (uaCache.size >= 10_000) uaCache.clear();
    uaCache.set(userAgent, category);
  }
  return category;
}

/** The ASN as GuardDuty prints it in profiles, or null when unknown. */
export function asnLabel(ip: string | null, intel: IntelLookup): string | null {
  if (!ip) return null;
  const { asn, asnOrg } = intel.ipDetails(ip);
  return asn === undefined ? null : `asnNumber: ${asn} asnOrg: ${asnOrg ?? 'unknown'}`;
}

const ORG_MARK = ' asnOrg: ';

/**
 * Whether a network (an `asnLabel`) is unusual for the profile's `asn` feature: unusual itself, and no
 * other ASN of the same organisation established either. One provider's several ASNs (Amazon's 16509 and
 * 14618) are one network for its workloads; an organisation that is unknown merges with nothing.
 */
export function isUnusualNetwork(profile: Profile, asn: string, time: number, learningDays: number): boolean {
  if (!isUnusual(profile, 'asn', asn, time, learningDays)) return false;
  const org = asn.slice(asn.indexOf(ORG_MARK) + ORG_MARK.length);
  if (!asn.includes(ORG_MARK) || org === 'unknown') return true;
  for (const [value, stats] of Object.entries(profile.f.asn?.v ?? {})) {
    if (value !== asn && value.endsWith(ORG_MARK + org) && !stale(stats, time) && established(stats, time, learningDays)) return false;
  }
  return true;
}

/**
 * Whether a caller's country is unusual for the profile: only where its network is unknown or unusual too
 * (`networkUnusual`), since one provider's or CI's addresses geolocate all over the world and GuardDuty
 * profiles the ASN, not the country.
 */
export function isUnusualCountry(profile: Profile, country: string | null, networkKnown: boolean, networkUnusual: boolean, time: number, learningDays: number): boolean {
  return country !== null && (!networkKnown || networkUnusual) && isUnusual(profile, 'country', country, time, learningDays);
}

export function countryOf(ip: string | null, intel: IntelLookup): string | null {
  return ip ? (intel.ipDetails(ip).countryCode ?? null) : null;
}

/** `ASSUMEDROLE`, `IAMUSER`, … as in GuardDuty's user-type profiles. */
export function userTypeLabel(event: ApiEvent): string {
  return (event.actor.type ?? 'UNKNOWN').toUpperCase();
}

/** The name profiled per account: user name, role name, or Root. */
export function userNameLabel(event: ApiEvent): string {
  return event.actor.type === 'Root' ? 'Root' : (event.actor.userName ?? event.actor.principalId ?? 'unknown');
}

/** Bare API names for display (profiles key APIs by `service:Api` to keep services apart). */
export const bareApi = (key: string): string => key.slice(key.indexOf(':') + 1);

// ---- GuardDuty's two report formats (guardduty.md §8.3, §8.4) ----

export type Scope = 'AccountProfiling' | 'UserIdentityProfiling' | 'BucketProfiling';

/** One profiled feature to report: legacy name (APIs, ASNs, …), profile and feature key within it. */
export interface ProfiledFeature {
  scope: Scope;
  name: string;
  profile: Profile;
  feature: string;
  display?: (value: string) => string;
}

/** One unusual feature to report, with its unusual values. */
export interface UnusualFeature {
  scope: Scope;
  name: string;
  values: string[];
}

const SUBTYPE: Record<Frequency, string> = { frequent: 'FREQUENT', infrequent: 'INFREQUENT', rare: 'RARE' };

export interface AnomalyReport {
  profiledBehavior: Record<string, string>;
  unusualBehavior: Record<string, string>;
  anomaly: { profiles: Record<string, Record<string, unknown[]>>; unusual: { behavior: Record<string, Record<string, unknown>> } };
}

/**
 * The legacy `additionalInfo` strings (`frequentProfiledAPIsUserIdentityProfiling`, `unusualASNs…`) and the
 * structured `service.detection.anomaly` objects for the same profiles: the values established at `asOf`.
 */
export function anomalyReport(
  profiled: ProfiledFeature[],
  unusual: UnusualFeature[],
  asOf: AsOf,
  extraUnusual: Record<string, string> = {},
): AnomalyReport {
  const report: AnomalyReport = { profiledBehavior: {}, unusualBehavior: { ...extraUnusual }, anomaly: { profiles: {}, unusual: { behavior: {} } } };
  for (const { scope, name, profile, feature, display } of profiled) {
    const values = profiledValues(profile, feature, asOf);
    for (const freq of ['frequent', 'infrequent', 'rare'] as const) {
      const shown = display ? values[freq].map(display) : values[freq];
      if (shown.length === 0) continue;
      report.profiledBehavior[`${freq}Profiled${name}${scope}`] = shown.join(' , ');
      ((report.anomaly.profiles[scope] ??= {})[name] ??= []).push({
        profileType: 'FREQUENCY',
        profileSubtype: SUBTYPE[freq],
        observations: { text: shown },
      });
    }
  }
  for (const { scope, name, values } of unusual) {
    if (values.length === 0) continue;
    report.unusualBehavior[`unusual${name}${scope}`] = values.join(' , ');
    (report.anomaly.unusual.behavior[scope] ??= {})[name] = { profileType: 'FREQUENCY', profileSubtype: 'UNSEEN', observations: { text: values } };
  }
  return report;
}

/** Call counts per scope for the S3 volume features (numberOfHistoricalDaily…APIs, numberOfPast24HoursAPIs). */
export interface VolumeFeature {
  scope: 'BucketProfiling' | 'BucketUserIdentityProfiling' | 'UserIdentityProfiling';
  dailyAverage: number;
  dailyMax: number;
  past24Hours: number;
}

/** Adds the volume features to a report, in both formats: legacy strings and VOLUME anomaly objects. */
export function addVolumes(report: AnomalyReport, volumes: VolumeFeature[]): void {
  for (const v of volumes) {
    report.profiledBehavior[`numberOfHistoricalDailyAvgAPIs${v.scope}`] = String(v.dailyAverage);
    report.profiledBehavior[`numberOfHistoricalDailyMaxAPIs${v.scope}`] = String(v.dailyMax);
    report.unusualBehavior[`numberOfPast24HoursAPIs${v.scope}`] = String(v.past24Hours);
    ((report.anomaly.profiles[v.scope] ??= {}).APIs ??= []).push(
      { profileType: 'VOLUME', profileSubtype: 'AVERAGE', observations: { number: [v.dailyAverage] } },
      { profileType: 'VOLUME', profileSubtype: 'COUNT', observations: { number: [v.dailyMax] } },
    );
    (report.anomaly.unusual.behavior[v.scope] ??= {}).NumberOfAPIs = { profileType: 'VOLUME', profileSubtype: 'COUNT', observations: { number: [v.past24Hours] } };
  }
}
