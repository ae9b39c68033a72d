import type { ApiEvent } from '../api-event.js';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser, identityCenterSignIn, identityCenterUser } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, DAY, getEntry, keepForRevisit, keptForRevisit, obj, ownAccount, setEntry, str } from './gumshoe-common.js';

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

function onEvent(event: ApiEvent, context: DetectionContext): void {
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

export const consoleLogin: ApiDetection = {
  id: 'gumshoe-console-login',
  source: 'cloudtrail',
  apis: ['ConsoleLogin', 'UserAuthentication', 'DeactivateMFADevice', 'DeleteVirtualMFADevice'],
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
  ],
  onEvent,
  cases: () => [
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
