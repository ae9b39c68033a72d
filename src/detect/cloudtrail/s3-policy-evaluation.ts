/**
 * Who a new S3 bucket policy or ACL opens the bucket to, judged from the document itself (no account
 * context): `anonymous` (anyone on the internet), `authenticated` (any AWS principal of any account) or
 * `none`. This stands in for the automated reasoning GuardDuty runs after a policy or ACL change; it
 * follows Amazon S3's own definition of "public" (Block Public Access):
 *
 * - an Allow statement whose principal is everyone (`"*"`, `{"AWS": "*"}`, or any NotPrincipal) is public
 *   unless one of its conditions pins the caller to fixed values of a key that only a known party can
 *   satisfy: aws:SourceVpc/SourceVpce/VpcSourceIp, aws:PrincipalOrgID/OrgPaths/Account/ServiceName,
 *   aws:SourceAccount/SourceOwner/SourceOrgID/SourceOrgPaths, aws:SourceArn/PrincipalArn/userid with a
 *   fixed account, organization paths under a fixed organization id, s3:DataAccessPointAccount/Arn, the SSE-KMS key id, kms:CallerAccount (for key policies), aws:PrincipalIsAWSService, or
 *   aws:SourceIp CIDRs no wider than /8 (IPv4) or /32 (IPv6). Conditions are ANDed, so one pinning
 *   key is enough; values of one key are ORed, so all must be fixed ("vpc-*" is not).
 * - a condition that only needs *some* signed-in principal or service (aws:PrincipalArn like
 *   `arn:aws:iam::*`, aws:PrincipalType, aws:PrincipalTag/…, Bool aws:MultiFactorAuthPresent, aws:SourceArn
 *   of any account, Null aws:PrincipalArn false) shuts out anonymous callers, whose requests lack these
 *   keys, but still admits every AWS account: `authenticated`.
 * - negated operators, `…IfExists` and `ForAllValues:` on an Allow do not pin anything: they hold when the
 *   key is absent, as it is for anonymous internet requests.
 * - a Deny that applies to everyone and covers the allowed actions and resources takes them back when it
 *   has no condition, or only negated conditions on pinning keys ("deny unless from vpce-1"); a negated
 *   or `…IfExists` condition on a key anonymous requests lack ("deny unless signed in", BoolIfExists MFA false) lowers
 *   anonymous to authenticated. Deny with NotAction or NotResource is ignored (it may not cover the
 *   grant), erring towards reporting exposure.
 *
 * Read and write say which kinds of S3 action the exposed statements allow (Get/List versus
 * Put/Delete/…), for the finding's `allowsPublicReadAccess`/`allowsPublicWriteAccess`.
 */

export type Exposure = 'anonymous' | 'authenticated' | 'none';

export interface AccessGrant {
  exposure: Exposure;
  read: boolean;
  write: boolean;
}

export const NOT_PUBLIC: AccessGrant = { exposure: 'none', read: false, write: false };

type Json = Record<string, unknown>;

interface Statement {
  effect: 'Allow' | 'Deny';
  everyone: boolean;
  /** NotPrincipal with a Deny: everyone but the listed principals is denied. */
  denyAllBut: boolean;
  actions: string[] | null;
  resources: string[] | null;
  condition: Json;
  principal: unknown;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).filter((v): v is string => typeof v === 'string');

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A policy as CloudTrail records it: an object, or the JSON text of one. */
export function parsePolicy(value: unknown): Json | null {
  if (typeof value === 'string') {
    try {
      return parsePolicy(JSON.parse(value) as unknown);
    } catch {
      return null;
    }
  }
  return isObject(value) ? value : null;
}

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  return isObject(principal) && strings(principal.AWS).includes('*');
}

function statements(policy: Json): Statement[] {
  const raw = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const out: Statement[] = [];
  for (const s of raw) {
    if (!isObject(s) || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) continue;
    const notPrincipal = s.NotPrincipal !== undefined;
    out.push({
      effect: s.Effect,
      everyone: notPrincipal ? s.Effect === 'Allow' : isEveryone(s.Principal),
      denyAllBut: notPrincipal && s.Effect === 'Deny',
      actions: s.Action !== undefined ? strings(s.Action) : null,
      resources: s.Resource !== undefined ? strings(s.Resource) : null,
      condition: isObject(s.Condition) ? s.Condition : {},
      principal: s.Principal,
    });
  }
  return out;
}

// ---- conditions ----

/** Keys a fixed value of which limits the caller to a known network, organization or account. */
const PINNING = new Set([
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:vpcsourceip',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalaccount',
  'aws:principalservicename',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'aws:sourcearn',
  'aws:principalarn',
  'aws:userid',
  'aws:sourceip',
  's3:dataaccesspointaccount',
  's3:dataaccesspointarn',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
  // KMS key policies: the caller's account, as AWS managed keys' `*` statements use it.
  'kms:calleraccount',
]);

/**
 * Keys absent from anonymous requests: the caller's identity and session, and the source of a
 * service-to-service call. A positive condition on one of them excludes anonymous callers.
 */
const SIGNED_ONLY = new Set([
  'aws:userid',
  'aws:username',
  'aws:multifactorauthpresent',
  'aws:multifactorauthage',
  'aws:tokenissuetime',
  'aws:federatedprovider',
  'aws:sourceidentity',
  'aws:calledvia',
  'aws:calledviafirst',
  'aws:calledvialast',
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
]);
const isSignedOnlyKey = (key: string) => key.startsWith('aws:principal') || SIGNED_ONLY.has(key);

const POSITIVE = new Set(['stringequals', 'stringequalsignorecase', 'stringlike', 'arnequals', 'arnlike', 'ipaddress']);
/** Operators that can only match a present key, beyond the pinning ones above. */
const MATCHES_PRESENT = /^(bool|numeric(equals|lessthan|lessthanequals|greaterthan|greaterthanequals)|date(equals|lessthan|lessthanequals|greaterthan|greaterthanequals))$/;
const NEGATIVE = new Set(['stringnotequals', 'stringnotequalsignorecase', 'stringnotlike', 'arnnotequals', 'arnnotlike', 'notipaddress']);

const hasWildcard = (value: string) => /[*?]|\$\{/.test(value);

function cidrIsNarrow(value: string): boolean {
  const [address, bits] = value.split('/');
  if (!address) return false;
  const v6 = address.includes(':');
  const prefix = bits === undefined ? (v6 ? 128 : 32) : Number(bits);
  return Number.isInteger(prefix) && prefix >= (v6 ? 32 : 8);
}

/** An ARN whose account field is a fixed 12-digit id (wildcards after it are fine), or a fixed ARN without one (S3). */
function arnPinsAccount(value: string): boolean {
  if (value.includes('${')) return false;
  const account = value.split(':')[4];
  if (account === undefined) return false;
  return account === '' ? !hasWildcard(value) : /^\d{12}$/.test(account);
}

function valuePins(key: string, value: string): boolean {
  if (key === 'aws:sourceip' || key === 'aws:vpcsourceip') return cidrIsNarrow(value);
  if (key === 'aws:sourcearn' || key === 'aws:principalarn' || key === 's3:dataaccesspointarn') return arnPinsAccount(value);
  if (key === 'aws:userid') return !hasWildcard(value) || /^[A-Z0-9]{10,}:\*$/.test(value);
  // An organization path starts with the organization id: a fixed id pins it whatever follows.
  if (key === 'aws:principalorgpaths' || key === 'aws:sourceorgpaths') return !value.includes('${') && /^o-[a-z0-9]+\//.test(value);
  return !hasWildcard(value);
}

type Effect = 'pins' | 'authenticates' | 'none';

/** What one `operator: {key: values}` entry does to the set of callers a statement applies to. */
function entryEffect(operator: string, key: string, values: string[], effect: 'Allow' | 'Deny', pinning: ReadonlySet<string> = PINNING): Effect {
  let op = operator.toLowerCase();
  const forAll = op.startsWith('forallvalues:');
  op = op.replace(/^for(anyvalue|allvalues):/, '');
  const ifExists = op.endsWith('ifexists');
  if (ifExists) op = op.slice(0, -'ifexists'.length);
  const k = key.toLowerCase();
  const pinned = pinning.has(k) && values.length > 0 && values.every((v) => valuePins(k, v));
  if (op === 'null') {
    // Null false: the key must be present (Allow); Null true: deny when it is absent (Deny).
    const wantsPresent = values.every((v) => v.toLowerCase() === (effect === 'Allow' ? 'false' : 'true'));
    return wantsPresent && isSignedOnlyKey(k) ? 'authenticates' : 'none';
  }
  if (effect === 'Allow') {
    if (forAll || ifExists) return 'none';
    if (op === 'bool' && k === 'aws:principalisawsservice' && values.every((v) => v.toLowerCase() === 'true')) return 'pins';
    if (POSITIVE.has(op) && pinned) return 'pins';
    return (POSITIVE.has(op) || MATCHES_PRESENT.test(op)) && isSignedOnlyKey(k) ? 'authenticates' : 'none';
  }
  // A Deny with a negated condition, or an …IfExists one, denies callers that lack the key (anonymous ones).
  if (forAll) return 'none';
  if (NEGATIVE.has(op)) return pinned ? 'pins' : isSignedOnlyKey(k) ? 'authenticates' : 'none';
  return ifExists && isSignedOnlyKey(k) ? 'authenticates' : 'none';
}

function entries(condition: Json): { operator: string; key: string; values: string[] }[] {
  const out: { operator: string; key: string; values: string[] }[] = [];
  for (const [operator, block] of Object.entries(condition)) {
    if (!isObject(block)) continue;
    for (const [key, value] of Object.entries(block)) {
      const values = (Array.isArray(value) ? value : [value]).filter((v) => ['string', 'number', 'boolean'].includes(typeof v)).map(String);
      out.push({ operator, key, values });
    }
  }
  return out;
}

/**
 * Who an Allow-to-everyone statement admits, after its own conditions (ANDed: one pin is enough).
 * `pinning` narrows the keys that count as pins (see IDENTITY_PINNING).
 */
export function allowScope(condition: unknown, pinning: ReadonlySet<string> = PINNING): Exposure {
  const effects = entries(isObject(condition) ? condition : {}).map((e) => entryEffect(e.operator, e.key, e.values, 'Allow', pinning));
  if (effects.includes('pins')) return 'none';
  return effects.includes('authenticates') ? 'authenticated' : 'anonymous';
}

/**
 * Pins for policies that hand out access to other identities (role trust, secret and key policies): the
 * caller's organization, account or ARN, or the VPC it calls from. A source IP says nothing about whose
 * principal is calling, so `*` from one address still admits every AWS account there.
 */
export const IDENTITY_PINNING: ReadonlySet<string> = new Set([...PINNING].filter((key) => key !== 'aws:sourceip' && key !== 'aws:vpcsourceip' && !key.startsWith('s3:')));

/**
 * Who a Deny to everyone (or to all but named principals) leaves allowed: without conditions nobody
 * public; with conditions, all of them must be restrictions for it to take anything back.
 */
function denyLeaves(statement: Statement): Exposure {
  const effects = entries(statement.condition).map((e) => entryEffect(e.operator, e.key, e.values, 'Deny'));
  if (effects.includes('none')) return 'anonymous';
  return effects.includes('authenticates') ? 'authenticated' : 'none';
}

// ---- actions and resources ----

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (globCache.size < 1000) globCache.set(pattern, re);
  }
  return re;
}

/** True when the Deny patterns cover everything the allowed pattern can match (checked on its text). */
const covered = (allowed: string, denied: string[]) => denied.some((d) => glob(d).test(allowed));

const READS = ['s3:GetObject', 's3:ListBucket'];
const WRITES = ['s3:PutObject', 's3:DeleteObject', 's3:PutBucketPolicy'];
const isRead = (action: string) => /^s3:(Get|List)/i.test(action) || READS.some((a) => glob(action).test(a));
const isWrite = (action: string) => /^s3:(Put|Delete|AbortMultipartUpload|RestoreObject|Replicate|Create)/i.test(action) || WRITES.some((a) => glob(action).test(a));

const RANK: Record<Exposure, number> = { none: 0, authenticated: 1, anonymous: 2 };
const lower = (a: Exposure, b: Exposure): Exposure => (RANK[a] <= RANK[b] ? a : b);
const higher = (a: Exposure, b: Exposure): Exposure => (RANK[a] >= RANK[b] ? a : b);

/** Evaluates a bucket policy (object or JSON text); unparsable or empty policies grant nothing. */
export function evaluateBucketPolicy(policyValue: unknown): AccessGrant {
  const policy = parsePolicy(policyValue);
  if (!policy) return NOT_PUBLIC;
  const all = statements(policy);
  const denies = all.filter((s) => s.effect === 'Deny' && (s.everyone || s.denyAllBut) && s.actions && s.resources);
  const result: AccessGrant = { ...NOT_PUBLIC };
  for (const allow of all) {
    if (allow.effect !== 'Allow' || !allow.everyone) continue;
    const scope = allowScope(allow.condition);
    if (scope === 'none') continue;
    // NotAction / NotResource allow almost everything: only a Deny on every action or resource covers them.
    const actions = allow.actions ?? ['*'];
    const resources = allow.resources ?? ['*'];
    for (const action of actions) {
      let left: Exposure = scope;
      for (const deny of denies) {
        if (covered(action, deny.actions!) && resources.every((r) => covered(r, deny.resources!))) left = lower(left, denyLeaves(deny));
      }
      if (left === 'none') continue;
      result.exposure = higher(result.exposure, left);
      result.read ||= isRead(action);
      result.write ||= isWrite(action);
    }
  }
  return result;
}

/** True when an Allow statement lets the AWS service principal perform the action (e.g. CloudTrail writing logs). */
export function grantsServiceAction(policyValue: unknown, service: string, action: string): boolean {
  const policy = parsePolicy(policyValue);
  if (!policy) return false;
  return statements(policy).some(
    (s) => s.effect === 'Allow' && isObject(s.principal) && strings(s.principal.Service).includes(service) && (s.actions ?? []).some((a) => glob(a).test(action)),
  );
}

// ---- ACLs ----

const ALL_USERS = 'acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'acs.amazonaws.com/groups/global/AuthenticatedUsers';

const CANNED: Record<string, AccessGrant> = {
  'public-read': { exposure: 'anonymous', read: true, write: false },
  'public-read-write': { exposure: 'anonymous', read: true, write: true },
  'authenticated-read': { exposure: 'authenticated', read: true, write: false },
};

const GRANT_HEADERS: Record<string, { read: boolean; write: boolean }> = {
  'x-amz-grant-read': { read: true, write: false },
  'x-amz-grant-read-acp': { read: true, write: false },
  'x-amz-grant-write': { read: false, write: true },
  'x-amz-grant-write-acp': { read: false, write: true },
  'x-amz-grant-full-control': { read: true, write: true },
};

const PERMISSIONS: Record<string, { read: boolean; write: boolean }> = {
  READ: { read: true, write: false },
  READ_ACP: { read: true, write: false },
  WRITE: { read: false, write: true },
  WRITE_ACP: { read: false, write: true },
  FULL_CONTROL: { read: true, write: true },
};

function granteeExposure(text: string): Exposure {
  if (text.includes(ALL_USERS)) return 'anonymous';
  return text.includes(AUTHENTICATED_USERS) ? 'authenticated' : 'none';
}

/**
 * Evaluates the ACL a PutBucketAcl or CreateBucket request sets: a canned ACL (`x-amz-acl`), grant headers
 * (`x-amz-grant-*`), or an AccessControlPolicy body. Grants to AllUsers are anonymous, to
 * AuthenticatedUsers authenticated. Null when the request carries no ACL at all.
 */
export function evaluateBucketAcl(request: Json): AccessGrant | null {
  let seen = false;
  const result: AccessGrant = { ...NOT_PUBLIC };
  const add = (exposure: Exposure, rights: { read: boolean; write: boolean }) => {
    if (exposure === 'none') return;
    result.exposure = higher(result.exposure, exposure);
    result.read ||= rights.read;
    result.write ||= rights.write;
  };
  for (const canned of strings(request['x-amz-acl'])) {
    seen = true;
    const grant = CANNED[canned];
    if (grant) add(grant.exposure, grant);
  }
  for (const [header, rights] of Object.entries(GRANT_HEADERS)) {
    for (const value of strings(request[header])) {
      seen = true;
      add(granteeExposure(value), rights);
    }
  }
  const policy = request.AccessControlPolicy;
  const list = isObject(policy) && isObject(policy.AccessControlList) ? policy.AccessControlList : null;
  if (list) {
    seen = true;
    for (const grant of Array.isArray(list.Grant) ? list.Grant : [list.Grant]) {
      if (!isObject(grant) || !isObject(grant.Grantee)) continue;
      const rights = PERMISSIONS[String(grant.Permission)];
      if (rights) add(granteeExposure(String(grant.Grantee.URI ?? '')), rights);
    }
  }
  return seen ? result : null;
}
