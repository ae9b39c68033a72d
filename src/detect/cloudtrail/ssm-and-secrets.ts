import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, repeated, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  type BoundedMap,
  boundedMap,
  type Burst,
  getEntry,
  HABIT_AGE,
  isAwsServiceCall,
  isIacAgent,
  isPersonLike,
  isProbing,
  learningOver,
  list,
  MINUTE,
  present,
  setEntry,
  str,
  takeEvidence,
  trackBurst,
  wasHabit,
} from './gumshoe-common.js';

/**
 * Remote execution through Systems Manager (Run Command, Session Manager), bulk reads of SecureString
 * parameters and Secrets Manager secrets, and SageMaker notebook lifecycle scripts.
 *
 * People (IAM users, SSO and console sessions) reading many secrets are Medium; workload roles that read
 * their configuration at start-up are Low, and once a principal has done it on an earlier day it is a habit.
 */
const SSM_EXEC = 'Execution:EC2/SsmRemoteExecution.Gumshoe';
const PARAMETERS = 'CredentialAccess:IAMUser/SecureParametersMassDecrypted.Gumshoe';
const SECRETS = 'CredentialAccess:IAMUser/SecretsMassRetrieved.Gumshoe';
const NOTEBOOK = 'Execution:SageMaker/NotebookLifecycleConfigModified.Gumshoe';

const EXEC_WINDOW = 15 * MINUTE;
const FAN_OUT = 3;
const READ_WINDOW = 10 * MINUTE;
/**
 * Distinct secrets, or parameters (stores hold many more of those), read within the window; a call that
 * reads every secret matching a filter, or a whole parameter path, counts as `bulk` of them.
 */
const THRESHOLDS: Record<string, { many: number; bulk: number }> = { [SECRETS]: { many: 10, bulk: 10 }, [PARAMETERS]: { many: 20, bulk: 10 } };
const DENIED_SECRETS = 5;
/** AWS-managed documents that patch, inventory or configure agents rather than run arbitrary commands. */
const MAINTENANCE_DOCUMENT =
  /^(AWS-(RunPatchBaseline|ApplyPatchBaseline|ConfigureAWSPackage|UpdateSSMAgent|UpdateEC2Config|GatherSoftwareInventory|RefreshAssociation|FindWindowsUpdates|InstallWindowsUpdates|ConfigureCloudWatch)|AmazonCloudWatch-|AmazonInspector2-)/;

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('ssm-habits', boundedMap);

// ---- Run Command and Session Manager ----

function onRemoteExecution(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const document = str(request.documentName) ?? (event.api === 'StartSession' ? 'interactive shell' : 'unknown');
  if (MAINTENANCE_DOCUMENT.test(document)) return;
  const instances = event.api === 'StartSession' ? present(request.target) : list(request.instanceIds).map(String);
  const byTag = list(request.targets).length > 0;
  const key = `exec>${event.principalKey}`;
  const first = getEntry(habits(context), key);
  // People who run commands on instances every week are the fleet's operators.
  if (first !== undefined && event.time - first >= HABIT_AGE) return;
  if (first === undefined) setEntry(habits(context), key, event.time, 5000);
  const { burst, evidence } = trackBurst(context, 'exec', event.principalKey, event, instances, EXEC_WINDOW);
  if ((burst.items.length >= FAN_OUT || byTag) && !burst.fired) {
    burst.fired = true;
    const scope = byTag ? 'every instance matching a tag' : `${burst.items.length} instances`;
    context.emit({ type: SSM_EXEC, event, severity: 5, related: takeEvidence(context, evidence, event), vars: { scope, document } });
    return;
  }
  if (first === undefined && learningOver(context, event)) {
    context.emit({ type: SSM_EXEC, event, vars: { scope: `instance ${instances[0] ?? 'unknown'}`, document } });
  }
}

// ---- parameters and secrets ----

const isTrue = (value: unknown) => value === true || value === 'true';

function secretsRead(event: ApiEvent): { items: string[]; bulk: boolean } | null {
  const request = event.request ?? {};
  switch (event.api) {
    case 'GetParameter':
      return isTrue(request.withDecryption) ? { items: present(request.name), bulk: false } : null;
    case 'GetParameters':
      return isTrue(request.withDecryption) ? { items: list(request.names).map(String), bulk: false } : null;
    case 'GetParametersByPath':
      return isTrue(request.withDecryption) ? { items: [`path:${str(request.path) ?? '/'}`], bulk: true } : null;
    case 'GetSecretValue':
      return { items: present(request.secretId), bulk: false };
    case 'BatchGetSecretValue': {
      const ids = list(request.secretIdList).map(String);
      return ids.length ? { items: ids, bulk: false } : { items: ['filter:' + JSON.stringify(request.filters ?? null)], bulk: true };
    }
    default:
      return null;
  }
}

function describeRead(burst: Burst, noun: string): string {
  const named = burst.items.filter((i) => !/^(path|filter):/.test(i)).length;
  const bulk = `every one of the ${noun} under a path or matching a filter (${burst.bulk} bulk call(s))`;
  if (!burst.bulk) return `${named} ${noun}`;
  return named ? `${named} ${noun} by name and ${bulk}` : bulk;
}

function onSecretRead(event: ApiEvent, context: DetectionContext): void {
  const read = secretsRead(event);
  if (!read) return;
  const type = event.serviceShort === 'ssm' ? PARAMETERS : SECRETS;
  const { many, bulk } = THRESHOLDS[type]!;
  const { burst, evidence } = trackBurst(context, type, event.principalKey, event, read.items, READ_WINDOW, { itemCap: 2 * many, bulk: read.bulk });
  const weight = burst.items.length + burst.bulk * (bulk - 1);
  const probing = isProbing(burst, DENIED_SECRETS);
  if (burst.fired || (weight < many && !probing)) return;
  burst.fired = true;
  const related = takeEvidence(context, evidence, event);
  if (wasHabit(habits(context), `${type}>${event.principalKey}`, event.time)) return;
  context.emit({
    type,
    event,
    related,
    severity: isPersonLike(event) || probing ? undefined : 2,
    vars: { what: describeRead(burst, type === PARAMETERS ? 'parameters' : 'secrets'), denied: burst.denied.length },
  });
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
  if (isAwsServiceCall(event)) return;
  switch (event.api) {
    case 'SendCommand':
    case 'StartSession':
      if (!event.failed) onRemoteExecution(event, context);
      return;
    case 'UpdateNotebookInstanceLifecycleConfig':
    case 'UpdateNotebookInstance':
      if (!event.failed) onNotebook(event, context);
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
const sendCommand = (instanceIds: string[], document: string, time: string, identity: Record<string, unknown>) =>
  ctEvent({ service: 'ssm', name: 'SendCommand', identity, time, request: { documentName: document, instanceIds, interactive: false, parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' } });
const startSession = (target: string, time: string, identity: Record<string, unknown>) =>
  ctEvent({ service: 'ssm', name: 'StartSession', identity, time, request: { target }, response: { sessionId: 'x-0123', tokenValue: 'Value hidden due to security reasons.' } });
const getSecret = (name: string, time: string, identity: Record<string, unknown>) =>
  ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity, time, request: { secretId: name } });

export const ssmAndSecrets: ApiDetection = {
  id: 'gumshoe-ssm-and-secrets',
  source: 'cloudtrail',
  apis: [
    'SendCommand',
    'StartSession',
    'GetParameter',
    'GetParameters',
    'GetParametersByPath',
    'GetSecretValue',
    'BatchGetSecretValue',
    'UpdateNotebookInstanceLifecycleConfig',
    'UpdateNotebookInstance',
  ],
  types: [
    {
      type: SSM_EXEC,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0002 Execution', technique: 'T1651 Cloud Administration Command' },
      title: '{principal} ran commands on {scope} through Systems Manager.',
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
      name: 'Terraform detaching a lifecycle configuration',
      records: [
        ctEvent({ service: 'sagemaker', name: 'UpdateNotebookInstance', identity: assumedRole('TerraformApply', 'ci'), time: at(0), userAgent: TERRAFORM_AGENT, request: { notebookInstanceName: 'research', disassociateLifecycleConfig: true } }),
      ],
      expect: [],
    },
  ],
};
