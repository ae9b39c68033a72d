import type { ApiEvent } from '../api-event.js';
import { ctEvent, iamUser, root } from '../case-builders.js';
import type { ApiDetection } from '../detection.js';

/**
 * Policy:IAMUser/RootCredentialUsage and ShortTermRootCredentialUsage: any request signed by the root
 * user. Calls AWS makes on root's behalf (a service in `invokedBy` or as the source, `AWS Internal`) are not
 * the root user acting, and are skipped; the console is (`invokedBy` signin.amazonaws.com, with the user's
 * own IP, as caller-intel.ts reads it too). Short-term root credentials are the task-scoped sessions minted
 * by sts:AssumeRoot (`sessionContext.assumedRoot`). A failed sign-in (a wrong root password, which anyone
 * who knows the e-mail can type) used no root credential; a refused call signed with a root key did.
 */
const CONSOLE = 'signin.amazonaws.com';

function isRootActing(event: ApiEvent): boolean {
  const { invokedBy } = event.actor;
  if (event.actor.type !== 'Root' || (invokedBy && invokedBy !== CONSOLE)) return false;
  // A service acting with root's identity (e.g. AWS Support) reports its own name as the source.
  return !event.sourceHost?.endsWith('.amazonaws.com') && event.eventType !== 'AwsServiceEvent';
}

function isAssumedRoot(event: ApiEvent): boolean {
  const session = event.identity?.sessionContext as Record<string, unknown> | undefined;
  return session?.assumedRoot === 'true' || session?.assumedRoot === true;
}

export const rootCredentialUsage: ApiDetection = {
  id: 'root-credential-usage',
  source: 'cloudtrail',
  types: [
    {
      type: 'Policy:IAMUser/RootCredentialUsage',
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: 'API {api} was invoked using root credentials.',
      description: 'API {api} was invoked using root credentials from IP address {ip}. The root user has unrestricted access; everyday work should use IAM roles or users.',
      remediation: 'Confirm the root user was used on purpose. Lock root away: enable MFA on it, delete any root access keys, and do daily work with least-privilege IAM roles.',
    },
    {
      type: 'Policy:IAMUser/ShortTermRootCredentialUsage',
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: 'API {api} was invoked using short-term root credentials.',
      description: 'API {api} was invoked from IP address {ip} using root credentials obtained with sts:AssumeRoot.',
      remediation: 'Check who called sts:AssumeRoot and that the task (for example unlocking a bucket policy) was planned; restrict AssumeRoot in the organization management account.',
    },
  ],
  onEvent(event, context) {
    if (!isRootActing(event) || (event.failed && event.eventType === 'AwsConsoleSignIn')) return;
    const type = isAssumedRoot(event) ? 'Policy:IAMUser/ShortTermRootCredentialUsage' : 'Policy:IAMUser/RootCredentialUsage';
    context.emit({ type, event });
  },
  cases: () => [
    { name: 'root console sign-in (Panther)', datasets: [{ panther: 'AWS.Console.RootLogin', test: 'Successful Root Login' }], expect: ['Policy:IAMUser/RootCredentialUsage'] },
    {
      name: 'root creates a root access key in the console, invoked by signin (Panther)',
      datasets: [{ panther: 'AWS.CloudTrail.RootAccessKeyCreated', test: 'Root Access Key Created' }],
      expect: ['Policy:IAMUser/RootCredentialUsage'],
    },
    {
      name: 'root access key used from the CLI',
      records: [ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: root(undefined, { accessKeyId: 'AKIAROOTKEYEXAMPLE01' }), time: '2026-11-02T10:00:00Z' })],
      expect: ['Policy:IAMUser/RootCredentialUsage'],
    },
    {
      name: 'short-term root session from sts:AssumeRoot',
      records: [ctEvent({ service: 's3', name: 'DeleteBucketPolicy', identity: root(undefined, { assumedRoot: true }), time: '2026-11-02T10:00:00Z', request: { bucketName: 'locked-bucket' } })],
      expect: ['Policy:IAMUser/ShortTermRootCredentialUsage'],
    },
    { name: 'a role session is not root (Panther)', datasets: [{ panther: 'AWS.Console.RootLogin', test: 'Non-Login Event' }], expect: [] },
    { name: 'a failed root sign-in used no root credential (Panther)', datasets: [{ panther: 'AWS.Console.RootLoginFailed', test: 'Failed Root Login' }], expect: [] },
    { name: 'a failed root password change (Panther)', datasets: [{ panther: 'AWS.CloudTrail.RootPasswordChanged', test: 'Root Password Change Failed' }], expect: [] },
    {
      name: 'a refused call signed with a root access key is still root use',
      records: [
        ctEvent({ service: 'iam', name: 'CreateUser', identity: root(undefined, { accessKeyId: 'AKIAROOTKEYEXAMPLE01' }), time: '2026-11-02T10:00:00Z', errorCode: 'AccessDenied' }),
      ],
      expect: ['Policy:IAMUser/RootCredentialUsage'],
    },
    {
      name: 'AWS acting on root’s behalf is not root use',
      records: [
        { ...ctEvent({ service: 'iam', name: 'GetAccountSummary', identity: { ...root(), invokedBy: 'support.amazonaws.com' }, time: '2026-11-02T10:00:00Z' }), sourceIPAddress: 'support.amazonaws.com' },
      ],
      expect: [],
    },
    {
      name: 'a service invoked with root’s identity from a public address is not root use',
      records: [ctEvent({ service: 's3', name: 'GetBucketAcl', identity: { ...root(), invokedBy: 'cloudtrail.amazonaws.com' }, time: '2026-11-02T10:00:00Z', ip: '203.0.113.40', request: { bucketName: 'trail-logs' } })],
      expect: [],
    },
    {
      name: 'AWS Internal acting with root’s identity is not root use',
      records: [{ ...ctEvent({ service: 'iam', name: 'ListAccountAliases', identity: { ...root(), invokedBy: 'AWS Internal' }, time: '2026-11-02T10:00:00Z', userAgent: 'AWS Internal' }), sourceIPAddress: 'AWS Internal' }],
      expect: [],
    },
    {
      name: 'an IAM administrator is not root',
      records: [ctEvent({ service: 'iam', name: 'CreateUser', identity: iamUser('admin'), time: '2026-11-02T10:00:00Z', request: { userName: 'bob' } })],
      expect: [],
    },
  ],
};
