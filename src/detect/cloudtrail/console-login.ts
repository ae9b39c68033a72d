import type { ApiEvent } from '../api-event.js';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser, identityCenterSignIn, identityCenterUser, repeated, root } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  type BoundedMap,
  type Burst,
  type BurstWindow,
  boundedMap,
  burstAt,
  DAY,
  flushDeferred,
  getEntry,
  HOUR,
  keepForRevisit,
  keptForRevisit,
  MINUTE,
  obj,
  ownAccount,
  reportWhenWindowCloses,
  setEntry,
  str,
  trackBurst,
} from './gumshoe-common.js';

/**
 * An IAM user signing in to the console with a password alone (`additionalEventData.MFAUsed = "No"`), or an
 * IAM Identity Center user signing in to the access portal with one: its `UserAuthentication` event lists
 * every factor verified (`CredentialType` "PASSWORD", or "PASSWORD,TOTP" with MFA). Root has its own type
 * (Policy:IAMUser/RootCredentialUsage); the ConsoleLogin of an SSO or federated role session carries no
 * MFA of its own (the identity provider asked for it), nor does a sign-in through an external IdP (EXTERNAL_IDP).
 *
 * A user without MFA is a standing policy gap: Low. Medium when the user's MFA device was deactivated or
 * deleted in the week before: that is how a stolen password gets past MFA. CloudTrail may deliver the
 * removal after the sign-in (another file, a later run): it then raises the sign-in's finding to Medium.
 */
const NO_MFA = 'InitialAccess:IAMUser/ConsoleLoginWithoutMfa.Gumshoe';
const MFA_REMOVAL_WINDOW = 7 * DAY;
const IAM_USER = { kind: 'IAM user', to: 'the AWS console' };

/**
 * Console passwords being guessed, from failed `ConsoleLogin` records (IAM users and root; CloudTrail logs
 * nothing per attempt for IAM Identity Center here). Within 30 minutes: 10 failures for one IAM user
 * (brute force), 3 for root (1 is recorded at Low: root's sign-in address is meant to be secret), or 5
 * users failed from one address that did not then sign in from it (spraying: colleagues behind one office
 * address who mistype and then get in are not counted). A failure CloudTrail marks `MFAUsed: Yes` reached
 * the MFA step, so the password was probably right. Low alone, unless the user then signs in (a mistyped
 * code); Medium for 3 within 15 minutes (codes guessed, or pushes sent until one is accepted).
 * A successful sign-in after a brute force or spray that reached Medium is High: the guess worked.
 */
const BRUTE_FORCE = 'CredentialAccess:IAMUser/ConsoleSignInBruteForce.Gumshoe';
const FAILURE_WINDOW = 30 * MINUTE;
const MFA_WINDOW = 15 * MINUTE;
const USER_FAILURES = 10;
const ROOT_FAILURES = 3;
const SPRAYED_USERS = 5;
const MFA_FAILURES = 3;
/** A success this long after a guessing burst began still counts as its outcome. */
const SUCCESS_AFTER = FAILURE_WINDOW + HOUR;
/**
 * The root user's "Forgot your password?" flow (`PasswordRecoveryRequested`; only root has it). Anyone who
 * knows the account's e-mail address can start it, and only the mailbox can finish it: Low, Medium when the
 * same address failed root sign-ins shortly before (within 90 minutes of the first; guessing, then the mailbox).
 */
const ROOT_RECOVERY = 'InitialAccess:IAMUser/RootPasswordRecoveryRequested.Gumshoe';
/** CloudTrail's user name for a sign-in to a user that does not exist. */
const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * An IAM Identity Center sign-in verified by password alone. WorkSpaces directory users sign in through the
 * same events, to WorkSpaces rather than to AWS: only sign-ins of an identity store user (`onBehalfOf`), or
 * to an access portal, are Identity Center's.
 */
function isIdentityCenterPasswordOnly(event: ApiEvent): boolean {
  if (event.service !== 'signin.amazonaws.com') return false;
  const factors = String(event.additional?.CredentialType ?? '').toUpperCase().split(',').map((factor) => factor.trim());
  if (factors.length !== 1 || factors[0] !== 'PASSWORD') return false;
  return /\.awsapps\.com\/start|\.app\.aws\b/.test(str(event.additional?.LoginTo) ?? '') || obj(event.identity?.onBehalfOf) !== null;
}

/** The name the user signed in with: `additionalEventData.UserName` (since July 2025), the identity's (before), or their user id. */
function identityCenterUserName(event: ApiEvent): string {
  return str(event.additional?.UserName) ?? (event.actor.userName || str(obj(event.identity?.onBehalfOf)?.userId) || 'unknown user');
}

interface SignIns {
  /** account/user → their latest successful console sign-in. */
  byUser: BoundedMap<number>;
  /** source address → account/user → latest successful sign-in from it. */
  byAddress: BoundedMap<Record<string, number>>;
}

const signIns = (context: DetectionContext) => context.state<SignIns>('console-sign-ins', () => ({ byUser: boundedMap(), byAddress: boundedMap() }));
const isRoot = (event: ApiEvent) => event.actor.type === 'Root';
const userKey = (event: ApiEvent) => `${ownAccount(event) ?? ''}/${isRoot(event) ? 'root' : (event.actor.userName ?? '')}`;
const userLabel = (event: ApiEvent) => (isRoot(event) ? 'the root user' : `IAM user ${event.actor.userName ?? 'unknown'}`);
const passwordThreshold = (event: ApiEvent) => (isRoot(event) ? ROOT_FAILURES : USER_FAILURES);

function recordSignIn(event: ApiEvent, context: DetectionContext): void {
  const { byUser, byAddress } = signIns(context);
  const user = userKey(event);
  setEntry(byUser, user, Math.max(getEntry(byUser, user) ?? event.time, event.time), 5000);
  if (!event.sourceIp) return;
  const users = { ...(getEntry(byAddress, event.sourceIp) ?? {}) };
  users[user] = Math.max(users[user] ?? event.time, event.time);
  if (Object.keys(users).length <= 50) setEntry(byAddress, event.sourceIp, users, 5000);
}

/** The users of a spraying burst from `ip` that have not signed in from it since the burst began. */
function unrecoveredUsers(context: DetectionContext, burst: Burst, ip: string): string[] {
  const signedIn = getEntry(signIns(context).byAddress, ip) ?? {};
  return burst.items.filter((user) => (signedIn[user] ?? -Infinity) < burst.start);
}

function onFailedSignIn(event: ApiEvent, context: DetectionContext): void {
  if (event.actor.type !== 'IAMUser' && !isRoot(event)) return;
  if (String(event.additional?.MFAUsed ?? '').toLowerCase() === 'yes') return onMfaFailure(event, context);
  onPasswordFailure(event, context);
  if (event.sourceIp) onSprayFailure(event, context, event.sourceIp);
}

function onPasswordFailure(event: ApiEvent, context: DetectionContext): void {
  const threshold = passwordThreshold(event);
  const { burst, evidence } = trackBurst(context, 'console-password', userKey(event), event, [event.sourceIp ?? 'unknown address'], FAILURE_WINDOW);
  const report = (window: BurstWindow) =>
    context.emit({
      type: BRUTE_FORCE,
      ...window,
      severity: burst.calls >= threshold ? 5 : undefined,
      aggregateBy: 'password',
      vars: { what: `${burst.calls} failed console sign-ins as ${userLabel(event)} from ${burst.items.length} address(es)` },
    });
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, FAILURE_WINDOW, event, report);
  // Root is reported from its first failure (at Low); IAM users from the threshold on.
  if (burst.fired || burst.calls < (isRoot(event) ? 1 : threshold)) return;
  burst.fired = true;
  reportWhenWindowCloses(context, evidence, burst, FAILURE_WINDOW, event, report);
}

function onSprayFailure(event: ApiEvent, context: DetectionContext, ip: string): void {
  // Each failure for a user that does not exist may be another guessed name.
  const name = event.actor.userName && event.actor.userName !== HIDDEN_USER ? userKey(event) : `unknown user #${event.uid ?? event.time}`;
  const { burst, evidence } = trackBurst(context, 'console-spray', ip, event, [name], FAILURE_WINDOW);
  const report = (window: BurstWindow) => {
    const users = unrecoveredUsers(context, burst, ip).length;
    if (users >= SPRAYED_USERS) {
      context.emit({ type: BRUTE_FORCE, ...window, severity: 5, aggregateBy: 'spray', vars: { what: `${burst.calls} failed console sign-ins from one address for ${users} different users, none of whom then signed in from it` } });
    }
  };
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, FAILURE_WINDOW, event, report);
  if (burst.fired || burst.items.length < SPRAYED_USERS) return;
  burst.fired = true;
  reportWhenWindowCloses(context, evidence, burst, FAILURE_WINDOW, event, report);
}

function onMfaFailure(event: ApiEvent, context: DetectionContext): void {
  const user = userKey(event);
  const { burst, evidence } = trackBurst(context, 'console-mfa', user, event, [event.sourceIp ?? 'unknown address'], MFA_WINDOW);
  const report = (window: BurstWindow) => {
    const persistent = burst.calls >= MFA_FAILURES;
    // One or two failed codes, then the user got in: a mistyped code.
    if (!persistent && (getEntry(signIns(context).byUser, user) ?? -Infinity) >= burst.start) return;
    context.emit({
      type: BRUTE_FORCE,
      ...window,
      severity: persistent ? 5 : undefined,
      aggregateBy: 'mfa',
      vars: { what: `${burst.calls} console sign-in(s) as ${userLabel(event)} failed at the MFA step (MFAUsed: Yes), so the password was probably right` },
    });
  };
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, MFA_WINDOW, event, report);
  if (burst.fired) return;
  burst.fired = true;
  reportWhenWindowCloses(context, evidence, burst, MFA_WINDOW, event, report);
}

/** A successful sign-in: the outcome of a brute force or spray that reached Medium just before, if any. */
function onSuccessfulSignIn(event: ApiEvent, context: DetectionContext): void {
  if (event.actor.type !== 'IAMUser' && !isRoot(event)) return;
  const user = userKey(event);
  const guessed = burstAt(context, 'console-password', user, event.time, SUCCESS_AFTER)?.burst;
  const sprayed = event.sourceIp ? burstAt(context, 'console-spray', event.sourceIp, event.time, SUCCESS_AFTER)?.burst : undefined;
  const sprayHit =
    sprayed?.items.includes(user) && unrecoveredUsers(context, sprayed, event.sourceIp!).filter((other) => other !== user).length >= SPRAYED_USERS - 1;
  recordSignIn(event, context);
  if (guessed && guessed.calls >= passwordThreshold(event)) {
    emitSignedIn(context, event, guessed, `${guessed.calls} failed console sign-ins as ${userLabel(event)}, then a successful one`);
  } else if (sprayed && sprayHit) {
    emitSignedIn(context, event, sprayed, `console passwords sprayed at ${sprayed.items.length} users from one address, then ${userLabel(event)} signed in from it`);
  }
}

function emitSignedIn(context: DetectionContext, event: ApiEvent, burst: Burst, what: string): void {
  context.emit({ type: BRUTE_FORCE, event, severity: 8, aggregateBy: 'signed-in', since: burst.start, vars: { what } });
}

function onRootRecovery(event: ApiEvent, context: DetectionContext): void {
  const guessed = burstAt(context, 'console-password', userKey(event), event.time, SUCCESS_AFTER)?.burst;
  const fromGuesser = guessed !== undefined && event.sourceIp !== null && guessed.items.includes(event.sourceIp);
  context.emit({ type: ROOT_RECOVERY, event, severity: fromGuesser ? 5 : undefined, vars: { after: fromGuesser ? ` after ${guessed.calls} failed root sign-ins from the same address` : '' } });
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  if (event.api === 'PasswordRecoveryRequested') {
    if (event.service === 'signin.amazonaws.com' && !event.failed && isRoot(event)) onRootRecovery(event, context);
    return;
  }
  if (event.api === 'ConsoleLogin' && event.service === 'signin.amazonaws.com') {
    const outcome = obj(event.response)?.ConsoleLogin;
    if (outcome === 'Failure') return onFailedSignIn(event, context);
    if (outcome === 'Success') onSuccessfulSignIn(event, context);
  }
  if (event.failed) return;
  if (event.api === 'UserAuthentication') {
    if (isIdentityCenterPasswordOnly(event)) {
      emitNoMfa(context, event, { kind: 'IAM Identity Center user', to: 'the AWS access portal', principal: identityCenterUserName(event) }, false, false);
    }
    return;
  }
  const removals = context.state<BoundedMap<number>>('mfa-removed', boundedMap);
  if (event.api !== 'ConsoleLogin') {
    // DeactivateMFADevice names the user; DeleteVirtualMFADevice only the device (arn:…:mfa/<user> by default).
    const user = str(event.request?.userName) ?? str(event.request?.serialNumber)?.replace(/^.*:mfa\//, '');
    if (!user) return;
    const key = `${ownAccount(event)}/${user}`;
    // The latest removal: an older one delivered late does not hide a newer one.
    setEntry(removals, key, Math.max(getEntry(removals, key) ?? event.time, event.time), 5000);
    // A sign-in already reported at Low, that this removal (delivered late) came shortly before.
    const login = keptForRevisit(context, 'low-login', key, event.time, event.time + MFA_REMOVAL_WINDOW);
    if (login) emitNoMfa(context, login, IAM_USER, true, true);
    return;
  }
  if (event.service !== 'signin.amazonaws.com' || event.actor.type !== 'IAMUser' || obj(event.response)?.ConsoleLogin !== 'Success') return;
  if (String(event.additional?.MFAUsed ?? '').toLowerCase() !== 'no') return;
  const key = `${ownAccount(event)}/${event.actor.userName ?? ''}`;
  const removed = getEntry(removals, key);
  const afterRemoval = removed !== undefined && event.time >= removed && event.time - removed <= MFA_REMOVAL_WINDOW;
  if (!afterRemoval) keepForRevisit(context, 'low-login', key, event);
  emitNoMfa(context, event, IAM_USER, afterRemoval, false);
}

/**
 * `who`: the kind of user, where they signed in, and their name where the engine's would not do.
 * `continues`: the same sign-in reported again, now that a removal before it is known.
 */
function emitNoMfa(context: DetectionContext, event: ApiEvent, who: Record<string, string>, afterRemoval: boolean, continues: boolean): void {
  context.emit({
    type: NO_MFA,
    event,
    severity: afterRemoval ? 5 : undefined,
    continues,
    vars: { ...who, history: afterRemoval ? 'The user’s MFA device was removed shortly before.' : 'The user has no MFA device, or did not use it.' },
  });
}

const login = (identity: Record<string, unknown>, time: string, mfa: string | null, outcome = 'Success') => ({
  ...ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: { ...identity, accessKeyId: undefined }, time, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', response: { ConsoleLogin: outcome } }),
  additionalEventData: mfa === null ? { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No' } : { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfa },
});

/** A failed console sign-in as CloudTrail records it: no key, `errorMessage: Failed authentication`. */
const failedLogin = (identity: Record<string, unknown>, time: string, mfa: 'Yes' | 'No', ip = '203.0.113.77') => ({
  ...login(identity, time, mfa, 'Failure'),
  sourceIPAddress: ip,
  errorMessage: 'Failed authentication',
});
const signedIn = (identity: Record<string, unknown>, time: string, ip: string) => ({ ...login(identity, time, 'Yes'), sourceIPAddress: ip });
const attempt = (identity: Record<string, unknown>) => ({ ...identity, arn: undefined, principalId: undefined });
const ghost = { type: 'IAMUser', accountId: '111122223333', accessKeyId: '', userName: HIDDEN_USER };
const recoveryRequest = (time: string) => ({
  ...ctEvent({ service: 'signin', name: 'PasswordRecoveryRequested', identity: root(), time, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', response: { PasswordRecoveryRequested: 'Success' } }),
  additionalEventData: { MobileVersion: 'No' },
});

export const consoleLogin: ApiDetection = {
  id: 'gumshoe-console-login',
  source: 'cloudtrail',
  apis: ['ConsoleLogin', 'UserAuthentication', 'DeactivateMFADevice', 'DeleteVirtualMFADevice', 'PasswordRecoveryRequested'],
  types: [
    {
      type: NO_MFA,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: '{kind} {principal} signed in without MFA.',
      description: '{principal} signed in to {to} from {ip} with a password only. {history}',
      remediation: 'Require MFA for the user: for an IAM user, assign a device and deny actions without aws:MultiFactorAuthPresent; in IAM Identity Center, require MFA at every sign-in. If the sign-in was not the user, reset the password and review the session’s activity.',
    },
    {
      type: BRUTE_FORCE,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1110 Brute Force' },
      title: 'Console passwords were being guessed: {what}.',
      description: '{what}, the latest from {ip}. Attackers guess or spray console passwords, or replay stolen ones and then fight the MFA prompt; AWS does not lock IAM users out after failures.',
      remediation: 'Ask the users whether they made these attempts. If not, reset the passwords of every user named, require MFA (treat the password of a user who failed at the MFA step as known), block the source address with an SCP or IAM condition if it keeps trying, and review what any session that signed in afterwards did.',
    },
    {
      type: ROOT_RECOVERY,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: 'A root password reset was requested for account {account}.',
      description: 'The root user’s password recovery was requested from {ip}{after}. Whoever controls the account’s e-mail inbox can finish it and sign in as root.',
      remediation: 'Ask the owner of the root e-mail address. If nobody asked, secure that mailbox first (its password and MFA), make sure root has MFA, and watch for a root sign-in (Policy:IAMUser/RootCredentialUsage).',
    },
  ],
  onEvent,
  finish: (context) => flushDeferred(context),
  cases: () => [
    {
      name: 'one IAM user’s password guessed 12 times in 24 minutes (Medium)',
      records: repeated(12, '2026-11-03T02:00:00Z', 2, (time) => failedLogin(attempt(iamUser('anaya')), time, 'No')),
      expect: [BRUTE_FORCE],
    },
    {
      name: 'passwords sprayed at 8 names (3 that do not exist), then one works from that address (High)',
      records: [
        ...['anaya', 'bob', 'carol', 'dmitri', 'erin'].map((name, i) => failedLogin(attempt(iamUser(name)), `2026-11-03T02:0${i}:00Z`, 'No')),
        ...repeated(3, '2026-11-03T02:06:00Z', 1, (time) => failedLogin(ghost, time, 'No')),
        { ...signedIn(iamUser('carol'), '2026-11-03T02:20:00Z', '203.0.113.77'), additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' } },
      ],
      expect: [BRUTE_FORCE, NO_MFA],
    },
    {
      name: 'MFA step failed 4 times in 8 minutes (Medium)',
      records: repeated(4, '2026-11-03T02:00:00Z', 2, (time) => failedLogin(attempt(iamUser('anaya')), time, 'Yes')),
      expect: [BRUTE_FORCE],
    },
    {
      name: 'root password guessed from one address, then a password reset requested from it (Medium)',
      records: [
        ...repeated(3, '2026-11-03T02:00:00Z', 1, (time) => failedLogin(root(), time, 'No')),
        { ...recoveryRequest('2026-11-03T02:10:00Z'), sourceIPAddress: '203.0.113.77' },
      ],
      expect: [BRUTE_FORCE, ROOT_RECOVERY],
    },
    { name: 'a root password reset requested (Low)', records: [recoveryRequest('2026-11-03T02:10:00Z')], expect: [ROOT_RECOVERY] },
    { name: 'Panther: a failed root sign-in (Low)', datasets: [{ panther: 'AWS.Console.RootLoginFailed', test: 'Failed Root Login' }], expect: [BRUTE_FORCE] },
    { name: 'Panther: a sign-in that failed at the MFA step (Low)', datasets: [{ panther: 'AWS.Unsuccessful.MFA.attempt', test: 'Unsuccessful Login w/ MFA' }], expect: [BRUTE_FORCE] },
    {
      name: 'six colleagues behind one office address each mistype once, then sign in; a user mistypes thrice; a mistyped MFA code',
      records: [
        ...['anaya', 'bob', 'carol', 'dmitri', 'erin', 'farah'].flatMap((name, i) => [
          failedLogin(attempt(iamUser(name)), `2026-11-03T09:0${i}:00Z`, 'No', '198.51.100.10'),
          signedIn(iamUser(name), `2026-11-03T09:0${i}:30Z`, '198.51.100.10'),
        ]),
        ...repeated(3, '2026-11-03T10:00:00Z', 1, (time) => failedLogin(attempt(iamUser('gina')), time, 'No', '192.0.2.44')),
        signedIn(iamUser('gina'), '2026-11-03T10:04:00Z', '192.0.2.44'),
        failedLogin(attempt(iamUser('hugo')), '2026-11-03T11:00:00Z', 'Yes', '192.0.2.45'),
        signedIn(iamUser('hugo'), '2026-11-03T11:00:40Z', '192.0.2.45'),
      ],
      expect: [],
    },
    {
      name: 'Panther: a successful MFA sign-in; one failed IAM user sign-in; a successful root sign-in',
      datasets: [
        { panther: 'AWS.Unsuccessful.MFA.attempt', test: 'Successful Login w/ MFA' },
        { panther: 'AWS.CloudTrail.PasswordSpraying', test: 'Failed Console Login' },
        { panther: 'AWS.Console.RootLoginFailed', test: 'Successful Login' },
      ],
      expect: [],
    },
    { name: 'Stratus: console sign-in without MFA', datasets: [{ stratus: 'aws.initial-access.console-login-without-mfa' }], expect: [NO_MFA] },
    {
      name: 'MFA device deactivated, then a password-only sign-in (Medium)',
      records: [
        login(iamUser('anaya'), '2026-11-01T09:00:00Z', 'Yes'),
        ctEvent({ service: 'iam', name: 'DeactivateMFADevice', identity: iamUser('mallory'), time: '2026-11-02T03:05:00Z', request: { userName: 'anaya', serialNumber: 'arn:aws:iam::111122223333:mfa/anaya' } }),
        login(iamUser('anaya'), '2026-11-02T03:10:00Z', 'No'),
      ],
      expect: [NO_MFA],
    },
    { name: 'Panther: root sign-in is the root type’s business', datasets: [{ panther: 'AWS.Console.RootLogin', test: 'Successful Root Login' }], expect: [] },
    {
      name: 'sign-in with MFA, failed password attempt, SSO sign-in without MFAUsed',
      records: [
        login(iamUser('anaya'), '2026-11-02T09:00:00Z', 'Yes'),
        login(iamUser('bob'), '2026-11-02T09:05:00Z', 'No', 'Failure'),
        login(assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'carol@example.com'), '2026-11-02T09:10:00Z', null),
      ],
      expect: [],
    },
    {
      name: 'IAM Identity Center sign-in with a password only, as logged since July 2025',
      records: [identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:00:00Z', 'PASSWORD')],
      expect: [NO_MFA],
    },
    {
      name: 'IAM Identity Center sign-in with a password only, as logged before (type Unknown)',
      records: [identityCenterSignIn(identityCenterUser('dana', { before2025: true }), 'dana', '2025-03-02T09:00:00Z', 'PASSWORD')],
      expect: [NO_MFA],
    },
    {
      name: 'IAM Identity Center sign-ins with MFA or through an external IdP, a WorkSpaces password sign-in, a password step',
      records: [
        identityCenterSignIn(identityCenterUser('dana'), 'dana', '2026-11-02T09:00:00Z', 'PASSWORD,TOTP'),
        identityCenterSignIn(identityCenterUser('erin'), 'erin', '2026-11-02T09:01:00Z', 'PASSWORD,WEBAUTHN'),
        identityCenterSignIn(identityCenterUser('frank'), 'frank@example.com', '2026-11-02T09:02:00Z', 'EXTERNAL_IDP'),
        identityCenterSignIn({ type: 'Unknown', principalId: '111122223333', arn: '', accountId: '111122223333', accessKeyId: '', userName: 'kiosk' }, 'kiosk', '2026-11-02T09:03:00Z', 'PASSWORD', {
          loginTo: 'https://clients.amazonaws.com/workspaces',
        }),
        { ...identityCenterSignIn(identityCenterUser('gina'), 'gina', '2026-11-02T09:04:00Z', 'PASSWORD'), eventName: 'CredentialVerification', serviceEventDetails: { CredentialVerification: 'Success' } },
      ],
      expect: [],
    },
  ],
};
