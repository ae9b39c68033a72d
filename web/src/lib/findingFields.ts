// Values of a GuardDuty finding at dotted paths (lists are walked), for suppression rules.

export function valuesAt(value: unknown, path: string): string[] {
  let current: unknown[] = [value];
  for (const key of path.split('.')) {
    current = current.flatMap((item) => (Array.isArray(item) ? item : [item])).flatMap((item) =>
      item && typeof item === 'object' && key in item ? [(item as Record<string, unknown>)[key]] : [],
    );
  }
  return current.flatMap((item) => (Array.isArray(item) ? item : [item])).filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
}

/** Fields a suppression rule can match on, in the order offered. */
export const SUPPRESSION_FIELDS = [
  'type',
  'accountId',
  'region',
  'resource.resourceType',
  'resource.accessKeyDetails.userName',
  'resource.accessKeyDetails.accessKeyId',
  'resource.accessKeyDetails.principalId',
  'resource.instanceDetails.instanceId',
  'resource.s3BucketDetails.name',
  'service.action.awsApiCallAction.api',
  'service.action.awsApiCallAction.serviceName',
  'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4',
  'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4',
  'service.action.networkConnectionAction.remotePortDetails.port',
  'service.action.dnsRequestAction.domain',
];
