import type { ApiEvent } from '../api-event.js';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, getEntry, obj, setEntry } from './gumshoe-common.js';

/**
 * An IAM user signing in to the console with a password alone (`additionalEventData.MFAUsed = "No"`).
 * Root has its own type (Policy:IAMUser/RootCredentialUsage); SSO and federated sign-ins carry no MFAUsed.
 *
 * A user who never used MFA is a standing policy gap (Low). A user who signed in with MFA before and now
 * signs in without it had their MFA device removed, or someone else knows only their password (Medium).
 */
const NO_MFA = 'InitialAccess:IAMUser/ConsoleLoginWithoutMfa.Gumshoe';

function onConsoleLogin(event: ApiEvent, context: DetectionContext): void {
  if (event.service !== 'signin.amazonaws.com' || event.actor.type !== 'IAMUser' || obj(event.response)?.ConsoleLogin !== 'Success') return;
  const mfaUsers = context.state<BoundedMap<number>>('mfa-users', boundedMap);
  const user = event.actor.arn ?? event.principalKey;
  const mfa = String(event.additional?.MFAUsed ?? '').toLowerCase();
  if (mfa === 'yes') {
    setEntry(mfaUsers, user, event.time, 10000);
    return;
  }
  if (mfa !== 'no') return;
  const hadMfa = getEntry(mfaUsers, user) !== undefined;
  context.emit({
    type: NO_MFA,
    event,
    severity: hadMfa ? 5 : undefined,
    vars: { history: hadMfa ? 'This user signed in with MFA before, so the MFA device was removed or the password is being used by someone else.' : 'No MFA sign-in by this user has been seen.' },
  });
}

const login = (identity: Record<string, unknown>, time: string, mfa: string | null, outcome = 'Success') => ({
  ...ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: { ...identity, accessKeyId: undefined }, time, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', response: { ConsoleLogin: outcome } }),
  additionalEventData: mfa === null ? { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No' } : { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfa },
});

export const consoleLogin: ApiDetection = {
  id: 'gumshoe-console-login',
  source: 'cloudtrail',
  apis: ['ConsoleLogin'],
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
  onEvent: onConsoleLogin,
  cases: [
    { name: 'Stratus: console sign-in without MFA', datasets: [{ stratus: 'aws.initial-access.console-login-without-mfa' }], expect: [NO_MFA] },
    {
      name: 'a user who used MFA yesterday signs in without it (Medium)',
      records: [login(iamUser('anaya'), '2026-11-01T09:00:00Z', 'Yes'), login(iamUser('anaya'), '2026-11-02T03:10:00Z', 'No')],
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
