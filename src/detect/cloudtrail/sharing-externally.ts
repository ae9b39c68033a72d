import type { ApiEvent } from '../api-event.js';
import { ctEvent, iamUser, assumedRole, awsService, ACCOUNT, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext, DetectSettings } from '../detection.js';
import {
  accountOf,
  allowStatements,
  allowsAnyAction,
  awsPrincipals,
  type BoundedMap,
  boundedMap,
  isAwsServiceCall,
  isExternalAccount,
  isIacAgent,
  isScopedWildcard,
  list,
  obj,
  ownAccount,
  personVars,
  policyDocument,
  resourcesOf,
  str,
  wasHabit,
} from './gumshoe-common.js';
import { bucketDetail } from './s3-resources.js';

/**
 * Data shared out of the account: an EBS snapshot, AMI or RDS snapshot opened to another account or to
 * everyone, a bucket policy that lets another account read, or a Secrets Manager resource policy that lets
 * another account (or anyone: a `*` no condition scopes) read a secret; a bucket replicated, or a DynamoDB table
 * exported, to another account's bucket; a VPC peered with another account's; a domain transferred to one; an ECR
 * repository, SQS queue or SNS topic whose policy lets another account (or anyone) take its contents; a Systems
 * Manager document shared with another account or everyone; a CodeBuild project whose builds (logs, artifacts)
 * are made public or shared with another account. GuardDuty
 * only sees the public-bucket case (Policy:S3/BucketAnonymousAccessGranted), so a `*` bucket principal is left
 * to that type.
 *
 * Accounts in `settings.organizationAccounts` are ours. An account this account has already shared with on
 * an earlier day (a DR or partner account) is a habit, and a share made through infrastructure as code is a
 * reviewed change: both still reported, at Low. Making a resource public is High whoever does it.
 */
const SNAPSHOT = 'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe';
const AMI = 'Exfiltration:EC2/AmiSharedExternally.Gumshoe';
const RDS = 'Exfiltration:RDS/SnapshotSharedExternally.Gumshoe';
const BUCKET = 'Exfiltration:S3/BucketPolicyGrantsExternalAccount.Gumshoe';
const SECRET = 'Exfiltration:SecretsManager/SecretSharedExternally.Gumshoe';
const KEY = 'Exfiltration:KMS/KeySharedExternally.Gumshoe';
const REPLICATION = 'Exfiltration:S3/BucketReplicatedExternally.Gumshoe';
const TABLE_EXPORT = 'Exfiltration:DynamoDB/TableExportedExternally.Gumshoe';
const PEERING = 'DefenseEvasion:EC2/VpcPeeredExternally.Gumshoe';
const DOMAIN = 'Impact:Route53/DomainTransferredExternally.Gumshoe';
const REPOSITORY = 'Exfiltration:ECR/RepositorySharedExternally.Gumshoe';
const QUEUE = 'Exfiltration:SQS/QueueSharedExternally.Gumshoe';
const TOPIC = 'Exfiltration:SNS/TopicSharedExternally.Gumshoe';
const DOCUMENT = 'Exfiltration:SSM/DocumentSharedExternally.Gumshoe';
const BUILD_PROJECT = 'Exfiltration:CodeBuild/ProjectSharedExternally.Gumshoe';

const PUBLIC = 'public';

interface Share {
  type: string;
  resource: string;
  /** Account ids, organization or OU ARNs, or PUBLIC. */
  targets: string[];
}

/**
 * Who a `createVolumePermission` / `launchPermission` change adds: `{userId}`, `{group: 'all'}` (PUBLIC), or
 * an organization or OU ARN (the account in it is that organization's management account). The legacy
 * request form (`--operation-type add --user-ids … --group-names all`) names them at the top level.
 */
function permissionAdds(request: Record<string, unknown>, attribute: string): string[] {
  const permission = obj(request[attribute]);
  const legacy = str(request.operationType)?.toLowerCase() === 'add' ? [...list(request.userId), ...list(request.userIds), ...list(request.groupName), ...list(request.groupNames)] : [];
  return [...list(obj(permission?.add)?.items ?? permission?.add), ...legacy].flatMap((item) => {
    const entry = obj(item);
    const value = str(entry?.userId) ?? str(entry?.group) ?? str(entry?.groupName) ?? str(entry?.organizationArn) ?? str(entry?.organizationalUnitArn) ?? str(item);
    if (value === 'all') return [PUBLIC];
    // An organization or OU stays an ARN, so the finding can name it.
    return value && accountOf(value) ? [value] : [];
  });
}

/** Bucket-policy actions that let the grantee take data or take over the bucket (not write-only log delivery). */
const BUCKET_READ_OR_CONTROL = ['s3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:DeleteBucket', 's3:PutBucketPolicy', 's3:PutBucketAcl', 's3:PutObjectAcl', 's3:RestoreObject'];

/**
 * Key actions that decrypt what the key protects (data keys of shared snapshots included) or hand the key
 * over; not Encrypt or DescribeKey, which cross-account log and backup delivery need.
 */
const KEY_USE_OR_CONTROL = ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant', 'kms:PutKeyPolicy'];

/** Resource-policy actions that hand over the contents (images, messages) or control of an ECR repository, SQS queue or SNS topic. */
const REPOSITORY_READ_OR_CONTROL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:SetRepositoryPolicy', 'ecr:PutImage'];
const QUEUE_READ_OR_CONTROL = ['sqs:ReceiveMessage', 'sqs:SetQueueAttributes', 'sqs:AddPermission'];
const TOPIC_READ_OR_CONTROL = ['sns:Subscribe', 'sns:SetTopicAttributes', 'sns:AddPermission'];
/** A shared CodeBuild project's builds: their environment variables, log and artifact locations. */
const BUILD_READ = ['codebuild:BatchGetBuilds', 'codebuild:BatchGetBuildBatches', 'codebuild:BatchGetProjects', 'codebuild:BatchGetReports'];

/** Secret actions that hand over the value or control of the secret (not DescribeSecret or tagging). */
const SECRET_READ_OR_CONTROL = ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'secretsmanager:PutResourcePolicy', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret'];

/**
 * Accounts other than `owner` that a resource policy's Allow statements give an action `grants` to
 * (NotAction statements included), and PUBLIC for a `*` principal when `anyoneCounts` says the statement
 * opens the resource to everyone.
 */
function grantees(policy: unknown, owner: string | null, grants: readonly string[], anyoneCounts: (statement: Record<string, unknown>) => boolean): string[] {
  return allowStatements(policyDocument(policy))
    .filter((s) => allowsAnyAction(s, grants))
    .flatMap((s) => awsPrincipals(s).map((p) => (p === '*' ? (anyoneCounts(s) ? PUBLIC : null) : accountOf(p))))
    .filter((a): a is string => a !== null && a !== owner);
}

/**
 * Accounts an S3 replication configuration copies every new object to: `Destination.Account` of its enabled
 * rules (S3 asks for it when the destination bucket is another account's and ownership moves there). A rule
 * that names only the destination bucket's ARN does not say whose bucket it is.
 */
function replicationAccounts(request: Record<string, unknown>): string[] {
  const configuration = obj(request.ReplicationConfiguration) ?? {};
  return list(configuration.Rule ?? configuration.Rules)
    .map(obj)
    .filter((rule) => rule !== null && rule.Status !== 'Disabled')
    .map((rule) => str(obj(rule!.Destination)?.Account))
    .filter((account): account is string => account !== undefined);
}

/** Outside accounts, or PUBLIC for a `*` no condition scopes, that a resource policy gives one of `grants`. */
const openedTo = (policy: unknown, event: ApiEvent, grants: readonly string[]) => grantees(policy, ownAccount(event), grants, (statement) => !isScopedWildcard(statement));

function bucketOwner(event: ApiEvent): string | null {
  const bucket = resourcesOf(event).find((r) => r.type === 'AWS::S3::Bucket' && typeof r.accountId === 'string');
  return (bucket?.accountId as string | undefined) ?? ownAccount(event);
}

function shareOf(event: ApiEvent): Share | null {
  const request = event.request;
  if (!request) return null;
  switch (event.api) {
    case 'ModifySnapshotAttribute':
      return { type: SNAPSHOT, resource: str(request.snapshotId) ?? 'unknown-snapshot', targets: permissionAdds(request, 'createVolumePermission') };
    case 'ModifyImageAttribute':
      return { type: AMI, resource: str(request.imageId) ?? 'unknown-image', targets: permissionAdds(request, 'launchPermission') };
    case 'ModifyDBSnapshotAttribute':
    case 'ModifyDBClusterSnapshotAttribute': {
      if (request.attributeName !== 'restore') return null;
      const values = list(request.valuesToAdd).map(str).filter((v): v is string => v !== undefined);
      const resource = str(request.dBSnapshotIdentifier) ?? str(request.dBClusterSnapshotIdentifier) ?? 'unknown-snapshot';
      return { type: RDS, resource, targets: values.map((v) => (v === 'all' ? PUBLIC : v)) };
    }
    case 'PutBucketPolicy':
      // A `*` bucket principal is GuardDuty's Policy:S3/Bucket…AccessGranted.
      return { type: BUCKET, resource: event.bucketName ?? 'unknown-bucket', targets: grantees(request.bucketPolicy, bucketOwner(event), BUCKET_READ_OR_CONTROL, () => false) };
    case 'PutResourcePolicy': {
      if (event.service === 'codebuild.amazonaws.com') return { type: BUILD_PROJECT, resource: projectName(request.resourceArn), targets: openedTo(request.policy, event, BUILD_READ) };
      if (event.service !== 'secretsmanager.amazonaws.com') return null;
      const targets = grantees(request.resourcePolicy, ownAccount(event), SECRET_READ_OR_CONTROL, (statement) => !isScopedWildcard(statement));
      return { type: SECRET, resource: str(request.secretId) ?? 'unknown-secret', targets };
    }
    case 'PutKeyPolicy':
    case 'CreateKey': {
      if (event.service !== 'kms.amazonaws.com') return null;
      const targets = grantees(request.policy, ownAccount(event), KEY_USE_OR_CONTROL, (statement) => !isScopedWildcard(statement));
      return { type: KEY, resource: str(request.keyId) ?? str(obj(event.response?.keyMetadata)?.keyId) ?? 'unknown-key', targets };
    }
    case 'SetRepositoryPolicy':
      return { type: REPOSITORY, resource: str(request.repositoryName) ?? 'unknown-repository', targets: openedTo(request.policyText, event, REPOSITORY_READ_OR_CONTROL) };
    case 'SetQueueAttributes':
    case 'CreateQueue': {
      const queue = (str(request.queueUrl) ?? str(request.queueName) ?? 'unknown-queue').replace(/^.*\//, '');
      return { type: QUEUE, resource: queue, targets: openedTo(obj(request.attributes)?.Policy, event, QUEUE_READ_OR_CONTROL) };
    }
    case 'SetTopicAttributes':
    case 'CreateTopic': {
      const policy = event.api === 'CreateTopic' ? obj(request.attributes)?.Policy : str(request.attributeName) === 'Policy' ? request.attributeValue : undefined;
      const topic = (str(request.topicArn) ?? str(request.name) ?? 'unknown-topic').replace(/^.*:/, '');
      return { type: TOPIC, resource: topic, targets: openedTo(policy, event, TOPIC_READ_OR_CONTROL) };
    }
    case 'PutBucketReplication':
      return { type: REPLICATION, resource: event.bucketName ?? 'unknown-bucket', targets: replicationAccounts(request) };
    case 'CreateVpcPeeringConnection':
    case 'AcceptVpcPeeringConnection': {
      // Requesting a peering names the other VPC's owner; accepting one, the requester (in the response).
      const connection = obj(event.response?.vpcPeeringConnection);
      const peer = event.api === 'CreateVpcPeeringConnection' ? str(request.peerOwnerId) : str(obj(connection?.requesterVpcInfo)?.ownerId);
      const vpc = str(request.vpcId) ?? str(obj(connection?.accepterVpcInfo)?.vpcId) ?? str(request.vpcPeeringConnectionId) ?? 'unknown-vpc';
      return { type: PEERING, resource: vpc, targets: peer ? [peer] : [] };
    }
    case 'TransferDomainToAnotherAwsAccount': {
      const account = str(request.accountId);
      return { type: DOMAIN, resource: str(request.domainName) ?? 'unknown-domain', targets: account ? [account] : [] };
    }
    case 'ModifyDocumentPermission': {
      if (str(request.permissionType) !== 'Share') return null;
      const targets = list(request.accountIdsToAdd).map((id) => (String(id).toLowerCase() === 'all' ? PUBLIC : String(id)));
      return { type: DOCUMENT, resource: str(request.name) ?? 'unknown-document', targets };
    }
    case 'UpdateProjectVisibility':
    case 'CreateProject':
    case 'UpdateProject':
      // PRIVATE (or no visibility in the request) keeps the builds to the account.
      return { type: BUILD_PROJECT, resource: projectName(request.projectArn ?? request.name), targets: request.projectVisibility === 'PUBLIC_READ' ? [PUBLIC] : [] };
    case 'ExportTableToPointInTime': {
      // The table's data lands in a bucket the export names; its owner is given when it is another account.
      const owner = str(request.s3BucketOwner);
      return { type: TABLE_EXPORT, resource: (str(request.tableArn) ?? 'unknown-table').replace(/^.*:table\//, ''), targets: owner ? [owner] : [] };
    }
    default:
      return null;
  }
}

/** `build` from `arn:aws:codebuild:us-east-1:111122223333:project/build`, or a bare name. */
const projectName = (value: unknown) => (str(value) ?? 'unknown-project').replace(/^arn:.*:project\//, '');

function describeTarget(target: string): string {
  if (target === PUBLIC) return 'everyone (public)';
  return target.startsWith('arn:') ? `the AWS organization or OU ${target}` : `AWS account ${target}`;
}

/**
 * Low for a habitual target, a share made through infrastructure as code, or an organization's ARN when no
 * organization accounts are declared (a member account sharing with its own organization names the
 * management account, which is then unknown); the type's own (High) otherwise.
 */
function shareSeverity(target: string, account: string, event: ApiEvent, habits: BoundedMap<number>, settings: DetectSettings): number | undefined {
  // Making something public is exposure however reviewed; as RoleTrustBackdoor keeps a bare `*` at its own.
  if (target === PUBLIC) return undefined;
  // Recorded for IaC shares too, so a target Terraform set up is a habit for the hands-on shares that follow.
  const habit = wasHabit(habits, `${ownAccount(event)}>${account}`, event.time);
  const undeclaredOrganization = target.startsWith('arn:') && settings.organizationAccounts.size === 0;
  return habit || undeclaredOrganization || isIacAgent(event.userAgent) ? 2 : undefined;
}

/**
 * A share EC2 refused only because the snapshot is encrypted with AWS's managed EBS key, which cannot be shared
 * (EBS encryption by default): the attempt was made all the same, and is reported at Low. A refusal for want
 * of permission stays silent.
 */
const refusedForDefaultKey = (event: ApiEvent) =>
  (event.api === 'ModifySnapshotAttribute' || event.api === 'ModifyImageAttribute') &&
  /OperationNotPermitted|InvalidParameter/.test(event.errorCode ?? '') &&
  /default key|AWS Managed CMK/i.test(event.errorMessage ?? '');

function onShare(event: ApiEvent, context: DetectionContext): void {
  if ((event.failed && !refusedForDefaultKey(event)) || isAwsServiceCall(event)) return;
  const share = shareOf(event);
  if (!share) return;
  const habits = context.state<BoundedMap<number>>('share-targets', boundedMap);
  for (const target of new Set(share.targets)) {
    const account = target === PUBLIC ? null : accountOf(target);
    if (target !== PUBLIC && (account === null || !isExternalAccount(account, event, context.settings))) continue;
    context.emit({
      type: share.type,
      event,
      severity: event.failed ? 2 : account === null ? undefined : shareSeverity(target, account, event, habits, context.settings),
      aggregateBy: `${share.resource}>${target}`,
      remoteAccount: account === null ? undefined : { accountId: account, affiliated: false },
      buckets: share.type === BUCKET || share.type === REPLICATION ? [bucketDetail(event, share.resource)] : undefined,
      vars: { ...personVars(event), resource: share.resource, target: describeTarget(target) },
    });
  }
}

const remediation =
  'Confirm with the owner that the share was intended. If not, remove the permission for that account, rotate the credentials of the principal that made the change, and check the other account for copies (snapshots and images shared out can be copied within minutes).';

const EXFIL = { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' };

const admin = iamUser('alice');
const snapshotShare = (target: Record<string, unknown>, identity = admin, extra: Record<string, unknown> = {}) =>
  ctEvent({
    service: 'ec2',
    name: 'ModifySnapshotAttribute',
    identity,
    time: '2026-11-02T10:00:00Z',
    request: { snapshotId: 'snap-0a1b2c3d4e5f60718', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [target] } } },
    response: { _return: true },
    ...extra,
  });

const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const BACKUP_ACCOUNT = '777788889999';
/** A CI pipeline's Terraform apply sharing an EBS snapshot, an AMI and an RDS snapshot with `account`. */
const terraformShares = (account: string) => [
  snapshotShare({ userId: account }, terraform, { userAgent: TERRAFORM_AGENT }),
  ctEvent({
    service: 'ec2',
    name: 'ModifyImageAttribute',
    identity: terraform,
    userAgent: TERRAFORM_AGENT,
    time: '2026-11-02T10:00:01Z',
    request: { imageId: 'ami-0c55b159cbfafe1f0', attributeType: 'launchPermission', launchPermission: { add: { items: [{ userId: account }] } } },
  }),
  ctEvent({
    service: 'rds',
    name: 'ModifyDBSnapshotAttribute',
    identity: terraform,
    userAgent: TERRAFORM_AGENT,
    time: '2026-11-02T10:00:02Z',
    request: { dBSnapshotIdentifier: 'orders-nightly', attributeName: 'restore', valuesToAdd: [account] },
  }),
];

const bucketPolicy = (statements: Record<string, unknown>[], identity = admin, userAgent?: string) =>
  ctEvent({
    service: 's3',
    name: 'PutBucketPolicy',
    identity,
    userAgent,
    time: '2026-11-02T10:00:00Z',
    request: { bucketName: 'acme-customer-exports', bucketPolicy: { Version: '2012-10-17', Statement: statements }, policy: '' },
    resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-customer-exports' }],
  });

/** PutKeyPolicy, its policy as CloudTrail records it: a JSON string. */
const keyPolicy = (statements: Record<string, unknown>[]) =>
  ctEvent({
    service: 'kms',
    name: 'PutKeyPolicy',
    identity: admin,
    time: '2026-11-02T10:00:00Z',
    request: { keyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', policyName: 'default', policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }), bypassPolicyLockoutSafetyCheck: false },
  });

/** PutBucketReplication as CloudTrail records it: the XML configuration as JSON, one rule an object, several a list. */
const replication = (rules: Record<string, unknown>[]) =>
  ctEvent({
    service: 's3',
    name: 'PutBucketReplication',
    identity: admin,
    time: '2026-11-02T10:00:00Z',
    request: {
      bucketName: 'acme-customer-exports',
      Host: 'acme-customer-exports.s3.us-east-1.amazonaws.com',
      replication: '',
      ReplicationConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', Role: `arn:aws:iam::${ACCOUNT}:role/s3-replication`, Rule: rules.length === 1 ? rules[0] : rules },
    },
    resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-customer-exports' }],
  });

/** A VPC peering request or acceptance between our VPC and one of `peerAccount`, with EC2's response. */
const peering = (name: string, request: Record<string, unknown>, peerAccount: string, identity: Record<string, unknown> = admin, userAgent?: string) => {
  const ours = { ownerId: ACCOUNT, vpcId: 'vpc-0a1b2c3d4e5f60789', cidrBlock: '10.20.0.0/16', region: 'us-east-1' };
  const theirs = { ownerId: peerAccount, vpcId: 'vpc-0f9e8d7c6b5a43210', region: 'us-west-2' };
  const accepting = name === 'AcceptVpcPeeringConnection';
  return ctEvent({
    service: 'ec2',
    name,
    identity,
    userAgent,
    time: '2026-11-02T10:10:00Z',
    request,
    response: {
      requestId: '6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b',
      vpcPeeringConnection: {
        vpcPeeringConnectionId: 'pcx-0b7e5c3a1d9f24680',
        requesterVpcInfo: accepting ? theirs : ours,
        accepterVpcInfo: accepting ? ours : theirs,
        status: { code: accepting ? 'provisioning' : 'initiating-request', message: accepting ? 'Provisioning' : `Initiating Request to ${peerAccount}` },
        tagSet: {},
      },
    },
  });
};

/** ExportTableToPointInTime; `owner` is the destination bucket's account when it is not the caller's. */
const tableExport = (owner?: string) =>
  ctEvent({
    service: 'dynamodb',
    name: 'ExportTableToPointInTime',
    identity: admin,
    time: '2026-11-02T10:05:00Z',
    request: {
      tableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/customers`,
      s3Bucket: owner ? 'exfil-drop-2231' : 'acme-dynamodb-exports',
      ...(owner ? { s3BucketOwner: owner } : {}),
      s3Prefix: 'customers/',
      exportFormat: 'DYNAMODB_JSON',
      exportType: 'FULL_EXPORT',
    },
    response: { exportDescription: { exportArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/customers/export/01730541234567-a1b2c3d4`, exportStatus: 'IN_PROGRESS', tableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/customers` } },
  });

/** PutResourcePolicy on a secret, its policy as CloudTrail records it: a JSON string. */
const secretPolicy = (secretId: string, Principal: unknown, Condition?: Record<string, unknown>, Action = 'secretsmanager:GetSecretValue') =>
  ctEvent({
    service: 'secretsmanager',
    name: 'PutResourcePolicy',
    identity: admin,
    time: '2026-11-02T10:00:00Z',
    request: {
      secretId,
      resourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal, Action, Resource: '*', ...(Condition ? { Condition } : {}) }] }),
      blockPublicPolicy: false,
    },
  });

/** ModifyDocumentPermission sharing an SSM document with `accounts` (`all`: everyone). */
const documentShare = (name: string, accounts: string[], identity = admin, userAgent?: string) =>
  ctEvent({ service: 'ssm', name: 'ModifyDocumentPermission', identity, userAgent, time: '2026-11-02T10:00:00Z', request: { name, permissionType: 'Share', accountIdsToAdd: accounts } });

const BUILD_ARN = `arn:aws:codebuild:us-east-1:${ACCOUNT}:project/release-build`;
const projectVisibility = (visibility: 'PUBLIC_READ' | 'PRIVATE') =>
  ctEvent({
    service: 'codebuild',
    name: 'UpdateProjectVisibility',
    identity: admin,
    time: '2026-11-02T10:02:00Z',
    request: { projectArn: BUILD_ARN, projectVisibility: visibility },
    response: { projectArn: BUILD_ARN, projectVisibility: visibility, ...(visibility === 'PUBLIC_READ' ? { publicProjectAlias: '3f9c2a71-5e0d-4b8a-9c6e-1d2f3a4b5c6d' } : {}) },
  });

export const sharingExternally: ApiDetection = {
  id: 'gumshoe-sharing-externally',
  source: 'cloudtrail',
  apis: ['ModifySnapshotAttribute', 'ModifyImageAttribute', 'ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute', 'PutBucketPolicy', 'PutResourcePolicy', 'PutKeyPolicy', 'CreateKey', 'PutBucketReplication', 'ExportTableToPointInTime', 'CreateVpcPeeringConnection', 'AcceptVpcPeeringConnection', 'TransferDomainToAnotherAwsAccount', 'SetRepositoryPolicy', 'SetQueueAttributes', 'CreateQueue', 'SetTopicAttributes', 'CreateTopic', 'ModifyDocumentPermission', 'UpdateProjectVisibility', 'CreateProject', 'UpdateProject'],
  types: [
    {
      type: SNAPSHOT,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'EBS snapshot {resource} was shared with {target}.',
      description: '{principal} added a createVolumePermission on EBS snapshot {resource} for {target} from {ip}. Whoever holds that permission can create a volume from it and read the disk.',
      remediation,
    },
    {
      type: AMI,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'AMI {resource} was shared with {target}.',
      description: '{principal} added a launch permission on AMI {resource} for {target} from {ip}. The image, and the data on its snapshots, can be launched and copied there.',
      remediation,
    },
    {
      type: RDS,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'RDS snapshot {resource} was shared with {target}.',
      description: '{principal} called {api} to add {target} to the restore attribute of RDS snapshot {resource} from {ip}. The database can be restored there.',
      remediation,
    },
    {
      type: BUCKET,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The policy of S3 bucket {bucket} lets {target} read it.',
      description: '{principal} set a bucket policy on {bucket} from {ip} that allows {target}, outside the organization, to read or control the bucket.',
      remediation:
        'Check the bucket policy. If the external account is not a known partner, remove its statement, review the bucket’s data events for reads by that account, and rotate the credentials of the principal that changed the policy.',
    },
    {
      type: SECRET,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The resource policy of secret {resource} lets {target} read it.',
      description: '{principal} put a resource policy on Secrets Manager secret {resource} from {ip} that lets {target}, outside the organization, read the secret value.',
      remediation:
        'Check the secret’s resource policy. If the account is not a known partner, remove its statement (DeleteResourcePolicy), rotate the secret, look for GetSecretValue calls from that account, and rotate the credentials of the principal that changed the policy.',
    },
    {
      type: KEY,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The key policy of KMS key {resource} lets {target} decrypt with it.',
      description: '{principal} set the key policy of KMS key {resource} from {ip} so that {target} can decrypt with it or take it over. Snapshots, secrets and objects encrypted with the key can then be read there once shared.',
      remediation:
        'Read the key policy (GetKeyPolicy). If the account is not a known partner, remove its statement, revoke its grants (ListGrants, RevokeGrant), check Decrypt and CreateGrant calls from that account, and look for resources encrypted with the key that were shared out.',
    },
    {
      type: REPLICATION,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'S3 bucket {bucket} now replicates its objects to {target}.',
      description: '{principal} set a replication configuration on {bucket} from {ip} whose destination bucket belongs to {target}, outside the organization. Every new object (and, with batch replication, every existing one) is copied there by S3 itself.',
      remediation:
        'Check the replication configuration (GetBucketReplication). If the destination is not a known partner or backup account, delete it (DeleteBucketReplication), find what was already replicated, and rotate the credentials of the principal that set it.',
    },
    {
      type: TABLE_EXPORT,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'DynamoDB table {resource} was exported to a bucket of {target}.',
      description: '{principal} called ExportTableToPointInTime from {ip} to write a full copy of table {resource} to an S3 bucket owned by {target}, outside the organization.',
      remediation:
        'Check the export (DescribeExport) and its destination. If the account is not a known partner or backup account, treat the table’s data as disclosed, and rotate the credentials of the principal that started the export.',
    },
    {
      type: PEERING,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1599 Network Boundary Bridging' },
      title: 'VPC {resource} was peered with a VPC of {target}.',
      description: '{principal} called {api} from {ip}, peering VPC {resource} with a VPC owned by {target}, outside the organization. Once routes point at it, hosts there reach this VPC’s private addresses, past internet-facing firewalls, and data can leave the same way.',
      remediation:
        'Check the peering connection (DescribeVpcPeeringConnections). If the other account is not a known partner, delete it (DeleteVpcPeeringConnection), remove routes that point to it, and review the VPC’s flow logs for traffic through it.',
    },
    {
      type: DOMAIN,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0042 Resource Development', technique: 'T1584.001 Compromise Infrastructure: Domains' },
      title: 'Domain {resource} is being transferred to {target}.',
      description: '{principal} called TransferDomainToAnotherAwsAccount from {ip} for {resource}, to {target}, outside the organization. Once that account accepts, it owns the registration: it can point the domain’s mail and web traffic anywhere and obtain certificates for it.',
      remediation:
        'Cancel the transfer (CancelDomainTransferToAnotherAwsAccount) before the other account accepts it, enable the transfer lock, and rotate the credentials of the principal that started it.',
    },
    {
      type: REPOSITORY,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The policy of ECR repository {resource} lets {target} pull its images.',
      description: '{principal} set the repository policy of {resource} from {ip} so that {target} can pull its images (or take over the repository). Images carry the application’s code and often credentials baked into layers.',
      remediation: 'Read the repository policy (GetRepositoryPolicy). If the account is not a known consumer, remove its statement, look for BatchGetImage and GetDownloadUrlForLayer calls from it, and rotate any secrets the images contain.',
    },
    {
      type: QUEUE,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The policy of SQS queue {resource} lets {target} receive its messages.',
      description: '{principal} set a queue policy on {resource} from {ip} that lets {target} receive (and so take) its messages or change the queue’s policy.',
      remediation: 'Read the queue policy (GetQueueAttributes Policy). If the account is not a known consumer, remove its statement and check what the messages carried since the change.',
    },
    {
      type: TOPIC,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The policy of SNS topic {resource} lets {target} subscribe to it.',
      description: '{principal} set a topic policy on {resource} from {ip} that lets {target} subscribe (every message published is then copied to it) or change the topic’s policy.',
      remediation: 'Read the topic policy and list its subscriptions (ListSubscriptionsByTopic). Remove the statement and any subscription of an unknown endpoint, and check what the messages carried.',
    },
    {
      type: DOCUMENT,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'Systems Manager document {resource} was shared with {target}.',
      description: '{principal} called ModifyDocumentPermission from {ip} to share SSM document {resource} with {target}. A document is a script: what it runs, and the hosts, paths and credentials written into it, can be read and run there.',
      remediation: 'Remove the share (ModifyDocumentPermission with accountIdsToRemove), keep SSM’s block on public document sharing on, and check the document’s content for credentials to rotate.',
    },
    {
      type: BUILD_PROJECT,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: EXFIL,
      title: 'The builds of CodeBuild project {resource} were shared with {target}.',
      description: '{principal} called {api} on CodeBuild project {resource} from {ip}: {target} can now read its builds, their logs and artifacts, past builds included. Build logs routinely print environment variables, tokens and keys.',
      remediation: 'Set the project back to PRIVATE (UpdateProjectVisibility) or remove the resource policy, then read recent build logs for secrets and rotate any you find.',
    },
  ],
  onEvent: onShare,
  cases: () => [
    { name: 'Stratus: AMI shared with an external account', datasets: [{ stratus: 'aws.exfiltration.ec2-share-ami' }], expect: [AMI] },
    { name: 'Panther: snapshot made public', datasets: [{ panther: 'AWS.CloudTrail.SnapshotMadePublic', test: 'Snapshot Made Publicly Accessible' }], expect: [SNAPSHOT] },
    { name: 'Panther: snapshot shared with one other account', datasets: [{ panther: 'AWS.CloudTrail.SnapshotMadePublic', test: 'Snapshot Mader Available to Single Person' }], expect: [SNAPSHOT] },
    { name: 'Panther: RDS snapshot shared with another account', datasets: [{ panther: 'AWS.RDS.SnapshotShared', test: 'Snapshot shared with another account' }], expect: [RDS] },
    {
      name: 'EBS snapshot shared with an attacker account (Stratus ec2-share-ebs-snapshot shape)',
      records: [snapshotShare({ userId: OTHER_ACCOUNT })],
      expect: [SNAPSHOT],
    },
    {
      name: 'Aurora cluster snapshot made public',
      records: [
        ctEvent({
          service: 'rds',
          name: 'ModifyDBClusterSnapshotAttribute',
          identity: admin,
          time: '2026-11-02T10:00:00Z',
          request: { dBClusterSnapshotIdentifier: 'orders-final', attributeName: 'restore', valuesToAdd: ['all'] },
        }),
      ],
      expect: [RDS],
    },
    {
      name: 'bucket policy lets an external account list and read (Stratus s3-backdoor-bucket-policy shape)',
      records: [
        bucketPolicy([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` },
            Action: ['s3:GetObject', 's3:GetBucketLocation', 's3:ListBucket'],
            Resource: ['arn:aws:s3:::acme-customer-exports/*', 'arn:aws:s3:::acme-customer-exports'],
          },
        ]),
      ],
      expect: [BUCKET],
    },
    {
      name: 'shares in other request shapes: the legacy --operation-type add --group-names all form, an outside organization by ARN, a secret open to * from one IP',
      records: [
        ctEvent({ service: 'ec2', name: 'ModifySnapshotAttribute', identity: admin, time: '2026-11-02T10:00:00Z', request: { snapshotId: 'snap-0a1b2c3d4e5f60718', attributeType: 'CREATE_VOLUME_PERMISSION', operationType: 'add', groupName: { items: [{ groupName: 'all' }] } } }),
        ctEvent({
          service: 'ec2',
          name: 'ModifyImageAttribute',
          identity: admin,
          time: '2026-11-02T10:00:01Z',
          request: { imageId: 'ami-0c55b159cbfafe1f0', attributeType: 'launchPermission', launchPermission: { add: { items: [{ organizationArn: `arn:aws:organizations::${OTHER_ACCOUNT}:organization/o-evil12345` }] } } },
        }),
        secretPolicy('db-password', '*', { IpAddress: { 'aws:SourceIp': '203.0.113.9/32' } }),
      ],
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      expect: [SNAPSHOT, AMI, SECRET],
    },
    {
      name: 'a KMS key policy letting an outside account decrypt (what sharing an encrypted snapshot needs)',
      records: [keyPolicy([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant'], Resource: '*' }])],
      expect: [KEY],
    },
    {
      name: 'key policies: the account root, an AWS managed key’s `*` for the own account through EBS, CloudTrail encrypting, a partner that may only encrypt',
      records: [
        keyPolicy([
          { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'], Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } } },
          { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: ['kms:Encrypt', 'kms:DescribeKey'], Resource: '*' },
        ]),
      ],
      expect: [],
    },
    {
      name: 'a bucket replicated to an outside account, and a DynamoDB table exported to its bucket',
      records: [
        replication([{ ID: 'sync', Status: 'Enabled', Priority: 1, Filter: { Prefix: '' }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: 'arn:aws:s3:::dr-sync-7731', Account: OTHER_ACCOUNT, AccessControlTranslation: { Owner: 'Destination' } } }]),
        tableExport(OTHER_ACCOUNT),
      ],
      expect: [REPLICATION, TABLE_EXPORT],
    },
    {
      name: 'replication to the organization’s backup account and to a bucket of our own; an export to our own bucket; a disabled rule to an outside account',
      records: [
        replication([
          { ID: 'dr', Status: 'Enabled', Priority: 1, Filter: { Prefix: '' }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: 'arn:aws:s3:::acme-dr', Account: BACKUP_ACCOUNT, AccessControlTranslation: { Owner: 'Destination' } } },
          { ID: 'same-account', Status: 'Enabled', Priority: 2, Filter: { Prefix: 'reports/' }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: 'arn:aws:s3:::acme-reports-eu' } },
          { ID: 'old-partner', Status: 'Disabled', Priority: 3, Filter: { Prefix: 'partner/' }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: 'arn:aws:s3:::partner-drop', Account: OTHER_ACCOUNT } },
        ]),
        tableExport(),
      ],
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      expect: [],
    },
    {
      name: 'a VPC peered with an outside account’s VPC, and a peering from it accepted',
      records: [
        peering('CreateVpcPeeringConnection', { vpcId: 'vpc-0a1b2c3d4e5f60789', peerVpcId: 'vpc-0f9e8d7c6b5a43210', peerOwnerId: OTHER_ACCOUNT, peerRegion: 'us-west-2' }, OTHER_ACCOUNT),
        peering('AcceptVpcPeeringConnection', { vpcPeeringConnectionId: 'pcx-0b7e5c3a1d9f24680' }, OTHER_ACCOUNT),
      ],
      expect: [PEERING],
    },
    { name: 'Panther: an ECR repository opened to everyone through CloudFormation (public stays High)', datasets: [{ panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'ECR Made Public' }], expect: [REPOSITORY] },
    {
      name: 'a queue readable by an outside account and a topic anyone may subscribe to',
      records: [
        ctEvent({
          service: 'sqs',
          name: 'SetQueueAttributes',
          identity: admin,
          time: '2026-11-02T10:30:00Z',
          request: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/orders-events`, attributes: { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-events` }] }) } },
        }),
        ctEvent({
          service: 'sns',
          name: 'SetTopicAttributes',
          identity: admin,
          time: '2026-11-02T10:31:00Z',
          request: { topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:payments-alerts`, attributeName: 'Policy', attributeValue: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sns:Subscribe', Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:payments-alerts` }] }) },
        }),
      ],
      expect: [QUEUE, TOPIC],
    },
    {
      name: 'the default SNS topic policy (pinned to the owner), S3 events allowed to send to a queue, a partner allowed only to send, a queue timeout change',
      records: [
        ctEvent({
          service: 'sns',
          name: 'CreateTopic',
          identity: admin,
          time: '2026-11-02T10:30:00Z',
          request: {
            name: 'deploy-notices',
            attributes: { Policy: JSON.stringify({ Version: '2008-10-17', Statement: [{ Sid: '__default_statement_ID', Effect: 'Allow', Principal: { AWS: '*' }, Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'], Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:deploy-notices`, Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } } }] }) },
          },
        }),
        ctEvent({
          service: 'sqs',
          name: 'SetQueueAttributes',
          identity: admin,
          time: '2026-11-02T10:31:00Z',
          request: {
            queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/uploads`,
            attributes: {
              Policy: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:uploads`, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::acme-uploads' } } },
                  { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:uploads` },
                ],
              }),
            },
          },
        }),
        ctEvent({ service: 'sqs', name: 'SetQueueAttributes', identity: admin, time: '2026-11-02T10:32:00Z', request: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/uploads`, attributes: { VisibilityTimeout: '120' } } }),
      ],
      expect: [],
    },
    {
      name: 'a domain registration offered to an outside account',
      records: [
        ctEvent({
          service: 'route53domains',
          name: 'TransferDomainToAnotherAwsAccount',
          identity: admin,
          time: '2026-11-02T10:20:00Z',
          request: { domainName: 'acme-payments.com', accountId: OTHER_ACCOUNT },
          response: { operationId: '3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8', password: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        }),
      ],
      expect: [DOMAIN],
    },
    {
      name: 'Terraform peering with the organization’s shared-services account; a peering within the account (no owner named)',
      records: [
        peering('CreateVpcPeeringConnection', { vpcId: 'vpc-0a1b2c3d4e5f60789', peerVpcId: 'vpc-0f9e8d7c6b5a43210', peerOwnerId: BACKUP_ACCOUNT }, BACKUP_ACCOUNT, terraform, TERRAFORM_AGENT),
        peering('CreateVpcPeeringConnection', { vpcId: 'vpc-0a1b2c3d4e5f60789', peerVpcId: 'vpc-03c2b1a0f9e8d7c6b' }, ACCOUNT),
      ],
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      expect: [],
    },
    { name: 'Panther: snapshot permission set to nobody', datasets: [{ panther: 'AWS.CloudTrail.SnapshotMadePublic', test: 'Snapshot Not Made Publicly Accessible' }], expect: [] },
    { name: 'Panther: failed attempt to make a snapshot public', datasets: [{ panther: 'AWS.CloudTrail.SnapshotMadePublic', test: 'Error Making Snapshot Publicly Accessible' }], expect: [] },
    {
      name: 'a share with an outside account refused only because the snapshot uses the default EBS key (Stratus ec2-share-ebs-snapshot under EBS encryption by default; Low)',
      records: [snapshotShare({ userId: '012345678912' }, admin, { errorCode: 'Client.OperationNotPermitted', errorMessage: 'Encrypted snapshots with EBS default key cannot be shared', response: null })],
      technique: 'aws.exfiltration.ec2-share-ebs-snapshot',
      expect: [SNAPSHOT],
    },
    {
      name: 'a share with an outside account refused for want of permission',
      records: [snapshotShare({ userId: '012345678912' }, admin, { errorCode: 'Client.UnauthorizedOperation', response: null })],
      expect: [],
    },
    { name: 'Panther: RDS restore attribute with no accounts', datasets: [{ panther: 'AWS.RDS.SnapshotShared', test: 'Snapshot shared with no accounts' }], expect: [] },
    {
      name: 'Panther: public bucket policies are GuardDuty’s BucketAnonymousAccessGranted, not ours',
      datasets: [
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'S3 Made Publicly Accessible' },
        { panther: 'AWS.CloudTrail.ResourceMadePublic', test: 'S3 Not Made Publicly Accessible' },
      ],
      expect: [],
    },
    {
      name: 'a secret’s resource policy lets an outside account read it, and another lets anyone',
      records: [secretPolicy('prod/db-password', { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }), secretPolicy('prod/api-key', '*')],
      expect: [SECRET],
    },
    {
      name: 'secret policies for our own roles, an org-scoped `*`, DescribeSecret only for a partner, and another service’s PutResourcePolicy',
      records: [
        secretPolicy('prod/db-password', { AWS: `arn:aws:iam::${ACCOUNT}:role/app` }),
        secretPolicy('prod/shared', '*', { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } }),
        secretPolicy('prod/catalogue', { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, undefined, 'secretsmanager:DescribeSecret'),
        ctEvent({ service: 'logs', name: 'PutResourcePolicy', identity: admin, time: '2026-11-02T10:00:00Z', request: { policyName: 'route53-query-logging', policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 'logs:PutLogEvents', Resource: '*' }] }) } }),
      ],
      expect: [],
    },
    {
      name: 'snapshot shared with the organization’s backup account',
      records: [snapshotShare({ userId: BACKUP_ACCOUNT })],
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      expect: [],
    },
    {
      name: 'Terraform sharing with an account outside the organization: still reported (Low, a reviewed change)',
      records: terraformShares(OTHER_ACCOUNT),
      expect: [SNAPSHOT, AMI, RDS],
    },
    {
      name: 'Terraform sharing with the organization’s backup account and letting it read a log bucket (declared account)',
      records: [
        ...terraformShares(BACKUP_ACCOUNT),
        bucketPolicy(
          [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${BACKUP_ACCOUNT}:role/log-shipper` }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: 'arn:aws:s3:::acme-customer-exports/*' }],
          terraform,
          TERRAFORM_AGENT,
        ),
      ],
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      expect: [],
    },
    {
      name: 'AWS Backup copying a recovery point across accounts',
      records: [snapshotShare({ userId: OTHER_ACCOUNT }, awsService('backup.amazonaws.com'))],
      expect: [],
    },
    {
      name: 'AMI shared with the organization by ARN (golden-image pipeline)',
      records: [
        ctEvent({
          service: 'ec2',
          name: 'ModifyImageAttribute',
          identity: assumedRole('ImageBuilderPipeline', 'build-4411'),
          time: '2026-11-02T10:00:00Z',
          request: {
            imageId: 'ami-0c55b159cbfafe1f0',
            attributeType: 'launchPermission',
            launchPermission: { add: { items: [{ organizationArn: 'arn:aws:organizations::111122223333:organization/o-abc123def4' }] } },
          },
        }),
      ],
      expect: [],
    },
    {
      name: 'Terraform bucket policies: ALB log delivery (write-only), CloudFront OAC, org-scoped read, own account',
      records: [
        bucketPolicy(
          [
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::127311923021:root' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::acme-customer-exports/AWSLogs/*' },
            { Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-customer-exports/*' },
            { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-customer-exports/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } } },
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/DataPipeline` }, Action: 's3:*', Resource: 'arn:aws:s3:::acme-customer-exports/*' },
          ],
          terraform,
          TERRAFORM_AGENT,
        ),
      ],
      expect: [],
    },
    {
      name: 'an SSM document shared with everyone and another with an outside account; a CodeBuild project made public',
      records: [documentShare('patch-and-bootstrap', ['all']), documentShare('db-maintenance', [OTHER_ACCOUNT]), projectVisibility('PUBLIC_READ')],
      expect: [DOCUMENT, BUILD_PROJECT],
    },
    {
      name: 'a CodeBuild project’s builds shared with an outside account through its resource policy; Terraform sharing a document with one (Low)',
      records: [
        ctEvent({
          service: 'codebuild',
          name: 'PutResourcePolicy',
          identity: admin,
          time: '2026-11-02T10:10:00Z',
          request: { resourceArn: BUILD_ARN, policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: ['codebuild:BatchGetProjects', 'codebuild:BatchGetBuilds', 'codebuild:ListBuildsForProject'], Resource: BUILD_ARN }] }) },
          response: { resourceArn: BUILD_ARN },
        }),
        documentShare('golden-ami-hardening', [OTHER_ACCOUNT], terraform, TERRAFORM_AGENT),
      ],
      expect: [BUILD_PROJECT, DOCUMENT],
    },
    {
      name: 'documents shared with the organization’s backup account and unshared; a project made private again; a new project; a public share SSM refused',
      records: [
        documentShare('db-maintenance', [BACKUP_ACCOUNT]),
        ctEvent({ service: 'ssm', name: 'ModifyDocumentPermission', identity: admin, time: '2026-11-02T10:01:00Z', request: { name: 'db-maintenance', permissionType: 'Share', accountIdsToRemove: ['all', OTHER_ACCOUNT] } }),
        projectVisibility('PRIVATE'),
        ctEvent({ service: 'codebuild', name: 'CreateProject', identity: terraform, userAgent: TERRAFORM_AGENT, time: '2026-11-02T10:03:00Z', request: { name: 'web-build', source: { type: 'GITHUB', location: 'https://github.com/acme/web' }, environment: { type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_SMALL' }, serviceRole: `arn:aws:iam::${ACCOUNT}:role/codebuild-web` } }),
        {
          ...documentShare('patch-and-bootstrap', ['all']),
          errorCode: 'InvalidPermissionType',
          errorMessage: 'Document sharing is blocked for public accounts. Turn off the block public sharing setting to share the document publicly.',
        },
      ],
      settings: { organizationAccounts: [BACKUP_ACCOUNT] },
      expect: [],
    },
  ],
};
