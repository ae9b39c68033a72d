import type { S3BucketDetail } from '../../findings/guardduty-finding.js';
import type { ApiEvent } from '../api-event.js';

/** The bucket a call names: requestParameters.bucketName, else the first bucket in `resources`. */
export function bucketOf(event: ApiEvent): string | null {
  if (event.bucketName) return event.bucketName;
  const match = event.resourcesText ? /"arn:aws[a-z-]*:s3:::([^/"]+)/.exec(event.resourcesText) : null;
  return match ? match[1]! : null;
}

/**
 * The `s3BucketDetails` entry for the bucket a call acted on (`type` Destination, as GuardDuty labels the
 * bucket a request went to), with the object when the request names a key.
 */
export function bucketDetail(event: ApiEvent, name: string): S3BucketDetail {
  const arn = `arn:aws:s3:::${name}`;
  const detail: S3BucketDetail = { arn, name, type: 'Destination' };
  const key = event.request?.key;
  if (typeof key === 'string' && key !== '') detail.s3ObjectDetails = [{ objectArn: `${arn}/${key}`, key }];
  return detail;
}

/**
 * An unsigned request (`ANONYMOUS_PRINCIPAL`): it names no credentials of the account. Callers from other
 * accounts also show as `AWSAccount` but with their own principal id, and are not anonymous.
 */
export function isAnonymousRequest(event: ApiEvent): boolean {
  return event.actor.principalId === 'ANONYMOUS_PRINCIPAL' || event.actor.accountId === 'anonymous';
}
