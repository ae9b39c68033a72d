import { networkPrefix, parseIpv4, parseIpv6 } from '../../intel/ip.js';
import type { IntelLookup } from '../../intel/lookup.js';
import { ApiEvent, type ApiEventFields } from '../api-event.js';
import { ACCOUNT, assumedRole, awsService, ctEvent, iamUser, instanceRole, OTHER_ACCOUNT, repeated } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext } from '../detection.js';
import { dayOf, isNew, newProfile, observe, type Profile } from './behavior-profile.js';
import { type BoundedMap, boundedMap, earliestSeen, getEntry, instanceOfSession, isLongTermKey, setEntry } from './gumshoe-common.js';

/**
 * Credentials minted for one compute resource, used from somewhere else (guardduty.md §2.1 #21, #22, #25).
 *
 * - Instance credentials: role sessions named after the instance (`AROA…:i-0abc…`, normally with
 *   `sessionContext.ec2RoleDelivery`). Lambda credentials: sessions that lambda.amazonaws.com created with
 *   sts:AssumeRole (the session is named after the function, or `awslambda_…`), or whose caller runs in the
 *   Lambda runtime (`exec-env/AWS_Lambda_…` in the user agent).
 * - Inside or outside AWS: inside when AWS's published ranges hold the address or, where they do not (not
 *   loaded, or stale), when it is announced by one of Amazon's ASNs (the offline @ip-location-db data).
 *   Private addresses (calls through VPC endpoints) and AWS service hosts are never remote; calls a service
 *   makes on the role's behalf (`invokedBy`) are not judged.
 * - OutsideAWS: the source IP is public and outside AWS.
 * - InsideAWS: the IP or VPC endpoint belongs to another account. CloudTrail does not say who owns an AWS
 *   address (GuardDuty knows every EC2 address's owner; we do not), so ownership is learned: an address or
 *   endpoint belongs to an account once two of its instances used it, or one did on two days (a NAT gateway,
 *   an autoscaling group's shared egress, an instance's own public IP). Credentials used from an address
 *   another monitored account owns raise InsideAWS naming that account, once the instance was seen with an
 *   egress of its own (another address or endpoint no other account owns): an instance in a subnet shared
 *   through AWS RAM (a shared VPC) egresses only through the owner account's NAT gateways and endpoints.
 * - InsideAWS from an address whose owner is unknown (remote account not named). The address is judged not
 *   to be the instance's own when the logs show it belongs to someone else:
 *   1. Concurrent use: after the account's first day of instance activity (LEARNING_MS, while its egress
 *      addresses are learned), the instance's credentials are used from an AWS address its account does
 *      not own while the instance keeps calling from an address its account does own, the two interleaved
 *      within CONCURRENT_MS. An instance egresses through one public address at a time: a stop/start, a
 *      new Elastic IP or a replaced NAT gateway moves it from one address to the next and never back, so
 *      only interleaving counts. IPv4 and IPv6 are compared separately (dual-stack instances use both).
 *      When the foreign call comes first and the instance's own call after it, the finding is raised on
 *      the own call's arrival, for the foreign call (kept in the state, so also when that call is in the next run's logs).
 *   2. Someone else's machine: the address was used by long-term credentials (an IAM user's or root's
 *      `AKIA…` key) within CO_USE_MS before, and no instance of the account had used it before those keys
 *      did: a person's or another workload's host, where instance credentials have no business (the Stratus
 *      detonation: the operator's machine fetches the credentials through SSM and uses them itself).
 *   An address judged foreign is never counted towards the account's ownership of it.
 * - Blind spots: with no history (a single call, or an account whose instances are seen for the first time)
 *   an AWS address cannot be told from the instance's own, so nothing is raised; nor for a thief who uses
 *   only the stolen session while the instance itself stays silent, unless long-term keys give the thief's
 *   host away; nor for another account's VPC endpoint that no monitored instance uses; nor, from another monitored
 *   account's address, for an instance whose only egress seen is another account's (a shared VPC). An instance that
 *   also holds long-term keys (a bad practice) can raise rule 2 once if its keys are seen before its role;
 *   an instance spreading its calls over several egress proxies its account does not yet own can raise rule 1.
 * - ML suppression as GuardDuty describes it: per role, a remote network (/24, IPv6 /48), remote account or
 *   unknown-owner AWS address that keeps using the credentials on LEARNED_DAYS distinct days is expected from
 *   then on; new ones still alert.
 */
const LEARNED_DAYS = 3;
const ROLE_REMOTES = 200;
const OWNERS = 20_000;
const LAMBDA_SESSIONS = 10_000;
const KEY_ADDRESSES = 5_000;
const INSTANCES = 10_000;
/** Public addresses remembered per instance. */
const INSTANCE_ADDRESSES = 4;
const MINUTE = 60_000;
/** Two addresses used by one instance within this of each other, interleaved, are used concurrently. */
const CONCURRENT_MS = 15 * MINUTE;
/** Long-term keys on an address this recently make it someone's machine. */
const CO_USE_MS = 60 * MINUTE;
/** An account's instance egress is learned for this long before concurrent use is judged. */
const LEARNING_MS = 24 * 60 * MINUTE;

const LAMBDA_HOST = 'lambda.amazonaws.com';
const LAMBDA_RUNTIME = 'exec-env/AWS_Lambda_';


/** RFC 1918, carrier-grade NAT, loopback, link-local, IPv6 unique-local and link-local. */
function isPrivate(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) {
    const a = v4 >>> 24;
    const b = (v4 >>> 16) & 255;
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b < 128);
  }
  const v6 = parseIpv6(ip);
  if (v6 === undefined) return true; // not an address: nothing to judge
  const top = Number(v6 >> 112n);
  return v6 === 1n || (top & 0xfe00) === 0xfc00 || (top & 0xffc0) === 0xfe80;
}

const isV4 = (ip: string): boolean => parseIpv4(ip) !== undefined;

/** Per intel lookup, the addresses already placed inside or outside AWS (one run asks about the same few often). */
const awsMemo = new WeakMap<IntelLookup, Map<string, boolean>>();

function isAws(ip: string, intel: IntelLookup): boolean {
  let memo = awsMemo.get(intel);
  if (!memo) awsMemo.set(intel, (memo = new Map()));
  let inside = memo.get(ip);
  if (inside === undefined) {
    inside = intel.isInsideAws(ip);
    if (memo.size >= 50_000) memo.clear();
    memo.set(ip, inside);
  }
  return inside;
}

const sessionName = (event: ApiEvent): string => {
  const arn = event.actor.arn ?? '';
  return arn.slice(arn.lastIndexOf('/') + 1);
};

/** Role ARN + session name: the identity of one Lambda function's credentials. */
const lambdaKey = (roleArn: string, session: string): string => `${roleArn}|${session}`;

/**
 * Who calls from an address or VPC endpoint: the account whose instances use it. A claim becomes
 * ownership once two of the account's instances used it, or one did on two days: a thief's single
 * session from their own host must not make it theirs.
 */
interface Owner {
  account: string;
  instances: string[];
  day: number;
  owned: boolean;
  /** When the claim started (absent in state saved before it was kept). */
  first?: number;
}

/** Long-term keys seen on an AWS address: first and last use, and by whom. */
interface KeyUse {
  first: number;
  last: number;
  by: string;
}

interface Shared {
  owners: BoundedMap<Owner>;
  /** Role sessions known to be minted by Lambda → first seen. */
  lambda: BoundedMap<number>;
  /** AWS address → long-term keys used from it. */
  keys?: BoundedMap<KeyUse>;
  /** `account|instance` → the public AWS addresses its credentials were used from: [first, last]. */
  instances?: BoundedMap<Record<string, [number, number]>>;
  /** Account → its first instance-credential call. */
  accounts?: BoundedMap<number>;
  /**
   * `account|instance` → a call from an address no owner is known for, kept until the instance's next own
   * call: in the state, since that call may be in the next run's logs.
   */
  pending?: Record<string, Pending>;
}

const shared = (context: DetectionContext): Shared => {
  const state = context.state<Shared>('shared', () => ({ owners: boundedMap(), lambda: boundedMap() }));
  state.keys ??= boundedMap();
  state.instances ??= boundedMap();
  state.accounts ??= boundedMap();
  state.pending ??= {};
  return state;
};

/** A call from an address no owner is known for, kept until the instance's next own call. */
interface Pending {
  event: ApiEventFields;
  address: string;
  roleName: string;
}

/** Calls kept at most: each is only of use for CONCURRENT_MS, so a full set first drops those older than that. */
const PENDING = 1000;

function keepPending(state: Shared, instanceKey: string, call: Pending): void {
  const pending = state.pending!;
  if (!Object.hasOwn(pending, instanceKey)) {
    const keys = Object.keys(pending);
    if (keys.length >= PENDING) {
      for (const key of keys) if (call.event.time - pending[key]!.event.time > CONCURRENT_MS) delete pending[key];
      const left = Object.keys(pending);
      for (let i = 0; i <= left.length - PENDING; i++) delete pending[left[i]!];
    }
  }
  pending[instanceKey] = call;
}

/** Learns the Lambda sessions from the AssumeRole calls Lambda makes for its functions. */
function learnLambdaSession(event: ApiEvent, context: DetectionContext): void {
  const request = event.request;
  const roleArn = request?.roleArn;
  const session = request?.roleSessionName;
  if (typeof roleArn === 'string' && typeof session === 'string') setEntry(shared(context).lambda, lambdaKey(roleArn, session), event.time, LAMBDA_SESSIONS);
}

function isLambdaSession(event: ApiEvent, context: DetectionContext): boolean {
  const role = event.actor.sessionIssuerArn;
  if (!role) return false;
  const name = sessionName(event);
  const known = shared(context).lambda;
  const key = lambdaKey(role, name);
  if (getEntry(known, key) !== undefined || name.startsWith('awslambda_')) return true;
  if (!event.userAgent?.includes(LAMBDA_RUNTIME)) return false;
  setEntry(known, key, event.time, LAMBDA_SESSIONS);
  return true;
}

/** Remembers the AWS addresses long-term keys are used from. */
function noteLongTermKey(event: ApiEvent, context: DetectionContext): void {
  const ip = event.sourceIp!;
  // Private addresses and service names are in no AWS range and no ASN: the memo answers for them too.
  if (event.vpcEndpointId || !isAws(ip, context.intel)) return;
  const keys = shared(context).keys!;
  const seen = getEntry(keys, ip);
  if (seen) {
    seen.first = Math.min(seen.first, event.time);
    seen.last = Math.max(seen.last, event.time);
    seen.by = event.actor.arn ?? seen.by;
  } else setEntry(keys, ip, { first: event.time, last: event.time, by: event.actor.arn ?? 'unknown' }, KEY_ADDRESSES);
}

type Where = { kind: 'outside' } | { kind: 'inside'; owner: string | undefined; via: string; public: boolean } | { kind: 'home' };

/** Where a call came from, as far as the logs tell. */
function whereFrom(event: ApiEvent, context: DetectionContext): Where {
  const ip = event.sourceIp!;
  const via = event.vpcEndpointId ?? ip;
  if (!event.vpcEndpointId) {
    if (isPrivate(ip)) return { kind: 'home' };
    if (!isAws(ip, context.intel)) return { kind: 'outside' };
  }
  const owner = getEntry(shared(context).owners, via);
  return { kind: 'inside', owner: owner?.owned ? owner.account : undefined, via, public: !event.vpcEndpointId };
}

const ownedBy = (context: DetectionContext, via: string, account: string): boolean => {
  const owner = getEntry(shared(context).owners, via);
  return owner !== undefined && owner.owned && owner.account === account;
};

/** Counts a use of `via` by one of `account`'s instances towards that account's ownership of it. */
function claim(context: DetectionContext, via: string, account: string, instance: string, time: number): void {
  const owners = shared(context).owners;
  const claimed = getEntry(owners, via);
  if (!claimed || claimed.account !== account) {
    // A contested claim starts over: nobody owns the address yet.
    setEntry(owners, via, { account, instances: [instance], day: dayOf(time), owned: false, first: time }, OWNERS);
    return;
  }
  if (claimed.first !== undefined) claimed.first = Math.min(claimed.first, time);
  if (!claimed.instances.includes(instance)) claimed.instances.push(instance);
  // Another day, before or after (older logs may arrive late), makes two days of use.
  if (claimed.instances.length >= 2 || dayOf(time) !== claimed.day) claimed.owned = true;
}

/** True when the role's credentials have kept coming from `remote` on enough days to be expected. */
function learnedRemote(role: Profile, remote: string, time: number): boolean {
  const stats = role.f.remote?.v[remote];
  return stats !== undefined && !isNew(role, 'remote', remote, time) && stats[2] >= LEARNED_DAYS;
}

/** What one instance-credential call is about: enough to raise a finding on it. */
interface Use {
  event: ApiEvent;
  account: string;
  instance: string;
  roleName: string;
  role: Profile;
}

/** InsideAWS from an address another monitored account owns. */
function insideKnown(use: Use, context: DetectionContext, via: string, owner: string): void {
  const remote = `acct:${owner}`;
  if (!learnedRemote(use.role, remote, use.event.time)) {
    const affiliated = context.settings.organizationAccounts.has(owner);
    context.emit({
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      event: use.event,
      severity: affiliated ? 5 : 8,
      aggregateBy: owner,
      remoteAccount: { accountId: owner, affiliated },
      instance: { instanceId: use.instance },
      vars: { role: use.roleName, instance: use.instance, remoteAccount: owner, remote: `account ${owner}`, via, owner: `which belongs to AWS account ${owner}` },
    });
  }
  observe(use.role, 'remote', remote, use.event.time, ROLE_REMOTES);
}

/** InsideAWS from an AWS address judged not to be the instance's own; its owner is unknown. */
function insideUnknown(
  use: Use,
  context: DetectionContext,
  address: string,
  evidence: { reason: 'concurrent-use' | 'long-term-key-address'; text: string; info: Record<string, string> },
  related?: ApiEvent,
): void {
  const remote = `aws:${address}`;
  if (!learnedRemote(use.role, remote, use.event.time)) {
    context.emit({
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      event: use.event,
      aggregateBy: `address:${address}`,
      instance: { instanceId: use.instance },
      additionalInfo: { remoteAccountOwner: 'UNKNOWN', evidence: evidence.reason, ...evidence.info },
      ...(related ? { related: [related] } : {}),
      vars: {
        role: use.roleName,
        instance: use.instance,
        remoteAccount: 'unknown',
        remote: `whoever runs ${address}`,
        via: address,
        owner: `an AWS address that account ${use.account}'s instances are not known to use (${evidence.text})`,
      },
    });
  }
  observe(use.role, 'remote', remote, use.event.time, ROLE_REMOTES);
}

/** Records that the instance's credentials were used from `address` at `time`: [first, last] per address, the most recent few. */
function rememberAddress(state: Shared, instanceKey: string, stored: Record<string, [number, number]> | undefined, address: string, time: number): void {
  const addresses = stored ?? {};
  const seen = addresses[address];
  if (seen) {
    seen[0] = Math.min(seen[0], time);
    seen[1] = Math.max(seen[1], time);
    return;
  }
  addresses[address] = [time, time];
  const all = Object.keys(addresses);
  if (all.length > INSTANCE_ADDRESSES) delete addresses[all.reduce((a, b) => (addresses[a]![1] <= addresses[b]![1] ? a : b))];
  if (!stored) setEntry(state.instances!, instanceKey, addresses, INSTANCES);
}

/**
 * A call with instance credentials from a public AWS address no account is known to own, or that the
 * instance's own account owns. Returns true when the address was judged foreign (or may yet be): it is
 * then not claimed for the account.
 */
function judgeAwsAddress(use: Use, context: DetectionContext, state: Shared, address: string, ownAddress: boolean): boolean {
  const time = use.event.time;
  const instanceKey = `${use.account}|${use.instance}`;
  const stored = getEntry(state.instances!, instanceKey);
  const addresses = stored ?? {};
  const firstHere = addresses[address]?.[0] ?? time;
  const pending = state.pending!;

  if (ownAddress) {
    // The instance at home: a foreign call kept from just before (maybe in an earlier run) is now interleaved with its own.
    const kept = pending[instanceKey];
    const keptFirst = kept ? addresses[kept.address]?.[0] : undefined;
    if (kept && kept.address !== address && isV4(kept.address) === isV4(address) && time - kept.event.time <= CONCURRENT_MS && keptFirst !== undefined && firstHere < keptFirst && !ownedBy(context, kept.address, use.account)) {
      delete pending[instanceKey];
      insideUnknown({ ...use, event: new ApiEvent(kept.event), roleName: kept.roleName }, context, kept.address, concurrent(address), use.event);
    } else if (kept && time - kept.event.time > CONCURRENT_MS) delete pending[instanceKey]; // a move, not concurrent use
    rememberAddress(state, instanceKey, stored, address, time);
    return false;
  }

  // 1. Concurrent use with an address the account owns, which the instance used before this one.
  const accountFirst = getEntry(state.accounts!, use.account) ?? time;
  const learned = time - accountFirst >= LEARNING_MS;
  const homes = learned
    ? Object.entries(addresses).filter(([other, [first]]) => other !== address && isV4(other) === isV4(address) && first < firstHere && ownedBy(context, other, use.account))
    : [];
  const interleaved = homes.find(([, [, last]]) => last > firstHere && time - last <= CONCURRENT_MS);
  // 2. Someone's machine: long-term keys were used here lately, and before any of the account's instances.
  const keys = getEntry(state.keys!, address);
  const claimed = getEntry(state.owners, address);
  const claimedFirst = claimed && claimed.account === use.account ? (claimed.first ?? 0) : Infinity;
  const someones = keys !== undefined && time - keys.last <= CO_USE_MS && keys.first < claimedFirst;
  let foreign = true;
  if (interleaved) {
    delete pending[instanceKey];
    insideUnknown(use, context, address, concurrent(interleaved[0]));
  } else if (someones) {
    insideUnknown(use, context, address, {
      reason: 'long-term-key-address',
      text: `long-term access keys of ${keys.by} were used from it first, the last time ${time - keys.last < MINUTE ? 'under a minute' : `${Math.round((time - keys.last) / MINUTE)} min`} earlier`,
      info: { longTermKeyPrincipal: keys.by },
    });
  } else if (homes.some(([, [, last]]) => time - last <= CONCURRENT_MS)) {
    // Right after a call from home: concurrent if the instance calls from home again soon, a move if not.
    keepPending(state, instanceKey, { event: use.event.fields(), address, roleName: use.roleName });
  } else foreign = false;
  rememberAddress(state, instanceKey, stored, address, time);
  return foreign;
}

/** Remembers a VPC endpoint the instance's credentials were used through; never judged foreign itself. */
function rememberEndpoint(state: Shared, use: Use, endpoint: string): false {
  const instanceKey = `${use.account}|${use.instance}`;
  rememberAddress(state, instanceKey, getEntry(state.instances!, instanceKey), endpoint, use.event.time);
  return false;
}

/**
 * Whether the instance was seen calling from an address or VPC endpoint other than `via` that no other
 * account owns: its own egress. An instance in a subnet shared through AWS RAM (a shared VPC) egresses
 * through the owner account's NAT gateways and endpoints only; those are not another account's hands.
 */
function hasOwnEgress(state: Shared, use: Use, via: string): boolean {
  const addresses = getEntry(state.instances!, `${use.account}|${use.instance}`) ?? {};
  return Object.keys(addresses).some((other) => {
    if (other === via) return false;
    const owner = getEntry(state.owners, other);
    return !owner?.owned || owner.account === use.account;
  });
}

const concurrent = (home: string) => ({
  reason: 'concurrent-use' as const,
  text: `the instance was calling from its own address ${home} at the same time`,
  info: { instanceAddress: home },
});

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.actor.invokedBy === LAMBDA_HOST && event.api === 'AssumeRole') {
    learnLambdaSession(event, context);
    return;
  }
  if (!event.sourceIp || event.actor.invokedBy) return;
  if (isLongTermKey(event)) {
    noteLongTermKey(event, context);
    return;
  }
  if (event.actor.type !== 'AssumedRole') return;
  const instance = instanceOfSession(event);
  const lambda = instance === null && isLambdaSession(event, context);
  if (instance === null && !lambda) return;

  const account = event.actor.accountId ?? event.accountId ?? 'unknown';
  const roleArn = event.actor.sessionIssuerArn ?? event.principalKey;
  const role = context.state<Profile>(`role:${roleArn}`, () => newProfile(event.time));
  const where = whereFrom(event, context);
  const roleName = event.actor.sessionIssuerName ?? roleArn.slice(roleArn.lastIndexOf('/') + 1);

  if (where.kind === 'outside') {
    const remote = `net:${networkPrefix(event.sourceIp)}`;
    if (!learnedRemote(role, remote, event.time)) {
      context.emit(
        instance
          ? { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', event, instance: { instanceId: instance }, vars: { role: roleName, instance } }
          : { type: 'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS', event, vars: { role: roleName, function: sessionName(event) } },
      );
    }
    observe(role, 'remote', remote, event.time, ROLE_REMOTES);
    return;
  }
  if (instance === null) return;
  const state = shared(context);
  earliestSeen(state.accounts!, account, event.time, OWNERS);
  if (where.kind !== 'inside') return;
  const use: Use = { event, account, instance, roleName, role };
  if (where.owner !== undefined && where.owner !== account) {
    // Without an egress of its own, the instance may sit in a subnet another account shares with it.
    if (hasOwnEgress(state, use, where.via)) insideKnown(use, context, where.via, where.owner);
    return;
  }
  // Public addresses are judged; a VPC endpoint only by whose instances use it (and remembered as the instance's).
  const foreign = where.public ? judgeAwsAddress(use, context, state, where.via, where.owner === account) : rememberEndpoint(state, use, where.via);
  // The credentials' own instances teach whose address or endpoint this is.
  if (where.owner === undefined && !foreign) claim(context, where.via, account, instance, event.time);
}

// ---- Cases ----

const NAT_IP = '3.5.141.2'; // Amazon, Incheon (not the attack-sequence cases' NAT: scenarios share one simulated organisation)
const OTHER_NAT_IP = '52.94.1.1'; // Amazon, Ashburn
const AWS_RANGES = ['3.5.140.0/22', '52.94.0.0/16'];
const OFFICE_EGRESS = '81.2.69.160';
const LINODE_IP = '45.33.32.156';
const SDK_AGENT = 'aws-sdk-java/2.25.6 Linux/6.1.0 OpenJDK_64-Bit_Server_VM/17.0.10';

const appRole = instanceRole('app-instance-role', 'i-0a1b2c3d4e5f60718');
const otherAccountRoles = ['i-0f9e8d7c6b5a49382', 'i-0f9e8d7c6b5a49383'].map((id) => instanceRole('batch-instance-role', id, OTHER_ACCOUNT));

/** An instance's own calls, every `minutes`, from its NAT gateway or through a VPC endpoint. */
function instanceWork(identity: Record<string, unknown>, count: number, start: string, minutes: number, from: { ip: string; vpce?: string }): CloudTrailRecord[] {
  return repeated(count, start, minutes, (time, i) => {
    const record = ctEvent({ service: i % 2 ? 's3' : 'sqs', name: i % 2 ? 'ListBuckets' : 'ReceiveMessage', identity, time, ip: from.ip, userAgent: SDK_AGENT });
    return from.vpce ? { ...record, vpcEndpointId: from.vpce } : record;
  });
}

const lambdaRole = assumedRole('orders-fn-role', 'orders-handler');
const LAMBDA_AGENT = 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.214-223.853.amzn2.x86_64 lang/python#3.12.2 exec-env/AWS_Lambda_python3.12';
const lambdaAssume = (time: string): CloudTrailRecord => ({
  ...ctEvent({
    service: 'sts', name: 'AssumeRole', identity: awsService(LAMBDA_HOST), time, userAgent: LAMBDA_HOST,
    request: { roleArn: `arn:aws:iam::${ACCOUNT}:role/orders-fn-role`, roleSessionName: 'orders-handler' },
  }),
  sourceIPAddress: LAMBDA_HOST,
});

/** Amazon addresses (by ASN: these cases load no published ranges) used below, none shared with another case or the simulation's background. */
const APP_NAT = '34.195.23.71';
const THIEF_EC2 = '35.80.1.2'; // Amazon, Oregon
const PANTHER_NAT = '3.91.171.20';
const PANTHER_INSTANCE = 'i-0abcdef1234567890';
const STOP_START_IPS = ['54.87.12.4', '54.210.8.9'];
const ASG_NATS = ['3.94.211.5', '52.70.3.33'];
const BASTION_IP = '44.205.17.3';
const PROXY_POOL = ['18.205.93.2', '54.87.201.40'];
const DUAL_STACK_V6 = '2600:1f18:4a3:6b00::10';
const CLI = 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8';

const workerRole = instanceRole('worker-instance-role', 'i-0b2c3d4e5f6a70819');
/** The instance of Panther's IMDS rule tests, exactly as its records name it. */
const pantherInstance = {
  type: 'AssumedRole',
  principalId: `AROAEXAMPLE:${PANTHER_INSTANCE}`,
  arn: `arn:aws:sts::123456789012:assumed-role/MyAppRole/${PANTHER_INSTANCE}`,
  accountId: '123456789012',
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/MyAppRole' }, ec2RoleDelivery: '2.0' },
};
const pantherAmazonAsn = { panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'IMDS Credentials Used From Amazon.com ASN Source IP' };
const instanceId = (n: number) => `i-0c${String(n).padStart(15, '0')}`;

const cases: ApiDetection['cases'] = () => [
  { name: 'OTRF: SSRF-stolen instance credentials list and read a bucket from outside AWS', datasets: [{ otrf: 'malicious' }], expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'] },
  {
    // Stratus anonymised the operator's address to one in Amazon's space (AS16509): his IAM user runs SSM against the
    // instance from it, then the instance's session shows up there. Real ASN data, no published ranges.
    name: 'Stratus ec2-steal-instance-credentials: the session used from the AWS host the operator’s long-term key calls from',
    datasets: [{ stratus: 'aws.credential-access.ec2-steal-instance-credentials' }],
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  {
    // The record alone names no history; here the instance keeps calling from its NAT gateway (2 days, so owned)
    // around it. Its own call five minutes later shows the two addresses interleaved.
    name: 'Panther IMDS credentials from an Amazon ASN address, while the instance keeps calling from its own NAT gateway',
    datasets: [pantherAmazonAsn],
    records: [
      ...instanceWork(pantherInstance, 49, '2024-01-13T10:00:00Z', 60, { ip: PANTHER_NAT }),
      ...instanceWork(pantherInstance, 7, '2024-01-15T10:07:00Z', 5, { ip: PANTHER_NAT }),
    ],
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  {
    name: 'a stolen session used from another EC2 host while the instance goes on calling from its NAT gateway',
    records: [
      ...instanceWork(workerRole, 60, '2026-11-01T00:00:00Z', 60, { ip: APP_NAT }),
      ...instanceWork(workerRole, 20, '2026-11-03T12:00:00Z', 1, { ip: APP_NAT }),
      ...['GetCallerIdentity', 'ListBuckets', 'ListSecrets'].map((name, i) =>
        ctEvent({ service: name === 'ListBuckets' ? 's3' : name === 'ListSecrets' ? 'secretsmanager' : 'sts', name, identity: workerRole, time: `2026-11-03T12:0${2 * i + 1}:30Z`, ip: THIEF_EC2, userAgent: CLI })),
    ],
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  { name: 'IMDS credentials used from a public IP (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'IMDS Credentials Used From Public IP' }], expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'] },
  {
    name: 'a learned on-premises egress does not hide a new remote network',
    records: [
      ...repeated(4, '2026-11-01T10:00:00Z', 24 * 60, (time) => ctEvent({ service: 's3', name: 'ListBuckets', identity: appRole, time, ip: OFFICE_EGRESS })),
      ctEvent({ service: 'iam', name: 'ListRoles', identity: appRole, time: '2026-11-06T10:00:00Z', ip: LINODE_IP }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'],
  },
  {
    name: 'instance credentials used from another account’s instance (learned NAT address)',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 6, '2026-11-01T00:00:00Z', 60, { ip: OTHER_NAT_IP })),
      ...instanceWork(appRole, 6, '2026-11-01T00:00:00Z', 60, { ip: NAT_IP }),
      ctEvent({ service: 'secretsmanager', name: 'ListSecrets', identity: appRole, time: '2026-11-01T08:00:00Z', ip: OTHER_NAT_IP, userAgent: 'aws-cli/2.17.3' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  {
    name: 'a shared VPC: an instance in a subnet another account shares calls only through that account’s NAT gateway and VPC endpoint',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 6, '2026-11-01T00:00:00Z', 60, { ip: OTHER_NAT_IP })),
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 6, '2026-11-01T00:30:00Z', 60, { ip: '10.20.1.15', vpce: 'vpce-0b1c2d3e4f5a60718' })),
      ...instanceWork(appRole, 12, '2026-11-01T02:00:00Z', 30, { ip: OTHER_NAT_IP }),
      ...instanceWork(appRole, 6, '2026-11-01T02:10:00Z', 60, { ip: '10.20.7.9', vpce: 'vpce-0b1c2d3e4f5a60718' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: [],
  },
  {
    name: 'instance credentials used through another organisation account’s VPC endpoint (affiliated: Medium)',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 6, '2026-11-01T00:00:00Z', 60, { ip: '10.20.1.15', vpce: 'vpce-0b1c2d3e4f5a60718' })),
      ...instanceWork(appRole, 6, '2026-11-01T00:00:00Z', 60, { ip: '10.1.4.20', vpce: 'vpce-0aa11bb22cc33dd44' }),
      { ...ctEvent({ service: 's3', name: 'ListBuckets', identity: appRole, time: '2026-11-01T08:00:00Z', ip: '10.20.7.9' }), vpcEndpointId: 'vpce-0b1c2d3e4f5a60718' },
    ],
    settings: { organizationAccounts: [ACCOUNT, OTHER_ACCOUNT] },
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  {
    name: 'Lambda function credentials used from outside AWS',
    records: [
      lambdaAssume('2026-11-01T10:00:00Z'),
      ...repeated(3, '2026-11-01T10:00:01Z', 1, (time) => ctEvent({ service: 'dynamodb', name: 'DescribeTable', identity: lambdaRole, time, ip: OTHER_NAT_IP, userAgent: LAMBDA_AGENT })),
      ctEvent({ service: 'iam', name: 'ListAttachedRolePolicies', identity: lambdaRole, time: '2026-11-01T10:30:00Z', ip: LINODE_IP, userAgent: 'aws-cli/2.17.3 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: ['UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS'],
  },
  {
    // No history says whose address it is: the instance's own public IP looks the same (documented blind spot).
    name: 'Panther IMDS credentials from an Amazon ASN address, the record alone: nothing known about the instance',
    datasets: [pantherAmazonAsn],
    expect: [],
  },
  {
    // Published ranges loaded but missing the NAT's address: Amazon's ASN still places it inside AWS.
    name: 'an instance behind a NAT address the loaded ranges miss but Amazon announces',
    records: instanceWork(workerRole, 30, '2026-11-01T00:00:00Z', 60, { ip: APP_NAT }),
    intel: { awsIps: AWS_RANGES },
    expect: [],
  },
  {
    name: 'a stopped and started instance comes back with a new public IP, and stays on it',
    records: [
      ...instanceWork(workerRole, 40, '2026-11-01T00:00:00Z', 60, { ip: STOP_START_IPS[0]! }),
      ...instanceWork(workerRole, 10, '2026-11-02T16:00:00Z', 1, { ip: STOP_START_IPS[0]! }),
      ...instanceWork(workerRole, 30, '2026-11-02T16:12:00Z', 1, { ip: STOP_START_IPS[1]! }),
    ],
    expect: [],
  },
  {
    name: 'an autoscaling group behind one NAT gateway scales out, then the NAT gateway is replaced',
    records: [
      ...[1, 2, 3, 4].flatMap((n) => instanceWork(instanceRole('web-asg-role', instanceId(n)), 48, '2026-11-01T00:00:00Z', 60, { ip: ASG_NATS[0]! })),
      ...[5, 6, 7, 8].flatMap((n) => instanceWork(instanceRole('web-asg-role', instanceId(n)), 20, `2026-11-03T0${n}:00:00Z`, 3, { ip: ASG_NATS[0]! })),
      ...[1, 2, 5, 6].flatMap((n) => instanceWork(instanceRole('web-asg-role', instanceId(n)), 20, '2026-11-03T10:00:00Z', 2, { ip: ASG_NATS[1]! })),
    ],
    expect: [],
  },
  {
    name: 'one instance through its NAT gateway, VPC endpoints and dual-stack IPv6, with a service calling for it',
    records: [
      ...instanceWork(workerRole, 50, '2026-11-01T00:00:00Z', 60, { ip: APP_NAT }),
      ...instanceWork(workerRole, 30, '2026-11-03T09:00:00Z', 2, { ip: APP_NAT }),
      ...instanceWork(workerRole, 30, '2026-11-03T09:01:00Z', 2, { ip: '10.1.4.20', vpce: 'vpce-0aa11bb22cc33dd44' }),
      ...instanceWork(workerRole, 30, '2026-11-03T09:00:30Z', 2, { ip: DUAL_STACK_V6 }),
      ctEvent({ service: 'kms', name: 'Decrypt', identity: { ...workerRole, invokedBy: 'ssm.amazonaws.com' }, time: '2026-11-03T09:20:00Z', ip: THIEF_EC2 }),
    ],
    expect: [],
  },
  {
    // Without the first day's learning, the second proxy address would look like a concurrent foreign one.
    name: 'a new account’s instances egress through a pool of two proxy addresses, learned on its first day',
    records: [
      ...[1, 2].flatMap((n) => instanceWork(instanceRole('etl-role', instanceId(20 + n)), 10, '2026-11-01T00:00:00Z', 3, { ip: PROXY_POOL[0]! })),
      ...instanceWork(instanceRole('etl-role', instanceId(21)), 40, '2026-11-01T00:30:00Z', 1, { ip: PROXY_POOL[1]! }),
      ...instanceWork(instanceRole('etl-role', instanceId(21)), 40, '2026-11-01T00:30:30Z', 1, { ip: PROXY_POOL[0]! }),
      ...[1, 2].flatMap((n) => instanceWork(instanceRole('etl-role', instanceId(20 + n)), 30, '2026-11-01T02:00:00Z', 60, { ip: PROXY_POOL[n % 2]! })),
    ],
    expect: [],
  },
  {
    name: 'a bastion whose instance role was calling before an administrator’s access key was used on it',
    records: [
      ...instanceWork(instanceRole('bastion-role', 'i-0d4e5f6a7b8c90123'), 20, '2026-11-01T08:00:00Z', 10, { ip: BASTION_IP }),
      ...repeated(10, '2026-11-01T09:00:00Z', 5, (time) => ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: iamUser('ops-admin'), time, ip: BASTION_IP, userAgent: CLI })),
    ],
    expect: [],
  },
  { name: 'OTRF benign: console admin and the EC2 service minting instance credentials', datasets: [{ otrf: 'benign' }], expect: [] },
  { name: 'instance workload from a private address (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'Normal EC2 Workload From Private IP' }], expect: [] },
  { name: 'a service acting with the instance role (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'AWS Service Hostname as Source IP' }], expect: [] },
  { name: 'EKS invoking on the instance’s behalf (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'AWS Service InvokedBy on behalf of instance' }], expect: [] },
  { name: 'a role session not named after an instance (Panther)', datasets: [{ panther: 'AWS.CloudTrail.IMDSCredentialExfiltration', test: 'Non-Instance Role' }], expect: [] },
  {
    name: 'instances of two accounts at home: own NAT gateways and VPC endpoints',
    records: [
      ...otherAccountRoles.flatMap((identity) => instanceWork(identity, 12, '2026-11-01T00:00:00Z', 60, { ip: OTHER_NAT_IP })),
      ...instanceWork(appRole, 12, '2026-11-01T00:00:00Z', 60, { ip: NAT_IP }),
      ...instanceWork(appRole, 12, '2026-11-01T00:30:00Z', 60, { ip: '10.1.4.20', vpce: 'vpce-0aa11bb22cc33dd44' }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: [],
  },
  {
    name: 'Lambda functions calling from AWS, and an engineer assuming the function role from the office',
    records: [
      lambdaAssume('2026-11-01T10:00:00Z'),
      { ...lambdaAssume('2026-11-01T10:00:00Z'), requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/orders-fn-role`, roleSessionName: 'awslambda_55_20261101100000548' } },
      ...repeated(3, '2026-11-01T10:00:01Z', 1, (time) => ctEvent({ service: 'dynamodb', name: 'DescribeTable', identity: lambdaRole, time, ip: OTHER_NAT_IP, userAgent: LAMBDA_AGENT })),
      ctEvent({ service: 'dynamodb', name: 'Scan', identity: assumedRole('orders-fn-role', 'maria.garcia'), time: '2026-11-01T11:00:00Z', ip: OFFICE_EGRESS }),
    ],
    intel: { awsIps: AWS_RANGES },
    expect: [],
  },
];

export const credentialExfiltration: ApiDetection = {
  id: 'credential-exfiltration',
  source: 'cloudtrail',
  // Lambda's AssumeRole calls name the function sessions it mints.
  payloads: { apis: ['AssumeRole'] },
  types: [
    {
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Unsecured Credentials: Cloud Instance Metadata API' },
      title: 'Credentials for instance role {role} used from external IP address.',
      description: 'Credentials created exclusively for EC2 instance {instance} through instance role {role} were used from external IP address {ip}, outside AWS.',
      remediation: 'Treat the instance as compromised: revoke the role’s active sessions (an inline deny on aws:TokenIssueTime), find how the credentials left it (SSRF, IMDSv1, leaked logs), enforce IMDSv2 and investigate what the credentials were used for.',
    },
    {
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552.005 Unsecured Credentials: Cloud Instance Metadata API' },
      title: 'Credentials for instance role {role} used from a different AWS account.',
      description: 'Credentials created exclusively for EC2 instance {instance} through instance role {role} were used from {via}, {owner}.',
      remediation: 'Confirm whether {remote} is meant to use this role. If not, revoke the role’s active sessions, find how the credentials left the instance, enforce IMDSv2 and restrict the role with aws:EC2InstanceSourceVPC / aws:EC2InstanceSourcePrivateIPv4 conditions.',
    },
    {
      type: 'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS',
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552 Unsecured Credentials' },
      title: 'Credentials of Lambda function {function} (role {role}) used from external IP address.',
      description: 'Credentials created for Lambda function {function} through role {role} were used from external IP address {ip}, outside AWS.',
      remediation: 'Revoke the role’s active sessions, check the function’s code, dependencies and environment for leaks (for example credentials echoed into logs or an SSRF), and review what the credentials were used for.',
    },
  ],
  onEvent,
  cases,
};
