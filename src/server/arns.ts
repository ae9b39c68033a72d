import type { EntityRef, EntityType } from './validation.js';

/** IAM and STS ARNs as CloudTrail and findings spell them, taken apart for labels and for links between entities. */
const ROLE = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION = /^arn:aws[\w-]*:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const USER = /^arn:aws[\w-]*:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/;
const ROOT = /^arn:aws[\w-]*:iam::(\d{12}):root$/;
const FEDERATED = /^arn:aws[\w-]*:sts::(\d{12}):federated-user\/(.+)$/;

export function parseRole(arn: string): { account: string; name: string } | undefined {
  const m = ROLE.exec(arn);
  return m ? { account: m[1]!, name: m[2]! } : undefined;
}

export function parseSession(arn: string): { account: string; role: string; session: string } | undefined {
  const m = SESSION.exec(arn);
  return m ? { account: m[1]!, role: m[2]!, session: m[3]! } : undefined;
}

/** The entity type of a principal ARN (root counts as a user: it is the account's own identity). */
export function principalType(arn: string): 'user' | 'session' | 'federated' | 'role' | undefined {
  if (USER.test(arn) || ROOT.test(arn)) return 'user';
  if (SESSION.test(arn)) return 'session';
  if (FEDERATED.test(arn)) return 'federated';
  if (ROLE.test(arn)) return 'role';
  return undefined;
}

/** Accepted id shapes per type: anything else cannot be in the lake, so it is answered 404 without a query. */
export const ID_SHAPES: Record<EntityType, RegExp> = {
  account: /^\d{12}$/,
  user: new RegExp(`${USER.source}|${ROOT.source}`),
  role: ROLE,
  session: SESSION,
  federated: FEDERATED,
  accesskey: /^[A-Z0-9]{16,128}$/,
  ip: /^[0-9a-fA-F.:]{2,45}$/,
  useragent: /^[\s\S]+$/,
  instance: /^i-[0-9a-zA-Z]{1,32}$/,
  bucket: /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/,
  finding: /^[A-Za-z0-9_-]{1,128}$/,
  group: /^g-[A-Za-z0-9_-]{1,128}$/,
};

export const ID_FORMS: Record<EntityType, string> = {
  account: 'a 12-digit account id',
  user: 'an IAM user ARN (arn:aws:iam::<account>:user/<name>) or root ARN',
  role: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  session: 'a role session ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>)',
  federated: 'a federated user ARN (arn:aws:sts::<account>:federated-user/<name>)',
  accesskey: 'an access key id',
  ip: 'an IP address',
  useragent: 'a user agent',
  instance: 'an EC2 instance id (i-…)',
  bucket: 'an S3 bucket name',
  finding: 'a finding id',
  group: 'a finding group id (g-…)',
};

const LABEL_LENGTH = 120;

export function entityLabel(type: EntityType, id: string): string {
  switch (type) {
    case 'user':
      return ROOT.test(id) ? `root (${ROOT.exec(id)![1]})` : (USER.exec(id)?.[2] ?? id);
    case 'role':
      return parseRole(id)?.name ?? id;
    case 'session': {
      const s = parseSession(id);
      return s ? `${s.role}/${s.session}` : id;
    }
    case 'federated':
      return FEDERATED.exec(id)?.[2] ?? id;
    case 'useragent':
      return id.length > LABEL_LENGTH ? `${id.slice(0, LABEL_LENGTH - 1)}…` : id;
    default:
      return id;
  }
}

export const ref = (type: EntityType, id: string): EntityRef => ({ type, id, label: entityLabel(type, id) });
