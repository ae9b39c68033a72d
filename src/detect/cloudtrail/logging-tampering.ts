import type { ApiEvent } from '../api-event.js';
import { ACCOUNT, assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  type BoundedMap,
  boundedMap,
  cancelHeldWhere,
  DAY,
  deleteEntry,
  finishHeld,
  getEntry,
  holdSignal,
  HOUR,
  isAwsServiceCall,
  isIacAgent,
  list,
  obj,
  objects,
  ownAccount,
  MINUTE,
  personVars,
  policyDocument,
  releaseHeld,
  setEntry,
  str,
  wasHabit,
} from './gumshoe-common.js';
import { securityService } from './findings-suppression.js';
import { bucketDetail } from './s3-resources.js';

/**
 * Logging and monitoring tampering that GuardDuty's Stealth:IAMUser/CloudTrailLoggingDisabled does not
 * cover (it sees StopLogging and DeleteTrail): CloudTrail event selectors that stop recording management
 * events, a short expiration on the trail's bucket, VPC flow logs and Route 53 Resolver query logs deleted,
 * the CloudWatch Logs groups receiving those logs deleted, emptied or cut off, GuardDuty (or one of its
 * protection plans) / Security Hub / Config / Macie / Detective switched off or made to drop member accounts,
 * Config rules deleted, an RDS database activity stream stopped, EKS audit logs turned off, attempts to
 * leave the organization, and the alerting on top of them silenced (EventBridge rules that route security
 * findings, CloudWatch alarms on CloudTrail metric filters).
 *
 * Changes made through Terraform or CloudFormation are still reported, at Low: tearing down logging is worth
 * a record even when it is reviewed code.
 */
const SELECTORS = 'DefenseEvasion:IAMUser/CloudTrailEventSelectorsWeakened.Gumshoe';
const LIFECYCLE = 'DefenseEvasion:S3/CloudTrailBucketShortLifecycle.Gumshoe';
const FLOW_LOGS = 'DefenseEvasion:IAMUser/FlowLogsDeleted.Gumshoe';
const DNS_LOGS = 'DefenseEvasion:IAMUser/DnsQueryLoggingDeleted.Gumshoe';
const SECURITY = 'DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe';
const LEAVE_ORG = 'DefenseEvasion:Organizations/LeaveOrganizationAttempt.Gumshoe';
const LOG_GROUP = 'DefenseEvasion:CloudWatchLogs/SecurityLogGroupTampered.Gumshoe';
const ALERTING = 'DefenseEvasion:IAMUser/SecurityAlertingDisabled.Gumshoe';

/** Objects expiring within this many days leave no time to notice the logs are gone. */
const SHORT_EXPIRATION_DAYS = 3;
/** Management sources AWS itself offers to exclude to save cost. */
const ROUTINE_EXCLUSIONS = new Set(['kms.amazonaws.com', 'rdsdata.amazonaws.com']);

interface LoggingState {
  /** trail name → who created it and when (a data-events trail is configured right after creation). */
  trails: BoundedMap<{ by: string; time: number }>;
  /** Buckets that receive CloudTrail logs. */
  trailBuckets: BoundedMap<number>;
  /** account/region/log group → the security logs delivered to it (absent in states from older versions). */
  securityLogGroups?: BoundedMap<string>;
  /** principal|service:api → when first done, for changes that are routine upkeep once habitual. */
  habits?: BoundedMap<number>;
  /**
   * `rule:`, `metric:` and `alarm:` keys (see alertKey) → what makes them security alerting: an EventBridge
   * rule's security event sources, a metric filter on CloudTrail records, an alarm on such a metric.
   */
  alerting?: BoundedMap<string>;
}

const state = (context: DetectionContext) => context.state<LoggingState>('logging', () => ({ trails: boundedMap(), trailBuckets: boundedMap() }));
const securityLogGroups = (context: DetectionContext) => (state(context).securityLogGroups ??= boundedMap());
const habits = (context: DetectionContext) => (state(context).habits ??= boundedMap());
const alerting = (context: DetectionContext) => (state(context).alerting ??= boundedMap());

const trailName = (value: unknown) => (str(value) ?? '').replace(/^.*:trail\//, '');

type Json = Record<string, unknown>;

/**
 * What an advanced field selector leaves out: event sources, or event names (StopLogging, CreateAccessKey:
 * an attacker hides just the calls that would give him away), by `notEquals` or `notStartsWith`.
 */
function exclusions(field: Json): string[] {
  return [...list(field.notEquals), ...list(field.notStartsWith).map((prefix) => `${String(prefix)}*`)].map(String);
}

function excludedBy(selectors: Json[], field: string): string[] {
  return selectors.flatMap((s) => objects(s.fieldSelectors).filter((f) => f.field === field).flatMap(exclusions)).filter((e) => !ROUTINE_EXCLUSIONS.has(e));
}

/** What an event-selector change stops recording, or null when management events stay recorded. */
function selectorWeakening(request: Json): string | null {
  const advanced = objects(request.advancedEventSelectors);
  if (advanced.length) {
    const fields = (selector: Json) => objects(selector.fieldSelectors);
    const management = advanced.filter((s) => fields(s).some((f) => f.field === 'eventCategory' && list(f.equals).includes('Management')));
    if (!management.length) return 'management events are no longer recorded';
    if (management.every((s) => fields(s).some((f) => f.field === 'readOnly' && list(f.equals).includes('true')))) return 'write management events are no longer recorded';
    const sources = excludedBy(management, 'eventSource');
    if (sources.length) return `management events from ${sources.join(', ')} are excluded`;
    const names = excludedBy(management, 'eventName');
    return names.length ? `management events ${names.join(', ')} are excluded` : null;
  }
  if (!('eventSelectors' in request)) return null;
  const management = objects(request.eventSelectors).filter((s) => s.includeManagementEvents !== false);
  if (!management.length) return 'management events are no longer recorded';
  if (management.every((s) => s.readWriteType === 'ReadOnly')) return 'write management events are no longer recorded';
  const unusual = management.flatMap((s) => list(s.excludeManagementEventSources).map(String)).filter((e) => !ROUTINE_EXCLUSIONS.has(e));
  return unusual.length ? `management events from ${unusual.join(', ')} are excluded` : null;
}

/** Setting up a new trail (a data-events trail): its creator configures it within the hour. */
const SETUP_TIME = HOUR;
const setupKey = (event: ApiEvent, trail: string) => `${ownAccount(event)}/${trail}|${event.principalKey}`;

function onEventSelectors(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const weakening = selectorWeakening(request);
  if (!weakening) return;
  const trail = trailName(request.trailName);
  const created = getEntry(state(context).trails, `${ownAccount(event)}/${trail}`);
  if (created && created.by === event.principalKey && event.time - created.time <= SETUP_TIME) return;
  // The CreateTrail may be in a file CloudTrail delivers later (the next run's): held until then. Due just
  // after the change, so that a CreateTrail of the same second (whichever comes first) counts too.
  const signal = { type: SELECTORS, event, severity: isIacAgent(event.userAgent) ? 2 : undefined, aggregateBy: trail, vars: { ...personVars(event), trail, weakening } };
  holdSignal(context, setupKey(event, trail), event.time + 1, signal);
}

/** A CreateTrail delivered after its creator's selector change: the change was the new trail's setup. */
function onTrailCreated(event: ApiEvent, context: DetectionContext, trail: string): void {
  setEntry(state(context).trails, `${ownAccount(event)}/${trail}`, { by: event.principalKey, time: event.time }, 2000);
  cancelHeldWhere(context, setupKey(event, trail), (time) => time >= event.time && time - event.time <= SETUP_TIME);
}

/**
 * Days until the rule expires objects: its `Days`, or for an expiration `Date` the days from the change to
 * that date (0 for a date already past: everything goes at once).
 */
function expirationDays(rule: Json, now: number): number | null {
  const expiration = obj(rule.Expiration);
  const days = Number(str(expiration?.Days));
  if (Number.isFinite(days) && days > 0) return days;
  const date = Date.parse(str(expiration?.Date) ?? '');
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / DAY)) : null;
}

function onLifecycle(event: ApiEvent, context: DetectionContext): void {
  const bucket = event.bucketName;
  if (!bucket) return;
  const request = event.request ?? {};
  const configuration = obj(request.LifecycleConfiguration) ?? obj(request.lifecycleConfiguration) ?? {};
  const rules = objects(configuration.Rule ?? configuration.Rules);
  const short = rules.find((r) => r.Status === 'Enabled' && (expirationDays(r, event.time) ?? Infinity) <= SHORT_EXPIRATION_DAYS);
  if (!short) return;
  const scope = JSON.stringify([short.ID, short.Prefix, short.Filter]);
  const trailBucket =
    getEntry(state(context).trailBuckets, bucket) !== undefined || /cloudtrail|trail/i.test(bucket) || /cloudtrail|AWSLogs/i.test(scope);
  if (!trailBucket) return;
  context.emit({
    type: LIFECYCLE,
    event,
    severity: isIacAgent(event.userAgent) ? 2 : undefined,
    buckets: [bucketDetail(event, bucket)],
    vars: { ...personVars(event), days: expirationDays(short, event.time) ?? SHORT_EXPIRATION_DAYS },
  });
}

/**
 * GuardDuty protection plans an UpdateDetector turns off while the detector stays on: `features` with status
 * DISABLED, or the older `dataSources` flags (S3 logs, Kubernetes audit logs, malware scans) set to false.
 * Switching S3 protection off before reading a bucket blinds GuardDuty to exactly that.
 */
function guardDutyProtectionsOff(request: Json): string | null {
  const features = objects(request.features)
    .filter((f) => str(f.status)?.toUpperCase() === 'DISABLED')
    .map((f) => str(f.name) ?? 'unnamed');
  const sources = obj(request.dataSources) ?? {};
  const legacy: [string, unknown][] = [
    ['S3_DATA_EVENTS', obj(sources.s3Logs)?.enable],
    ['EKS_AUDIT_LOGS', obj(obj(sources.kubernetes)?.auditLogs)?.enable],
    ['EBS_MALWARE_PROTECTION', obj(obj(sources.malwareProtection)?.scanEc2InstanceWithFindings)?.ebsVolumes],
  ];
  for (const [name, enabled] of legacy) if (enabled === false && !features.includes(name)) features.push(name);
  return features.length ? `GuardDuty protection ${features.join(', ')} was turned off` : null;
}

function securityServiceChange(event: ApiEvent): string | null {
  const request = event.request ?? {};
  const service = securityService(event);
  switch (`${service}:${event.api}`) {
    case 'guardduty:DeleteDetector':
      return 'the GuardDuty detector was deleted';
    case 'guardduty:UpdateDetector':
      return request.enable === false ? 'the GuardDuty detector was suspended' : guardDutyProtectionsOff(request);
    case 'guardduty:DisassociateFromMasterAccount':
    case 'guardduty:DisassociateFromAdministratorAccount':
      return 'the account left its GuardDuty administrator';
    case 'securityhub:DisassociateFromMasterAccount':
    case 'securityhub:DisassociateFromAdministratorAccount':
      return 'the account left its Security Hub administrator';
    case 'macie2:DisassociateFromMasterAccount':
    case 'macie2:DisassociateFromAdministratorAccount':
      return 'the account left its Macie administrator';
    case 'securityhub:DisableSecurityHub':
      return 'Security Hub was disabled';
    case 'config:StopConfigurationRecorder':
      return 'the AWS Config recorder was stopped';
    case 'config:DeleteConfigurationRecorder':
      return 'the AWS Config recorder was deleted';
    case 'config:DeleteDeliveryChannel':
      return 'the AWS Config delivery channel was deleted';
    case 'inspector2:Disable':
      return 'Amazon Inspector scanning was disabled';
    case 'macie2:DisableMacie':
      return 'Amazon Macie was disabled';
    case 'macie2:UpdateMacieSession':
      // Pausing stops every job and discovery; slower publishing is SecurityFindingsSuppressed (findings-suppression.ts).
      return request.status === 'PAUSED' ? 'Amazon Macie was paused' : null;
    case 'rds:StopActivityStream':
      return `the database activity stream of ${str(request.resourceArn) ?? 'a database'} was stopped`;
    case 'access-analyzer:DeleteAnalyzer':
      return 'an IAM Access Analyzer analyzer was deleted';
    case 'eks:UpdateClusterConfig': {
      const off = eksAuditLogsOff(request);
      return off ? `the ${off} logs of EKS cluster ${str(request.name) ?? 'unknown'} were turned off` : null;
    }
    case 'detective:DeleteGraph':
      return 'the Amazon Detective behavior graph was deleted';
    case 'detective:DisassociateMembership':
      return 'the account left its Detective behavior graph';
    case 'config:DeleteConfigRule':
      return `AWS Config rule ${str(request.configRuleName) ?? 'unknown'} was deleted`;
    case 'config:DeleteConformancePack':
      return `AWS Config conformance pack ${str(request.conformancePackName) ?? 'unknown'} was deleted`;
    case 'config:DeleteOrganizationConfigRule':
      return `AWS Config organization rule ${str(request.organizationConfigRuleName) ?? 'unknown'} was deleted from every member account`;
    case 'securityhub:DisableImportFindingsForProduct': {
      // AWS's own detectors feeding the central view; a third-party integration switched off is vendor churn.
      const product = /product-subscription\/aws\/([\w-]+)/.exec(str(request.productSubscriptionArn) ?? '')?.[1];
      return product && FINDING_PRODUCTS.has(product) ? `Security Hub stopped importing ${product} findings` : null;
    }
    case 'securityhub:BatchDisableStandards': {
      const standards = list(request.standardsSubscriptionArns).map((arn) => String(arn).replace(/^.*:subscription\//, ''));
      return `Security Hub standard ${standards.join(', ') || 'unknown'} was disabled`;
    }
    default:
      return memberRemoval(service, event.api, request);
  }
}

/** AWS detectors whose findings Security Hub imports: stopping the import silences them in the central view. */
const FINDING_PRODUCTS = new Set(['guardduty', 'inspector', 'macie', 'access-analyzer']);

/** What an administrator account's call does to its member accounts, by `service:api`. */
const MEMBER_REMOVALS: Record<string, string> = {
  'guardduty:DeleteMembers': 'GuardDuty administrator removed',
  'guardduty:DisassociateMembers': 'GuardDuty administrator disassociated',
  'guardduty:StopMonitoringMembers': 'GuardDuty administrator stopped monitoring',
  'securityhub:DeleteMembers': 'Security Hub administrator removed',
  'securityhub:DisassociateMembers': 'Security Hub administrator disassociated',
  'macie2:DeleteMember': 'Macie administrator removed',
  'macie2:DisassociateMember': 'Macie administrator disassociated',
  'detective:DeleteMembers': 'Detective administrator removed',
};

/**
 * An intruder in the administrator (security) account silences member accounts: their findings stop reaching
 * the team that watches the administrator. The members go on without knowing.
 */
function memberRemoval(service: string, api: string, request: Json): string | null {
  const action = MEMBER_REMOVALS[`${service}:${api}`];
  if (!action) return null;
  const accounts = [...list(request.accountIds), ...list(request.id)].map(String);
  return `the ${action} member account(s) ${accounts.join(', ') || 'unknown'}`;
}

/**
 * Changes that are upkeep as often as evasion (rules retired, closed accounts removed from the administrator):
 * Low once the principal has made them a habit.
 */
const ROUTINE_UPKEEP = new Set([
  'config:DeleteConfigRule',
  'config:DeleteConformancePack',
  'config:DeleteOrganizationConfigRule',
  ...Object.keys(MEMBER_REMOVALS),
]);
/** Posture checks rather than threat detection, routinely trimmed (duplicate or inapplicable standards): Low. */
const POSTURE_ONLY = new Set(['securityhub:BatchDisableStandards']);

/** EKS control-plane log types that record who did what in the cluster, turned off by an UpdateClusterConfig. */
function eksAuditLogsOff(request: Json): string | null {
  const off = objects(obj(request.logging)?.clusterLogging)
    .filter((setting) => setting.enabled === false)
    .flatMap((setting) => list(setting.types).map(String))
    .filter((type) => type === 'audit' || type === 'authenticator');
  return off.length ? off.join(' and ') : null;
}

// ---- CloudWatch Logs groups that receive security logs ----

/** `account/region/name` of a log group, from its ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`) or from a bare name in the event's account and region. */
function logGroupKey(event: ApiEvent, group: string): string | null {
  if (group.startsWith('arn:')) {
    const arn = /^arn:[\w-]+:logs:([^:]+):(\d+):log-group:(.+?)(?::\*)?$/.exec(group);
    return arn ? `${arn[2]}/${arn[1]}/${arn[3]}` : null;
  }
  return `${ownAccount(event)}/${event.region}/${group}`;
}

function rememberLogGroup(context: DetectionContext, event: ApiEvent, group: string | undefined, receives: string): void {
  const key = group ? logGroupKey(event, group) : null;
  if (key) setEntry(securityLogGroups(context), key, receives, 2000);
}

/** The console's `aws-cloudtrail-logs-…`, and the usual names of flow-log and resolver-log groups; not a Lambda function's own output. */
const SECURITY_LOG_NAMES: [RegExp, string][] = [
  [/cloudtrail/i, 'CloudTrail logs'],
  [/vpc[-_]?flow|(^|[^a-z])flow[-_]?logs?/i, 'VPC flow logs'],
  [/route53resolver|resolver[-_]?query/i, 'Route 53 Resolver query logs'],
];

function securityLogsOf(event: ApiEvent, context: DetectionContext, group: string): string | null {
  const learned = getEntry(securityLogGroups(context), logGroupKey(event, group) ?? '');
  if (learned) return learned;
  if (group.startsWith('/aws/lambda/')) return null;
  const named = SECURITY_LOG_NAMES.find(([pattern]) => pattern.test(group));
  return named ? `${named[1]} (by its name)` : null;
}

/** What a CloudWatch Logs call does to a log group's records, or null when they stay as they are. */
function logGroupChange(event: ApiEvent, request: Json): string | null {
  switch (event.api) {
    case 'DeleteLogGroup':
      return 'the log group was deleted with every log in it';
    case 'DeleteLogStream':
      return `log stream ${str(request.logStreamName) ?? 'unknown'} was deleted`;
    case 'PutRetentionPolicy': {
      const days = Number(str(request.retentionInDays));
      return Number.isFinite(days) && days <= SHORT_EXPIRATION_DAYS ? `its retention was cut to ${days} day(s)` : null;
    }
    case 'DeleteSubscriptionFilter':
      return `subscription filter ${str(request.filterName) ?? 'unknown'} was deleted, so its logs no longer reach where it forwarded them`;
    case 'DeleteMetricFilter':
      return `metric filter ${str(request.filterName) ?? 'unknown'} was deleted, so the alarms on it go silent`;
    default:
      return null;
  }
}

function onLogGroupChange(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const logGroup = str(request.logGroupName) ?? str(request.logGroupIdentifier);
  const change = logGroupChange(event, request);
  if (!logGroup || !change) return;
  const receives = securityLogsOf(event, context, logGroup);
  if (!receives) return;
  // A log-retention or clean-up job that does this every day is upkeep; through IaC it is a reviewed change.
  const routine = isIacAgent(event.userAgent) || wasHabit(habits(context), `${event.principalKey}|logs:${event.api}`, event.time);
  context.emit({ type: LOG_GROUP, event, severity: routine ? 2 : undefined, aggregateBy: logGroup, vars: { ...personVars(event), logGroup, receives, change } });
}

// ---- security alerting: EventBridge rules and CloudWatch alarms ----

/** EventBridge sources whose events are security findings or sign-ins: a rule matching one routes security alerts. */
const SECURITY_SOURCES: Record<string, string> = {
  'aws.guardduty': 'GuardDuty findings',
  'aws.securityhub': 'Security Hub findings',
  'aws.cloudtrail': 'CloudTrail events',
  'aws.config': 'AWS Config compliance changes',
  'aws.access-analyzer': 'IAM Access Analyzer findings',
  'aws.macie': 'Macie findings',
  'aws.inspector2': 'Inspector findings',
  'aws.signin': 'console sign-ins',
};
/** Rule names that say what they route, for rules the lake did not see created. */
const SECURITY_RULE_NAME = /guardduty|security[-_]?hub|access[-_]?analy[sz]er|macie|inspector|security[-_]?(alert|finding|event|notification)|root[-_]?(login|usage|activity|account)|cloudtrail/i;
/** The CIS benchmark's CloudTrail alarms as people name them (`CIS-3.1-UnauthorizedAPICalls`, `root-login`, `NACLChanges`). */
const SECURITY_ALARM_NAME =
  /(^|[^a-z])cis([^a-z]|$)|unauthori[sz]ed|(no|without)[-_ ]?mfa|root[-_ ]?(account|user)?[-_ ]?(login|usage|activity|access)|console[-_ ]?(auth\w*|sign[-_ ]?in|login)[-_ ]?fail|(iam|cloudtrail|config|security[-_ ]?group|nacl|network[-_ ]?acl|network[-_ ]?gateway|route[-_ ]?table|vpc|bucket[-_ ]?policy|organi[sz]ations?|cmk)[-_ ]?(policy[-_ ]?)?chang/i;
/** Namespaces the CIS benchmark's set-ups put CloudTrail metrics in. */
const SECURITY_NAMESPACE = /^(CISBenchmark|CloudTrailMetrics|CISLogMetrics)$/i;
/** A metric filter reading CloudTrail's record fields. */
const CLOUDTRAIL_PATTERN = /\$\.(eventName|eventSource|userIdentity|errorCode|sourceIPAddress|additionalEventData)/;
/** Targets removed and put back within this time are a rule's targets being replaced (the console does so). */
const RETARGET = 10 * MINUTE;

const busName = (value: unknown) => (str(value) ?? 'default').replace(/^.*:event-bus\//, '');
function alertKey(event: ApiEvent, kind: 'rule' | 'metric' | 'alarm', name: string, bus?: unknown): string {
  return `${kind}:${ownAccount(event)}/${event.region}/${kind === 'rule' ? `${busName(bus)}/` : ''}${name}`;
}

/** Remembers (or forgets, when redefined) the rules, metric filters and alarms that alert on security events. */
function learnAlerting(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const known = alerting(context);
  const remember = (key: string, why: string | null) => (why ? setEntry(known, key, why, 2000) : deleteEntry(known, key));
  switch (event.api) {
    case 'PutRule': {
      const name = str(request.name);
      if (!name) return;
      const sources = list(policyDocument(request.eventPattern)?.source).map((s) => SECURITY_SOURCES[String(s)]).filter((s): s is string => s !== undefined);
      const key = alertKey(event, 'rule', name, request.eventBusName);
      // Put back, still routing security events, by whoever just deleted it: a replacement (Terraform's destroy-then-create).
      if (sources.length) cancelHeldWhere(context, `${key}|${event.principalKey}|deleted`, (time) => Math.abs(event.time - time) <= RETARGET);
      return remember(key, sources.length ? `routes ${sources.join(' and ')}` : null);
    }
    case 'PutMetricFilter': {
      const group = str(request.logGroupName);
      const onTrail = (group && securityLogsOf(event, context, group)) || (CLOUDTRAIL_PATTERN.test(str(request.filterPattern) ?? '') ? 'CloudTrail records' : null);
      if (!onTrail) return;
      for (const metric of objects(request.metricTransformations)) {
        remember(alertKey(event, 'metric', `${str(metric.metricNamespace) ?? ''}/${str(metric.metricName) ?? ''}`), `metric filter ${str(request.filterName) ?? 'unknown'} on ${onTrail}`);
      }
      return;
    }
    case 'PutMetricAlarm': {
      const alarm = str(request.alarmName);
      if (!alarm) return;
      const namespace = str(request.namespace) ?? '';
      const filter = getEntry(known, alertKey(event, 'metric', `${namespace}/${str(request.metricName) ?? ''}`));
      return remember(alertKey(event, 'alarm', alarm), filter ? `alarms on ${filter}` : SECURITY_NAMESPACE.test(namespace) ? `alarms on the ${namespace} metrics` : null);
    }
    case 'PutTargets':
      // Targets put back: a RemoveTargets just before was a replacement.
      cancelHeldWhere(context, `${alertKey(event, 'rule', str(request.rule) ?? '', request.eventBusName)}|${event.principalKey}`, (time) => Math.abs(event.time - time) <= RETARGET);
      return;
  }
}

/** What a rule or alarm is for, when it alerts on security events: learned, or guessed from its name. */
function alertingPurpose(context: DetectionContext, key: string, name: string, namePattern: RegExp): string | null {
  return getEntry(alerting(context), key) ?? (namePattern.test(name) ? 'by its name, a security alert' : null);
}

function onAlertingChange(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  // Asked only of security alerting: toggling other rules and alarms does not make this routine.
  const severity = () => (isIacAgent(event.userAgent) || wasHabit(habits(context), `${event.principalKey}|${event.serviceShort}:${event.api}`, event.time) ? 2 : undefined);
  if (event.serviceShort === 'events') {
    const rule = str(request.name) ?? str(request.rule);
    if (!rule) return;
    const key = alertKey(event, 'rule', rule, request.eventBusName);
    const purpose = alertingPurpose(context, key, rule, SECURITY_RULE_NAME);
    if (!purpose) return;
    const change = event.api === 'DisableRule' ? 'was disabled' : event.api === 'DeleteRule' ? 'was deleted' : `lost target(s) ${list(request.ids).join(', ') || 'unknown'}`;
    const signal = { type: ALERTING, event, severity: severity(), aggregateBy: key, vars: { ...personVars(event), what: `EventBridge rule ${rule} (${purpose})`, change } };
    if (event.api === 'DeleteRule') deleteEntry(alerting(context), key);
    // Targets are often replaced: removed and put back at once.
    if (event.api === 'RemoveTargets') holdSignal(context, `${key}|${event.principalKey}`, event.time + RETARGET, signal);
    else if (event.api === 'DeleteRule') holdSignal(context, `${key}|${event.principalKey}|deleted`, event.time + RETARGET, signal);
    else context.emit(signal);
    return;
  }
  const alarms = list(request.alarmNames)
    .map(String)
    .map((alarm) => ({ alarm, key: alertKey(event, 'alarm', alarm) }))
    .map(({ alarm, key }) => ({ key, purpose: alertingPurpose(context, key, alarm, SECURITY_ALARM_NAME), alarm }))
    .filter((a) => a.purpose !== null);
  if (!alarms.length) return;
  if (event.api === 'DeleteAlarms') for (const { key } of alarms) deleteEntry(alerting(context), key);
  const what = alarms.map(({ alarm, purpose }) => `CloudWatch alarm ${alarm} (${purpose})`).join(', ');
  const one = alarms.length === 1;
  const change = event.api === 'DeleteAlarms' ? (one ? 'was deleted' : 'were deleted') : one ? 'no longer triggers its actions' : 'no longer trigger their actions';
  context.emit({ type: ALERTING, event, severity: severity(), aggregateBy: alarms.map((a) => a.key).join(','), vars: { ...personVars(event), what, change } });
}

function onLoggingEvent(event: ApiEvent, context: DetectionContext): void {
  releaseHeld(context, event.time);
  // CloudTrail checks a bucket's ACL before delivering to it: that names the trail bucket.
  if (event.api === 'GetBucketAcl') {
    if (event.actor.invokedBy === 'cloudtrail.amazonaws.com' && event.bucketName) setEntry(state(context).trailBuckets, event.bucketName, event.time, 2000);
    return;
  }
  if (event.api === 'LeaveOrganization') {
    // A denied attempt is reported too: it shows intent, and a later try may succeed.
    context.emit({ type: LEAVE_ORG, event, severity: event.failed ? undefined : 8, vars: { ...personVars(event), outcome: event.failed ? `was denied (${event.errorCode})` : 'succeeded' } });
    return;
  }
  if (event.failed || isAwsServiceCall(event)) return;
  const iac = isIacAgent(event.userAgent) ? 2 : undefined;
  const request = event.request ?? {};
  switch (event.api) {
    case 'CreateTrail':
    case 'UpdateTrail': {
      const trail = trailName(request.name);
      if (event.api === 'CreateTrail') onTrailCreated(event, context, trail);
      const bucket = str(request.s3BucketName);
      if (bucket) setEntry(state(context).trailBuckets, bucket, event.time, 2000);
      rememberLogGroup(context, event, str(request.cloudWatchLogsLogGroupArn), `CloudTrail logs of trail ${trail}`);
      return;
    }
    case 'CreateFlowLogs': {
      // EC2 logs the request wrapped and capitalised (`CreateFlowLogsRequest.LogGroupName`); CloudWatch Logs is the default destination.
      const flow = obj(request.CreateFlowLogsRequest) ?? request;
      const destinationType = str(flow.LogDestinationType) ?? str(flow.logDestinationType) ?? 'cloud-watch-logs';
      if (destinationType !== 'cloud-watch-logs') return;
      const group = str(flow.LogDestination) ?? str(flow.logDestination) ?? str(flow.LogGroupName) ?? str(flow.logGroupName);
      rememberLogGroup(context, event, group, 'VPC flow logs');
      return;
    }
    case 'CreateResolverQueryLogConfig':
      // The destination may be a bucket or a Firehose stream: only a log group ARN is remembered.
      rememberLogGroup(context, event, str(request.destinationArn), 'Route 53 Resolver query logs');
      return;
    case 'PutEventSelectors':
      return onEventSelectors(event, context);
    case 'PutBucketLifecycle':
    case 'PutBucketLifecycleConfiguration':
      return onLifecycle(event, context);
    case 'DeleteFlowLogs': {
      const ids = list(obj(request.DeleteFlowLogsRequest)?.FlowLogId ?? request.flowLogIds).map((id) => str(obj(id)?.content) ?? str(id) ?? '');
      context.emit({ type: FLOW_LOGS, event, severity: iac, vars: { ...personVars(event), flowLogs: ids.filter(Boolean).join(', ') || 'unknown' } });
      return;
    }
    case 'DeleteResolverQueryLogConfig':
    case 'DisassociateResolverQueryLogConfig':
      context.emit({ type: DNS_LOGS, event, severity: iac, vars: { ...personVars(event), config: str(request.resolverQueryLogConfigId) ?? 'unknown' } });
      return;
    case 'PutRule':
    case 'PutTargets':
    case 'PutMetricFilter':
    case 'PutMetricAlarm':
      if (event.serviceShort === 'events' || event.serviceShort === 'logs' || event.serviceShort === 'monitoring') learnAlerting(event, context);
      return;
    case 'DisableRule':
    case 'DeleteRule':
    case 'RemoveTargets':
    case 'DeleteAlarms':
    case 'DisableAlarmActions':
      if (event.serviceShort === 'events' || event.serviceShort === 'monitoring') onAlertingChange(event, context);
      return;
    default: {
      if (event.serviceShort === 'logs') return onLogGroupChange(event, context);
      const change = securityServiceChange(event);
      if (!change) return;
      const key = `${event.serviceShort}:${event.api}`;
      const routine = iac || POSTURE_ONLY.has(key) || (ROUTINE_UPKEEP.has(key) && wasHabit(habits(context), `${event.principalKey}|${key}`, event.time));
      context.emit({ type: SECURITY, event, severity: routine ? 2 : undefined, aggregateBy: change, vars: { ...personVars(event), change } });
    }
  }
}

const DISABLE_LOGS = 'T1562.008 Impair Defenses: Disable or Modify Cloud Logs';
const EVASION = 'TA0005 Defense Evasion';

const admin = assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const call = (service: string, name: string, request: Record<string, unknown>, time: string, identity = admin, userAgent?: string) =>
  ctEvent({ service, name, request, time, identity, userAgent });
const logGroupArn = (name: string) => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;
const CONSOLE_TRAIL_GROUP = `aws-cloudtrail-logs-${ACCOUNT}-8c1f0a2b`;
const createFlowLogs = (request: Record<string, unknown>, time: string) =>
  call('ec2', 'CreateFlowLogs', { CreateFlowLogsRequest: { ResourceId: { content: 'vpc-0a1b2c3d4e5f60718', tag: 1 }, ResourceType: 'VPC', TrafficType: 'ALL', ...request } }, time, terraform, TERRAFORM_AGENT);
/** Terraform creating an EventBridge rule on the default bus that matches events of `sources`. */
const putRule = (name: string, sources: string[], time: string) =>
  call('events', 'PutRule', { name, eventPattern: JSON.stringify({ source: sources }), state: 'ENABLED' }, time, terraform, TERRAFORM_AGENT);
const lifecycle = (bucket: string, days: number, time: string, identity = admin) =>
  call('s3', 'PutBucketLifecycle', { bucketName: bucket, LifecycleConfiguration: { Rule: { ID: 'expire', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: days } } }, lifecycle: '' }, time, identity);

export const loggingTampering: ApiDetection = {
  id: 'gumshoe-logging-tampering',
  source: 'cloudtrail',
  apis: [
    'GetBucketAcl',
    'CreateTrail',
    'UpdateTrail',
    'PutEventSelectors',
    'PutBucketLifecycle',
    'PutBucketLifecycleConfiguration',
    'DeleteFlowLogs',
    'DeleteResolverQueryLogConfig',
    'DisassociateResolverQueryLogConfig',
    'DeleteDetector',
    'UpdateDetector',
    'DisassociateFromMasterAccount',
    'DisassociateFromAdministratorAccount',
    'DisableSecurityHub',
    'StopConfigurationRecorder',
    'DeleteConfigurationRecorder',
    'Disable',
    'DisableMacie',
    'UpdateMacieSession',
    'StopActivityStream',
    'DeleteAnalyzer',
    'DeleteDeliveryChannel',
    'UpdateClusterConfig',
    'LeaveOrganization',
    'DeleteGraph',
    'DisassociateMembership',
    'DeleteMembers',
    'DeleteMember',
    'DisassociateMembers',
    'DisassociateMember',
    'StopMonitoringMembers',
    'DeleteConfigRule',
    'DeleteConformancePack',
    'DeleteOrganizationConfigRule',
    'DisableImportFindingsForProduct',
    'BatchDisableStandards',
    'CreateFlowLogs',
    'CreateResolverQueryLogConfig',
    'DeleteLogGroup',
    'DeleteLogStream',
    'PutRetentionPolicy',
    'DeleteSubscriptionFilter',
    'DeleteMetricFilter',
    // Security alerting: what EventBridge rules and CloudWatch alarms alert on, and their removal.
    'PutRule',
    'PutTargets',
    'PutMetricFilter',
    'PutMetricAlarm',
    'DisableRule',
    'DeleteRule',
    'RemoveTargets',
    'DeleteAlarms',
    'DisableAlarmActions',
  ],
  types: [
    {
      type: SELECTORS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: DISABLE_LOGS },
      title: 'CloudTrail trail {trail} was changed so that {weakening}.',
      description: '{principal} called PutEventSelectors on trail {trail} from {ip}: {weakening}. The trail keeps running, so logging looks healthy while API activity goes unrecorded.',
      remediation: 'Restore the trail’s event selectors (management events, read and write). Then look for what happened while they were off, in CloudTrail event history or another trail.',
    },
    {
      type: LIFECYCLE,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1070 Indicator Removal' },
      title: 'CloudTrail log bucket {bucket} now deletes objects after {days} day(s).',
      description: '{principal} set a lifecycle rule on {bucket}, which holds CloudTrail logs, from {ip}: objects expire after {days} day(s), so the logs disappear before anyone reads them.',
      remediation: 'Remove or lengthen the rule (GetBucketLifecycleConfiguration shows it), protect the bucket with Object Lock or a deny on s3:PutLifecycleConfiguration, and restore deleted logs from versions if versioning is on.',
    },
    {
      type: FLOW_LOGS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: DISABLE_LOGS },
      title: 'VPC flow logs were deleted: {flowLogs}.',
      description: '{principal} called DeleteFlowLogs from {ip} for {flowLogs}. Network activity in those VPCs, subnets or interfaces is no longer recorded.',
      remediation: 'Recreate the flow logs and find out why they were deleted; restrict ec2:DeleteFlowLogs to the network team’s pipeline.',
    },
    {
      type: DNS_LOGS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: DISABLE_LOGS },
      title: 'Route 53 Resolver query logging {config} was removed.',
      description: '{principal} called {api} for query logging configuration {config} from {ip}. DNS queries from the affected VPCs are no longer logged.',
      remediation: 'Recreate or reassociate the query logging configuration and review who removed it.',
    },
    {
      type: SECURITY,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1562.001 Impair Defenses: Disable or Modify Tools' },
      title: 'A security service was switched off: {change}.',
      description: '{principal} called {api} from {ip}: {change}.',
      remediation: 'Re-enable the service, then review the principal’s other activity around that time; deny these calls outside the security team with an SCP.',
    },
    {
      type: LEAVE_ORG,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1562 Impair Defenses' },
      title: 'An attempt to take account {account} out of its organization {outcome}.',
      description: '{principal} called LeaveOrganization from {ip}; it {outcome}. Outside the organization the account escapes its SCPs, central logging and guardrails.',
      remediation: 'Deny organizations:LeaveOrganization with an SCP, and treat the caller’s credentials as compromised unless the move was planned.',
    },
    {
      type: LOG_GROUP,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1070 Indicator Removal' },
      title: 'Log group {logGroup}, which holds {receives}, was tampered with: {change}.',
      description: '{principal} called {api} on log group {logGroup} from {ip}: {change}. The group holds {receives}, the record an investigation would read.',
      remediation: 'Restore the log group’s retention, streams and subscription filters, and read the logs still held elsewhere (the trail’s S3 bucket, the SIEM). Deny logs:Delete* and logs:PutRetentionPolicy on security log groups outside the logging pipeline.',
    },
    {
      type: ALERTING,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: EVASION, technique: 'T1562.001 Impair Defenses: Disable or Modify Tools' },
      title: 'Security alerting was silenced: {what} {change}.',
      description: '{principal} called {api} from {ip}: {what} {change}. The detectors and logs keep running, but their findings and alarms no longer reach anyone.',
      remediation: 'Re-enable or recreate the rule or alarm and its targets and actions, then review the findings and alarms raised while it was silent (the GuardDuty and Security Hub consoles, alarm history). Deny these calls on security alerting outside the security team.',
    },
  ],
  onEvent: onLoggingEvent,
  finish: (context) => finishHeld(context),
  cases: () => [
    { name: 'Stratus: VPC flow logs deleted', datasets: [{ stratus: 'aws.defense-evasion.vpc-remove-flow-logs' }], expect: [FLOW_LOGS] },
    { name: 'Panther: VPC flow logs deleted', datasets: [{ panther: 'AWS.VPCFlow.LogsDeleted', test: 'Logs Deleted' }], expect: [FLOW_LOGS] },
    { name: 'Panther: resolver query logging deleted', datasets: [{ panther: 'AWS.CloudTrail.DNSLogsDeleted', test: 'Logs Deleted' }], expect: [DNS_LOGS] },
    { name: 'Panther: denied attempt to leave the organization', datasets: [{ panther: 'AWS.CloudTrail.AttemptToLeaveOrg', test: 'Failed Attempt to Leave Org' }], expect: [LEAVE_ORG] },
    { name: 'Panther: event selectors drop management events', datasets: [{ panther: 'AWS.CloudTrail.EventSelectorsDisabled', test: 'Event Selector Disabled' }], expect: [SELECTORS] },
    { name: 'Panther: 1-day expiration on a bucket named for CloudTrail', datasets: [{ panther: 'AWS.CloudTrail.ShortLifecycle', test: '1-Day Lifecycle Rule on Assumed CT Bucket' }], expect: [LIFECYCLE] },
    { name: 'Panther: Config delivery channel deleted', datasets: [{ panther: 'AWS.ConfigService.DisabledDeleted', test: 'Config Recorder Deleted' }], expect: [SECURITY] },
    {
      name: 'advanced event selectors that keep only S3 data events',
      records: [
        call('cloudtrail', 'PutEventSelectors', {
          trailName: 'org-trail',
          advancedEventSelectors: [{ name: 'data only', fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: ['AWS::S3::Object'] }] }],
        }, '2026-11-02T10:00:00Z'),
      ],
      expect: [SELECTORS],
    },
    {
      name: 'short expiration on a bucket learned as the trail’s (its name does not say so)',
      records: [
        call('cloudtrail', 'CreateTrail', { name: 'main', s3BucketName: 'acme-audit-archive', isMultiRegionTrail: true }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        lifecycle('acme-audit-archive', 1, '2026-11-02T10:00:00Z'),
      ],
      expect: [LIFECYCLE],
    },
    {
      name: 'trail bucket learned from CloudTrail’s own delivery check, then a 2-day expiration',
      records: [
        { ...call('s3', 'GetBucketAcl', { bucketName: 'acme-logs-7731' }, '2026-11-01T09:00:00Z', awsService('cloudtrail.amazonaws.com')), sourceIPAddress: 'cloudtrail.amazonaws.com', userAgent: 'cloudtrail.amazonaws.com' },
        lifecycle('acme-logs-7731', 2, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [LIFECYCLE],
    },
    {
      name: 'GuardDuty detector deleted and Security Hub disabled',
      records: [
        call('guardduty', 'DeleteDetector', { detectorId: '12abc34d567e8fa901bc2d34e56789f0' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
        call('securityhub', 'DisableSecurityHub', {}, '2026-11-02T10:00:05Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    { name: 'Panther: an Aurora database activity stream stopped', datasets: [{ panther: 'AWS.RDS.ActivityStreamStopped', test: 'Activity Stream Stopped Successfully' }], expect: [SECURITY] },
    {
      name: 'EKS audit and authenticator logs turned off',
      records: [
        call('eks', 'UpdateClusterConfig', { name: 'prod-payments', logging: { clusterLogging: [{ types: ['api', 'scheduler'], enabled: true }, { types: ['audit', 'authenticator'], enabled: false }] } }, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    {
      name: 'Amazon Macie paused; disabled, as its first version logged it',
      records: [call('macie2', 'UpdateMacieSession', { status: 'PAUSED' }, '2026-11-02T10:00:00Z', iamUser('mallory')), call('macie', 'DisableMacie', {}, '2026-11-02T10:01:00Z', iamUser('mallory'))],
      expect: [SECURITY],
    },
    {
      name: 'a member account leaves its Security Hub administrator',
      records: [call('securityhub', 'DisassociateFromAdministratorAccount', {}, '2026-11-02T10:00:00Z', iamUser('mallory'))],
      expect: [SECURITY],
    },
    {
      name: 'GuardDuty S3 protection turned off, detector left on',
      records: [
        call('guardduty', 'UpdateDetector', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', features: [{ name: 'S3_DATA_EVENTS', status: 'DISABLED' }] }, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    {
      name: 'GuardDuty Kubernetes audit logs turned off through the older dataSources flags',
      records: [
        call('guardduty', 'UpdateDetector', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', dataSources: { s3Logs: { enable: true }, kubernetes: { auditLogs: { enable: false } } } }, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    {
      name: 'Panther: activity stream stop denied, then started',
      datasets: [
        { panther: 'AWS.RDS.ActivityStreamStopped', test: 'Activity Stream Stop Failed' },
        { panther: 'AWS.RDS.ActivityStreamStopped', test: 'Different RDS Event' },
      ],
      expect: [],
    },
    {
      name: 'GuardDuty protections turned on; Macie resumed',
      records: [
        call('guardduty', 'UpdateDetector', {
          detectorId: '12abc34d567e8fa901bc2d34e56789f0',
          features: [{ name: 'S3_DATA_EVENTS', status: 'ENABLED' }, { name: 'RUNTIME_MONITORING', status: 'ENABLED', additionalConfiguration: [{ name: 'EKS_ADDON_MANAGEMENT', status: 'DISABLED' }] }],
          dataSources: { s3Logs: { enable: true } },
        }, '2026-11-02T10:00:00Z'),
        call('macie2', 'UpdateMacieSession', { status: 'ENABLED', findingPublishingFrequency: 'ONE_HOUR' }, '2026-11-02T10:05:00Z'),
        // Scheduler logs off (cost), audit logs on, and a version change: nothing hidden.
        call('eks', 'UpdateClusterConfig', { name: 'prod-payments', logging: { clusterLogging: [{ types: ['audit'], enabled: true }, { types: ['scheduler', 'controllerManager'], enabled: false }] } }, '2026-11-02T10:06:00Z'),
        call('eks', 'UpdateClusterConfig', { name: 'prod-payments', resourcesVpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true } }, '2026-11-02T10:07:00Z'),
      ],
      expect: [],
    },
    {
      name: 'Detective graph deleted; the GuardDuty administrator drops and stops monitoring member accounts',
      records: [
        call('detective', 'DeleteGraph', { graphArn: 'arn:aws:detective:us-east-1:111122223333:graph:027c7c4610ea4aacaf0b883093cab899' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
        call('guardduty', 'StopMonitoringMembers', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', accountIds: ['444455556666'] }, '2026-11-02T10:01:00Z', iamUser('mallory')),
        call('guardduty', 'DisassociateMembers', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', accountIds: ['444455556666', '777788889999'] }, '2026-11-02T10:01:30Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    {
      name: 'Config rule, conformance pack and organization rule deleted by hand',
      records: [
        call('config', 'DeleteConfigRule', { configRuleName: 's3-bucket-public-read-prohibited' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
        call('config', 'DeleteConformancePack', { conformancePackName: 'Operational-Best-Practices-for-CIS' }, '2026-11-02T10:00:20Z', iamUser('mallory')),
        call('config', 'DeleteOrganizationConfigRule', { organizationConfigRuleName: 'org-cloudtrail-enabled' }, '2026-11-02T10:00:40Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    {
      name: 'Security Hub stops importing GuardDuty findings',
      records: [
        call('securityhub', 'DisableImportFindingsForProduct', { productSubscriptionArn: 'arn:aws:securityhub:us-east-1:111122223333:product-subscription/aws/guardduty' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [SECURITY],
    },
    {
      name: 'log group learned from CreateTrail (its name does not say so) deleted',
      records: [
        call('cloudtrail', 'CreateTrail', { name: 'org-audit', s3BucketName: 'acme-audit-archive', cloudWatchLogsLogGroupArn: `${logGroupArn('org-audit')}:*`, cloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/CloudTrailToLogs' }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        call('logs', 'DeleteLogGroup', { logGroupName: 'org-audit' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [LOG_GROUP],
    },
    {
      name: 'flow-log group learned from CreateFlowLogs, then a 1-day retention',
      records: [
        createFlowLogs({ LogGroupName: 'net-archive', DeliverLogsPermissionArn: 'arn:aws:iam::111122223333:role/FlowLogsDelivery' }, '2026-10-01T09:00:00Z'),
        call('logs', 'PutRetentionPolicy', { logGroupName: 'net-archive', retentionInDays: 1 }, '2026-11-02T10:00:00Z', iamUser('mallory')),
      ],
      expect: [LOG_GROUP],
    },
    {
      name: 'resolver query-log group learned from its ARN, then its SIEM subscription deleted',
      records: [
        call('route53resolver', 'CreateResolverQueryLogConfig', { name: 'dns-audit', destinationArn: logGroupArn('dns-audit'), creatorRequestId: 'b7c3e1d0-5f4a-4e9b-8a3c-2d1e0f9a8b7c' }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        call('logs', 'DeleteSubscriptionFilter', { logGroupName: 'dns-audit', filterName: 'to-siem' }, '2026-11-02T10:00:00Z', admin),
      ],
      expect: [LOG_GROUP],
    },
    {
      name: 'the console-named CloudTrail log group loses a stream and its CIS metric filter',
      records: [
        call('logs', 'DeleteLogStream', { logGroupName: CONSOLE_TRAIL_GROUP, logStreamName: '111122223333_CloudTrail_us-east-1' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
        call('logs', 'DeleteMetricFilter', { logGroupName: CONSOLE_TRAIL_GROUP, filterName: 'UnauthorizedAPICalls' }, '2026-11-02T10:00:30Z', iamUser('mallory')),
      ],
      expect: [LOG_GROUP],
    },
    {
      name: 'Security Hub and Config clean up after themselves; refused and third-party changes',
      records: [
        // Disabling a control makes Security Hub delete its own Config rule (service-linked).
        { ...call('config', 'DeleteConfigRule', { configRuleName: 'securityhub-s3-bucket-logging-enabled-9f8e7d' }, '2026-11-02T10:00:00Z', awsService('securityhub.amazonaws.com')), sourceIPAddress: 'securityhub.amazonaws.com', userAgent: 'securityhub.amazonaws.com' },
        { ...call('guardduty', 'DeleteMembers', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', accountIds: ['444455556666'] }, '2026-11-02T10:01:00Z', iamUser('intern')), errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
        { ...call('config', 'DeleteConfigRule', { configRuleName: 'gone-already' }, '2026-11-02T10:02:00Z'), errorCode: 'NoSuchConfigRuleException', errorMessage: 'The ConfigRule \'gone-already\' provided in the request is invalid.' },
        call('securityhub', 'DisableImportFindingsForProduct', { productSubscriptionArn: 'arn:aws:securityhub:us-east-1:111122223333:product-subscription/example-vendor/example-scanner' }, '2026-11-02T10:03:00Z'),
      ],
      expect: [],
    },
    {
      name: 'log-group housekeeping away from security logs',
      records: [
        // Flow logs sent to S3 do not make the group named like the bucket a security log group.
        createFlowLogs({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::acme-net-archive' }, '2026-10-01T09:00:00Z'),
        call('logs', 'DeleteLogGroup', { logGroupName: 'acme-net-archive' }, '2026-11-02T10:00:00Z'),
        // A function that processes CloudTrail logs: its own output, not the trail's.
        call('logs', 'DeleteLogGroup', { logGroupName: '/aws/lambda/cloudtrail-forwarder' }, '2026-11-02T10:01:00Z'),
        call('logs', 'PutRetentionPolicy', { logGroupName: '/ecs/checkout', retentionInDays: 1 }, '2026-11-02T10:02:00Z'),
        call('logs', 'PutRetentionPolicy', { logGroupName: CONSOLE_TRAIL_GROUP, retentionInDays: 90 }, '2026-11-02T10:03:00Z'),
        call('logs', 'DeleteLogGroup', { logGroupName: '/aws/vendedlogs/states/order-workflow-logs' }, '2026-11-02T10:04:00Z'),
        { ...call('logs', 'DeleteLogGroup', { logGroupName: CONSOLE_TRAIL_GROUP }, '2026-11-02T10:05:00Z', iamUser('intern')), errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
      ],
      expect: [],
    },
    { name: 'Panther: event selectors that keep everything', datasets: [{ panther: 'AWS.CloudTrail.EventSelectorsDisabled', test: 'Event Selector Enabled' }], expect: [] },
    { name: 'Panther: reading event selectors', datasets: [{ panther: 'AWS.CloudTrail.EventSelectorsDisabled', test: 'Uninteresting Event Type' }], expect: [] },
    {
      name: 'Panther: disabled short rule, 730-day retention, unrelated read',
      datasets: [
        { panther: 'AWS.CloudTrail.ShortLifecycle', test: 'Disabled 1-Day Lifecycle Rule on Known CT Bucket' },
        { panther: 'AWS.CloudTrail.ShortLifecycle', test: '730-Day Lifecycle Rule on Known CT Bucket' },
        { panther: 'AWS.CloudTrail.ShortLifecycle', test: 'Completely Unrelated Event' },
      ],
      expect: [],
    },
    {
      name: 'Panther: Config delivery channel created; failed deletion',
      datasets: [
        { panther: 'AWS.ConfigService.DisabledDeleted', test: 'Config Recorder Delivery Channel Created' },
        { panther: 'AWS.ConfigService.DisabledDeleted', test: 'Error Deleting Config Recorder' },
      ],
      expect: [],
    },
    {
      name: 'Terraform creates a data-events trail; an admin excludes KMS events from the main trail',
      records: [
        call('cloudtrail', 'CreateTrail', { name: 's3-data-events', s3BucketName: 'acme-data-events' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
        call('cloudtrail', 'PutEventSelectors', {
          trailName: 's3-data-events',
          eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false, dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] }],
        }, '2026-11-02T10:00:04Z', terraform, TERRAFORM_AGENT),
        call('cloudtrail', 'PutEventSelectors', {
          trailName: 'main',
          eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] }],
        }, '2026-11-02T11:00:00Z'),
      ],
      expect: [],
    },
    {
      name: 'one-day expiration on Athena query results and CI artifacts',
      records: [lifecycle('acme-athena-query-results', 1, '2026-11-02T10:00:00Z', terraform), lifecycle('acme-ci-artifacts', 1, '2026-11-02T10:05:00Z')],
      expect: [],
    },
    {
      name: 'denied DeleteFlowLogs; GuardDuty finding frequency changed',
      records: [
        { ...call('ec2', 'DeleteFlowLogs', { DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0ef673ef70c4f07cc', tag: 1 } } }, '2026-11-02T10:00:00Z', iamUser('intern')), errorCode: 'Client.UnauthorizedOperation', errorMessage: 'not authorized' },
        call('guardduty', 'UpdateDetector', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', enable: true, findingPublishingFrequency: 'FIFTEEN_MINUTES' }, '2026-11-02T10:01:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [],
    },
    {
      name: 'an EventBridge rule learned to route GuardDuty and Security Hub findings (its name does not say so) disabled; another, named for GuardDuty, deleted from the console',
      records: [
        putRule('findings-router', ['aws.guardduty', 'aws.securityhub'], '2026-10-01T09:00:00Z'),
        call('events', 'DisableRule', { name: 'findings-router' }, '2026-11-02T10:00:00Z', iamUser('mallory')),
        call('events', 'RemoveTargets', { rule: 'guardduty-to-slack', ids: ['slack-webhook'], force: false }, '2026-11-02T10:01:00Z', admin, CONSOLE_AGENT),
        call('events', 'DeleteRule', { name: 'guardduty-to-slack', force: false }, '2026-11-02T10:01:01Z', admin, CONSOLE_AGENT),
      ],
      expect: [ALERTING],
    },
    {
      name: 'CIS alarms: one learned from its CloudTrail metric filter deleted, one named for root usage made silent',
      records: [
        call('logs', 'PutMetricFilter', { logGroupName: 'org-audit', filterName: 'ct-signal-7', filterPattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }', metricTransformations: [{ metricName: 'Signal7', metricNamespace: 'SecOps', metricValue: '1' }] }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        call('monitoring', 'PutMetricAlarm', { alarmName: 'secops-7', metricName: 'Signal7', namespace: 'SecOps', statistic: 'Sum', period: 300, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold', evaluationPeriods: 1, alarmActions: ['arn:aws:sns:us-east-1:111122223333:security-alerts'] }, '2026-10-01T09:00:05Z', terraform, TERRAFORM_AGENT),
        call('monitoring', 'DeleteAlarms', { alarmNames: ['secops-7'] }, '2026-11-02T10:00:00Z', iamUser('mallory')),
        call('monitoring', 'DisableAlarmActions', { alarmNames: ['CIS-3.3-RootAccountUsage', 'ecs-cpu-high'] }, '2026-11-02T10:00:30Z', iamUser('mallory')),
      ],
      expect: [ALERTING],
    },
    {
      name: 'Terraform destroying a security rule (Low)',
      records: [putRule('findings-router', ['aws.guardduty'], '2026-10-01T09:00:00Z'), call('events', 'DeleteRule', { name: 'findings-router' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT)],
      expect: [ALERTING],
    },
    {
      name: 'Terraform replacing a security rule: its targets removed, the rule deleted and created again with them within seconds',
      records: [
        putRule('guardduty-to-slack', ['aws.guardduty'], '2026-10-01T09:00:00Z'),
        call('events', 'RemoveTargets', { rule: 'guardduty-to-slack', ids: ['slack-notifier'], force: false }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
        call('events', 'DeleteRule', { name: 'guardduty-to-slack', force: false }, '2026-11-02T10:00:04Z', terraform, TERRAFORM_AGENT),
        putRule('guardduty-to-slack', ['aws.guardduty'], '2026-11-02T10:00:08Z'),
        call('events', 'PutTargets', { rule: 'guardduty-to-slack', targets: [{ Id: 'slack-notifier', Arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:slack-notifier` }] }, '2026-11-02T10:00:12Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [],
    },
    {
      name: 'a security rule deleted and created again matching EC2 events only: its alerting is gone (Low through Terraform)',
      records: [
        putRule('guardduty-to-slack', ['aws.guardduty'], '2026-10-01T09:00:00Z'),
        call('events', 'DeleteRule', { name: 'guardduty-to-slack', force: false }, '2026-11-02T10:00:04Z', terraform, TERRAFORM_AGENT),
        putRule('guardduty-to-slack', ['aws.ec2'], '2026-11-02T10:00:08Z'),
      ],
      expect: [ALERTING],
    },
    {
      name: 'alerting upkeep: a security rule’s target replaced from the console, rules and alarm actions re-enabled, ordinary rules and alarms removed, a refused disable, a service’s own managed rule',
      records: [
        putRule('findings-router', ['aws.guardduty'], '2026-10-01T09:00:00Z'),
        putRule('instance-state-alerts', ['aws.ec2'], '2026-10-01T09:00:10Z'),
        call('events', 'RemoveTargets', { rule: 'findings-router', ids: ['old-queue'] }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        call('events', 'PutTargets', { rule: 'findings-router', targets: [{ id: 'new-queue', arn: 'arn:aws:sqs:us-east-1:111122223333:security-findings' }] }, '2026-11-02T10:00:02Z', admin, CONSOLE_AGENT),
        call('events', 'EnableRule', { name: 'findings-router' }, '2026-11-02T10:01:00Z'),
        call('monitoring', 'EnableAlarmActions', { alarmNames: ['CIS-3.3-RootAccountUsage'] }, '2026-11-02T10:02:00Z'),
        call('events', 'DisableRule', { name: 'instance-state-alerts' }, '2026-11-02T10:03:00Z'),
        call('events', 'DeleteRule', { name: 'nightly-report-schedule' }, '2026-11-02T10:04:00Z'),
        call('monitoring', 'DeleteAlarms', { alarmNames: ['ecs-cpu-high', 'rds-root-volume-full'] }, '2026-11-02T10:05:00Z'),
        { ...call('events', 'DisableRule', { name: 'findings-router' }, '2026-11-02T10:06:00Z', iamUser('intern')), errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
        { ...call('events', 'DeleteRule', { name: 'AwsSecurityHubManagedRule-9f8e7d', force: true }, '2026-11-02T10:07:00Z', awsService('securityhub.amazonaws.com')), sourceIPAddress: 'securityhub.amazonaws.com', userAgent: 'securityhub.amazonaws.com' },
      ],
      expect: [],
    },
  ],
};
