import type { ApiEvent } from '../api-event.js';

/**
 * What an API call does, judged by name the way GuardDuty splits its finding families: enumeration
 * (Recon:/Discovery:) versus everything else (UnauthorizedAccess:), and for S3 data events discovery,
 * collection (Exfiltration:) or tampering (Impact:).
 */

/** Read-only verbs that enumerate or describe resources. */
const ENUMERATION = /^(List|Describe|Get|BatchGet|BatchDescribe|Lookup|Search)[A-Z]/;

/**
 * Read-only by name, but they hand over secrets, tokens or stored data rather than describe resources,
 * or they check the caller's own credentials (what someone holding stolen keys does first): not recon.
 * Keyed `service:Api` with the short service name of eventSource.
 */
const RETRIEVAL = new Set([
  'secretsmanager:GetSecretValue',
  'secretsmanager:BatchGetSecretValue',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'ssm:GetParameterHistory',
  'ec2:GetPasswordData',
  'sts:GetCallerIdentity',
  'sts:GetSessionToken',
  'sts:GetFederationToken',
  'sts:GetServiceBearerToken',
  'signin:GetSigninToken',
  'sso:GetRoleCredentials',
  'ecr:GetAuthorizationToken',
  'ecr-public:GetAuthorizationToken',
  'codeartifact:GetAuthorizationToken',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchGetImage',
  'redshift:GetClusterCredentials',
  'redshift:GetClusterCredentialsWithIAM',
  'redshift-serverless:GetCredentials',
  'cognito-identity:GetCredentialsForIdentity',
  'cognito-identity:GetOpenIdToken',
  'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'kinesis:GetRecords',
  'logs:GetLogEvents',
  'logs:GetQueryResults',
  'logs:GetLogRecord',
  'athena:GetQueryResults',
  'glacier:GetJobOutput',
  'codecommit:GetBlob',
  'codecommit:GetFile',
  's3:GetObject',
  's3:GetObjectTorrent',
]);

/**
 * True when the call enumerates or describes resources (Recon:/Discovery: types), false for anything
 * that changes, creates, retrieves data or credentials, or checks the caller itself. `iam:GetUser`
 * without a user name returns the caller's own user, the first call made with stolen keys (GuardDuty's
 * tester raises UnauthorizedAccess with it); with a user name it is enumeration.
 */
export function isReconCall(event: Pick<ApiEvent, 'api' | 'serviceShort' | 'request'>): boolean {
  if (!ENUMERATION.test(event.api)) return false;
  const service = event.serviceShort;
  if (RETRIEVAL.has(`${service}:${event.api}`)) return false;
  if (service === 'iam' && event.api === 'GetUser') return typeof event.request?.userName === 'string';
  return true;
}

/**
 * A management event (control-plane call or console sign-in): not a data event (S3 objects, Lambda
 * invokes…) nor a VPC-endpoint network-activity event. Records without the fields (older trails,
 * Panther samples) count as management.
 */
export function isManagementEvent(event: Pick<ApiEvent, 'eventCategory' | 'managementEvent'>): boolean {
  return (event.eventCategory === null || event.eventCategory === 'Management') && event.managementEvent !== false;
}

export type S3DataClass = 'Discovery' | 'Exfiltration' | 'Impact';

/** Object reads and copies: the data leaves the bucket. */
const S3_COLLECTION = new Set(['GetObject', 'GetObjectTorrent', 'CopyObject', 'UploadPartCopy', 'SelectObjectContent', 'RestoreObject']);

/**
 * The family of an S3 data-plane call: listing and metadata reads (List*, Head*, Get*Acl, GetBucket*,
 * GetObjectTagging…) are Discovery; object reads and copies are Exfiltration; writes, deletes and ACL or
 * retention changes (PutObject*, DeleteObject*, multipart uploads…) are Impact.
 */
export function s3DataClass(api: string): S3DataClass {
  if (S3_COLLECTION.has(api)) return 'Exfiltration';
  if (/^(List|Head|Get)/.test(api)) return 'Discovery';
  return 'Impact';
}
