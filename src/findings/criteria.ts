import type { GuardDutyFinding } from './guardduty-finding.js';

/**
 * GuardDuty's FindingCriteria language (CreateFilter, ListFindings): `{"criterion": {"<path>": Condition}}`.
 * `parseCriteria` accepts the wire form, its deprecated aliases and the CLI/SDK PascalCase form, and
 * returns the canonical wire form that `matchesCriteria` evaluates and the filter store keeps.
 */

export const OPERATORS = [
  'equals', 'notEquals', 'greaterThan', 'greaterThanOrEqual', 'lessThan', 'lessThanOrEqual', 'matches', 'notMatches',
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  equals?: string[];
  notEquals?: string[];
  greaterThan?: number;
  greaterThanOrEqual?: number;
  lessThan?: number;
  lessThanOrEqual?: number;
  matches?: string[];
  notMatches?: string[];
}

export interface FindingCriteria {
  criterion: Record<string, Condition>;
}

/** A criteria problem; `field` is the attribute path, or for `kind` 'key' the top-level key, it concerns. */
export class CriteriaError extends Error {
  constructor(
    readonly field: string,
    problem: string,
    kind: 'attribute' | 'key' = 'attribute',
  ) {
    super(kind === 'key' ? `"${field}" ${problem}` : `criterion "${field}": ${problem}`);
    this.name = 'CriteriaError';
  }
}

/** GuardDuty's limits: 50 attributes per filter, 50 values for (not)equals, 5 of 1–512 chars for (not)matches. */
const MAX_CRITERIA = 50;
const MAX_VALUES = 50;
const MAX_PATTERNS = 5;
const MAX_PATTERN_LENGTH = 512;

const LIST_OPERATORS = new Set<Operator>(['equals', 'notEquals', 'matches', 'notMatches']);
const PATTERN_OPERATORS = new Set<Operator>(['matches', 'notMatches']);

const pascal = (name: string) => name[0]!.toUpperCase() + name.slice(1);
const DEPRECATED: Record<string, Operator> = {
  eq: 'equals', neq: 'notEquals', gt: 'greaterThan', gte: 'greaterThanOrEqual', lt: 'lessThan', lte: 'lessThanOrEqual',
};
/** Every accepted spelling → canonical operator: wire, deprecated, and both in the SDK's PascalCase. */
const OPERATOR_NAMES = new Map<string, Operator>([
  ...OPERATORS.flatMap((op): [string, Operator][] => [[op, op], [pascal(op), op]]),
  ...Object.entries(DEPRECATED).flatMap(([alias, op]): [string, Operator][] => [[alias, op], [pascal(alias), op]]),
]);

/** Compared as epoch milliseconds, as GuardDuty's filters do. */
const TIMESTAMP_PATHS = new Set([
  'createdAt', 'updatedAt', 'service.eventFirstSeen', 'service.eventLastSeen',
  'resource.instanceDetails.launchTime', 'resource.s3BucketDetails.createdAt',
]);

/** Objects whose keys vary by finding type: any path below them is accepted. */
const FREE_FORM_PREFIXES = ['service.additionalInfo.', 'service.detection.', 'service.action.awsApiCallAction.affectedResources.'];

const REMOTE_IP = '{city.cityName,country.{countryCode,countryName},geoLocation.{lat,lon},ipAddressV4,ipAddressV6,organization.{asn,asnOrg,isp,org}}';
const BLOCK_PUBLIC_ACCESS = 'blockPublicAccess.{blockPublicAcls,blockPublicPolicy,ignorePublicAcls,restrictPublicBuckets}';
const PUBLIC_READ_WRITE = '{allowsPublicReadAccess,allowsPublicWriteAccess}';

/**
 * The documented filter attributes (guardduty.md §6.3, foundational subset) plus the other paths of the
 * finding shape Gumshoe fills, in brace notation.
 */
const PATH_PATTERNS = [
  '{accountId,arn,associatedAttackSequenceArn,confidence,createdAt,description,id,partition,region,schemaVersion,severity,title,type,updatedAt}',
  'resource.resourceType',
  'resource.accessKeyDetails.{accessKeyId,principalId,userName,userType}',
  'resource.accessKeyDetails.userIdentity.{accessKeyId,accountId,arn,principalId,type,userName}',
  'resource.accessKeyDetails.userIdentity.sessionContext.{attributes.mfaAuthenticated,ec2RoleDelivery,invokedBy,sourceIdentity,' +
    'sessionIssuer.{accountId,arn,principalId,type,userName},webIdFederationData.{attributes,federatedProvider}}',
  'resource.instanceDetails.{availabilityZone,iamInstanceProfile.{arn,id},imageDescription,imageId,instanceId,instanceState,' +
    'instanceType,launchTime,outpostArn,platform,productCodes.{productCodeId,productCodeType},tags.{key,value}}',
  'resource.instanceDetails.networkInterfaces.{ipv6Addresses,networkInterfaceId,privateDnsName,privateIpAddress,' +
    'privateIpAddresses.{privateDnsName,privateIpAddress},publicDnsName,publicIp,securityGroups.{groupId,groupName},subnetId,vpcId}',
  'resource.s3BucketDetails.{arn,createdAt,name,owner.id,type,tags.{key,value},' +
    'defaultServerSideEncryption.{encryptionType,kmsMasterKeyArn},publicAccess.effectivePermission}',
  `resource.s3BucketDetails.publicAccess.permissionConfiguration.accountLevelPermissions.${BLOCK_PUBLIC_ACCESS}`,
  `resource.s3BucketDetails.publicAccess.permissionConfiguration.bucketLevelPermissions.{accessControlList.${PUBLIC_READ_WRITE},` +
    `${BLOCK_PUBLIC_ACCESS},bucketPolicy.${PUBLIC_READ_WRITE}}`,
  'resource.s3BucketDetails.s3ObjectDetails.{eTag,hash,key,objectArn,versionId}',
  'service.{archived,count,detectorId,eventFirstSeen,eventLastSeen,featureName,resourceRole,serviceName,userFeedback}',
  'service.action.actionType',
  'service.action.awsApiCallAction.{api,callerType,domainDetails.domain,errorCode,serviceName,userAgent,' +
    'remoteAccountDetails.{accountId,affiliated,awsServiceName}}',
  `service.action.awsApiCallAction.remoteIpDetails.${REMOTE_IP}`,
  'service.action.dnsRequestAction.{blocked,domain,domainWithSuffix,protocol,vpcOwnerAccountId}',
  'service.action.networkConnectionAction.{blocked,connectionDirection,localIpDetails.{ipAddressV4,ipAddressV6},' +
    'localNetworkInterface,localPortDetails.{port,portName},protocol,remotePortDetails.{port,portName}}',
  `service.action.networkConnectionAction.remoteIpDetails.${REMOTE_IP}`,
  'service.action.portProbeAction.{blocked,portProbeDetails.{localIpDetails.{ipAddressV4,ipAddressV6},localPortDetails.{port,portName}}}',
  `service.action.portProbeAction.portProbeDetails.remoteIpDetails.${REMOTE_IP}`,
  'service.evidence.threatIntelligenceDetails.{threatFileSha256,threatListName,threatNames}',
  // Listed although free-form, so that typos near them get a suggestion.
  'service.additionalInfo.{agentDetails.{agentId,agentVersion},anomalies.anomalousAPIs,authenticationMethod,averagePacketSizeIn,' +
    'averagePacketSizeOut,context,domain,inBytes,localNetworkInterfaceOwner,localPort,outBytes,packetsIn,packetsOut,policyArn,' +
    'policyName,remotePort,sample,scannedPort,threatFileSha256,threatListName,threatName,totalBytesIn,totalBytesOut,type,' +
    'unusual.{asnOrg,port},unusualProtocol,userAgent.{fullUserAgent,userAgentCategory},value,vpcOwnerAccountId}',
];

/** Expands `a.{b,c.{d,e}}` into `a.b`, `a.c.d`, `a.c.e`. */
function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  const parts: string[] = [];
  let depth = 0;
  let start = open + 1;
  let close = -1;
  for (let i = open; i < pattern.length && close < 0; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) close = i;
    if ((c === ',' && depth === 1) || close === i) {
      parts.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  return parts.flatMap((part) => expandBraces(head + part + tail));
}

/** Every attribute path accepted without the free-form rule, for validation and did-you-mean. */
export const KNOWN_PATHS: ReadonlySet<string> = new Set(PATH_PATTERNS.flatMap(expandBraces));

const REMOTE_IP_PARENTS = 'service.action.{awsApiCallAction,networkConnectionAction,portProbeAction.portProbeDetails}.remoteIpDetails';

/** Known attributes holding numbers (asn is a string of digits in GuardDuty's JSON, compared as a number). */
const NUMBER_PATHS: ReadonlySet<string> = new Set([
  '{confidence,severity}',
  'service.count',
  `${REMOTE_IP_PARENTS}.{geoLocation.{lat,lon},organization.asn}`,
  'service.action.networkConnectionAction.{localPortDetails.port,remotePortDetails.port}',
  'service.action.portProbeAction.portProbeDetails.localPortDetails.port',
].flatMap(expandBraces));

/** Known attributes holding true/false (mfaAuthenticated as the strings CloudTrail writes). */
const BOOLEAN_PATHS: ReadonlySet<string> = new Set([
  'service.archived',
  'service.action.{dnsRequestAction,networkConnectionAction,portProbeAction}.blocked',
  'service.action.awsApiCallAction.remoteAccountDetails.affiliated',
  'resource.accessKeyDetails.userIdentity.sessionContext.attributes.mfaAuthenticated',
  `resource.s3BucketDetails.publicAccess.permissionConfiguration.accountLevelPermissions.${BLOCK_PUBLIC_ACCESS}`,
  `resource.s3BucketDetails.publicAccess.permissionConfiguration.bucketLevelPermissions.{accessControlList.${PUBLIC_READ_WRITE},` +
    `${BLOCK_PUBLIC_ACCESS},bucketPolicy.${PUBLIC_READ_WRITE}}`,
].flatMap(expandBraces));

/**
 * What an attribute holds, so that a condition that can never match it is refused when the filter is
 * saved rather than archiving nothing unnoticed. Free-form paths vary by finding type: anything goes.
 */
export type AttributeKind = 'timestamp' | 'number' | 'boolean' | 'text' | 'free-form';

export function attributeKind(path: string): AttributeKind {
  if (isFreeForm(path)) return 'free-form';
  if (TIMESTAMP_PATHS.has(path)) return 'timestamp';
  if (NUMBER_PATHS.has(path)) return 'number';
  return BOOLEAN_PATHS.has(path) ? 'boolean' : 'text';
}

const isFreeForm = (path: string) => FREE_FORM_PREFIXES.some((prefix) => path.startsWith(prefix) && path.length > prefix.length);

/** Validates criteria in any accepted form and returns them in canonical wire form; throws CriteriaError. */
export function parseCriteria(input: unknown): FindingCriteria {
  if (!isRecord(input)) throw new CriteriaError('criterion', 'must be given as a JSON object like {"criterion": {...}}', 'key');
  const keys = Object.keys(input);
  // Accept criteria still wrapped in the API's `FindingCriteria` key, as copied from get-filter output.
  const wrapper = keys.find((k) => k === 'findingCriteria' || k === 'FindingCriteria');
  if (wrapper && keys.length === 1) return parseCriteria(input[wrapper]);
  const key = keys.find((k) => k === 'criterion' || k === 'Criterion');
  const extra = keys.find((k) => k !== key);
  if (extra !== undefined) throw new CriteriaError(extra, 'is not a criteria key; the only one is "criterion"', 'key');
  const criterion = key === undefined ? undefined : input[key];
  if (!isRecord(criterion)) throw new CriteriaError('criterion', 'must be an object mapping attribute paths to conditions', 'key');
  const paths = Object.keys(criterion);
  if (paths.length === 0) throw new CriteriaError('criterion', 'names no attribute; give at least one', 'key');
  if (paths.length > MAX_CRITERIA) {
    throw new CriteriaError('criterion', `has ${paths.length} attributes, at most ${MAX_CRITERIA} are allowed`, 'key');
  }
  const result: Record<string, Condition> = {};
  for (const path of paths) {
    checkPath(path);
    result[path] = parseCondition(path, criterion[path]);
  }
  return { criterion: result };
}

function checkPath(path: string): void {
  if (KNOWN_PATHS.has(path) || isFreeForm(path)) return;
  const suggestions = closestPaths(path).map((known) => `"${known}"`);
  const hint = suggestions.length > 1 ? `one of ${suggestions.join(', ')}` : suggestions[0];
  throw new CriteriaError(path, `unknown attribute${hint ? ` (did you mean ${hint}?)` : ''}`);
}

/** Known paths a typo likely meant: the same in another case, a few edits away, or (a few) ending with it. */
function closestPaths(path: string): string[] {
  const best = nearestName(path, KNOWN_PATHS);
  if (best) return [best];
  const lower = path.toLowerCase();
  return [...KNOWN_PATHS].filter((known) => known.toLowerCase().endsWith(`.${lower}`)).slice(0, 3);
}

/** The name a typo likely meant: the same in another case, else the nearest a few edits away (for did-you-mean). */
export function nearestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.floor(name.length / 4));
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase(), bestDistance);
    if (distance <= bestDistance && (distance < bestDistance || best === undefined)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    if (Math.min(...current) > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

function parseCondition(path: string, input: unknown): Condition {
  if (!isRecord(input) || Object.keys(input).length === 0) {
    throw new CriteriaError(path, `condition must be an object with at least one operator (${OPERATORS.join(', ')})`);
  }
  const condition: Record<string, string[] | number> = {};
  const spelledAs = new Map<Operator, string>();
  for (const [name, value] of Object.entries(input)) {
    const op = OPERATOR_NAMES.get(name);
    if (!op) throw new CriteriaError(path, `unknown operator "${name}"; use one of ${OPERATORS.join(', ')} (or eq, neq, gt, gte, lt, lte)`);
    const earlier = spelledAs.get(op);
    if (earlier) throw new CriteriaError(path, `"${name}" repeats "${earlier}"; give each operator once`);
    spelledAs.set(op, name);
    condition[op] = LIST_OPERATORS.has(op) ? parseValues(path, name, op, value) : parseNumber(path, name, value);
  }
  return condition as Condition;
}

function parseValues(path: string, name: string, op: Operator, value: unknown): string[] {
  const patterns = PATTERN_OPERATORS.has(op);
  const limit = patterns ? MAX_PATTERNS : MAX_VALUES;
  if (!Array.isArray(value)) throw new CriteriaError(path, `${name} must be a list of strings, got ${describe(value)}`);
  if (value.length === 0) throw new CriteriaError(path, `${name} lists no value`);
  if (value.length > limit) throw new CriteriaError(path, `${name} has ${value.length} values, at most ${limit} are allowed`);
  for (const item of value) {
    if (typeof item !== 'string') {
      const hint = typeof item === 'number' || typeof item === 'boolean' ? ` (write "${item}")` : '';
      throw new CriteriaError(path, `${name} values must be strings, got ${describe(item)}${hint}`);
    }
    if (patterns && (item.length === 0 || item.length > MAX_PATTERN_LENGTH)) {
      throw new CriteriaError(path, `${name} patterns must be 1–${MAX_PATTERN_LENGTH} characters long`);
    }
    if (op === 'equals' || op === 'notEquals') checkValueKind(path, name, item);
  }
  return value as string[];
}

/** What (not)equals values of each kind of attribute must look like to ever compare equal. */
const VALUE_FORMS: Partial<Record<AttributeKind, { fits: (value: string) => boolean; expected: string }>> = {
  timestamp: { fits: (value) => !Number.isNaN(epochMillis(value)), expected: 'epoch milliseconds or an ISO-8601 time' },
  number: { fits: (value) => value.trim() !== '' && !Number.isNaN(Number(value)), expected: 'a number' },
  boolean: { fits: (value) => /^(true|false)$/i.test(value), expected: 'true or false' },
};

function checkValueKind(path: string, name: string, value: string): void {
  const form = VALUE_FORMS[attributeKind(path)];
  if (form && !form.fits(value)) throw new CriteriaError(path, `${name} value "${value}" is not ${form.expected}`);
  checkEnumValue(path, name, value);
}

const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'ICMPV6', 'GRE', 'ESP', 'SCTP'];

/**
 * Attributes holding one of a few upper-case words (guardduty.md §2.3, §3.3, §3.5). Compared exactly, so a
 * value in another case or outside a closed set would match nothing, and under notEquals everything: it is
 * refused. Open sets (other plans' action types and resource types, rarer protocols) refuse only a known
 * value spelt in another case.
 */
const ENUMERATED: Record<string, { values: string[]; closed: boolean }> = {
  'service.resourceRole': { values: ['ACTOR', 'TARGET'], closed: true },
  'service.action.networkConnectionAction.connectionDirection': { values: ['INBOUND', 'OUTBOUND', 'UNKNOWN'], closed: true },
  'service.action.actionType': { values: ['AWS_API_CALL', 'NETWORK_CONNECTION', 'PORT_PROBE', 'DNS_REQUEST', 'KUBERNETES_API_CALL', 'RDS_LOGIN_ATTEMPT'], closed: false },
  'service.action.networkConnectionAction.protocol': { values: PROTOCOLS, closed: false },
  'service.action.dnsRequestAction.protocol': { values: ['UDP', 'TCP'], closed: false },
  'resource.resourceType': { values: ['AccessKey', 'Instance', 'S3Bucket', 'AttackSequence'], closed: false },
};

function checkEnumValue(path: string, name: string, value: string): void {
  const known = ENUMERATED[path];
  if (!known || known.values.includes(value)) return;
  const meant = known.values.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (meant) throw new CriteriaError(path, `${name} value "${value}" never matches: values compare exactly (did you mean "${meant}"?)`);
  if (known.closed) throw new CriteriaError(path, `${name} value "${value}" is not one of ${known.values.join(', ')}`);
}

function parseNumber(path: string, name: string, value: unknown): number {
  const kind = attributeKind(path);
  // Comparisons are numeric (guardduty.md §6.2): on text or true/false they could never match.
  if (kind === 'text' || kind === 'boolean') {
    const holds = kind === 'text' ? 'text; use equals, notEquals, matches or notMatches' : 'true or false; use equals or notEquals';
    throw new CriteriaError(path, `${name} ${JSON.stringify(value)} can never match: ${name} compares numbers and times, and this attribute holds ${holds}`);
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    const unit = TIMESTAMP_PATHS.has(path) ? ' (epoch milliseconds)' : '';
    throw new CriteriaError(path, `${name} must be an integer${unit}, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${JSON.stringify(value)}`;
}

type Leaf = string | number | boolean;

/**
 * Whether the finding satisfies every attribute's condition (attributes ANDed, operators on one attribute
 * ANDed). Paths flatten through arrays: positive operators need one element to match, negative ones need
 * none to. A missing attribute fails equals, matches and the comparisons, and passes notEquals/notMatches.
 */
export function matchesCriteria(finding: GuardDutyFinding, criteria: FindingCriteria): boolean {
  return Object.entries(criteria.criterion).every(([path, condition]) => satisfies(valuesOf(finding, path), path, condition));
}

/**
 * Documented attributes whose value the finding holds under another name, as GuardDuty writes it:
 * Behavior:EC2/NetworkPortUnusual reports the unusual port as `additionalInfo.unusual` itself ("5060",
 * guardduty.md §3.8), while the filter attribute is `service.additionalInfo.unusual.port` (§6.3).
 */
const ALIASES: Record<string, (finding: GuardDutyFinding) => unknown> = {
  'service.additionalInfo.unusual.port': (finding) =>
    finding.type === 'Behavior:EC2/NetworkPortUnusual' ? finding.service.additionalInfo?.unusual : undefined,
};

function valuesOf(finding: GuardDutyFinding, path: string): Leaf[] {
  const values = valuesAt(finding, path);
  const alias = ALIASES[path]?.(finding);
  return isLeaf(alias) ? [...values, alias] : values;
}

const isLeaf = (value: unknown): value is Leaf => ['string', 'number', 'boolean'].includes(typeof value);

function valuesAt(root: unknown, path: string): Leaf[] {
  let nodes: unknown[] = [root];
  for (const key of path.split('.')) {
    nodes = nodes.flatMap((node) => {
      const child = isRecord(node) ? node[key] : undefined;
      return Array.isArray(child) ? child : [child];
    });
  }
  return nodes.filter(isLeaf);
}

function satisfies(values: Leaf[], path: string, condition: Condition): boolean {
  const equal = (value: Leaf, wanted: string) => equalsValue(value, wanted, path);
  const anyEquals = (list: string[]) => values.some((value) => list.some((wanted) => equal(value, wanted)));
  const anyMatches = (list: string[]) => values.some((value) => list.some((pattern) => globRegExp(pattern).test(String(value))));
  const numbers = values.map((value) => numericValue(value, path)).filter((n) => !Number.isNaN(n));
  const anyNumber = (test: (n: number) => boolean) => numbers.some(test);
  const { equals, notEquals, greaterThan, greaterThanOrEqual, lessThan, lessThanOrEqual, matches, notMatches } = condition;
  return (
    (equals === undefined || anyEquals(equals)) &&
    (notEquals === undefined || !anyEquals(notEquals)) &&
    (greaterThan === undefined || anyNumber((n) => n > greaterThan)) &&
    (greaterThanOrEqual === undefined || anyNumber((n) => n >= greaterThanOrEqual)) &&
    (lessThan === undefined || anyNumber((n) => n < lessThan)) &&
    (lessThanOrEqual === undefined || anyNumber((n) => n <= lessThanOrEqual)) &&
    (matches === undefined || anyMatches(matches)) &&
    (notMatches === undefined || !anyMatches(notMatches))
  );
}

function equalsValue(value: Leaf, wanted: string, path: string): boolean {
  if (TIMESTAMP_PATHS.has(path)) return numericValue(value, path) === epochMillis(wanted);
  // A boolean held as a string (mfaAuthenticated "true") compares as the boolean does, in any case.
  if (typeof value === 'boolean' || BOOLEAN_PATHS.has(path)) return String(value).toLowerCase() === wanted.toLowerCase();
  if (typeof value === 'number') {
    if (wanted.trim() === '') return false;
    // Severity levels are filtered by integer buckets: "7" means 7.0–7.9 (guardduty.md §5).
    if (path === 'severity' && /^\d+$/.test(wanted.trim())) return Math.floor(value) === Number(wanted);
    return value === Number(wanted);
  }
  return value === wanted;
}

function numericValue(value: Leaf, path: string): number {
  if (TIMESTAMP_PATHS.has(path)) return typeof value === 'string' ? Date.parse(value) : NaN;
  if (typeof value === 'number') return value;
  // Numbers GuardDuty carries as strings (asn, additionalInfo.localPort) compare numerically too.
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
}

function epochMillis(text: string): number {
  return /^-?\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
}

/** `*` matches any run of characters (the wildcard syntax is not documented; glob is the natural reading). */
function globRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
