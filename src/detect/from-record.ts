import { ApiEvent } from './api-event.js';
import type { CloudTrailRecord } from './detection.js';

/**
 * A raw CloudTrail record → ApiEvent, with the same rules the lake's SQL mapping applies
 * (src/normalize/cloudtrail.ts). Used by detection test cases; test/detect-events.test.ts checks that
 * both paths give the same event.
 */
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$/;

const text = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

const bool = (value: unknown): boolean | null => {
  if (typeof value === 'boolean') return value;
  const word = typeof value === 'string' ? value.toLowerCase() : null;
  return word === 'true' ? true : word === 'false' ? false : null;
};

/** A console sign-in's additionalEventData.MFAUsed: "Yes" or "No". */
const yesNo = (value: unknown): boolean | null => {
  const word = typeof value === 'string' ? value.toUpperCase() : null;
  return word === 'YES' ? true : word === 'NO' ? false : null;
};

const object = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export function apiEventFromRecord(record: CloudTrailRecord, fileId: number | null = null, line: number | null = null): ApiEvent {
  const who = object(record.userIdentity);
  const session = object(who.sessionContext);
  const issuer = object(session.sessionIssuer);
  const attributes = object(session.attributes);
  const name = text(record.eventName) ?? '';
  const response = object(record.responseElements);
  const failed = record.errorCode != null || response[name] === 'Failure';
  const source = text(record.sourceIPAddress);
  const isIp = source !== null && IP.test(source);
  return new ApiEvent({
    uid: text(record.eventID),
    // Logstash-shipped CloudTrail may carry the time only as @timestamp.
    time: Date.parse(text(record.eventTime) ?? text(record['@timestamp']) ?? ''),
    accountId: text(record.recipientAccountId) ?? text(who.accountId),
    region: text(record.awsRegion),
    service: text(record.eventSource) ?? '',
    api: name,
    errorCode: text(record.errorCode),
    errorMessage: text(record.errorMessage),
    failed,
    readOnly: bool(record.readOnly),
    managementEvent: bool(record.managementEvent),
    eventType: text(record.eventType),
    eventCategory: text(record.eventCategory),
    actor: {
      type: text(who.type),
      arn: text(who.arn),
      principalId: text(who.principalId),
      userName: text(who.userName) ?? text(issuer.userName),
      accountId: text(who.accountId),
      accessKeyId: text(who.accessKeyId),
      sessionIssuerArn: text(issuer.arn),
      sessionIssuerName: text(issuer.userName),
      mfa: bool(attributes.mfaAuthenticated) ?? (name === 'ConsoleLogin' ? yesNo(object(record.additionalEventData).MFAUsed) : null),
      invokedBy: text(who.invokedBy),
    },
    sourceIp: isIp ? source : null,
    sourceHost: isIp ? null : source,
    vpcEndpointId: text(record.vpcEndpointId),
    userAgent: text(record.userAgent),
    requestText: json(record.requestParameters),
    responseText: json(record.responseElements),
    additionalText: json(record.additionalEventData),
    resourcesText: json(record.resources),
    identityText: json(record.userIdentity),
    fileId,
    line,
  });
}
