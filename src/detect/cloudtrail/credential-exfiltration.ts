import { parseIpv4, parseIpv6 } from '../../intel/ip.js';
import type { ApiEvent } from '../api-event.js';
import { ACCOUNT, assumedRole, awsService, ctEvent, instanceRole, OTHER_ACCOUNT, repeated } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext } from '../detection.js';
import { dayOf, isNew, newProfile, observe, type Profile } from './behavior-profile.js';
import { type BoundedMap, boundedMap, getEntry, instanceOfSession, setEntry } from './gumshoe-common.js';

/**
 * Credentials minted for one compute resource, used from somewhere else (guardduty.md §2.1 #21, #22, #25).
 *
 * - Instance credentials: role sessions named after the instance (`AROA…:i-0abc…`, normally with
 *   `sessionContext.ec2RoleDelivery`). Lambda credentials: sessions that lambda.amazonaws.com created with
 *   sts:AssumeRole (the session is named after the function, or `awslambda_…`), or whose caller runs in the
 *   Lambda runtime (`exec-env/AWS_Lambda_…` in the user agent).
 * - OutsideAWS: the source IP is public and outside AWS's published ranges. Private addresses (calls
 *   through VPC endpoints) and AWS service hosts never count.
 * - InsideAWS: the IP or VPC endpoint belongs to another account. CloudTrail does not say who owns an AWS
 *   address, so ownership is learned: the addresses and endpoints each account's own instances call
 *   from. Addresses no monitored account uses stay unknown and raise nothing (a documented blind spot).
 * - ML suppression as GuardDuty describes it: per role, a remote network (/24, IPv6 /48) or remote account
 *   that keeps using the credentials on LEARNED_DAYS distinct days is expected from then on; new ones
 *   still alert.
 */
const LEARNED_DAYS = 3;
const ROLE_REMOTES = 200;
const OWNERS = 20_000;
const LAMBDA_SESSIONS = 10_000;

const LAMBDA_HOST = 'lambda.amazonaws.com';
const LAMBDA_RUNTIME = 'exec-env/AWS_Lambda_';

/** RFC 1918, carrier-grade NAT, loopback, link-local, IPv6 unique-local and link-local. */
function isPrivate(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) {
    const a = v4 >>> 24;
    const b = (v4 >>> 16) & 255;
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b < 128);
  }
  const v6 = parseIpv6(ip);
  if (v6 === undefined) return true; // not an address: nothing to judge
  const top = Number(v6 >> 112n);
  return v6 === 1n || (top & 0xfe00) === 0xfc00 || (top & 0xffc0) === 0xfe80;
}

/** The remote network a learned use is keyed by: IPv4 /24, IPv6 /48. */
function network(ip: string): string {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
  const v6 = parseIpv6(ip);
  return v6 === undefined ? ip : `${(v6 >> 80n).toString(16)}::/48`;
}

const sessionName = (event: ApiEvent): string => {
  const arn = event.actor.arn ?? '';
  return arn.slice(arn.lastIndexOf('/') + 1);
};

/** Role ARN + session name: the identity of one Lambda function's credentials. */
const lambdaKey = (roleArn: string, session: string): string => `${roleArn}|${session}`;

/**
 * Who calls from an address or VPC endpoint: the account whose instances use it. A claim becomes
 * ownership once two of the account's instances used it, or one did on two days: a thief's single
 * session from their own host must not make it theirs.
 */
interface Owner {
  account: string;
  instances: string[];
  day: number;
  owned: boolean;
}

interface Shared {
  owners: BoundedMap<Owner>;
  /** Role sessions known to be minted by Lambda → first seen. */
  lambda: BoundedMap<number>;
}

const shared = (context: DetectionContext): Shared => context.state<Shared>('shared', () => ({ owners: boundedMap(), lambda: boundedMap() }));

/** Learns the Lambda sessions from the AssumeRole calls Lambda makes for its functions. */
function learnLambdaSession(event: ApiEvent, context: DetectionContext): void {
  const request = event.request;
  const roleArn = request?.roleArn;
  const session = request?.roleSessionName;
  if (typeof roleArn === 'string' && typeof session === 'string') setEntry(shared(context).lambda, lambdaKey(roleArn, session), event.time, LAMBDA_SESSIONS);
}

function isLambdaSession(event: ApiEvent, context: DetectionContext): boolean {
  const role = event.actor.sessionIssuerArn;
  if (!role) return false;
  const name = sessionName(event);
  const known = shared(context).lambda;
  const key = lambdaKey(role, name);
  if (getEntry(known, key) !== undefined || name.startsWith('awslambda_')) return true;
  if (!event.userAgent?.includes(LAMBDA_RUNTIME)) return false;
  setEntry(known, key, event.time, LAMBDA_SESSIONS);
  return true;
}

type Where = { kind: 'outside' } | { kind: 'inside'; owner: string | undefined; via: string } | { kind: 'home' };

/** Where a call came from, as far as the logs tell. */
function whereFrom(event: ApiEvent, context: DetectionContext): Where {
  const ip = event.sourceIp!;
  const via = event.vpcEndpointId ?? ip;
  if (!event.vpcEndpointId) {
    if (isPrivate(ip)) return { kind: 'home' };
    if (!context.intel.awsRange(ip)) return { kind: 'outside' };
  }
  const owner = getEntry(shared(context).owners, via);
  return { kind: 'inside', owner: owner?.owned ? owner.account : undefined, via };
}

/** Counts a use of `via` by one of `account`'s instances towards that account's ownership of it. */
function claim(context: DetectionContext, via: string, account: string, instance: string, time: number): void {
  const owners = shared(context).owners;
  const claimed = getEntry(owners, via);
  if (!claimed || claimed.account !== account) {
    // A contested claim starts over: nobody owns the address yet.
    setEntry(owners, via, { account, instances: [instance], day: dayOf(time), owned: false }, OWNERS);
    return;
  }
  if (!claimed.instances.includes(instance)) claimed.instances.push(instance);
  if (claimed.instances.length >= 2 || dayOf(time) > claimed.day) claimed.owned = true;
}

/** True when the role's credentials have kept coming from `remote` on enough days to be expected. */
function learnedRemote(role: Profile, remote: string, time: number): boolean {
  const stats = role.f.remote?.v[remote];
  return stats !== undefined && !isNew(role, 'remote', remote, time) && stats[2] >= LEARNED_DAYS;
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.actor.invokedBy === LAMBDA_HOST && event.api === 'AssumeRole') {
    learnLambdaSession(event, context);
    return;
  }
  if (event.actor.type !== 'AssumedRole' || !event.sourceIp || event.actor.invokedBy) return;
  const instance = instanceOfSession(event);
  const lambda = instance === null && isLambdaSession(event, context);
  if (instance === null && !lambda) return;

  const account = event.actor.accountId ?? event.accountId ?? 'unknown';
  const roleArn = event.actor.sessionIssuerArn ?? event.principalKey;
  const role = context.state<Profile>(`role:${roleArn}`, () => newProfile(event.time));
  const where = whereFrom(event, context);
  const roleName = event.actor.sessionIssuerName ?? roleArn;

  if (where.kind === 'outside') {
    const remote = `net:${network(event.sourceIp)}`;
    if (!learnedRemote(role, remote, event.time)) {
      context.emit(
        instance
          ? { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', event, instance: { instanceId: instance }, vars: { role: roleName, instance } }
          : { type: 'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS', event, vars: { role: roleName, function: sessionName(event) } },
      );
    }
    observe(role, 'remote', remote, event.time, ROLE_REMOTES);
    return;
  }
  if (where.kind !== 'inside' || instance === null) return;
  if (where.owner === undefined) {
    // The credentials' own instances teach whose address or endpoint this is.
    claim(context, where.via, account, instance, event.time);
    return;
  }
  if (where.owner === account) return;
  const remote = `acct:${where.owner}`;
  if (!learnedRemote(role, remote, event.time)) {
    const affiliated = context.settings.organizationAccounts.has(where.owner);
    context.emit({
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      event,
      severity: affiliated ? 5 : 8,
      aggregateBy: where.owner,
      remoteAccount: { accountId: where.owner, affiliated },
      instance: { instanceId: instance },
      vars: { role: roleName, instance, remoteAccount: where.owner, via: where.via },
    });
  }
  observe(role, 'remote', remote, event.time, ROLE_REMOTES);
}

// ---- Cases ----

const NAT_IP = '3.5.140.2'; // Amazon, Incheon
const OTHER_NAT_IP = '52.94.1.1'; // Amazon, Ashburn
const AWS_RANGES = ['3.5.140.0/22', '52.94.0.0/16'];
const OFFICE_EGRESS = '81.2.69.160';
const LINODE_IP = '45.33.32.156';

const appRole = instanceRole('app-instance-role', 'i-0a1b2c3d4e5f60718');
const otherAccountRoles = ['i-0f9e8d7c6b5a49382', 'i-0f9e8d7c6b5a49383'].map((id) => instanceRole('batch-instance-role', id, OTHER_ACCOUNT));

/** An instance's own calls, every `minutes`, from its NAT gateway or through a VPC endpoint. */
function instanceWork(identity: Record<string, unknown>, count: number, start: string, minutes: number, from: { ip: string; vpce?: string }): CloudTrailRecord[] {
  return repeated(count, start, minutes, (time, i) => {
    const record = ctEvent({ service: i % 2 ? 's3' : 'sqs', name: i % 2 ? 'ListBuckets' : 'ReceiveMessage', identity, time, ip: from.ip, userAgent: 'aws-sdk-java/2.25.6 Linux/6.1.0 OpenJDK_64-Bit_Server_VM/17.0.10' });
    return from.vpce ? { ...record, vpcEndpointId: from.vpce } : record;
  });
}

const lambdaRole = assumedRole('orders-fn-role', 'orders-handler');
const LAMBDA_AGENT = 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.214-223.853.amzn2.x86_64 lang/python#3.12.2 exec-env/AWS_Lambda_python3.12';
const lambdaAssume = (time: string): CloudTrailRecord => ({
  ...ctEvent({
    service: 'sts', name: 'AssumeRole', identity: awsService(LAMBDA_HOST), time, userAgent: LAMBDA_HOST,
    request: { roleArn: `arn:aws:iam::${ACCOUNT}:role/orders-fn-role`, roleSessionName: 'orders-handler' },
  }),
  sourceIPAddress: LAMBDA_HOST,
});

const cases: ApiDetection['cases'] = () => [
  { name: 'OTRF: SSRF-stolen instance credentials list and read a bucket from outside AWS', datasets: [{ otrf: 'malicious' }], expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'] },
  {
    // Stratus anonymised every address (the operator's IAM user shares the stolen session's); with published ranges loaded that do not hold it, it is the operator's machine outside AWS.
    name: 'Stratus ec2-steal-instance-credentials: stolen session used from the operator’s machine',
    datasets: [{ stratus: 'aws.credential-access.ec2-steal-instance-credentials' }],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'],
  },
  { name: 'IMDS credentials used from a public IP (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'IMDS Credentials Used From Public IP' }], expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'] },
  {
    name: 'a learned on-premises egress does not hide a new remote network',
    records: [
      ...repeated(4, '2026-11-01T10:00:00Z', 24 * 60, (time) => ctEvent({ service: 's3', name: 'ListBuckets', identity: appRole, time, ip: OFFICE_EGRESS })),
      ctEvent({ service: 'iam', name: 'ListRoles', identity: appRole, time: '2026-11-06T10:00:00Z', ip: LINODE_IP }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'],
  },
  {
    name: 'instance credentials used from another account’s instance (learned NAT address)',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 6, '2026-11-01T00:00:00Z', 60, { ip: OTHER_NAT_IP })),
      ...instanceWork(appRole, 6, '2026-11-01T00:00:00Z', 60, { ip: NAT_IP }),
      ctEvent({ service: 'secretsmanager', name: 'ListSecrets', identity: appRole, time: '2026-11-01T08:00:00Z', ip: OTHER_NAT_IP, userAgent: 'aws-cli/2.17.3' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  {
    name: 'instance credentials used through another organisation account’s VPC endpoint (affiliated: Medium)',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 6, '2026-11-01T00:00:00Z', 60, { ip: '10.20.1.15', vpce: 'vpce-0b1c2d3e4f5a60718' })),
      ...instanceWork(appRole, 6, '2026-11-01T00:00:00Z', 60, { ip: '10.1.4.20', vpce: 'vpce-0aa11bb22cc33dd44' }),
      { ...ctEvent({ service: 's3', name: 'ListBuckets', identity: appRole, time: '2026-11-01T08:00:00Z', ip: '10.20.7.9' }), vpcEndpointId: 'vpce-0b1c2d3e4f5a60718' },
    ],
    settings: { organizationAccounts: [ACCOUNT, OTHER_ACCOUNT] },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  {
    name: 'Lambda function credentials used from outside AWS',
    records: [
      lambdaAssume('2026-11-01T10:00:00Z'),
      ...repeated(3, '2026-11-01T10:00:01Z', 1, (time) => ctEvent({ service: 'dynamodb', name: 'DescribeTable', identity: lambdaRole, time, ip: OTHER_NAT_IP, userAgent: LAMBDA_AGENT })),
      ctEvent({ service: 'iam', name: 'ListAttachedRolePolicies', identity: lambdaRole, time: '2026-11-01T10:30:00Z', ip: LINODE_IP, userAgent: 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS'],
  },
  { name: 'OTRF benign: console admin and the EC2 service minting instance credentials', datasets: [{ otrf: 'benign' }], expect: [] },
  { name: 'instance workload from a private address (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'Normal EC2 Workload From Private IP' }], expect: [] },
  { name: 'a service acting with the instance role (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'AWS Service Hostname as Source IP' }], expect: [] },
  { name: 'EKS invoking on the instance’s behalf (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'AWS Service InvokedBy on behalf of instance' }], expect: [] },
  { name: 'a role session not named after an instance (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'Non-Instance Role' }], expect: [] },
  {
    name: 'instances of two accounts at home: own NAT gateways and VPC endpoints',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 12, '2026-11-01T00:00:00Z', 60, { ip: OTHER_NAT_IP })),
      ...instanceWork(appRole, 12, '2026-11-01T00:00:00Z', 60, { ip: NAT_IP }),
      ...instanceWork(appRole, 12, '2026-11-01T00:30:00Z', 60, { ip: '10.1.4.20', vpce: 'vpce-0aa11bb22cc33dd44' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: [],
  },
  {
    name: 'Lambda functions calling from AWS, and an engineer assuming the function role from the office',
    records: [
      lambdaAssume('2026-11-01T10:00:00Z'),
      { ...lambdaAssume('2026-11-01T10:00:00Z'), requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/orders-fn-role`, roleSessionName: 'awslambda_55_20261101100000548' } },
      ...repeated(3, '2026-11-01T10:00:01Z', 1, (time) => ctEvent({ service: 'dynamodb', name: 'DescribeTable', identity: lambdaRole, time, ip: OTHER_NAT_IP, userAgent: LAMBDA_AGENT })),
      ctEvent({ service: 'dynamodb', name: 'Scan', identity: assumedRole('orders-fn-role', 'maria.garcia'), time: '2026-11-01T11:00:00Z', ip: OFFICE_EGRESS }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: [],
  },
];

export const credentialExfiltration: ApiDetection = {
  id: 'credential-exfiltration',
  source: 'cloudtrail',
  // Lambda's AssumeRole calls name the function sessions it mints.
  payloads: { apis: ['AssumeRole'] },
  types: [
    {
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Unsecured Credentials: Cloud Instance Metadata API' },
      title: 'Credentials for instance role {role} used from external IP address.',
      description: 'Credentials created exclusively for EC2 instance {instance} through instance role {role} were used from external IP address {ip}, outside AWS.',
      remediation: 'Treat the instance as compromised: revoke the role’s active sessions (an inline deny on aws:TokenIssueTime), find how the credentials left it (SSRF, IMDSv1, leaked logs), enforce IMDSv2 and investigate what the credentials were used for.',
    },
    {
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Unsecured Credentials: Cloud Instance Metadata API' },
      title: 'Credentials for instance role {role} used from a different AWS account.',
      description: 'Credentials created exclusively for EC2 instance {instance} through instance role {role} were used from {via}, which belongs to AWS account {remoteAccount}.',
      remediation: 'Confirm whether account {remoteAccount} is meant to use this role. If not, revoke the role’s active sessions, find how the credentials left the instance, enforce IMDSv2 and restrict the role with aws:EC2InstanceSourceVPC / aws:EC2InstanceSourcePrivateIPv4 conditions.',
    },
    {
      type: 'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS',
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552 Unsecured Credentials' },
      title: 'Credentials of Lambda function {function} (role {role}) used from external IP address.',
      description: 'Credentials created for Lambda function {function} through role {role} were used from external IP address {ip}, outside AWS.',
      remediation: 'Revoke the role’s active sessions, check the function’s code, dependencies and environment for leaks (for example credentials echoed into logs or an SSRF), and review what the credentials were used for.',
    },
  ],
  onEvent,
  cases,
};
