import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, ACCOUNT, CONSOLE_AGENT, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { accountOf, type BoundedMap, boundedMap, getEntry, isAwsServiceCall, isExternalAccount, isIacAgent, isLongTermKey, obj, personVars, setEntry, str, wasHabit } from './gumshoe-common.js';

/**
 * Account- and organization-wide guardrails taken away: EBS encryption by default turned off (new volumes and
 * snapshot copies land unencrypted, and can then be shared out), the default EBS key switched to another
 * account's KMS key (every new volume then depends on a key the attacker can revoke: ransomware set-up), and
 * service or resource control policies detached, deleted or switched off at the root, and a web application
 * firewall taken off a load balancer, API, user pool or CloudFront distribution (its rules no longer stop the
 * injection or credential stuffing they blocked).
 *
 * Turning encryption off and removing an SCP are Medium, Low through infrastructure as code or for a
 * principal that did the same on an earlier day (an organization team reshaping its OUs). A default key in an
 * outside account is High, Low through IaC (a central key account not declared as the organization's).
 * A web ACL removed is Low, Medium for an IAM user's or root's long-term key outside IaC and habits. A web ACL
 * cannot be deleted while still associated (WAF refuses), so the disassociation is what is logged.
 */
const ENCRYPTION_OFF = 'DefenseEvasion:EC2/EbsEncryptionByDefaultDisabled.Gumshoe';
const FOREIGN_KEY = 'Impact:EC2/EbsDefaultKeyInOutsideAccount.Gumshoe';
const GUARDRAIL = 'DefenseEvasion:Organizations/GuardrailRemoved.Gumshoe';
const WAF_REMOVED = 'DefenseEvasion:WAF/WebAclRemoved.Gumshoe';

/** Organizations policy types that restrict what accounts may do (tag, backup and AI opt-out policies do not). */
const GUARDRAIL_TYPES = new Set(['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY']);
/** AWS's allow-everything SCP: detaching it restricts the target, it frees nothing. */
const FULL_ACCESS = 'p-FullAWSAccess';

interface GuardrailState {
  /** Organizations policy id → its type and name, from CreatePolicy. */
  policies: BoundedMap<{ type: string; name: string }>;
  habits: BoundedMap<number>;
  /** CloudFront distribution id → its web ACL, from its create and update calls. */
  distributionAcls?: BoundedMap<string>;
}

const state = (context: DetectionContext) => context.state<GuardrailState>('account-guardrails', () => ({ policies: boundedMap(), habits: boundedMap() }));

/** Low through IaC or when the principal made the same change on an earlier day; the type's own otherwise. */
function routineSeverity(event: ApiEvent, context: DetectionContext): number | undefined {
  const habit = wasHabit(state(context).habits, `${event.principalKey}|${event.api}`, event.time);
  return habit || isIacAgent(event.userAgent) ? 2 : undefined;
}

/** EC2 logs these requests wrapped (`ModifyEbsDefaultKmsKeyIdRequest.KmsKeyId`); SDK shapes name it at the top. */
function requestedKey(event: ApiEvent): string | undefined {
  const request = event.request ?? {};
  const wrapped = obj(request.ModifyEbsDefaultKmsKeyIdRequest) ?? request;
  return str(wrapped.KmsKeyId) ?? str(wrapped.kmsKeyId);
}

function onDefaultKey(event: ApiEvent, context: DetectionContext): void {
  // A key id or alias name is the account's own; only an ARN can name another account's key.
  const key = requestedKey(event);
  const account = key ? accountOf(key) : null;
  if (!key || !account || !isExternalAccount(account, event, context.settings)) return;
  context.emit({
    type: FOREIGN_KEY,
    event,
    severity: isIacAgent(event.userAgent) ? 2 : undefined,
    aggregateBy: key,
    remoteAccount: { accountId: account, affiliated: false },
    vars: { ...personVars(event), key, keyAccount: account },
  });
}

function onPolicyCreated(event: ApiEvent, context: DetectionContext): void {
  const summary = obj(obj(event.response?.policy)?.policySummary);
  const id = str(summary?.id);
  const type = str(summary?.type) ?? str(event.request?.type);
  if (id && type) setEntry(state(context).policies, id, { type, name: str(summary?.name) ?? str(event.request?.name) ?? id }, 2000);
}

/** What the call removes, or null when it frees nothing (another policy type, the allow-all SCP). */
function guardrailRemoval(event: ApiEvent, context: DetectionContext): { aggregate: string; change: string } | null {
  const request = event.request ?? {};
  if (event.api === 'DisablePolicyType') {
    const type = str(request.policyType) ?? '';
    if (!GUARDRAIL_TYPES.has(type)) return null;
    const root = str(request.rootId) ?? 'the root';
    return { aggregate: `${root}:${type}`, change: `${type} was disabled at ${root}, so none of those policies applies to any account any more` };
  }
  const id = str(request.policyId);
  if (!id || id === FULL_ACCESS) return null;
  // An unknown id (created before the lake's logs) is taken as an SCP: most Organizations policies are.
  const known = getEntry(state(context).policies, id);
  if (known && !GUARDRAIL_TYPES.has(known.type)) return null;
  const policy = known ? `${known.name} (${id})` : id;
  if (event.api === 'DeletePolicy') return { aggregate: id, change: `policy ${policy} was deleted` };
  return { aggregate: id, change: `policy ${policy} was detached from ${str(request.targetId) ?? 'its target'}` };
}

/** An IAM user's or root's access key (AKIA…): long-lived, and what leaks. */

/** The resource a call takes a web ACL off, or null: a CloudFront update emptying a web ACL it is known to have had. */
function wafRemovedFrom(event: ApiEvent, context: DetectionContext): string | null {
  const request = event.request ?? {};
  if (event.api === 'DisassociateWebACL') return str(request.resourceArn) ?? str(request.ResourceArn) ?? 'a resource';
  if (event.api === 'DisassociateDistributionWebACL') return `CloudFront distribution ${str(request.id) ?? str(request.Id) ?? 'unknown'}`;
  const acls = (state(context).distributionAcls ??= boundedMap());
  const config = obj(request.distributionConfig) ?? obj(obj(request.distributionConfigWithTags)?.distributionConfig);
  const id = str(request.id) ?? str(obj(event.response?.distribution)?.id);
  if (!config || !id || !('webACLId' in config)) return null;
  const acl = str(config.webACLId) ?? '';
  const before = getEntry(acls, id);
  setEntry(acls, id, acl, 2000);
  return event.api === 'UpdateDistribution' && acl === '' && before ? `CloudFront distribution ${id}` : null;
}

function onWebAclRemoval(event: ApiEvent, context: DetectionContext): void {
  const resource = wafRemovedFrom(event, context);
  if (!resource) return;
  const routine = routineSeverity(event, context);
  context.emit({ type: WAF_REMOVED, event, severity: routine ?? (isLongTermKey(event) ? 5 : 2), aggregateBy: resource, vars: { ...personVars(event), resource } });
}

const WAF_APIS = ['DisassociateWebACL', 'DisassociateDistributionWebACL', 'UpdateDistribution', 'CreateDistribution', 'CreateDistributionWithTags'];

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event)) return;
  if (WAF_APIS.includes(event.api)) return onWebAclRemoval(event, context);
  if (event.api === 'ModifyEbsDefaultKmsKeyId') return onDefaultKey(event, context);
  if (event.api === 'DisableEbsEncryptionByDefault') {
    context.emit({ type: ENCRYPTION_OFF, event, severity: routineSeverity(event, context), aggregateBy: event.region ?? '', vars: { ...personVars(event) } });
    return;
  }
  // CreatePolicy and DeletePolicy are IAM's too.
  if (event.serviceShort !== 'organizations') return;
  if (event.api === 'CreatePolicy') return onPolicyCreated(event, context);
  const removal = guardrailRemoval(event, context);
  if (removal) context.emit({ type: GUARDRAIL, event, severity: routineSeverity(event, context), aggregateBy: removal.aggregate, vars: { ...personVars(event), change: removal.change } });
}

// ---- cases ----

const mallory = iamUser('mallory');
const orgAdmin = assumedRole('AWSReservedSSO_OrgAdmin_5e6f7a8b', 'dana@example.com');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const ec2 = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = mallory, userAgent?: string, region?: string) =>
  ctEvent({ service: 'ec2', name, request, time, identity, userAgent, region });
const keyArn = (account: string) => `arn:aws:kms:us-east-1:${account}:key/7d3e1f0a-2b4c-4d6e-8f1a-3c5e7a9b1d2f`;
const defaultKey = (key: string, time: string, identity: Record<string, unknown> = mallory, userAgent?: string) =>
  ec2('ModifyEbsDefaultKmsKeyId', { ModifyEbsDefaultKmsKeyIdRequest: { KmsKeyId: key } }, time, identity, userAgent);
const encryptionOff = (time: string, identity: Record<string, unknown> = mallory, userAgent?: string, region?: string) =>
  ec2('DisableEbsEncryptionByDefault', { DisableEbsEncryptionByDefaultRequest: '' }, time, identity, userAgent, region);
const org = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = orgAdmin, userAgent?: string, response?: Record<string, unknown>) =>
  ctEvent({ service: 'organizations', name, request, response, time, identity, userAgent });
const createPolicy = (id: string, name: string, type: string, time: string) =>
  org('CreatePolicy', { name, type, description: name, content: '{"Version":"2012-10-17","Statement":[]}' }, time, terraform, TERRAFORM_AGENT, {
    policy: { policySummary: { id, arn: `arn:aws:organizations::${ACCOUNT}:policy/o-abc123def4/${type.toLowerCase()}/${id}`, name, type, awsManaged: false } },
  });

const albArn = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/${name}/50dc6c495c0c9188`;
const disassociate = (resourceArn: string, time: string, identity: Record<string, unknown> = mallory, userAgent?: string, service = 'wafv2') =>
  ctEvent({ service, name: 'DisassociateWebACL', request: { resourceArn }, time, identity, userAgent });
const WEB_ACL = `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/edge-protection/a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d`;
/** UpdateDistribution of E2QWRUHAPOMQZL setting its web ACL to `webACLId` ('' removes it). */
const updateDistribution = (webACLId: string, time: string, identity: Record<string, unknown>, userAgent?: string) =>
  ctEvent({
    service: 'cloudfront',
    name: 'UpdateDistribution',
    time,
    identity,
    userAgent,
    request: { id: 'E2QWRUHAPOMQZL', ifMatch: 'E2QWRUHEXAMPLE', distributionConfig: { callerReference: 'site-2026', comment: 'www', enabled: true, webACLId, priceClass: 'PriceClass_100', httpVersion: 'http2' } },
    response: { distribution: { id: 'E2QWRUHAPOMQZL', status: 'InProgress', domainName: 'd111111abcdef8.cloudfront.net' } },
  });

const EVASION = 'TA0005 Defense Evasion';

export const accountGuardrails: ApiDetection = {
  id: 'gumshoe-account-guardrails',
  source: 'cloudtrail',
  apis: ['DisableEbsEncryptionByDefault', 'ModifyEbsDefaultKmsKeyId', 'CreatePolicy', 'DetachPolicy', 'DeletePolicy', 'DisablePolicyType', ...WAF_APIS],
  types: [
    {
      type: ENCRYPTION_OFF,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1562 Impair Defenses' },
      title: 'EBS encryption by default was turned off in {region}.',
      description: '{principal} called DisableEbsEncryptionByDefault from {ip}. New EBS volumes and snapshot copies in {region} are no longer encrypted unless asked for, so their data can be shared with other accounts without a key grant.',
      remediation: 'Turn it back on (EnableEbsEncryptionByDefault), look for volumes and snapshots created or copied unencrypted since, and deny ec2:DisableEbsEncryptionByDefault with an SCP.',
    },
    {
      type: FOREIGN_KEY,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1486 Data Encrypted for Impact' },
      title: 'The default EBS encryption key in {region} is now a key of outside account {keyAccount}.',
      description: '{principal} called ModifyEbsDefaultKmsKeyId from {ip}, making {key}, a KMS key of account {keyAccount} outside the organization, the default key for new EBS volumes. Whoever owns that key can revoke access to every volume encrypted under it: the set-up of a ransomware attack.',
      remediation: 'Reset the default key (ResetEbsDefaultKmsKeyId), find volumes and snapshots encrypted under the outside key since and copy them under your own key while it still works, and rotate the caller’s credentials.',
    },
    {
      type: GUARDRAIL,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1484 Domain or Tenant Policy Modification' },
      title: 'An organization guardrail was removed: {change}.',
      description: '{principal} called {api} from {ip}: {change}. Whatever the policy denied (leaving the organization, turning off CloudTrail or GuardDuty, using other regions) is allowed again in the accounts it covered.',
      remediation: 'Confirm the change with the organization’s owners. If unplanned, reattach or recreate the policy (or re-enable the policy type), review what the affected accounts did meanwhile, and rotate the caller’s credentials.',
    },
    {
      type: WAF_REMOVED,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1562.007 Impair Defenses: Disable or Modify Cloud Firewall' },
      title: 'The web application firewall was removed from {resource}.',
      description: '{principal} called {api} from {ip}: {resource} is no longer behind its AWS WAF web ACL. Requests its rules blocked (injection, credential stuffing, bad bots, blocked countries and addresses) now reach the application.',
      remediation: 'If the change was not planned, associate the web ACL again (AssociateWebACL, or the distribution’s web ACL setting), review the application’s logs since for attacks the rules would have stopped, and rotate the caller’s credentials.',
    },
  ],
  onEvent,
  cases: () => [
    {
      name: 'EBS encryption by default turned off in two regions, then the default key set to an outside account’s (Medium, High)',
      records: [encryptionOff('2026-11-02T10:00:00Z'), encryptionOff('2026-11-02T10:00:30Z', mallory, undefined, 'eu-west-1'), defaultKey(keyArn(OTHER_ACCOUNT), '2026-11-02T10:01:00Z')],
      expect: [ENCRYPTION_OFF, FOREIGN_KEY],
    },
    {
      name: 'Terraform turning EBS default encryption off (Low)',
      records: [encryptionOff('2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT)],
      expect: [ENCRYPTION_OFF],
    },
    {
      name: 'default EBS key set to our own key (by id, alias and ARN) and to the organization’s central key account; encryption turned back on; a refused change',
      records: [
        defaultKey('7d3e1f0a-2b4c-4d6e-8f1a-3c5e7a9b1d2f', '2026-11-02T10:00:00Z', orgAdmin, CONSOLE_AGENT),
        defaultKey('alias/ebs-default', '2026-11-02T10:01:00Z', orgAdmin),
        defaultKey(keyArn(ACCOUNT), '2026-11-02T10:02:00Z', orgAdmin),
        defaultKey(keyArn('777788889999'), '2026-11-02T10:03:00Z', terraform, TERRAFORM_AGENT),
        ec2('ResetEbsDefaultKmsKeyId', { ResetEbsDefaultKmsKeyIdRequest: '' }, '2026-11-02T10:04:00Z', orgAdmin),
        ec2('EnableEbsEncryptionByDefault', { EnableEbsEncryptionByDefaultRequest: '' }, '2026-11-02T10:05:00Z', orgAdmin),
        { ...encryptionOff('2026-11-02T10:06:00Z', iamUser('intern')), errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' },
      ],
      settings: { organizationAccounts: ['777788889999'] },
      expect: [],
    },
    {
      name: 'an SCP detached from an OU then deleted, and SCPs disabled at the root, through the CLI (Medium)',
      records: [
        org('DetachPolicy', { policyId: 'p-7fh3kq2m', targetId: 'ou-ab12-cd34ef56' }, '2026-11-02T10:00:00Z', mallory),
        org('DeletePolicy', { policyId: 'p-7fh3kq2m' }, '2026-11-02T10:00:20Z', mallory),
        org('DisablePolicyType', { rootId: 'r-ab12', policyType: 'SERVICE_CONTROL_POLICY' }, '2026-11-02T10:01:00Z', mallory, undefined, { root: { id: 'r-ab12', policyTypes: [] } }),
      ],
      expect: [GUARDRAIL],
    },
    {
      name: 'Terraform detaching an SCP it created (Low)',
      records: [
        createPolicy('p-9xk2ab7c', 'deny-leave-organization', 'SERVICE_CONTROL_POLICY', '2026-10-01T09:00:00Z'),
        org('DetachPolicy', { policyId: 'p-9xk2ab7c', targetId: 'ou-ab12-cd34ef56' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [GUARDRAIL],
    },
    {
      name: 'a tag policy detached and tag policies disabled; the allow-all SCP detached; a refused detach; Control Tower’s own changes',
      records: [
        createPolicy('p-3tg8mn4q', 'cost-center-tags', 'TAG_POLICY', '2026-10-01T09:00:00Z'),
        org('DetachPolicy', { policyId: 'p-3tg8mn4q', targetId: 'ou-ab12-cd34ef56' }, '2026-11-02T10:00:00Z'),
        org('DisablePolicyType', { rootId: 'r-ab12', policyType: 'TAG_POLICY' }, '2026-11-02T10:01:00Z'),
        org('DetachPolicy', { policyId: 'p-FullAWSAccess', targetId: 'ou-ab12-sandbox1' }, '2026-11-02T10:02:00Z'),
        { ...org('DetachPolicy', { policyId: 'p-7fh3kq2m', targetId: 'ou-ab12-cd34ef56' }, '2026-11-02T10:03:00Z', iamUser('intern')), errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
        org('DetachPolicy', { policyId: 'p-ct8guard', targetId: 'ou-ab12-cd34ef56' }, '2026-11-02T10:04:00Z', { ...assumedRole('AWSControlTowerAdmin', 'controltower-session'), invokedBy: 'controltower.amazonaws.com' }),
      ],
      expect: [],
    },
    { name: 'a web ACL taken off a load balancer by an IAM user’s long-term key (Medium)', records: [disassociate(albArn('web'), '2026-11-02T10:00:00Z')], expect: [WAF_REMOVED] },
    {
      name: 'a classic regional web ACL removed by an SSO session, and a CloudFront distribution’s web ACL emptied by Terraform (Low)',
      records: [
        disassociate(`arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod`, '2026-11-02T10:00:00Z', orgAdmin, undefined, 'waf-regional'),
        updateDistribution(WEB_ACL, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        updateDistribution('', '2026-11-02T10:05:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [WAF_REMOVED],
    },
    {
      name: 'CloudFront updates that keep or add a web ACL, one of a distribution never seen with one, a refused disassociation, Firewall Manager at work',
      records: [
        updateDistribution(WEB_ACL, '2026-11-02T10:00:00Z', orgAdmin, CONSOLE_AGENT),
        updateDistribution(WEB_ACL, '2026-11-02T10:01:00Z', orgAdmin, CONSOLE_AGENT),
        ctEvent({ service: 'cloudfront', name: 'UpdateDistribution', time: '2026-11-02T10:02:00Z', identity: orgAdmin, request: { id: 'E3NEWDISTRO1', ifMatch: 'E3EX', distributionConfig: { comment: 'docs', enabled: true, webACLId: '' } } }),
        { ...disassociate(albArn('api'), '2026-11-02T10:03:00Z', iamUser('intern')), errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
        disassociate(albArn('shop'), '2026-11-02T10:04:00Z', { ...assumedRole('AWSServiceRoleForFMS', 'fms-session'), invokedBy: 'fms.amazonaws.com' }),
      ],
      expect: [],
    },
    {
      name: 'EBS encryption re-enabled after an outage, and AWS Backup’s service role at work',
      records: [ec2('EnableEbsEncryptionByDefault', { EnableEbsEncryptionByDefaultRequest: '' }, '2026-11-02T10:00:00Z'), encryptionOff('2026-11-02T10:01:00Z', awsService('backup.amazonaws.com'))],
      expect: [],
    },
  ],
};
