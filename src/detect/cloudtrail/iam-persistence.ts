import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT, CONSOLE_AGENT, ACCOUNT } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext, Signal } from '../detection.js';
import {
  accountOf,
  allowStatements,
  allowsAnyAction,
  apiName,
  awsPrincipals,
  type BoundedMap,
  boundedMap,
  callerName,
  cancelHeld,
  cancelHeldWhere,
  conditionKeys,
  type BurstWindow,
  DAY,
  deleteEntry,
  finishHeld,
  flushDeferred,
  getEntry,
  holdSignal,
  HOUR,
  isAwsServiceCall,
  isConsoleAgent,
  isDenied,
  isExternalAccount,
  isIacAgent,
  isPersonLike,
  isScopedWildcard,
  lambdaApiVersions,
  lambdaFunctionName,
  list,
  MINUTE,
  obj,
  ownAccount,
  personVars,
  policyDocument,
  releaseHeld,
  reportWhenWindowCloses,
  setEntry,
  str,
  trackBurst,
  wasHabit,
} from './gumshoe-common.js';

/**
 * IAM persistence: ways to keep access after the first key is revoked. A role trust policy opened to an
 * outside account, keys and passwords added to someone else's user, a new administrator user, long-lived
 * federation tokens and Roles Anywhere trust anchors; MFA taken off someone else's user. And privilege
 * escalation: admin rights granted (to IAM users and roles, or to IAM Identity Center permission sets and their
 * assignments), refused escalation attempts, and roles with admin rights handed to Lambda, EC2 or CloudFormation.
 *
 * Onboarding is not persistence: a key or password for a user the same caller created in the last day is
 * provisioning. Because CloudTrail orders same-second events arbitrarily, those decisions wait two minutes
 * of event time for the matching CreateUser; in the detection state, since CloudTrail may deliver that
 * CreateUser in a file only the next run reads (gumshoe-common `holdSignal`).
 */
const TRUST = 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe';
const OTHER_KEY = 'Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe';
const ADMIN_USER = 'Persistence:IAMUser/AdminUserCreated.Gumshoe';
const LOGIN_CREATED = 'Persistence:IAMUser/LoginProfileCreated.Gumshoe';
const LOGIN_UPDATED = 'PrivilegeEscalation:IAMUser/LoginProfileUpdated.Gumshoe';
const OTHER_MFA = 'Persistence:IAMUser/MfaDeviceRegisteredForOtherUser.Gumshoe';
const MFA_REMOVED = 'DefenseEvasion:IAMUser/MfaDeviceRemovedFromOtherUser.Gumshoe';
const FEDERATION = 'Persistence:IAMUser/FederationTokenCreated.Gumshoe';
const TRUST_ANCHOR = 'Persistence:RolesAnywhere/TrustAnchorCreated.Gumshoe';
const ADMIN_GRANTED = 'PrivilegeEscalation:IAMUser/AdministratorAccessGranted.Gumshoe';
const ESCALATION_DENIED = 'PrivilegeEscalation:IAMUser/EscalationAttemptDenied.Gumshoe';
const PASSED_ADMIN_ROLE = 'PrivilegeEscalation:IAMUser/PassedAdminRole.Gumshoe';
const BOUNDARY_REMOVED = 'PrivilegeEscalation:IAMUser/PermissionsBoundaryRemoved.Gumshoe';
const OUTSIDE_ASSUMED = 'InitialAccess:IAMUser/RoleAssumedByOutsideAccount.Gumshoe';

const GRACE = 2 * MINUTE;
/** Deleting a user takes its MFA devices off first: removals this close to the user's (or role's) deletion are offboarding. */
const OFFBOARDING = 15 * MINUTE;
/** How long a trust opened to an outside account makes that account's use of the role Medium. */
const RECENT_TRUST = 7 * DAY;
/** Condition keys that pin a `*` trust to the accounts their values name. */
const PINNING_KEYS = new Set(['aws:principalaccount', 'aws:principalarn', 'aws:sourceaccount', 'aws:sourcearn']);
/** AWS managed policies that grant everything, in any partition (aws, aws-us-gov, aws-cn). */
const ADMIN_POLICY = /^arn:aws[\w-]*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;
const isAdminPolicy = (arn: string) => ADMIN_POLICY.test(arn);
/** A policy that allows one of these on its own principal can grant itself anything. */
const SELF_GRANTING = ['iam:AttachUserPolicy', 'iam:PutUserPolicy', 'iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:CreatePolicyVersion'];

interface IamState {
  /** account/user → who created it and when. */
  created: BoundedMap<{ by: string; time: number }>;
  /** account/user → when it was given admin rights (for a CreateUser that arrives after the grant). */
  adminGrants: BoundedMap<number>;
  /** Groups given admin rights, as earlier versions kept them (now in `adminVia`). */
  adminGroups?: BoundedMap<number>;
  /**
   * `group:account/name` and `role:account/name` → what gives it everything: attached policy ARNs and
   * `inline:<name>` policies. Detaching or deleting the last of them takes the rights away.
   */
  adminVia: BoundedMap<string[]>;
  /** account/role → the permissions boundary set on it, which caps what its policies grant. */
  boundaries: BoundedMap<string>;
  /** account/instance profile → the role in it. */
  profiles: BoundedMap<string>;
  /** account/region/function → an admin role handed to it, until the one who did so runs it. */
  passes: BoundedMap<Pass>;
  /** Customer managed policies (`arn`) and policy versions (`arn#v3`) known to grant everything. */
  adminPolicies: BoundedMap<number>;
  habits: BoundedMap<number>;
  /** account/user and account/role/name → when it was deleted (absent in states from older versions). */
  deletedUsers?: BoundedMap<number>;
  /** IAM Identity Center permission set ARN → what gives it everything, when and by whom (absent in older states). */
  adminPermissionSets?: BoundedMap<AdminPermissionSet>;
  /**
   * `account/role>outside account` (or `>*`) → when a trust change reported at more than Low (not a vendor's
   * external-id trust, not IaC) let that account in (absent in older states).
   */
  outsideTrusts?: BoundedMap<number>;
  /** `group:account/name` of groups whose creation or policies the lake saw, admin or not (absent in older states). */
  knownGroups?: BoundedMap<number>;
}

interface AdminPermissionSet {
  /** Managed policy ARNs, and `inline` for an inline policy that grants everything. */
  via: string[];
  by: string;
  time: number;
}

const state = (context: DetectionContext) => {
  const s = context.state<IamState>('iam', () => ({
    created: boundedMap(),
    adminGrants: boundedMap(),
    adminVia: boundedMap(),
    boundaries: boundedMap(),
    profiles: boundedMap(),
    passes: boundedMap(),
    adminPolicies: boundedMap(),
    habits: boundedMap(),
  }));
  // State saved by earlier versions.
  s.adminPolicies ??= boundedMap();
  s.boundaries ??= boundedMap();
  s.profiles ??= boundedMap();
  s.passes ??= boundedMap();
  s.deletedUsers ??= boundedMap();
  s.adminPermissionSets ??= boundedMap();
  s.outsideTrusts ??= boundedMap();
  s.knownGroups ??= boundedMap();
  if (!s.adminVia) {
    s.adminVia = boundedMap();
    for (const key of Object.keys(s.adminGroups?.items ?? {})) setEntry(s.adminVia, `group:${key.slice(1)}`, ['a policy an earlier run saw'], 5000);
    delete s.adminGroups;
  }
  return s;
};

const userKey = (event: ApiEvent, user: string) => `${ownAccount(event) ?? ''}/${user}`;

function grantsEverything(document: unknown): boolean {
  // Wildcards (`*`, `iam:*`, `iam:Put*`) and NotAction lists that leave IAM out of the exclusion count.
  return allowStatements(policyDocument(document)).some((s) => allowsAnyAction(s, SELF_GRANTING));
}

// ---- role trust ----

function onTrustPolicy(event: ApiEvent, context: DetectionContext): void {
  const document = policyDocument(event.api === 'CreateRole' ? event.request?.assumeRolePolicyDocument : event.request?.policyDocument);
  const role = str(event.request?.roleName) ?? 'unknown-role';
  for (const statement of allowStatements(document)) {
    if (trustsAnyGithubRepository(statement)) {
      context.emit({ type: TRUST, event, aggregateBy: `${role}>github`, vars: { ...personVars(event), role, target: 'any GitHub Actions workflow of any repository (no sub condition)' } });
    }
    if (!allowsAnyAction(statement, ['sts:AssumeRole'])) continue;
    for (const principal of awsPrincipals(statement)) {
      if (principal === '*' && !isScopedWildcard(statement)) {
        rememberOutsideTrust(event, context, role, '*');
        context.emit({ type: TRUST, event, aggregateBy: `${role}>*`, vars: { ...personVars(event), role, target: 'any AWS principal (*)' } });
        continue;
      }
      // A `*` pinned by a condition trusts the accounts the condition names.
      for (const account of principal === '*' ? pinnedAccounts(statement) : [accountOf(principal)]) trustAccount(event, context, statement, role, account);
    }
  }
}

const GITHUB_OIDC = 'token.actions.githubusercontent.com';

/**
 * GitHub's OIDC provider trusted without a fixed `sub` (repository) condition: a workflow in anyone's
 * repository can then assume the role, since every GitHub token carries the same audience.
 */
function trustsAnyGithubRepository(statement: Record<string, unknown>): boolean {
  const federated = list(obj(statement.Principal)?.Federated).map((p) => str(p) ?? '');
  if (!federated.some((p) => p.endsWith(`oidc-provider/${GITHUB_OIDC}`))) return false;
  if (!allowsAnyAction(statement, ['sts:AssumeRoleWithWebIdentity'])) return false;
  const subjects = Object.entries(obj(statement.Condition) ?? {})
    .filter(([operator]) => /^(StringEquals|StringLike)$/i.test(operator))
    .flatMap(([, block]) => Object.entries(obj(block) ?? {}).filter(([key]) => key.toLowerCase() === `${GITHUB_OIDC}:sub`))
    .flatMap(([, values]) => list(values).map((v) => str(v) ?? ''));
  // `repo:acme/*` pins an owner; `repo:*`, `*` or no sub at all pins nothing.
  return !subjects.length || subjects.some((subject) => !/^repo:[^*/:]+\//.test(subject));
}

/** Accounts a `*` principal's condition pins it to (`aws:PrincipalAccount`, `aws:PrincipalArn`, …). */
function pinnedAccounts(statement: Record<string, unknown>): (string | null)[] {
  const accounts = Object.values(obj(statement.Condition) ?? {}).flatMap((operator) =>
    Object.entries(obj(operator) ?? {})
      .filter(([key]) => PINNING_KEYS.has(key.toLowerCase()))
      .flatMap(([, values]) => list(values).map((v) => accountOf(str(v) ?? ''))),
  );
  return [...new Set(accounts)];
}

function trustAccount(event: ApiEvent, context: DetectionContext, statement: Record<string, unknown>, role: string, account: string | null): void {
  if (!account || !isExternalAccount(account, event, context.settings)) return;
  // A vendor integration names its account and requires an external id; attackers rarely bother.
  const vendorShaped = conditionKeys(statement).has('sts:externalid');
  const habit = wasHabit(state(context).habits, `trust>${ownAccount(event)}>${account}`, event.time);
  // Infrastructure as code is reviewed work, Low as for shares; a bare `*` above keeps its own severity.
  const severity = vendorShaped || habit || isIacAgent(event.userAgent) ? 2 : undefined;
  if (severity === undefined) rememberOutsideTrust(event, context, role, account);
  context.emit({
    type: TRUST,
    event,
    severity,
    aggregateBy: `${role}>${account}`,
    remoteAccount: { accountId: account, affiliated: false },
    vars: { ...personVars(event), role, target: `AWS account ${account}` },
  });
}

/** A trust change that looks like a backdoor (see `outsideTrusts`): the account's first use of the role is then Medium. */
function rememberOutsideTrust(event: ApiEvent, context: DetectionContext, role: string, account: string): void {
  setEntry(state(context).outsideTrusts!, `${ownAccount(event) ?? ''}/${role}>${account}`, event.time, 2000);
}

/**
 * An outside account assuming one of our roles (the copy CloudTrail writes in the role's account, whose
 * caller is `AWSAccount` or another account's user or role): how a backdoored trust is used. Low the first
 * time that account assumes that role; Medium when a trust change the lake reported let it in within the
 * week, or the role has admin rights. A vendor integration assuming its role every day is a habit after
 * its first day: nothing. AWS acting for a service (a service name or `AWS Internal` as the source) is skipped.
 */
function onAssumeRole(event: ApiEvent, context: DetectionContext): void {
  const roleArn = str(event.request?.roleArn);
  const own = ownAccount(event);
  // The caller's own account logs the same call: there it is an outbound assumption, not ours to judge.
  if (!roleArn || !own || event.sourceHost !== null || accountOf(roleArn) !== own) return;
  const outside = event.actor.accountId ?? accountOf(event.actor.arn ?? '');
  if (!outside || !isExternalAccount(outside, event, context.settings)) return;
  const { role } = roleFromArn(roleArn, own);
  const s = state(context);
  if (wasHabit(s.habits, `assumed>${own}/${role}>${outside}`, event.time)) return;
  const trusted = getEntry(s.outsideTrusts!, `${own}/${role}>${outside}`) ?? getEntry(s.outsideTrusts!, `${own}/${role}>*`);
  const via = adminRoleVia(context, own, role);
  const reasons = [
    ...(trusted !== undefined && event.time >= trusted && event.time - trusted <= RECENT_TRUST ? [`its trust policy was opened to that account on ${new Date(trusted).toISOString().slice(0, 10)}`] : []),
    ...(via ? [`it has administrator rights (${via.join(', ')})`] : []),
  ];
  context.emit({
    type: OUTSIDE_ASSUMED,
    event,
    severity: reasons.length ? 5 : undefined,
    aggregateBy: `${role}>${outside}`,
    remoteAccount: { accountId: outside, affiliated: false },
    vars: { role, account: outside, why: reasons.length ? ` The role matters: ${reasons.join(', and ')}.` : '' },
  });
}

// ---- users: creation, admin rights, keys and passwords for others ----

function recentlyCreatedBy(context: DetectionContext, event: ApiEvent, user: string): boolean {
  const created = getEntry(state(context).created, userKey(event, user));
  return created !== undefined && created.by === event.principalKey && event.time - created.time <= DAY;
}

/** Emits later unless the same caller turns out to have created the user or role (an out-of-order CreateUser or CreateRole). */
function unlessProvisioning(context: DetectionContext, event: ApiEvent, user: string, signal: Signal): void {
  if (recentlyCreatedBy(context, event, user)) return;
  holdSignal(context, `${userKey(event, user)}|${event.principalKey}`, event.time + GRACE, signal);
}

function adminUser(context: DetectionContext, event: ApiEvent, user: string): void {
  context.emit({ type: ADMIN_USER, event, severity: isIacAgent(event.userAgent) ? 2 : undefined, aggregateBy: user, vars: { ...personVars(event), user } });
}

/** Records who created a user (`name`) or role (`role/name`), and cancels what waited to see whether the same caller would. */
function onCreated(event: ApiEvent, context: DetectionContext, name: string): void {
  const key = userKey(event, name);
  setEntry(state(context).created, key, { by: event.principalKey, time: event.time }, 5000);
  cancelHeld(context, `${key}|${event.principalKey}`);
}

function onCreateUser(event: ApiEvent, context: DetectionContext, user: string): void {
  const s = state(context);
  const key = userKey(event, user);
  onCreated(event, context, user);
  const granted = getEntry(s.adminGrants, key);
  if (granted !== undefined && Math.abs(event.time - granted) <= DAY) adminUser(context, event, user);
}

function isAdminGrant(event: ApiEvent, context: DetectionContext): boolean {
  const request = event.request;
  if (/^Attach(User|Group|Role)Policy$/.test(event.api)) {
    const arn = str(request?.policyArn) ?? '';
    return isAdminPolicy(arn) || getEntry(state(context).adminPolicies, arn) !== undefined;
  }
  return grantsEverything(request?.policyDocument);
}

function onAdminGrant(event: ApiEvent, context: DetectionContext, user: string): void {
  const s = state(context);
  const key = userKey(event, user);
  const created = getEntry(s.created, key);
  setEntry(s.adminGrants, key, event.time, 5000);
  if (created && event.time - created.time <= DAY) adminUser(context, event, user);
  else {
    // A CreateUser of the same second may arrive after the grant: then it is AdminUserCreated instead.
    unlessProvisioning(context, event, user, adminGrantSignal(event, `IAM user ${user}`, event.actor.type === 'IAMUser' && user === callerName(event)));
  }
}

/**
 * Administrator rights given to an existing user or role, or an existing policy made to grant everything.
 * Granting them to oneself (Pacu's and every privilege-escalation guide's first move) is High; rewriting a
 * policy's default version is Medium, as whoever the policy is attached to gains everything; giving them to
 * someone else is an administrator's job, noted at Low. Infrastructure as code is Low throughout.
 */
function adminGrantSignal(event: ApiEvent, grantee: string, self: boolean): Signal {
  const iac = isIacAgent(event.userAgent);
  const policyChange = event.api === 'CreatePolicyVersion' || event.api === 'SetDefaultPolicyVersion';
  const severity = iac ? 2 : self ? undefined : policyChange ? 5 : 2;
  const how = self ? `${grantee}, the caller itself` : grantee;
  return { type: ADMIN_GRANTED, event, severity, aggregateBy: grantee, vars: { ...personVars(event), grantee: how } };
}

/** CreatePolicy and CreatePolicyVersion: remembers documents that grant everything; a new default version that does is reported. */
function onPolicyDocument(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const response = event.response ?? {};
  if (!grantsEverything(request.policyDocument)) return;
  const policy = obj(response.policy);
  const arn = str(request.policyArn) ?? str(policy?.arn);
  if (!arn) return;
  const version = str(obj(response.policyVersion)?.versionId) ?? str(policy?.defaultVersionId);
  const admins = state(context).adminPolicies;
  if (version) setEntry(admins, `${arn}#${version}`, event.time, 2000);
  if (event.api === 'CreatePolicy') return setEntry(admins, arn, event.time, 2000);
  const isDefault = request.setAsDefault === true || request.setAsDefault === 'true';
  if (isDefault) {
    setEntry(admins, arn, event.time, 2000);
    context.emit(adminGrantSignal(event, `whoever policy ${arn} is attached to`, false));
  }
}

function onSetDefaultVersion(event: ApiEvent, context: DetectionContext): void {
  const arn = str(event.request?.policyArn) ?? '';
  const admins = state(context).adminPolicies;
  if (getEntry(admins, `${arn}#${str(event.request?.versionId) ?? ''}`) === undefined) return;
  setEntry(admins, arn, event.time, 2000);
  context.emit(adminGrantSignal(event, `whoever policy ${arn} is attached to`, false));
}

// ---- groups and roles with admin rights ----

const holderKey = (kind: 'group' | 'role', account: string, name: string) => `${kind}:${account}/${name}`;

/**
 * Attach, Put, Detach and Delete of a group's or role's policy: keeps what gives it everything. Returns
 * whether this call gave it admin rights.
 */
function onHolderPolicy(event: ApiEvent, context: DetectionContext, kind: 'group' | 'role', name: string): boolean {
  const byArn = /^(Attach|Detach)/.test(event.api);
  const source = byArn ? str(event.request?.policyArn) : `inline:${str(event.request?.policyName) ?? ''}`;
  if (!source) return false;
  const admins = state(context).adminVia;
  const key = holderKey(kind, ownAccount(event) ?? '', name);
  if (kind === 'group') setEntry(state(context).knownGroups!, key, event.time, 5000);
  const via = getEntry(admins, key) ?? [];
  // A Put that no longer grants everything replaces the inline policy that did.
  const grants = /^(Attach|Put)/.test(event.api) && isAdminGrant(event, context);
  const next = grants ? [...new Set([...via, source])].slice(-10) : via.filter((v) => v !== source);
  if (next.length) setEntry(admins, key, next, 5000);
  else deleteEntry(admins, key);
  return grants;
}

/** Group names that say admin: `Admins`, `Administrators`, `platform-admin`, `DBAdmins`, `admin-team`. */
const ADMIN_GROUP_NAME = /admin(istrator)?s?$|^admin(istrator)?s?[-_.]/i;

/**
 * A user added to a group the lake knows to have admin rights: a grant (AdminUserCreated for a new user).
 * A group the lake never saw created or given policies, named as an admin group, is a likely one: Low.
 */
function onAddUserToGroup(event: ApiEvent, context: DetectionContext, user: string, group: string): void {
  const s = state(context);
  const key = holderKey('group', ownAccount(event) ?? '', group);
  if (getEntry(s.adminVia, key) !== undefined) return onAdminGrant(event, context, user);
  if (getEntry(s.knownGroups!, key) !== undefined || !ADMIN_GROUP_NAME.test(group)) return;
  const grantee = `IAM user ${user}, through group ${group} (an admin group by its name; the lake has not seen its policies)`;
  unlessProvisioning(context, event, user, adminGrantSignal(event, grantee, false));
}

/** What gives a role everything (its admin policies), unless a permissions boundary caps it. */
function adminRoleVia(context: DetectionContext, account: string, role: string): string[] | undefined {
  const s = state(context);
  const via = getEntry(s.adminVia, holderKey('role', account, role));
  const boundary = getEntry(s.boundaries, `${account}/${role}`);
  return via && (boundary === undefined || isAdminPolicy(boundary)) ? via : undefined;
}

function onRoleLifecycle(event: ApiEvent, context: DetectionContext, role: string): void {
  const s = state(context);
  const key = `${ownAccount(event) ?? ''}/${role}`;
  const boundary = str(event.request?.permissionsBoundary);
  if (event.api === 'DeleteRole') {
    deleteEntry(s.adminVia, holderKey('role', ownAccount(event) ?? '', role));
    deleteEntry(s.boundaries, key);
    onDeleted(event, context, `role/${role}`);
  } else if (event.api === 'DeleteRolePermissionsBoundary') deleteEntry(s.boundaries, key);
  else if (boundary) setEntry(s.boundaries, key, boundary, 5000);
}

/**
 * A permissions boundary taken off a user or role, or replaced by one that caps nothing (AdministratorAccess):
 * its policies then apply in full, so a boundary that fenced an admin policy in (Stratus's backdoor role has
 * AdministratorAccess under AWSDenyAll) no longer does. Medium; Low through IaC or for a principal that did so
 * on an earlier day. A user or role the same caller created within the day is provisioning; deleting the
 * user or role within 15 minutes is teardown (see unlessOffboarding).
 */
function onBoundaryChange(event: ApiEvent, context: DetectionContext, kind: 'user' | 'role', name: string): void {
  const boundary = str(event.request?.permissionsBoundary);
  const removed = event.api.startsWith('Delete');
  if (!removed && !(boundary && isAdminPolicy(boundary))) return;
  const subject = kind === 'role' ? `role/${name}` : name;
  if (recentlyCreatedBy(context, event, subject)) return;
  const routine = isIacAgent(event.userAgent) || wasHabit(state(context).habits, `boundary>${event.principalKey}`, event.time);
  const what = removed ? 'lost its permissions boundary' : `got ${boundary} as its permissions boundary, which caps nothing`;
  const target = `IAM ${kind} ${name}`;
  unlessOffboarding(context, event, subject, { type: BOUNDARY_REMOVED, event, severity: routine ? 2 : undefined, aggregateBy: target, vars: { ...personVars(event), target, what } });
}

/** Whether the caller is known to hold admin rights already: handing them on then gains it nothing. */
function callerIsAdmin(event: ApiEvent, context: DetectionContext): boolean {
  const account = ownAccount(event) ?? '';
  const { actor } = event;
  if (actor.type === 'Root') return true;
  if (actor.type === 'IAMUser' && actor.userName) return getEntry(state(context).adminGrants, `${account}/${actor.userName}`) !== undefined;
  return actor.type === 'AssumedRole' && actor.sessionIssuerName !== null && adminRoleVia(context, account, actor.sessionIssuerName) !== undefined;
}

// ---- passing an admin role to a service (iam:PassRole) ----
// Here rather than in lambda-persistence: state belongs to one detection, and detections run on different
// lanes (threads), so what roles are admins and who hands them on must be judged by the same detection.

/** An admin role handed to a Lambda function: who did it, and the severity if that principal then runs it. */
interface Pass {
  by: string;
  time: number;
  role: string;
  via: string;
  runSeverity: number;
}

interface PassedRole {
  role: string;
  account: string;
  /** What the role was handed to, as findings name it (also the finding's aggregation). */
  target: string;
  fn?: string;
}

const roleFromArn = (arn: string, fallbackAccount: string) => ({ role: arn.slice(arn.lastIndexOf('/') + 1), account: accountOf(arn) ?? fallbackAccount });

/** The role a call hands to a service to act with (iam:PassRole), and what it hands it to. */
function passedRole(event: ApiEvent, context: DetectionContext): PassedRole | null {
  const request = event.request ?? {};
  const account = ownAccount(event) ?? '';
  switch (`${event.serviceShort}:${apiName(event.api)}`) {
    case 'lambda:CreateFunction':
    case 'lambda:UpdateFunctionConfiguration': {
      const arn = str(request.role);
      const fn = lambdaFunctionName(request.functionName);
      return arn && fn ? { ...roleFromArn(arn, account), target: `Lambda function ${fn}`, fn } : null;
    }
    case 'ec2:RunInstances': {
      const profile = obj(request.iamInstanceProfile);
      const name = str(profile?.name) ?? str(profile?.arn)?.split('/').pop();
      if (!name) return null;
      // Without an AddRoleToInstanceProfile seen, the console's convention: the profile is named after its role.
      const role = getEntry(state(context).profiles, `${account}/${name}`) ?? name;
      const instances = list(obj(event.response?.instancesSet)?.items).map((i) => str(obj(i)?.instanceId)).filter((i): i is string => i !== undefined);
      return { role, account, target: instances.length ? `EC2 instance ${instances.slice(0, 5).join(', ')}${instances.length > 5 ? ', …' : ''}` : 'new EC2 instances' };
    }
    case 'cloudformation:CreateStack':
    case 'cloudformation:UpdateStack': {
      const arn = str(request.roleARN);
      return arn ? { ...roleFromArn(arn, account), target: `CloudFormation stack ${str(request.stackName) ?? 'unnamed'}` } : null;
    }
  }
  return null;
}

/**
 * A role with admin rights handed to a Lambda function, EC2 instances or a CloudFormation stack: whoever
 * controls the code they run acts as an administrator. Medium for a person with an SDK or the CLI whose own
 * rights are not known to be admin, High when that person then runs the function; Low for workloads (High
 * is Medium), the console, infrastructure as code and callers that are admins already. A principal that
 * passed the role on an earlier day (a deploy pipeline) has made it a habit: nothing.
 */
function onPassRole(event: ApiEvent, context: DetectionContext): void {
  const passed = passedRole(event, context);
  if (!passed) return;
  const via = adminRoleVia(context, passed.account, passed.role);
  if (!via) return;
  const s = state(context);
  if (wasHabit(s.habits, `pass>${event.principalKey}>${passed.account}/${passed.role}`, event.time)) return;
  const routine = isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent) || callerIsAdmin(event, context);
  const person = !routine && isPersonLike(event);
  const viaText = via.join(', ');
  if (passed.fn && !isIacAgent(event.userAgent)) {
    const runSeverity = routine ? 2 : person ? 8 : 5;
    setEntry(s.passes, `${passed.account}/${event.region ?? ''}/${passed.fn}`, { by: event.principalKey, time: event.time, role: passed.role, via: viaText, runSeverity }, 2000);
  }
  context.emit(passSignal(event, passed.role, passed.target, viaText, person ? undefined : 2, ''));
}

const RUN_WINDOW = HOUR;
const RUNS: Record<string, string> = {
  Invoke: 'invoked it',
  CreateEventSourceMapping: 'attached an event source that triggers it',
  CreateFunctionUrlConfig: 'gave it a function URL',
};

/** The same principal running (or wiring a trigger to) a function it just handed an admin role. */
function onFunctionRun(event: ApiEvent, context: DetectionContext): void {
  const fnValue = str(event.request?.functionName) ?? '';
  const fn = lambdaFunctionName(fnValue);
  const how = RUNS[apiName(event.api)];
  if (!fn || !how) return;
  const s = state(context);
  const key = `${accountOf(fnValue) ?? ownAccount(event) ?? ''}/${event.region ?? ''}/${fn}`;
  const pass = getEntry(s.passes, key);
  if (!pass || pass.by !== event.principalKey || event.time < pass.time || event.time - pass.time > RUN_WINDOW) return;
  deleteEntry(s.passes, key);
  context.emit(passSignal(event, pass.role, `Lambda function ${fn}`, pass.via, pass.runSeverity, `, then ${how}`));
}

function passSignal(event: ApiEvent, role: string, target: string, via: string, severity: number | undefined, then: string): Signal {
  return { type: PASSED_ADMIN_ROLE, event, severity, aggregateBy: `${role}>${target}`, vars: { ...personVars(event), role, target, via, then } };
}

// ---- denied escalation attempts ----

const ESCALATION_WINDOW = HOUR;
/** Distinct escalation paths refused within the window that make it Medium: someone trying one way after another. */
const SEVERAL_PATHS = 3;
const ESCALATION_APIS = new Set([
  'AttachUserPolicy',
  'AttachGroupPolicy',
  'AttachRolePolicy',
  'PutUserPolicy',
  'PutGroupPolicy',
  'PutRolePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'AddUserToGroup',
  'UpdateAssumeRolePolicy',
  'DeleteUserPermissionsBoundary',
  'DeleteRolePermissionsBoundary',
]);

/** The privilege-escalation path a refused call tried (Pacu's `iam__privesc_scan` methods), or null. */
function escalationPath(event: ApiEvent): string | null {
  const request = event.request ?? {};
  const api = apiName(event.api);
  if (event.serviceShort === 'iam') {
    if (ESCALATION_APIS.has(api)) return `iam:${api}`;
    // Credentials for someone else's user.
    const user = str(request.userName);
    if (/^(CreateAccessKey|CreateLoginProfile|UpdateLoginProfile)$/.test(api) && user && user !== callerName(event)) return `iam:${api}`;
    return null;
  }
  const passing =
    (event.serviceShort === 'lambda' && (api === 'CreateFunction' || (api === 'UpdateFunctionConfiguration' && request.role !== undefined))) ||
    (event.serviceShort === 'ec2' && api === 'RunInstances' && request.iamInstanceProfile !== undefined) ||
    (event.serviceShort === 'cloudformation' && request.roleARN !== undefined) ||
    /iam:PassRole/i.test(event.errorMessage ?? '');
  return passing ? `iam:PassRole (${event.serviceShort}:${api})` : null;
}

/**
 * Refused escalation calls, per principal within an hour, reported when the window closes: Low, Medium for
 * several distinct paths outside the console and infrastructure as code by a principal not refused such
 * calls on an earlier day (a pipeline missing a permission keeps failing the same way).
 */
function onDeniedEscalation(event: ApiEvent, context: DetectionContext): void {
  const path = escalationPath(event);
  if (!path) return;
  const { burst, evidence } = trackBurst(context, 'escalation-denied', event.principalKey, event, [path], ESCALATION_WINDOW);
  if (!burst.fired) {
    burst.fired = true;
    const routine = isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent) || wasHabit(state(context).habits, `denied>${event.principalKey}`, event.time);
    burst.facts = { routine, ...personVars(event) };
  }
  const report = (window: BurstWindow) => {
    const { routine, principal } = burst.facts ?? {};
    const several = burst.denied.length >= SEVERAL_PATHS && !routine;
    const paths = burst.denied.join(', ');
    const what = burst.denied.length === 1 ? `a privilege-escalation call (${paths})` : `${burst.denied.length} privilege-escalation paths (${paths})`;
    const vars = { ...(principal ? { principal: String(principal) } : {}), what, calls: burst.deniedCalls === 1 ? 'one call' : `${burst.deniedCalls} calls` };
    context.emit({ type: ESCALATION_DENIED, ...window, severity: several ? 5 : undefined, vars });
  };
  reportWhenWindowCloses(context, evidence, burst, ESCALATION_WINDOW, event, report);
}

function onOtherUsersCredential(event: ApiEvent, context: DetectionContext, user: string): void {
  const request = event.request ?? {};
  const iac = isIacAgent(event.userAgent);
  if (event.api === 'CreateAccessKey') {
    // Administrators issue keys to other users; a workload role doing it is not administration, unless it
    // did so on an earlier day too (a key-rotation job).
    const workload = !isPersonLike(event) && !iac && !wasHabit(state(context).habits, `keys-for-others>${event.principalKey}`, event.time);
    unlessProvisioning(context, event, user, { type: OTHER_KEY, event, severity: workload ? 5 : undefined, aggregateBy: user, vars: { ...personVars(event), user } });
    return;
  }
  const resetRequired = request.passwordResetRequired === true || request.passwordResetRequired === 'true';
  if (event.api === 'UpdateLoginProfile') {
    // A help-desk reset makes the user choose a new password at next sign-in.
    if (resetRequired) return;
    unlessProvisioning(context, event, user, { type: LOGIN_UPDATED, event, severity: iac ? 2 : undefined, aggregateBy: user, vars: { ...personVars(event), user } });
    return;
  }
  unlessProvisioning(context, event, user, { type: LOGIN_CREATED, event, severity: iac || resetRequired ? 2 : undefined, aggregateBy: user, vars: { ...personVars(event), user } });
}

/**
 * An MFA device registered on someone else's user: whoever holds the authenticator passes that user's MFA
 * from now on. Low through infrastructure as code, or for a principal that did so on an earlier day too (a
 * help desk); a new user's first device is provisioning, as for keys.
 */
function onOtherUsersMfa(event: ApiEvent, context: DetectionContext, user: string): void {
  const helpdesk = wasHabit(state(context).habits, `mfa-for-others>${event.principalKey}`, event.time);
  const severity = helpdesk || isIacAgent(event.userAgent) ? 2 : undefined;
  unlessProvisioning(context, event, user, { type: OTHER_MFA, event, severity, aggregateBy: user, vars: { ...personVars(event), user } });
}

/**
 * An MFA device taken off someone else's user: with the password (or a console password the caller sets
 * next), the account is then one factor away from a takeover. Low through infrastructure as code, for a
 * principal that did so on an earlier day (a help desk replacing lost phones), or for deleting a virtual device,
 * which must be deactivated first (the deactivation is the act). Held a while: deleting a user removes its MFA
 * first, and that is offboarding.
 */
function onOtherUsersMfaRemoved(event: ApiEvent, context: DetectionContext, user: string): void {
  const helpdesk = wasHabit(state(context).habits, `mfa-removal>${event.principalKey}`, event.time);
  const severity = helpdesk || isIacAgent(event.userAgent) || event.api === 'DeleteVirtualMFADevice' ? 2 : undefined;
  const device = str(event.request?.serialNumber) ?? 'unknown device';
  unlessOffboarding(context, event, user, { type: MFA_REMOVED, event, severity, aggregateBy: user, vars: { ...personVars(event), user, device } });
}

/**
 * Emits `signal` about user `name` (or `role/name`) unless that user or role is deleted within OFFBOARDING
 * of it, in either order: what deleting it takes off first is teardown, not an attack.
 */
function unlessOffboarding(context: DetectionContext, event: ApiEvent, name: string, signal: Signal): void {
  const key = userKey(event, name);
  const deleted = getEntry(state(context).deletedUsers!, key);
  if (deleted !== undefined && deleted >= event.time && deleted - event.time <= OFFBOARDING) return;
  holdSignal(context, `${key}|offboarding`, event.time + OFFBOARDING, signal);
}

/** A user (`name`) or role (`role/name`) deleted: cancels what waited to see whether it was teardown. */
function onDeleted(event: ApiEvent, context: DetectionContext, name: string): void {
  const key = userKey(event, name);
  setEntry(state(context).deletedUsers!, key, event.time, 5000);
  cancelHeldWhere(context, `${key}|offboarding`, (time) => time <= event.time && event.time - time <= OFFBOARDING);
}

// ---- IAM Identity Center permission sets ----

const permissionSetName = (arn: string) => arn.replace(/^.*\//, '');

/**
 * AdministratorAccess (or an inline policy granting everything) given to a permission set: everyone assigned
 * to it, in every account it is assigned to, gains everything. Medium, as a new default policy version is; a
 * set the same caller created within the day grants nobody anything yet (its assignment is reported).
 * Assigning an admin set is an administrator's job, Low, unless the caller made the set admin within the day
 * (crafting an admin set to hand out): Medium. Infrastructure as code is Low throughout.
 */
function onPermissionSet(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const sets = state(context).adminPermissionSets!;
  const arn = str(request.permissionSetArn) ?? str(obj(event.response?.permissionSet)?.permissionSetArn);
  if (!arn) return;
  const name = `permissionSet/${arn}`;
  const known = getEntry(sets, arn);
  const iac = isIacAgent(event.userAgent);
  switch (event.api) {
    case 'CreatePermissionSet':
      return onCreated(event, context, name);
    case 'DeletePermissionSet':
      return deleteEntry(sets, arn);
    case 'AttachManagedPolicyToPermissionSet':
    case 'PutInlinePolicyToPermissionSet':
    case 'DetachManagedPolicyFromPermissionSet':
    case 'DeleteInlinePolicyFromPermissionSet': {
      const inline = /Inline/.test(event.api);
      const source = inline ? 'inline' : (str(request.managedPolicyArn) ?? '');
      const grants = event.api === 'AttachManagedPolicyToPermissionSet' ? isAdminPolicy(source) : event.api === 'PutInlinePolicyToPermissionSet' && grantsEverything(request.inlinePolicy);
      const via = (known?.via ?? []).filter((v) => v !== source);
      if (!grants) {
        if (via.length) setEntry(sets, arn, { ...known!, via }, 2000);
        else deleteEntry(sets, arn);
        return;
      }
      setEntry(sets, arn, { via: [...via, source], by: event.principalKey, time: event.time }, 2000);
      const signal: Signal = { type: ADMIN_GRANTED, event, severity: iac ? 2 : 5, aggregateBy: arn, vars: { ...personVars(event), grantee: `everyone assigned IAM Identity Center permission set ${permissionSetName(arn)}, in each account it is assigned to` } };
      return unlessProvisioning(context, event, name, signal);
    }
    case 'CreateAccountAssignment': {
      if (!known) return;
      const crafted = known.by === event.principalKey && event.time - known.time <= DAY;
      const grantee = `${(str(request.principalType) ?? 'principal').toLowerCase()} ${str(request.principalId) ?? 'unknown'} in account ${str(request.targetId) ?? 'unknown'}, through permission set ${permissionSetName(arn)}`;
      context.emit({ type: ADMIN_GRANTED, event, severity: crafted && !iac ? 5 : 2, aggregateBy: `${arn}>${str(request.principalId) ?? ''}`, vars: { ...personVars(event), grantee } });
      return;
    }
  }
}

// ---- federation tokens and Roles Anywhere ----

function onFederationToken(event: ApiEvent, context: DetectionContext): void {
  if (wasHabit(state(context).habits, `federation>${event.principalKey}`, event.time)) return;
  const request = event.request ?? {};
  const managed = list(request.policyArns).map((p) => str(obj(p)?.arn) ?? str(p) ?? '');
  const broad = grantsEverything(request.policy) || managed.some(isAdminPolicy);
  context.emit({ type: FEDERATION, event, severity: broad ? 5 : undefined, vars: { ...personVars(event), name: str(request.name) ?? 'unnamed', scope: broad ? 'all actions' : 'a scoped policy' } });
}

function onTrustAnchor(event: ApiEvent, context: DetectionContext): void {
  const source = obj(event.request?.source);
  const sourceType = str(source?.sourceType) ?? 'CERTIFICATE_BUNDLE';
  // A private CA in ACM is managed inside the account; a pasted certificate bundle can be anyone's CA.
  const ownCa = sourceType === 'AWS_ACM_PCA';
  context.emit({
    type: TRUST_ANCHOR,
    event,
    severity: ownCa || isIacAgent(event.userAgent) ? 2 : undefined,
    aggregateBy: str(event.request?.name) ?? str(event.request?.trustAnchorId) ?? '',
    vars: { ...personVars(event), anchor: str(event.request?.name) ?? str(event.request?.trustAnchorId) ?? 'unnamed', sourceType },
  });
}

function onIamEvent(event: ApiEvent, context: DetectionContext): void {
  releaseHeld(context, event.time);
  flushDeferred(context, event.time);
  if (isAwsServiceCall(event)) return;
  if (event.failed) {
    if (isDenied(event)) onDeniedEscalation(event, context);
    return;
  }
  if (event.serviceShort === 'lambda') return Object.hasOwn(RUNS, apiName(event.api)) ? onFunctionRun(event, context) : onPassRole(event, context);
  if (event.serviceShort === 'ec2' || event.serviceShort === 'cloudformation') return onPassRole(event, context);
  if (event.serviceShort === 'sso') return onPermissionSet(event, context);
  const user = str(event.request?.userName);
  const role = str(event.request?.roleName);
  switch (event.api) {
    case 'CreateRole': {
      if (role) {
        onCreated(event, context, `role/${role}`);
        onRoleLifecycle(event, context, role);
      }
      return onTrustPolicy(event, context);
    }
    case 'DeleteRole':
    case 'PutRolePermissionsBoundary':
    case 'DeleteRolePermissionsBoundary':
      if (!role) return;
      onRoleLifecycle(event, context, role);
      if (event.api !== 'DeleteRole') onBoundaryChange(event, context, 'role', role);
      return;
    case 'AddRoleToInstanceProfile':
    case 'RemoveRoleFromInstanceProfile': {
      const profile = str(event.request?.instanceProfileName);
      if (!profile || !role) return;
      const key = `${ownAccount(event) ?? ''}/${profile}`;
      if (event.api === 'AddRoleToInstanceProfile') setEntry(state(context).profiles, key, role, 5000);
      else deleteEntry(state(context).profiles, key);
      return;
    }
    case 'UpdateAssumeRolePolicy':
      return onTrustPolicy(event, context);
    case 'CreateUser':
      if (user) onCreateUser(event, context, user);
      return;
    case 'AttachGroupPolicy':
    case 'PutGroupPolicy':
    case 'DetachGroupPolicy':
    case 'DeleteGroupPolicy': {
      const group = str(event.request?.groupName);
      if (group) onHolderPolicy(event, context, 'group', group);
      return;
    }
    case 'DeleteGroup': {
      const group = str(event.request?.groupName);
      if (group) deleteEntry(state(context).adminVia, holderKey('group', ownAccount(event) ?? '', group));
      return;
    }
    case 'AttachUserPolicy':
    case 'PutUserPolicy':
      if (user && isAdminGrant(event, context)) onAdminGrant(event, context, user);
      return;
    case 'AttachRolePolicy':
    case 'PutRolePolicy':
    case 'DetachRolePolicy':
    case 'DeleteRolePolicy': {
      if (!role || !onHolderPolicy(event, context, 'role', role)) return;
      if (role === event.actor.sessionIssuerName) return context.emit(adminGrantSignal(event, `role ${role}`, true));
      // Rights for a role the same caller just created are part of creating it (its trust is judged apart).
      unlessProvisioning(context, event, `role/${role}`, adminGrantSignal(event, `role ${role}`, false));
      return;
    }
    case 'AddUserToGroup': {
      const group = str(event.request?.groupName);
      if (user && group) onAddUserToGroup(event, context, user, group);
      return;
    }
    case 'CreateGroup': {
      const group = str(event.request?.groupName);
      if (group) setEntry(state(context).knownGroups!, holderKey('group', ownAccount(event) ?? '', group), event.time, 5000);
      return;
    }
    case 'CreatePolicy':
    case 'CreatePolicyVersion':
      return onPolicyDocument(event, context);
    case 'SetDefaultPolicyVersion':
      return onSetDefaultVersion(event, context);
    case 'CreateAccessKey':
    case 'CreateLoginProfile':
    case 'UpdateLoginProfile':
      // Without a user name the call is about the caller's own user.
      if (user && user !== callerName(event)) onOtherUsersCredential(event, context, user);
      return;
    case 'EnableMFADevice':
      if (user && user !== callerName(event)) onOtherUsersMfa(event, context, user);
      return;
    case 'DeactivateMFADevice':
    case 'DeleteVirtualMFADevice': {
      // Without a user name, deactivation is of the caller's own device; deletion names only the device
      // (`arn:aws:iam::…:mfa/<user>` by default).
      const owner = event.api === 'DeactivateMFADevice' ? user : str(event.request?.serialNumber)?.replace(/^.*:mfa\//, '');
      if (owner && owner !== callerName(event)) onOtherUsersMfaRemoved(event, context, owner);
      return;
    }
    case 'DeleteUser':
      if (user) onDeleted(event, context, user);
      return;
    case 'PutUserPermissionsBoundary':
    case 'DeleteUserPermissionsBoundary':
      if (user) onBoundaryChange(event, context, 'user', user);
      return;
    case 'AssumeRole':
      return onAssumeRole(event, context);
    case 'GetFederationToken':
      return onFederationToken(event, context);
    case 'CreateTrustAnchor':
    case 'UpdateTrustAnchor':
      if (event.service === 'rolesanywhere.amazonaws.com') onTrustAnchor(event, context);
      return;
  }
}

const PERSISTENCE = 'TA0003 Persistence';
const ADDITIONAL_CREDENTIALS = 'T1098.001 Account Manipulation: Additional Cloud Credentials';

// ---- cases ----

const admin = iamUser('alice');
const iam = (name: string, request: Record<string, unknown>, time = '2026-11-02T10:00:00Z', identity = admin, userAgent?: string) =>
  ctEvent({ service: 'iam', name, identity, time, request, userAgent });
const sts = (name: string, request: Record<string, unknown>, time = '2026-11-02T10:00:00Z', identity = admin) => ctEvent({ service: 'sts', name, identity, time, request });
const trust = (principal: unknown, condition?: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }] });
const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const mallory = iamUser('mallory');
const deployPipeline = assumedRole('GithubActionsDeploy', 'GitHubActions');
const ADMIN_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
const roleArn = (role: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${role}`;
const allowAll = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
const lambdaCall = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, data = false) =>
  ctEvent({ service: 'lambda', name, identity, time, request, data });
const createFunction = (fn: string, role: string, time: string, identity: Record<string, unknown>) =>
  lambdaCall('CreateFunction20150331', { functionName: fn, runtime: 'python3.12', handler: 'index.handler', role }, time, identity);
const invoke = (fn: string, time: string, identity: Record<string, unknown>) =>
  lambdaCall('Invoke', { functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn}`, invocationType: 'RequestResponse' }, time, identity, true);
/** Terraform creating a role and giving it rights: provisioning, which teaches what the role may do. */
const roleByTerraform = (role: string, policyArn: string, time: string, request: Record<string, unknown> = {}) => [
  iam('CreateRole', { roleName: role, assumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }), ...request }, time, terraform, TERRAFORM_AGENT),
  iam('AttachRolePolicy', { roleName: role, policyArn }, time, terraform, TERRAFORM_AGENT),
];
const refused = (record: CloudTrailRecord, action: string): CloudTrailRecord => ({
  ...record,
  errorCode: 'AccessDenied',
  errorMessage: `User: ${String((record.userIdentity as Record<string, unknown>).arn)} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
});
const MANAGEMENT_ACCOUNT = '999988887777';
/** What Control Tower's StackSet creates in every enrolled account: a role the management account assumes. */
const controlTowerRole = () => ({
  ...iam(
    'CreateRole',
    { roleName: 'AWSControlTowerExecution', assumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:root` }) },
    '2026-11-02T10:00:00Z',
    { ...assumedRole('stacksets-exec-5d1f2c', 'stackset-session'), invokedBy: 'cloudformation.amazonaws.com' },
    'cloudformation.amazonaws.com',
  ),
  sourceIPAddress: 'cloudformation.amazonaws.com',
});

const SSO_INSTANCE = 'arn:aws:sso:::instance/ssoins-72230a1b2c3d4e5f';
const permissionSetArn = (id: string) => `arn:aws:sso:::permissionSet/ssoins-72230a1b2c3d4e5f/${id}`;
const ssoAdmin = assumedRole('AWSReservedSSO_IdentityAdmin_1c2d3e4f', 'priya@example.com');
const sso = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = admin, userAgent?: string, response?: Record<string, unknown>) =>
  ctEvent({ service: 'sso', name, identity, time, userAgent, request: { instanceArn: SSO_INSTANCE, ...request }, response });
const assignment = (set: string, time: string, identity: Record<string, unknown> = admin, userAgent?: string) =>
  sso('CreateAccountAssignment', { permissionSetArn: permissionSetArn(set), targetId: OTHER_ACCOUNT, targetType: 'AWS_ACCOUNT', principalType: 'USER', principalId: '94482488-3041-7026-18f3-be45837cd0e4' }, time, identity, userAgent);

export const PROBING_CASE = 'Pacu-style probing: an IAM user’s key refused self-grants, a policy version and iam:PassRole to a new Lambda function within minutes (Medium)';
export const TERRAFORM_REFUSED_CASE = 'Terraform refused three IAM changes it lacks permission for (Low)';
export const PASS_AND_INVOKE_CASE = 'an IAM user’s key hands an admin role to a new Lambda function, then invokes it (High)';
export const PIPELINE_CASE = 'a deploy pipeline creating functions and a stack with its admin role: Low on its first day, a habit after';
/** The anonymised account of Stratus's `iam-create-backdoor-role` detonation. */
const STRATUS_ACCOUNT = '609418236337';
/** A caller of another account as the role's account logs it. */
const outsideCaller = (account = OTHER_ACCOUNT) => ({ type: 'AWSAccount', principalId: 'AIDAQ3EXAMPLEOUTSIDE1', accountId: account });
/** AssumeRole of our role `role`, as CloudTrail logs it in our account (whoever the caller is). */
const assumeRole = (role: string, time: string, identity: Record<string, unknown>, request: Record<string, unknown> = {}) =>
  ctEvent({
    service: 'sts',
    name: 'AssumeRole',
    identity,
    time,
    account: ACCOUNT,
    readOnly: true,
    request: { roleArn: roleArn(role), roleSessionName: 'session-1', durationSeconds: 3600, ...request },
    response: { assumedRoleUser: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/session-1`, assumedRoleId: 'AROAQ3EXAMPLEROLE0001:session-1' } },
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: roleArn(role) }],
  });
const DATADOG_ACCOUNT = '464622532012';

export const iamPersistence: ApiDetection = {
  id: 'gumshoe-iam-persistence',
  source: 'cloudtrail',
  apis: [
    'UpdateAssumeRolePolicy',
    'CreateRole',
    'CreateUser',
    'AttachGroupPolicy',
    'PutGroupPolicy',
    'AttachUserPolicy',
    'PutUserPolicy',
    'AttachRolePolicy',
    'PutRolePolicy',
    'AddUserToGroup',
    'CreatePolicy',
    'CreatePolicyVersion',
    'SetDefaultPolicyVersion',
    'CreateAccessKey',
    'CreateLoginProfile',
    'UpdateLoginProfile',
    'EnableMFADevice',
    'DeactivateMFADevice',
    'DeleteVirtualMFADevice',
    'DeleteUser',
    'PutUserPermissionsBoundary',
    'DeleteUserPermissionsBoundary',
    // An outside account using one of our roles.
    'AssumeRole',
    'GetFederationToken',
    'CreateTrustAnchor',
    'UpdateTrustAnchor',
    // What admin rights roles and groups hold, and which roles instance profiles carry.
    'DetachGroupPolicy',
    'DeleteGroupPolicy',
    'DeleteGroup',
    'CreateGroup',
    'DetachRolePolicy',
    'DeleteRolePolicy',
    'DeleteRole',
    'PutRolePermissionsBoundary',
    'DeleteRolePermissionsBoundary',
    'AddRoleToInstanceProfile',
    'RemoveRoleFromInstanceProfile',
    // Calls that hand a role to a service (iam:PassRole), and running the function it was handed to.
    ...lambdaApiVersions('CreateFunction'),
    ...lambdaApiVersions('UpdateFunctionConfiguration'),
    'Invoke',
    'CreateEventSourceMapping20150331',
    'CreateFunctionUrlConfig20211031',
    'RunInstances',
    'CreateStack',
    'UpdateStack',
    // IAM Identity Center permission sets given admin rights, and their assignments.
    'CreatePermissionSet',
    'DeletePermissionSet',
    'AttachManagedPolicyToPermissionSet',
    'DetachManagedPolicyFromPermissionSet',
    'PutInlinePolicyToPermissionSet',
    'DeleteInlinePolicyFromPermissionSet',
    'CreateAccountAssignment',
  ],
  types: [
    {
      type: TRUST,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: 'T1098.003 Account Manipulation: Additional Cloud Roles' },
      title: 'The trust policy of role {role} lets {target} assume it.',
      description: '{principal} called {api} from {ip}; role {role} can now be assumed by {target}, outside the organization. That keeps access even after the caller’s own credentials are revoked.',
      remediation: 'Check the trust policy of the role. If the outside account is not a known vendor, remove it, review what the role was used for since (sts:AssumeRole events from that account), and rotate the caller’s credentials.',
    },
    {
      type: OTHER_KEY,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: ADDITIONAL_CREDENTIALS },
      title: '{principal} created an access key for another IAM user, {user}.',
      description: '{principal} called CreateAccessKey for IAM user {user} from {ip}. A second key on someone else’s user is a classic way to keep access unnoticed.',
      remediation: 'Ask the owner of {user} whether the key is expected. If not, deactivate and delete it, and review what it was used for.',
    },
    {
      type: ADMIN_USER,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: 'T1136.003 Create Account: Cloud Account' },
      title: 'A new IAM user, {user}, was given administrator rights.',
      description: '{principal} created IAM user {user} and gave it administrator rights within a day (latest call {api} from {ip}).',
      remediation: 'Confirm the new administrator is expected. If not, delete the user’s keys and login profile, then the user, and rotate the credentials of the principal that created it.',
    },
    {
      type: LOGIN_CREATED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: ADDITIONAL_CREDENTIALS },
      title: '{principal} gave IAM user {user} a console password.',
      description: '{principal} called CreateLoginProfile for existing IAM user {user} from {ip}. A user that only had access keys can now sign in to the console with a password the caller chose.',
      remediation: 'Confirm with the owner of {user}. If unexpected, delete the login profile and review the console sign-ins of {user}.',
    },
    {
      type: LOGIN_UPDATED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: ADDITIONAL_CREDENTIALS },
      title: '{principal} changed the console password of IAM user {user}.',
      description: '{principal} called UpdateLoginProfile for IAM user {user} from {ip} without requiring a reset, so the caller now knows a working password for {user}.',
      remediation: 'Confirm with the owner of {user}. If unexpected, reset the password with a forced change, review the console sign-ins of {user}, and rotate the caller’s credentials.',
    },
    {
      type: OTHER_MFA,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: 'T1098.005 Account Manipulation: Device Registration' },
      title: '{principal} registered an MFA device on another IAM user, {user}.',
      description: '{principal} called EnableMFADevice for IAM user {user} from {ip}. Whoever holds that authenticator passes the MFA of {user}: with its password, that keeps console access.',
      remediation: 'Ask the owner of {user} whether the device is theirs. If not, deactivate it, reset the password of {user} with a forced change, and rotate the caller’s credentials.',
    },
    {
      type: MFA_REMOVED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1556.006 Modify Authentication Process: Multi-Factor Authentication' },
      title: '{principal} removed the MFA device of another IAM user, {user}.',
      description: '{principal} called {api} for {device}, of IAM user {user}, from {ip}. Without MFA, the password of {user} alone opens the console: the step before a takeover, with a password the caller sets or already holds.',
      remediation: 'Ask the owner of {user} whether they asked for it. If not, register a new device with the owner, reset the password of {user} with a forced change, review its sign-ins since, and rotate the caller’s credentials.',
    },
    {
      type: FEDERATION,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: ADDITIONAL_CREDENTIALS },
      title: '{principal} minted federation token {name}.',
      description: '{principal} called GetFederationToken from {ip} with {scope}. Federation tokens last up to 36 hours and survive deleting the access key that created them.',
      remediation: 'Confirm the user runs a federation broker. If not, deny sts:GetFederationToken for the user (an explicit deny also revokes tokens already issued) and rotate its keys.',
    },
    {
      type: TRUST_ANCHOR,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: PERSISTENCE, technique: ADDITIONAL_CREDENTIALS },
      title: 'IAM Roles Anywhere trust anchor {anchor} was created or changed.',
      description: '{principal} called {api} from {ip} for trust anchor {anchor} ({sourceType}). Anyone holding a certificate from that CA can get credentials for the roles its profiles allow.',
      remediation: 'Check that the certificate authority belongs to you. If not, disable and delete the trust anchor and its profiles, and review CreateSession calls made through it.',
    },
    {
      type: ADMIN_GRANTED,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Account Manipulation: Additional Cloud Roles' },
      title: 'Administrator rights were granted to {grantee}.',
      description: '{principal} called {api} from {ip}: {grantee} can now do everything in the account, IAM included.',
      remediation: 'Confirm the change was planned. If not, detach the policy (or restore the previous default policy version), rotate the caller’s credentials, and review what {grantee} did since.',
    },
    {
      type: ESCALATION_DENIED,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098 Account Manipulation' },
      title: '{principal} was refused {what}.',
      description:
        '{principal} was denied {calls} trying {what}, ways to give itself more rights; the latest, {api}, from {ip}. These are the calls privilege-escalation tools such as Pacu’s iam__privesc_scan try: a credential making them is often in the wrong hands even though every attempt failed.',
      remediation: 'Ask the owner of the credential what it was doing. Unless it is a known missing permission (a pipeline failing the same way every run), deactivate or rotate the credential, and check whether another escalation call of the same principal succeeded (AdministratorAccessGranted, PassedAdminRole).',
    },
    {
      type: PASSED_ADMIN_ROLE,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1548 Abuse Elevation Control Mechanism' },
      title: '{principal} handed administrator role {role} to {target}{then}.',
      description:
        '{principal} called {api} from {ip}: role {role}, which has administrator rights ({via}), now runs {target}{then}. Whoever controls the code that runs there acts with the role’s rights, whatever the caller’s own: the iam:PassRole privilege escalation.',
      remediation: 'Check that {target} is meant to run as {role}. If not, delete it, review what sessions of {role} did since, and restrict the caller’s iam:PassRole to the roles it needs.',
    },
    {
      type: BOUNDARY_REMOVED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098 Account Manipulation' },
      title: '{target} {what}.',
      description: '{principal} called {api} from {ip}: {target} {what}. A permissions boundary is the ceiling on what its policies grant; without one, everything they allow applies, however broad.',
      remediation: 'Confirm the change with the owner of {target}. If unexpected, put the boundary back (PutUserPermissionsBoundary or PutRolePermissionsBoundary), review what {target} did since, and restrict who may change boundaries.',
    },
    {
      type: OUTSIDE_ASSUMED,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: 'AWS account {account}, outside the organization, assumed role {role}.',
      description: '{principal}, of AWS account {account}, called AssumeRole from {ip} and got credentials for role {role}, for the first time the lake has seen.{why} A trust policy opened to an outside account is used this way to keep access.',
      remediation: 'Check that account {account} is a known vendor or partner meant to use {role}. If not, remove it from the trust policy of {role}, revoke the role’s active sessions (AWSRevokeOlderSessions), and review what sessions of {role} did since.',
    },
  ],
  onEvent: onIamEvent,
  finish: (context) => {
    flushDeferred(context);
    finishHeld(context);
  },
  cases: () => [
    { name: 'Stratus: role trust policy opened to an outside account', datasets: [{ stratus: 'aws.persistence.iam-backdoor-role' }], expect: [TRUST] },
    { name: 'Stratus: new role trusting an outside account', datasets: [{ stratus: 'aws.persistence.iam-create-backdoor-role' }], expect: [TRUST] },
    { name: 'Panther: trust policy opened to * with only an external id', datasets: [{ panther: 'AWS.IAM.BackdoorRole', test: 'IAM Role Policy Updated to Allow Internet Access' }], expect: [TRUST] },
    { name: 'Stratus: access key created for another user', datasets: [{ stratus: 'aws.persistence.iam-backdoor-user' }], expect: [OTHER_KEY] },
    // CreateUser, AttachUserPolicy and CreateAccessKey share one second and arrive out of order.
    { name: 'Stratus: admin user created (its key is provisioning, not a second finding)', datasets: [{ stratus: 'aws.persistence.iam-create-admin-user' }], expect: [ADMIN_USER] },
    { name: 'Stratus: console password added to a programmatic user', datasets: [{ stratus: 'aws.persistence.iam-create-user-login-profile' }], expect: [LOGIN_CREATED] },
    { name: 'Stratus: another user’s password changed', datasets: [{ stratus: 'aws.privilege-escalation.iam-update-user-login-profile' }], expect: [LOGIN_UPDATED] },
    { name: 'Panther: password changed for another user', datasets: [{ panther: 'AWS.User.Login.Profile.Modified', test: 'User changed password for other' }], expect: [LOGIN_UPDATED] },
    {
      name: 'admin rights added to a group, then a new user put in it',
      records: [
        iam('AttachGroupPolicy', { groupName: 'Admins', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, '2026-10-01T09:00:00Z'),
        iam('CreateUser', { userName: 'svc-backup2' }, '2026-11-02T10:00:00Z'),
        iam('AddUserToGroup', { groupName: 'Admins', userName: 'svc-backup2' }, '2026-11-02T10:01:00Z'),
      ],
      expect: [ADMIN_USER],
    },
    {
      name: 'federation token with an allow-all policy (Stratus sts-federation-token shape)',
      records: [
        sts('GetFederationToken', {
          name: 'stratus_red_team',
          policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
        }),
      ],
      expect: [FEDERATION],
    },
    {
      name: 'Roles Anywhere trust anchor from a pasted certificate bundle',
      records: [
        ctEvent({
          service: 'rolesanywhere',
          name: 'CreateTrustAnchor',
          identity: admin,
          time: '2026-11-02T10:00:00Z',
          request: { name: 'ops-anchor', enabled: true, source: { sourceType: 'CERTIFICATE_BUNDLE', sourceData: { x509CertificateData: '-----BEGIN CERTIFICATE-----…' } } },
        }),
      ],
      expect: [TRUST_ANCHOR],
    },
    {
      name: 'a backdoor role deployed through CloudFormation is still reported (as infrastructure as code, Low)',
      records: [
        {
          ...iam('CreateRole', { roleName: 'support-access', assumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }) }, '2026-11-02T10:00:00Z', { ...admin, invokedBy: 'cloudformation.amazonaws.com' }, 'cloudformation.amazonaws.com'),
          sourceIPAddress: 'cloudformation.amazonaws.com',
        },
      ],
      expect: [TRUST],
    },
    {
      name: 'trust policies that look scoped but are not: a wildcard-account PrincipalArn, a negated org condition, NotPrincipal, GitHub OIDC without a repository',
      records: [
        iam('UpdateAssumeRolePolicy', { roleName: 'ops-a', policyDocument: trust('*', { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/admin' } }) }),
        iam('UpdateAssumeRolePolicy', { roleName: 'ops-b', policyDocument: trust('*', { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } }) }),
        iam('UpdateAssumeRolePolicy', {
          roleName: 'ops-c',
          policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:Assume*' }] }),
        }),
        iam('CreateRole', {
          roleName: 'gha-deploy',
          assumeRolePolicyDocument: JSON.stringify({
            Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } } }],
          }),
        }),
      ],
      expect: [TRUST],
    },
    {
      name: 'Pacu-style escalation: admin policy attached to the caller itself, and a policy’s new default version granting everything',
      records: [
        iam('AttachUserPolicy', { userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
        iam('CreatePolicyVersion', {
          policyArn: `arn:aws:iam::${ACCOUNT}:policy/dev-tools`,
          setAsDefault: true,
          policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'iam:DeleteUser', Resource: '*' }] }),
        }, '2026-11-02T10:01:00Z'),
      ],
      expect: [ADMIN_GRANTED],
    },
    {
      name: 'GitHub OIDC pinned to the organization’s repositories; a policy version that grants S3 only; a self-grant that failed as not found',
      records: [
        iam(
          'CreateRole',
          {
            roleName: 'gha-deploy',
            assumeRolePolicyDocument: JSON.stringify({
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
                  Action: 'sts:AssumeRoleWithWebIdentity',
                  Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } },
                },
              ],
            }),
          },
          '2026-11-02T10:00:00Z',
          terraform,
          TERRAFORM_AGENT,
        ),
        iam('CreatePolicyVersion', { policyArn: `arn:aws:iam::${ACCOUNT}:policy/dev-tools`, setAsDefault: true, policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }) }, '2026-11-02T10:01:00Z'),
        { ...iam('AttachUserPolicy', { userName: 'carol', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, '2026-11-02T10:02:00Z', iamUser('carol')), errorCode: 'NoSuchEntity' },
      ],
      expect: [],
    },
    { name: 'Panther: trust policy for an AWS service', datasets: [{ panther: 'AWS.IAM.BackdoorRole', test: 'IAM Role Policy Updated Without Internet Access' }], expect: [] },
    { name: 'Panther: trust update without a document', datasets: [{ panther: 'AWS.IAM.BackdoorRole', test: 'IAM Role Policy Updated With No Policy Document' }], expect: [] },
    { name: 'Panther: a user changing their own password', datasets: [{ panther: 'AWS.User.Login.Profile.Modified', test: 'ChangeOwnPassword' }], expect: [] },
    { name: 'Panther: help-desk reset that forces a new password', datasets: [{ panther: 'AWS.User.Login.Profile.Modified', test: 'User changed password for other reset required' }], expect: [] },
    {
      name: 'Terraform: cross-account roles for the organization, a vendor with an external id, GitHub OIDC, org-scoped *',
      records: [
        iam('CreateRole', { roleName: 'OrgAudit', assumeRolePolicyDocument: trust({ AWS: 'arn:aws:iam::777788889999:root' }) }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
        iam('CreateRole', { roleName: 'GithubDeploy', assumeRolePolicyDocument: trust({ Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` }) }, '2026-11-02T10:00:01Z', terraform, TERRAFORM_AGENT),
        iam('CreateRole', { roleName: 'OrgReadOnly', assumeRolePolicyDocument: trust('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } }) }, '2026-11-02T10:00:02Z', terraform, TERRAFORM_AGENT),
        iam('CreateRole', { roleName: 'LambdaExec', assumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) }, '2026-11-02T10:00:03Z', terraform, TERRAFORM_AGENT),
        iam('CreateRole', { roleName: 'OwnAccountAdmin', assumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }) }, '2026-11-02T10:00:04Z', terraform, TERRAFORM_AGENT),
      ],
      settings: { organizationAccounts: ['777788889999'] },
      expect: [],
    },
    {
      name: 'Control Tower’s execution role, trusting a management account the lake has no events of: an outside account',
      records: [controlTowerRole()],
      expect: [TRUST],
    },
    {
      name: 'Control Tower’s execution role, trusting the management account declared as the organization’s',
      records: [controlTowerRole()],
      settings: { organizationAccounts: [MANAGEMENT_ACCOUNT] },
      expect: [],
    },
    {
      name: 'onboarding: admin creates a user, then its key and a console password that must be reset',
      records: [
        iam('CreateUser', { userName: 'bob' }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('CreateLoginProfile', { userName: 'bob', passwordResetRequired: true }, '2026-11-02T10:00:30Z', admin, CONSOLE_AGENT),
        iam('CreateAccessKey', { userName: 'bob' }, '2026-11-02T10:01:00Z', admin, CONSOLE_AGENT),
        iam('AttachUserPolicy', { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, '2026-11-02T10:01:30Z', admin, CONSOLE_AGENT),
      ],
      expect: [],
    },
    {
      name: 'a user rotating their own key; a refused attempt on someone else’s is only the refusal (Low), not a key created',
      records: [
        iam('CreateAccessKey', {}, '2026-11-02T10:00:00Z', iamUser('carol')),
        iam('CreateAccessKey', { userName: 'carol' }, '2026-11-02T10:01:00Z', iamUser('carol')),
        { ...iam('CreateAccessKey', { userName: 'alice' }, '2026-11-02T10:02:00Z', iamUser('carol')), errorCode: 'AccessDenied', errorMessage: 'not authorized' },
      ],
      expect: [ESCALATION_DENIED],
    },
    {
      name: 'an IAM user’s key registers an MFA device on another, existing user (Medium)',
      records: [iam('EnableMFADevice', { userName: 'bob', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/bob-phone` }, '2026-11-02T10:00:00Z', mallory)],
      expect: [OTHER_MFA],
    },
    {
      name: 'MFA for oneself (no user name or one’s own), and for a user the same admin created that morning',
      records: [
        iam('EnableMFADevice', { userName: 'carol', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/carol` }, '2026-11-02T09:00:00Z', iamUser('carol'), CONSOLE_AGENT),
        iam('EnableMFADevice', { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/dave` }, '2026-11-02T09:01:00Z', iamUser('dave'), CONSOLE_AGENT),
        iam('CreateUser', { userName: 'erin' }, '2026-11-02T09:30:00Z', admin, CONSOLE_AGENT),
        iam('EnableMFADevice', { userName: 'erin', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/erin` }, '2026-11-02T10:15:00Z', admin, CONSOLE_AGENT),
      ],
      expect: [],
    },
    {
      name: 'a help desk registering MFA for existing users on several days, and Terraform doing it (Low)',
      records: [
        iam('EnableMFADevice', { userName: 'frank', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/frank` }, '2026-10-20T10:00:00Z', admin, CONSOLE_AGENT),
        iam('EnableMFADevice', { userName: 'grace', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/grace` }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('EnableMFADevice', { userName: 'heidi', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/heidi` }, '2026-11-02T10:05:00Z', terraform, TERRAFORM_AGENT),
      ],
      // The first one of the help desk is still reported (Medium); later ones and Terraform's at Low.
      expect: [OTHER_MFA],
    },
    {
      name: 'a federation broker user that has minted tokens for days',
      records: [
        sts('GetFederationToken', { name: 'web-user-1', policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }, '2026-10-30T09:00:00Z', iamUser('sso-broker')),
        sts('GetFederationToken', { name: 'web-user-2', policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }, '2026-11-02T10:00:00Z', iamUser('sso-broker')),
      ],
      // The first token of the broker is reported once; the later ones are its habit.
      expect: [FEDERATION],
    },
    {
      name: 'vendor integration trusting an outside account with an external id (reported, at Low)',
      records: [iam('UpdateAssumeRolePolicy', { roleName: 'DatadogIntegration', policyDocument: trust({ AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, { StringEquals: { 'sts:ExternalId': 'a1b2c3' } }) })],
      // Vendor-shaped trust is still reported, at Low.
      expect: [TRUST],
    },
    {
      name: 'admin rights taken off a group before a user is added to it',
      records: [
        iam('AttachGroupPolicy', { groupName: 'Admins', policyArn: ADMIN_ACCESS }, '2026-10-01T09:00:00Z'),
        iam('DetachGroupPolicy', { groupName: 'Admins', policyArn: ADMIN_ACCESS }, '2026-10-20T09:00:00Z'),
        iam('AddUserToGroup', { groupName: 'Admins', userName: 'dave' }, '2026-11-02T10:00:00Z'),
      ],
      expect: [],
    },
    // ---- refused escalation attempts ----
    {
      name: PROBING_CASE,
      records: [
        refused(iam('AttachUserPolicy', { userName: 'mallory', policyArn: ADMIN_ACCESS }, '2026-11-02T10:00:00Z', mallory), 'iam:AttachUserPolicy'),
        refused(iam('PutUserPolicy', { userName: 'mallory', policyName: 'x', policyDocument: allowAll }, '2026-11-02T10:00:20Z', mallory), 'iam:PutUserPolicy'),
        refused(iam('CreatePolicyVersion', { policyArn: `arn:aws:iam::${ACCOUNT}:policy/dev-tools`, policyDocument: allowAll, setAsDefault: true }, '2026-11-02T10:00:40Z', mallory), 'iam:CreatePolicyVersion'),
        refused(createFunction('debug-helper', roleArn('ops-automation'), '2026-11-02T10:01:10Z', mallory), 'iam:PassRole'),
        refused(iam('AttachUserPolicy', { userName: 'mallory', policyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' }, '2026-11-02T10:01:30Z', mallory), 'iam:AttachUserPolicy'),
      ],
      expect: [ESCALATION_DENIED],
    },
    {
      name: 'a refused self-grant of AdministratorAccess is a refusal (Low), not a grant',
      records: [refused(iam('AttachUserPolicy', { userName: 'carol', policyArn: ADMIN_ACCESS }, '2026-11-02T10:02:00Z', iamUser('carol')), 'iam:AttachUserPolicy')],
      expect: [ESCALATION_DENIED],
    },
    {
      name: TERRAFORM_REFUSED_CASE,
      records: [
        refused(iam('AttachRolePolicy', { roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT), 'iam:AttachRolePolicy'),
        refused(iam('PutRolePolicy', { roleName: 'app', policyName: 'logs', policyDocument: allowAll }, '2026-11-02T10:00:01Z', terraform, TERRAFORM_AGENT), 'iam:PutRolePolicy'),
        refused(iam('UpdateAssumeRolePolicy', { roleName: 'app', policyDocument: trust({ Service: 'lambda.amazonaws.com' }) }, '2026-11-02T10:00:02Z', terraform, TERRAFORM_AGENT), 'iam:UpdateAssumeRolePolicy'),
      ],
      expect: [ESCALATION_DENIED],
    },
    {
      name: 'refused calls that try no escalation: an instance without a profile, a stack without a service role, a policy attach that failed as not found',
      records: [
        { ...ctEvent({ service: 'ec2', name: 'RunInstances', identity: mallory, time: '2026-11-02T10:00:00Z', request: { instanceType: 't3.micro', instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] } } }), errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' },
        refused(ctEvent({ service: 'cloudformation', name: 'CreateStack', identity: mallory, time: '2026-11-02T10:00:10Z', request: { stackName: 'web', templateURL: 'https://s3.amazonaws.com/acme-templates/web.yaml' } }), 'cloudformation:CreateStack'),
        { ...iam('AttachUserPolicy', { userName: 'mallroy', policyArn: ADMIN_ACCESS }, '2026-11-02T10:00:20Z', mallory), errorCode: 'NoSuchEntity', errorMessage: 'The user with name mallroy cannot be found.' },
      ],
      expect: [],
    },
    // ---- admin roles handed to services ----
    {
      name: PASS_AND_INVOKE_CASE,
      records: [
        ...roleByTerraform('ops-automation', ADMIN_ACCESS, '2026-10-01T09:00:00Z'),
        createFunction('debug-helper', roleArn('ops-automation'), '2026-11-02T10:00:00Z', mallory),
        invoke('debug-helper', '2026-11-02T10:00:40Z', mallory),
      ],
      expect: [PASSED_ADMIN_ROLE],
    },
    {
      name: 'an IAM user launches an instance with a profile whose role has an allow-all inline policy (Medium)',
      records: [
        iam('CreateRole', { roleName: 'batch-runner', assumeRolePolicyDocument: trust({ Service: 'ec2.amazonaws.com' }) }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        iam('PutRolePolicy', { roleName: 'batch-runner', policyName: 'everything', policyDocument: allowAll }, '2026-10-01T09:00:01Z', terraform, TERRAFORM_AGENT),
        iam('AddRoleToInstanceProfile', { instanceProfileName: 'batch-profile', roleName: 'batch-runner' }, '2026-10-01T09:00:02Z', terraform, TERRAFORM_AGENT),
        ctEvent({
          service: 'ec2',
          name: 'RunInstances',
          identity: mallory,
          time: '2026-11-02T10:00:00Z',
          request: { instanceType: 't3.micro', instancesSet: { items: [{ imageId: 'ami-0abcdef1234567890', minCount: 1, maxCount: 1 }] }, iamInstanceProfile: { name: 'batch-profile' } },
          response: { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f67890', instanceType: 't3.micro' }] } },
        }),
      ],
      expect: [PASSED_ADMIN_ROLE],
    },
    {
      name: PIPELINE_CASE,
      records: [
        ...roleByTerraform('deploy-admin', ADMIN_ACCESS, '2026-10-01T09:00:00Z'),
        createFunction('orders-api', roleArn('deploy-admin'), '2026-11-01T09:00:00Z', deployPipeline),
        createFunction('orders-worker', roleArn('deploy-admin'), '2026-11-02T09:00:00Z', deployPipeline),
        ctEvent({ service: 'cloudformation', name: 'CreateStack', identity: deployPipeline, time: '2026-11-03T09:00:00Z', request: { stackName: 'orders', roleARN: roleArn('deploy-admin') } }),
        createFunction('orders-cron', roleArn('deploy-admin'), '2026-11-03T09:05:00Z', deployPipeline),
        invoke('orders-cron', '2026-11-03T09:06:00Z', deployPipeline),
      ],
      expect: [PASSED_ADMIN_ROLE],
    },
    {
      name: 'functions given roles without admin rights: AdministratorAccess detached, a read-only role, a role the lake knows nothing of',
      records: [
        ...roleByTerraform('was-admin', ADMIN_ACCESS, '2026-10-01T09:00:00Z'),
        iam('DetachRolePolicy', { roleName: 'was-admin', policyArn: ADMIN_ACCESS }, '2026-10-15T09:00:00Z', terraform, TERRAFORM_AGENT),
        ...roleByTerraform('reader', 'arn:aws:iam::aws:policy/ReadOnlyAccess', '2026-10-01T09:00:00Z'),
        createFunction('f1', roleArn('was-admin'), '2026-11-02T10:00:00Z', mallory),
        createFunction('f2', roleArn('reader'), '2026-11-02T10:00:10Z', mallory),
        createFunction('f3', roleArn('legacy-role'), '2026-11-02T10:00:20Z', mallory),
        invoke('f1', '2026-11-02T10:01:00Z', mallory),
      ],
      expect: [],
    },
    {
      name: 'Stratus’s backdoor role has AdministratorAccess under an AWSDenyAll permissions boundary: handing it to a function passes no admin rights',
      datasets: [{ stratus: 'aws.persistence.iam-create-backdoor-role' }],
      records: [
        createFunction('debug-helper', roleArn('stratus-red-team-malicious-iam-role', STRATUS_ACCOUNT), '2024-08-01T13:40:00Z', iamUser('christophe', STRATUS_ACCOUNT)),
      ],
      expect: [TRUST],
    },
    {
      name: 'an IAM user’s key deactivates and deletes another user’s MFA device (Medium)',
      records: [
        iam('DeactivateMFADevice', { userName: 'bob', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/bob` }, '2026-11-02T10:00:00Z', mallory),
        iam('DeleteVirtualMFADevice', { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/bob` }, '2026-11-02T10:00:05Z', mallory),
      ],
      expect: [MFA_REMOVED],
    },
    {
      name: 'a help desk resetting lost MFA devices on several days, and Terraform removing one (Low)',
      records: [
        iam('DeactivateMFADevice', { userName: 'frank', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/frank` }, '2026-10-20T10:00:00Z', admin, CONSOLE_AGENT),
        iam('DeactivateMFADevice', { userName: 'grace', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/grace` }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('DeactivateMFADevice', { userName: 'heidi', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/heidi` }, '2026-11-02T10:05:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [MFA_REMOVED],
    },
    {
      name: 'MFA removed from one’s own user; users deleted from the console and by hand (their devices go first); a refused deactivation',
      records: [
        iam('DeactivateMFADevice', { userName: 'carol', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/carol` }, '2026-11-02T09:00:00Z', iamUser('carol'), CONSOLE_AGENT),
        iam('DeactivateMFADevice', { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/dave` }, '2026-11-02T09:01:00Z', iamUser('dave')),
        // The console deletes a user in one second; CloudTrail may order its calls either way.
        iam('DeleteUser', { userName: 'erin' }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('DeactivateMFADevice', { userName: 'erin', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/erin` }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('DeleteVirtualMFADevice', { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/erin` }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('DeactivateMFADevice', { userName: 'ivan', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/ivan` }, '2026-11-02T11:00:00Z'),
        iam('DeleteLoginProfile', { userName: 'ivan' }, '2026-11-02T11:03:00Z'),
        iam('DeleteUser', { userName: 'ivan' }, '2026-11-02T11:06:00Z'),
        refused(iam('DeactivateMFADevice', { userName: 'bob', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/bob` }, '2026-11-02T12:00:00Z', iamUser('intern')), 'iam:DeactivateMFADevice'),
      ],
      expect: [],
    },
    {
      name: 'AdministratorAccess attached to an existing permission set, and an inline policy granting everything to another (Medium)',
      records: [
        sso('AttachManagedPolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-6a1b2c3d4e5f6071'), managedPolicyArn: ADMIN_ACCESS }, '2026-11-02T10:00:00Z', mallory),
        sso('PutInlinePolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-7b2c3d4e5f607182'), inlinePolicy: allowAll }, '2026-11-02T10:01:00Z', mallory),
      ],
      expect: [ADMIN_GRANTED],
    },
    {
      name: 'a person creates a permission set, makes it admin and assigns it within the hour (Medium on the assignment)',
      records: [
        sso('CreatePermissionSet', { name: 'BreakGlass', sessionDuration: 'PT12H' }, '2026-11-02T10:00:00Z', ssoAdmin, CONSOLE_AGENT, { permissionSet: { name: 'BreakGlass', permissionSetArn: permissionSetArn('ps-8c3d4e5f60718293'), sessionDuration: 'PT12H' } }),
        sso('AttachManagedPolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-8c3d4e5f60718293'), managedPolicyArn: ADMIN_ACCESS }, '2026-11-02T10:00:30Z', ssoAdmin, CONSOLE_AGENT),
        assignment('ps-8c3d4e5f60718293', '2026-11-02T10:05:00Z', ssoAdmin, CONSOLE_AGENT),
      ],
      expect: [ADMIN_GRANTED],
    },
    {
      name: 'permission sets without admin rights: read-only attached, an admin set’s policy detached before its assignment, a refused attach, an unknown set assigned',
      records: [
        sso('AttachManagedPolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-9d4e5f6071829304'), managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, '2026-11-02T10:00:00Z'),
        assignment('ps-9d4e5f6071829304', '2026-11-02T10:01:00Z'),
        // Terraform creating a set and making it admin is provisioning: the set grants nobody anything yet.
        sso('CreatePermissionSet', { name: 'PlatformAdmin' }, '2026-10-01T10:00:00Z', terraform, TERRAFORM_AGENT, { permissionSet: { name: 'PlatformAdmin', permissionSetArn: permissionSetArn('ps-0e5f607182930415') } }),
        sso('AttachManagedPolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-0e5f607182930415'), managedPolicyArn: ADMIN_ACCESS }, '2026-10-01T10:00:05Z', terraform, TERRAFORM_AGENT),
        sso('DetachManagedPolicyFromPermissionSet', { permissionSetArn: permissionSetArn('ps-0e5f607182930415'), managedPolicyArn: ADMIN_ACCESS }, '2026-10-15T10:00:00Z', terraform, TERRAFORM_AGENT),
        assignment('ps-0e5f607182930415', '2026-11-02T10:02:00Z'),
        refused(sso('AttachManagedPolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-6a1b2c3d4e5f6071'), managedPolicyArn: ADMIN_ACCESS }, '2026-11-02T10:03:00Z', iamUser('intern')), 'sso:AttachManagedPolicyToPermissionSet'),
        assignment('ps-1f60718293041526', '2026-11-02T10:04:00Z'),
      ],
      expect: [],
    },
    {
      name: 'Terraform assigning the admin permission set it made a month ago (Low)',
      records: [
        sso('AttachManagedPolicyToPermissionSet', { permissionSetArn: permissionSetArn('ps-0e5f607182930415'), managedPolicyArn: ADMIN_ACCESS }, '2026-10-01T10:00:00Z', terraform, TERRAFORM_AGENT),
        assignment('ps-0e5f607182930415', '2026-11-02T10:02:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [ADMIN_GRANTED],
    },
    // ---- roles assumed from outside accounts ----
    {
      name: 'a trust opened to an outside account, which assumes the role the next day (Medium)',
      technique: 'aws.persistence.iam-backdoor-role',
      records: [
        iam('UpdateAssumeRolePolicy', { roleName: 'app-deployer', policyDocument: trust({ AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }) }, '2026-11-01T22:00:00Z', mallory),
        assumeRole('app-deployer', '2026-11-02T10:00:00Z', outsideCaller()),
      ],
      expect: [TRUST, OUTSIDE_ASSUMED],
    },
    {
      name: 'an outside account’s role session assumes a role the lake knows is admin (Medium)',
      records: [
        ...roleByTerraform('ops-admin', ADMIN_ACCESS, '2026-10-01T09:00:00Z'),
        assumeRole('ops-admin', '2026-11-02T10:00:00Z', {
          type: 'AssumedRole',
          principalId: 'AROAQ3EXAMPLEOUTSIDE2:op',
          arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/pivot/op`,
          accountId: OTHER_ACCOUNT,
        }),
      ],
      expect: [OUTSIDE_ASSUMED],
    },
    {
      name: 'a vendor integration assuming its read-only role every hour: Low on its first day, a habit after',
      records: [0, 1, 2].flatMap((day) =>
        ['09', '10'].map((hour) => assumeRole('DatadogIntegration', `2026-11-0${day + 1}T${hour}:00:00Z`, outsideCaller(DATADOG_ACCOUNT), { externalId: 'a1b2c3', roleSessionName: 'DatadogAWSIntegration' })),
      ),
      expect: [OUTSIDE_ASSUMED],
    },
    {
      name: 'assumptions that are not an outside account’s: our own user, a declared organisation account, an AWS service, AWS Internal, our own call to another account’s role, a refused one',
      settings: { organizationAccounts: ['777788889999'] },
      records: [
        assumeRole('app-deployer', '2026-11-02T10:00:00Z', iamUser('alice')),
        assumeRole('OrganizationAccountAccessRole', '2026-11-02T10:01:00Z', outsideCaller('777788889999')),
        { ...assumeRole('lambda-exec', '2026-11-02T10:02:00Z', awsService('lambda.amazonaws.com')), sourceIPAddress: 'lambda.amazonaws.com', userAgent: 'lambda.amazonaws.com' },
        { ...assumeRole('AWSServiceRoleForConfig', '2026-11-02T10:03:00Z', outsideCaller('123456789012')), sourceIPAddress: 'AWS Internal', userAgent: 'AWS Internal' },
        ctEvent({ service: 'sts', name: 'AssumeRole', identity: iamUser('alice'), time: '2026-11-02T10:04:00Z', request: { roleArn: roleArn('audit', OTHER_ACCOUNT), roleSessionName: 'alice' } }),
        { ...assumeRole('app-deployer', '2026-11-02T10:05:00Z', outsideCaller()), errorCode: 'AccessDenied', errorMessage: 'User: arn:aws:iam::444455556666:user/x is not authorized to perform: sts:AssumeRole' },
      ],
      expect: [],
    },
    // ---- permissions boundaries ----
    {
      name: 'a user’s key takes the permissions boundary off a role and a user, and makes AdministratorAccess another role’s boundary (Medium)',
      records: [
        iam('DeleteRolePermissionsBoundary', { roleName: 'ci-runner' }, '2026-11-02T10:00:00Z', mallory),
        iam('DeleteUserPermissionsBoundary', { userName: 'dev' }, '2026-11-02T10:01:00Z', mallory),
        iam('PutRolePermissionsBoundary', { roleName: 'reporting', permissionsBoundary: ADMIN_ACCESS }, '2026-11-02T10:02:00Z', mallory),
      ],
      expect: [BOUNDARY_REMOVED],
    },
    {
      name: 'Terraform removing a role’s boundary (Low), and an administrator doing it again days later (Medium the first time, Low after)',
      records: [
        iam('DeleteRolePermissionsBoundary', { roleName: 'batch' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
        iam('DeleteUserPermissionsBoundary', { userName: 'build' }, '2026-10-20T10:00:00Z', admin),
        iam('DeleteUserPermissionsBoundary', { userName: 'deploy' }, '2026-11-02T10:00:00Z', admin),
      ],
      expect: [BOUNDARY_REMOVED],
    },
    {
      name: 'boundaries changed without lifting the ceiling: a narrower one put, a new role’s boundary swapped by its creator, a role torn down from the console, AWS acting',
      records: [
        iam('PutUserPermissionsBoundary', { userName: 'dev', permissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/dev-boundary` }, '2026-11-02T09:00:00Z', mallory),
        iam('CreateRole', { roleName: 'etl', assumeRolePolicyDocument: trust({ Service: 'glue.amazonaws.com' }), permissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/dev-boundary` }, '2026-11-02T09:30:00Z'),
        iam('DeleteRolePermissionsBoundary', { roleName: 'etl' }, '2026-11-02T09:31:00Z'),
        iam('DeleteRolePermissionsBoundary', { roleName: 'old-app' }, '2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        iam('DetachRolePolicy', { roleName: 'old-app', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, '2026-11-02T10:00:01Z', admin, CONSOLE_AGENT),
        iam('DeleteRole', { roleName: 'old-app' }, '2026-11-02T10:00:02Z', admin, CONSOLE_AGENT),
        { ...iam('DeleteRolePermissionsBoundary', { roleName: 'svc' }, '2026-11-02T11:00:00Z', awsService('iam.amazonaws.com')), sourceIPAddress: 'iam.amazonaws.com' },
      ],
      expect: [],
    },
    // ---- groups the lake does not know ----
    {
      name: 'a user put in a group the lake never saw, named Administrators (Low)',
      records: [iam('AddUserToGroup', { groupName: 'Administrators', userName: 'eve' }, '2026-11-02T10:00:00Z', mallory)],
      expect: [ADMIN_GRANTED],
    },
    {
      name: 'groups named admin that the lake knows grant nothing, a group not named admin, and a new user onboarded into Admins',
      records: [
        iam('CreateGroup', { groupName: 'platform-admins' }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        iam('AttachGroupPolicy', { groupName: 'DBAdmins', policyArn: 'arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess' }, '2026-10-01T09:00:00Z', terraform, TERRAFORM_AGENT),
        iam('AddUserToGroup', { groupName: 'platform-admins', userName: 'dave' }, '2026-11-02T10:00:00Z'),
        iam('AddUserToGroup', { groupName: 'DBAdmins', userName: 'dave' }, '2026-11-02T10:01:00Z'),
        iam('AddUserToGroup', { groupName: 'developers', userName: 'dave' }, '2026-11-02T10:02:00Z'),
        iam('CreateUser', { userName: 'frank' }, '2026-11-02T11:00:00Z'),
        iam('AddUserToGroup', { groupName: 'Admins', userName: 'frank' }, '2026-11-02T11:00:30Z'),
      ],
      expect: [],
    },
  ],
};
