import type { ApiActor } from '../detect/api-event.js';
import type { UserIdentity } from './guardduty-finding.js';

/** Callers whose user name belongs to the session's issuer (the role or user that minted it), not to them. */
const SESSION_TYPES: ReadonlySet<string> = new Set(['AssumedRole', 'FederatedUser']);

/** `arn:aws:iam::111122223333:role/deployer` → Role, as CloudTrail types a session issuer. */
function issuerType(arn: string): string | undefined {
  const resource = arn.split(':')[5] ?? '';
  if (resource === 'root') return 'Root';
  const kind = resource.split('/')[0];
  return kind === 'role' ? 'Role' : kind === 'user' ? 'IAMUser' : undefined;
}

/**
 * The name a session's ARN carries when CloudTrail left the issuer's name out (instance-role sessions often
 * do): the role of `assumed-role/<role>/<session>`, the user of `federated-user/<name>`.
 */
export function sessionNameFromArn(arn: string | null | undefined): string | undefined {
  const [kind, name] = (arn?.split(':')[5] ?? '').split('/');
  return (kind === 'assumed-role' || kind === 'federated-user') && name ? name : undefined;
}

/** `arn:aws:iam::111122223333:role/service-role/deployer` → deployer. */
const lastPathSegment = (arn: string) => arn.split(':')[5]?.split('/').pop() || undefined;

function sessionIssuer(actor: ApiActor): NonNullable<UserIdentity['sessionContext']>['sessionIssuer'] {
  const arn = actor.sessionIssuerArn;
  if (!arn) return undefined;
  // A role session's principal id is `<role id>:<session name>`: the role id is the issuer's.
  const roleId = actor.type === 'AssumedRole' && actor.principalId?.includes(':') ? actor.principalId.split(':')[0] : undefined;
  return {
    type: issuerType(arn),
    principalId: roleId,
    arn,
    accountId: arn.split(':')[4] || (actor.accountId ?? undefined),
    userName: actor.sessionIssuerName ?? (issuerType(arn) === 'Root' ? undefined : lastPathSegment(arn)),
  };
}

/**
 * `resource.accessKeyDetails.userIdentity`: the caller in CloudTrail's userIdentity terms, at the paths
 * GuardDuty's filters name (guardduty.md §6.3), built from the columns the lake keeps for every event.
 * Fields the lake keeps no column for (sessionContext.ec2RoleDelivery, sourceIdentity, webIdFederationData)
 * are added from the stored record once the run's findings are built (session-context.ts).
 */
export function userIdentityOf(actor: ApiActor): UserIdentity {
  const session = SESSION_TYPES.has(actor.type ?? '');
  const issuer = sessionIssuer(actor);
  const sessionContext = {
    ...(actor.mfa === null ? {} : { attributes: { mfaAuthenticated: String(actor.mfa) } }),
    ...(issuer ? { sessionIssuer: issuer } : {}),
    ...(actor.invokedBy ? { invokedBy: actor.invokedBy } : {}),
  };
  // Sign-in events write absent fields as "": left out, like the fields CloudTrail omits.
  return {
    type: actor.type ?? undefined,
    principalId: actor.principalId || undefined,
    arn: actor.arn || undefined,
    accountId: actor.accountId || undefined,
    accessKeyId: actor.accessKeyId || undefined,
    userName: session ? undefined : actor.userName || undefined,
    ...(Object.keys(sessionContext).length ? { sessionContext } : {}),
  };
}
