import { createHash } from 'node:crypto';
import { type ApiActor, type ApiEvent, NAMELESS_TYPES } from '../detect/api-event.js';
import type { FindingTypeSpec, NetworkSignal, Signal } from '../detect/detection.js';
import { hostOf } from '../detect/instance-inventory.js';
import { userAgentCategory } from '../detect/user-agent.js';
import type { IntelLookup, ThreatMatch } from '../intel/lookup.js';
import type { AccessKeyDetails, FindingAction, FindingResource, FindingService, GuardDutyFinding, InstanceDetails, RemoteIpDetails, ThreatIntelligenceDetail } from './guardduty-finding.js';
import { sessionNameFromArn, userIdentityOf } from './user-identity.js';

/** An event behind a finding, by where it is stored. */
export interface EvidenceRef {
  uid: string | null;
  fileId: number | null;
  line: number | null;
  time: number;
}

/** One finding's occurrences within a run, merged by aggregation key. */
export interface Occurrence {
  key: string;
  detectionId: string;
  spec: FindingTypeSpec;
  /** The latest occurrence's details, with count and first/last seen over the run. */
  finding: GuardDutyFinding;
  evidence: EvidenceRef[];
  /** Remote IP, principal and resource id, kept for the findings table's columns. */
  remoteIp: string | null;
  principal: string | null;
  resourceId: string;
}

export interface BuildContext {
  intel: IntelLookup;
  detectorId: string;
  /** The partition of a finding whose region is unknown; every other finding's follows its region (partitionOf). */
  partition: string;
}

/** The commercial partition, for findings whose region is unknown. */
export const DEFAULT_PARTITION = 'aws';

/** Region prefixes of the partitions other than `aws` (China, GovCloud, the isolated ISO regions). */
const PARTITION_PREFIXES: [prefix: string, partition: string][] = [
  ['cn-', 'aws-cn'],
  ['us-gov-', 'aws-us-gov'],
  ['us-iso-', 'aws-iso'],
  ['us-isob-', 'aws-iso-b'],
  ['eu-isoe-', 'aws-iso-e'],
  ['us-isof-', 'aws-iso-f'],
  ['eusc-', 'aws-eusc'],
];

/**
 * The AWS partition a region belongs to (guardduty.md §3.2: `aws`, `aws-cn`, `aws-us-gov`): a finding's
 * ARNs, and Security Hub's product ARN for it, must name it. `fallback` for a region that is not known.
 */
export function partitionOf(region: string, fallback = DEFAULT_PARTITION): string {
  if (region === '' || region === 'unknown') return fallback;
  return PARTITION_PREFIXES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? DEFAULT_PARTITION;
}

/** An ARN Gumshoe wrote in the commercial partition (`arn:aws:s3:::…`), moved to the finding's partition. */
function inPartition(arn: string, partition: string): string {
  return arn.startsWith('arn:aws:') ? `arn:${partition}:${arn.slice('arn:aws:'.length)}` : arn;
}

/** The resource with the bucket and object ARNs the detections name in `aws` moved to the finding's partition. */
function resourceInPartition(resource: FindingResource, partition: string): FindingResource {
  if (partition === DEFAULT_PARTITION || !resource.s3BucketDetails) return resource;
  const s3BucketDetails = resource.s3BucketDetails.map((bucket) => ({
    ...bucket,
    arn: inPartition(bucket.arn, partition),
    ...(bucket.s3ObjectDetails && {
      s3ObjectDetails: bucket.s3ObjectDetails.map((object) => (object.objectArn ? { ...object, objectArn: inPartition(object.objectArn, partition) } : object)),
    }),
  }));
  return { ...resource, s3BucketDetails };
}

const iso = (ms: number) => new Date(ms).toISOString();
/** eventFirstSeen/eventLastSeen are written without milliseconds, as GuardDuty does. */
const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

export function remoteIpDetails(ip: string, intel: IntelLookup): RemoteIpDetails {
  const geo = intel.ipDetails(ip);
  const details: RemoteIpDetails = ip.includes(':') ? { ipAddressV6: ip } : { ipAddressV4: ip };
  if (geo.asn !== undefined || geo.asnOrg) {
    details.organization = { asn: geo.asn === undefined ? undefined : String(geo.asn), asnOrg: geo.asnOrg, isp: geo.asnOrg, org: geo.asnOrg };
  }
  if (geo.countryCode) details.country = { countryCode: geo.countryCode, countryName: geo.countryName };
  if (geo.city) details.city = { cityName: geo.city };
  if (geo.lat !== undefined && geo.lon !== undefined) details.geoLocation = { lat: geo.lat, lon: geo.lon };
  return details;
}

/**
 * GuardDuty knows two callers: a remote IP address, or a DNS domain, which is how it shows an AWS service
 * calling on a principal's behalf (`cloudformation.amazonaws.com`, `AWS Internal`) with the name in domainDetails.
 */
function callerType(event: ApiEvent): 'Remote IP' | 'Domain' {
  return event.sourceIp ? 'Remote IP' : 'Domain';
}

/**
 * The caller's name as GuardDuty gives it in accessKeyDetails.userName: the user, the session's role, or Root.
 * CloudTrail writes some absent fields as "" (sign-in events): they are left out, as GuardDuty leaves them.
 */
function callerName(actor: ApiActor): string | undefined {
  return actor.userName || (actor.type === 'Root' ? 'Root' : sessionNameFromArn(actor.arn));
}

/** The caller's access key as GuardDuty describes it, with the caller's identity for filters. */
export function accessKeyDetailsOf(actor: ApiActor): AccessKeyDetails {
  return {
    accessKeyId: actor.accessKeyId || undefined,
    principalId: actor.principalId || undefined,
    userName: callerName(actor),
    userType: actor.type ?? undefined,
    userIdentity: userIdentityOf(actor),
  };
}

function accessKeyResource(event: ApiEvent): FindingResource {
  return { resourceType: 'AccessKey', accessKeyDetails: accessKeyDetailsOf(event.actor) };
}

function fill(template: string, vars: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    return value === undefined ? whole : String(value);
  });
}

/** The principal as people name it: user name, role session, or ARN. */
function principalLabel(event: ApiEvent): string {
  const { actor } = event;
  if (actor.type === 'Root') return 'Root';
  return callerName(actor) || actor.arn || actor.principalId || 'unknown principal';
}

export function findingId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** What a finding is made of, whatever the data source. */
interface FindingParts {
  time: number;
  account: string;
  region: string;
  resource: FindingResource;
  resourceId: string;
  role: 'ACTOR' | 'TARGET';
  aggregateBy?: string;
  action: FindingAction;
  additionalInfo: Record<string, unknown>;
  /** The threat lists behind the occurrence, latest first: the first gives threatListName and the title's list. */
  threats: ThreatMatch[];
  severity?: number;
  vars: Record<string, string | number | undefined>;
  detection?: FindingService['detection'];
  evidence: EvidenceRef[];
  remoteIp: string | null;
  principal: string | null;
}

const FEATURES: Record<FindingTypeSpec['dataSource'], string> = {
  CloudTrailManagement: 'CloudTrail',
  S3DataEvents: 'S3DataEvents',
  VPCFlowLogs: 'FlowLogs',
  DNSLogs: 'DnsLogs',
};

function assemble(parts: FindingParts, spec: FindingTypeSpec, detectionId: string, context: BuildContext): Occurrence {
  const key = aggregationKey(parts.account, parts.region, spec, parts.role, parts.resourceId, parts.aggregateBy);
  const id = findingId(key);
  const additionalInfo: Record<string, unknown> = {};
  const [threat] = parts.threats;
  if (threat) {
    additionalInfo.threatListName = threat.listName;
    if (threat.threatName) additionalInfo.threatName = threat.threatName;
  }
  Object.assign(additionalInfo, parts.additionalInfo);
  const vars = { account: parts.account, region: parts.region, listName: threat?.listName, ...parts.vars };
  const partition = partitionOf(parts.region, context.partition);
  // GuardDuty files a sequence under its own resource type and the Correlation feature; the details blocks
  // (the credential, the buckets) stay for filters and for readers that look for them.
  const sequence = spec.type.startsWith('AttackSequence:');
  const finding: GuardDutyFinding = {
    schemaVersion: '2.0',
    accountId: parts.account,
    region: parts.region,
    partition,
    id,
    // An ARN may leave its region empty; a made-up one ("unknown") would not be a valid ARN.
    arn: `arn:${partition}:guardduty:${parts.region === 'unknown' ? '' : parts.region}:${parts.account}:detector/${context.detectorId}/finding/${id}`,
    type: spec.type,
    resource: resourceInPartition(sequence ? { ...parts.resource, resourceType: 'AttackSequence' } : parts.resource, partition),
    service: {
      serviceName: 'guardduty',
      detectorId: context.detectorId,
      action: parts.action,
      evidence: threat ? { threatIntelligenceDetails: threatIntelligenceDetails(parts.threats) } : null,
      archived: false,
      count: 1,
      eventFirstSeen: isoSeconds(parts.time),
      eventLastSeen: isoSeconds(parts.time),
      resourceRole: parts.role,
      additionalInfo,
      featureName: sequence ? 'Correlation' : FEATURES[spec.dataSource],
      ...(parts.detection ? { detection: parts.detection } : {}),
    },
    severity: parts.severity ?? spec.severity,
    createdAt: iso(parts.time),
    updatedAt: iso(parts.time),
    title: fill(spec.title, vars),
    description: fill(spec.description, vars),
  };
  return { key, detectionId, spec, finding, evidence: parts.evidence, remoteIp: parts.remoteIp, principal: parts.principal, resourceId: parts.resourceId };
}

/** One entry per list, in the order given, with the threat names its matches carried. */
function threatIntelligenceDetails(threats: ThreatMatch[]): ThreatIntelligenceDetail[] {
  const byList = new Map<string, { listName: string; names: string[]; fileSha256?: string }>();
  for (const match of threats) {
    const list = byList.get(match.listName) ?? { listName: match.listName, names: [], fileSha256: match.fileSha256 };
    byList.set(match.listName, list);
    if (match.threatName && !list.names.includes(match.threatName)) list.names.push(match.threatName);
  }
  return [...byList.values()].map((list) => ({
    threatListName: list.listName,
    threatNames: list.names.length ? list.names : undefined,
    threatFileSha256: list.fileSha256,
  }));
}

/** The aggregation key: repeats of the same type on the same resource (and discriminator) are one finding. */
export function aggregationKey(account: string, region: string, spec: FindingTypeSpec, role: string, resourceId: string, aggregateBy: string | undefined): string {
  return [account, region, spec.type, role, resourceId, aggregateBy ?? ''].join('|');
}

/** The resource a CloudTrail signal's finding is about: the bucket, the instance, or the caller's key. */
function apiResourceId(signal: Signal, spec: FindingTypeSpec): string {
  const { event } = signal;
  if (spec.resourceType === 'S3Bucket') return signal.buckets?.[0]?.name ?? event.bucketName ?? 'unknown-bucket';
  if (spec.resourceType === 'Instance') return signal.instance?.instanceId ?? 'unknown-instance';
  const key = signal.resource?.accessKeyDetails;
  // Identity Center callers carry no key, and the principal id of their sign-ins is the account's: the person is the resource.
  if (!key && NAMELESS_TYPES.has(event.actor.type ?? '')) return event.principalKey;
  return key?.accessKeyId || key?.principalId || event.actor.accessKeyId || event.actor.principalId || event.principalKey;
}

const accountOf = (event: ApiEvent) => event.accountId ?? event.actor.accountId ?? 'unknown';

/** The aggregation key of a CloudTrail signal, cheaply, without building the finding. */
export function apiSignalKey(signal: Signal, spec: FindingTypeSpec): string {
  return aggregationKey(accountOf(signal.event), signal.event.region ?? 'unknown', spec, signal.resourceRole ?? 'TARGET', apiResourceId(signal, spec), signal.aggregateBy);
}

/** The aggregation key of a flow or DNS signal about a host (hostOf: its instance, else its interface or address). */
export function networkSignalKey(signal: NetworkSignal, host: string, region: string, spec: FindingTypeSpec): string {
  return aggregationKey(signal.event.accountId ?? 'unknown', region, spec, signal.resourceRole ?? 'TARGET', host, signal.aggregateBy);
}

/**
 * Templates name the host "EC2 instance {instance}"; a host whose instance is unknown is named by its
 * interface or address instead ("The host 10.9.9.1 is querying…"), not called an instance.
 */
function namingHost(spec: FindingTypeSpec, label: string): FindingTypeSpec {
  const sentenceStart = `${label[0]!.toUpperCase()}${label.slice(1)}`;
  const name = (text: string) =>
    text.replace(/EC2 instance \{instance\}/g, (_whole, at: number) => (at === 0 || text.slice(at - 2, at) === '. ' ? sentenceStart : label));
  return { ...spec, title: name(spec.title), description: name(spec.description) };
}

/** A CloudTrail signal → one occurrence of its finding, with the GuardDuty JSON of that occurrence. */
export function buildOccurrence(signal: Signal, spec: FindingTypeSpec, detectionId: string, context: BuildContext): Occurrence {
  const { event } = signal;
  const resource: FindingResource = { ...accessKeyResource(event), resourceType: spec.resourceType, ...signal.resource };
  if (signal.buckets?.length) resource.s3BucketDetails = signal.buckets;
  if (signal.instance) resource.instanceDetails = signal.instance;
  const resourceId = apiResourceId(signal, spec);
  const ip = event.sourceIp;
  const action: FindingAction = signal.action ?? {
    actionType: 'AWS_API_CALL',
    awsApiCallAction: {
      api: event.api,
      serviceName: event.service,
      callerType: callerType(event),
      errorCode: event.errorCode ?? undefined,
      userAgent: event.userAgent ?? undefined,
      ...(ip ? { remoteIpDetails: remoteIpDetails(ip, context.intel) } : event.sourceHost ? { domainDetails: { domain: event.sourceHost } } : {}),
      ...(signal.remoteAccount ? { remoteAccountDetails: signal.remoteAccount } : {}),
      affectedResources: {},
    },
  };
  const additionalInfo: Record<string, unknown> = {};
  if (event.userAgent) additionalInfo.userAgent = { fullUserAgent: event.userAgent, userAgentCategory: userAgentCategory(event.userAgent) };
  return assemble(
    {
      time: event.time,
      account: accountOf(event),
      region: event.region ?? 'unknown',
      resource,
      resourceId,
      role: signal.resourceRole ?? 'TARGET',
      aggregateBy: signal.aggregateBy,
      action,
      additionalInfo: { ...additionalInfo, ...signal.additionalInfo },
      threats: signal.threat ? [signal.threat] : [],
      severity: signal.severity,
      vars: {
        api: event.api,
        service: event.service,
        principal: principalLabel(event),
        ip: ip ?? event.sourceHost ?? undefined,
        bucket: signal.buckets?.[0]?.name ?? event.bucketName ?? undefined,
        userAgent: event.userAgent ?? undefined,
        ...signal.vars,
      },
      detection: signal.detection,
      evidence: evidenceOf([event, ...(signal.related ?? [])]),
      remoteIp: ip,
      principal: event.actor.arn || event.principalKey,
    },
    spec,
    detectionId,
    context,
  );
}

/** A flow or DNS signal → one occurrence of its finding, about the instance (or the host, when no instance is known). */
export function buildNetworkOccurrence(signal: NetworkSignal, instance: InstanceDetails, region: string, spec: FindingTypeSpec, detectionId: string, context: BuildContext): Occurrence {
  const { event } = signal;
  const host = hostOf(instance);
  return assemble(
    {
      time: event.time,
      account: event.accountId ?? 'unknown',
      region,
      resource: { resourceType: 'Instance', instanceDetails: instance },
      resourceId: host.key,
      role: signal.resourceRole ?? 'TARGET',
      aggregateBy: signal.aggregateBy,
      action: signal.action,
      additionalInfo: signal.additionalInfo ?? {},
      threats: signal.threats ?? (signal.threat ? [signal.threat] : []),
      severity: signal.severity,
      vars: { instance: host.key, ip: signal.remoteIp, domain: signal.domain, ...signal.vars },
      evidence: evidenceOf([event, ...(signal.related ?? [])]),
      remoteIp: signal.remoteIp ?? null,
      principal: null,
    },
    namingHost(spec, host.label),
    detectionId,
    context,
  );
}

/** Evidence kept per finding: enough to show what happened without storing every repeat. */
export const EVIDENCE_LIMIT = 50;

/**
 * A finding's occurrences within a run: counted as they come, built once at the end from the latest
 * (GuardDuty shows the latest occurrence's details), so a noisy finding costs a counter per repeat.
 */
export class PendingOccurrence {
  count = 0;
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;
  /** The latest activity: `last`, or later when an occurrence's activity went on past its event (`until`). */
  lastSeen = Number.NEGATIVE_INFINITY;
  severity = 0;
  readonly evidence: EvidenceRef[] = [];
  private latest!: () => Occurrence;

  /**
   * `since`: when the activity behind this occurrence began, for threshold types raised after many events;
   * `counted`: false for a report of an occurrence counted before (Signal.continues); `until`: when the
   * activity ended, if after `time`.
   */
  add(time: number, severity: number, evidence: EvidenceRef[], build: () => Occurrence, since = time, counted = true, until = time): void {
    if (counted) this.count++;
    this.first = Math.min(this.first, since);
    this.lastSeen = Math.max(this.lastSeen, time, until);
    if (time >= this.last) {
      this.last = time;
      this.latest = build;
    }
    this.severity = Math.max(this.severity, severity);
    for (const ref of evidence) {
      this.evidence.push(ref);
      if (this.evidence.length > EVIDENCE_LIMIT) this.evidence.shift();
    }
  }

  build(): Occurrence {
    const occurrence = this.latest();
    occurrence.finding.severity = this.severity;
    occurrence.finding.createdAt = iso(this.first);
    occurrence.finding.service.count = this.count;
    occurrence.finding.service.eventFirstSeen = isoSeconds(this.first);
    occurrence.finding.service.eventLastSeen = isoSeconds(this.lastSeen);
    return { ...occurrence, evidence: [...this.evidence] };
  }
}

/** Where an event is stored (an ApiEvent, a NetworkEvent, or a reference already). */
export type EventPlace = { uid?: string | null; fileId: number | null; line: number | null; time: number };

export const evidenceRef = (e: EventPlace): EvidenceRef => ({ uid: e.uid ?? null, fileId: e.fileId, line: e.line, time: e.time });

export const evidenceOf = (events: EventPlace[]): EvidenceRef[] => events.map(evidenceRef);
