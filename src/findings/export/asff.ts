import type { FindingTypeSpec } from '../../detect/detection.js';
import { UserError } from '../../sources/input.js';
import {
  type FindingAction,
  type GuardDutyFinding,
  hostAddress,
  interfaceAddress,
  type PortDetails,
  type RemoteIpDetails,
  type SequenceIndicator,
  severityLevel,
} from '../guardduty-finding.js';

/**
 * A finding in the AWS Security Finding Format, ready for Security Hub's BatchImportFindings. Field
 * choices follow what GuardDuty's own Security Hub integration sends (Types, ProductFields, resource ids).
 */
export interface AsffFinding {
  SchemaVersion: '2018-10-08';
  Id: string;
  ProductArn: string;
  ProductName: string;
  CompanyName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  FirstObservedAt: string;
  LastObservedAt: string;
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label: AsffSeverityLabel; Original: string; Normalized: number };
  Title: string;
  Description: string;
  Remediation?: { Recommendation: { Text: string } };
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Network?: AsffNetwork;
  Action?: Record<string, unknown>;
  FindingProviderFields: { Severity: { Label: AsffSeverityLabel; Original: string }; Types: string[] };
  RecordState: 'ACTIVE' | 'ARCHIVED';
  Workflow: { Status: 'NEW' };
  Sample?: true;
  /** An attack sequence as GuardDuty's integration sends it (Security Hub's `Detection.Sequence`). */
  Detection?: { Sequence: Record<string, unknown> };
}

export type AsffSeverityLabel = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface AsffResource {
  Type: string;
  Id: string;
  Partition: string;
  Region: string;
  Tags?: Record<string, string>;
  Details?: Record<string, Record<string, unknown>>;
}

export interface AsffNetwork {
  Direction?: 'IN' | 'OUT';
  Protocol?: string;
  SourceIpV4?: string;
  SourceIpV6?: string;
  SourcePort?: number;
  DestinationIpV4?: string;
  DestinationIpV6?: string;
  DestinationPort?: number;
  DestinationDomain?: string;
}

/** BatchImportFindings limits. */
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 1024;
const MAX_REMEDIATION = 512;
const MAX_RESOURCES = 32;
const MAX_FIELD_KEY = 127;
const MAX_FIELD_VALUE = 2048;
/** ProductFields holds 50 pairs; Security Hub adds three of its own (aws/securityhub/FindingId, ProductName, CompanyName). */
const MAX_PRODUCT_FIELDS = 47;

/**
 * ASFF `Types` of every catalogued type, from GuardDuty's Security Hub integration table. Most are
 * `<namespace>/<type with its first '/' as '-'>`; the irregular ones are written out whole.
 */
const ASFF_TYPES: ReadonlyMap<string, string> = new Map([
  ...Object.entries({
    'TTPs/Command and Control': [
      'Backdoor:EC2/C&CActivity.B', 'Backdoor:EC2/C&CActivity.B!DNS', 'Backdoor:EC2/DenialOfService.Dns',
      'Backdoor:EC2/DenialOfService.Tcp', 'Backdoor:EC2/DenialOfService.Udp', 'Backdoor:EC2/DenialOfService.UdpOnTcpPorts',
      'Backdoor:EC2/DenialOfService.UnusualProtocol', 'Backdoor:EC2/Spambot', 'CryptoCurrency:EC2/BitcoinTool.B',
      'CryptoCurrency:EC2/BitcoinTool.B!DNS', 'Trojan:EC2/BlackholeTraffic', 'Trojan:EC2/BlackholeTraffic!DNS',
      'Trojan:EC2/DGADomainRequest.B', 'Trojan:EC2/DGADomainRequest.C!DNS', 'Trojan:EC2/DNSDataExfiltration',
      'Trojan:EC2/PhishingDomainRequest!DNS', 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', 'UnauthorizedAccess:IAMUser/TorIPCaller',
    ],
    'Unusual Behaviors/VM': ['Behavior:EC2/NetworkPortUnusual', 'Behavior:EC2/TrafficVolumeUnusual'],
    'TTPs/Defense Evasion': [
      'DefenseEvasion:IAMUser/BedrockLoggingDisabled', 'Stealth:IAMUser/CloudTrailLoggingDisabled',
      'Stealth:IAMUser/PasswordPolicyChange', 'Stealth:S3/ServerAccessLoggingDisabled',
    ],
    'TTPs/Discovery': [
      'Recon:EC2/PortProbeEMRUnprotectedPort', 'Recon:EC2/PortProbeUnprotectedPort', 'Recon:EC2/Portscan',
      'Recon:IAMUser/MaliciousIPCaller', 'Recon:IAMUser/MaliciousIPCaller.Custom', 'Recon:IAMUser/TorIPCaller',
    ],
    'TTPs/Initial Access': ['Trojan:EC2/DriveBySourceTraffic!DNS', 'UnauthorizedAccess:EC2/RDPBruteForce', 'UnauthorizedAccess:EC2/SSHBruteForce'],
    'TTPs/Impact': ['Impact:EC2/MaliciousDomainRequest.Custom', 'Impact:EC2/PortSweep', 'Impact:EC2/WinRMBruteForce'],
    'Effects/Data Exposure': ['Policy:S3/BucketBlockPublicAccessDisabled'],
    'Effects/Data Exfiltration': [
      'Trojan:EC2/DropPoint', 'Trojan:EC2/DropPoint!DNS', 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.InsideAWS',
      'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS',
    ],
    'Effects/Resource Consumption': ['UnauthorizedAccess:EC2/TorClient', 'UnauthorizedAccess:EC2/TorRelay'],
    TTPs: [
      'Discovery:S3/AnomalousBehavior', 'Discovery:S3/MaliciousIPCaller', 'Discovery:S3/MaliciousIPCaller.Custom',
      'Discovery:S3/TorIPCaller', 'Exfiltration:S3/AnomalousBehavior', 'Exfiltration:S3/MaliciousIPCaller',
      'Impact:EC2/AbusedDomainRequest.Reputation', 'Impact:EC2/BitcoinDomainRequest.Reputation',
      'Impact:EC2/MaliciousDomainRequest.Reputation', 'Impact:EC2/SuspiciousDomainRequest.Reputation',
      'Impact:S3/AnomalousBehavior.Delete', 'Impact:S3/AnomalousBehavior.Permission', 'Impact:S3/AnomalousBehavior.Write',
      'Impact:S3/MaliciousIPCaller', 'PenTest:S3/KaliLinux', 'PenTest:S3/ParrotLinux', 'PenTest:S3/PentooLinux',
      'Policy:IAMUser/RootCredentialUsage', 'Policy:IAMUser/ShortTermRootCredentialUsage',
      'Policy:S3/AccountBlockPublicAccessDisabled', 'Policy:S3/BucketAnonymousAccessGranted', 'Policy:S3/BucketPublicAccessGranted',
      'UnauthorizedAccess:EC2/MetadataDNSRebind', 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B',
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller', 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      'UnauthorizedAccess:S3/MaliciousIPCaller.Custom', 'UnauthorizedAccess:S3/TorIPCaller',
    ],
  }).flatMap(([namespace, types]) => types.map((type): [string, string] => [type, `${namespace}/${type.replace('/', '-')}`])),
  ...Object.entries({
    'AttackSequence:IAM/CompromisedCredentials': 'TTPs/AttackSequence:IAM/CompromisedCredentials',
    'AttackSequence:S3/CompromisedData': 'TTPs/AttackSequence:S3/CompromisedData',
    'CredentialAccess:IAMUser/AnomalousBehavior': 'TTPs/Credential Access/IAMUser-AnomalousBehavior',
    'DefenseEvasion:IAMUser/AnomalousBehavior': 'TTPs/Defense Evasion/IAMUser-AnomalousBehavior',
    'Discovery:IAMUser/AnomalousBehavior': 'TTPs/Discovery/IAMUser-AnomalousBehavior',
    'Exfiltration:IAMUser/AnomalousBehavior': 'TTPs/Exfiltration/IAMUser-AnomalousBehavior',
    'Impact:IAMUser/AnomalousBehavior': 'TTPs/Impact/IAMUser-AnomalousBehavior',
    'InitialAccess:IAMUser/AnomalousBehavior': 'TTPs/Initial Access/IAMUser-AnomalousBehavior',
    'Persistence:IAMUser/AnomalousBehavior': 'TTPs/Persistence/IAMUser-AnomalousBehavior',
    'PrivilegeEscalation:IAMUser/AnomalousBehavior': 'TTPs/Privilege Escalation/IAMUser-AnomalousBehavior',
    'DefenseEvasion:EC2/UnusualDNSResolver': 'TTPs/DefenseEvasion/EC2:Unusual-DNS-Resolver',
    'DefenseEvasion:EC2/UnusualDoHActivity': 'TTPs/DefenseEvasion/EC2:Unusual-DoH-Activity',
    'DefenseEvasion:EC2/UnusualDoTActivity': 'TTPs/DefenseEvasion/EC2:Unusual-DoT-Activity',
    'PenTest:IAMUser/KaliLinux': 'TTPs/PenTest:IAMUser/KaliLinux',
    'PenTest:IAMUser/ParrotLinux': 'TTPs/PenTest:IAMUser/ParrotLinux',
    'PenTest:IAMUser/PentooLinux': 'TTPs/PenTest:IAMUser/PentooLinux',
  }),
]);

/**
 * The ASFF type GuardDuty's integration gives `type`; for types it does not list (Gumshoe's own), the
 * TTPs namespace under the spec's MITRE tactic, in the same `Purpose:Resource-Family` spelling.
 */
export function asffType(type: string, spec?: FindingTypeSpec): string {
  const known = ASFF_TYPES.get(type);
  if (known) return known;
  const tactic = spec ? /^TA\d+\s+(.+)$/.exec(spec.mitre.tactic)?.[1] : undefined;
  return `TTPs/${tactic ? `${tactic}/` : ''}${type.replace('/', '-')}`;
}

export function toAsff(finding: GuardDutyFinding, spec?: FindingTypeSpec): AsffFinding {
  const { accountId, region, partition } = finding;
  const types = [asffType(finding.type, spec)];
  const label = severityLevel(finding.severity).toUpperCase() as AsffSeverityLabel;
  const original = String(finding.severity);
  const asff: AsffFinding = {
    SchemaVersion: '2018-10-08',
    Id: finding.arn,
    // BatchImportFindings takes findings from outside AWS only under the account's own "default" product,
    // the custom-integration ARN; GuardDuty's product ARN is reserved for GuardDuty.
    ProductArn: customProductArn(partition, region, accountId),
    ProductName: 'Gumshoe',
    CompanyName: 'Gumshoe',
    // GuardDuty puts its detector ARN here; the type groups findings by the logic that raised them.
    GeneratorId: finding.type,
    AwsAccountId: accountId,
    Region: region,
    Types: types,
    FirstObservedAt: finding.service.eventFirstSeen,
    LastObservedAt: finding.service.eventLastSeen,
    CreatedAt: finding.createdAt,
    UpdatedAt: finding.updatedAt,
    Severity: { Label: label, Original: original, Normalized: Math.min(100, Math.round(finding.severity * 10)) },
    Title: truncate(finding.title, MAX_TITLE),
    Description: truncate(finding.description, MAX_DESCRIPTION),
    ...(spec && { Remediation: { Recommendation: { Text: truncate(spec.remediation, MAX_REMEDIATION) } } }),
    ProductFields: productFields(finding),
    Resources: resources(finding),
    ...optional('Network', network(finding.service.action, hostAddress(finding))),
    ...optional('Action', action(finding)),
    FindingProviderFields: { Severity: { Label: label, Original: original }, Types: types },
    RecordState: finding.service.archived ? 'ARCHIVED' : 'ACTIVE',
    Workflow: { Status: 'NEW' },
    ...(isSample(finding) && { Sample: true as const }),
    ...optional('Detection', detection(finding)),
  };
  const missing = REQUIRED.filter((field) => {
    const value = asff[field];
    return value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  });
  if (missing.length) throw new Error(`finding ${finding.id} cannot be exported to ASFF: ${missing.join(', ')} empty`);
  // Security Hub refuses a finding outside a region; flow logs read outside the S3 layout, in a format
  // without the region field, whose interface CloudTrail never described, have none.
  if (region === 'unknown') {
    throw new AsffRefusal(
      `finding ${finding.id} (${finding.type}) has no region, which ASFF requires: read its logs from their S3 layout ` +
        `(AWSLogs/<account>/vpcflowlogs/<region>/…) or in a flow log format with the region field`,
    );
  }
  if (!/^\d{12}$/.test(accountId)) {
    throw new AsffRefusal(
      `finding ${finding.id} (${finding.type}) is for account '${accountId}', not a 12-digit AWS account id, which ASFF requires: ` +
        'read its logs from their S3 layout (AWSLogs/<account>/…) or in a format that names the account',
    );
  }
  return asff;
}

/** A finding Security Hub would refuse, for what its logs did not say (region, account): not a fault of the export. */
export class AsffRefusal extends UserError {}

/** The custom-integration product of an account in a region, under which it imports its own findings. */
function customProductArn(partition: string, region: string, accountId: string): string {
  return `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/** The product a Gumshoe finding was imported under, from its ARN (findings of a sequence may be in other regions). */
function productArnOfFinding(arn: string | undefined): string | undefined {
  const [, partition, service, region, accountId] = arn?.split(':') ?? [];
  return service === 'guardduty' && partition && region && accountId ? customProductArn(partition, region, accountId) : undefined;
}

/** What BatchImportFindings rejects a finding without. */
const REQUIRED = [
  'AwsAccountId', 'CreatedAt', 'Description', 'GeneratorId', 'Id', 'ProductArn', 'Resources', 'SchemaVersion',
  'Severity', 'Title', 'Types', 'UpdatedAt',
] as const satisfies readonly (keyof AsffFinding)[];

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function isSample(finding: GuardDutyFinding): boolean {
  const sample = finding.service.additionalInfo?.sample;
  return sample === true || sample === 'true';
}

/**
 * `service` flattened as GuardDuty's integration does: `aws/guardduty/service/<path>` with `/` between
 * keys, `.<i>_` after array names, values as strings. Null, empty and blank values are left out, where
 * GuardDuty's own integration writes "": Security Hub's string maps take only values with a non-blank
 * character (`.*\S.*`), and BatchImportFindings refuses a custom product's finding that breaks that. Scalars
 * first, then action, evidence and additionalInfo, so the cap drops the least useful; `detection` (anomaly
 * profiles) is left out, far too big for 50 fields.
 */
function productFields(finding: GuardDutyFinding): Record<string, string> {
  const fields: Record<string, string> = {};
  const add = (key: string, value: unknown): void => {
    if (Object.keys(fields).length >= MAX_PRODUCT_FIELDS || key.length > MAX_FIELD_KEY || value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => add(`${key}.${i}_`, item));
    } else if (typeof value === 'object') {
      for (const [child, item] of Object.entries(value)) add(`${key}/${child}`, item);
    } else if (/\S/.test(String(value))) {
      fields[key] = String(value).slice(0, MAX_FIELD_VALUE);
    }
  };
  const { action, evidence, additionalInfo, detection: _detection, ...scalars } = finding.service;
  add('aws/guardduty/service', scalars);
  add('aws/guardduty/service/action', probesCut(action));
  add('aws/guardduty/service/evidence', evidence);
  add('aws/guardduty/service/additionalInfo', additionalInfo);
  return fields;
}

/**
 * The action with only the latest port probe: each probe flattens to up to 13 fields, so ten of them would
 * fill the cap and drop the evidence and additionalInfo (the threat list and threat name) behind them.
 * Every probe is still in `Action.PortProbeAction`.
 */
function probesCut(action: FindingAction): FindingAction {
  const probe = action.portProbeAction;
  if (!probe || probe.portProbeDetails.length <= 1) return action;
  return { ...action, portProbeAction: { ...probe, portProbeDetails: probe.portProbeDetails.slice(0, 1) } };
}

function resources(finding: GuardDutyFinding): AsffResource[] {
  const { accountId, region, partition, resource } = finding;
  const base = { Partition: partition, Region: region };
  const list: AsffResource[] = [];
  const key = resource.accessKeyDetails;
  if (key) {
    list.push({
      Type: 'AwsIamAccessKey',
      Id: `AWS::IAM::AccessKey:${key.accessKeyId || key.principalId || 'unknown'}`,
      ...base,
      Details: {
        AwsIamAccessKey: defined({
          AccessKeyId: key.accessKeyId,
          PrincipalId: key.principalId,
          PrincipalName: key.userName,
          PrincipalType: key.userType,
          AccountId: accountId,
        }),
      },
    });
  }
  const instance = resource.instanceDetails;
  const host = instance?.instanceId ? undefined : instance?.networkInterfaces?.[0];
  if (host?.networkInterfaceId) {
    // No instance known: the interface the flow came from.
    list.push({ Type: 'AwsEc2NetworkInterface', Id: `arn:${partition}:ec2:${region}:${accountId}:network-interface/${host.networkInterfaceId}`, ...base });
  } else if (interfaceAddress(host)) {
    list.push({ Type: 'Other', Id: interfaceAddress(host)!, ...base });
  } else if (instance?.instanceId) {
    const interfaces = instance.networkInterfaces ?? [];
    const first = interfaces[0];
    const ipV4 = interfaces.flatMap((i) => [i.publicIp, i.privateIpAddress]).filter((ip): ip is string => Boolean(ip));
    const ipV6 = interfaces.flatMap((i) => i.ipv6Addresses ?? []);
    list.push({
      Type: 'AwsEc2Instance',
      Id: `arn:${partition}:ec2:${region}:${accountId}:instance/${instance.instanceId}`,
      ...base,
      ...optional('Tags', tagMap(instance.tags)),
      Details: {
        AwsEc2Instance: defined({
          Type: instance.instanceType,
          ImageId: instance.imageId,
          IpV4Addresses: ipV4.length ? ipV4 : undefined,
          IpV6Addresses: ipV6.length ? ipV6 : undefined,
          IamInstanceProfileArn: instance.iamInstanceProfile?.arn,
          VpcId: first?.vpcId,
          SubnetId: first?.subnetId,
          LaunchedAt: timestamp(instance.launchTime),
          NetworkInterfaces: interfaces.length
            ? interfaces.filter((i) => i.networkInterfaceId).map((i) => ({ NetworkInterfaceId: i.networkInterfaceId }))
            : undefined,
        }),
      },
    });
  }
  for (const bucket of resource.s3BucketDetails ?? []) {
    list.push({
      Type: 'AwsS3Bucket',
      Id: bucket.arn,
      ...base,
      ...optional('Tags', tagMap(bucket.tags)),
      Details: { AwsS3Bucket: defined({ Name: bucket.name, OwnerId: bucket.owner?.id, CreatedAt: timestamp(bucket.createdAt) }) },
    });
  }
  if (list.length === 0) list.push({ Type: 'AwsAccount', Id: `AWS::::Account:${accountId}`, ...base });
  return list.slice(0, MAX_RESOURCES);
}

/**
 * A resource time in the ISO 8601 form Security Hub accepts, or nothing: resource times come from the logs
 * as they were written, and one Security Hub cannot read makes it refuse the whole finding.
 */
function timestamp(time: string | undefined): string | undefined {
  const ms = time === undefined ? NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Tags as ASFF's string map, whose keys and values must not be blank (AWS allows an empty tag value). */
function tagMap(tags: { key: string; value: string }[] | undefined): Record<string, string> | undefined {
  const kept = (tags ?? []).filter((t) => /\S/.test(t.key) && /\S/.test(t.value));
  return kept.length ? Object.fromEntries(kept.map((t) => [t.key, t.value])) : undefined;
}

/** The entries with a value: ASFF strings must hold a non-blank character, so blank ones go too. */
function defined(object: Record<string, unknown>): Record<string, unknown> {
  const present = (value: unknown) => value !== undefined && value !== null && !(typeof value === 'string' && !/\S/.test(value));
  return Object.fromEntries(Object.entries(object).filter(([, value]) => present(value)));
}

/** Source and destination of network actions, the source being the remote side of inbound traffic. */
function network(action: FindingAction, source?: string): AsffNetwork | undefined {
  const connection = action.networkConnectionAction;
  if (connection) {
    const outbound = connection.connectionDirection === 'OUTBOUND';
    const local = {
      ip4: connection.localIpDetails?.ipAddressV4, ip6: connection.localIpDetails?.ipAddressV6, port: connection.localPortDetails?.port,
    };
    const remote = {
      ip4: connection.remoteIpDetails?.ipAddressV4, ip6: connection.remoteIpDetails?.ipAddressV6, port: connection.remotePortDetails?.port,
    };
    const [source, destination] = outbound ? [local, remote] : [remote, local];
    return defined({
      Direction: outbound ? 'OUT' : connection.connectionDirection === 'INBOUND' ? 'IN' : undefined,
      Protocol: connection.protocol,
      SourceIpV4: source.ip4,
      SourceIpV6: source.ip6,
      SourcePort: source.port,
      DestinationIpV4: destination.ip4,
      DestinationIpV6: destination.ip6,
      DestinationPort: destination.port,
    }) as AsffNetwork;
  }
  const probe = action.portProbeAction?.portProbeDetails[0];
  if (probe) {
    return defined({
      Direction: 'IN',
      SourceIpV4: probe.remoteIpDetails?.ipAddressV4,
      SourceIpV6: probe.remoteIpDetails?.ipAddressV6,
      DestinationIpV4: probe.localIpDetails?.ipAddressV4,
      DestinationIpV6: probe.localIpDetails?.ipAddressV6,
      DestinationPort: probe.localPortDetails.port,
    }) as AsffNetwork;
  }
  const dns = action.dnsRequestAction;
  // The querying host is the source: its address is in the resource (GuardDuty's DNS action does not repeat it).
  if (dns) {
    const sourceIp = source?.includes(':') ? { SourceIpV6: source } : { SourceIpV4: source };
    return defined({ Direction: 'OUT', Protocol: dns.protocol, ...sourceIp, DestinationDomain: dns.domain }) as AsffNetwork;
  }
  return undefined;
}

/** ASFF's `Action`, GuardDuty's action in ASFF casing with only the fields ASFF defines. */
function action(finding: GuardDutyFinding): Record<string, unknown> | undefined {
  const { action } = finding.service;
  const api = action.awsApiCallAction;
  if (api) {
    return {
      ActionType: 'AWS_API_CALL',
      AwsApiCallAction: defined({
        Api: api.api,
        ServiceName: api.serviceName,
        CallerType: api.callerType,
        RemoteIpDetails: remoteIp(api.remoteIpDetails),
        DomainDetails: api.domainDetails?.domain ? { Domain: api.domainDetails.domain } : undefined,
        AffectedResources: api.affectedResources,
        FirstSeen: finding.service.eventFirstSeen,
        LastSeen: finding.service.eventLastSeen,
      }),
    };
  }
  const connection = action.networkConnectionAction;
  if (connection) {
    return {
      ActionType: 'NETWORK_CONNECTION',
      NetworkConnectionAction: defined({
        ConnectionDirection: connection.connectionDirection,
        RemoteIpDetails: remoteIp(connection.remoteIpDetails),
        RemotePortDetails: port(connection.remotePortDetails),
        LocalPortDetails: port(connection.localPortDetails),
        Protocol: connection.protocol,
        Blocked: connection.blocked,
      }),
    };
  }
  const probe = action.portProbeAction;
  if (probe) {
    return {
      ActionType: 'PORT_PROBE',
      PortProbeAction: {
        PortProbeDetails: probe.portProbeDetails.map((detail) => defined({
          LocalPortDetails: port(detail.localPortDetails),
          LocalIpDetails: detail.localIpDetails && defined({ IpAddressV4: detail.localIpDetails.ipAddressV4, IpAddressV6: detail.localIpDetails.ipAddressV6 }),
          RemoteIpDetails: remoteIp(detail.remoteIpDetails),
        })),
        Blocked: probe.blocked,
      },
    };
  }
  const dns = action.dnsRequestAction;
  if (dns) return { ActionType: 'DNS_REQUEST', DnsRequestAction: { Domain: dns.domain, Protocol: dns.protocol, Blocked: dns.blocked } };
  return undefined;
}

/** Security Hub's limits on a sequence's lists. */
const MAX_SEQUENCE_ACTORS = 10;
const MAX_SEQUENCE_ENDPOINTS = 10;
const MAX_SEQUENCE_SIGNALS = 100;
const MAX_SEQUENCE_INDICATORS = 100;

/**
 * An attack sequence's actors, endpoints, signals and indicators in Security Hub's `Detection.Sequence`,
 * where GuardDuty's own integration puts them; signal times there are epoch milliseconds. A signal that is
 * a Gumshoe finding names it by its ARN, which is also its ASFF `Id`, with the product it was imported under.
 */
function detection(finding: GuardDutyFinding): { Sequence: Record<string, unknown> } | undefined {
  const sequence = finding.service.detection?.sequence;
  if (!sequence?.uid) return undefined;
  const millis = (time: string | undefined) => (time === undefined || Number.isNaN(Date.parse(time)) ? undefined : Date.parse(time));
  const nonEmpty = <T>(list: T[] | undefined) => (list?.length ? list : undefined);
  const indicator = (i: SequenceIndicator) => defined({ Key: i.key, Values: nonEmpty(i.values), Title: i.title });
  return {
    Sequence: defined({
      Uid: sequence.uid,
      Actors: nonEmpty(sequence.actors?.slice(0, MAX_SEQUENCE_ACTORS).map((actor) => defined({
        Id: actor.id,
        User: actor.user && defined({ Name: actor.user.name, Uid: actor.user.uid, CredentialUid: actor.user.credentialUid }),
      }))),
      Endpoints: nonEmpty(sequence.endpoints?.slice(0, MAX_SEQUENCE_ENDPOINTS).map((endpoint) => defined({
        Id: endpoint.id,
        Ip: endpoint.ip,
        Location: endpoint.location && defined({ City: endpoint.location.city, Country: endpoint.location.country, Lat: endpoint.location.lat, Lon: endpoint.location.lon }),
        AutonomousSystem: endpoint.autonomousSystem && defined({ Name: endpoint.autonomousSystem.name, Number: endpoint.autonomousSystem.number }),
      }))),
      Signals: nonEmpty(sequence.signals?.slice(0, MAX_SEQUENCE_SIGNALS).map((signal) => defined({
        Id: signal.uid,
        Type: signal.type,
        Name: signal.name,
        Title: signal.description ?? signal.name,
        ProductArn: signal.type === 'FINDING' ? productArnOfFinding(signal.uid) : undefined,
        CreatedAt: millis(signal.createdAt),
        UpdatedAt: millis(signal.updatedAt),
        FirstSeenAt: millis(signal.firstSeenAt),
        LastSeenAt: millis(signal.lastSeenAt),
        Severity: signal.severity,
        Count: signal.count,
        ResourceIds: nonEmpty(signal.resourceUids),
        ActorIds: nonEmpty(signal.actorIds),
        EndpointIds: nonEmpty(signal.endpointIds),
        SignalIndicators: nonEmpty(signal.signalIndicators?.map(indicator)),
      }))),
      SequenceIndicators: nonEmpty(sequence.sequenceIndicators?.slice(0, MAX_SEQUENCE_INDICATORS).map(indicator)),
    }),
  };
}

function port(details: PortDetails | undefined): Record<string, unknown> | undefined {
  return details && { Port: details.port, PortName: details.portName };
}

function remoteIp(details: RemoteIpDetails | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const { organization: org, country, city, geoLocation: geo } = details;
  const asn = org?.asn === undefined ? undefined : Number(org.asn);
  return defined({
    IpAddressV4: details.ipAddressV4,
    Organization: org && defined({ Asn: Number.isInteger(asn) ? asn : undefined, AsnOrg: org.asnOrg, Isp: org.isp, Org: org.org }),
    Country: country && defined({ CountryCode: country.countryCode, CountryName: country.countryName }),
    City: city?.cityName ? { CityName: city.cityName } : undefined,
    GeoLocation: geo && defined({ Lon: geo.lon, Lat: geo.lat }),
  });
}
