import { networkPrefix } from '../../intel/ip.js';
import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, networkActivity, repeated, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  type BoundedMap,
  type Burst,
  type BurstWindow,
  boundedMap,
  burstAt,
  callerName,
  earliestSeen,
  flushDeferred,
  getEntry,
  HABIT_AGE,
  HOUR,
  isAwsServiceCall,
  isIacAgent,
  isNamedPerson,
  isPersonLike,
  isProbing,
  isTrue,
  isSsoSession,
  keepForRevisit,
  keptForRevisit,
  learningOver,
  list,
  MINUTE,
  obj,
  ownAccount,
  personVars,
  present,
  reportWhenWindowCloses,
  setEntry,
  str,
  trackBurst,
  wasHabit,
} from './gumshoe-common.js';

/**
 * Remote execution through Systems Manager (Run Command, Session Manager), bulk reads of SecureString
 * parameters and Secrets Manager secrets, and SageMaker notebook lifecycle scripts.
 *
 * People (IAM users, SSO and console sessions) reading many secrets are Medium; workload roles that read
 * their configuration at start-up are Low, and once a principal has done it on an earlier day it is a habit.
 * People opening sessions on a few instances from a network the account's people already use are Low.
 * A BatchGetSecretValue whose filters select nothing (`tag-key` `!tagKeyThatWillNeverExist`) takes every
 * secret in the region at once, which no application needs: High for anyone, until it is a habit.
 *
 * The detection sees every event, to learn those networks from the people's own calls; it reads the
 * payloads of its own APIs only.
 */
const SSM_EXEC = 'Execution:EC2/SsmRemoteExecution.Gumshoe';
const PARAMETERS = 'CredentialAccess:IAMUser/SecureParametersMassDecrypted.Gumshoe';
const SECRETS = 'CredentialAccess:IAMUser/SecretsMassRetrieved.Gumshoe';
const NOTEBOOK = 'Execution:SageMaker/NotebookLifecycleConfigModified.Gumshoe';

const EXEC_WINDOW = 15 * MINUTE;
const FAN_OUT = 3;
const READ_WINDOW = 10 * MINUTE;
/**
 * Distinct secrets, or parameters (stores hold many more of those), read within the window. A whole path
 * counts `path` of them: reading one environment's configuration (chamber, direnv) is routine, three paths
 * is sweeping the store.
 */
const THRESHOLDS: Record<string, { many: number; path: number }> = { [SECRETS]: { many: 10, path: 10 }, [PARAMETERS]: { many: 20, path: 7 } };
/** A batch of this many secret ids is a bulk read, like a filter. */
const BATCH_IDS = 3;
/** The item a bulk batch read adds: it counts as reading the whole store. */
const BULK_BATCH = 'all:batch';
/** The item of a batch read whose filters select nothing (they only exclude): every secret. */
const CATCH_ALL = 'all:catch-all';
/** A batch this soon after the caller listed the secrets takes what the listing showed. */
const LIST_THEN_BATCH = HOUR;
const DENIED_SECRETS = 5;
/** AWS-managed documents that patch, inventory or configure agents rather than run arbitrary commands. */
const MAINTENANCE_DOCUMENT =
  /^(AWS-(RunPatchBaseline|ApplyPatchBaseline|ConfigureAWSPackage|UpdateSSMAgent|UpdateEC2Config|GatherSoftwareInventory|RefreshAssociation|FindWindowsUpdates|InstallWindowsUpdates|ConfigureCloudWatch)|AmazonCloudWatch-|AmazonInspector2-)/;
const PAYLOAD_APIS = [
  'SendCommand',
  'StartSession',
  'GetParameter',
  'GetParameters',
  'GetParametersByPath',
  'GetSecretValue',
  'BatchGetSecretValue',
  'ListSecrets',
  'UpdateNotebookInstanceLifecycleConfig',
  'UpdateNotebookInstance',
];

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('ssm-habits', boundedMap);
/** `account>network` → when one of the account's people first called from it. */
const peopleNetworks = (context: DetectionContext) => context.state<BoundedMap<number>>('people-networks', boundedMap);
/** Role session or user → when it last listed the secrets. */
const listings = (context: DetectionContext) => context.state<BoundedMap<number>>('secret-listings', boundedMap);

// ---- the networks the account's people work from ----

/** The caller's network: its ASN, or without geo data its /24 (IPv6: /48). */
function networkOf(event: ApiEvent, context: DetectionContext): string | null {
  const ip = event.sourceIp;
  if (!ip) return null;
  const asn = context.intel.ipDetails(ip).asn;
  return asn !== undefined ? `AS${asn}` : networkPrefix(ip);
}

function learnNetwork(event: ApiEvent, context: DetectionContext): void {
  const network = networkOf(event, context);
  const key = `${ownAccount(event)}>${network}`;
  if (network) earliestSeen(peopleNetworks(context), key, event.time, 5000);
}

/** Established: one of the account's people called from it on an earlier day, not just now. */
function fromEstablishedNetwork(event: ApiEvent, context: DetectionContext): boolean {
  const first = getEntry(peopleNetworks(context), `${ownAccount(event)}>${networkOf(event, context)}`);
  return first !== undefined && event.time - first >= HABIT_AGE;
}

// ---- Run Command and Session Manager ----

/**
 * Whose habit running commands is: the principal (for a role session, its role: an SSO permission set) and,
 * for an SSO user, the person under any permission set, so that an operator's new permission set is not new.
 */
function execHabitKeys(event: ApiEvent): string[] {
  const person = isSsoSession(event) ? callerName(event) : null;
  return [`exec>${event.principalKey}`, ...(person ? [`exec-person>${ownAccount(event)}>${person}`] : [])];
}

/** Whether running commands is already a habit; records the first time for each key. */
function isExecHabit(event: ApiEvent, context: DetectionContext): { habit: boolean; first: boolean } {
  const keys = execHabitKeys(event);
  const first = keys.every((key) => getEntry(habits(context), key) === undefined);
  // Every key is recorded, not only up to the first habit found.
  const habitual = keys.map((key) => wasHabit(habits(context), key, event.time));
  return { habit: habitual.some(Boolean), first };
}

const execAction = (api: string, instances: number) =>
  api === 'StartSession' ? (instances === 1 ? 'opened a shell session' : 'opened shell sessions') : 'ran commands';

function onRemoteExecution(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const document = str(request.documentName) ?? (event.api === 'StartSession' ? 'interactive shell' : 'unknown');
  if (MAINTENANCE_DOCUMENT.test(document)) return;
  const instances = event.api === 'StartSession' ? present(request.target) : list(request.instanceIds).map(String);
  const byTag = list(request.targets).length > 0;
  // People who run commands on instances every week are the fleet's operators.
  const { habit, first } = isExecHabit(event, context);
  if (habit) return;
  const { burst, evidence } = trackBurst(context, 'exec', event.principalKey, event, instances, EXEC_WINDOW);
  const report = (window: BurstWindow) => {
    const { byTag, routine, document, api, principal } = burst.facts ?? {};
    const scope = byTag ? 'every instance matching a tag' : `${burst.items.length} instances`;
    const vars = { ...(principal ? { principal: String(principal) } : {}), scope, document: String(document), action: execAction(String(api), burst.items.length) };
    context.emit({ type: SSM_EXEC, ...window, severity: routine ? 2 : 5, vars });
  };
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, EXEC_WINDOW, event, report);
  if ((burst.items.length >= FAN_OUT || byTag) && !burst.fired) {
    burst.fired = true;
    // A person at work from the account's usual networks, on a few named instances: an operator, not a fan-out.
    const routine = !byTag && isPersonLike(event) && fromEstablishedNetwork(event, context);
    burst.facts = { byTag, routine, document, api: event.api, ...personVars(event) };
    reportWhenWindowCloses(context, evidence, burst, EXEC_WINDOW, event, report);
    return;
  }
  if (first && learningOver(context, event)) {
    const vars = { ...personVars(event), scope: `instance ${instances[0] ?? 'unknown'}`, document, action: execAction(event.api, 1) };
    context.emit({ type: SSM_EXEC, event, vars });
  }
}

// ---- parameters and secrets ----


/**
 * What a read took, as distinct items: names, `path:` for a parameter path, `all:` for a read that takes
 * the whole store at once (the root path, a recursive top-level path, a filter, a batch of listed ids).
 */
function secretsRead(event: ApiEvent, context: DetectionContext): string[] | null {
  const request = event.request ?? {};
  switch (event.api) {
    case 'GetParameter':
      return isTrue(request.withDecryption) ? present(request.name) : null;
    case 'GetParameters':
      return isTrue(request.withDecryption) ? list(request.names).map(String) : null;
    case 'GetParametersByPath':
      return isTrue(request.withDecryption) ? [pathItem(str(request.path) ?? '/', isTrue(request.recursive))] : null;
    case 'GetSecretValue':
      return present(request.secretId);
    case 'BatchGetSecretValue': {
      const ids = list(request.secretIdList).map(String);
      if (ids.length) {
        if (isBulkBatch(event, context, ids)) return [...ids, BULK_BATCH];
        // The caller's listing may come later, in a file CloudTrail delivers late (see onListing).
        keepForRevisit(context, 'small-batch', listerKey(event), event);
        return ids;
      }
      // No ids and no filters: a record without the request (a VPC endpoint's network activity event
      // copies the call's envelope only), which says nothing about what was read.
      const filters = list(request.filters);
      if (!filters.length) return null;
      // A refused catch-all took nothing: it weighs as any filtered read (probing), not as every secret taken.
      return [isCatchAll(filters) && !event.failed ? CATCH_ALL : `all:filter ${JSON.stringify(filters)}`];
    }
    default:
      return null;
  }
}

/**
 * Filters that select nothing: every value negated (`!prefix`) or an empty prefix, which every secret
 * matches. Filters narrow one another, so one that selects (`tag-key` `team`, beside a negated one) limits
 * the read to what it selects.
 */
function isCatchAll(filters: unknown[]): boolean {
  return filters.every((filter) => {
    const values = list(obj(filter)?.values).map(String);
    return values.length > 0 && values.every((value) => value === '' || (value.startsWith('!') && value.length > 1));
  });
}

/** The root, or a top-level path read recursively (`/prod`), holds a whole environment. */
function pathItem(path: string, recursive: boolean): string {
  const depth = path.split('/').filter(Boolean).length;
  return depth === 0 || (recursive && depth === 1) ? `all:${path}` : `path:${path}`;
}

/** Who listed the secrets: the role session itself, not any session of its role. */
const listerKey = (event: ApiEvent) => event.actor.arn || event.principalKey;

function isBulkBatch(event: ApiEvent, context: DetectionContext, ids: string[]): boolean {
  const listed = getEntry(listings(context), listerKey(event));
  return ids.length >= BATCH_IDS || (listed !== undefined && event.time >= listed && event.time - listed <= LIST_THEN_BATCH);
}

/**
 * ListSecrets. Delivered late (another file, the next run), it turns the small batch read its caller made
 * right after it into the bulk read it was, as a run that read them in order decides.
 */
function onListing(event: ApiEvent, context: DetectionContext): void {
  const key = listerKey(event);
  setEntry(listings(context), key, Math.max(getEntry(listings(context), key) ?? event.time, event.time), 2000);
  const batch = keptForRevisit(context, 'small-batch', key, event.time, event.time + LIST_THEN_BATCH);
  const read = batch && burstAt(context, SECRETS, batch.principalKey, batch.time, READ_WINDOW);
  if (!batch || !read || read.burst.fired || read.burst.items.includes(BULK_BATCH)) return;
  read.burst.items.push(BULK_BATCH);
  decideRead(batch, context, SECRETS, read.burst, read.evidence);
}

function readWeight(items: string[], type: string): number {
  const { many, path } = THRESHOLDS[type]!;
  return items.reduce((sum, item) => sum + (item.startsWith('all:') ? many : item.startsWith('path:') ? path : 1), 0);
}

function describeRead(items: string[], noun: string): string {
  const named = items.filter((i) => !/^(path|all):/.test(i)).length;
  const paths = items.filter((i) => /^(path|all):\//.test(i)).map((i) => i.slice(i.indexOf(':') + 1));
  const parts = [
    ...(named ? [`${named} ${noun}${items.includes(BULK_BATCH) ? ' in a batch' : ''}`] : []),
    ...(paths.length ? [`every one of the ${noun} under ${paths.length === 1 ? 'path' : `${paths.length} paths`} ${paths.slice(0, 5).join(', ')}`] : []),
    ...(items.some((i) => i.startsWith('all:filter')) ? [`every one of the ${noun} matching a filter`] : []),
    ...(items.includes(CATCH_ALL) ? [`every one of the ${noun} in the region (filters that select nothing)`] : []),
  ];
  return parts.join(' and ');
}

function onSecretRead(event: ApiEvent, context: DetectionContext): void {
  const items = secretsRead(event, context);
  if (!items) return;
  const type = event.serviceShort === 'ssm' ? PARAMETERS : SECRETS;
  const { burst, evidence } = trackBurst(context, type, event.principalKey, event, items, READ_WINDOW, { itemCap: 2 * THRESHOLDS[type]!.many });
  decideRead(event, context, type, burst, evidence);
}

/** Reports a read burst once it crosses its threshold (and every later call of it: the report grows). */
function decideRead(event: ApiEvent, context: DetectionContext, type: string, burst: Burst, evidence: string): void {
  const { many } = THRESHOLDS[type]!;
  const report = (window: BurstWindow) => {
    const probing = isProbing(burst, DENIED_SECRETS);
    const { person, principal } = burst.facts ?? {};
    const vars = { ...(principal ? { principal: String(principal) } : {}), what: describeRead(burst.items, type === PARAMETERS ? 'parameters' : 'secrets'), denied: burst.denied.length };
    const severity = burst.items.includes(CATCH_ALL) ? 8 : person || probing ? undefined : 2;
    context.emit({ type, ...window, severity, vars });
  };
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, READ_WINDOW, event, report);
  if (burst.fired || (readWeight(burst.items, type) < many && !isProbing(burst, DENIED_SECRETS))) return;
  burst.fired = true;
  if (wasHabit(habits(context), `${type}>${event.principalKey}`, event.time)) return;
  burst.facts = { person: isPersonLike(event), ...personVars(event) };
  reportWhenWindowCloses(context, evidence, burst, READ_WINDOW, event, report);
}

// ---- SageMaker ----

function onNotebook(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  if (event.api === 'UpdateNotebookInstance' && !str(request.lifecycleConfigName)) return;
  const target = str(request.notebookInstanceName) ?? str(request.notebookInstanceLifecycleConfigName) ?? 'unknown';
  const config = str(request.lifecycleConfigName) ?? str(request.notebookInstanceLifecycleConfigName) ?? 'unknown';
  context.emit({ type: NOTEBOOK, event, severity: isIacAgent(event.userAgent) ? 2 : undefined, aggregateBy: target, vars: { target, config } });
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  if (isAwsServiceCall(event)) return;
  if (isNamedPerson(event)) learnNetwork(event, context);
  switch (event.api) {
    case 'SendCommand':
    case 'StartSession':
      if (!event.failed) onRemoteExecution(event, context);
      return;
    case 'UpdateNotebookInstanceLifecycleConfig':
    case 'UpdateNotebookInstance':
      if (!event.failed) onNotebook(event, context);
      return;
    case 'ListSecrets':
      if (!event.failed) onListing(event, context);
      return;
    default:
      // Denied reads count: probing for secrets one can't read is part of the pattern.
      return onSecretRead(event, context);
  }
}

// ---- cases ----

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 2, 10, minute, second)).toISOString().replace('.000Z', 'Z');
const admin = assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com');
const appRole = assumedRole('orders-api-task', 'a1b2c3d4e5f6');
const sendCommand = (instanceIds: string[], document: string, time: string, identity: Record<string, unknown>, ip?: string) =>
  ctEvent({ service: 'ssm', name: 'SendCommand', identity, time, ip, request: { documentName: document, instanceIds, interactive: false, parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' } });
const startSession = (target: string, time: string, identity: Record<string, unknown>, ip?: string) =>
  ctEvent({ service: 'ssm', name: 'StartSession', identity, time, ip, request: { target }, response: { sessionId: 'x-0123', tokenValue: 'Value hidden due to security reasons.' } });
const getSecret = (name: string, time: string, identity: Record<string, unknown>, extra: { userAgent?: string } = {}) =>
  ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity, time, request: { secretId: name }, ...extra });
const listSecrets = (time: string, identity: Record<string, unknown>, extra: { userAgent?: string } = {}) =>
  ctEvent({ service: 'secretsmanager', name: 'ListSecrets', identity, time, request: { maxResults: 100 }, ...extra });
const batchGet = (secretIdList: string[], time: string, identity: Record<string, unknown>) =>
  ctEvent({ service: 'secretsmanager', name: 'BatchGetSecretValue', identity, time, request: { secretIdList } });
const byPath = (path: string, time: string, identity: Record<string, unknown>, recursive = true) =>
  ctEvent({ service: 'ssm', name: 'GetParametersByPath', identity, time, request: { path, recursive, withDecryption: true } });
const OFFICE = '198.51.100.40';
const HOSTING = '159.89.41.17';
const onCall = assumedRole('AWSReservedSSO_OnCallOperator_3f2a1b0c', 'frank@acme.example');
/** A colleague's ordinary work from the office the day before: the account's people use that network. */
const officeYesterday = ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'bob@acme.example'), time: '2026-11-01T09:30:00Z', ip: '198.51.100.12', request: {} });
/** An on-call engineer's first Session Manager use: three instances from the office, then a restart command. */
export const ON_CALL_SESSIONS = 'an on-call engineer’s first shell sessions on three instances from the office network (Low)';

export const ssmAndSecrets: ApiDetection = {
  id: 'gumshoe-ssm-and-secrets',
  source: 'cloudtrail',
  // Every event: the networks people work from are learned from all their calls.
  payloads: { apis: PAYLOAD_APIS },
  types: [
    {
      type: SSM_EXEC,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0002 Execution', technique: 'T1651 Cloud Administration Command' },
      title: '{principal} {action} on {scope} through Systems Manager.',
      description: '{principal} called {api} ({document}) on {scope} from {ip}, and has not been seen running commands on instances before.',
      remediation: 'Review the command or session (SSM command history, session logs). If the principal is not one of the fleet’s operators, revoke its credentials and check the instances.',
    },
    {
      type: PARAMETERS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1555.006 Credentials from Password Stores: Cloud Secrets Management Stores' },
      title: '{principal} decrypted many SecureString parameters in a few minutes.',
      description: '{principal} read {what} with decryption within 10 minutes from {ip} ({denied} calls denied).',
      remediation: 'Confirm with the principal’s owner. If unexpected, rotate the secrets stored in those parameters and revoke the principal’s credentials.',
    },
    {
      type: SECRETS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1555.006 Credentials from Password Stores: Cloud Secrets Management Stores' },
      title: '{principal} retrieved many Secrets Manager secrets in a few minutes.',
      description: '{principal} retrieved {what} within 10 minutes from {ip} (latest call {api}; {denied} calls denied).',
      remediation: 'Confirm with the principal’s owner. If unexpected, rotate the secrets and revoke the principal’s credentials.',
    },
    {
      type: NOTEBOOK,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0002 Execution', technique: 'T1059 Command and Scripting Interpreter' },
      title: 'The lifecycle script of SageMaker notebook {target} was changed.',
      description: '{principal} called {api} from {ip} (lifecycle configuration {config}). Lifecycle scripts run as root on the notebook instance, with its execution role, at every start.',
      remediation: 'Read the lifecycle configuration’s script. If it is not yours, detach it, restart the notebook from a known configuration, and review the notebook role’s recent activity.',
    },
  ],
  onEvent,
  finish: (context) => flushDeferred(context),
  cases: () => [
    { name: 'Stratus: shell commands sent to three instances', datasets: [{ stratus: 'aws.execution.ssm-send-command' }], expect: [SSM_EXEC] },
    { name: 'Stratus: SecureString parameters decrypted in bulk', datasets: [{ stratus: 'aws.credential-access.ssm-retrieve-securestring-parameters' }], expect: [PARAMETERS] },
    { name: 'Stratus: 20 secrets retrieved one by one', datasets: [{ stratus: 'aws.credential-access.secretsmanager-retrieve-secrets' }], expect: [SECRETS] },
    {
      name: 'an SSO session decrypting 24 parameters in two calls',
      records: [0, 1].map((call) =>
        ctEvent({
          service: 'ssm',
          name: 'GetParameters',
          time: at(call),
          identity: admin,
          request: { names: Array.from({ length: 12 }, (_, i) => `/prod/credentials/service-${call * 12 + i}`), withDecryption: true },
        }),
      ),
      expect: [PARAMETERS],
    },
    {
      name: 'every tagged secret read in one BatchGetSecretValue (Stratus secretsmanager-batch-retrieve-secrets shape)',
      records: [
        ctEvent({ service: 'secretsmanager', name: 'BatchGetSecretValue', identity: iamUser('mallory'), time: at(0), request: { filters: [{ key: 'tag-key', values: ['StratusRedTeam'] }] } }),
      ],
      expect: [SECRETS],
    },
    {
      name: 'a workload role reading every secret in one BatchGetSecretValue through a filter that only excludes (High)',
      records: [
        ctEvent({ service: 'secretsmanager', name: 'BatchGetSecretValue', identity: appRole, time: at(0), request: { filters: [{ key: 'tag-key', values: ['!tagKeyThatWillNeverExist'] }] } }),
      ],
      expect: [SECRETS],
    },
    {
      name: 'an exclude-only filter beside one that selects a tag: the tagged secrets only (Low for a workload)',
      records: [
        ctEvent({
          service: 'secretsmanager',
          name: 'BatchGetSecretValue',
          identity: appRole,
          time: at(0),
          request: { filters: [{ key: 'tag-key', values: ['!tagKeyThatWillNeverExist'] }, { key: 'tag-key', values: ['orders'] }] },
        }),
      ],
      expect: [SECRETS],
    },
    {
      name: 'sessions started on three instances (Stratus ssm-start-session shape)',
      records: ['i-d3720c7af6fcff2b2', 'i-d0b6dcba8984de148', 'i-ea1d1296c1de3aa1f'].map((id, i) => startSession(id, at(0, 2 * i), iamUser('mallory'))),
      expect: [SSM_EXEC],
    },
    {
      name: 'a new principal’s first shell session, after the learning period',
      records: [startSession('i-0a12b34c56d78e90f', '2026-11-20T10:00:00Z', iamUser('mallory'))],
      settings: { learningDays: 0 },
      expect: [SSM_EXEC],
    },
    {
      name: ON_CALL_SESSIONS,
      records: [
        officeYesterday,
        ...['i-0a1b2c3d4e5f60718', 'i-0b2c3d4e5f6071829', 'i-0c3d4e5f607182930'].map((id, i) => startSession(id, at(i * 4), onCall, OFFICE)),
        sendCommand(['i-0a1b2c3d4e5f60718'], 'AWS-RunShellScript', at(14), onCall, OFFICE),
      ],
      expect: [SSM_EXEC],
    },
    {
      name: 'the same sessions by an IAM user’s long-term key from a hosting provider (Medium)',
      records: [officeYesterday, ...['i-0a1b2c3d4e5f60718', 'i-0b2c3d4e5f6071829', 'i-0c3d4e5f607182930'].map((id, i) => startSession(id, at(i), iamUser('svc-deploy'), HOSTING))],
      expect: [SSM_EXEC],
    },
    {
      name: 'parameters of three environments read by path in a few minutes',
      records: ['/dev/orders/', '/staging/orders/', '/prod/orders/'].map((path, i) => byPath(path, at(0, 20 * i), admin)),
      expect: [PARAMETERS],
    },
    {
      name: 'the whole parameter store read recursively from the root',
      records: [byPath('/', at(0), iamUser('mallory'))],
      expect: [PARAMETERS],
    },
    {
      name: 'ListSecrets, then one BatchGetSecretValue of five named secrets',
      records: [listSecrets(at(0), iamUser('mallory')), batchGet(['prod/orders/db', 'prod/orders/stripe', 'staging/orders/db', 'prod/auth/jwt-signing', 'prod/partner/api'], at(0, 5), iamUser('mallory'))],
      expect: [SECRETS],
    },
    {
      name: 'two named secrets batch-read right after listing them',
      records: [listSecrets(at(0), iamUser('mallory')), batchGet(['prod/orders/db', 'prod/orders/stripe'], at(0, 5), iamUser('mallory'))],
      expect: [SECRETS],
    },
    {
      name: 'notebook given a new lifecycle script (Stratus sagemaker-update-lifecycle-config shape)',
      records: [
        ctEvent({ service: 'sagemaker', name: 'CreateNotebookInstanceLifecycleConfig', identity: iamUser('mallory'), time: at(0), request: { notebookInstanceLifecycleConfigName: 'evil', onStart: [{ content: 'HIDDEN' }] } }),
        ctEvent({ service: 'sagemaker', name: 'UpdateNotebookInstance', identity: iamUser('mallory'), time: at(1), request: { notebookInstanceName: 'research', lifecycleConfigName: 'evil' } }),
      ],
      expect: [NOTEBOOK],
    },
    {
      name: 'secrets probed and mostly denied by a workload role',
      records: repeated(6, at(0), 0.1, (time, i) => ({ ...getSecret(`prod/db-${i}`, time, appRole), errorCode: 'AccessDeniedException', errorMessage: 'not authorized' })),
      expect: [SECRETS],
    },
    {
      name: 'Panther: one parameter; eleven in one call (below the 20 a parameter store needs)',
      datasets: [
        { panther: 'AWS.SSM.DecryptSSMParams', test: 'Single Secret Accessed in Single Event' },
        { panther: 'AWS.SSM.DecryptSSMParams', test: 'Multiple Secrets Accessed in Same Event' },
      ],
      expect: [],
    },
    { name: 'Panther: parameters read without decryption', datasets: [{ panther: 'AWS.SSM.DecryptSSMParams', test: "Accessed Parameters Aren't Encrypted" }], expect: [] },
    { name: 'Panther: one denied secret read', datasets: [{ panther: 'AWS.SecretsManager.RetrieveSecrets', test: 'GetSecretValue Denied' }], expect: [] },
    {
      name: 'a BatchGetSecretValue seen through a VPC endpoint (network activity event, no request recorded)',
      records: [networkActivity(ctEvent({ service: 'secretsmanager', name: 'BatchGetSecretValue', identity: admin, time: at(0), ip: '10.0.141.54' }))],
      expect: [],
    },
    {
      name: 'patching through Run Command, State Manager associations, first sessions during learning',
      records: [
        sendCommand(['i-01', 'i-02', 'i-03', 'i-04'], 'AWS-RunPatchBaseline', at(0), admin),
        { ...sendCommand(['i-05'], 'AWS-RunShellScript', at(1), awsService('ssm.amazonaws.com')), sourceIPAddress: 'ssm.amazonaws.com' },
        startSession('i-0a12b34c56d78e90f', at(2), admin),
      ],
      expect: [],
    },
    {
      name: 'an operator who runs commands across the fleet every week',
      records: [
        sendCommand(['i-01', 'i-02', 'i-03'], 'AWS-RunShellScript', '2026-10-20T10:00:00Z', admin),
        sendCommand(['i-01', 'i-02', 'i-03', 'i-04'], 'AWS-RunShellScript', '2026-11-02T10:00:00Z', admin),
      ],
      // Reported the first time (fan-out by a principal never seen doing it), a habit since.
      expect: [SSM_EXEC],
    },
    {
      name: 'an app reading eight secrets at start-up; a developer reading three parameters',
      records: [
        ...repeated(8, at(0), 0.05, (time, i) => getSecret(`orders/config-${i}`, time, appRole)),
        ctEvent({ service: 'ssm', name: 'GetParameters', identity: iamUser('dave'), time: at(5), request: { names: ['/app/db', '/app/api', '/app/flag'], withDecryption: true } }),
      ],
      expect: [],
    },
    {
      name: 'a developer pulling dev and staging configuration by path (chamber, direnv)',
      records: [byPath('/dev/orders/', at(0), admin, false), byPath('/staging/orders/', at(0, 30), admin, false)],
      expect: [],
    },
    {
      name: 'a developer browsing four secrets in the console after listing them; an app batch-reading its two secrets',
      records: [
        listSecrets(at(0), admin, { userAgent: CONSOLE_AGENT }),
        ...['prod/orders/db', 'prod/orders/stripe', 'prod/auth/jwt', 'prod/partner/api'].map((id, i) => getSecret(id, at(1 + i), admin, { userAgent: CONSOLE_AGENT })),
        batchGet(['orders/config', 'orders/db'], at(2), appRole),
      ],
      expect: [],
    },
    {
      name: 'an SSO operator whose commands are a habit under another permission set',
      records: [
        startSession('i-0a1b2c3d4e5f60718', '2026-11-01T09:00:00Z', assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'frank@acme.example'), OFFICE),
        ...['i-0a1b2c3d4e5f60718', 'i-0b2c3d4e5f6071829', 'i-0c3d4e5f607182930'].map((id, i) => startSession(id, at(i), onCall, HOSTING)),
      ],
      expect: [],
    },
    {
      name: 'Terraform detaching a lifecycle configuration',
      records: [
        ctEvent({ service: 'sagemaker', name: 'UpdateNotebookInstance', identity: assumedRole('TerraformApply', 'ci'), time: at(0), userAgent: TERRAFORM_AGENT, request: { notebookInstanceName: 'research', disassociateLifecycleConfig: true } }),
      ],
      expect: [],
    },
  ],
};
