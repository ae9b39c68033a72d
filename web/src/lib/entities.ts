// Entity types: names for display and the type of a principal from its ARN (as src/server/arns.ts reads them).
import type { EntityType } from './types';

const ENTITY_NAMES: Record<EntityType, string> = {
  account: 'AWS account',
  user: 'IAM user',
  role: 'IAM role',
  session: 'Role session',
  federated: 'Federated user',
  accesskey: 'Access key',
  ip: 'IP address',
  useragent: 'User agent',
  instance: 'EC2 instance',
  bucket: 'S3 bucket',
  finding: 'Finding',
  group: 'Finding group',
};

export const isEntityType = (type: string): type is EntityType => type in ENTITY_NAMES;

export const typeName = (type: string) => (isEntityType(type) ? ENTITY_NAMES[type] : type);

/** The entity type of a principal ARN, account id or access key id; undefined for anything else (a service name). */
export function principalType(principal: string): EntityType | undefined {
  if (/^\d{12}$/.test(principal)) return 'account';
  if (/^arn:aws[\w-]*:iam::\d{12}:(user\/.+|root)$/.test(principal)) return 'user';
  if (/^arn:aws[\w-]*:sts::\d{12}:assumed-role\/[^/]+\/.+$/.test(principal)) return 'session';
  if (/^arn:aws[\w-]*:sts::\d{12}:federated-user\/.+$/.test(principal)) return 'federated';
  if (/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(principal)) return 'role';
  if (/^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(principal)) return 'accesskey';
  return undefined;
}

export const isIp = (value: string) => /^[0-9.]{7,15}$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/.test(value);
