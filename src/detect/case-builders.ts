import type { CloudTrailRecord } from './detection.js';

/**
 * Builders for realistic hand-made CloudTrail records in detection cases, shaped like real delivered
 * events (checked against ../shared/datasets): the same fields, casing and identity blocks.
 */
export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const CLI_AGENT = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/installer#exe md/command#sts.get-caller-identity';
export const CONSOLE_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const TERRAFORM_AGENT = 'APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.54.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.27.2 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64 api/iam#1.33.1';

type Identity = Record<string, unknown>;

export function iamUser(name: string, account = ACCOUNT, accessKeyId = `AKIA${hashId(name, 16)}`): Identity {
  return {
    type: 'IAMUser',
    principalId: `AIDA${hashId(name, 17)}`,
    arn: `arn:aws:iam::${account}:user/${name}`,
    accountId: account,
    accessKeyId,
    userName: name,
  };
}

export function assumedRole(role: string, session: string, account = ACCOUNT, options: { mfa?: boolean } = {}): Identity {
  const roleId = `AROA${hashId(role, 17)}`;
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    accessKeyId: `ASIA${hashId(`${role}/${session}`, 16)}`,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account}:role/${role}`, accountId: account, userName: role },
      webIdFederationData: {},
      attributes: { creationDate: '2026-11-01T00:00:00Z', mfaAuthenticated: String(options.mfa ?? false) },
    },
  };
}

/** Credentials of an EC2 instance profile, as CloudTrail shows them: session name = instance id. */
export function instanceRole(role: string, instanceId: string, account = ACCOUNT): Identity {
  const identity = assumedRole(role, instanceId, account);
  (identity.sessionContext as Record<string, unknown>).ec2RoleDelivery = '2.0';
  return identity;
}

export function root(account = ACCOUNT, options: { accessKeyId?: string; assumedRoot?: boolean } = {}): Identity {
  const identity: Identity = { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account };
  if (options.accessKeyId) identity.accessKeyId = options.accessKeyId;
  if (options.assumedRoot) {
    identity.accessKeyId = options.accessKeyId ?? `ASIA${hashId('root', 16)}`;
    identity.sessionContext = { attributes: { creationDate: '2026-11-01T00:00:00Z', mfaAuthenticated: 'false' }, assumedRoot: 'true' };
  }
  return identity;
}

/**
 * An IAM Identity Center user in the access portal, the CLI or a sign-in: named since July 2025 by their
 * identity store user id (`onBehalfOf`) and portal session (`credentialId`); before, a sign-in's identity was
 * of type Unknown, with the user name and the account as principal id, and "" for the fields it lacked.
 */
export function identityCenterUser(name: string, options: { account?: string; before2025?: boolean } = {}): Identity {
  const account = options.account ?? ACCOUNT;
  const onBehalfOf = { userId: uuid(`identity-center-${name}`), identityStoreArn: `arn:aws:identitystore::${account}:identitystore/d-9067642ac7` };
  const credentialId = hashId(`portal-session-${name}`, 40);
  if (options.before2025) return { type: 'Unknown', principalId: account, arn: '', accountId: account, accessKeyId: '', userName: name, onBehalfOf, credentialId };
  return { type: 'IdentityCenterUser', accountId: account, onBehalfOf, credentialId };
}

/**
 * The `UserAuthentication` event of an IAM Identity Center sign-in: `factors` are every credential type
 * verified ("PASSWORD", "PASSWORD,TOTP", "EXTERNAL_IDP"), `loginTo` the access portal it leads to.
 */
export function identityCenterSignIn(identity: Identity, userName: string, time: string, factors: string, options: { ip?: string; loginTo?: string } = {}): CloudTrailRecord {
  return {
    ...ctEvent({
      service: 'signin', name: 'UserAuthentication', identity, time, ip: options.ip, userAgent: CONSOLE_AGENT, eventType: 'AwsServiceEvent', readOnly: false,
      additional: { AuthWorkflowID: uuid(`workflow-${userName}-${time}`), LoginTo: options.loginTo ?? 'https://d-9067642ac7.awsapps.com/start/', CredentialType: factors, UserName: userName },
    }),
    serviceEventDetails: { UserAuthentication: 'Success' },
  };
}

export function awsService(service: string): Identity {
  return { type: 'AWSService', invokedBy: service };
}

let sequence = 0;

export interface EventOptions {
  /** eventSource without `.amazonaws.com`, e.g. `iam`. */
  service: string;
  name: string;
  identity: Identity;
  time: string;
  ip?: string;
  userAgent?: string;
  region?: string;
  request?: Record<string, unknown> | null;
  response?: Record<string, unknown> | null;
  additional?: Record<string, unknown>;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  /** S3 object-level events are data events. */
  data?: boolean;
  eventType?: string;
  resources?: Record<string, unknown>[];
  account?: string;
}

const READ_ONLY = /^(Get|Describe|List|Head|Lookup|Search|BatchGet|Select|Scan|Query)/;

export function ctEvent(options: EventOptions): CloudTrailRecord {
  sequence++;
  const record: CloudTrailRecord = {
    eventVersion: '1.09',
    userIdentity: options.identity,
    eventTime: options.time,
    eventSource: `${options.service}.amazonaws.com`,
    eventName: options.name,
    awsRegion: options.region ?? 'us-east-1',
    sourceIPAddress: options.ip ?? '198.51.100.23',
    userAgent: options.userAgent ?? CLI_AGENT,
    requestParameters: options.request ?? null,
    responseElements: options.response ?? null,
    requestID: uuid(`req-${sequence}-${options.name}`),
    eventID: uuid(`evt-${sequence}-${options.name}-${options.time}`),
    readOnly: options.readOnly ?? READ_ONLY.test(options.name),
    eventType: options.eventType ?? 'AwsApiCall',
    managementEvent: !options.data,
    recipientAccountId: options.account ?? (options.identity.accountId as string | undefined) ?? ACCOUNT,
    eventCategory: options.data ? 'Data' : 'Management',
  };
  if (options.errorCode) {
    record.errorCode = options.errorCode;
    record.errorMessage = options.errorMessage ?? `User is not authorized to perform: ${options.service}:${options.name}`;
  }
  if (options.additional) record.additionalEventData = options.additional;
  if (options.resources) record.resources = options.resources;
  return record;
}

/** Left out of the network activity event a VPC endpoint logs for a call: it copies the call's envelope only. */
const NOT_IN_NETWORK_ACTIVITY = new Set(['requestParameters', 'responseElements', 'userAgent', 'readOnly', 'managementEvent']);

/** The network activity event (`AwsVpceEvent`) CloudTrail logs for a call made through a VPC endpoint. */
export function networkActivity(record: CloudTrailRecord): CloudTrailRecord {
  const envelope = Object.fromEntries(Object.entries(record).filter(([key]) => !NOT_IN_NETWORK_ACTIVITY.has(key)));
  return { ...envelope, eventType: 'AwsVpceEvent', eventCategory: 'NetworkActivity', vpcEndpointId: 'vpce-03f53e4ab1c2d3e4f', vpcEndpointAccountId: String(record.recipientAccountId) };
}

/** `count` copies of an event, `minutes` apart from `start`. */
export function repeated(count: number, start: string, minutes: number, make: (time: string, index: number) => CloudTrailRecord): CloudTrailRecord[] {
  const base = Date.parse(start);
  return Array.from({ length: count }, (_, i) => make(new Date(base + i * minutes * 60_000).toISOString().replace('.000Z', 'Z'), i));
}

function hashId(seed: string, length: number): string {
  let h = 2166136261;
  // The loop reads the seed's first `length` characters; the rest are folded in first, so that two sessions
  // of a role (`DeployRole/build-77`, `DeployRole/build-78`) get different keys. Shorter seeds are unchanged.
  for (let i = length; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  let out = '';
  for (let i = 0; out.length < length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i % Math.max(seed.length, 1)) ^ i, 16777619) >>> 0;
    out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[h % 32];
  }
  return out;
}

function uuid(seed: string): string {
  const hex = Array.from({ length: 32 }, (_, i) => ((hashId(seed, i + 1).charCodeAt(i) * 7 + i) % 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
