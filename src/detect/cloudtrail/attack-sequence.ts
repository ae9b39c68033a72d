import { createHash } from 'node:crypto';
import { accessKeyDetailsOf, buildOccurrence, type EventPlace, evidenceRef, EVIDENCE_LIMIT, type EvidenceRef, type Occurrence } from '../../findings/build.js';
import type { AccessKeyDetails, AttackSequenceDetail } from '../../findings/guardduty-finding.js';
import { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, instanceRole, repeated, root, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext, FindingTypeSpec, Signal } from '../detection.js';
import { highRiskTactic } from './anomalous-behavior.js';
import { s3DataClass } from './api-classes.js';
import { type BoundedMap, boundedMap, getEntry, isIacAgent, setEntry, trimOldest } from './gumshoe-common.js';
import { bucketOf } from './s3-resources.js';
import { s3Ransomware } from './s3-ransomware.js';

/**
 * Extended Threat Detection for credentials (guardduty.md §2.6): AttackSequence:IAM/CompromisedCredentials
 * and AttackSequence:S3/CompromisedData, built from the run's findings (correlate) plus the credential's
 * high-risk API calls, S3 object reads, deletes and writes, and S3 discovery (S3 data events of the
 * Discovery class such as ListObjects, and the management ListBuckets) (onEvent), remembered per credential
 * (the principal ARN: user, or role session) across runs for WINDOW_MS.
 *
 * Signals, each counted once: every finding of the credential, and every group of its high-risk calls, S3
 * object calls or S3 discovery calls (API × bucket) that is not already the event of one of those findings
 * (a CreateUser or ListBuckets that raised a threat-list finding is that finding, not a second signal; S3
 * data events are only folded into S3 findings, since a finding about the caller, such as credential
 * exfiltration, says nothing of the data). Discovery is a stage of the sequence, as in GuardDuty's S3
 * scenario (ListBuckets → ListObjects → object writes and deletes, guardduty.md §2.6): its groups are
 * signals with the Discovery tactic, never high-risk calls and never data access.
 * A sequence needs at least MIN_SIGNALS signals resting on at least MIN_EVENTS distinct events (one API call
 * that raises three findings is one action, not a sequence) and spanning at least MIN_TACTICS attack
 * tactics (stages), within WINDOW_MS.
 *
 * Whose hands: both sequences say the credential is used by someone else, so both need at least one finding
 * that says so: a wrong-hands type (CREDENTIAL_TYPES: credential exfiltration, threat-list or Tor caller,
 * pentest tool, impossible travel), an anomaly of its behaviour (ANOMALY_TYPES: IAM or S3
 * AnomalousBehavior, which carry the unusual APIs, networks and ASNs as indicators), or intent no owner has
 * (HOSTILE_TYPES: a ransom note). Without one, however
 * many findings the owner's own work raises (an administrator tearing down a VPC by hand deletes its flow
 * logs, DNS query logging and Config recorder: four Medium findings) they stay findings, not a Critical.
 * Infrastructure as code: the calls of Terraform, CloudFormation or Pulumi (isIacAgent) are reviewed
 * changes, and a pipeline's apply can raise several persistence or sharing findings at once. Their call
 * groups are not kept, and findings raised on them (judged by the call the finding reports) are left out
 * of the sequence altogether rather than weighed 0: a 0 would still fill MIN_SIGNALS, MIN_TACTICS and the
 * types counted, and list a reviewed change as a sign of compromise. Wrong-hands types are kept whatever
 * the agent: they are about who calls, not the change (an agent string is the caller's to choose).
 *
 * Each finding type scores once: evidence the credential is in the wrong hands (credential exfiltration,
 * threat-list or Tor caller, pentest tool, impossible travel) 3; others by severity, High 2, Medium 1,
 * Low 0.5. The wrong-hands types of one family (Recon:IAMUser/ and UnauthorizedAccess:IAMUser/
 * MaliciousIPCaller.Custom, PenTest:IAMUser/ and PenTest:S3/KaliLinux…) report the same caller, so the
 * family scores once.
 * - CompromisedCredentials: at least two scoring types or families, scoring CREDENTIALS_SCORE or more, one
 *   point added when the credential also made high-risk calls (persistence, privilege escalation, defence
 *   evasion, …) that no finding reports.
 * - CompromisedData: the credential read, deleted or wrote S3 objects (S3 data events with their bucket)
 *   at or after its first suspicious signal, and either its findings other than the S3 data-event
 *   anomalies score DATA_SCORE, or all its findings score CREDENTIALS_SCORE with such an anomaly among
 *   them. Bucket-configuration calls (PutBucketPolicy…) and their findings are management events: they
 *   can make the credential suspect, never stand for the data access. The finding is filed under the
 *   bucket written or deleted first in the sequence (else read first), with its s3BucketDetails: a later
 *   run keeps the bucket of the first emission, and the first is the one every split of the logs agrees on.
 *   Listing buckets or objects is no data access: discovery alone never makes CompromisedData.
 * When both hold, one CompromisedData finding names CompromisedCredentials in additionalSequenceTypes.
 * Member findings point to the sequence through associatedAttackSequenceArn: the run's here, those earlier
 * runs raised when the run is stored (linkSequenceMembers); a member keeps the link when it recurs later.
 *
 * Windows: however the logs are split into runs, the same sequences. Each finding and call group keeps a few
 * of its events (MARKS, spread over its activity), and every 24-hour window ending at an event of the run
 * is judged in time order, so a run of several days judges each day, not only the day before the
 * credential's latest call. Qualifying windows that overlap are one sequence (one aggregation key, so a
 * later run continues the same finding): its events stay in state while a later window can still join it,
 * and a later run emits it again only when it gained a signal, a later event or an earlier one (logs
 * delivered late), never for the same activity judged again. Its severity comes from all its signals' types; a signal's count is its member
 * finding's count so far (tallied across runs).
 *
 * The finding spans the whole sequence: eventFirstSeen is its earliest signal's first event (a call group
 * whose calls began before the sequence window, LEAD_MS before its first finding, does not pull it back),
 * eventLastSeen its latest signal's last; later runs extend it as for any finding. It is emitted at its
 * latest event, whose details the finding shows (also when the news is earlier: the stored finding keeps
 * the details of its latest occurrence), with its start as `since`, and its signals' events as
 * evidence (those outside the span an earlier run emitted, when it continues).
 */
const WINDOW_MS = 24 * 3_600_000;
/** S3 activity counts when it starts no earlier than this before the first suspicious finding. */
const LEAD_MS = 3_600_000;
const CREDENTIALS_SCORE = 4;
const DATA_SCORE = 3;
/** Findings that the credential is in the wrong hands: who calls, whatever the call. */
const CREDENTIAL_TYPES = /CredentialExfiltration|MaliciousIPCaller|TorIPCaller|^PenTest:|ConsoleLoginSuccess\.B/;
/** Behaviour unlike the credential's own profile (IAM and S3: new API, network, ASN, …). */
const ANOMALY_TYPES = /\/AnomalousBehavior(\.|$)/;
/** Intent no owner has: a ransom note left in the victim's bucket. */
const HOSTILE_TYPES = /^Impact:S3\/RansomNoteUploaded\./;
/** Anomalies of S3 data events (object reads, deletes, writes); Impact:S3/AnomalousBehavior.Permission is a management event. */
const S3_DATA_FINDING = /^(Exfiltration:S3\/AnomalousBehavior|Impact:S3\/AnomalousBehavior\.(Delete|Write))$/;
/** Findings about a bucket or its objects, which already stand for the S3 object calls they were raised on. */
const S3_FINDING = /^[A-Za-z]+:S3\//;
const MIN_SIGNALS = 2;
const MIN_EVENTS = 3;
const MIN_TACTICS = 2;
/** Event keys counted per finding and per call group in a window: enough to tell MIN_EVENTS distinct events apart. */
const EVENT_KEYS = 3;
/**
 * Events (time and place) kept between runs per finding and per call group: the first and last, and others
 * spread over its activity, so each 24-hour window it was active in still sees it (thinned). Within a run a
 * finding has its run's evidence, a call group up to RUN_MARKS.
 */
const MARKS = 8;
const RUN_MARKS = 16;
const SEQUENCE_TYPE = /^AttackSequence:/;

const MAX_REFS = 20;
/**
 * Of those, discovery groups kept per credential: an intruder listing every bucket must not push out the
 * groups of object reads and high-risk calls. Further discovery calls of the API join its bucket-less group.
 */
const DISCOVERY_REFS = 5;
/** Management calls that enumerate S3 (the data-event ones are told by s3DataClass). */
const S3_DISCOVERY_APIS = new Set(['ListBuckets']);
/** Per run, calls are kept for this many credentials, with a few of their events as evidence. */
const RUN_CREDENTIALS = 10_000;
const RUN_EVENTS = 3;
const SUSPECTS = 5000;

/** A finding of the credential, as remembered between runs. */
interface FindingRef {
  id: string;
  arn: string;
  type: string;
  severity: number;
  first: number;
  last: number;
  count: number;
  tactic: string;
  technique: string;
  ip: string | null;
  /** Sequence indicator keys and values the finding contributes. */
  indicators: [string, string][];
  /** The bucket of an S3 finding. */
  bucket?: string | null;
  /** The access key it is filed under (absent in state saved before it was kept). */
  key?: AccessKeyDetails;
  /** Its events, time-ordered (between runs at most MARKS): which windows it is in, and the sequence's evidence. */
  marks?: EvidenceRef[];
  /** Keys of its latest events: in a window's view; in state saved before marks were kept. */
  events?: string[];
  /** Its earliest event: in a window's view; in state saved before marks were kept. */
  start?: EvidenceRef;
}

/**
 * A high-risk call or a management S3 discovery call (CLOUD_TRAIL), or an S3 data event: object read, write
 * or delete, or discovery such as ListObjects (S3_DATA_EVENTS), of the credential.
 */
interface CallRef {
  kind: 'CLOUD_TRAIL' | 'S3_DATA_EVENTS';
  service: string;
  api: string;
  bucket: string | null;
  /** Tactic of a high-risk call; Exfiltration or Impact for S3 object calls; Discovery for discovery calls. */
  tactic: string;
  count: number;
  failures: number;
  first: number;
  last: number;
  ip: string | null;
  /** Its events, time-ordered (between runs at most MARKS): which windows it is in, and the sequence's evidence. */
  marks?: EvidenceRef[];
  /** Keys of its latest events: in a window's view; in state saved before marks were kept. */
  events?: string[];
  /** Every call of the group seen so far was an event of a finding of the credential (not a signal of its own). */
  covered?: boolean;
  /** Its first event: in a window's view; in state saved before marks were kept. */
  start?: EvidenceRef;
}

interface Credential {
  findings: FindingRef[];
  calls: CallRef[];
  /** The access key and principal the sequence finding is filed under, fixed at its first emission. */
  key?: AccessKeyDetails;
  bucket?: string;
  /** Member findings' counts so far by id (the latest MAX_REFS): a signal counts as its finding does, across runs. */
  tally?: [id: string, count: number][];
  /** The latest sequence while a later window can still join it. */
  sequence?: OpenSequence;
}

/** A sequence as emitted so far: qualifying windows chain into one while they overlap. */
interface OpenSequence {
  /** Start of its first qualifying window: its signals' events from here on are kept while it is open. */
  from: number;
  /** End of its last qualifying window. */
  to: number;
  /** Its earliest event emitted: earlier ones (logs delivered late) are new. Absent in state saved before. */
  first?: number;
  /** Its latest event emitted: later events are new. */
  last: number;
  /** Its signals emitted (finding ids, call group keys): a new one is news. */
  signals: string[];
}

/** Calls seen in this run, with their events for evidence, before we know whether the credential matters. */
interface RunCalls {
  calls: Map<string, CallRef>;
  events: ApiEvent[];
  /** Discovery groups among `calls` (at most DISCOVERY_REFS, bucket-less ones aside). */
  discovery: number;
}

/** A run's calls by credential, and the newest event time it saw (how far the logs have come). */
interface Run {
  byCred: Map<string, RunCalls>;
  newest: number;
}

const runs = new WeakMap<DetectionContext, Run>();

function runOf(context: DetectionContext): Run {
  let run = runs.get(context);
  if (!run) {
    run = { byCred: new Map(), newest: Number.NEGATIVE_INFINITY };
    runs.set(context, run);
  }
  return run;
}

/**
 * Call groups of credentials with no finding yet, kept between runs for WINDOW_MS: a finding raised in a
 * later run (a mass deletion waits until the logs pass its hour) still finds the calls made before it, as
 * one run over all the logs does. Every active credential has some (applications call all day), and the
 * state is written at the end of every run, so they are kept lean: PENDING_MARKS events per group, at most
 * PENDING_GROUPS groups in all. Beyond, the credentials with the most groups go first: a busy application
 * role costs as much as dozens of people's or intruders' keys, whose few kinds of calls are what a
 * sequence is made of (on a million events of an organisation's background activity, 324 credentials
 * make 6,200 groups; an intruder emptying a bucket makes four).
 */
interface Pending {
  /** The newest event time seen by any run: calls more than WINDOW_MS before it are forgotten. */
  seenUntil: number;
  calls: [cred: string, calls: CallRef[]][];
}
const PENDING_GROUPS = 1000;
const PENDING_MARKS = 3;

const credentialOf = (event: ApiEvent): string => event.actor.arn || event.principalKey;

/** Identifies one CloudTrail event, as an ApiEvent or as a finding's evidence reference. */
const eventKey = (e: EventPlace): string => e.uid ?? `${e.fileId}:${e.line}:${e.time}`;

/** A mark with no place in the lake (a finding's first-seen time beyond its evidence, or state saved before marks). */
const unplaced = (m: EvidenceRef): boolean => m.uid === null && m.fileId === null;
const placeless = (time: number): EvidenceRef => ({ uid: null, fileId: null, line: null, time });

/**
 * The marks, each event once, time-ordered, at most `cap`: the first and last stay, and while there are too
 * many the one whose neighbours are closest goes, so what is kept stays spread over the activity (a burst
 * thins to its ends, a call a day keeps one mark a day).
 */
function thinned(marks: readonly EvidenceRef[], cap = Number.POSITIVE_INFINITY): EvidenceRef[] {
  const byKey = new Map(marks.map((m) => [eventKey(m), m]));
  const out = [...byKey.values()].sort((a, b) => a.time - b.time);
  while (out.length > cap) {
    let drop = 1;
    for (let i = 2; i < out.length - 1; i++) if (out[i + 1]!.time - out[i - 1]!.time < out[drop + 1]!.time - out[drop - 1]!.time) drop = i;
    out.splice(drop, 1);
  }
  return out;
}

/** A ref's marks; state saved before marks were kept has its first, last and latest event keys only. */
const marksOf = (ref: FindingRef | CallRef): EvidenceRef[] => ref.marks ?? thinned([ref.start ?? placeless(ref.first), placeless(ref.last)]);

const DISCOVERY = 'Discovery';
const isDiscovery = (c: Pick<CallRef, 'tactic'>): boolean => c.tactic === DISCOVERY;

function onEvent(event: ApiEvent, context: DetectionContext): void {
  const run = runOf(context);
  if (event.time > run.newest) run.newest = event.time;
  let call: Pick<CallRef, 'kind' | 'tactic'> | undefined;
  if (event.isS3DataEvent) {
    call = { kind: 'S3_DATA_EVENTS', tactic: s3DataClass(event.api) };
  } else if (event.service === 's3.amazonaws.com' && S3_DISCOVERY_APIS.has(event.api)) {
    call = { kind: 'CLOUD_TRAIL', tactic: DISCOVERY };
  } else {
    const tactic = highRiskTactic(event);
    if (tactic) call = { kind: 'CLOUD_TRAIL', tactic };
  }
  // Calls of infrastructure-as-code tools are reviewed changes, no signal of their own (see raisedByIac).
  if (!call || event.actor.invokedBy || event.actor.type === 'AWSService' || isIacAgent(event.userAgent)) return;
  let bucket = call.kind === 'S3_DATA_EVENTS' ? bucketOf(event) : null;
  const cred = credentialOf(event);
  const { byCred } = run;
  let calls = byCred.get(cred);
  if (!calls) {
    calls = { calls: new Map(), events: [], discovery: 0 };
    byCred.set(cred, calls);
    trimOldest(byCred, RUN_CREDENTIALS);
  }
  let key = `${event.service}|${event.api}|${bucket ?? ''}`;
  const discovery = isDiscovery(call) && bucket !== null;
  if (discovery && !calls.calls.has(key) && calls.discovery >= DISCOVERY_REFS) {
    // Past the discovery groups kept per bucket, the API's calls are counted together.
    bucket = null;
    key = `${event.service}|${event.api}|`;
  }
  const ref = calls.calls.get(key);
  if (ref) {
    ref.count++;
    ref.failures += Number(event.failed);
    ref.first = Math.min(ref.first, event.time);
    ref.last = Math.max(ref.last, event.time);
    const marks = ref.marks!;
    marks.push(evidenceRef(event));
    // Thinned now and then, not on every call: a busy group costs a short list.
    if (marks.length > 2 * RUN_MARKS) ref.marks = thinned(marks, RUN_MARKS);
  } else if (calls.calls.size < MAX_REFS) {
    calls.calls.set(key, {
      ...call, service: event.service, api: event.api, bucket, count: 1, failures: Number(event.failed), first: event.time, last: event.time, ip: event.sourceIp,
      marks: [evidenceRef(event)],
    });
    if (discovery && bucket !== null) calls.discovery++;
  }
  // The latest few calls, as evidence and as the finding's event when no member finding is in this run.
  calls.events.push(event);
  if (calls.events.length > RUN_EVENTS) calls.events.shift();
}

// ---- correlation ----

const time = (iso: string): number => Date.parse(iso);

function indicatorsOf(o: Occurrence): [string, string][] {
  const { type } = o.finding;
  const out: [string, string][] = [['ATTACK_TACTIC', o.spec.mitre.tactic.replace(/^TA\d+ /, '')], ['ATTACK_TECHNIQUE', o.spec.mitre.technique]];
  if (type.includes('MaliciousIPCaller') && o.remoteIp) out.push(['MALICIOUS_IP', o.remoteIp]);
  if (type.includes('TorIPCaller') && o.remoteIp) out.push(['TOR_IP', o.remoteIp]);
  const agent = o.finding.service.action.awsApiCallAction?.userAgent;
  if (type.startsWith('PenTest:') && agent) out.push(['SUSPICIOUS_USER_AGENT', agent]);
  const unusual = (o.finding.service.additionalInfo.unusualBehavior ?? {}) as Record<string, string>;
  const keys: [string, string][] = [
    ['unusualAPIsAccountProfiling', 'UNUSUAL_API_FOR_ACCOUNT'],
    ['unusualASNsAccountProfiling', 'UNUSUAL_ASN_FOR_ACCOUNT'],
    ['unusualASNsUserIdentityProfiling', 'UNUSUAL_ASN_FOR_USER'],
  ];
  for (const [field, key] of keys) for (const value of (unusual[field] ?? '').split(' , ').filter(Boolean)) out.push([key, value]);
  return out;
}

/** The run's occurrence of a finding, `count` being the finding's count so far (this run's included). */
function findingRef(o: Occurrence, count: number): FindingRef {
  const f = o.finding;
  const first = time(f.service.eventFirstSeen);
  // The evidence is the run's latest events: its first-seen time stands for the earlier ones.
  const marks = o.evidence.some((e) => e.time <= first) ? o.evidence : [placeless(first), ...o.evidence];
  return {
    id: f.id, arn: f.arn, type: f.type, severity: f.severity, first, last: time(f.service.eventLastSeen),
    count, tactic: o.spec.mitre.tactic, technique: o.spec.mitre.technique, ip: o.remoteIp, indicators: indicatorsOf(o),
    bucket: f.resource.s3BucketDetails?.[0]?.name ?? null, marks: thinned(marks),
    ...(f.resource.accessKeyDetails ? { key: f.resource.accessKeyDetails } : {}),
  };
}

/**
 * What a finding type scores as: the wrong-hands types of one family (everything after the `/`, e.g.
 * MaliciousIPCaller.Custom or KaliLinux) report one caller whatever the API class, so they are one;
 * every other type is its own.
 */
const scoreKey = (type: string): string => (CREDENTIAL_TYPES.test(type) ? `~${type.slice(type.indexOf('/') + 1)}` : type);

/** `TA0004 Privilege Escalation` and `PrivilegeEscalation` alike → `PrivilegeEscalation`. */
const tacticName = (tactic: string): string => tactic.replace(/^TA\d+ /, '').replace(/\s+/g, '');

/** Someone else may hold the credential: a wrong-hands finding, an anomaly of its behaviour, or hostile intent. */
const suspectType = (type: string): boolean => CREDENTIAL_TYPES.test(type) || ANOMALY_TYPES.test(type) || HOSTILE_TYPES.test(type);

/**
 * A finding raised on an infrastructure-as-code call (the call it reports, its latest in the run) is a
 * reviewed change, not a behaviour of the credential's holder: it stays out of the sequence. A wrong-hands
 * type stays in: it is about who calls (a threat-listed IP, stolen instance credentials), not the change.
 */
const raisedByIac = (o: Occurrence): boolean =>
  isIacAgent(o.finding.service.action.awsApiCallAction?.userAgent ?? null) && !CREDENTIAL_TYPES.test(o.finding.type);

function weight(f: FindingRef): number {
  if (CREDENTIAL_TYPES.test(f.type)) return 3;
  return f.severity >= 7 ? 2 : f.severity >= 4 ? 1 : 0.5;
}

/** Score of the distinct finding types (one per wrong-hands family), each at its best weight. */
function score(findings: FindingRef[]): number {
  const best = new Map<string, number>();
  for (const f of findings) best.set(scoreKey(f.type), Math.max(best.get(scoreKey(f.type)) ?? 0, weight(f)));
  return [...best.values()].reduce((a, b) => a + b, 0);
}

function merge<T>(into: T[], items: T[], same: (a: T, b: T) => boolean, combine: (a: T, b: T) => void): void {
  for (const item of items) {
    const existing = into.find((e) => same(e, item));
    if (existing) combine(existing, item);
    else into.push(item);
  }
}

/** An ApiEvent standing for a member finding: its latest call, caller and evidence location. */
function eventOf(o: Occurrence, ref = o.evidence.at(-1)): ApiEvent {
  const f = o.finding;
  const call = f.service.action.awsApiCallAction;
  const key = f.resource.accessKeyDetails;
  const ip = call?.remoteIpDetails?.ipAddressV4 ?? call?.remoteIpDetails?.ipAddressV6 ?? null;
  return new ApiEvent({
    uid: ref?.uid ?? null, time: ref?.time ?? time(f.service.eventLastSeen), accountId: f.accountId, region: f.region,
    service: call?.serviceName ?? '', api: call?.api ?? '', errorCode: call?.errorCode ?? null, errorMessage: null, failed: Boolean(call?.errorCode),
    readOnly: null, managementEvent: null, eventType: 'AwsApiCall', eventCategory: null,
    actor: {
      type: key?.userType ?? null, arn: o.principal, principalId: key?.principalId ?? null, userName: key?.userName ?? null, accountId: f.accountId,
      accessKeyId: key?.accessKeyId ?? null, sessionIssuerArn: null, sessionIssuerName: null, mfa: null, invokedBy: null,
    },
    sourceIp: ip, sourceHost: ip ? null : (call?.domainDetails?.domain ?? null), vpcEndpointId: null, userAgent: call?.userAgent ?? null,
    requestText: null, responseText: null, additionalText: null, resourcesText: null, identityText: null, fileId: ref?.fileId ?? null, line: ref?.line ?? null,
  });
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Indicator pairs as GuardDuty's Indicator objects: one per key, distinct values. */
function grouped(pairs: [string, string][]): { key: string; values: string[] }[] {
  const byKey = new Map<string, Set<string>>();
  for (const [key, value] of pairs) (byKey.get(key) ?? byKey.set(key, new Set()).get(key)!).add(value);
  return [...byKey].map(([key, values]) => ({ key, values: [...values].slice(0, 20) }));
}

/** What the credential did to S3 objects, e.g. `read objects 25 times and deleted objects once`. */
function dataActivity(calls: CallRef[]): string {
  const s3 = calls.filter((c) => c.kind === 'S3_DATA_EVENTS');
  const times = (n: number) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);
  const sum = (pick: (c: CallRef) => boolean) => s3.filter(pick).reduce((n, c) => n + c.count, 0);
  const parts = [
    ['read', sum((c) => c.tactic === 'Exfiltration')],
    ['deleted', sum((c) => c.tactic === 'Impact' && c.api.startsWith('Delete'))],
    ['wrote', sum((c) => c.tactic === 'Impact' && !c.api.startsWith('Delete'))],
  ] as const;
  const done = parts.filter(([, n]) => n > 0).map(([verb, n]) => `${verb} objects ${times(n)}`);
  return done.length > 1 ? `${done.slice(0, -1).join(', ')} and ${done.at(-1)}` : (done[0] ?? 'accessed objects');
}

function sequenceDetail(cred: string, type: string, state: Credential, verdict: Evaluation, also: string[], context: DetectionContext): AttackSequenceDetail {
  const { calls } = verdict;
  const ips = [...new Set([...state.findings.map((f) => f.ip), ...calls.map((c) => c.ip)].filter((ip): ip is string => ip !== null))].slice(0, 20);
  const buckets = [...new Set(calls.map((c) => c.bucket).filter((b): b is string => b !== null))];
  // The buckets whose objects were read, written or deleted (listing one is no data access).
  const dataBuckets = [...new Set(calls.filter((c) => !isDiscovery(c)).map((c) => c.bucket).filter((b): b is string => b !== null))];
  const keyUid = state.key?.accessKeyId ?? state.key?.principalId ?? cred;
  const resources = [
    { uid: keyUid, name: state.key?.userName ?? cred, resourceType: 'ACCESS_KEY', service: 'IAM', data: { accessKey: { principalId: state.key?.principalId, userName: state.key?.userName, userType: state.key?.userType } } },
    ...buckets.map((name) => ({ uid: `arn:aws:s3:::${name}`, name, resourceType: 'S3_BUCKET', service: 'S3' })),
  ];
  const endpoints = ips.map((ip) => {
    const geo = context.intel.ipDetails(ip);
    return {
      id: ip, ip,
      ...(geo.asn !== undefined ? { autonomousSystem: { name: geo.asnOrg, number: geo.asn } } : {}),
      ...(geo.countryCode ? { location: { city: geo.city, country: geo.countryName ?? geo.countryCode, lat: geo.lat, lon: geo.lon } } : {}),
    };
  });
  const signals = [
    ...state.findings.map((f) => ({
      uid: f.arn, type: 'FINDING', name: f.type, createdAt: iso(f.first), updatedAt: iso(f.last), firstSeenAt: iso(f.first), lastSeenAt: iso(f.last),
      severity: f.severity, count: f.count, resourceUids: f.bucket ? [keyUid, `arn:aws:s3:::${f.bucket}`] : [keyUid], actorIds: [cred], endpointIds: f.ip ? [f.ip] : [],
      signalIndicators: grouped(f.indicators),
    })),
    // Calls that raised a finding are that finding's signal, not one more.
    ...verdict.signalCalls.map((c) => ({
      uid: `${c.kind}:${c.service}:${c.api}${c.bucket ? `:${c.bucket}` : ''}`, type: c.kind, name: c.api,
      description: `${c.count} call(s) of ${c.service} ${c.api}${c.bucket ? ` on ${c.bucket}` : ''}${c.failures ? `, ${c.failures} failed` : ''}`,
      createdAt: iso(c.first), updatedAt: iso(c.last), firstSeenAt: iso(c.first), lastSeenAt: iso(c.last), count: c.count,
      resourceUids: c.bucket ? [`arn:aws:s3:::${c.bucket}`] : [keyUid], actorIds: [cred], endpointIds: c.ip ? [c.ip] : [],
      signalIndicators: [highRiskCall(c) ? { key: 'HIGH_RISK_API', values: [c.api] } : { key: 'ATTACK_TACTIC', values: [c.tactic] }],
    })),
  ].slice(0, 100);
  const indicators: [string, string][] = state.findings.flatMap((f) => f.indicators);
  for (const c of calls) {
    if (highRiskCall(c)) indicators.push(['HIGH_RISK_API', `${c.service.split('.')[0]}:${c.api}`]);
    indicators.push(['ATTACK_TACTIC', c.tactic.replace(/([a-z])([A-Z])/g, '$1 $2')]);
  }
  const description =
    type === 'AttackSequence:S3/CompromisedData'
      ? `Credentials of ${cred} showed signs of compromise (${[...new Set(state.findings.map((f) => f.type))].join(', ')}) and then ${dataActivity(calls)} in ${dataBuckets.join(', ')}.`
      : `Credentials of ${cred} were tied to several suspicious behaviours within ${WINDOW_MS / 3_600_000} hours: ${[...new Set(state.findings.map((f) => f.type))].join(', ')}.`;
  return {
    uid: createHash('sha256').update(`${type}|${cred}`).digest('hex').slice(0, 32),
    description,
    actors: [{ id: cred, user: { name: state.key?.userName ?? cred, uid: cred, type: state.key?.userType, credentialUid: state.key?.accessKeyId } }],
    resources,
    endpoints,
    signals,
    sequenceIndicators: grouped(indicators),
    ...(also.length ? { additionalSequenceTypes: also } : {}),
  };
}

/** A high-risk management call (persistence, privilege escalation, …), not discovery. */
const highRiskCall = (c: CallRef): boolean => c.kind === 'CLOUD_TRAIL' && !isDiscovery(c);

interface Evaluation {
  credentials: boolean;
  data: boolean;
  /** The calls that belong to the sequence: from shortly before its first finding on. */
  calls: CallRef[];
  /** Those of them that are signals of their own: no finding was raised on them. */
  signalCalls: CallRef[];
  /** Signals of the sequence, each finding and each call group counted once. */
  signals: number;
  /** Calls from this time on belong to the sequence: LEAD_MS before its first finding. */
  start: number;
}

/** Distinct events under the findings and calls, counted up to EVENT_KEYS per item (enough to compare with MIN_EVENTS). */
function distinctEvents(findings: FindingRef[], calls: CallRef[]): number {
  const keys = new Set<string>();
  for (const f of findings) for (const key of f.events ?? [`finding:${f.id}`]) keys.add(key);
  for (const c of calls) for (const key of c.events ?? [`call:${c.service}:${c.api}:${c.bucket}`]) keys.add(key);
  return keys.size;
}

/**
 * The group's calls from `start` on, its start of activity kept (see spanOf): a habit the attacker's calls
 * joined brings only those calls to the sequence, not the ones before it.
 */
function callsFrom(c: CallRef, start: number): CallRef | undefined {
  const joined = within(c, callKey(c), start, Number.POSITIVE_INFINITY);
  return joined && { ...joined, first: c.first };
}

/**
 * Whether the group's calls in the sequence are all events of its findings (as markCovered judges a run's
 * groups): also true when the group's earlier calls, out of the sequence, were not.
 */
function coveredIn(c: CallRef, findings: FindingRef[]): boolean {
  if (c.covered) return true;
  const by = new Set(findings.filter((f) => c.kind === 'CLOUD_TRAIL' || S3_FINDING.test(f.type)).flatMap((f) => marksOf(f).map(eventKey)));
  return marksOf(c).every((m) => by.has(eventKey(m)));
}

function evaluate(state: Credential): Evaluation {
  const start = Math.min(...state.findings.map((f) => f.first)) - LEAD_MS;
  const calls = state.calls.flatMap((c) => callsFrom(c, start) ?? []);
  const signalCalls = calls.filter((c) => !coveredIn(c, state.findings));
  const signals = state.findings.length + signalCalls.length;
  const tactics = new Set([...state.findings.map((f) => tacticName(f.tactic)), ...calls.map((c) => tacticName(c.tactic))]);
  const sequence = signals >= MIN_SIGNALS && tactics.size >= MIN_TACTICS && distinctEvents(state.findings, calls) >= MIN_EVENTS;
  // A high-risk call only adds to the score when no finding already reports it.
  const highRisk = signalCalls.some(highRiskCall);
  const kinds = new Set(state.findings.map((f) => scoreKey(f.type)));
  const all = score(state.findings);
  // However many findings a person's own work raises, a compromise needs a sign the credential left their hands.
  const suspect = state.findings.some((f) => suspectType(f.type));
  const credentials = sequence && suspect && kinds.size >= 2 && all + (highRisk ? 1 : 0) >= CREDENTIALS_SCORE;
  const suspicion = state.findings.filter((f) => !S3_DATA_FINDING.test(f.type));
  const s3Anomaly = state.findings.some((f) => S3_DATA_FINDING.test(f.type));
  // Object reads, deletes or writes on a named bucket: S3 data events, not bucket-configuration calls or their
  // findings, and not discovery (listing buckets or objects).
  const s3Activity = calls.some((c) => c.kind === 'S3_DATA_EVENTS' && c.bucket !== null && !isDiscovery(c));
  const data = sequence && suspect && s3Activity && (score(suspicion) >= DATA_SCORE || (s3Anomaly && all >= CREDENTIALS_SCORE));
  return { credentials, data, calls, signalCalls, signals, start };
}

/** The sequence's span, and its first event when known. */
interface Span {
  first: number;
  last: number;
  start?: EvidenceRef;
}

/**
 * From the earliest first to the latest last of the sequence's signals: its findings and its call groups
 * (covered or not, they are its activity). A call group that began before the sequence's calls do (a habit
 * the attacker's calls joined) only extends its end: when its calls in the window began is not known.
 */
function spanOf(findings: FindingRef[], verdict: Evaluation): Span {
  const items: { first: number; last: number; start?: EvidenceRef }[] = [
    ...findings,
    ...verdict.calls.map((c) => (c.first >= verdict.start ? c : { first: Number.POSITIVE_INFINITY, last: c.last })),
  ];
  let span: Span = { first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
  for (const item of items) {
    if (item.first < span.first) span = { first: item.first, last: span.last, ...(item.start?.time === item.first ? { start: item.start } : {}) };
    span.last = Math.max(span.last, item.last);
  }
  return span;
}

/**
 * The bucket a data sequence is filed under: the first one written or deleted in it, else read first (never
 * one only listed). Its calls in the sequence are from its first mark on (callsFrom keeps a habit's `first`).
 */
function mainBucket(calls: CallRef[]): string | undefined {
  const s3 = calls.filter((c) => c.kind === 'S3_DATA_EVENTS' && c.bucket !== null && !isDiscovery(c));
  const impact = s3.filter((c) => c.tactic === 'Impact');
  const start = (c: CallRef) => marksOf(c)[0]?.time ?? c.first;
  return (impact.length ? impact : s3).sort((a, b) => start(a) - start(b))[0]?.bucket ?? undefined;
}

/**
 * The calls kept per credential: the latest MAX_REFS, high-risk and object calls first, then discovery
 * groups, at most DISCOVERY_REFS of them per bucket (bucket-less ones, one per API, aside).
 */
function keptCalls(calls: CallRef[]): CallRef[] {
  const others = calls.filter((c) => !isDiscovery(c)).slice(-MAX_REFS);
  const perBucket = new Set(calls.filter((c) => isDiscovery(c) && c.bucket !== null).slice(-DISCOVERY_REFS));
  const discovery = calls.filter((c) => isDiscovery(c) && (c.bucket === null || perBucket.has(c)));
  const kept = new Set([...others, ...discovery.slice(discovery.length - Math.min(discovery.length, MAX_REFS - others.length))]);
  return calls.filter((c) => kept.has(c));
}

/** `event`'s caller and call, at the time and place of `mark`. */
function eventAt(event: ApiEvent, mark: EvidenceRef): ApiEvent {
  return event.with({ uid: mark.uid, fileId: mark.fileId, line: mark.line, time: mark.time });
}

/**
 * Marks this run's call groups whose every kept event is an event of one of the credential's findings of
 * the run: a management call (high-risk, or ListBuckets) with any finding, an S3 data event (object call
 * or listing) with an S3 finding.
 */
function markCovered(run: RunCalls | undefined, mine: readonly Occurrence[]): void {
  if (!run) return;
  const any = new Set(mine.flatMap((o) => o.evidence.map(eventKey)));
  const s3 = new Set(mine.filter((o) => S3_FINDING.test(o.finding.type)).flatMap((o) => o.evidence.map(eventKey)));
  for (const c of run.calls.values()) {
    const by = c.kind === 'CLOUD_TRAIL' ? any : s3;
    c.covered = marksOf(c).every((m) => by.has(eventKey(m)));
  }
}

const callKey = (c: CallRef): string => `${c.service}|${c.api}|${c.bucket ?? ''}`;

/** Adds the run's occurrences of a finding to the credential's tally: the finding's count so far. */
function tallied(state: Credential, id: string, count: number): number {
  const tally = (state.tally ??= []);
  const at = tally.findIndex(([known]) => known === id);
  const total = (at >= 0 ? tally.splice(at, 1)[0]![1] : 0) + count;
  tally.push([id, total]);
  if (tally.length > MAX_REFS) tally.shift();
  return total;
}

/** State saved before marks were kept gains them from what it has. */
function upgrade(ref: FindingRef | CallRef): void {
  ref.marks = marksOf(ref);
  delete ref.events;
  delete ref.start;
}

/** IAM anomaly findings: one per burst of an identity's unusual calls and its highest tactic (anomalous-behavior). */
const IAM_ANOMALY = /:IAMUser\/AnomalousBehavior$/;

/**
 * Drops the credential's IAM anomaly findings whose events are all events of one the run raised: a burst
 * reported at the end of a run under a lower tactic, then raised to a higher one by a call in a later run, is
 * reported again as a new finding that lists every call of the burst (anomalous-behavior). The earlier
 * report is the same activity, and one run over all the logs never makes it: left in, it would count as
 * one more finding type, and the sequence would be more severe for being split between runs.
 */
function dropEarlierReports(state: Credential, found: FindingRef[]): void {
  const placed = (f: FindingRef) => marksOf(f).filter((m) => !unplaced(m)).map(eventKey);
  const later = found.filter((f) => IAM_ANOMALY.test(f.type)).map((f) => new Set(placed(f)));
  if (!later.length) return;
  const ids = new Set(found.map((f) => f.id));
  state.findings = state.findings.filter((f) => {
    if (ids.has(f.id) || !IAM_ANOMALY.test(f.type)) return true;
    const events = placed(f);
    return events.length === 0 || !later.some((g) => events.every((e) => g.has(e)));
  });
}

/** Folds call groups into `into`: one group per API and bucket, `items` the later calls. */
function mergeCalls(into: CallRef[], items: CallRef[]): void {
  merge(into, items, (a, b) => callKey(a) === callKey(b), (a, b) => {
    a.count += b.count;
    a.failures += b.failures;
    a.first = Math.min(a.first, b.first);
    a.last = Math.max(a.last, b.last);
    a.ip = b.ip;
    a.marks = thinned([...marksOf(a), ...marksOf(b)]);
    a.covered = Boolean(a.covered && b.covered);
  });
}

/**
 * Folds the run's findings and call groups of the credential into its state, with the groups earlier runs
 * kept while it had no finding (Pending); returns the earliest event new to its state.
 */
function mergeRun(state: Credential, mine: readonly Occurrence[], run: RunCalls | undefined, earlier: CallRef[] = []): number {
  for (const ref of [...state.findings, ...state.calls]) upgrade(ref);
  const found = mine.map((o) => findingRef(o, tallied(state, o.finding.id, o.finding.service.count)));
  const called = [...(run?.calls.values() ?? [])].map((c) => Object.assign(c, { marks: thinned(marksOf(c), RUN_MARKS) }));
  merge(state.findings, found, (a, b) => a.id === b.id, (a, b) =>
    Object.assign(a, { ...b, first: Math.min(a.first, b.first), last: Math.max(a.last, b.last), marks: thinned([...marksOf(a), ...marksOf(b)]) }));
  dropEarlierReports(state, found);
  markCovered(run, mine);
  mergeCalls(state.calls, earlier);
  mergeCalls(state.calls, called);
  return Math.min(...[...found, ...called, ...earlier].flatMap((r) => marksOf(r).map((m) => m.time)));
}

/** The ref as seen in [from, to]: its marks there, and its first, last, start and event keys from them. */
function within<T extends FindingRef | CallRef>(ref: T, owner: string, from: number, to: number): T | undefined {
  const marks = marksOf(ref).filter((m) => m.time >= from && m.time <= to);
  const first = marks[0];
  if (!first) return undefined;
  // A mark with no place is told apart by its owner, so two findings first seen at one second are two events.
  const events = marks.slice(-EVENT_KEYS).map((m) => (unplaced(m) ? `${owner}@${m.time}` : eventKey(m)));
  return { ...ref, marks, first: first.time, last: marks.at(-1)!.time, events, ...(unplaced(first) ? {} : { start: first }) };
}

/** The credential's findings and calls as seen in [from, to]. */
function viewOf(state: Credential, from: number, to: number): Credential {
  return {
    ...state,
    findings: state.findings.flatMap((f) => within(f, f.id, from, to) ?? []),
    calls: state.calls.flatMap((c) => within(c, callKey(c), from, to) ?? []),
  };
}

/**
 * Ends of the windows worth judging, at marks from `since` on (earlier windows were judged by earlier runs):
 * a window ending at a mark sees part of the next one's unless a mark leaves before the next, so only the
 * ends after which one leaves, and the last, are judged (a sequence only grows with its signals).
 */
function windowEnds(times: readonly number[], since: number): number[] {
  const ends: number[] = [];
  let oldest = 0;
  times.forEach((end, i) => {
    while (times[oldest]! < end - WINDOW_MS) oldest++;
    const next = times[i + 1];
    if (end >= since && (next === undefined || times[oldest]! < next - WINDOW_MS)) ends.push(end);
  });
  return ends;
}

interface Range {
  from: number;
  to: number;
}

const qualifies = (v: Evaluation): boolean => v.credentials || v.data;

/**
 * The credential's 24-hour windows that make a sequence, in time order, from `since` on; windows that
 * overlap are one sequence, spanning from the first one's start to the last one's end.
 */
function sequenceRanges(state: Credential, since: number): Range[] {
  const times = [...new Set([...state.findings, ...state.calls].flatMap((r) => marksOf(r).map((m) => m.time)))].sort((a, b) => a - b);
  const ranges: Range[] = [];
  for (const end of windowEnds(times, since)) {
    const view = viewOf(state, end - WINDOW_MS, end);
    // The cheap test first: no sequence without a sign the credential is in other hands.
    if (!view.findings.some((f) => suspectType(f.type)) || !qualifies(evaluate(view))) continue;
    const last = ranges.at(-1);
    if (last && end - WINDOW_MS <= last.to) last.to = end;
    else ranges.push({ from: end - WINDOW_MS, to: end });
  }
  return ranges;
}

/**
 * The sequence's event: its latest event, as this run saw it (a call of the credential or a member
 * finding's call), else a finding or call of this run placed there.
 */
function latestEvent(latest: EvidenceRef, mine: readonly Occurrence[], run: RunCalls | undefined): ApiEvent | undefined {
  const key = eventKey(latest);
  const call = run?.events.find((e) => eventKey(e) === key);
  if (call) return call;
  const member = mine.find((o) => o.evidence.some((e) => eventKey(e) === key)) ?? mine.at(-1);
  if (member) return eventOf(member, latest);
  const template = run?.events.at(-1);
  return template && eventAt(template, latest);
}

/**
 * Emits the sequence the credential's signals in `range` make: a new one, or the open sequence it continues
 * when that gained a signal or a later event (the same activity judged again is no new occurrence).
 */
function emitSequence(cred: string, state: Credential, range: Range, open: OpenSequence | undefined, mine: readonly Occurrence[], run: RunCalls | undefined, context: DetectionContext): void {
  const view = viewOf(state, range.from, range.to);
  const verdict = evaluate(view);
  if (!qualifies(verdict)) return;
  const span = spanOf(view.findings, verdict);
  const signals = [...view.findings.map((f) => f.id), ...verdict.signalCalls.map(callKey)];
  // Within the span an earlier run emitted (from its start when state saved before `first` was kept).
  const emitted = (time: number) => open !== undefined && time >= (open.first ?? Number.NEGATIVE_INFINITY) && time <= open.last;
  const news = !open || !emitted(span.first) || span.last > open.last || signals.some((s) => !open.signals.includes(s));
  state.sequence = { from: range.from, to: range.to, first: Math.min(span.first, open?.first ?? span.first), last: Math.max(span.last, open?.last ?? span.last), signals };
  if (!news) return;

  // Its events, each once, time-ordered; a continued sequence's events within what it emitted are in its evidence already.
  const events = [...view.findings, ...verdict.calls]
    .flatMap((r) => marksOf(r))
    .filter((m) => !unplaced(m) && m.time >= span.first)
    .sort((a, b) => a.time - b.time);
  const marks = events.filter((m) => !emitted(m.time));
  // At its latest event even when the news is earlier (logs delivered late): the stored finding keeps the
  // details of its latest occurrence, so this one's signals must not read as older.
  const event = latestEvent(events.at(-1) ?? placeless(span.last), mine, run);
  if (!event) return;
  // Filed under the key of its earliest member finding: a user's findings may be under several of its access
  // keys, and this one is the same however runs split the sequence (the run's own findings may all be under
  // a later key). A member finding's key keeps the caller's whole identity, which a stand-in event only partly carries.
  const anchor = earliestKey(view.findings) ?? mine.find((o) => view.findings.some((f) => f.id === o.finding.id))?.finding.resource.accessKeyDetails;
  state.key ??= { ...(anchor ?? accessKeyDetailsOf(event.actor)) };
  // State saved before sequences carried the caller's identity gains it now, so filters on it match.
  state.key.userIdentity ??= anchor?.userIdentity ?? accessKeyDetailsOf(event.actor).userIdentity;
  if (verdict.data) state.bucket ??= mainBucket(verdict.calls);
  const type = verdict.data ? 'AttackSequence:S3/CompromisedData' : 'AttackSequence:IAM/CompromisedCredentials';
  const also = verdict.data && verdict.credentials ? ['AttackSequence:IAM/CompromisedCredentials'] : [];
  const seen = new Set([eventKey(event)]);
  const related = marks
    .filter((m) => !seen.has(eventKey(m)) && seen.add(eventKey(m)) !== undefined)
    .slice(0, EVIDENCE_LIMIT - 1)
    .map((m) => eventAt(event, m));
  const signal: Signal = {
    type,
    event,
    // From the distinct types of the whole sequence, so however runs split it, it ends as severe.
    severity: Math.min(10, 9 + 0.2 * Math.max(0, new Set(view.findings.map((f) => scoreKey(f.type))).size - 2)),
    aggregateBy: cred,
    resource: { accessKeyDetails: state.key },
    ...(verdict.data && state.bucket ? { buckets: [{ arn: `arn:aws:s3:::${state.bucket}`, name: state.bucket, type: 'Destination' }] } : {}),
    related,
    // The sequence began before this event: the finding is first seen at its start.
    ...(span.first < event.time ? { since: span.first } : {}),
    // The view was taken before the credential's key and bucket were known: the detail names them.
    detection: { sequence: sequenceDetail(cred, type, { ...view, key: state.key, bucket: state.bucket }, verdict, also, context) },
    // An open sequence was counted when first emitted; growing updates it, as in one batch.
    continues: open !== undefined,
    vars: { credential: state.key.userName ?? cred, signals: verdict.signals, ...(verdict.data && state.bucket ? { bucket: state.bucket } : {}) },
  };
  context.emit(signal);
  linkMembers(signal, type, mine.filter((o) => view.findings.some((f) => f.id === o.finding.id)), context);
}

/** The access key of the earliest finding that has one kept (ties: the smaller id, as in any run). */
function earliestKey(findings: readonly FindingRef[]): AccessKeyDetails | undefined {
  const keyed = findings.filter((f) => f.key).sort((a, b) => a.first - b.first || a.id.localeCompare(b.id));
  return keyed[0]?.key;
}

/** Member findings of the run point to their sequence. */
function linkMembers(signal: Signal, type: string, members: readonly Occurrence[], context: DetectionContext): void {
  const built = members[0];
  if (!built) return;
  const spec = attackSequence.types.find((t) => t.type === type)!;
  const arn = buildOccurrence(signal, spec, attackSequence.id, { intel: context.intel, detectorId: built.finding.service.detectorId, partition: built.finding.partition }).finding.arn;
  for (const o of members) o.finding.associatedAttackSequenceArn = arn;
}

/** The refs with their events from `from` on, thinned to MARKS; those left with none are dropped. */
const keptFrom = <T extends FindingRef | CallRef>(refs: T[], from: number, cap = MARKS): T[] =>
  refs.flatMap((r) => {
    const marks = marksOf(r).filter((m) => m.time >= from);
    return marks.length ? [Object.assign(r, { marks: thinned(marks, cap) })] : [];
  });

/**
 * Forgets what no later window can see: events more than WINDOW_MS before the latest, except those of a
 * sequence still open (so its signals and evidence stay whole), and a sequence no later window can join.
 * What is kept is thinned to MARKS events per finding and call group.
 */
function prune(state: Credential): void {
  const latest = Math.max(...[...state.findings, ...state.calls].flatMap((r) => marksOf(r).map((m) => m.time)));
  if (state.sequence && latest - state.sequence.to > WINDOW_MS) delete state.sequence;
  const from = Math.min(latest - WINDOW_MS, state.sequence?.from ?? Number.POSITIVE_INFINITY);
  state.findings = keptFrom(state.findings, from).slice(-MAX_REFS);
  state.calls = keptCalls(keptFrom(state.calls, from));
}

/**
 * Keeps the run's calls of credentials that are no suspect (no finding yet) with those earlier runs kept
 * (Pending), forgetting calls more than WINDOW_MS before the newest event seen.
 */
function keepPending(pending: Pending, earlier: Map<string, CallRef[]>, byCred: ReadonlyMap<string, RunCalls>, newest: number): void {
  pending.seenUntil = Math.max(pending.seenUntil, newest);
  const from = pending.seenUntil - WINDOW_MS;
  for (const [cred, run] of byCred) {
    const calls = earlier.get(cred) ?? [];
    mergeCalls(calls, [...run.calls.values()]);
    earlier.set(cred, calls);
  }
  // A group's last call is its last mark: those before `from` have none left.
  const recent = [...earlier]
    .map(([cred, all]) => {
      const calls = keptCalls(all.filter((c) => c.last >= from));
      return { cred, calls, latest: Math.max(...calls.map((c) => c.last)) };
    })
    .filter(({ calls }) => calls.length > 0)
    // The fewest groups first, then the latest active; only those kept are thinned.
    .sort((a, b) => a.calls.length - b.calls.length || b.latest - a.latest);
  let room = PENDING_GROUPS;
  pending.calls = recent.filter(({ calls }) => (room -= calls.length) >= 0).map(({ cred, calls }) => [cred, keptFrom(calls, from, PENDING_MARKS)]);
}

function correlate(occurrences: readonly Occurrence[], context: DetectionContext): void {
  const suspects = context.state<BoundedMap<number>>('suspects', boundedMap);
  const members = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
    if (SEQUENCE_TYPE.test(o.finding.type) || !o.principal || raisedByIac(o)) continue;
    const list = members.get(o.principal) ?? [];
    list.push(o);
    members.set(o.principal, list);
  }
  const { byCred: calls, newest } = runOf(context);
  runs.delete(context);
  const pending = context.state<Pending>('pending', () => ({ seenUntil: 0, calls: [] }));
  const earlier = new Map(pending.calls);
  const touched = new Set([...members.keys(), ...[...calls.keys()].filter((cred) => getEntry(suspects, cred) !== undefined)]);

  for (const cred of touched) {
    const state = context.state<Credential>(`c:${cred}`, () => ({ findings: [], calls: [] }));
    const mine = (members.get(cred) ?? []).sort((a, b) => a.finding.service.eventLastSeen.localeCompare(b.finding.service.eventLastSeen));
    const run = calls.get(cred);
    const since = mergeRun(state, mine, run, earlier.get(cred));
    earlier.delete(cred);
    // Every window holding an event of this run is judged, in time order: a run of several days judges each day.
    for (const range of sequenceRanges(state, since)) {
      const open = state.sequence && range.from <= state.sequence.to ? state.sequence : undefined;
      emitSequence(cred, state, open ? { from: Math.min(open.from, range.from), to: range.to } : range, open, mine, run, context);
    }
    prune(state);
    if (state.findings.length === 0) continue;
    setEntry(suspects, cred, Math.max(...state.findings.map((f) => f.last), ...state.calls.map((c) => c.last)), SUSPECTS);
  }
  keepPending(pending, earlier, new Map([...calls].filter(([cred]) => !touched.has(cred))), newest);
}

// ---- Cases ----

const NAT_IP = '3.5.140.2';
const VPS_IP = '51.15.1.1';
const FOREIGN_IP = '77.88.8.8';
const AWS_RANGES = ['3.5.140.0/22'];
const role = instanceRole('orders-instance-role', 'i-0c1d2e3f4a5b60718');
const CLI = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8';
const SDK = 'aws-sdk-java/2.25.6 Linux/6.1.0 OpenJDK_64-Bit_Server_VM/17.0.10';

/** Two weeks of an instance's own calls from its NAT gateway. */
const instanceHistory = (identity: Record<string, unknown>, end: string): CloudTrailRecord[] =>
  repeated(56, new Date(Date.parse(end) - 14 * 86_400_000).toISOString().replace('.000Z', 'Z'), 360, (t, i) =>
    ctEvent({ service: i % 2 ? 'sqs' : 's3', name: i % 2 ? 'ReceiveMessage' : 'GetObject', identity, time: t, ip: NAT_IP, userAgent: SDK, data: i % 2 === 0, request: i % 2 ? { queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/orders' } : { bucketName: 'orders-config', key: 'app.json' } }),
  );

const s3 = (identity: Record<string, unknown>, name: string, bucket: string, t: string, ip: string, key?: string): CloudTrailRecord =>
  ctEvent({ service: 's3', name, identity, time: t, ip, userAgent: CLI, data: true, request: { bucketName: bucket, Host: `${bucket}.s3.amazonaws.com`, ...(key ? { key } : { 'list-type': '2' }) } });

const tester = assumedRole('gd-tester-role', 'tester-session');
const erin = iamUser('erin');
const dana = iamUser('dana');
const THREAT_IP = '198.51.100.23';
const TOR_EXIT = '185.220.101.45';
const KALI = 'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.8 md/distrib#kali.2024';
/** A bucket policy that lets another account read every object. */
const externalRead = (bucket: string) => ({ bucketName: bucket, bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] } });

/** An SSO administrator's console session. */
const ssoAdmin = assumedRole('AWSReservedSSO_AdministratorAccess_7e7a1b2c3d4e5f60', 'erin@acme.example');
const OFFICE_IP = '81.2.69.160';
/** Decommissioning an unused region by hand: its instances and VPC, with the flow logs, DNS query logging and Config recorder that watched it. */
const TEARDOWN: [service: string, name: string, request: Record<string, unknown>][] = [
  ['ec2', 'TerminateInstances', { instancesSet: { items: [{ instanceId: 'i-0de5000000000001' }] } }],
  ['ec2', 'DeleteFlowLogs', { DeleteFlowLogsRequest: { FlowLogId: { tag: 1, content: 'fl-0de50000000000001' } } }],
  ['route53resolver', 'DisassociateResolverQueryLogConfig', { resolverQueryLogConfigId: 'rqlc-0de500000000001', resourceId: 'vpc-0de500000000001' }],
  ['route53resolver', 'DeleteResolverQueryLogConfig', { resolverQueryLogConfigId: 'rqlc-0de500000000001' }],
  ['config', 'StopConfigurationRecorder', { configurationRecorderName: 'default' }],
  ['config', 'DeleteConfigurationRecorder', { configurationRecorderName: 'default' }],
  ['ec2', 'DeleteNatGateway', { DeleteNatGatewayRequest: { NatGatewayId: 'nat-0de5000000000001' } }],
  ['ec2', 'DeleteVpc', { vpcId: 'vpc-0de500000000001' }],
];
/** The teardown in the console of eu-west-1 from `ip`, a call every two minutes. */
const teardown = (ip: string): CloudTrailRecord[] =>
  repeated(TEARDOWN.length, '2026-11-15T15:10:00Z', 2, (t, i) => {
    const [service, name, request] = TEARDOWN[i]!;
    return ctEvent({ service, name, identity: ssoAdmin, time: t, ip, userAgent: CONSOLE_AGENT, region: 'eu-west-1', request });
  });

/** A GitHub Actions job's session of the deploy role, through OIDC. */
const ciSession = assumedRole('github-actions-deploy', 'GitHubActions-7770');
(ciSession.sessionContext as Record<string, unknown>).webIdFederationData = { federatedProvider: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com', attributes: {} };
const RUNNER_IP = '20.55.14.25';
const BACKUP_ACCOUNT = '444455556666';
/** A Terraform apply that shares backups with the organisation's backup account and lets its restore automation in. */
const terraformApply = (): CloudTrailRecord[] => {
  const call = (service: string, name: string, time: string, request: Record<string, unknown>) =>
    ctEvent({ service, name, identity: ciSession, time, ip: RUNNER_IP, userAgent: TERRAFORM_AGENT, request });
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${BACKUP_ACCOUNT}:role/restore-automation` }, Action: 'sts:AssumeRole' }] };
  return [
    call('iam', 'CreateRole', '2026-11-15T15:00:10Z', { roleName: 'backup-restore-operator', assumeRolePolicyDocument: JSON.stringify(trust) }),
    call('iam', 'AttachRolePolicy', '2026-11-15T15:00:12Z', { roleName: 'backup-restore-operator', policyArn: 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores' }),
    call('ec2', 'ModifyInstanceAttribute', '2026-11-15T15:00:30Z', { instanceId: 'i-0f00aa11bb22cc330', userData: '<sensitiveDataRemoved>' }),
    call('ec2', 'ModifySnapshotAttribute', '2026-11-15T15:01:00Z', { snapshotId: 'snap-0abcabcabcabcabc1', createVolumePermission: { add: { items: [{ userId: BACKUP_ACCOUNT }] } }, attributeType: 'CREATE_VOLUME_PERMISSION' }),
    call('ec2', 'ModifyImageAttribute', '2026-11-15T15:01:10Z', { imageId: 'ami-0aaabbbcccdddeee1', launchPermission: { add: { items: [{ userId: BACKUP_ACCOUNT }] } }, attributeType: 'launchPermission' }),
    call('rds', 'ModifyDBSnapshotAttribute', '2026-11-15T15:01:20Z', { dBSnapshotIdentifier: 'orders-db-pre-migration', attributeName: 'restore', valuesToAdd: [BACKUP_ACCOUNT] }),
    call('s3', 'PutBucketPolicy', '2026-11-15T15:01:40Z', externalRead('acme-backup-exports')),
  ];
};

const cases: ApiDetection['cases'] = () => [
  {
    name: 'OTRF: stolen instance credentials, then the bucket listed and read',
    datasets: [{ otrf: 'all' }],
    with: ['credential-exfiltration'],
    expect: ['AttackSequence:S3/CompromisedData'],
  },
  {
    name: 'stolen instance credentials create an access key and attach admin rights',
    records: [
      ...instanceHistory(role, '2026-11-15T09:00:00Z'),
      ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: role, time: '2026-11-15T09:00:00Z', ip: VPS_IP, userAgent: CLI }),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: role, time: '2026-11-15T09:01:00Z', ip: VPS_IP, userAgent: CLI, request: { userName: 'svc-backup' } }),
      ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: role, time: '2026-11-15T09:02:00Z', ip: VPS_IP, userAgent: CLI, request: { userName: 'svc-backup', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
    ],
    intel: { awsIps: AWS_RANGES },
    with: ['credential-exfiltration', 'anomalous-behavior'],
    expect: ['AttackSequence:IAM/CompromisedCredentials'],
  },
  {
    name: 'GuardDuty tester scenario: enumeration, a ransom note and a deletion from a new network',
    records: [
      ...instanceHistory(tester, '2026-11-15T09:00:00Z'),
      ...repeated(14, '2026-11-01T09:30:00Z', 24 * 60, (t) => s3(tester, 'GetObject', 'gd-tester-bucket', t, NAT_IP, 'daily/report.csv')),
      ...['ListUsers', 'ListRoles'].map((name, i) => ctEvent({ service: 'iam', name, identity: tester, time: `2026-11-15T09:0${i}:00Z`, ip: FOREIGN_IP, userAgent: CLI })),
      ctEvent({ service: 's3', name: 'ListBuckets', identity: tester, time: '2026-11-15T09:02:00Z', ip: FOREIGN_IP, userAgent: CLI }),
      s3(tester, 'ListObjects', 'gd-tester-bucket', '2026-11-15T09:03:00Z', FOREIGN_IP),
      s3(tester, 'PutObject', 'gd-tester-bucket', '2026-11-15T09:04:00Z', FOREIGN_IP, 'RANSOM_NOTE.txt'),
      s3(tester, 'DeleteObject', 'gd-tester-bucket', '2026-11-15T09:05:00Z', FOREIGN_IP, 'daily/report.csv'),
    ],
    intel: { awsIps: AWS_RANGES },
    with: ['anomalous-behavior', 's3-anomalous-behavior'],
    expect: ['AttackSequence:S3/CompromisedData'],
  },
  {
    name: 'credentials used from a threat-listed IP open a bucket to another account, then download from it',
    records: [
      ctEvent({ service: 'iam', name: 'ListUsers', identity: dana, time: '2026-11-15T09:00:00Z', ip: THREAT_IP, userAgent: CLI }),
      ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: dana, time: '2026-11-15T09:02:00Z', ip: THREAT_IP, userAgent: CLI, request: externalRead('finance-archive') }),
      ...repeated(5, '2026-11-15T09:05:00Z', 0.5, (t, i) => s3(dana, 'GetObject', 'finance-archive', t, THREAT_IP, `ledger/2026-${i + 1}.csv`)),
    ],
    intel: { threatIps: [{ ip: THREAT_IP, listName: 'IncidentIOCs', custom: true }] },
    with: ['iam-threat-intel', 's3-threat-intel', 'gumshoe-sharing-externally'],
    expect: ['AttackSequence:S3/CompromisedData'],
  },
  {
    // Two findings and a high-risk call, all of one management event: no object was read, written or deleted.
    name: 'a lone PutBucketPolicy from a new network by a user who only ever read the bucket',
    records: [
      ...repeated(14, '2026-11-01T09:00:00Z', 24 * 60, (t) => s3(dana, 'GetObject', 'finance-archive', t, '81.2.69.160', 'reports/daily.csv')),
      ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: dana, time: '2026-11-15T09:00:00Z', ip: VPS_IP, userAgent: CLI, request: externalRead('finance-archive') }),
    ],
    with: ['s3-anomalous-behavior', 'gumshoe-sharing-externally'],
    expect: [],
  },
  {
    // Both findings report the same threat-list IP (one family), and CreateUser is the event of one of them.
    name: 'ListUsers and a denied CreateUser from an IP on the threat list: two calls, no sequence',
    records: [
      ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('alice'), time: '2026-11-15T09:00:00Z', ip: THREAT_IP, userAgent: CLI }),
      ctEvent({ service: 'iam', name: 'CreateUser', identity: iamUser('alice'), time: '2026-11-15T09:01:00Z', ip: THREAT_IP, userAgent: CLI, request: { userName: 'backup-svc' }, errorCode: 'AccessDenied' }),
    ],
    intel: { threatIps: [{ ip: THREAT_IP, listName: 'IncidentIOCs', custom: true }] },
    with: ['iam-threat-intel'],
    expect: [],
  },
  {
    name: 'two high-risk calls by one credential with no finding',
    records: [
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: erin, time: '2026-11-15T09:00:00Z', ip: '81.2.69.160', userAgent: CLI, request: { userName: 'svc-backup' } }),
      ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: erin, time: '2026-11-15T09:01:00Z', ip: '81.2.69.160', userAgent: CLI, request: { userName: 'svc-backup', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }),
    ],
    expect: [],
  },
  {
    // A Tor exit and a Kali agent on one GetObject: two wrong-hands findings and an object read, but one action.
    name: 'one object download from a Tor exit with a Kali agent: one event, no sequence',
    records: [s3(dana, 'GetObject', 'finance-archive', '2026-11-15T09:00:00Z', TOR_EXIT, 'ledger/2026-10.csv')].map((r) => ({ ...r, userAgent: KALI })),
    intel: { torExits: [TOR_EXIT] },
    with: ['s3-threat-intel', 'pentest-user-agent'],
    expect: [],
  },
  {
    name: 'Stratus ec2-steal-instance-credentials alone: one finding, no sequence',
    datasets: [{ stratus: 'aws.credential-access.ec2-steal-instance-credentials' }],
    intel: { awsIps: AWS_RANGES },
    with: ['credential-exfiltration'],
    expect: [],
  },
  {
    name: 'a travelling engineer lists and reads a new bucket from abroad',
    records: [
      ...repeated(28, '2026-11-01T09:00:00Z', 720, (t, i) => ctEvent({ service: i % 2 ? 's3' : 'ec2', name: i % 2 ? 'ListBuckets' : 'DescribeInstances', identity: erin, time: t, ip: '81.2.69.160', userAgent: CLI })),
      ...repeated(14, '2026-11-01T10:00:00Z', 24 * 60, (t) => s3(erin, 'GetObject', 'team-docs', t, '81.2.69.160', 'notes.md')),
      ...repeated(14, '2026-11-01T11:00:00Z', 24 * 60, (t) => s3(iamUser('frank'), 'PutObject', 'design-archive', t, '81.2.69.160', 'spec.pdf')),
      ctEvent({ service: 'iam', name: 'ListRoles', identity: erin, time: '2026-11-15T09:00:00Z', ip: FOREIGN_IP, userAgent: CLI }),
      s3(erin, 'ListObjects', 'team-docs', '2026-11-15T09:01:00Z', FOREIGN_IP),
      s3(erin, 'GetObject', 'team-docs', '2026-11-15T09:02:00Z', FOREIGN_IP, 'plan.pdf'),
      s3(erin, 'GetObject', 'design-archive', '2026-11-15T09:03:00Z', FOREIGN_IP, 'spec.pdf'),
    ],
    with: ['anomalous-behavior', 's3-anomalous-behavior'],
    expect: [],
  },
  {
    // No history and no intel: the note alone says whose hands the credential is in.
    name: 'a key with no history downloads a bucket, deletes every version and leaves a ransom note (Stratus shape)',
    records: s3Ransomware.cases!()[0]!.records,
    with: ['gumshoe-s3-ransomware'],
    expect: ['AttackSequence:S3/CompromisedData'],
  },
  {
    // The audit's D2: four Medium defence-evasion findings and high-risk calls of one person, nothing about who holds the session.
    name: 'an SSO administrator decommissions a region by hand from the office: no sign the session is in other hands',
    records: teardown(OFFICE_IP),
    with: ['gumshoe-logging-tampering', 'iam-threat-intel', 'anomalous-behavior'],
    expect: [],
  },
  {
    name: 'the same teardown by the administrator’s session from a Tor exit',
    records: teardown(TOR_EXIT),
    intel: { torExits: [TOR_EXIT] },
    with: ['gumshoe-logging-tampering', 'iam-threat-intel'],
    expect: ['AttackSequence:IAM/CompromisedCredentials'],
  },
  {
    // The audit's D1: persistence and sharing findings of the CI role, every one raised on a Terraform call.
    name: 'a Terraform apply from a GitHub Actions OIDC session shares backups with another account and trusts its restore role',
    records: terraformApply(),
    with: ['gumshoe-iam-persistence', 'gumshoe-sharing-externally', 'anomalous-behavior'],
    expect: [],
  },
  {
    name: 'an administrator stops a trail with the root user',
    records: [
      ctEvent({ service: 'cloudtrail', name: 'StopLogging', identity: root(), time: '2026-11-15T09:00:00Z', ip: '81.2.69.160', userAgent: CLI, request: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/dev-trail' } }),
      ctEvent({ service: 'cloudtrail', name: 'DeleteTrail', identity: root(), time: '2026-11-15T09:01:00Z', ip: '81.2.69.160', userAgent: CLI, request: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/dev-trail' } }),
    ],
    with: ['root-credential-usage', 'cloudtrail-logging-disabled'],
    expect: [],
  },
  {
    name: 'the EC2 service minting credentials is no actor',
    records: [{ ...ctEvent({ service: 'sts', name: 'AssumeRole', identity: awsService('ec2.amazonaws.com'), time: '2026-11-15T09:00:00Z', userAgent: 'ec2.amazonaws.com' }), sourceIPAddress: 'ec2.amazonaws.com' }],
    expect: [],
  },
];

function spec(type: string, dataSource: FindingTypeSpec['dataSource'], resourceType: FindingTypeSpec['resourceType'], mitre: FindingTypeSpec['mitre'], title: string, description: string, remediation: string): FindingTypeSpec {
  return { type, dataSource, severity: 9, resourceType, mitre, title, description, remediation };
}

export const attackSequence: ApiDetection = {
  id: 'attack-sequence',
  source: 'cloudtrail',
  // S3 object calls are filed under their bucket (requestParameters.bucketName, or the resources list).
  payloads: { services: ['s3.amazonaws.com'] },
  types: [
    spec(
      'AttackSequence:IAM/CompromisedCredentials',
      'CloudTrailManagement',
      'AccessKey',
      { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      'Potential credential compromise of {credential} indicated by a sequence of actions.',
      'A sequence of {signals} suspicious signals tied to the credentials of {credential} (findings and high-risk API calls) within 24 hours suggests they are used by someone else.',
      'Treat the credentials as compromised: deactivate the access keys or revoke the role sessions, review every signal of the sequence, undo persistence (new keys, users, policies) and find how the credentials leaked.',
    ),
    spec(
      'AttackSequence:S3/CompromisedData',
      'S3DataEvents',
      'S3Bucket',
      { tactic: 'TA0009 Collection', technique: 'T1530 Data from Cloud Storage' },
      'Potential data compromise of S3 bucket {bucket} by {credential}, indicated by a sequence of actions.',
      'Credentials of {credential} showed signs of compromise and then read, deleted or wrote objects in {bucket} ({signals} signals within 24 hours): data may have been stolen or destroyed.',
      'Revoke the credentials, block further access to the bucket (bucket policy deny), assess which objects were read or changed, restore deleted or overwritten objects from versions or backups, and find how the credentials leaked.',
    ),
  ],
  onEvent,
  correlate,
  cases,
};
