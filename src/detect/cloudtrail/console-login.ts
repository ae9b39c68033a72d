import type { ApiEvent } from '../api-event.js';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, DAY, getEntry, keepForRevisit, keptForRevisit, obj, ownAccount, setEntry, str } from './gumshoe-common.js';

/**
 * An IAM user signing in to the console with a password alone (`additionalEventData.MFAUsed = "No"`).
 * Root has its own type (Policy:IAMUser/RootCredentialUsage); SSO and federated sign-ins carry no MFAUsed.
 *
 * A user without MFA is a standing policy gap: Low. Medium when the user's MFA device was deactivated or
 * deleted in the week before: that is how a stolen password gets past MFA. CloudTrail may deliver the
 * removal after the sign-in (another file, a later run): it then raises the sign-in's finding to Medium.
 */
const NO_MFA = 'InitialAccess:IAMUser/ConsoleLoginWithoutMfa.Gumshoe';
const MFA_REMOVAL_WINDOW = 7 * DAY;

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed) return;
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
    if (login) report(context, login, true, true);
    return;
  }
  if (event.service !== 'signin.amazonaws.com' || event.actor.type !== 'IAMUser' || obj(event.response)?.ConsoleLogin !== 'Success') return;
  if (String(event.additional?.MFAUsed ?? '').toLowerCase() !== 'no') return;
  const key = `${ownAccount(event)}/${event.actor.userName ?? ''}`;
  const removed = getEntry(removals, key);
  const afterRemoval = removed !== undefined && event.time >= removed && event.time - removed <= MFA_REMOVAL_WINDOW;
  if (!afterRemoval) keepForRevisit(context, 'low-login', key, event);
  report(context, event, afterRemoval, false);
}

/** `continues`: the same sign-in reported again, now that a removal before it is known. */
function report(context: DetectionContext, event: ApiEvent, afterRemoval: boolean, continues: boolean): void {
  context.emit({
    type: NO_MFA,
    event,
    severity: afterRemoval ? 5 : undefined,
    continues,
    vars: { history: afterRemoval ? 'The user’s MFA device was removed shortly before.' : 'The user has no MFA device, or did not use it.' },
  });
}

const login = (identity: Record<string, unknown>, time: string, mfa: string | null, outcome = 'Success') => ({
  ...ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: { ...identity, accessKeyId: undefined }, time, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', response: { ConsoleLogin: outcome } }),
  additionalEventData: mfa === null ? { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No' } : { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfa },
});

export const consoleLogin: ApiDetection = {
  id: 'gumshoe-console-login',
  source: 'cloudtrail',
  apis: ['ConsoleLogin', 'DeactivateMFADevice', 'DeleteVirtualMFADevice'],
  types: [
    {
      type: NO_MFA,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: 'IAM user {principal} signed in to the console without MFA.',
      description: '{principal} signed in to the AWS console from {ip} with a password only. {history}',
      remediation: 'Require MFA for the user (assign a device and deny actions without aws:MultiFactorAuthPresent). If the sign-in was not the user, reset the password and review the session’s activity.',
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
  ],
};
