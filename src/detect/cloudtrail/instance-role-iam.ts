import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, instanceRole, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, instanceOfSession, isAwsServiceCall, isIacAgent, str, wasHabit } from './gumshoe-common.js';

/**
 * IAM changed with an EC2 instance's role credentials. Applications on instances read and write data; they
 * do not make users, keys or policies. Stolen instance credentials do (SCARLETEEL and the cryptojacking
 * crews create a user with a key or console password to outlive the instance's rotating session).
 *
 * High for new credentials (a user, an access key, a console password); Medium for policy, trust and
 * group changes; Low through IaC running on the instance (a CI runner applying Terraform) and for a role
 * whose instances changed IAM on an earlier day (a build fleet doing it by CLI). Refused attempts are
 * EscalationAttemptDenied's.
 */
const INSTANCE_IAM = 'Persistence:EC2/IamChangedFromInstance.Gumshoe';

const CREDENTIAL_APIS = new Set(['CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile']);
const POLICY_APIS = [
  'AttachUserPolicy',
  'AttachRolePolicy',
  'AttachGroupPolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'PutGroupPolicy',
  'AddUserToGroup',
  'CreateRole',
  'UpdateAssumeRolePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeleteUserPermissionsBoundary',
  'DeleteRolePermissionsBoundary',
];

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('instance-iam-writers', boundedMap);

/** The user, role, group or policy the call changed. */
function target(event: ApiEvent): string {
  const request = event.request ?? {};
  return str(request.userName) ?? str(request.roleName) ?? str(request.groupName) ?? str(request.policyArn) ?? 'unknown';
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || event.service !== 'iam.amazonaws.com' || isAwsServiceCall(event)) return;
  const instanceId = instanceOfSession(event);
  if (!instanceId) return;
  const habitual = wasHabit(habits(context), event.principalKey, event.time);
  const credentials = CREDENTIAL_APIS.has(event.api);
  const severity = habitual || isIacAgent(event.userAgent) ? 2 : credentials ? 8 : undefined;
  context.emit({ type: INSTANCE_IAM, event, severity, instance: { instanceId }, aggregateBy: `${event.api}:${target(event)}`, vars: { instanceId, target: target(event) } });
}

const web = instanceRole('web-app', 'i-0a1b2c3d4e5f60718');
const iam = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = web, userAgent?: string) => ctEvent({ service: 'iam', name, request, time, identity, userAgent, ip: '203.0.113.91' });

export const instanceRoleIam: ApiDetection = {
  id: 'gumshoe-instance-role-iam',
  source: 'cloudtrail',
  apis: [...CREDENTIAL_APIS, ...POLICY_APIS],
  types: [
    {
      type: INSTANCE_IAM,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1098 Account Manipulation' },
      title: 'IAM was changed with the role credentials of EC2 instance {instanceId}.',
      description: 'The role session of instance {instanceId} called {api} on {target} from {ip}. Workloads on instances rarely manage IAM; an attacker holding the instance’s credentials makes users, keys and policies that outlive them.',
      remediation: 'Check what runs on the instance and whether it is meant to manage IAM. If not, undo the change (delete the user, key or login profile; detach the policy), remove IAM write permissions from the instance role, and investigate the instance for compromise (IMDS access, SSRF).',
    },
  ],
  onEvent,
  cases: () => [
    {
      name: 'stolen instance credentials create a user, its access key and an admin attachment',
      records: [
        iam('CreateUser', { userName: 'backup-svc' }, '2026-11-03T03:00:00Z'),
        iam('CreateAccessKey', { userName: 'backup-svc' }, '2026-11-03T03:00:05Z'),
        iam('AttachUserPolicy', { userName: 'backup-svc', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, '2026-11-03T03:00:09Z'),
      ],
      expect: [INSTANCE_IAM],
    },
    {
      name: 'a CI runner applying Terraform from its instance (Low)',
      records: [iam('CreateRole', { roleName: 'app-task', assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}' }, '2026-11-03T03:00:00Z', instanceRole('ci-runner', 'i-0f9e8d7c6b5a40312'), TERRAFORM_AGENT)],
      expect: [INSTANCE_IAM],
    },
    {
      name: 'IAM changes by a person and by a pipeline role; a refused instance call',
      records: [
        iam('CreateUser', { userName: 'dana' }, '2026-11-03T03:00:00Z', assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com')),
        iam('AttachRolePolicy', { roleName: 'app-task', policyArn: 'arn:aws:iam::111122223333:policy/app' }, '2026-11-03T03:01:00Z', assumedRole('DeployPipeline', 'build-77')),
        { ...iam('CreateAccessKey', { userName: 'admin' }, '2026-11-03T03:02:00Z'), errorCode: 'AccessDenied' },
      ],
      expect: [],
    },
  ],
};
