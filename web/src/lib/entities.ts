// Entity types: names for display and the type of a principal from its ARN.
import type { EntityType } from './types';

export const ENTITY_NAMES: Record<EntityType, string> = {
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

/** The entity type of a principal: `hint` when it already is one, else read from the ARN. */
export function principalType(arn: string, hint?: string): EntityType {
  if (hint && isEntityType(hint)) return hint;
  if (/^\d{12}$/.test(arn) || arn.endsWith(':root')) return 'account';
  if (arn.includes(':assumed-role/')) return 'session';
  if (arn.includes(':role/')) return 'role';
  if (arn.includes(':federated-user/')) return 'federated';
  if (/^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(arn)) return 'accesskey';
  return 'user';
}
