/**
 * GuardDuty's finding format, schemaVersion 2.0, in wire casing (camelCase) as the API, EventBridge and
 * S3 export carry it. Only the parts Gumshoe fills are typed; everything is optional where GuardDuty
 * leaves fields out.
 */
export interface RemoteIpDetails {
  ipAddressV4?: string;
  ipAddressV6?: string;
  organization?: { asn?: string; asnOrg?: string; isp?: string; org?: string };
  country?: { countryCode?: string; countryName?: string };
  city?: { cityName?: string };
  geoLocation?: { lat?: number; lon?: number };
}

export interface PortDetails {
  port: number;
  portName: string;
}

export interface AwsApiCallAction {
  api: string;
  serviceName: string;
  callerType: string;
  errorCode?: string;
  userAgent?: string;
  domainDetails?: { domain?: string };
  remoteIpDetails?: RemoteIpDetails;
  remoteAccountDetails?: { accountId: string; affiliated: boolean };
  affectedResources?: Record<string, string>;
}

export interface NetworkConnectionAction {
  blocked: boolean;
  connectionDirection: 'INBOUND' | 'OUTBOUND' | 'UNKNOWN';
  localPortDetails?: PortDetails;
  remotePortDetails?: PortDetails;
  protocol: string;
  localIpDetails?: { ipAddressV4?: string; ipAddressV6?: string };
  localNetworkInterface?: string;
  remoteIpDetails?: RemoteIpDetails;
}

export interface PortProbeAction {
  blocked: boolean;
  portProbeDetails: {
    localPortDetails: PortDetails;
    localIpDetails?: { ipAddressV4?: string; ipAddressV6?: string };
    remoteIpDetails?: RemoteIpDetails;
  }[];
}

export interface DnsRequestAction {
  domain: string;
  protocol: string;
  blocked: boolean;
  domainWithSuffix?: string;
  vpcOwnerAccountId?: string;
}

export interface FindingAction {
  actionType: 'AWS_API_CALL' | 'NETWORK_CONNECTION' | 'PORT_PROBE' | 'DNS_REQUEST';
  awsApiCallAction?: AwsApiCallAction;
  networkConnectionAction?: NetworkConnectionAction;
  portProbeAction?: PortProbeAction;
  dnsRequestAction?: DnsRequestAction;
}

export interface AccessKeyDetails {
  accessKeyId?: string;
  principalId?: string;
  userName?: string;
  userType?: string;
  userIdentity?: UserIdentity;
}

/**
 * The caller as CloudTrail's `userIdentity` block describes it. Not in the AccessKeyDetails API shape, but
 * GuardDuty's filters name its paths (guardduty.md §6.3), so findings carry it to be filtered on.
 */
export interface UserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: {
    attributes?: { mfaAuthenticated?: string };
    sessionIssuer?: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
    invokedBy?: string;
    /** Instance-role credentials: the IMDS version that delivered them ("1.0" or "2.0"). */
    ec2RoleDelivery?: string;
    sourceIdentity?: string;
    webIdFederationData?: { federatedProvider: string; attributes?: Record<string, unknown> };
  };
}

export interface S3BucketDetail {
  arn: string;
  name: string;
  type?: string;
  createdAt?: string;
  owner?: { id?: string };
  tags?: { key: string; value: string }[];
  defaultServerSideEncryption?: { encryptionType?: string; kmsMasterKeyArn?: string };
  publicAccess?: {
    effectivePermission: 'PUBLIC' | 'NOT_PUBLIC' | 'UNKNOWN';
    permissionConfiguration?: unknown;
  };
  s3ObjectDetails?: { objectArn?: string; key?: string; eTag?: string; hash?: string; versionId?: string }[];
}

export interface InstanceDetails {
  /** Left out when no instance is known (an interface or address only): never an interface id. */
  instanceId?: string;
  availabilityZone?: string;
  iamInstanceProfile?: { arn?: string; id?: string };
  imageId?: string;
  imageDescription?: string;
  instanceState?: string;
  instanceType?: string;
  launchTime?: string;
  platform?: string | null;
  networkInterfaces?: {
    networkInterfaceId?: string;
    privateIpAddress?: string;
    privateDnsName?: string;
    publicIp?: string;
    publicDnsName?: string;
    subnetId?: string;
    vpcId?: string;
    securityGroups?: { groupId?: string; groupName?: string }[];
    ipv6Addresses?: string[];
    privateIpAddresses?: { privateIpAddress?: string; privateDnsName?: string }[];
  }[];
  tags?: { key: string; value: string }[];
  productCodes?: { productCodeId?: string; productCodeType?: string }[];
}

export interface FindingResource {
  resourceType: 'AccessKey' | 'Instance' | 'S3Bucket' | 'AttackSequence';
  accessKeyDetails?: AccessKeyDetails;
  s3BucketDetails?: S3BucketDetail[];
  instanceDetails?: InstanceDetails;
}

export interface ThreatIntelligenceDetail {
  threatListName: string;
  threatNames?: string[];
  threatFileSha256?: string;
}

export interface FindingService {
  serviceName: 'guardduty';
  detectorId: string;
  action: FindingAction;
  evidence: { threatIntelligenceDetails: ThreatIntelligenceDetail[] } | null;
  archived: boolean;
  count: number;
  eventFirstSeen: string;
  eventLastSeen: string;
  resourceRole: 'ACTOR' | 'TARGET';
  additionalInfo: Record<string, unknown>;
  featureName?: string;
  detection?: { anomaly?: unknown; sequence?: AttackSequenceDetail };
}

/** An indicator of an attack sequence or of one of its signals (GuardDuty's `Indicator`). */
export interface SequenceIndicator {
  key: string;
  values?: string[];
  title?: string;
}

/** A signal of an attack sequence: a member finding (`type` FINDING, `uid` its ARN) or a run of API calls. */
export interface SequenceSignal {
  uid: string;
  type: string;
  name: string;
  description?: string;
  createdAt?: string;
  updatedAt?: string;
  firstSeenAt?: string;
  lastSeenAt?: string;
  severity?: number;
  count?: number;
  resourceUids?: string[];
  actorIds?: string[];
  endpointIds?: string[];
  signalIndicators?: SequenceIndicator[];
}

/** GuardDuty's `service.detection.sequence`: an attack sequence's actors, resources, endpoints, signals and indicators. */
export interface AttackSequenceDetail {
  uid: string;
  description?: string;
  actors?: { id: string; user?: { name?: string; uid?: string; type?: string; credentialUid?: string } }[];
  resources?: { uid: string; name?: string; resourceType: string; service?: string; data?: Record<string, unknown> }[];
  endpoints?: {
    id: string;
    ip?: string;
    location?: { city?: string; country?: string; lat?: number; lon?: number };
    autonomousSystem?: { name?: string; number?: number };
  }[];
  signals?: SequenceSignal[];
  sequenceIndicators?: SequenceIndicator[];
  additionalSequenceTypes?: string[];
}

export interface GuardDutyFinding {
  schemaVersion: '2.0';
  accountId: string;
  region: string;
  partition: string;
  id: string;
  arn: string;
  type: string;
  resource: FindingResource;
  service: FindingService;
  severity: number;
  createdAt: string;
  updatedAt: string;
  title: string;
  description: string;
  associatedAttackSequenceArn?: string;
}

export type SeverityLevel = 'Low' | 'Medium' | 'High' | 'Critical';

/** GuardDuty's bands: Low 1–3.9, Medium 4–6.9, High 7–8.9, Critical 9–10. */
export function severityLevel(severity: number): SeverityLevel {
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
}

/**
 * The address a DNS finding's host queried from: the primary private address of its (first) interface, which
 * for a host without a known instance is the query's source address itself.
 */
export function hostAddress(finding: GuardDutyFinding): string | undefined {
  return interfaceAddress(finding.resource.instanceDetails?.networkInterfaces?.[0]);
}

/** An interface's primary address: its private IPv4 one, else (an IPv6-only host) its first IPv6 address. */
export function interfaceAddress(eni: NonNullable<InstanceDetails['networkInterfaces']>[number] | undefined): string | undefined {
  return eni?.privateIpAddress ?? eni?.privateIpAddresses?.[0]?.privateIpAddress ?? eni?.ipv6Addresses?.[0];
}
