import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, ACCOUNT, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, getEntry, isAwsServiceCall, isConsoleAgent, isIacAgent, isTrue, obj, ownAccount, personVars, setEntry, str } from './gumshoe-common.js';

/**
 * A Cognito identity pool opened to unauthenticated (guest) identities: anyone on the internet who knows the
 * pool id gets AWS credentials for its unauthenticated role, with no sign-in. Reported when guest access is
 * switched on (CreateIdentityPool, UpdateIdentityPool) or a new guest role is set (SetIdentityPoolRoles) on a
 * pool not known to refuse guests. Medium; Low from the console or through IaC, where app builders set up
 * guest access on purpose.
 */
const GUEST_ACCESS = 'Persistence:Cognito/IdentityPoolOpenToGuests.Gumshoe';

/** What the lake showed of a pool: its name, whether it allows guests, and its guest role. */
interface PoolState {
  name?: string;
  allowsGuests?: boolean;
  guestRole?: string;
}

const pools = (context: DetectionContext) => context.state<BoundedMap<PoolState>>('cognito-pools', boundedMap);

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event) || event.service !== 'cognito-identity.amazonaws.com') return;
  const request = event.request ?? {};
  const poolId = str(request.identityPoolId) ?? str(event.response?.identityPoolId);
  if (!poolId) return;
  const key = `${ownAccount(event) ?? ''}/${poolId}`;
  const name = str(request.identityPoolName) ?? str(event.response?.identityPoolName);
  const known = { ...getEntry(pools(context), key), ...(name ? { name } : {}) };
  let opened: string | null = null;
  if (event.api === 'SetIdentityPoolRoles') {
    const guestRole = str(obj(request.roles)?.unauthenticated);
    // A guest role on a pool that refuses guests grants nothing yet; the same role set again adds nothing.
    if (guestRole && guestRole !== known.guestRole && known.allowsGuests !== false) opened = `unauthenticated role ${guestRole} was set`;
    setEntry(pools(context), key, { ...known, guestRole }, 2000);
  } else {
    const allowsGuests = isTrue(request.allowUnauthenticatedIdentities);
    if (allowsGuests && !known.allowsGuests) opened = known.guestRole ? `unauthenticated identities were allowed (role ${known.guestRole})` : 'unauthenticated identities were allowed';
    setEntry(pools(context), key, { ...known, allowsGuests }, 2000);
  }
  if (!opened) return;
  const pool = known.name ?? poolId;
  const low = isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent);
  context.emit({ type: GUEST_ACCESS, event, severity: low ? 2 : undefined, aggregateBy: key, vars: { ...personVars(event), pool, opened } });
}

const POOL_ID = 'us-east-1:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const guestRole = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const cognito = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string, response?: Record<string, unknown>) =>
  ctEvent({ service: 'cognito-identity', name, request, response, time, identity, userAgent });
const intruder = iamUser('build-bot');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');

export const cognitoExposure: ApiDetection = {
  id: 'gumshoe-cognito-exposure',
  source: 'cloudtrail',
  apis: ['CreateIdentityPool', 'UpdateIdentityPool', 'SetIdentityPoolRoles'],
  types: [
    {
      type: GUEST_ACCESS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1098 Account Manipulation' },
      title: 'Cognito identity pool {pool} was opened to unauthenticated callers: {opened}.',
      description:
        '{principal} called {api} from {ip} on identity pool {pool}: {opened}. Anyone who knows the pool id can call GetId and GetCredentialsForIdentity without signing in and receive AWS credentials for the pool’s unauthenticated role.',
      remediation:
        'Confirm the app needs guest access. If not, turn off unauthenticated identities on the pool and remove its unauthenticated role; otherwise keep that role to the least it needs. Review GetCredentialsForIdentity calls for the pool since the change.',
    },
  ],
  onEvent,
  cases: () => [
    {
      name: 'a stolen key sets a guest role on an existing pool, then turns on guest access (Medium)',
      records: [
        cognito('SetIdentityPoolRoles', { identityPoolId: POOL_ID, roles: { authenticated: guestRole('AppUsers'), unauthenticated: guestRole('OpsAdmin') } }, '2026-11-02T10:00:00Z', intruder),
        cognito('UpdateIdentityPool', { identityPoolId: POOL_ID, identityPoolName: 'mobile_app', allowUnauthenticatedIdentities: true }, '2026-11-02T10:01:00Z', intruder),
      ],
      expect: [GUEST_ACCESS],
    },
    {
      name: 'a new identity pool allowing guests, from the CLI (Medium)',
      records: [
        cognito(
          'CreateIdentityPool',
          { identityPoolName: 'public_pool', allowUnauthenticatedIdentities: true, allowClassicFlow: true },
          '2026-11-02T10:00:00Z',
          intruder,
          undefined,
          { identityPoolId: POOL_ID, identityPoolName: 'public_pool', allowUnauthenticatedIdentities: true },
        ),
      ],
      expect: [GUEST_ACCESS],
    },
    {
      name: 'pools that stay closed: created without guests, renamed, a guest role on a pool known to refuse guests, a refused update',
      records: [
        cognito('CreateIdentityPool', { identityPoolName: 'members', allowUnauthenticatedIdentities: false }, '2026-11-02T10:00:00Z', intruder, undefined, { identityPoolId: POOL_ID, identityPoolName: 'members', allowUnauthenticatedIdentities: false }),
        cognito('UpdateIdentityPool', { identityPoolId: POOL_ID, identityPoolName: 'members-v2', allowUnauthenticatedIdentities: false }, '2026-11-02T10:01:00Z', intruder),
        cognito('SetIdentityPoolRoles', { identityPoolId: POOL_ID, roles: { authenticated: guestRole('AppUsers'), unauthenticated: guestRole('AppGuests') } }, '2026-11-02T10:02:00Z', intruder),
        { ...cognito('UpdateIdentityPool', { identityPoolId: POOL_ID, identityPoolName: 'members-v2', allowUnauthenticatedIdentities: true }, '2026-11-02T10:03:00Z', iamUser('intern')), errorCode: 'NotAuthorizedException', errorMessage: 'not authorized' },
      ],
      expect: [],
    },
    {
      name: 'Terraform re-applying a guest pool (reported once, Low), and an app builder enabling guests in the console (Low)',
      records: [
        cognito('CreateIdentityPool', { identityPoolName: 'web_guests', allowUnauthenticatedIdentities: true }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT, { identityPoolId: POOL_ID, identityPoolName: 'web_guests', allowUnauthenticatedIdentities: true }),
        cognito('SetIdentityPoolRoles', { identityPoolId: POOL_ID, roles: { unauthenticated: guestRole('WebGuests') } }, '2026-11-02T10:00:05Z', terraform, TERRAFORM_AGENT),
        cognito('UpdateIdentityPool', { identityPoolId: POOL_ID, identityPoolName: 'web_guests', allowUnauthenticatedIdentities: true }, '2026-11-03T10:00:00Z', terraform, TERRAFORM_AGENT),
        cognito('SetIdentityPoolRoles', { identityPoolId: POOL_ID, roles: { unauthenticated: guestRole('WebGuests') } }, '2026-11-03T10:00:05Z', terraform, TERRAFORM_AGENT),
        cognito('UpdateIdentityPool', { identityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555', identityPoolName: 'demo', allowUnauthenticatedIdentities: true }, '2026-11-03T11:00:00Z', assumedRole('AWSReservedSSO_Dev_0a1b2c3d', 'bob@example.com'), CONSOLE_AGENT),
      ],
      expect: [GUEST_ACCESS],
    },
  ],
};
