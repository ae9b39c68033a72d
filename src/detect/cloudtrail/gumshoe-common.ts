import { ApiEvent, type ApiEventFields } from '../api-event.js';
import type { DetectionContext, DetectSettings, Signal } from '../detection.js';
import { userAgentCategory } from '../user-agent.js';
import { allowScope, IDENTITY_PINNING } from './s3-policy-evaluation.js';

/**
 * Shared pieces of the `.Gumshoe` detections (our own finding types beyond GuardDuty's catalogue):
 * payload readers, caller classification, policy parsing, and bounded JSON state for windows and habits.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

type Json = Record<string, unknown>;

export function obj(value: unknown): Json | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A list however CloudTrail wrote it: an array, EC2's `{items: [...]}`, or a single value. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value;
  const o = obj(value);
  if (o && 'items' in o) return list(o.items);
  return [value];
}

/** The objects of a list however CloudTrail wrote it (see `list`); other items are left out. */
export function objects(value: unknown): Json[] {
  return list(value).map(obj).filter((o): o is Json => o !== null);
}

/** A flag as CloudTrail writes it: a boolean, or sometimes the string `"true"`. */
export const isTrue = (value: unknown): boolean => value === true || value === 'true';

/** A string value as a one-item list, or an empty list: the distinct items of a burst. */
export function present(value: unknown): string[] {
  const s = str(value);
  return s ? [s] : [];
}

/** EC2 sometimes wraps scalars as `{value: x}`. */
export function scalar(value: unknown): string | undefined {
  return str(value) ?? str(obj(value)?.value);
}

// ---- who is calling ----

/**
 * Infrastructure-as-code tools: changes they make are reviewed code, not hands on a keyboard. Terraform's
 * AWS provider names itself whatever core runs it (OpenTofu, CDK for Terraform), so it counts too.
 */
export function isIacAgent(userAgent: string | null): boolean {
  const category = userAgentCategory(userAgent);
  return category === 'Terraform' || category === 'CloudFormation' || /pulumi|terraform-provider-aws\/|OpenTofu\//i.test(userAgent ?? '');
}

export function isConsoleAgent(userAgent: string | null): boolean {
  const category = userAgentCategory(userAgent);
  return category === 'AWS Console' || category === 'browser';
}

/** The console's own calls: a browser agent, or `AWS Internal` for console pages backed by AWS services. */
export const fromConsole = (event: ApiEvent): boolean => isConsoleAgent(event.userAgent) || event.userAgent === 'AWS Internal';

/** An IAM user's or root's long-term access key (AKIA…): what stolen-key campaigns run on; workloads use roles. */
export const isLongTermKey = (event: ApiEvent): boolean =>
  (event.actor.type === 'IAMUser' || event.actor.type === 'Root') && (event.actor.accessKeyId?.startsWith('AKIA') ?? false);

/**
 * AWS acting for the customer (service-linked roles, `invokedBy`, a service as the source). CloudFormation
 * is not: it runs the customer's own template, so its calls count (as infrastructure as code).
 */
export function isAwsServiceCall(event: ApiEvent): boolean {
  const { actor } = event;
  if (actor.invokedBy === 'cloudformation.amazonaws.com' || event.sourceHost === 'cloudformation.amazonaws.com') return false;
  return (
    actor.type === 'AWSService' ||
    actor.invokedBy !== null ||
    event.eventType === 'AwsServiceEvent' ||
    (event.sourceHost?.endsWith('.amazonaws.com') ?? false) ||
    (actor.sessionIssuerArn?.includes(':role/aws-service-role/') ?? false)
  );
}

/** IAM Identity Center (SSO) permission-set sessions. */
export function isSsoSession(event: ApiEvent): boolean {
  return (event.actor.sessionIssuerArn?.includes('/aws-reserved/sso.amazonaws.com/') ?? false) || (event.actor.sessionIssuerName?.startsWith('AWSReservedSSO_') ?? false);
}

/** People rather than workloads: IAM users, root, federated users, SSO sessions, console sessions. */
export function isPersonLike(event: ApiEvent): boolean {
  const type = event.actor.type;
  if (type === 'IAMUser' || type === 'Root' || type === 'FederatedUser') return true;
  return type === 'AssumedRole' && (isSsoSession(event) || isConsoleAgent(event.userAgent));
}

/** People with an identity of their own: IAM users, root, federated users, SSO sessions (not any role used from the console). */
export function isNamedPerson(event: ApiEvent): boolean {
  const { type } = event.actor;
  if (type === 'IAMUser' || type === 'Root' || type === 'FederatedUser') return true;
  return type === 'AssumedRole' && isSsoSession(event);
}

/** The caller's own name, to tell "for myself" from "for someone else": user name, or role session name. */
export function callerName(event: ApiEvent): string | null {
  const { actor } = event;
  if (actor.type === 'IAMUser') return actor.userName;
  const arn = actor.arn ?? '';
  const slash = arn.lastIndexOf('/');
  return slash >= 0 ? arn.slice(slash + 1) : null;
}

/**
 * A person's role session as findings name it: the session name (an SSO user, `frank@acme.example`) with
 * the role it runs under, since the role alone (a permission set) is shared by many people. Undefined for
 * everyone else, whose engine-filled `{principal}` already names them.
 */
export function personLabel(event: ApiEvent): string | undefined {
  if (event.actor.type !== 'AssumedRole' || !isPersonLike(event)) return undefined;
  const session = callerName(event);
  const role = event.actor.sessionIssuerName ?? event.actor.userName;
  return session && role ? `${session} (${role})` : undefined;
}

/** Template variables that make `{principal}` name the person behind a role session (see personLabel). */
export function personVars(event: ApiEvent): Record<string, string> {
  const label = personLabel(event);
  return label ? { principal: label } : {};
}

/** An API as people know it: Lambda's CloudTrail names carry a version (`UpdateFunctionCode20150331v2`). */
export function apiName(api: string): string {
  return api.replace(/\d{8}(v\d+)?$/, '');
}

/** EC2 instance-profile credentials: the session name is the instance id. */
export function instanceOfSession(event: ApiEvent): string | null {
  if (!event.actor.principalId?.includes(':i-')) return null;
  // Alphanumeric rather than hex: anonymised logs rewrite instance ids with other letters.
  const match = /:(i-[0-9a-zA-Z]{8,17})$/.exec(event.actor.principalId ?? '');
  return match ? match[1] : null;
}

// ---- accounts and policies ----

/** The account a principal or resource ARN belongs to (`123456789012`, `arn:aws:iam::123456789012:root`, …). */
export function accountOf(value: string): string | null {
  if (/^\d{12}$/.test(value)) return value;
  const match = /^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(value);
  return match ? match[1] : null;
}

/** The event's `resources` entries. */
export function resourcesOf(event: ApiEvent): Json[] {
  if (!event.resourcesText) return [];
  try {
    return list(JSON.parse(event.resourcesText) as unknown)
      .map(obj)
      .filter((r): r is Json => r !== null);
  } catch {
    return [];
  }
}

export function ownAccount(event: ApiEvent): string | null {
  return event.accountId ?? event.actor.accountId;
}

/** Another account that is not in the organisation. */
export function isExternalAccount(account: string, event: ApiEvent, settings: DetectSettings): boolean {
  return account !== ownAccount(event) && !settings.organizationAccounts.has(account);
}

/** A policy document from CloudTrail: an object, a JSON string, or a URL-encoded JSON string. */
export function policyDocument(value: unknown): Json | null {
  const direct = obj(value);
  if (direct) return direct;
  if (typeof value !== 'string' || value === '') return null;
  for (const candidate of [value, safeDecode(value)]) {
    try {
      const parsed = obj(JSON.parse(candidate));
      if (parsed) return parsed;
    } catch {
      // try the next form
    }
  }
  return null;
}

/** A URL-encoded value decoded, or as logged when it is not valid encoding. */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function allowStatements(document: Json | null): Json[] {
  return list(document?.Statement)
    .map(obj)
    .filter((s): s is Json => s !== null && s.Effect === 'Allow');
}

/**
 * AWS principals a statement names (`*` for anyone). Service and federated principals are left out. An
 * Allow with NotPrincipal admits everyone but the principals it lists: `*`.
 */
export function awsPrincipals(statement: Json): string[] {
  if (statement.NotPrincipal !== undefined) return ['*'];
  const principal = statement.Principal;
  if (principal === '*') return ['*'];
  return list(obj(principal)?.AWS)
    .map(str)
    .filter((p): p is string => p !== undefined);
}

export function actionsOf(statement: Json, field: 'Action' | 'NotAction' = 'Action'): string[] {
  return list(statement[field])
    .map(str)
    .filter((a): a is string => a !== undefined)
    .map((a) => a.toLowerCase());
}

/** An IAM action pattern (`sts:Assume*`, `*`, `iam:?ttach*`) against an action name, case-insensitively. */
function actionMatches(pattern: string, action: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(action);
}

/** Whether a statement's Action (wildcards included) or NotAction covers any of `actions`. */
export function allowsAnyAction(statement: Json, actions: readonly string[]): boolean {
  if (statement.NotAction !== undefined) {
    const excluded = actionsOf(statement, 'NotAction');
    return actions.some((action) => !excluded.some((pattern) => actionMatches(pattern, action)));
  }
  return actions.some((action) => actionsOf(statement).some((pattern) => actionMatches(pattern, action)));
}

/** Condition keys a statement uses, lower-cased (`aws:principalorgid`, `sts:externalid`, …). */
export function conditionKeys(statement: Json): Set<string> {
  const keys = new Set<string>();
  for (const operator of Object.values(obj(statement.Condition) ?? {})) {
    for (const key of Object.keys(obj(operator) ?? {})) keys.add(key.toLowerCase());
  }
  return keys;
}

/**
 * Whether the conditions of a `*` statement pin it down to the organization, named accounts or ARNs, or a
 * VPC. Judged as S3's own public-policy evaluation does, not by which keys appear: a negated or
 * `…IfExists` operator, or an ARN with a wildcard account (`arn:aws:iam::*:role/x`), pins nothing.
 */
export function isScopedWildcard(statement: Json): boolean {
  return allowScope(statement.Condition, IDENTITY_PINNING) === 'none';
}

// ---- bounded JSON state ----

/**
 * An insertion-ordered map kept in detection state (plain JSON); past `cap`, the first-inserted tenth is evicted.
 * Keys are prefixed so that numeric-looking keys (account ids) keep insertion order.
 */
export interface BoundedMap<V> {
  size: number;
  items: Record<string, V>;
}

export function boundedMap<V>(): BoundedMap<V> {
  return { size: 0, items: {} };
}

export function getEntry<V>(map: BoundedMap<V>, key: string): V | undefined {
  return map.items[`#${key}`];
}

export function setEntry<V>(map: BoundedMap<V>, key: string, value: V, cap: number): void {
  const k = `#${key}`;
  // An update keeps the entry's place (first inserted, first evicted): deleting and re-adding on every
  // event turned hot state objects into slow dictionaries.
  if (k in map.items) {
    map.items[k] = value;
    return;
  }
  map.size++;
  map.items[k] = value;
  if (map.size > cap) {
    // Finding the oldest key walks the object's keys, so a full map drops its oldest tenth at once:
    // each insert then costs O(1) on average instead of O(cap).
    const drop = Object.keys(map.items).slice(0, map.size - cap + Math.ceil(cap / 10));
    for (const oldest of drop) delete map.items[oldest];
    map.size -= drop.length;
  }
}

/** Something seen this long ago is a habit, not a first. */
export const HABIT_AGE = 12 * HOUR;

/**
 * Records `time` as when `key` was first seen unless an earlier time is known, and returns the earliest.
 * Older logs ingested after newer ones (a backfill) move it back, so a learning period or a habit is
 * measured from the earliest event, not from the first one processed.
 */
export function earliestSeen(map: BoundedMap<number>, key: string, time: number, cap: number): number {
  const first = getEntry(map, key);
  if (first !== undefined && first <= time) return first;
  setEntry(map, key, time, cap);
  return time;
}

/** Distinct items (keys, tasks) one principal touched in a window that starts at its first. */
export interface ItemWindow {
  start: number;
  items: string[];
}

/**
 * Adds `item` to `key`'s window, a new one once `windowMs` has passed since its start, and returns how many
 * distinct items the window holds (counted up to `cap`).
 */
export function distinctInWindow(map: BoundedMap<ItemWindow>, key: string, item: string, time: number, windowMs: number, cap = 50): number {
  const previous = getEntry(map, key);
  // An entry without items is an older version's state: start again.
  const window = previous?.items && time >= previous.start && time - previous.start <= windowMs ? previous : { start: time, items: [] };
  if (!window.items.includes(item) && window.items.length < cap) window.items = [...window.items, item];
  setEntry(map, key, window, 2000);
  return window.items.length;
}

/**
 * Records that `key` happened at `time` and says whether it was already a habit: seen at least HABIT_AGE
 * apart from this use. A burst does not make itself a habit; a repeat on a later day does. An older use
 * arriving late (a backfill) is measured against the later use already seen, never with a negative age:
 * a routine that recurs a day later is a habit, not a first. `record: false` asks without recording (a
 * failed call does not make a habit).
 */
export function wasHabit(map: BoundedMap<number>, key: string, time: number, cap = 5000, record = true): boolean {
  const known = getEntry(map, key);
  if (record) {
    earliestSeen(map, key, time, cap);
    if (known !== undefined) keepInUse(map, key, cap);
  }
  return known !== undefined && Math.abs(time - known) >= HABIT_AGE;
}

/**
 * A nearly full map evicts in insertion order, and an entry's value (when it was first seen) does not change
 * with use: a routine used every day would go before a one-off seen once since. So once the map is half full,
 * a used entry moves to the back. (Below that, moving would only cost: hot maps turn into slow dictionaries.)
 */
function keepInUse(map: BoundedMap<number>, key: string, cap: number): void {
  if (map.size < cap / 2) return;
  const k = `#${key}`;
  const value = map.items[k]!;
  delete map.items[k];
  map.items[k] = value;
}

/** Records `key` and says whether this is the very first time it is seen. */
export function firstTime(map: BoundedMap<number>, key: string, time: number, cap = 5000): boolean {
  if (getEntry(map, key) !== undefined) return false;
  setEntry(map, key, time, cap);
  return true;
}

/** Whether the account has been watched for the configured learning period (first-seen types wait for it). */
export function learningOver(context: DetectionContext, event: ApiEvent): boolean {
  const since = context.state<BoundedMap<number>>('account-first-seen', boundedMap);
  const first = earliestSeen(since, ownAccount(event) ?? 'unknown', event.time, 1000);
  return event.time - first >= context.settings.learningDays * DAY;
}

/** Refused for lack of permission: probing shows as these, not as "not found". */
export function isDenied(event: ApiEvent): boolean {
  return event.errorCode !== null && /AccessDenied|Unauthorized|Forbidden|NotAuthorized/i.test(event.errorCode);
}

/** A count of distinct things within a window that starts at its first event. */
export interface Burst {
  start: number;
  /** Its latest call (state saved before this was kept lacks it). */
  last?: number;
  calls: number;
  /** Distinct items refused for lack of permission ("not found" and other errors are not probing). */
  denied: string[];
  deniedCalls: number;
  /** Distinct items seen, kept up to a cap a little above the threshold. */
  items: string[];
  /** The detection decided on it (crossed its threshold; reported, or not as a habit). */
  fired: boolean;
  /**
   * A report of it went out. A call that joins it later (a run ended inside its window, or a late delivery)
   * reports it again, as the same finding grown rather than a new occurrence.
   */
  reported?: boolean;
  /** What the detection decided from the call that crossed the threshold, for every report of the burst. */
  facts?: Record<string, string | boolean>;
  /**
   * The region of the call that crossed the threshold: its finding's, so that every report of a burst
   * across regions (an attacker sweeping them) updates one finding, however the runs split the burst.
   */
  region?: string | null;
}


/**
 * Probing for access: at least `distinct` different things refused, and refusals are most of the calls
 * (a busy application that is sometimes denied is misconfigured, not probing).
 */
export function isProbing(burst: Burst, distinct: number): boolean {
  return burst.denied.length >= distinct && burst.deniedCalls * 2 >= burst.calls;
}

/** Adds a distinct item; returns whether it was new. */
export function addItem(items: string[], item: string, cap: number): boolean {
  if (items.includes(item)) return false;
  if (items.length < cap) items.push(item);
  return true;
}

const newBurst = (time: number): Burst => ({ start: time, last: time, calls: 0, denied: [], deniedCalls: 0, items: [], fired: false });

/**
 * Counts one event into the `name` burst of `key` (a window from its first event), with `items` as the
 * distinct things it touched. The burst's events are kept as evidence; `evidence` is their key.
 */
export function trackBurst(
  context: DetectionContext,
  name: string,
  key: string,
  event: ApiEvent,
  items: readonly string[],
  windowMs: number,
  options: { itemCap?: number } = {},
): { burst: Burst; evidence: string } {
  const bursts = context.state<BoundedMap<Burst>>(`burst:${name}`, boundedMap);
  let burst = getEntry(bursts, key);
  if (burst && event.time < burst.start) {
    // An older call that a later run reads (CloudTrail delivered its file late). It joins the burst when
    // they fit one window together, as in a run that read it in order; an older one counts alone, leaving
    // the burst (maybe reported already) as it is.
    if ((burst.last ?? burst.start) - event.time <= windowMs) burst.start = event.time;
    else burst = newBurst(event.time);
  }
  if (!burst || event.time - burst.start > windowMs) {
    if (burst) dropEvidence(context, `${name}|${key}@${burst.start}`);
    burst = newBurst(event.time);
    setEntry(bursts, key, burst, 2000);
  }
  const denied = isDenied(event);
  burst.calls++;
  burst.last = Math.max(burst.last ?? event.time, event.time);
  if (denied) burst.deniedCalls++;
  const cap = options.itemCap ?? 50;
  for (const item of items) {
    addItem(burst.items, item, cap);
    if (denied) addItem(burst.denied, item, cap);
  }
  const evidenceKey = `${name}|${key}@${burst.start}`;
  keepEvidence(context, evidenceKey, event);
  return { burst, evidence: evidenceKey };
}

/**
 * Reports a burst once its window has closed (or the run ends), so that the finding states everything the
 * burst reached, not the threshold it crossed; `report` then gets the burst's evidence. Call it when the
 * burst crosses its threshold, and for every later call of a burst already `reported`: a run that ended
 * inside the window reported what it had seen, and the calls the next run reads widen that finding (same
 * id, first seen at the burst's start, last seen at its latest call) without counting a new occurrence.
 * `report` must read the decision it states from the burst (`facts`), not from the call that crossed the
 * threshold, which a later run no longer has. The detection must call `flushDeferred` before tracking each
 * event and when it finishes.
 */
export function reportWhenWindowCloses(
  context: DetectionContext,
  evidenceKey: string,
  burst: Burst,
  windowMs: number,
  trigger: ApiEvent,
  report: (window: BurstWindow) => void,
): void {
  const key = `burst|${evidenceKey}`;
  // A report of this window is waiting already: it will state this call too.
  if (isDeferred(context, key)) return;
  const continues = burst.reported === true;
  if (burst.region === undefined) burst.region = trigger.region;
  // Just past the window: an event exactly at its end still belongs to it (trackBurst).
  defer(context, key, burst.start + windowMs + 1, () => {
    const { latest, events } = takeWindow(context, evidenceKey) ?? { latest: trigger, events: [] };
    const region = burst.region ?? null;
    burst.reported = true;
    report({
      event: latest.region === region ? latest : latest.with({ region }),
      related: events.filter((e) => e !== latest),
      since: burst.start,
      until: Math.max(burst.last ?? latest.time, latest.time),
      continues,
    });
  });
}

/**
 * A closed burst window as its finding reports it (spread into the signal): the latest call of this run,
 * other calls as evidence, its start and latest call, and whether an earlier report counted it already.
 */
export interface BurstWindow {
  event: ApiEvent;
  related: ApiEvent[];
  since: number;
  until: number;
  continues: boolean;
}

/**
 * Past `cap` entries, drops a Map's first-inserted tenth at once. Deleting one entry at a time from the
 * front costs O(cap) per call: V8 leaves a hole per deleted entry, and `keys().next()` walks them all.
 */
export function trimOldest<K, V>(map: Map<K, V>, cap: number): void {
  if (map.size <= cap) return;
  let drop = map.size - cap + Math.ceil(cap / 10);
  for (const key of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(key);
  }
}

// ---- evidence kept in memory for one run ----

/** A window's first events, as evidence, and its latest event, which the finding shows. */
interface KeptWindow {
  events: ApiEvent[];
  latest: ApiEvent;
}

const evidence = new WeakMap<object, Map<string, KeptWindow>>();
/** Open windows whose events are held, per detection: bounds the memory a run keeps. */
const EVIDENCE_KEYS = 2000;

/** Keeps up to `cap` events under `key` for this run, to attach as evidence when a burst fires. */
export function keepEvidence(context: DetectionContext, key: string, event: ApiEvent, cap = 10): void {
  let byKey = evidence.get(context);
  if (!byKey) {
    byKey = new Map();
    evidence.set(context, byKey);
  }
  let kept = byKey.get(key);
  if (!kept) {
    kept = { events: [], latest: event };
    byKey.set(key, kept);
    trimOldest(byKey, EVIDENCE_KEYS);
  }
  if (kept.events.length < cap) kept.events.push(event);
  if (event.time >= kept.latest.time) kept.latest = event;
}

/** The window's kept events and its latest one, forgotten here. */
function takeWindow(context: DetectionContext, key: string): KeptWindow | undefined {
  const kept = evidence.get(context)?.get(key);
  dropEvidence(context, key);
  return kept;
}

export function takeEvidence(context: DetectionContext, key: string, except?: ApiEvent): ApiEvent[] {
  return (takeWindow(context, key)?.events ?? []).filter((e) => e !== except);
}

/** Forgets the events of a window that closed without firing. */
export function dropEvidence(context: DetectionContext, key: string): void {
  evidence.get(context)?.delete(key);
}

// ---- reports that wait for the end of a burst window, within a run ----

interface Deferred {
  due: number;
  key: string;
  fire: () => void;
}

interface Pending {
  items: Deferred[];
  /** Earliest due time, so that most events skip the scan. */
  next: number;
}

const deferred = new WeakMap<object, Pending>();
const DEFERRED_CAP = 1000;

/** Runs `fire` once event time passes `due`, or at the end of the run. */
function defer(context: DetectionContext, key: string, due: number, fire: () => void): void {
  let pending = deferred.get(context);
  if (!pending) {
    pending = { items: [], next: Infinity };
    deferred.set(context, pending);
  }
  pending.items.push({ due, key, fire });
  pending.next = Math.min(pending.next, due);
  if (pending.items.length > DEFERRED_CAP) pending.items.shift()!.fire();
}

function isDeferred(context: DetectionContext, key: string): boolean {
  return deferred.get(context)?.items.some((d) => d.key === key) ?? false;
}

/** Fires what is due by `now`, or everything when `now` is omitted (end of run). */
export function flushDeferred(context: DetectionContext, now = Infinity): void {
  const pending = deferred.get(context);
  if (!pending || pending.next > now) return;
  const due = pending.items.filter((d) => d.due <= now);
  pending.items = pending.items.filter((d) => d.due > now);
  pending.next = Math.min(Infinity, ...pending.items.map((d) => d.due));
  for (const d of due) d.fire();
}

// ---- findings held back for an event that would cancel them (an out-of-order CreateUser) ----

/**
 * How late CloudTrail delivers an event (typically 5, at most about 15 minutes): until this long after a
 * held finding was due, the event that cancels it may still be in files that a later run reads.
 */
export const DELIVERY_DELAY = 15 * MINUTE;

/** A signal held in detection state, since the event that cancels it may be in the next run's logs. */
interface HeldSignal {
  key: string;
  due: number;
  signal: Omit<Signal, 'event' | 'related'>;
  /** The signal's event without its payloads: building a finding reads none. */
  event: ApiEventFields;
  /** Left undecided at the end of a run: the next run's end reports it, whatever its logs hold. */
  carried?: boolean;
}

const HELD_CAP = 1000;
const heldSignals = (context: DetectionContext) => context.state<{ items: HeldSignal[] }>('held-signals', () => ({ items: [] }));

function emitHeld(context: DetectionContext, held: HeldSignal): void {
  context.emit({ ...held.signal, event: new ApiEvent(held.event) });
}

/**
 * Emits `signal` once event time passes `due`, unless `cancelHeld(key)` comes first. Kept in the detection's
 * state: at the end of a run whose logs have not passed `due`, it waits for the next run (see finishHeld).
 */
export function holdSignal(context: DetectionContext, key: string, due: number, signal: Signal): void {
  const { event, related: _evidence, ...rest } = signal;
  const held = heldSignals(context);
  held.items.push({ key, due, signal: rest, event: { ...event.fields(), requestText: null, responseText: null, additionalText: null, resourcesText: null } });
  if (held.items.length > HELD_CAP) emitHeld(context, held.items.shift()!);
}

export function cancelHeld(context: DetectionContext, key: string): void {
  const held = heldSignals(context);
  if (held.items.length) held.items = held.items.filter((h) => h.key !== key);
}

/** Emits the held signals due by `now` (event time). */
export function releaseHeld(context: DetectionContext, now: number): void {
  const held = heldSignals(context);
  if (!held.items.some((h) => h.due <= now)) return;
  const due = held.items.filter((h) => h.due <= now);
  held.items = held.items.filter((h) => h.due > now);
  for (const h of due) emitHeld(context, h);
}

/**
 * The end of a run. A held signal is decided now when CloudTrail has delivered everything up to its due
 * time (the run's wall clock is past it by the delivery delay: a batch over past logs decides at its end)
 * or when it was carried over from the previous run already; otherwise it waits for the next run, whose
 * files may hold the event that cancels it. A finding about recent logs so comes at most one run later.
 */
export function finishHeld(context: DetectionContext): void {
  const { now } = context;
  const held = heldSignals(context);
  const decided = held.items.filter((h) => h.carried || h.due + DELIVERY_DELAY < now);
  held.items = held.items.filter((h) => !decided.includes(h));
  for (const h of held.items) h.carried = true;
  for (const h of decided) emitHeld(context, h);
}

// ---- added helpers ----

/** Forgets `key` (a role deleted, a policy detached). */
export function deleteEntry<V>(map: BoundedMap<V>, key: string): void {
  const k = `#${key}`;
  if (!(k in map.items)) return;
  delete map.items[k];
  map.size--;
}

/** A Lambda API under every name CloudTrail gives it (`CreateFunction`, `CreateFunction20150331`, `…v2`). */
export const lambdaApiVersions = (name: string) => [name, `${name}20150331`, `${name}20150331v2`];

/** `my-fn`, or `my-fn` from `arn:aws:lambda:eu-west-1:111122223333:function:my-fn:prod`. */
export function lambdaFunctionName(value: unknown): string | null {
  const name = str(value);
  if (!name) return null;
  const match = /:function:([^:]+)/.exec(name);
  return match ? match[1]! : name;
}

// ---- decisions that an older event, delivered late, revisits ----

/** Cancels the held signals under `key` whose event time passes `test` (an out-of-order event cancels only what it explains). */
export function cancelHeldWhere(context: DetectionContext, key: string, test: (time: number) => boolean): void {
  const held = heldSignals(context);
  if (held.items.length) held.items = held.items.filter((h) => h.key !== key || !test(h.event.time));
}

/**
 * Keeps `event` (with its request, the other payloads left out) as `name`'s latest under `key`, in the
 * detection's state, so that an older event CloudTrail delivers late, maybe in a later run, can revisit the
 * decision taken on it (see `keptForRevisit`): a removed MFA device that makes a sign-in without MFA Medium,
 * a listing that makes a small batch read a bulk one.
 */
export function keepForRevisit(context: DetectionContext, name: string, key: string, event: ApiEvent, cap = 2000): void {
  const kept = context.state<BoundedMap<ApiEventFields>>(`revisit:${name}`, boundedMap);
  setEntry(kept, key, { ...event.fields(), responseText: null, additionalText: null, resourcesText: null }, cap);
}

/** The event kept as `name`'s latest under `key`, if it lies within [from, to]. */
export function keptForRevisit(context: DetectionContext, name: string, key: string, from: number, to: number): ApiEvent | undefined {
  const kept = getEntry(context.state<BoundedMap<ApiEventFields>>(`revisit:${name}`, boundedMap), key);
  return kept && kept.time >= from && kept.time <= to ? new ApiEvent(kept) : undefined;
}

/** The open burst `name` of `key` that holds `time` (read only, counting no call), with its evidence key. */
export function burstAt(context: DetectionContext, name: string, key: string, time: number, windowMs: number): { burst: Burst; evidence: string } | undefined {
  const burst = getEntry(context.state<BoundedMap<Burst>>(`burst:${name}`, boundedMap), key);
  if (!burst || time < burst.start || time - burst.start > windowMs) return undefined;
  return { burst, evidence: `${name}|${key}@${burst.start}` };
}
