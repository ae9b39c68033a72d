import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { isConsoleAgent, isIacAgent, personVars, str } from './gumshoe-common.js';

/**
 * An IAM user's access key known to be public. AWS scans public code (GitHub and others) for keys and, on a
 * find, quarantines the key's user: it attaches the managed policy AWSCompromisedKeyQuarantine (V2, V3 …),
 * or puts an inline policy (named AWSExposedCredentialPolicy_DO_NOT_REMOVE, later after the managed one). Whoever found the
 * key first may be using it already. Lifting the quarantine before the key is deleted re-arms it. Secret
 * scanners that verify what they find (TruffleHog) call sts:GetCallerIdentity with the key: someone holds it.
 *
 * AWS's own call is the signal here, so calls AWS makes are not skipped.
 */
const EXPOSED = 'CredentialAccess:IAMUser/AccessKeyExposed.Gumshoe';

const QUARANTINE_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/AWSCompromisedKeyQuarantine(V\d+)?$/;
/** The inline policy AWS puts on the user instead, under either name. */
const QUARANTINE_INLINE_POLICY = /^(AWSExposedCredentialPolicy_DO_NOT_REMOVE|AWSCompromisedKeyQuarantine(V\d+)?)$/;
/** AWS's own quarantine calls carry an internal user agent. */
const AWS_INTERNAL_AGENT = /^AWS Internal$|^aws-internal\//i;
const SECRET_SCANNER_AGENT = /trufflehog/i;

interface Exposure {
  severity: number;
  what: string;
  /** The quarantine lifted: a responder's last step once the key is deleted. */
  lift?: boolean;
}

function exposure(event: ApiEvent): Exposure | null {
  const request = event.request ?? {};
  const user = str(request.userName) ?? 'unknown';
  switch (event.api) {
    case 'AttachUserPolicy':
      if (!QUARANTINE_POLICY.test(str(request.policyArn) ?? '')) return null;
      // AWS quarantining a key it found in public is High; a responder doing it by hand knows already.
      return AWS_INTERNAL_AGENT.test(event.userAgent ?? '')
        ? { severity: 8, what: `AWS quarantined IAM user ${user}: one of its access keys was found in public` }
        : { severity: 5, what: `IAM user ${user} was quarantined with AWS’s compromised-key policy` };
    case 'PutUserPolicy':
      return QUARANTINE_INLINE_POLICY.test(str(request.policyName) ?? '') ? { severity: 8, what: `AWS restricted IAM user ${user}: one of its access keys was found in public` } : null;
    case 'DetachUserPolicy':
      return QUARANTINE_POLICY.test(str(request.policyArn) ?? '') ? { severity: 5, lift: true, what: `the compromised-key quarantine of IAM user ${user} was lifted` } : null;
    case 'DeleteUserPolicy':
      return QUARANTINE_INLINE_POLICY.test(str(request.policyName) ?? '') ? { severity: 5, lift: true, what: `the exposed-key restriction of IAM user ${user} was removed` } : null;
    case 'GetCallerIdentity':
      return SECRET_SCANNER_AGENT.test(event.userAgent ?? '') ? { severity: 5, what: 'a secret scanner (TruffleHog) verified the caller’s key' } : null;
    default:
      return null;
  }
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  const found = exposure(event);
  // A refused quarantine changed nothing; a refused scanner call still proves someone holds the key.
  if (!found || (event.failed && event.api !== 'GetCallerIdentity')) return;
  // Lifting the quarantine through reviewed infrastructure code, or in the console after rotating the key, is a responder's step.
  const routineLift = found.lift === true && (isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent));
  context.emit({ type: EXPOSED, event, severity: routineLift ? 2 : found.severity, aggregateBy: `${event.api}:${str(event.request?.userName) ?? ''}`, vars: { ...personVars(event), what: found.what } });
}

const quarantine = (api: string, request: Record<string, unknown>, time: string, identity = assumedRole('AWSSecurityQuarantine', 'quarantine'), userAgent = 'AWS Internal') =>
  ctEvent({ service: 'iam', name: api, identity, time, userAgent, ip: 'AWS Internal', request });
const V2 = 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2';

export const leakedCredentials: ApiDetection = {
  id: 'gumshoe-leaked-credentials',
  source: 'cloudtrail',
  apis: ['AttachUserPolicy', 'PutUserPolicy', 'DetachUserPolicy', 'DeleteUserPolicy', 'GetCallerIdentity'],
  types: [
    {
      type: EXPOSED,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552.001 Unsecured Credentials: Credentials In Files' },
      title: 'An access key is exposed: {what}.',
      description: '{what} ({api} by {principal} from {ip}). A key published in code or found by a scanner can be used by anyone who copied it, often within minutes.',
      remediation: 'Deactivate and delete the exposed key (the quarantine policy limits it but does not revoke it), create a new one for the owner, and review everything the key did since it was published: new users, keys, roles and instances first. Lift the quarantine only after the key is deleted.',
    },
  ],
  onEvent,
  cases: () => [
    { name: 'Panther: AWSCompromisedKeyQuarantineV2 attached', datasets: [{ panther: 'AWS.CloudTrail.IAMCompromisedKeyQuarantine', test: 'AttachUserPolicy AWSCompromisedKeyQuarantineV2-true' }], expect: [EXPOSED] },
    { name: 'Panther: AWS’s quarantine as an inline policy', datasets: [{ panther: 'AWS.IAM.AccessKeyCompromised', test: 'An AWS IAM Access Key was Compromised' }], expect: [EXPOSED] },
    { name: 'Panther: TruffleHog verifying a key', datasets: [{ panther: 'AWS.STS.GetCallerIdentity.TruffleHog', test: 'TruffleHog User Agent Variant' }], expect: [EXPOSED] },
    {
      name: 'AWS quarantines a user (V3), then someone lifts it with the CLI',
      records: [
        quarantine('AttachUserPolicy', { userName: 'ci-deployer', policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3' }, '2026-11-03T04:00:00Z'),
        quarantine('DetachUserPolicy', { userName: 'ci-deployer', policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3' }, '2026-11-03T04:20:00Z', iamUser('mallory'), 'aws-cli/2.17.3'),
      ],
      expect: [EXPOSED],
    },
    {
      name: 'ordinary policies attached and written; a denied detach of the quarantine',
      records: [
        quarantine('AttachUserPolicy', { userName: 'anaya', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, '2026-11-03T04:00:00Z', iamUser('admin'), CONSOLE_AGENT),
        quarantine('PutUserPolicy', { userName: 'anaya', policyName: 'TestUserDenyAll', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}' }, '2026-11-03T04:01:00Z', assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT),
        { ...quarantine('DetachUserPolicy', { userName: 'ci-deployer', policyArn: V2 }, '2026-11-03T04:02:00Z', iamUser('ci-deployer'), 'aws-cli/2.17.3'), errorCode: 'AccessDenied', errorMessage: 'explicit deny in an identity-based policy' },
      ],
      expect: [],
    },
    {
      name: 'AWS’s older inline restriction on a user',
      records: [quarantine('PutUserPolicy', { userName: 'build-bot', policyName: 'AWSExposedCredentialPolicy_DO_NOT_REMOVE', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:CreateAccessKey","ec2:RunInstances"],"Resource":"*"}]}' }, '2026-11-03T06:00:00Z', iamUser('build-bot'), 'aws-internal/3 aws-sdk-java/1.11.706')],
      expect: [EXPOSED],
    },
    { name: 'a responder lifting the quarantine in the console (Low)', records: [quarantine('DetachUserPolicy', { userName: 'ci-deployer', policyArn: V2 }, '2026-11-03T05:00:00Z', assumedRole('AWSReservedSSO_SecOps_1a2b', 'ines@example.com'), CONSOLE_AGENT)], expect: [EXPOSED] },
    {
      name: 'Panther: GetCallerIdentity from the CLI; AssumeRole with a TruffleHog agent; a deny-all inline policy',
      datasets: [
        { panther: 'AWS.STS.GetCallerIdentity.TruffleHog', test: 'Normal GetCallerIdentity' },
        { panther: 'AWS.STS.GetCallerIdentity.TruffleHog', test: 'Different STS Event with TruffleHog Agent' },
        { panther: 'AWS.CloudTrail.IAMCompromisedKeyQuarantine', test: 'PutUserPolicy-false' },
        { panther: 'AWS.IAM.AccessKeyCompromised', test: 'Request Param is null' },
      ],
      expect: [],
    },
  ],
};
