import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, type BurstWindow, flushDeferred, getEntry, HOUR, isAwsServiceCall, isConsoleAgent, isIacAgent, isLongTermKey, keepForRevisit, keptForRevisit, learningOver, list, MINUTE, obj, reportWhenWindowCloses, setEntry, str, trackBurst, wasHabit } from './gumshoe-common.js';

/**
 * Abuse of paid AI and e-mail services with stolen keys. LLMjacking: a principal that does not normally use
 * Bedrock lists the models, switches model access on, or probes invocations, then runs inference. SES
 * enumeration: checking whether the account can send mail and how much, before phishing from it.
 *
 * A principal that already invoked Bedrock on an earlier day is a known user. Console sessions (the
 * Bedrock playground, the SES dashboard) are people looking, not scripts, and are left out of the patterns.
 */
const BEDROCK = 'Impact:Bedrock/ModelInvocationAbuse.Gumshoe';
const SES = 'Discovery:SES/SendingCapabilityEnumeration.Gumshoe';

const INVOKE = new Set(['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream']);
const RECON = new Set(['ListFoundationModels', 'GetFoundationModelAvailability', 'GetModelInvocationLoggingConfiguration']);
const ENABLE_ACCESS = new Set(['PutUseCaseForModelAccess', 'PutFoundationModelEntitlement', 'CreateFoundationModelAgreement']);
const RECON_TO_INVOKE = HOUR;
const FAILED_INVOCATIONS = 3;

const SES_APIS = ['GetAccountSendingEnabled', 'GetSendQuota', 'GetSendStatistics', 'ListIdentities', 'GetIdentityVerificationAttributes', 'ListVerifiedEmailAddresses', 'ListEmailIdentities', 'GetAccount'];
const SES_WINDOW = 15 * MINUTE;
const SES_DISTINCT = 3;
/** Two checks are enough when they ask both who the account sends as and how much it may send (Low). */
const SES_SENDERS = new Set(['ListIdentities', 'ListEmailIdentities', 'ListVerifiedEmailAddresses', 'GetIdentityVerificationAttributes']);
const SES_CAPACITY = new Set(['GetSendQuota', 'GetSendStatistics', 'GetAccount', 'GetAccountSendingEnabled']);
const sesChecksEnough = (apis: string[]) =>
  apis.length >= SES_DISTINCT || (apis.some((api) => SES_SENDERS.has(api)) && apis.some((api) => SES_CAPACITY.has(api)));

interface AiState {
  /** principal → last model enumeration. */
  recon: BoundedMap<number>;
  /** principal → first Bedrock invocation. */
  invokers: BoundedMap<number>;
  habits: BoundedMap<number>;
}

const state = (context: DetectionContext) => context.state<AiState>('ai', () => ({ recon: boundedMap(), invokers: boundedMap(), habits: boundedMap() }));

const followsRecon = (recon: number | undefined, time: number) => recon !== undefined && time >= recon && time - recon <= RECON_TO_INVOKE;
const modelOf = (event: ApiEvent) => str(event.request?.modelId) ?? 'unknown model';

/** `continues`: an invocation reported already, or about to be (a listing delivered late explains it). */
function reconThenInvoke(context: DetectionContext, event: ApiEvent, continues: boolean): void {
  context.emit({ type: BEDROCK, event, severity: 5, continues, vars: { pattern: `listed the foundation models, then invoked ${modelOf(event)}` } });
}

/**
 * A model listing. Delivered late (another file, the next run), it explains the scripted invocation that
 * came just after it and was already judged without it.
 */
function onRecon(event: ApiEvent, context: DetectionContext): void {
  const { recon } = state(context);
  const who = event.principalKey;
  const latest = getEntry(recon, who);
  setEntry(recon, who, Math.max(latest ?? event.time, event.time), 5000);
  const invocation = keptForRevisit(context, 'invocation', who, event.time, event.time + RECON_TO_INVOKE);
  if (invocation && !followsRecon(latest, invocation.time)) reconThenInvoke(context, invocation, true);
}

function onBedrock(event: ApiEvent, context: DetectionContext): void {
  const s = state(context);
  const who = event.principalKey;
  const scripted = !isConsoleAgent(event.userAgent) && !isIacAgent(event.userAgent);
  if (ENABLE_ACCESS.has(event.api)) {
    if (scripted && !event.failed) context.emit({ type: BEDROCK, event, severity: 5, aggregateBy: 'access', vars: { pattern: 'switched on access to foundation models through the API' } });
    return;
  }
  if (RECON.has(event.api)) return onRecon(event, context);
  const first = getEntry(s.invokers, who);
  if (wasHabit(s.invokers, who, event.time, 5000, !event.failed)) return;
  if (scripted && followsRecon(getEntry(s.recon, who), event.time)) return reconThenInvoke(context, event, false);
  if (scripted) keepForRevisit(context, 'invocation', who, event);
  // LLMjacking runs on stolen long-term keys, while applications call Bedrock with role credentials: a user
  // key's first invocation from a script is worth a Low note even while the lake learns.
  const userKey = scripted && isLongTermKey(event);
  if (scripted && event.failed) return onFailedInvocation(event, context, userKey);
  if (event.failed || !(userKey || learningOver(context, event))) return;
  // The principal's first invocation; or one before it that CloudTrail delivered late (the same first use, begun earlier).
  if (first === undefined || event.time < first) context.emit({ type: BEDROCK, event, continues: first !== undefined, vars: { pattern: `invoked ${modelOf(event)} for the first time` } });
}

/**
 * Failing invocations, reported once their window closes: FAILED_INVOCATIONS or more probe which models the
 * key can use (Medium); fewer with a user's long-term key are still someone trying a model (Low: the model
 * not enabled, the use-case form not sent).
 */
function onFailedInvocation(event: ApiEvent, context: DetectionContext, userKey: boolean): void {
  const { burst, evidence } = trackBurst(context, 'bedrock-failures', event.principalKey, event, [modelOf(event)], HOUR);
  const report = (window: BurstWindow) => {
    const probing = burst.calls >= FAILED_INVOCATIONS;
    const pattern = probing
      ? `made ${burst.calls} failing invocations (${window.event.errorCode}), probing which models it can use`
      : `tried to invoke ${modelOf(window.event)} with a user's long-term key (${window.event.errorCode})`;
    context.emit({ type: BEDROCK, ...window, severity: probing ? 5 : 2, vars: { pattern } });
  };
  if (burst.reported || (!burst.fired && (burst.calls >= FAILED_INVOCATIONS || userKey))) {
    burst.fired = true;
    reportWhenWindowCloses(context, evidence, burst, HOUR, event, report);
  }
}

/** SES checks, reported once their window closes: every check it made, whichever run read them. */
function onSes(event: ApiEvent, context: DetectionContext): void {
  if (isConsoleAgent(event.userAgent)) return;
  const { burst, evidence } = trackBurst(context, 'ses', event.principalKey, event, [event.api], SES_WINDOW);
  const report = (window: BurstWindow) =>
    context.emit({ type: SES, ...window, severity: burst.facts?.longTermKey && burst.items.length >= SES_DISTINCT ? 5 : undefined, vars: { apis: burst.items.join(', ') } });
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, SES_WINDOW, event, report);
  if (!sesChecksEnough(burst.items) || burst.fired) return;
  burst.fired = true;
  if (wasHabit(state(context).habits, `ses>${event.principalKey}`, event.time)) return;
  // Stolen keys are mostly long-term IAM user keys (AKIA…).
  burst.facts = { longTermKey: isLongTermKey(event) };
  reportWhenWindowCloses(context, evidence, burst, SES_WINDOW, event, report);
}

/**
 * A Bedrock guardrail removed: deleted, or updated with no filtering policy left (UpdateGuardrail replaces
 * the configuration: a policy it does not carry is gone; content filters all at strength NONE filter
 * nothing). Jailbroken, abusive generation on a stolen account starts there. Medium through an SDK or the
 * CLI by a principal that has not done it on an earlier day; Low from the console or through IaC. Deleting
 * one version of a guardrail, and updates that keep a policy, are routine and not reported.
 */
const GUARDRAIL = 'DefenseEvasion:Bedrock/GuardrailRemoved.Gumshoe';
const GUARDRAIL_APIS = new Set(['DeleteGuardrail', 'UpdateGuardrail']);
const GUARDRAIL_POLICIES = ['topicPolicyConfig', 'wordPolicyConfig', 'sensitiveInformationPolicyConfig', 'contextualGroundingPolicyConfig', 'automatedReasoningPolicyConfig'];

function filtersSomething(request: Record<string, unknown>): boolean {
  const filters = list(obj(request.contentPolicyConfig)?.filtersConfig).map(obj);
  const contentFilter = filters.some((f) => f !== null && [f.strength, f.inputStrength, f.outputStrength].some((level) => level !== undefined && str(level)?.toUpperCase() !== 'NONE'));
  return contentFilter || GUARDRAIL_POLICIES.some((policy) => request[policy] != null);
}

function onGuardrail(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  if (event.failed || (event.api === 'DeleteGuardrail' ? request.guardrailVersion != null : filtersSomething(request))) return;
  const habitual = wasHabit(state(context).habits, `guardrail>${event.principalKey}`, event.time);
  const routine = habitual || isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent);
  const guardrail = str(request.guardrailIdentifier) ?? 'unknown';
  context.emit({ type: GUARDRAIL, event, severity: routine ? 2 : undefined, aggregateBy: guardrail, vars: { guardrail, change: event.api === 'DeleteGuardrail' ? 'was deleted' : 'was updated to filter nothing' } });
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  if (isAwsServiceCall(event)) return;
  if (event.service === 'bedrock.amazonaws.com' && GUARDRAIL_APIS.has(event.api)) onGuardrail(event, context);
  else if (event.service === 'bedrock.amazonaws.com') onBedrock(event, context);
  else if (event.service === 'ses.amazonaws.com') onSes(event, context);
}

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 11, 2, 10, minute, second)).toISOString().replace('.000Z', 'Z');
const stolen = iamUser('ci-deployer');
const bedrock = (name: string, time: string, identity: Record<string, unknown>, request: Record<string, unknown> = {}, extra: { errorCode?: string; userAgent?: string } = {}) =>
  ctEvent({ service: 'bedrock', name, time, identity, request, ...extra });
const claude = { modelId: 'anthropic.claude-v2' };

export const bedrockAndSes: ApiDetection = {
  id: 'gumshoe-bedrock-and-ses',
  source: 'cloudtrail',
  apis: [...INVOKE, ...RECON, ...ENABLE_ACCESS, ...SES_APIS, ...GUARDRAIL_APIS],
  types: [
    {
      type: BEDROCK,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1496 Resource Hijacking' },
      title: '{principal} {pattern} in Bedrock.',
      description: '{principal} {pattern} from {ip} ({api}). Attackers with stolen keys run or resell LLM inference on the victim’s bill (LLMjacking).',
      remediation: 'Confirm the principal is meant to use Bedrock. If not, revoke its credentials, turn on model invocation logging to see the prompts, and limit bedrock:Invoke* to the roles that need it.',
    },
    {
      type: SES,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0007 Discovery', technique: 'T1526 Cloud Service Discovery' },
      title: '{principal} checked what the account can send through SES.',
      description: '{principal} called {apis} within 15 minutes from {ip}. Spammers and phishers check sending status, quotas and verified identities before abusing a compromised account.',
      remediation: 'Confirm with the principal’s owner. If unexpected, revoke its credentials and review SES sending statistics for mail you did not send.',
    },
    {
      type: GUARDRAIL,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.001 Impair Defenses: Disable or Modify Tools' },
      title: 'Bedrock guardrail {guardrail} {change}.',
      description: '{principal} called {api} from {ip}: guardrail {guardrail} {change}. Applications and users that relied on it now get unfiltered model output, which LLM abusers need for the content they resell.',
      remediation: 'Confirm with the owner of the AI application. If unplanned, restore the guardrail from its last version (or recreate it), check model invocations since the change, and limit bedrock:DeleteGuardrail and bedrock:UpdateGuardrail to the team that owns it.',
    },
  ],
  onEvent,
  finish: (context) => flushDeferred(context),
  cases: () => [
    {
      name: 'a guardrail deleted and another stripped of every filter through the CLI',
      records: [
        bedrock('DeleteGuardrail', at(0), stolen, { guardrailIdentifier: 'gr-7k2m9x4p1q' }),
        bedrock('UpdateGuardrail', at(1), stolen, {
          guardrailIdentifier: 'gr-3n8b5v6c2z',
          name: 'support-bot',
          contentPolicyConfig: { filtersConfig: [{ type: 'HATE', inputStrength: 'NONE', outputStrength: 'NONE' }, { type: 'VIOLENCE', inputStrength: 'NONE', outputStrength: 'NONE' }] },
          blockedInputMessaging: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          blockedOutputsMessaging: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        }),
      ],
      expect: [GUARDRAIL],
    },
    {
      name: 'guardrail tuning: filters kept, one version deleted, a guardrail deleted from the console (Low)',
      records: [
        bedrock('UpdateGuardrail', at(0), assumedRole('ml-platform', 'deploy'), {
          guardrailIdentifier: 'gr-3n8b5v6c2z',
          name: 'support-bot',
          contentPolicyConfig: { filtersConfig: [{ type: 'HATE', inputStrength: 'HIGH', outputStrength: 'MEDIUM' }] },
          topicPolicyConfig: { topicsConfig: [{ name: 'investment advice', definition: 'HIDDEN_DUE_TO_SECURITY_REASONS', type: 'DENY' }] },
          blockedInputMessaging: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          blockedOutputsMessaging: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        }),
        bedrock('DeleteGuardrail', at(1), assumedRole('ml-platform', 'deploy'), { guardrailIdentifier: 'gr-3n8b5v6c2z', guardrailVersion: '3' }),
        bedrock('DeleteGuardrail', at(2), assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com'), { guardrailIdentifier: 'gr-old-demo' }, { userAgent: CONSOLE_AGENT }),
      ],
      expect: [GUARDRAIL],
    },
    {
      name: 'models listed, then Claude invoked by a script (Stratus bedrock-invoke-model shape)',
      records: [bedrock('ListFoundationModels', at(0), stolen), bedrock('InvokeModel', at(0, 20), stolen, claude)],
      expect: [BEDROCK],
    },
    {
      name: 'invocations probed with errors, and model access switched on through the API',
      records: [
        bedrock('InvokeModel', at(0), stolen, claude, { errorCode: 'ValidationException' }),
        bedrock('InvokeModel', at(1), stolen, { modelId: 'anthropic.claude-3-sonnet' }, { errorCode: 'AccessDeniedException' }),
        bedrock('InvokeModel', at(2), stolen, { modelId: 'anthropic.claude-3-haiku' }, { errorCode: 'AccessDeniedException' }),
        bedrock('PutUseCaseForModelAccess', at(3), stolen, { formData: 'HIDDEN' }),
      ],
      expect: [BEDROCK],
    },
    {
      name: 'a lone invocation with a user’s long-term key while the lake still learns, and a lone refused one (Low)',
      records: [
        bedrock('InvokeModel', at(0), stolen, { modelId: 'anthropic.claude-3-sonnet-20240229-v1:0' }),
        bedrock('InvokeModel', at(1), iamUser('contractor'), claude, { errorCode: 'AccessDeniedException' }),
      ],
      technique: 'aws.impact.bedrock-invoke-model',
      expect: [BEDROCK],
    },
    {
      name: 'while learning: a role’s first invocation, a user’s from the console, a user’s refused from Terraform',
      records: [
        bedrock('InvokeModel', at(0), assumedRole('new-chatbot', 'fn'), claude),
        bedrock('InvokeModel', at(1), iamUser('dana'), claude, { userAgent: CONSOLE_AGENT }),
        bedrock('InvokeModel', at(2), iamUser('platform-ci'), claude, { userAgent: TERRAFORM_AGENT, errorCode: 'AccessDeniedException' }),
      ],
      expect: [],
    },
    {
      name: 'a principal’s first invocation after the learning period (Low)',
      records: [bedrock('InvokeModel', '2026-12-20T10:00:00Z', assumedRole('new-chatbot', 'fn'), claude)],
      settings: { learningDays: 0 },
      expect: [BEDROCK],
    },
    {
      name: 'Panther (four SES checks by one session, as Stratus ses-enumerate makes them)',
      datasets: [
        { panther: 'AWS.CloudTrail.SES.CheckSESSendingEnabled', test: 'CheckSendingEnabled Event' },
        { panther: 'AWS.CloudTrail.SES.CheckSendQuota', test: 'GetSendQuota Event' },
        { panther: 'AWS.CloudTrail.SES.ListIdentities', test: 'ListIdentities Event' },
        { panther: 'AWS.CloudTrail.SES.CheckIdentityVerifications', test: 'GetIdentityVerificationStatus Event' },
      ],
      expect: [SES],
    },
    {
      name: 'identities listed, then the send quota, by an assumed role (Stratus ses-enumerate’s two-call version; Low)',
      records: ['ListIdentities', 'GetSendQuota'].map((api, i) => ctEvent({ service: 'ses', name: api, time: at(0, i), identity: assumedRole('stratus-red-team-ses-enumerate-role', 'aws-go-sdk-1722375070115152000') })),
      technique: 'aws.discovery.ses-enumerate',
      expect: [SES],
    },
    {
      name: 'a quota monitor reading the send quota and sending statistics',
      records: [0, 5].flatMap((m) => ['GetSendQuota', 'GetSendStatistics'].map((api, i) => ctEvent({ service: 'ses', name: api, time: at(m, i), identity: iamUser('ses-metrics-exporter') }))),
      expect: [],
    },
    { name: 'Panther: one SES quota check', datasets: [{ panther: 'AWS.CloudTrail.SES.CheckSendQuota', test: 'GetSendQuota Event' }], expect: [] },
    { name: 'Panther: Trusted Advisor checking the SES quota', datasets: [{ panther: 'AWS.CloudTrail.SES.CheckSendQuota', test: 'GetSendQuota from Trusted Advisor (Should Not Alert)' }], expect: [] },
    {
      name: 'the Bedrock playground in the console; an app that has used Bedrock for weeks; first use during learning',
      records: [
        bedrock('ListFoundationModels', at(0), assumedRole('AWSReservedSSO_Dev_1a2b', 'dana@example.com'), {}, { userAgent: CONSOLE_AGENT }),
        bedrock('InvokeModel', at(1), assumedRole('AWSReservedSSO_Dev_1a2b', 'dana@example.com'), claude, { userAgent: CONSOLE_AGENT }),
        bedrock('InvokeModel', '2026-11-30T10:00:00Z', assumedRole('support-bot', 'fn')),
        bedrock('ListFoundationModels', at(2), assumedRole('support-bot', 'fn')),
        bedrock('InvokeModel', at(3), assumedRole('support-bot', 'fn'), claude),
        bedrock('InvokeModel', at(4), assumedRole('support-bot', 'fn'), claude, { errorCode: 'ThrottlingException' }),
        bedrock('InvokeModel', at(5), assumedRole('support-bot', 'fn'), claude, { errorCode: 'ThrottlingException' }),
        bedrock('InvokeModel', at(6), assumedRole('support-bot', 'fn'), claude, { errorCode: 'ThrottlingException' }),
        bedrock('InvokeModel', at(7), assumedRole('summarizer', 'fn'), claude),
        bedrock('CreateFoundationModelAgreement', at(8), assumedRole('TerraformApply', 'ci'), { modelId: 'anthropic.claude-v2' }, { userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
    {
      name: 'the SES console dashboard; an app checking its quota',
      records: [
        ...['GetSendQuota', 'GetAccountSendingEnabled', 'ListIdentities', 'GetSendStatistics'].map((api, i) => ctEvent({ service: 'ses', name: api, time: at(0, i), identity: assumedRole('AWSReservedSSO_Marketing_9z8y', 'mia@example.com'), userAgent: CONSOLE_AGENT })),
        ...[0, 5, 10].map((m) => ctEvent({ service: 'ses', name: 'GetSendQuota', time: at(m), identity: assumedRole('mailer', 'task') })),
      ],
      expect: [],
    },
  ],
};
