import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, instanceRole, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, instanceOfSession, isAwsServiceCall, isConsoleAgent, isIacAgent, isSsoSession, personVars, str, wasHabit } from './gumshoe-common.js';

/**
 * Federation trust, the way in for everyone who signs in through an identity provider, and credentials
 * turned into other credentials that outlive them.
 *
 * IdentityProviderTrustChanged: a SAML provider created or given new metadata (a new signing certificate:
 * whoever holds its key can mint assertions for any role trusting the provider, "golden SAML"), an OIDC
 * provider created, re-thumbprinted or given another audience, or IAM Identity Center switched to another
 * identity source. Medium through an SDK or the CLI by a principal that has not changed identity providers
 * on an earlier day; Low from the console, through IaC, for such a principal, and for deleting a provider
 * (it locks users out, it lets no one in). IAM Identity Center managing its own SAML providers is AWS acting.
 *
 * ConsoleSessionFromCredentials: `GetSigninToken` on the federation endpoint turns API credentials into a
 * console session (aws_consoler, Pacu's `console`, aws-vault login). The access portal does it for every
 * IAM Identity Center session and is left out. High when an EC2 instance's role credentials do it: no
 * instance opens consoles, someone took its credentials. Low the first time for any other principal.
 *
 * SessionTokenMinted: an IAM user's long-term key calling `GetSessionToken` without an MFA code. The
 * temporary credentials it returns keep working until they expire (up to 36 hours) after the key is
 * deactivated or deleted, which is why intruders holding a leaked key mint them first. With MFA it is the
 * ordinary MFA-for-the-CLI routine and is left out; without, it is Low the first time for that user and
 * quiet once it is the user's habit (aws-vault makes such sessions on every use).
 */
const IDP = 'Persistence:IAMUser/IdentityProviderTrustChanged.Gumshoe';
const CONSOLE_FROM_KEYS = 'InitialAccess:IAMUser/ConsoleSessionFromCredentials.Gumshoe';
const SESSION_TOKEN = 'Persistence:IAMUser/SessionTokenMinted.Gumshoe';

const TRUST_CHANGES: Record<string, (request: Record<string, unknown>) => string> = {
  CreateSAMLProvider: (r) => `created SAML provider ${str(r.name) ?? 'unknown'}`,
  UpdateSAMLProvider: (r) => `replaced the metadata (signing certificate) of SAML provider ${str(r.sAMLProviderArn) ?? 'unknown'}`,
  CreateOpenIDConnectProvider: (r) => `created an OIDC provider for ${str(r.url) ?? 'an unknown issuer'}`,
  UpdateOpenIDConnectProviderThumbprint: (r) => `changed the certificate thumbprints of OIDC provider ${str(r.openIDConnectProviderArn) ?? 'unknown'}`,
  AddClientIDToOpenIDConnectProvider: (r) => `added audience ${str(r.clientID) ?? 'unknown'} to OIDC provider ${str(r.openIDConnectProviderArn) ?? 'unknown'}`,
  AssociateDirectory: () => 'connected IAM Identity Center to another directory',
  DisassociateDirectory: () => 'disconnected IAM Identity Center from its directory',
  EnableExternalIdPConfigurationForDirectory: () => 'made an external identity provider the IAM Identity Center identity source',
  DisableExternalIdPConfigurationForDirectory: () => 'stopped using the external identity provider as the IAM Identity Center identity source',
};
const DELETIONS: Record<string, (request: Record<string, unknown>) => string> = {
  DeleteSAMLProvider: (r) => `deleted SAML provider ${str(r.sAMLProviderArn) ?? 'unknown'}`,
  DeleteOpenIDConnectProvider: (r) => `deleted OIDC provider ${str(r.openIDConnectProviderArn) ?? 'unknown'}`,
};
/** The IAM Identity Center access portal's own GetSigninToken calls. */
const PORTAL_AGENT = /^Jersey\/|^Go-http-client\//;

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('idp-changers', boundedMap);

function onTrustChange(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const change = TRUST_CHANGES[event.api]?.(request);
  const deletion = DELETIONS[event.api]?.(request);
  const habitual = wasHabit(habits(context), event.principalKey, event.time);
  const routine = deletion !== undefined || habitual || isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent);
  context.emit({ type: IDP, event, severity: routine ? 2 : undefined, aggregateBy: event.api, vars: { ...personVars(event), change: (change ?? deletion)! } });
}

function isPortalSession(event: ApiEvent): boolean {
  return isSsoSession(event) || (event.actor.arn?.includes(':assumed-role/AWSReservedSSO_') ?? false) || PORTAL_AGENT.test(event.userAgent ?? '');
}

function onSigninToken(event: ApiEvent, context: DetectionContext): void {
  if (isPortalSession(event)) return;
  const instance = instanceOfSession(event);
  if (instance) {
    context.emit({ type: CONSOLE_FROM_KEYS, event, severity: 8, aggregateBy: 'instance', vars: { ...personVars(event), whose: `the role credentials of EC2 instance ${instance}` } });
    return;
  }
  if (wasHabit(habits(context), `signin>${event.principalKey}`, event.time)) return;
  context.emit({ type: CONSOLE_FROM_KEYS, event, vars: { ...personVars(event), whose: 'its API credentials' } });
}

function onSessionToken(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  if (event.actor.type !== 'IAMUser' || str(request.serialNumber) || str(request.tokenCode)) return;
  if (wasHabit(habits(context), `session-token>${event.principalKey}`, event.time)) return;
  context.emit({ type: SESSION_TOKEN, event, vars: { ...personVars(event), validity: validity(request.durationSeconds) } });
}

/** How long GetSessionToken's credentials last: `durationSeconds`, 12 hours by default. */
function validity(durationSeconds: unknown): string {
  const seconds = Number(str(durationSeconds) ?? 43_200);
  if (!Number.isFinite(seconds)) return 'as long as requested';
  if (seconds < 3600) return `${Math.round(seconds / 60)} minutes`;
  const hours = Math.round(seconds / 360) / 10;
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event)) return;
  if (event.api === 'GetSessionToken') {
    if (event.service === 'sts.amazonaws.com') onSessionToken(event, context);
    return;
  }
  if (event.api === 'GetSigninToken') {
    if (event.service === 'signin.amazonaws.com') onSigninToken(event, context);
    return;
  }
  // Another service's API of the same name (AssociateDirectory) is not a trust change.
  const services = /Directory$/.test(event.api) ? ['sso', 'sso-directory'] : ['iam'];
  if (services.includes(event.serviceShort)) onTrustChange(event, context);
}

const metadata = '<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://idp.attacker.example/adfs/services/trust"></md:EntityDescriptor>';
const iam = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string, response?: Record<string, unknown>) =>
  ctEvent({ service: 'iam', name, request, response, time, identity, userAgent });
const signinToken = (identity: Record<string, unknown>, time: string, userAgent: string) => ({
  ...ctEvent({ service: 'signin', name: 'GetSigninToken', identity, time, userAgent, eventType: 'AwsConsoleSignIn', response: { GetSigninToken: 'Success' } }),
  additionalEventData: { MobileVersion: 'No' },
});

const sessionToken = (identity: Record<string, unknown>, time: string, request: Record<string, unknown>, userAgent = 'aws-cli/2.17.3') =>
  ctEvent({ service: 'sts', name: 'GetSessionToken', identity, time, userAgent, request, response: { credentials: { accessKeyId: 'ASIAEXAMPLE000000001', sessionToken: 'HIDDEN', expiration: 'Nov 4, 2026, 9:00:00 AM' } } });

export const identityFederation: ApiDetection = {
  id: 'gumshoe-identity-federation',
  source: 'cloudtrail',
  apis: [...Object.keys(TRUST_CHANGES), ...Object.keys(DELETIONS), 'GetSigninToken', 'GetSessionToken'],
  types: [
    {
      type: IDP,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1556 Modify Authentication Process' },
      title: 'Identity provider trust changed: {principal} {change}.',
      description: '{principal} {change} ({api}) from {ip}. Whoever controls a trusted identity provider, or its signing key, can sign in as any role or user that trusts it, without passwords or keys of the account.',
      remediation: 'Confirm the change with the identity team. If it is not theirs, restore the provider’s metadata or thumbprints (or delete the provider), review the trust policies of roles federated through it, and look for AssumeRoleWithSAML / AssumeRoleWithWebIdentity calls since the change.',
    },
    {
      type: CONSOLE_FROM_KEYS,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: '{principal} turned {whose} into a console session.',
      description: '{principal} called GetSigninToken from {ip} ({userAgent}), turning {whose} into an AWS console session. Tools that steal keys do this to browse the account as the key’s owner.',
      remediation: 'Confirm the principal’s owner opened a console this way (aws-vault login, a federation broker). If not, revoke the session (for a role, revoke active sessions; for an instance, rotate its role credentials by replacing the instance profile session) and review what the console session did.',
    },
    {
      type: SESSION_TOKEN,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1550.001 Use Alternate Authentication Material: Application Access Token' },
      title: '{principal} minted temporary credentials from its access key without MFA.',
      description: '{principal} called GetSessionToken from {ip} ({userAgent}) without an MFA code, for credentials valid {validity}. They keep working after the access key is deactivated or deleted, and the user has not done this before.',
      remediation: 'Confirm with the user that a tool of theirs asked for the session (aws-vault, a script). If not, deactivate the key and deny everything to the user with an inline policy conditioned on aws:TokenIssueTime before now (deleting the key does not end the session), then review what the session did.',
    },
  ],
  onEvent,
  cases: () => [
    {
      name: 'golden SAML: new metadata for the corporate SAML provider through the CLI; an OIDC audience added',
      records: [
        iam('UpdateSAMLProvider', { sAMLMetadataDocument: metadata, sAMLProviderArn: 'arn:aws:iam::111122223333:saml-provider/Okta' }, '2026-11-03T03:00:00Z', iamUser('mallory'), undefined, { sAMLProviderArn: 'arn:aws:iam::111122223333:saml-provider/Okta' }),
        iam('AddClientIDToOpenIDConnectProvider', { openIDConnectProviderArn: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com', clientID: 'attacker-app' }, '2026-11-03T03:05:00Z', iamUser('mallory')),
      ],
      expect: [IDP],
    },
    {
      name: 'Panther: SAML providers created, updated and deleted through CloudFormation (Low)',
      datasets: [
        { panther: 'AWS.Suspicious.SAML.Activity', test: 'CreateSAMLProvider' },
        { panther: 'AWS.Suspicious.SAML.Activity', test: 'UpdateSAMLProvider' },
        { panther: 'AWS.Suspicious.SAML.Activity', test: 'DeleteSAMLProvider' },
      ],
      expect: [IDP],
    },
    {
      name: 'an EC2 instance’s role credentials opening a console session (High)',
      records: [signinToken(instanceRole('web-app', 'i-0a1b2c3d4e5f60718'), '2026-11-03T03:00:00Z', 'python-requests/2.31.0')],
      expect: [CONSOLE_FROM_KEYS],
    },
    { name: 'Panther: GetSigninToken from a script (Low)', datasets: [{ panther: 'AWS.Console.GetSigninToken.Abuse', test: 'Suspicious GetSigninToken' }], expect: [CONSOLE_FROM_KEYS] },
    {
      name: 'IAM Identity Center managing its SAML provider; the access portal’s sign-in tokens',
      records: [
        iam('CreateSAMLProvider', { name: 'AWSSSO_abdf34fd171b4a7e_DO_NOT_DELETE', sAMLMetadataDocument: metadata }, '2026-11-03T03:00:00Z', { ...assumedRole('AWSServiceRoleForSSO', 'AWS-SSO'), invokedBy: 'sso.amazonaws.com' }, 'sso.amazonaws.com'),
        signinToken(assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com'), '2026-11-03T03:01:00Z', 'Jersey/${project.version}'),
        signinToken(assumedRole('AWSReservedSSO_ReadOnly_9z8y7x', 'bob@example.com'), '2026-11-03T03:02:00Z', 'Go-http-client/2.0'),
        iam('CreateSAMLProvider', { name: 'Okta', sAMLMetadataDocument: metadata }, '2026-11-03T03:03:00Z', awsService('sso.amazonaws.com')),
      ],
      expect: [],
    },
    {
      name: 'a developer’s aws-vault login: Low the first day, nothing once habitual',
      records: [signinToken(assumedRole('Developer', 'dana'), '2026-11-02T09:00:00Z', 'aws-vault/7.2.0'), signinToken(assumedRole('Developer', 'dana'), '2026-11-03T09:00:00Z', 'aws-vault/7.2.0')],
      expect: [CONSOLE_FROM_KEYS],
    },
    {
      name: 'Panther: the access portal’s sign-in token; an IAM read; a denied provider update',
      datasets: [
        { panther: 'AWS.Console.GetSigninToken.Abuse', test: 'Legitimate SSO Portal GetSigninToken' },
        { panther: 'AWS.Suspicious.SAML.Activity', test: 'Non Target Event' },
        { panther: 'AWS.Suspicious.SAML.Activity', test: 'Activity from AWSSSO Service Managed Role' },
      ],
      records: [{ ...iam('UpdateSAMLProvider', { sAMLMetadataDocument: metadata, sAMLProviderArn: 'arn:aws:iam::111122223333:saml-provider/Okta' }, '2026-11-03T03:00:00Z', iamUser('intern')), errorCode: 'AccessDenied' }],
      expect: [],
    },
    { name: 'Panther: an IAM user’s key minting a session token without MFA', datasets: [{ panther: 'AWS.STS.GetSessionToken.Misuse', test: 'GetSessionToken by IAM User' }], expect: [SESSION_TOKEN] },
    {
      name: 'Panther: a denied GetSessionToken, one by a role session, an AssumeRole; an MFA session token for the CLI',
      datasets: [
        { panther: 'AWS.STS.GetSessionToken.Misuse', test: 'GetSessionToken Failed' },
        { panther: 'AWS.STS.GetSessionToken.Misuse', test: 'GetSessionToken by Assumed Role' },
        { panther: 'AWS.STS.GetSessionToken.Misuse', test: 'Unrelated STS Event' },
      ],
      records: [sessionToken(iamUser('alice'), '2026-11-03T08:00:00Z', { durationSeconds: 129_600, serialNumber: 'arn:aws:iam::111122223333:mfa/alice' })],
      expect: [],
    },
    {
      name: 'a user’s aws-vault sessions without MFA: Low the first day, nothing once habitual',
      records: [
        sessionToken(iamUser('dana'), '2026-11-02T09:00:00Z', { durationSeconds: 3600 }, 'aws-vault/7.2.0'),
        sessionToken(iamUser('dana'), '2026-11-03T09:00:00Z', { durationSeconds: 3600 }, 'aws-vault/7.2.0'),
      ],
      expect: [SESSION_TOKEN],
    },
    {
      name: 'an OIDC provider for GitHub Actions created through Terraform and from the console (Low)',
      records: [
        iam('CreateOpenIDConnectProvider', { url: 'https://token.actions.githubusercontent.com', clientIDList: ['sts.amazonaws.com'], thumbprintList: ['6938fd4d98bab03faadb97b34396831e3780aea1'] }, '2026-11-03T03:00:00Z', assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT),
        iam('CreateOpenIDConnectProvider', { url: 'https://gitlab.com', clientIDList: ['https://gitlab.com'] }, '2026-11-03T03:10:00Z', assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com'), CONSOLE_AGENT),
      ],
      expect: [IDP],
    },
  ],
};
