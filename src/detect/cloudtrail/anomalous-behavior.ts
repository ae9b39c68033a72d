import { ApiEvent, type ApiEventFields } from '../api-event.js';
import { type EvidenceRef, evidenceRef } from '../../findings/build.js';
import { assumedRole, CLI_AGENT, CONSOLE_AGENT, ctEvent, iamUser, repeated, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext, FindingTypeSpec } from '../detection.js';
import { isReconCall } from './api-classes.js';
import { addItem, apiName, DELIVERY_DELAY } from './gumshoe-common.js';
import {
  anomalyReport,
  asnLabel,
  bareApi,
  CONSOLE_CATEGORY,
  countryOf,
  inCloudShell,
  isUnusual,
  isUnusualCountry,
  isUnusualNetwork,
  learning,
  newProfile,
  observe,
  type Profile,
  type ProfiledFeature,
  relearnIfDormant,
  uaCategory,
  userNameLabel,
  userTypeLabel,
} from './behavior-profile.js';

/**
 * The eight `*:IAMUser/AnomalousBehavior` types (guardduty.md §2.1, §8). Every management call is
 * profiled per principal and per account (API, ASN, user-agent category, country, user name and type, as
 * days active). After the principal's learning period, a call fires when its API belongs to an attack
 * tactic, is unusual for the principal, AND comes with at least one unusual context feature (ASN, agent
 * category, or country where the ASN is unknown or unusual too): a new API from the usual place and tool is
 * normal admin work, and a new place alone is travel; opening the console is no new tool. A principal still
 * learning (new, or back after its values were forgotten) is judged against the account once the account has
 * learned: its network must be unusual for the account, and its agent category or the API too
 * (isUnusualUserIdentity). "Unusual" is not "first seen a moment ago": a value
 * stays unusual until it is established in the profile (behavior-profile `established`: active on 3
 * distinct days, or known for the learning period), so an intruder's harmless first calls do not make their
 * network familiar before the harmful ones, however far apart they are. As in GuardDuty (guardduty.md §8.1),
 * anomalous calls of one identity less than ten minutes apart are one burst, reported as one finding: its
 * anomalous APIs list every call, and the highest-risk call is the primary API, whose tactic names the type.
 * Calls further apart are findings of their own, and repeats update the same finding. Failed calls count:
 * denied enumeration is what an intruder does.
 *
 * A run boundary is not the end of a burst (detect on a 5-minute schedule splits most of them): an open
 * burst is kept in detection state (its primary call without payloads, its calls per service, references
 * to its first 25 calls) until a later call of the identity, or the newest event of a run, is more than the
 * gap past its last call. A burst still open at the end of a run over live logs (the run's clock is within
 * the gap and CloudTrail's delivery delay of its last call) waits, unreported, for the run whose logs or
 * clock pass its gap: the next run's files may continue it, maybe with a call of a higher tactic, and one
 * run over all the logs would report it once, under that tactic (a finding on recent logs so comes at most
 * a run later, as held mass deletions and IAM decisions do). A run over past logs reports, at its end,
 * every burst that took calls in it, as it stands; a later run that continues the burst (logs delivered
 * late, a backfill) reports it again with every call so far, the primary still the highest-risk one of the
 * whole burst, and so updates the same finding (same identity, same type) without counting it again: a
 * burst split between runs gives the finding a batch run gives, count included. Only a later call of a
 * higher tactic than the burst had when reported changes its type, and so makes a new finding (listing
 * every call of the burst): the earlier, lower one stays as it was reported, since it was raised before the
 * escalation was seen.
 */
export type Tactic =
  | 'CredentialAccess'
  | 'DefenseEvasion'
  | 'Discovery'
  | 'Exfiltration'
  | 'Impact'
  | 'InitialAccess'
  | 'Persistence'
  | 'PrivilegeEscalation';

/** Discovery is judged by verb (api-classes.isReconCall); the other tactics by the table below. */
type HighRiskTactic = Exclude<Tactic, 'Discovery'>;

/** High-risk APIs per tactic, `service:Api` with the short eventSource name; seeded from §2.1's examples. */
const TACTIC_APIS: Record<HighRiskTactic, string[]> = {
  CredentialAccess: [
    'ec2:GetPasswordData', 'secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'rds:GenerateDbAuthToken',
    'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory',
    'redshift:GetClusterCredentials', 'redshift:GetClusterCredentialsWithIAM', 'redshift-serverless:GetCredentials',
    'lightsail:GetInstanceAccessDetails', 'iam:GenerateCredentialReport', 'iam:GetCredentialReport', 'codecommit:GetCredentials',
    'kms:Decrypt', 'cognito-identity:GetCredentialsForIdentity',
  ],
  DefenseEvasion: [
    'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors',
    'cloudtrail:DeleteEventDataStore', 'ec2:DeleteFlowLogs', 'monitoring:DisableAlarmActions', 'monitoring:DeleteAlarms',
    'guardduty:DeleteDetector', 'guardduty:UpdateDetector', 'guardduty:DisassociateFromMasterAccount',
    'guardduty:DisassociateFromAdministratorAccount', 'guardduty:CreateIPSet', 'guardduty:UpdateIPSet',
    'guardduty:DeletePublishingDestination', 'guardduty:CreateFilter', 'guardduty:UpdateFilter',
    'config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder', 'config:DeleteDeliveryChannel',
    'logs:DeleteLogGroup', 'logs:DeleteLogStream', 'logs:DeleteSubscriptionFilter', 'securityhub:DisableSecurityHub',
    'securityhub:BatchDisableStandards', 'macie2:DisableMacie', 'access-analyzer:DeleteAnalyzer', 'detective:DeleteGraph',
    'inspector2:Disable', 'route53resolver:DeleteResolverQueryLogConfig', 'route53resolver:DisassociateResolverQueryLogConfig',
    'bedrock:DeleteModelInvocationLoggingConfiguration', 'organizations:LeaveOrganization', 's3:PutBucketLogging',
    'waf:DeleteWebACL', 'wafv2:DeleteWebACL', 'wafv2:DeleteLoggingConfiguration',
  ],
  Exfiltration: [
    's3:PutBucketReplication', 'ec2:CreateSnapshot', 'ec2:CreateSnapshots', 'ec2:CopySnapshot', 'ec2:ModifySnapshotAttribute',
    'ec2:ModifyImageAttribute', 'ec2:CopyImage', 'ec2:ExportImage', 'ec2:CreateInstanceExportTask', 'ec2:CreateStoreImageTask',
    'ec2:CreateTrafficMirrorSession', 'rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterFromSnapshot',
    'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute', 'rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot',
    'rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot', 'rds:StartExportTask', 'dynamodb:ExportTableToPointInTime',
    'redshift:ModifySnapshotCopyGrant', 'redshift:AuthorizeSnapshotAccess', 'backup:StartCopyJob', 'lambda:GetFunction',
  ],
  Impact: [
    'ec2:DeleteSecurityGroup', 'ec2:TerminateInstances', 'ec2:DeleteVolume', 'ec2:DeleteSnapshot', 'ec2:RunInstances',
    'ec2:DeleteVpc', 'ec2:DisableEbsEncryptionByDefault', 'iam:UpdateUser', 'iam:DeleteUser', 'iam:DeleteRole',
    'iam:DeleteLoginProfile', 'iam:DeleteAccessKey', 'iam:DeleteAccountPasswordPolicy', 's3:PutBucketPolicy',
    's3:DeleteBucketPolicy', 's3:PutBucketAcl', 's3:DeleteBucket', 's3:PutBucketVersioning', 's3:PutBucketLifecycle',
    's3:PutBucketLifecycleConfiguration', 's3:DeleteBucketEncryption', 's3:PutBucketPublicAccessBlock',
    's3:DeleteBucketPublicAccessBlock', 'rds:DeleteDBInstance', 'rds:DeleteDBCluster', 'rds:DeleteDBSnapshot',
    'rds:ModifyDBInstance', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy', 'secretsmanager:DeleteSecret',
    'dynamodb:DeleteTable', 'lambda:DeleteFunction', 'ecr:DeleteRepository', 'cloudformation:DeleteStack',
    'route53:ChangeResourceRecordSets', 'backup:DeleteBackupVault', 'backup:DeleteRecoveryPoint', 'ses:UpdateAccountSendingEnabled',
  ],
  InitialAccess: [
    'ssm:StartSession', 'ssm:ResumeSession', 'ecr:GetAuthorizationToken', 'ecr-public:GetAuthorizationToken',
    'codeartifact:GetAuthorizationToken', 'sts:GetFederationToken', 'sts:GetSessionToken', 'sso:GetRoleCredentials',
    'signin:ConsoleLogin', 'signin:GetSigninToken', 'ec2-instance-connect:SendSSHPublicKey',
    'ec2-instance-connect:SendSerialConsoleSSHPublicKey', 'eks:CreateAccessEntry',
  ],
  Persistence: [
    'iam:CreateAccessKey', 'iam:CreateUser', 'iam:CreateLoginProfile', 'iam:UploadSSHPublicKey', 'iam:CreateServiceSpecificCredential',
    'iam:CreateRole', 'iam:CreateOpenIDConnectProvider', 'iam:CreateSAMLProvider', 'iam:UpdateSAMLProvider',
    'iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'ec2:ImportKeyPair', 'ec2:CreateKeyPair', 'ec2:ModifyInstanceAttribute',
    'ec2:AuthorizeSecurityGroupIngress', 'ec2:CreateLaunchTemplateVersion', 'lambda:CreateFunction', 'lambda:UpdateFunctionCode',
    'lambda:AddPermission', 'lambda:AddLayerVersionPermission', 'lambda:CreateEventSourceMapping', 'events:PutRule',
    'events:PutTargets', 'rolesanywhere:CreateTrustAnchor', 'rolesanywhere:CreateProfile', 'ssm:CreateAssociation',
    'ssm:SendCommand', 'cognito-idp:AdminCreateUser', 'sso:CreatePermissionSet', 'sso-directory:CreateUser',
  ],
  PrivilegeEscalation: [
    'ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation', 'iam:AddUserToGroup', 'iam:PutUserPolicy',
    'iam:PutRolePolicy', 'iam:PutGroupPolicy', 'iam:AttachUserPolicy', 'iam:AttachRolePolicy', 'iam:AttachGroupPolicy',
    'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:UpdateLoginProfile', 'iam:UpdateAssumeRolePolicy',
    'iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary', 'iam:AddRoleToInstanceProfile',
    'lambda:UpdateFunctionConfiguration', 'glue:CreateDevEndpoint', 'glue:UpdateDevEndpoint', 'sts:AssumeRoot',
    'sso:AttachManagedPolicyToPermissionSet', 'sso:PutInlinePolicyToPermissionSet', 'sso:CreateAccountAssignment',
  ],
};

const TACTIC_OF = new Map<string, HighRiskTactic>(
  Object.entries(TACTIC_APIS).flatMap(([tactic, apis]) => apis.map((api) => [api, tactic as HighRiskTactic] as const)),
);

/** Highest risk first: the primary API of a burst is the one whose tactic comes first here. */
const RISK: readonly Tactic[] = ['Exfiltration', 'Impact', 'DefenseEvasion', 'PrivilegeEscalation', 'CredentialAccess', 'Persistence', 'InitialAccess', 'Discovery'];

/** The tactic of a high-risk API in the table, or undefined. */
export function highRiskTactic(event: Pick<ApiEvent, 'api' | 'serviceShort'>): HighRiskTactic | undefined {
  const service = event.serviceShort;
  // Lambda's CloudTrail names carry an API version (`UpdateFunctionCode20150331v2`).
  const api = service === 'lambda' ? apiName(event.api) : event.api;
  return TACTIC_OF.get(`${service}:${api}`);
}

/** The attack tactic an API serves, or undefined; other read-only enumeration is Discovery. */
export function apiTactic(event: Pick<ApiEvent, 'api' | 'serviceShort' | 'request'>): Tactic | undefined {
  return highRiskTactic(event) ?? (isReconCall(event) ? 'Discovery' : undefined);
}

/** Anomalous calls of one identity less than this apart form one burst, reported as one finding. */
const BURST_MS = 10 * 60_000;
/** Evidence events kept per burst. */
const BURST_EVENTS = 25;
/** Distinct `Api:outcome` entries kept per service, and values per unusual feature, in one burst. */
const BURST_ITEMS = 100;
/** Open bursts kept in state; beyond, the one opened first is reported and closed. */
const OPEN_BURSTS = 1000;

/** Values kept per feature (least-used evicted beyond): principal and account scope. */
const PRINCIPAL_CAPS = { api: 400, asn: 50, ua: 30, country: 30 };
const ACCOUNT_CAPS = { api: 2000, asn: 300, ua: 100, country: 100, type: 12, name: 2000 };

type UnusualFeature = 'apis' | 'asns' | 'agents' | 'countries' | 'accountApis' | 'accountAsns' | 'accountAgents' | 'accountTypes' | 'accountNames';

/** A burst as kept in detection state (plain JSON) while it may still grow, across runs. */
interface Burst {
  principalKey: string;
  account: string;
  start: number;
  last: number;
  /** The highest-risk call so far, without its payloads: a report reads its flat fields only. */
  primary: ApiEventFields;
  tactic: Tactic;
  /** eventSource → `Api:outcome` entries, both in order of first appearance. */
  calls: Record<string, string[]>;
  /** Where the burst's first calls are stored: the finding's evidence. */
  evidence: EvidenceRef[];
  /** Unusual values per feature (a burst saved before a feature was added lacks its list). */
  unusual: Partial<Record<UnusualFeature, string[]>>;
  /** Whether the identity was still learning, and so judged against the account (isUnusualUserIdentity). */
  newIdentity?: boolean;
  /** The type and evidence count of the last report, if any, and whether calls came since. */
  reported: { tactic: Tactic; evidence: number } | null;
  changed: boolean;
}

/** Open bursts by principal key. */
type OpenBursts = Record<string, Burst>;

const openBursts = (context: DetectionContext): OpenBursts => context.state<OpenBursts>('open-bursts', () => ({}));

/** Per run (runner context): the newest event time seen, and when open bursts are next checked for their end. */
interface RunClock {
  newest: number;
  nextSweep: number;
}

const clocks = new WeakMap<DetectionContext, RunClock>();

function runClock(context: DetectionContext): RunClock {
  let clock = clocks.get(context);
  if (!clock) {
    clock = { newest: Number.NEGATIVE_INFINITY, nextSweep: Number.NEGATIVE_INFINITY };
    clocks.set(context, clock);
  }
  return clock;
}

/**
 * Whose behaviour is profiled: the principal (a role whatever its session names: CI runs, instances), but
 * for an IAM Identity Center role each person signed in through it, named by the session: the people who
 * share a permission set do not share habits, nor bursts.
 */
function identityKey(event: ApiEvent): string {
  const { sessionIssuerName, arn } = event.actor;
  if (!sessionIssuerName?.startsWith('AWSReservedSSO_') || !arn) return event.principalKey;
  return `${event.principalKey}/${arn.slice(arn.lastIndexOf('/') + 1)}`;
}

/** Calls a person or workload made directly; AWS acting on its behalf is not the identity's behaviour. */
function profiled(event: ApiEvent): boolean {
  if (!event.sourceIp || event.actor.invokedBy) return false;
  if (event.actor.type === 'AWSService' || event.actor.type === 'AWSAccount') return false;
  return event.eventCategory !== 'Data' && event.managementEvent !== false;
}

const outcome = (event: Pick<ApiEventFields, 'failed' | 'errorCode'>): string => (event.failed ? (event.errorCode ?? 'Failure') : 'success');

const TACTIC_TEXT: Record<Tactic, string> = {
  CredentialAccess: 'credential access',
  DefenseEvasion: 'defense evasion',
  Discovery: 'discovery',
  Exfiltration: 'exfiltration',
  Impact: 'impact',
  InitialAccess: 'initial access',
  Persistence: 'persistence',
  PrivilegeEscalation: 'privilege escalation',
};

const NO_PAYLOADS = { requestText: null, responseText: null, additionalText: null, resourcesText: null, identityText: null };

/** The event's own fields, for state: payloads are not needed to report it. */
function storedEvent(event: ApiEvent): ApiEventFields {
  return { ...event.fields(), ...NO_PAYLOADS };
}

function newBurst(event: ApiEvent, account: string, tactic: Tactic): Burst {
  const { time } = event;
  return { principalKey: identityKey(event), account, start: time, last: time, primary: storedEvent(event), tactic, calls: {}, evidence: [], unusual: {}, reported: null, changed: true };
}

/** Whether a call at `time` belongs to the burst: less than the burst gap from its calls (older data may arrive later). */
const continues = (burst: Burst, time: number): boolean => time - burst.last <= BURST_MS && burst.start - time <= BURST_MS;

function addCall(burst: Burst, event: ApiEvent, tactic: Tactic): void {
  burst.start = Math.min(burst.start, event.time);
  burst.last = Math.max(burst.last, event.time);
  addItem((burst.calls[event.service] ??= []), `${event.api}:${outcome(event)}`, BURST_ITEMS);
  if (burst.evidence.length < BURST_EVENTS) burst.evidence.push(evidenceRef(event));
  burst.changed = true;
  const rank = RISK.indexOf(tactic);
  const current = RISK.indexOf(burst.tactic);
  // A successful call outranks a failed one of the same tactic.
  if (rank < current || (rank === current && burst.primary.failed && !event.failed)) {
    burst.primary = storedEvent(event);
    burst.tactic = tactic;
  }
}

/** `iam.amazonaws.com:[CreateAccessKey:success , AttachUserPolicy:AccessDenied]`, the primary's service first. */
function anomalousApis(burst: Burst): string {
  const primaryFirst = (service: string) => Number(service !== burst.primary.service);
  const services = Object.keys(burst.calls).sort((a, b) => primaryFirst(a) - primaryFirst(b));
  return services.map((service) => `${service}:[${burst.calls[service]!.join(' , ')}]`).join(' , ');
}

const samePlace = (a: EvidenceRef, b: ApiEventFields): boolean => a.uid === b.uid && a.fileId === b.fileId && a.line === b.line && a.time === b.time;

/**
 * The evidence a report adds: what earlier reports of the same finding have not, or every call when the
 * finding is new (the first report, or a higher tactic since). As events: only their place is read, so the
 * calls stored by reference stand in as copies of the primary at their place.
 */
function newEvidence(burst: Burst): ApiEvent[] {
  const from = burst.reported?.tactic === burst.tactic ? burst.reported.evidence : 0;
  return burst.evidence.slice(from).filter((ref) => !samePlace(ref, burst.primary)).map((ref) => new ApiEvent({ ...burst.primary, ...ref }));
}

/** Emits the burst as it stands, if calls came since its last report; later reports of it update the same finding. */
function report(burst: Burst, context: DetectionContext): void {
  if (!burst.changed) return;
  const { learningDays } = context.settings;
  const principal = context.state<Profile>(`p:${burst.principalKey}`, () => newProfile(burst.start));
  const account = context.state<Profile>(`a:${burst.account}`, () => newProfile(burst.start));
  const profiles: ProfiledFeature[] = [
    { scope: 'UserIdentityProfiling', name: 'APIs', profile: principal, feature: 'api', display: bareApi },
    { scope: 'UserIdentityProfiling', name: 'ASNs', profile: principal, feature: 'asn' },
    { scope: 'UserIdentityProfiling', name: 'UserAgents', profile: principal, feature: 'ua' },
    { scope: 'AccountProfiling', name: 'APIs', profile: account, feature: 'api', display: bareApi },
    { scope: 'AccountProfiling', name: 'ASNs', profile: account, feature: 'asn' },
    { scope: 'AccountProfiling', name: 'UserAgents', profile: account, feature: 'ua' },
    { scope: 'AccountProfiling', name: 'UserNames', profile: account, feature: 'name' },
    { scope: 'AccountProfiling', name: 'UserTypes', profile: account, feature: 'type' },
  ];
  const u = (feature: UnusualFeature): string[] => burst.unusual[feature] ?? [];
  const profile = anomalyReport(
    profiles,
    [
      { scope: 'UserIdentityProfiling', name: 'APIs', values: u('apis').map(bareApi) },
      { scope: 'UserIdentityProfiling', name: 'ASNs', values: u('asns') },
      { scope: 'UserIdentityProfiling', name: 'UserAgents', values: u('agents') },
      { scope: 'AccountProfiling', name: 'APIs', values: u('accountApis').map(bareApi) },
      { scope: 'AccountProfiling', name: 'ASNs', values: u('accountAsns') },
      { scope: 'AccountProfiling', name: 'UserAgents', values: u('accountAgents') },
      { scope: 'AccountProfiling', name: 'UserNames', values: u('accountNames') },
      { scope: 'AccountProfiling', name: 'UserTypes', values: u('accountTypes') },
    ],
    { time: burst.start, learningDays },
    { isUnusualUserIdentity: String(burst.newIdentity === true) },
  );
  const what = [
    ...(burst.newIdentity ? ['identity'] : []),
    ...(u('asns').length ? [`network ${u('asns').join(', ')}`] : []),
    ...(u('agents').length ? [`user agent ${u('agents').join(', ')}`] : []),
    ...(u('countries').length ? [`country ${u('countries').join(', ')}`] : []),
  ].join('; ');
  const apis = anomalousApis(burst);
  context.emit({
    type: `${burst.tactic}:IAMUser/AnomalousBehavior`,
    event: new ApiEvent(burst.primary),
    related: newEvidence(burst),
    since: burst.start,
    until: burst.last,
    additionalInfo: { anomalies: { anomalousAPIs: apis }, profiledBehavior: profile.profiledBehavior, unusualBehavior: profile.unusualBehavior },
    detection: { anomaly: profile.anomaly },
    vars: { apis, unusual: what },
    // An earlier report of this burst under the same type counted it: this one only updates the finding.
    continues: burst.reported?.tactic === burst.tactic,
  });
  burst.reported = { tactic: burst.tactic, evidence: burst.evidence.length };
  burst.changed = false;
}

function close(open: OpenBursts, key: string, context: DetectionContext): void {
  report(open[key]!, context);
  delete open[key];
}

/** Reports and forgets the bursts over at `now`: no call for longer than the burst gap. */
function closeBurstsOver(context: DetectionContext, now: number): void {
  const open = openBursts(context);
  for (const [key, burst] of Object.entries(open)) if (now - burst.last > BURST_MS) close(open, key, context);
}

/** The identity's open burst that `event` continues, else a new one (an open burst it cannot continue is over). */
function burstFor(context: DetectionContext, event: ApiEvent, account: string, tactic: Tactic): Burst {
  const open = openBursts(context);
  const key = identityKey(event);
  const current = open[key];
  if (current && continues(current, event.time)) return current;
  if (current) close(open, key, context);
  else if (Object.keys(open).length >= OPEN_BURSTS) close(open, Object.keys(open)[0]!, context);
  return (open[key] = newBurst(event, account, tactic));
}

/**
 * The end of a run: the bursts the run's logs have passed the gap of are reported and closed. Of those
 * still open, a burst whose gap and CloudTrail's delivery delay the run's clock has passed (a run over past
 * logs) is reported as it stands, and stays open for a late call; one on live logs waits for a later run,
 * whose files may continue it.
 */
function finish(context: DetectionContext): void {
  const open = openBursts(context);
  const newest = clocks.get(context)?.newest ?? Number.NEGATIVE_INFINITY;
  for (const [key, burst] of Object.entries(open)) {
    if (newest - burst.last > BURST_MS) close(open, key, context);
    else if (context.now - burst.last > BURST_MS + DELIVERY_DELAY) report(burst, context);
  }
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  const clock = runClock(context);
  clock.newest = Math.max(clock.newest, event.time);
  if (!profiled(event)) return;
  if (event.time >= clock.nextSweep) {
    closeBurstsOver(context, event.time);
    clock.nextSweep = event.time + BURST_MS;
  }
  const key = identityKey(event);
  const accountId = event.accountId ?? event.actor.accountId ?? 'unknown';
  const { time } = event;
  const { learningDays } = context.settings;
  const principal = context.state<Profile>(`p:${key}`, () => newProfile(time));
  const account = context.state<Profile>(`a:${accountId}`, () => newProfile(time));
  const api = `${event.serviceShort}:${event.api}`;
  // CloudShell's addresses are AWS's: its network is neither judged nor learned for the user.
  const place = inCloudShell(event.userAgent) ? null : event.sourceIp;
  const asn = asnLabel(place, context.intel);
  const agent = uaCategory(event.userAgent);
  const country = countryOf(place, context.intel);
  const type = userTypeLabel(event);
  const name = userNameLabel(event);

  relearnIfDormant(principal, time);
  relearnIfDormant(account, time);
  // A principal still learning (new, seen on too few days, or back from dormancy) is judged against the
  // account once the account has learned: a backdoor user or role must not get a week's grace.
  const newIdentity = learning(principal, time, learningDays);
  const tactic = newIdentity && learning(account, time, learningDays) ? undefined : apiTactic(event);
  // Unusual means not yet established, not "first seen a moment ago": an intruder's GetCallerIdentity must
  // not make their ASN familiar before their CreateAccessKey, minutes or hours later.
  const unusual = (profile: Profile, feature: string, value: string) => isUnusual(profile, feature, value, time, learningDays);
  if (tactic && unusual(principal, 'api', api)) {
    const newAsn = asn !== null && isUnusualNetwork(principal, asn, time, learningDays);
    const newAgent = unusual(principal, 'ua', agent);
    const newCountry = isUnusualCountry(principal, country, asn !== null, newAsn, time, learningDays);
    const accountAsn = asn !== null && isUnusualNetwork(account, asn, time, learningDays);
    const accountAgent = unusual(account, 'ua', agent);
    const accountApi = unusual(account, 'api', api);
    // Opening the console is no new tool: whoever holds a password or session from elsewhere shows on the network.
    const anomalous = newIdentity
      ? accountAsn && (accountAgent || accountApi)
      : newAsn || newCountry || (newAgent && agent !== CONSOLE_CATEGORY);
    if (anomalous) {
      const burst = burstFor(context, event, accountId, tactic);
      addCall(burst, event, tactic);
      if (newIdentity) burst.newIdentity = true;
      const u = burst.unusual;
      const note = (feature: UnusualFeature, value: string) => addItem((u[feature] ??= []), value, BURST_ITEMS);
      note('apis', api);
      if (newAsn) note('asns', asn);
      if (newAgent) note('agents', agent);
      if (newCountry) note('countries', country!);
      if (accountApi) note('accountApis', api);
      if (accountAsn) note('accountAsns', asn);
      if (accountAgent) note('accountAgents', agent);
      if (unusual(account, 'type', type)) note('accountTypes', type);
      if (unusual(account, 'name', name)) note('accountNames', name);
    }
  }

  observe(principal, 'api', api, time, PRINCIPAL_CAPS.api);
  observe(principal, 'ua', agent, time, PRINCIPAL_CAPS.ua);
  if (asn !== null) observe(principal, 'asn', asn, time, PRINCIPAL_CAPS.asn);
  if (country !== null) observe(principal, 'country', country, time, PRINCIPAL_CAPS.country);
  observe(account, 'api', api, time, ACCOUNT_CAPS.api);
  observe(account, 'ua', agent, time, ACCOUNT_CAPS.ua);
  if (asn !== null) observe(account, 'asn', asn, time, ACCOUNT_CAPS.asn);
  if (country !== null) observe(account, 'country', country, time, ACCOUNT_CAPS.country);
  observe(account, 'type', type, time, ACCOUNT_CAPS.type);
  observe(account, 'name', name, time, ACCOUNT_CAPS.name);
}

function spec(tactic: Tactic, severity: number, mitre: FindingTypeSpec['mitre'], remediation: string): FindingTypeSpec {
  const text = TACTIC_TEXT[tactic];
  return {
    type: `${tactic}:IAMUser/AnomalousBehavior`,
    dataSource: 'CloudTrailManagement',
    severity,
    resourceType: 'AccessKey',
    mitre,
    title: `The API {api} commonly used in ${text} tactics was invoked in an unusual way by {principal}.`,
    description:
      `APIs commonly used in ${text} tactics were invoked by {principal} from {ip} in a way not seen for this identity during its learning period (unusual {unusual}). ` +
      'Anomalous APIs: {apis}.',
    remediation,
  };
}

// ---- Cases ----

const OFFICE_IP = '81.2.69.160'; // Andrews & Arnold, London
const OFFICE_IP_2 = '81.2.69.161';
const VPS_IP = '51.15.1.1'; // Scaleway, Netherlands
const FOREIGN_IP = '77.88.8.8'; // Yandex, Russia
const RUNNER_IPS = ['20.42.65.92', '20.85.1.1']; // one ASN (Microsoft), as hosted CI runners are
const RUNNER_IP_AU = '20.42.247.236'; // the same Microsoft ASN, geolocated in Australia
const HOME_IP = '86.1.1.1'; // Virgin Media, UK
const LAGOS_IP = '41.203.64.1'; // Globacom, Nigeria
const AMAZON_14618 = '3.80.0.1';
const AMAZON_16509 = '52.0.0.1';
const BOTO_AGENT = 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0';
const HTTP_AGENT = 'python-requests/2.31.0';
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** One call of `alice` (or `identity`) from `ip` with `agent`. */
const call = (service: string, name: string, time: string, ip: string, agent: string, request?: Record<string, unknown>, identity = alice): CloudTrailRecord =>
  ctEvent({ service, name, identity, time, ip, userAgent: agent, request });

/** Two weeks of everyday work before `end`: a few calls a day from the usual place and tool. */
const alice = iamUser('alice');

function history(identity: Record<string, unknown>, end: string, options: { ip?: string | string[]; agent?: string; apis?: [string, string][] } = {}): CloudTrailRecord[] {
  const apis = options.apis ?? [['ec2', 'DescribeInstances'], ['s3', 'ListBuckets'], ['sts', 'GetCallerIdentity'], ['iam', 'ListUsers']];
  const start = new Date(Date.parse(end) - 14 * 86_400_000).toISOString().replace('.000Z', 'Z');
  const ips = Array.isArray(options.ip) ? options.ip : [options.ip ?? OFFICE_IP];
  return repeated(14 * apis.length, start, (24 * 60) / apis.length, (time, i) => {
    const [service, name] = apis[i % apis.length]!;
    return ctEvent({ service, name, identity, time, ip: ips[i % ips.length], userAgent: options.agent ?? CLI_AGENT });
  });
}

const cases: ApiDetection['cases'] = () => [
  {
    name: 'stolen key: CreateAccessKey and a denied AttachUserPolicy from a VPS, after two weeks of office work',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: alice, time: '2026-11-15T09:00:00Z', ip: VPS_IP, userAgent: 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0', request: { userName: 'alice' } }),
      ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: alice, time: '2026-11-15T09:03:00Z', ip: VPS_IP, userAgent: 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0', errorCode: 'AccessDenied', request: { userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
    ],
    // One burst: AttachUserPolicy (privilege escalation) outranks CreateAccessKey (persistence) as its primary API.
    expect: ['PrivilegeEscalation:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'Stratus iam-backdoor-user: CreateAccessKey from an unfamiliar tool',
    records: history(iamUser('christophe', '946986569305'), '2024-07-30T21:50:00Z', { ip: '86.245.153.234' }),
    datasets: [{ stratus: 'aws.persistence.iam-backdoor-user' }],
    expect: ['Persistence:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'Stratus secretsmanager-retrieve-secrets after two weeks of CLI work',
    records: history(iamUser('christophe', '903144391865'), '2024-07-31T12:30:00Z', { ip: '86.245.153.234' }),
    datasets: [{ stratus: 'aws.credential-access.secretsmanager-retrieve-secrets' }],
    // ListSecrets (discovery) and GetSecretValue (credential access) in one burst: credential access names it.
    expect: ['CredentialAccess:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'Stratus cloudtrail-stop after two weeks of CLI work',
    records: history(iamUser('christophe', '143434273843'), '2024-07-31T13:00:00Z', { ip: OFFICE_IP }),
    datasets: [{ stratus: 'aws.defense-evasion.cloudtrail-stop' }],
    expect: ['DefenseEvasion:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'Stratus ec2-share-ami (ModifyImageAttribute) after two weeks of CLI work',
    records: history(iamUser('christophe', '118238665043'), '2024-08-01T12:20:00Z', { ip: OFFICE_IP }),
    datasets: [{ stratus: 'aws.exfiltration.ec2-share-ami' }],
    expect: ['Exfiltration:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'enumeration from a foreign network with a new tool, failures included',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z', { apis: [['ec2', 'DescribeInstances'], ['s3', 'ListBuckets']] }),
      ...['ListRoles', 'ListPolicies', 'GetAccountAuthorizationDetails'].map((name, i) =>
        ctEvent({ service: 'iam', name, identity: alice, time: `2026-11-15T09:0${i}:00Z`, ip: FOREIGN_IP, userAgent: 'python-requests/2.31.0', errorCode: i === 2 ? 'AccessDenied' : undefined }),
      ),
    ],
    expect: ['Discovery:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'destructive calls from a new country: TerminateInstances and DeleteSecurityGroup',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      ctEvent({ service: 'ec2', name: 'TerminateInstances', identity: alice, time: '2026-11-15T09:00:00Z', ip: FOREIGN_IP, request: { instancesSet: { items: [{ instanceId: 'i-0abc1234def567890' }] } } }),
      ctEvent({ service: 'ec2', name: 'DeleteSecurityGroup', identity: alice, time: '2026-11-15T09:02:00Z', ip: FOREIGN_IP, request: { groupId: 'sg-0123456789abcdef0' } }),
    ],
    expect: ['Impact:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'SSM StartSession from a VPS by a role that only ever deployed from CI',
    records: [
      ...history(assumedRole('deployer', 'GitHubActions'), '2026-11-15T09:00:00Z', { ip: RUNNER_IPS, agent: TERRAFORM_AGENT }),
      ctEvent({ service: 'ssm', name: 'StartSession', identity: assumedRole('deployer', 'GitHubActions'), time: '2026-11-15T09:00:00Z', ip: VPS_IP, userAgent: CLI_AGENT, request: { target: 'i-0abc1234def567890' } }),
    ],
    expect: ['InitialAccess:IAMUser/AnomalousBehavior'],
  },
  // ---- A value stays unusual until it is established (seen minutes or a day ago is not learned) ----
  {
    name: 'stolen key: GetCallerIdentity from a new network, AttachUserPolicy AdministratorAccess 15 minutes later',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      call('sts', 'GetCallerIdentity', '2026-11-15T09:00:00Z', LAGOS_IP, HTTP_AGENT),
      call('iam', 'AttachUserPolicy', '2026-11-15T09:15:00Z', LAGOS_IP, HTTP_AGENT, { userName: 'alice', policyArn: ADMIN_POLICY }),
    ],
    expect: ['PrivilegeEscalation:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'stolen key used unhurriedly, a call every 20 minutes: every tactic still found',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      call('sts', 'GetCallerIdentity', '2026-11-15T09:00:00Z', LAGOS_IP, HTTP_AGENT),
      call('secretsmanager', 'GetSecretValue', '2026-11-15T09:20:00Z', LAGOS_IP, HTTP_AGENT, { secretId: 'prod/db' }),
      call('iam', 'CreateAccessKey', '2026-11-15T09:40:00Z', LAGOS_IP, HTTP_AGENT, { userName: 'svc-backup' }),
      call('cloudtrail', 'StopLogging', '2026-11-15T10:00:00Z', LAGOS_IP, HTTP_AGENT, { name: 'org-trail' }),
      call('ec2', 'CreateSnapshot', '2026-11-15T10:20:00Z', LAGOS_IP, HTTP_AGENT, { volumeId: 'vol-0abc1234def567890' }),
    ],
    expect: [
      'CredentialAccess:IAMUser/AnomalousBehavior', 'DefenseEvasion:IAMUser/AnomalousBehavior', 'Exfiltration:IAMUser/AnomalousBehavior',
      'Persistence:IAMUser/AnomalousBehavior',
    ],
  },
  {
    name: 'the intruder tries the key one day and comes back the next from the same network',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      call('sts', 'GetCallerIdentity', '2026-11-15T09:00:00Z', VPS_IP, BOTO_AGENT),
      call('iam', 'ListUsers', '2026-11-15T09:01:00Z', VPS_IP, BOTO_AGENT),
      call('iam', 'CreateAccessKey', '2026-11-16T11:00:00Z', VPS_IP, BOTO_AGENT, { userName: 'alice' }),
    ],
    expect: ['Persistence:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'a new home network in use on three days is established: a new high-risk API from it is admin work',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      ...['12', '13', '14'].map((day) => call('ec2', 'DescribeInstances', `2026-11-${day}T18:00:00Z`, HOME_IP, CLI_AGENT)),
      call('iam', 'CreateAccessKey', '2026-11-15T18:00:00Z', HOME_IP, CLI_AGENT, { userName: 'bob' }),
    ],
    expect: [],
  },
  {
    name: 'a network first seen more than the learning period ago is established, however rarely used',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      call('sts', 'GetCallerIdentity', '2026-11-06T20:00:00Z', HOME_IP, BOTO_AGENT),
      call('iam', 'CreateAccessKey', '2026-11-15T20:00:00Z', HOME_IP, BOTO_AGENT, { userName: 'bob' }),
    ],
    expect: [],
  },
  {
    name: 'the usual read-only calls from a network first seen this morning',
    records: [
      ...history(alice, '2026-11-15T08:00:00Z'),
      ...['08:00', '10:30', '13:00', '16:45'].flatMap((time) => [
        call('ec2', 'DescribeInstances', `2026-11-15T${time}:00Z`, HOME_IP, CLI_AGENT),
        call('iam', 'ListUsers', `2026-11-15T${time}:30Z`, HOME_IP, CLI_AGENT),
      ]),
    ],
    expect: [],
  },
  {
    name: 'a CI role on a runner address of its usual network that geolocates to another country',
    records: [
      ...history(assumedRole('deployer', 'GitHubActions'), '2026-11-15T09:00:00Z', { ip: RUNNER_IPS, agent: TERRAFORM_AGENT }),
      call('iam', 'CreateRole', '2026-11-15T09:00:00Z', RUNNER_IP_AU, TERRAFORM_AGENT, { roleName: 'app-runtime' }, assumedRole('deployer', 'GitHubActions')),
    ],
    expect: [],
  },
  {
    name: 'a workload role on another of Amazon’s ASNs is on its usual network',
    records: [
      ...history(assumedRole('reports-lambda', 'reports-fn'), '2026-11-15T09:00:00Z', { ip: AMAZON_14618, agent: BOTO_AGENT }),
      call('ssm', 'GetParameter', '2026-11-15T09:00:00Z', AMAZON_16509, BOTO_AGENT, { name: '/reports/db-password', withDecryption: true }, assumedRole('reports-lambda', 'reports-fn')),
    ],
    expect: [],
  },
  {
    name: 'an SSO console user whose EC2 console page speaks as console.ec2.amazonaws.com',
    records: [
      ...history(assumedRole('AWSReservedSSO_PowerUserAccess_6996851910e4b1c4', 'jane@example.com'), '2026-11-15T09:00:00Z', { agent: CONSOLE_AGENT }),
      call('ec2', 'DescribeSecurityGroups', '2026-11-15T09:00:00Z', OFFICE_IP, 'console.ec2.amazonaws.com', undefined, assumedRole('AWSReservedSSO_PowerUserAccess_6996851910e4b1c4', 'jane@example.com')),
    ],
    expect: [],
  },
  // ---- One finding per tactic ----
  {
    name: 'one burst of five tactics from a new network: one finding, named by its highest-risk call (exfiltration)',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      call('ec2', 'CreateSnapshot', '2026-11-15T09:00:00Z', LAGOS_IP, HTTP_AGENT, { volumeId: 'vol-0abc1234def567890' }),
      call('cloudtrail', 'StopLogging', '2026-11-15T09:00:20Z', LAGOS_IP, HTTP_AGENT, { name: 'org-trail' }),
      call('iam', 'AttachUserPolicy', '2026-11-15T09:00:40Z', LAGOS_IP, HTTP_AGENT, { userName: 'alice', policyArn: ADMIN_POLICY }),
      call('secretsmanager', 'GetSecretValue', '2026-11-15T09:01:00Z', LAGOS_IP, HTTP_AGENT, { secretId: 'prod/db' }),
      call('ec2', 'TerminateInstances', '2026-11-15T09:01:20Z', LAGOS_IP, HTTP_AGENT, { instancesSet: { items: [{ instanceId: 'i-0abc1234def567890' }] } }),
    ],
    expect: ['Exfiltration:IAMUser/AnomalousBehavior'],
  },
  {
    name: 'a new high-risk API from the usual office and tool is admin work',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z', { ip: [OFFICE_IP, OFFICE_IP_2] }),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: alice, time: '2026-11-15T09:00:00Z', ip: OFFICE_IP_2, request: { userName: 'bob' } }),
      ctEvent({ service: 'iam', name: 'AttachUserPolicy', identity: alice, time: '2026-11-15T09:01:00Z', ip: OFFICE_IP, request: { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }),
    ],
    expect: [],
  },
  {
    name: 'everything is learned during the learning period',
    records: [
      ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: iamUser('newhire'), time: '2026-11-10T09:00:00Z', ip: OFFICE_IP }),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: iamUser('newhire'), time: '2026-11-12T09:00:00Z', ip: VPS_IP, userAgent: 'Boto3/1.34.51 md/Botocore#1.34.51' }),
      ctEvent({ service: 'ec2', name: 'TerminateInstances', identity: iamUser('newhire'), time: '2026-11-13T09:00:00Z', ip: FOREIGN_IP }),
    ],
    expect: [],
  },
  {
    name: 'a console user on a newer browser version opens new console pages (EC2, then S3’s own agent)',
    records: [
      ...history(iamUser('carol'), '2026-11-15T09:00:00Z', { agent: CONSOLE_AGENT, apis: [['ec2', 'DescribeInstances'], ['monitoring', 'DescribeAlarms']] }),
      ctEvent({ service: 'iam', name: 'ListRoles', identity: iamUser('carol'), time: '2026-11-15T09:00:00Z', ip: OFFICE_IP, userAgent: CONSOLE_AGENT.replace('Chrome/126.0.0.0', 'Chrome/127.0.6533.72') }),
      ctEvent({ service: 'ec2', name: 'TerminateInstances', identity: iamUser('carol'), time: '2026-11-15T09:01:00Z', ip: OFFICE_IP, userAgent: CONSOLE_AGENT.replace('Chrome/126.0.0.0', 'Chrome/127.0.6533.72') }),
      ctEvent({ service: 's3', name: 'PutBucketPolicy', identity: iamUser('carol'), time: '2026-11-15T09:05:00Z', ip: OFFICE_IP, userAgent: '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.223 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard]', request: { bucketName: 'carol-reports' } }),
    ],
    expect: [],
  },
  {
    name: 'Terraform from a new runner address of the same CI network creates new resources',
    records: [
      ...history(assumedRole('terraform-ci', 'terraform-1731661200'), '2026-11-15T09:00:00Z', { ip: RUNNER_IPS[0], agent: TERRAFORM_AGENT }),
      ...['CreateRole', 'AttachRolePolicy', 'PutBucketPolicy', 'RunInstances'].map((name, i) =>
        ctEvent({ service: name === 'PutBucketPolicy' ? 's3' : name === 'RunInstances' ? 'ec2' : 'iam', name, identity: assumedRole('terraform-ci', 'terraform-1731661201'), time: `2026-11-15T09:0${i}:00Z`, ip: RUNNER_IPS[1], userAgent: TERRAFORM_AGENT }),
      ),
    ],
    expect: [],
  },
  {
    name: 'CloudFormation acting for the user is not the user calling',
    records: [
      ...history(alice, '2026-11-15T09:00:00Z'),
      { ...ctEvent({ service: 'iam', name: 'CreateRole', identity: { ...alice, invokedBy: 'cloudformation.amazonaws.com' }, time: '2026-11-15T09:00:00Z', userAgent: 'cloudformation.amazonaws.com' }), sourceIPAddress: 'cloudformation.amazonaws.com' },
    ],
    expect: [],
  },
];

export const anomalousBehavior: ApiDetection = {
  id: 'anomalous-behavior',
  source: 'cloudtrail',
  types: [
    spec('CredentialAccess', 5, { tactic: 'TA0006 Credential Access', technique: 'T1555.006 Credentials from Password Stores: Cloud Secrets Management Stores' },
      'Confirm with the owner that these secrets were meant to be read from this place and tool. If not, rotate the credentials used and every secret or password that was read.'),
    spec('DefenseEvasion', 5, { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Impair Defenses: Disable or Modify Cloud Logs' },
      'Check whether logging or monitoring was turned off on purpose. If not, restore it, rotate the credentials used, and review what the identity did while visibility was reduced.'),
    spec('Discovery', 2, { tactic: 'TA0007 Discovery', technique: 'T1580 Cloud Infrastructure Discovery' },
      'Confirm the identity’s owner made these calls from this place and tool. Enumeration from new networks often comes before an attack: if unexpected, rotate the credentials.'),
    spec('Exfiltration', 8, { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      'Check whether snapshots, images or replicas were shared or copied out of the account on purpose. If not, revoke the sharing, delete the copies and rotate the credentials used.'),
    spec('Impact', 8, { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
      'Check whether these changes or deletions were planned. If not, rotate the credentials used, restore the affected resources from backups and review the identity’s recent activity.'),
    spec('InitialAccess', 5, { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      'Confirm the session or token was requested by the identity’s owner. If not, end the sessions, rotate the credentials and review how they were obtained.'),
    spec('Persistence', 5, { tactic: 'TA0003 Persistence', technique: 'T1098.001 Account Manipulation: Additional Cloud Credentials' },
      'Check the keys, users, key pairs or functions that were created. Delete any that are not expected and rotate the credentials used to create them.'),
    spec('PrivilegeEscalation', 5, { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Account Manipulation: Additional Cloud Roles' },
      'Review the permission changes. Revert any that were not planned, rotate the credentials used and check what the added permissions were used for.'),
  ],
  onEvent,
  finish,
  cases,
};

