/**
 * One CloudTrail event as detections see it: the flattened lake columns, with the JSON payloads parsed
 * only when a detection asks for them. The engine builds these from the lake (lake-events.ts); tests build
 * them from raw CloudTrail records (from-record.ts); a test checks that both agree.
 */
export interface ApiActor {
  /** CloudTrail userIdentity.type: Root, IAMUser, AssumedRole, FederatedUser, AWSAccount, AWSService, … */
  type: string | null;
  arn: string | null;
  principalId: string | null;
  /** The user name, or for a role session the role's name. */
  userName: string | null;
  accountId: string | null;
  accessKeyId: string | null;
  sessionIssuerArn: string | null;
  sessionIssuerName: string | null;
  mfa: boolean | null;
  invokedBy: string | null;
}

export interface ApiEventFields {
  uid: string | null;
  /** Epoch milliseconds. */
  time: number;
  accountId: string | null;
  region: string | null;
  /** eventSource, e.g. `iam.amazonaws.com`. */
  service: string;
  /** eventName, e.g. `CreateUser`. */
  api: string;
  errorCode: string | null;
  errorMessage: string | null;
  failed: boolean;
  readOnly: boolean | null;
  managementEvent: boolean | null;
  /** AwsApiCall, AwsConsoleSignIn, AwsServiceEvent, … */
  eventType: string | null;
  /** Management, Data or Insight. */
  eventCategory: string | null;
  actor: ApiActor;
  /** sourceIPAddress when it is an IP address. */
  sourceIp: string | null;
  /** sourceIPAddress when it is a service name such as `ec2.amazonaws.com` or `AWS Internal`. */
  sourceHost: string | null;
  vpcEndpointId: string | null;
  userAgent: string | null;
  requestText: string | null;
  responseText: string | null;
  additionalText: string | null;
  resourcesText: string | null;
  /**
   * The whole userIdentity as JSON, for what the flat columns leave out (`sessionContext.assumedRoot`,
   * `onBehalfOf`). The lake reader fills it only for root and NAMELESS_TYPES, where it is needed; null otherwise.
   */
  identityText: string | null;
  /** Where the event came from, for evidence: lake file id and line. */
  fileId: number | null;
  line: number | null;
}

type Json = Record<string, unknown>;

function parseObject(text: string | null): Json | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
}

/**
 * Callers whose columns name no one: IAM Identity Center users (type `IdentityCenterUser`, with no ARN nor
 * principal id) and sign-ins before authentication completes or before July 2025 (type `Unknown`, whose
 * principal id is the account's). Who they are is in `userIdentity.onBehalfOf`, or in the user name.
 */
export const NAMELESS_TYPES: ReadonlySet<string> = new Set(['IdentityCenterUser', 'Unknown']);

/** `identitycenter:<identity store ARN>/<user id>` from a userIdentity's onBehalfOf, when it has one. */
function identityCenterUser(identity: Json | null): string | null {
  const onBehalfOf = identity?.onBehalfOf as Json | undefined;
  const userId = onBehalfOf?.userId;
  return typeof userId === 'string' && userId ? `identitycenter:${String(onBehalfOf?.identityStoreArn ?? '')}/${userId}` : null;
}

export class ApiEvent implements ApiEventFields {
  uid!: string | null;
  time!: number;
  accountId!: string | null;
  region!: string | null;
  service!: string;
  api!: string;
  errorCode!: string | null;
  errorMessage!: string | null;
  failed!: boolean;
  readOnly!: boolean | null;
  managementEvent!: boolean | null;
  eventType!: string | null;
  eventCategory!: string | null;
  actor!: ApiActor;
  sourceIp!: string | null;
  sourceHost!: string | null;
  vpcEndpointId!: string | null;
  userAgent!: string | null;
  requestText!: string | null;
  responseText!: string | null;
  additionalText!: string | null;
  resourcesText!: string | null;
  identityText!: string | null;
  fileId!: number | null;
  line!: number | null;
  private parsed: { request?: Json | null; response?: Json | null; additional?: Json | null; identity?: Json | null } = {};

  constructor(fields: ApiEventFields) {
    Object.assign(this, fields);
  }

  /** The event's own fields, without its parse cache: for state, or for a copy. */
  fields(): ApiEventFields {
    const { parsed: _cache, ...fields } = this;
    return fields;
  }

  /** The same call and caller with some fields changed (another time and place in the lake). */
  with(changes: Partial<ApiEventFields>): ApiEvent {
    return new ApiEvent({ ...this.fields(), ...changes });
  }

  /** requestParameters, or null. */
  get request(): Json | null {
    if (this.parsed.request === undefined) this.parsed.request = parseObject(this.requestText);
    return this.parsed.request;
  }

  /** responseElements, or null. */
  get response(): Json | null {
    if (this.parsed.response === undefined) this.parsed.response = parseObject(this.responseText);
    return this.parsed.response;
  }

  /** additionalEventData, or null. */
  get additional(): Json | null {
    if (this.parsed.additional === undefined) this.parsed.additional = parseObject(this.additionalText);
    return this.parsed.additional;
  }

  /** userIdentity, where the engine reads it (see identityText), or null. */
  get identity(): Json | null {
    if (this.parsed.identity === undefined) this.parsed.identity = parseObject(this.identityText);
    return this.parsed.identity;
  }

  /** `iam` from `iam.amazonaws.com`. */
  get serviceShort(): string {
    const dot = this.service.indexOf('.');
    return dot < 0 ? this.service : this.service.slice(0, dot);
  }

  /** True for S3 object- and bucket-level data events (GetObject, PutObject, ListObjects, …). */
  get isS3DataEvent(): boolean {
    return this.service === 's3.amazonaws.com' && (this.eventCategory === 'Data' || this.managementEvent === false);
  }

  /**
   * A stable identity for per-principal state: the role for a role session (each session has its own ARN),
   * an IAM Identity Center user by their identity store user id, else the ARN, the principal id or the access
   * key. CloudTrail writes absent fields as "" in some records (sign-in events), which name no one.
   */
  get principalKey(): string {
    const { type, arn, principalId, accessKeyId, userName, sessionIssuerArn } = this.actor;
    if (type === 'AssumedRole' && sessionIssuerArn) return sessionIssuerArn;
    if (type !== null && NAMELESS_TYPES.has(type)) {
      const person = identityCenterUser(this.identity) ?? (userName ? `${type}:${this.actor.accountId || this.accountId || ''}/${userName}` : null);
      if (person) return person;
    }
    return arn || principalId || accessKeyId || `${type ?? 'unknown'}@${this.accountId ?? ''}`;
  }

  /** The bucket a data or bucket-level call is about, from requestParameters.bucketName. */
  get bucketName(): string | null {
    const name = this.request?.bucketName;
    return typeof name === 'string' ? name : null;
  }
}
