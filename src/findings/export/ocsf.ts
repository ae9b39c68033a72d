import type { FindingTypeSpec } from '../../detect/detection.js';
import { type AccessKeyDetails, type GuardDutyFinding, hostAddress, type RemoteIpDetails, severityLevel } from '../guardduty-finding.js';
import { findingEventId } from './eventbridge.js';

/** An OCSF 1.1.0 Detection Finding (class 2004). Times are epoch milliseconds. */
export interface OcsfDetectionFinding {
  class_uid: 2004;
  class_name: 'Detection Finding';
  category_uid: 2;
  category_name: 'Findings';
  activity_id: OcsfActivity;
  activity_name: string;
  type_uid: number;
  type_name: string;
  time: number;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  message: string;
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    types: string[];
    created_time: number;
    modified_time: number;
    first_seen_time: number;
    last_seen_time: number;
    analytic: { uid: string; name: string; type: 'Rule'; type_id: 1 };
    attacks?: OcsfAttack[];
    data_sources?: string[];
    related_events?: { uid: string; type?: string }[];
  };
  cloud: { provider: 'AWS'; account: { uid: string }; region: string };
  resources: { type: string; uid: string; name?: string; cloud_partition: string; region: string }[];
  evidences?: Record<string, unknown>[];
  remediation?: { desc: string };
  metadata: {
    version: '1.1.0';
    /** `cloud` comes from OCSF's Cloud profile, which an event must declare to carry it. */
    profiles: ['cloud'];
    uid: string;
    product: { name: 'Gumshoe'; vendor_name: 'Gumshoe'; feature?: { name: string } };
  };
  unmapped: { guardduty: Record<string, unknown> };
}

export interface OcsfAttack {
  version: string;
  tactic?: { uid: string; name: string };
  technique?: { uid: string; name?: string };
  sub_technique?: { uid: string; name: string };
}

/** 1 Create, 2 Update, 3 Close. */
export type OcsfActivity = 1 | 2 | 3;
const ACTIVITY_NAMES = { 1: 'Create', 2: 'Update', 3: 'Close' } as const;
const SEVERITY_IDS = { Low: 2, Medium: 3, High: 4, Critical: 5 } as const;

/** The ATT&CK Enterprise release stated on every attack; the catalogue's IDs are assumed current in it. */
export const ATTACK_VERSION = 'v15';

export function toOcsf(finding: GuardDutyFinding, spec?: FindingTypeSpec): OcsfDetectionFinding {
  const { service } = finding;
  // A finding created with many occurrences in one run is still a Create: only a later update is an Update.
  const activity: OcsfActivity = service.archived ? 3 : millis(finding.updatedAt) > millis(finding.createdAt) ? 2 : 1;
  const level = severityLevel(finding.severity);
  const attack = spec && mitreAttack(spec);
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: activity,
    activity_name: ACTIVITY_NAMES[activity],
    type_uid: 200400 + activity,
    type_name: `Detection Finding: ${ACTIVITY_NAMES[activity]}`,
    time: millis(finding.updatedAt),
    severity_id: SEVERITY_IDS[level],
    severity: level,
    // An archived finding was closed by a person or a suppression rule; OCSF calls both Suppressed.
    status_id: service.archived ? 3 : 1,
    status: service.archived ? 'Suppressed' : 'New',
    message: finding.title,
    finding_info: {
      uid: finding.arn,
      title: finding.title,
      desc: finding.description,
      types: [finding.type],
      created_time: millis(finding.createdAt),
      modified_time: millis(finding.updatedAt),
      first_seen_time: millis(service.eventFirstSeen),
      last_seen_time: millis(service.eventLastSeen),
      analytic: { uid: finding.type, name: finding.type, type: 'Rule', type_id: 1 },
      ...(attack && { attacks: [attack] }),
      ...(spec && { data_sources: [spec.dataSource] }),
      ...nonEmpty('related_events', relatedEvents(finding)),
    },
    cloud: { provider: 'AWS', account: { uid: finding.accountId }, region: finding.region },
    resources: resources(finding),
    ...nonEmpty('evidences', evidences(finding)),
    ...(spec && { remediation: { desc: spec.remediation } }),
    metadata: {
      version: '1.1.0',
      profiles: ['cloud'],
      // One per exported state, like the EventBridge event id, so an update is a new event.
      uid: findingEventId(finding),
      product: {
        name: 'Gumshoe',
        vendor_name: 'Gumshoe',
        ...(service.featureName && { feature: { name: service.featureName } }),
      },
    },
    unmapped: { guardduty: unmapped(finding) },
  };
}

/** `TA0007 Discovery` and `T1078.004 Valid Accounts: Cloud Accounts` into OCSF's tactic/technique/sub-technique. */
function mitreAttack(spec: FindingTypeSpec): OcsfAttack | undefined {
  const split = (text: string) => /^(\S+)\s+(.+)$/.exec(text.trim());
  const tactic = split(spec.mitre.tactic);
  const technique = split(spec.mitre.technique);
  if (!tactic && !technique) return undefined;
  const attack: OcsfAttack = { version: ATTACK_VERSION };
  if (tactic) attack.tactic = { uid: tactic[1]!, name: tactic[2]! };
  if (technique) {
    const [uid, name] = [technique[1]!, technique[2]!];
    const parent = uid.split('.')[0]!;
    if (parent === uid) {
      attack.technique = { uid, name };
    } else {
      const [parentName, subName] = name.includes(': ') ? name.split(': ', 2) : [undefined, name];
      attack.technique = { uid: parent, ...(parentName && { name: parentName }) };
      attack.sub_technique = { uid, name: subName! };
    }
  }
  return attack;
}

function resources(finding: GuardDutyFinding): OcsfDetectionFinding['resources'] {
  const { resource, partition, region, accountId } = finding;
  const base = { cloud_partition: partition, region };
  const list: OcsfDetectionFinding['resources'] = [];
  const key = resource.accessKeyDetails;
  if (key) {
    list.push({ type: 'AwsIamAccessKey', uid: key.accessKeyId || key.principalId || 'unknown', ...(key.userName && { name: key.userName }), ...base });
  }
  const instance = resource.instanceDetails;
  if (instance?.instanceId) {
    const name = instance.tags?.find((tag) => tag.key === 'Name')?.value;
    list.push({ type: 'AwsEc2Instance', uid: instance.instanceId, ...(name && { name }), ...base });
  } else if (instance) {
    // No instance known: the interface, else the address, the flow or query came from.
    const eni = instance.networkInterfaces?.[0];
    if (eni?.networkInterfaceId) list.push({ type: 'AwsEc2NetworkInterface', uid: eni.networkInterfaceId, ...base });
    else if (eni?.privateIpAddress) list.push({ type: 'Other', uid: eni.privateIpAddress, ...base });
  }
  for (const bucket of resource.s3BucketDetails ?? []) list.push({ type: 'AwsS3Bucket', uid: bucket.arn, name: bucket.name, ...base });
  if (list.length === 0) list.push({ type: 'AwsAccount', uid: accountId, ...base });
  return list;
}

/** What was seen: the caller and API for API calls, endpoints for network activity, the query for DNS. */
function evidences(finding: GuardDutyFinding): Record<string, unknown>[] {
  const { action } = finding.service;
  const key = finding.resource.accessKeyDetails;
  const api = action.awsApiCallAction;
  if (api) {
    return [defined({
      actor: key && actor(key),
      api: defined({
        operation: api.api,
        service: { name: api.serviceName },
        response: api.errorCode ? { error: api.errorCode } : undefined,
      }),
      src_endpoint: endpoint(api.remoteIpDetails),
    })];
  }
  const connection = action.networkConnectionAction;
  if (connection) {
    const local = defined({
      ip: connection.localIpDetails?.ipAddressV4 ?? connection.localIpDetails?.ipAddressV6,
      port: connection.localPortDetails?.port,
      instance_uid: finding.resource.instanceDetails?.instanceId,
    });
    const remote = { ...endpoint(connection.remoteIpDetails), ...defined({ port: connection.remotePortDetails?.port }) };
    const outbound = connection.connectionDirection === 'OUTBOUND';
    const directionId = outbound ? 2 : connection.connectionDirection === 'INBOUND' ? 1 : 0;
    return [{
      // A surge from many sources has no single remote side: an endpoint without an address is left out.
      ...addressed('src_endpoint', outbound ? local : remote),
      ...addressed('dst_endpoint', outbound ? remote : local),
      connection_info: {
        protocol_name: connection.protocol.toLowerCase(),
        direction_id: directionId,
        direction: ['Unknown', 'Inbound', 'Outbound'][directionId],
      },
    }];
  }
  const probe = action.portProbeAction;
  if (probe) {
    // A probe is a connection the scanner opened to the instance (inbound), as a TARGET NETWORK_CONNECTION is.
    return probe.portProbeDetails.map((detail) => ({
      ...addressed('src_endpoint', endpoint(detail.remoteIpDetails) ?? {}),
      dst_endpoint: defined({
        ip: detail.localIpDetails?.ipAddressV4 ?? detail.localIpDetails?.ipAddressV6,
        port: detail.localPortDetails.port,
        instance_uid: finding.resource.instanceDetails?.instanceId,
      }),
      connection_info: { direction_id: 1, direction: 'Inbound' },
    }));
  }
  const dns = action.dnsRequestAction;
  if (dns) {
    const source = defined({ ip: hostAddress(finding), instance_uid: finding.resource.instanceDetails?.instanceId });
    return [{ query: { hostname: dns.domain }, ...(Object.keys(source).length && { src_endpoint: source }) }];
  }
  return [];
}

/**
 * The caller as Security Lake's CloudTrail mapping names it (user uid the ARN, uid_alt the principal id,
 * session issuer the role ARN), so a finding's actor joins the API Activity events of the same caller.
 */
function actor(key: AccessKeyDetails): Record<string, unknown> {
  const identity = key.userIdentity;
  const session = identity?.sessionContext;
  const mfa = session?.attributes?.mfaAuthenticated;
  const sessionFields = defined({ issuer: session?.sessionIssuer?.arn, is_mfa: mfa === undefined ? undefined : mfa === 'true' });
  return defined({
    user: defined({
      type: key.userType,
      uid: identity?.arn ?? key.principalId,
      uid_alt: identity?.arn ? key.principalId : undefined,
      name: key.userName,
      credential_uid: key.accessKeyId,
      account: identity?.accountId ? { uid: identity.accountId } : undefined,
    }),
    session: Object.keys(sessionFields).length ? sessionFields : undefined,
    invoked_by: session?.invokedBy,
  });
}

function endpoint(details: RemoteIpDetails | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const { organization: org, country, city, geoLocation: geo } = details;
  const asn = org?.asn === undefined ? NaN : Number(org.asn);
  const location = defined({
    country: country?.countryCode,
    city: city?.cityName,
    coordinates: geo?.lon !== undefined && geo.lat !== undefined ? [geo.lon, geo.lat] : undefined,
  });
  return defined({
    ip: details.ipAddressV4 ?? details.ipAddressV6,
    location: Object.keys(location).length ? location : undefined,
    autonomous_system: org && defined({ number: Number.isInteger(asn) ? asn : undefined, name: org.asnOrg }),
  });
}

/** GuardDuty fields OCSF has no place for, kept small: role, count, detector, intel and remote org. */
function unmapped(finding: GuardDutyFinding): Record<string, unknown> {
  const { service } = finding;
  const remote =
    service.action.awsApiCallAction?.remoteIpDetails ??
    service.action.networkConnectionAction?.remoteIpDetails ??
    service.action.portProbeAction?.portProbeDetails[0]?.remoteIpDetails;
  return defined({
    id: finding.id,
    schemaVersion: finding.schemaVersion,
    severity: finding.severity,
    detectorId: service.detectorId,
    actionType: service.action.actionType,
    resourceRole: service.resourceRole,
    count: service.count,
    archived: service.archived,
    remoteOrganization: remote?.organization,
    remoteAccountDetails: service.action.awsApiCallAction?.remoteAccountDetails,
    userAgent: service.action.awsApiCallAction?.userAgent,
    threatIntelligenceDetails: service.evidence?.threatIntelligenceDetails,
    additionalInfo: Object.keys(service.additionalInfo ?? {}).length ? service.additionalInfo : undefined,
  });
}

/** The signals of an attack sequence, each a finding (by its ARN) or a run of API calls. */
function relatedEvents(finding: GuardDutyFinding): { uid: string; type?: string }[] {
  return (finding.service.detection?.sequence?.signals ?? []).map((signal) => ({ uid: signal.uid, type: signal.name }));
}

/** An endpoint under `key` if it names an address or instance: OCSF wants one of them, a port alone is no endpoint. */
function addressed(key: string, value: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return value.ip !== undefined || value.instance_uid !== undefined ? { [key]: value } : {};
}

function millis(iso: string): number {
  return Date.parse(iso);
}

function nonEmpty<K extends string, V>(key: K, list: V[]): Partial<Record<K, V[]>> {
  return list.length ? ({ [key]: list } as Record<K, V[]>) : {};
}

function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== null));
}
