import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, instanceRole, repeated, TERRAFORM_AGENT, CONSOLE_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  type BoundedMap,
  boundedMap,
  type Burst,
  callerName,
  type BurstWindow,
  firstTime,
  flushDeferred,
  getEntry,
  HOUR,
  instanceOfSession,
  isProbing,
  isAwsServiceCall,
  isConsoleAgent,
  isIacAgent,
  isPersonLike,
  learningOver,
  list,
  MINUTE,
  obj,
  ownAccount,
  present,
  reportWhenWindowCloses,
  scalar,
  str,
  trackBurst,
  wasHabit,
} from './gumshoe-common.js';

/**
 * EC2 execution, credential access and lateral movement through the control plane: user data rewritten,
 * user data or Windows passwords read in bulk, GPU or very large instances launched, SSH/RDP opened to the
 * internet, a network ACL opened to all inbound traffic, SSH keys pushed with EC2 Instance Connect or the
 * serial console, AMIs deregistered, and an instance's own role enumerating the account.
 *
 * Bursts are counted per principal in a window starting at its first call. A principal that already burst
 * on an earlier day (a scanner, an image pipeline) has made it a habit and is not reported again.
 */
const USER_DATA = 'Execution:EC2/UserDataModified.Gumshoe';
const USER_DATA_READ = 'Discovery:EC2/UserDataEnumeration.Gumshoe';
const PASSWORD = 'CredentialAccess:EC2/PasswordDataRetrievalBurst.Gumshoe';
const LAUNCH = 'Impact:EC2/UnusualInstanceLaunch.Gumshoe';
const OPEN_PORT = 'DefenseEvasion:EC2/AdminPortOpenToInternet.Gumshoe';
const OPEN_NACL = 'DefenseEvasion:EC2/NetworkAclOpenToInternet.Gumshoe';
const CONNECT = 'LateralMovement:EC2/InstanceConnectKeyPushed.Gumshoe';
const SERIAL = 'LateralMovement:EC2/SerialConsoleAccess.Gumshoe';
const DEREGISTER = 'Impact:EC2/AmiDeregistered.Gumshoe';
const ENUMERATION = 'Discovery:EC2/EnumerationFromInstance.Gumshoe';
const PROFILE = 'PrivilegeEscalation:EC2/InstanceProfileChanged.Gumshoe';

const READ_WINDOW = 10 * MINUTE;
const READ_INSTANCES = 5;
const READ_FAILURES = 3;
const CONNECT_WINDOW = 15 * MINUTE;
const CONNECT_INSTANCES = 3;
const DEREGISTER_WINDOW = HOUR;
const DEREGISTER_IMAGES = 5;
/** Accelerated (GPU, Inferentia, Trainium, FPGA, video) families: the favourite of cryptominers and LLM thieves. */
const ACCELERATED = /^(p\d|g\d|gr\d|inf\d|trn\d|dl\d|vt\d|f\d)/;
const LARGE_SIZE = 24;
const MANY_INSTANCES = 20;

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('ec2-habits', boundedMap);

/** Marks a burst reported; false when it already was, or when the principal has made such bursts a habit. */
function shouldReport(context: DetectionContext, name: string, event: ApiEvent, burst: { fired: boolean }): boolean {
  if (burst.fired) return false;
  burst.fired = true;
  return !wasHabit(habits(context), `${name}>${event.principalKey}`, event.time);
}

// ---- user data and passwords ----

/**
 * Medium when probing, when the reads succeed on as many instances (getting the secrets is worse than being
 * refused them), or for a very large sweep.
 */
function readSeverity(burst: Burst): number | undefined {
  const read = burst.items.filter((instance) => !burst.denied.includes(instance)).length;
  return isProbing(burst, READ_FAILURES) || read >= READ_INSTANCES || burst.items.length >= 2 * READ_INSTANCES ? 5 : undefined;
}

/**
 * Bulk reads of a secret instances hold (user data, Windows passwords). With `scannersLow`, workload roles
 * (inventory and security scanners, which read every instance's user data) stay Low unless probing.
 */
function onInstanceSecretRead(event: ApiEvent, context: DetectionContext, name: string, type: string, scannersLow: boolean): void {
  const { burst, evidence } = trackBurst(context, name, event.principalKey, event, present(event.request?.instanceId), READ_WINDOW);
  const report = (window: BurstWindow) => {
    const severity = scannersLow && !burst.facts?.person ? (isProbing(burst, READ_FAILURES) ? 5 : undefined) : readSeverity(burst);
    context.emit({ type, ...window, severity, vars: { instances: burst.items.length, denied: burst.denied.length } });
  };
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, READ_WINDOW, event, report);
  if (burst.items.length < READ_INSTANCES && !isProbing(burst, READ_FAILURES)) return;
  if (!shouldReport(context, name, event, burst)) return;
  burst.facts = { person: isPersonLike(event) };
  reportWhenWindowCloses(context, evidence, burst, READ_WINDOW, event, report);
}

function onUserDataRead(event: ApiEvent, context: DetectionContext): void {
  if (event.request?.attribute === 'userData') onInstanceSecretRead(event, context, 'userdata', USER_DATA_READ, true);
}

/** `{userData: {...}}`, or the CLI's `--attribute userData --value …` form. */
const changesUserData = (request: Record<string, unknown>) => 'userData' in request || request.attribute === 'userData';

function onUserDataChange(event: ApiEvent, context: DetectionContext): void {
  if (!event.request || !changesUserData(event.request)) return;
  const instanceId = str(event.request.instanceId) ?? 'unknown-instance';
  // A deploy pipeline that rewrites user data on every release (blue/green) has made it a routine: Low.
  const routine = wasHabit(habits(context), `userdata-change>${event.principalKey}`, event.time);
  context.emit({ type: USER_DATA, event, severity: routine || isIacAgent(event.userAgent) ? 2 : undefined, instance: { instanceId }, vars: { instanceId } });
}

// ---- instance launches ----

/** Why a launch is unusual, and what the account must already run for it to be normal; or null. */
function unusualLaunch(instanceType: string, count: number): { reason: string; kind: string } | null {
  const [family = '', size = ''] = instanceType.split('.');
  if (ACCELERATED.test(family)) return { reason: `${instanceType} is an accelerated (GPU) type, a family this account has not been running`, kind: family };
  const multiple = /^(\d+)xlarge$/.exec(size);
  if (size === 'metal' || (multiple && Number(multiple[1]) >= LARGE_SIZE) || /^(x\d|u-|hpc)/.test(family)) {
    return { reason: `${instanceType} is a very large type, a family this account has not been running`, kind: family };
  }
  if (count >= MANY_INSTANCES) return { reason: `${count} instances were requested at once, more than this account has launched before`, kind: 'fleet' };
  return null;
}

/** A request field as CloudTrail writes it: camelCase, or PascalCase inside `CreateFleetRequest`-style wrappers. */
function field(value: unknown, name: string): unknown {
  const record = obj(value);
  return record?.[name] ?? record?.[name[0]!.toUpperCase() + name.slice(1)];
}

const numberOf = (value: unknown) => Number(scalar(value)) || 1;
const typesOf = (values: unknown[]) => values.map(scalar).filter((t): t is string => t !== undefined);
/** Instance types a fleet's launch-template overrides ask for (the template's own type is not in the request). */
const overrideTypes = (configs: unknown) => typesOf(list(configs).flatMap((c) => list(field(c, 'overrides')).map((o) => field(o, 'instanceType'))));

/** The instance types and number of instances a launch request asks for, from each launching API's request shape. */
function launchRequest(event: ApiEvent): { types: string[]; count: number } {
  const request = event.request ?? {};
  switch (event.api) {
    case 'RequestSpotInstances':
      return { types: typesOf([field(request.launchSpecification, 'instanceType')]), count: numberOf(request.instanceCount) };
    case 'CreateFleet': {
      const fleet = field(request, 'createFleetRequest') ?? request;
      return { types: overrideTypes(field(fleet, 'launchTemplateConfigs')), count: numberOf(field(field(fleet, 'targetCapacitySpecification'), 'totalTargetCapacity')) };
    }
    case 'RequestSpotFleet': {
      const config = field(field(request, 'requestSpotFleetRequest') ?? request, 'spotFleetRequestConfig');
      const specifications = list(field(config, 'launchSpecifications')).map((spec) => field(spec, 'instanceType'));
      return { types: [...typesOf(specifications), ...overrideTypes(field(config, 'launchTemplateConfigs'))], count: numberOf(field(config, 'targetCapacity')) };
    }
    default:
      return { types: typesOf([request.instanceType]), count: Math.max(1, ...list(request.instancesSet).map((i) => numberOf(obj(i)?.maxCount))) };
  }
}

function onLaunch(event: ApiEvent, context: DetectionContext): void {
  const { types, count } = launchRequest(event);
  const [instanceType, unusual] = (types.length ? types : ['unknown'])
    .map((type) => [type, unusualLaunch(type, count)] as const)
    .find(([, why]) => why !== null) ?? ['', null];
  if (!unusual) return;
  // What the account already launched successfully on an earlier day is its normal.
  const key = `launch>${ownAccount(event)}>${unusual.kind}`;
  if (wasHabit(habits(context), key, event.time, 5000, !event.failed)) return;
  context.emit({
    type: LAUNCH,
    event,
    aggregateBy: instanceType,
    vars: { instanceType, reason: unusual.reason, outcome: event.failed ? `was denied (${event.errorCode})` : 'succeeded' },
  });
}

// ---- security groups ----

interface Permission {
  protocol: string;
  from: number;
  to: number;
  cidrs: string[];
}

function permissions(request: Record<string, unknown>): Permission[] {
  const parse = (p: Record<string, unknown>): Permission => ({
    protocol: str(p.ipProtocol) ?? '',
    from: Number(str(p.fromPort) ?? NaN),
    to: Number(str(p.toPort) ?? NaN),
    cidrs: [
      ...list(p.ipRanges).map((r) => str(obj(r)?.cidrIp) ?? ''),
      ...list(p.ipv6Ranges).map((r) => str(obj(r)?.cidrIpv6) ?? ''),
      str(p.cidrIp) ?? '',
    ].filter(Boolean),
  });
  const nested = list(request.ipPermissions).map(obj).filter((p): p is Record<string, unknown> => p !== null);
  return [parse(request), ...nested.map(parse)];
}

const ADMIN_PORTS: [number, string][] = [
  [22, '22 (SSH)'],
  [3389, '3389 (RDP)'],
];

function onIngress(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  for (const p of permissions(request)) {
    // `/0` in any form: anonymised logs keep the prefix length but not always the zero address.
    if (!p.cidrs.some((c) => c.endsWith('/0'))) continue;
    const tcp = p.protocol === 'tcp' || p.protocol === '6';
    // Every protocol, or every TCP port (0–65535; 1–65535 is the same opening).
    const allPorts = p.protocol === '-1' || p.protocol === 'all' || (tcp && p.from <= 1 && p.to >= 65535);
    const ports = allPorts ? ['all ports'] : tcp ? ADMIN_PORTS.filter(([port]) => p.from <= port && port <= p.to).map(([, label]) => label) : [];
    if (!ports.length) continue;
    const group = str(request.groupId) ?? str(request.groupName) ?? 'unknown-group';
    // Admins open SSH or RDP to the world more often than attackers do: a misconfiguration, Low. Every port is Medium.
    context.emit({ type: OPEN_PORT, event, severity: allPorts ? 5 : undefined, aggregateBy: group, vars: { group, ports: ports.join(' and ') } });
    return;
  }
}

/** A network ACL is set up in the hour after its creation: its allow-all rule then mirrors the default ACL's. */
const NACL_SETUP = HOUR;

/** Every protocol, or every port of one (0–65535; 1–65535 is the same opening). Return-traffic ranges (1024–65535) are not. */
function allTraffic(request: Record<string, unknown>): boolean {
  const protocol = str(request.aclProtocol) ?? str(request.protocol) ?? '';
  if (protocol === '-1' || protocol === 'all') return true;
  const range = obj(request.portRange);
  return Number(str(range?.from) ?? NaN) <= 1 && Number(str(range?.to) ?? NaN) >= 65535;
}

/**
 * An inbound allow-everything rule from the whole internet on a network ACL that was there before: the
 * subnet's stateless firewall no longer blocks what it was set to block. Low: security groups still filter,
 * and the default ACL (which CreateVpc makes without an event) and most public subnets allow all inbound.
 */
function onNetworkAclEntry(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const acl = str(request.networkAclId) ?? 'unknown-acl';
  if (event.api === 'CreateNetworkAcl') {
    const created = str(obj(event.response?.networkAcl)?.networkAclId);
    if (created) firstTime(habits(context), `nacl>${created}`, event.time);
    return;
  }
  // Terraform's VPC module and aws_default_network_acl write the same allow-all rule as reviewed code.
  if (isIacAgent(event.userAgent)) return;
  if (String(request.egress) !== 'false' || str(request.ruleAction) !== 'allow' || !allTraffic(request)) return;
  const cidr = str(request.cidrBlock) ?? str(request.ipv6CidrBlock) ?? '';
  if (!cidr.endsWith('/0')) return;
  const created = getEntry(habits(context), `nacl>${acl}`);
  if (created !== undefined && event.time - created >= 0 && event.time - created <= NACL_SETUP) return;
  context.emit({ type: OPEN_NACL, event, aggregateBy: acl, vars: { acl, cidr, rule: str(request.ruleNumber) ?? 'unknown' } });
}

// ---- remote access ----

function onInstanceConnect(event: ApiEvent, context: DetectionContext): void {
  const instanceId = str(event.request?.instanceId) ?? null;
  const first = firstTime(habits(context), `connect>${event.principalKey}`, event.time);
  const { burst, evidence } = trackBurst(context, 'connect', event.principalKey, event, present(instanceId), CONNECT_WINDOW);
  if (burst.items.length >= CONNECT_INSTANCES) {
    if (burst.reported || shouldReport(context, 'connect', event, burst)) {
      reportWhenWindowCloses(context, evidence, burst, CONNECT_WINDOW, event, (window) =>
        context.emit({ type: CONNECT, ...window, severity: 5, vars: { instances: burst.items.length, scope: `${burst.items.length} instances` } }),
      );
    }
    return;
  }
  // A principal's first use is worth a Low note once the account's normal users are known.
  if (first && learningOver(context, event)) context.emit({ type: CONNECT, event, vars: { instances: 1, scope: `instance ${instanceId ?? 'unknown'}` } });
}

function onSerialConsole(event: ApiEvent, context: DetectionContext): void {
  const instanceId = str(event.request?.instanceId);
  const what = instanceId ? `pushed an SSH key to the serial console of ${instanceId}` : 'enabled serial console access for the account';
  context.emit({ type: SERIAL, event, severity: !instanceId && isIacAgent(event.userAgent) ? 2 : undefined, aggregateBy: instanceId ?? 'account', vars: { what } });
}

/**
 * A key push the service refused (serial console off, instance type or state, session limit, no permission)
 * still shows someone reaching for an instance's console from a script: Low. The console's own Connect
 * button and IaC are administration.
 */
function onSerialConsoleRefused(event: ApiEvent, context: DetectionContext): void {
  if (isConsoleAgent(event.userAgent) || isIacAgent(event.userAgent)) return;
  const instanceId = str(event.request?.instanceId) ?? 'unknown-instance';
  context.emit({ type: SERIAL, event, severity: 2, aggregateBy: instanceId, vars: { what: `tried to push an SSH key to the serial console of ${instanceId} (refused: ${event.errorCode})` } });
}

// ---- AMIs ----

/**
 * A role session named by the SDK's default (`aws-go-sdk-<nanos>`, `botocore-session-<secs>`): a CLI or SDK
 * profile chaining into a role from someone's terminal; services and pipelines name their sessions.
 */
const sdkDefaultSession = (event: ApiEvent) => event.actor.type === 'AssumedRole' && /^(aws-go-sdk|botocore-session|aws-sdk-java|aws-sdk-js)-\d+$/.test(callerName(event) ?? '');

function onDeregister(event: ApiEvent, context: DetectionContext): void {
  // Image pipelines clean up old AMIs every day: once a principal has done it on an earlier day, it is routine.
  if (wasHabit(habits(context), `deregister>${event.principalKey}`, event.time)) return;
  const { burst, evidence } = trackBurst(context, 'deregister', event.principalKey, event, present(event.request?.imageId), DEREGISTER_WINDOW);
  if (burst.reported || (burst.items.length >= DEREGISTER_IMAGES && !burst.fired)) {
    burst.fired = true;
    reportWhenWindowCloses(context, evidence, burst, DEREGISTER_WINDOW, event, (window) =>
      context.emit({ type: DEREGISTER, ...window, severity: 5, vars: { images: burst.items.length, image: burst.items.join(', ') } }),
    );
    return;
  }
  if (burst.calls === 1 && (isPersonLike(event) || sdkDefaultSession(event)) && !isIacAgent(event.userAgent)) {
    context.emit({ type: DEREGISTER, event, vars: { images: 1, image: str(event.request?.imageId) ?? 'unknown' } });
  }
}

// ---- instance profiles ----

/**
 * A role put on a running instance: whoever can log in to it now holds the role's credentials (iam:PassRole
 * through the back door). Consoles, infrastructure as code and a principal that did so on an earlier day are
 * administration, Low; a first change made through an SDK or the CLI, or from an instance's own
 * credentials, is Medium.
 */
function onInstanceProfile(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const association = obj(event.response?.iamInstanceProfileAssociation);
  const profile = obj(request.iamInstanceProfile);
  const profileName = str(profile?.arn) ?? str(profile?.name) ?? str(obj(association?.iamInstanceProfile)?.arn) ?? 'unknown-profile';
  const instanceId = str(request.instanceId) ?? str(association?.instanceId) ?? str(request.associationId) ?? 'unknown-instance';
  const routine = wasHabit(habits(context), `profile>${event.principalKey}`, event.time);
  const administration = routine || isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent);
  const fromInstance = instanceOfSession(event) !== null;
  context.emit({
    type: PROFILE,
    event,
    severity: fromInstance || !administration ? 5 : undefined,
    aggregateBy: instanceId,
    instance: instanceId.startsWith('i-') ? { instanceId } : undefined,
    vars: { instanceId, profile: profileName, how: event.api === 'AssociateIamInstanceProfile' ? 'attached' : 'swapped in' },
  });
}

/** Launches are judged whoever makes them: Auto Scaling and fleets launch what someone asked for. */
const LAUNCH_APIS = new Set(['RunInstances', 'RequestSpotInstances', 'CreateFleet', 'RequestSpotFleet']);

function onEc2Event(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  if (LAUNCH_APIS.has(event.api)) return onLaunch(event, context);
  if (isAwsServiceCall(event)) return;
  // Denied reads are part of the enumeration signal; denied changes changed nothing.
  if (event.api === 'DescribeInstanceAttribute') return onUserDataRead(event, context);
  if (event.api === 'GetPasswordData') return onInstanceSecretRead(event, context, 'password', PASSWORD, false);
  if (event.api === 'SendSerialConsoleSSHPublicKey' && event.failed) return onSerialConsoleRefused(event, context);
  if (event.failed) return;
  switch (event.api) {
    case 'ModifyInstanceAttribute':
      return onUserDataChange(event, context);
    case 'AuthorizeSecurityGroupIngress':
      return onIngress(event, context);
    case 'CreateNetworkAcl':
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
      return onNetworkAclEntry(event, context);
    case 'SendSSHPublicKey':
      return onInstanceConnect(event, context);
    case 'SendSerialConsoleSSHPublicKey':
    case 'EnableSerialConsoleAccess':
      return onSerialConsole(event, context);
    case 'DeregisterImage':
      return onDeregister(event, context);
    case 'AssociateIamInstanceProfile':
    case 'ReplaceIamInstanceProfileAssociation':
      return onInstanceProfile(event, context);
  }
}

// ---- enumeration with an instance's own credentials ----

const ENUM_WINDOW = 15 * MINUTE;
const ENUM_APIS = 5;
const ENUM_SERVICES = 3;
const ENUM_SENSITIVE = 2;
/** Agents on instances (SSM, ECS, CloudWatch, KMS, STS refresh) poll these constantly: not discovery. */
const AGENT_SERVICES = new Set(['ssm', 'ec2messages', 'ssmmessages', 'ecs', 'ecr', 'logs', 'monitoring', 'kms', 'sts']);
/** Discovery that workloads rarely need: who exists, what is watching, where the data is. */
const SENSITIVE = /^(iam|organizations|cloudtrail|guardduty|securityhub|config|access-analyzer):|^secretsmanager:List|^s3:ListBuckets$|^ec2:DescribeSnapshots$/;

/** List/Describe calls, and Get calls that describe the account rather than read an application's data. */
function isDiscovery(event: ApiEvent, call: string): boolean {
  if (event.isS3DataEvent) return false;
  if (/^(List|Describe)/.test(event.api)) return !AGENT_SERVICES.has(event.serviceShort);
  return event.api.startsWith('Get') && (SENSITIVE.test(call) || call === 'sts:GetCallerIdentity');
}

function onAnyEvent(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  const instanceId = instanceOfSession(event);
  if (!instanceId) return;
  const call = `${event.serviceShort}:${event.api}`;
  if (!isDiscovery(event, call)) return;
  const { burst, evidence } = trackBurst(context, 'enum', event.actor.arn ?? instanceId, event, [call], ENUM_WINDOW, { itemCap: 30 });
  const services = () => new Set(burst.items.map((i) => i.slice(0, i.indexOf(':'))));
  const report = (window: BurstWindow) =>
    context.emit({
      type: ENUMERATION,
      ...window,
      severity: burst.facts?.probing ? 5 : undefined,
      instance: { instanceId },
      vars: { instanceId, apis: burst.items.length, services: services().size, calls: burst.items.slice(0, 10).join(', ') },
    });
  // Probing once refusals were most of the calls, from the threshold on: later successes do not make it less
  // so, and refusals CloudTrail delivers late (in the next run) make it so as in a run that read them in order.
  if (burst.facts && !burst.facts.probing && isProbing(burst, READ_FAILURES)) burst.facts.probing = true;
  if (burst.reported) return reportWhenWindowCloses(context, evidence, burst, ENUM_WINDOW, event, report);
  if (burst.fired || burst.items.length < ENUM_APIS) return;
  const sensitive = burst.items.filter((i) => SENSITIVE.test(i));
  if (services().size < ENUM_SERVICES || sensitive.length < ENUM_SENSITIVE) return;
  burst.fired = true;
  const role = event.actor.sessionIssuerArn ?? event.principalKey;
  if (wasHabit(habits(context), `enum>${role}`, event.time)) return;
  burst.facts = { probing: isProbing(burst, READ_FAILURES) };
  reportWhenWindowCloses(context, evidence, burst, ENUM_WINDOW, event, report);
}

// ---- cases ----

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 2, 10, minute, second)).toISOString().replace('.000Z', 'Z');
const ec2 = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ctEvent({ service: 'ec2', name, request, time, identity, ...extra });
const denied = (record: Record<string, unknown>) => ({ ...record, errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' });
const ops = assumedRole('AWSReservedSSO_Ops_5f6e7d8c', 'oscar@example.com');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const webRole = instanceRole('web-server', 'i-0a12b34c56d78e90f');
const fromInstance = (service: string, name: string, second: number, identity = webRole, errorCode?: string) =>
  ctEvent({ service, name, time: at(0, second), identity, request: {}, errorCode, ip: '10.0.3.17' });
const HOSTING = '159.89.41.17';
const serialPush = (time: string, identity: Record<string, unknown>, errorCode: string, userAgent?: string) =>
  ctEvent({ service: 'ec2-instance-connect', name: 'SendSerialConsoleSSHPublicKey', time, identity, errorCode, userAgent, request: { instanceId: 'i-0a12b34c56d78e90f', serialPort: 0, sSHPublicKey: 'ssh-ed25519 AAAA…' } });
const intruder = iamUser('build-bot');
const INSTANCES = ['i-0a12b34c56d78e901', 'i-0b23c45d67e89f012', 'i-0c34d56e78f90a123', 'i-0d45e67f89a01b234', 'i-0e56f78a90b12c345', 'i-0f67a89b01c23d456'];
/** Six Windows passwords read, and all six returned: worse than being refused. */
export const PASSWORDS_READ = 'Windows passwords of six instances read successfully by an IAM user';
export const ALL_TCP_PORTS = 'every TCP port opened to ::/0';
export const SIX_AMIS = 'six AMIs deregistered within an hour';
const ingress = (cidr: string, from: number, to: number, identity = terraform, protocol = 'tcp') =>
  ec2('AuthorizeSecurityGroupIngress', { groupId: 'sg-003dc7f1f1c686164', ipPermissions: { items: [{ ipProtocol: protocol, fromPort: from, toPort: to, ipRanges: { items: [{ cidrIp: cidr }] } }] } }, at(0), identity, { userAgent: TERRAFORM_AGENT });

export const ec2Execution: ApiDetection = {
  id: 'gumshoe-ec2-execution',
  source: 'cloudtrail',
  apis: ['ModifyInstanceAttribute', 'DescribeInstanceAttribute', 'GetPasswordData', ...LAUNCH_APIS, 'AuthorizeSecurityGroupIngress', 'CreateNetworkAcl', 'CreateNetworkAclEntry', 'ReplaceNetworkAclEntry', 'SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey', 'EnableSerialConsoleAccess', 'DeregisterImage', 'AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation'],
  types: [
    {
      type: USER_DATA,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0002 Execution', technique: 'T1059 Command and Scripting Interpreter' },
      title: 'The user data of EC2 instance {instanceId} was changed.',
      description: '{principal} changed the user data of instance {instanceId} from {ip}. User data runs as root when the instance starts, so the next start runs whatever was put there.',
      remediation: 'Read the instance’s user data (DescribeInstanceAttribute userData) and compare it with your launch template. If it is not yours, do not start the instance; restore the user data and investigate the caller.',
    },
    {
      type: USER_DATA_READ,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0007 Discovery', technique: 'T1580 Cloud Infrastructure Discovery' },
      title: '{principal} read the user data of {instances} instances in a few minutes.',
      description: '{principal} called DescribeInstanceAttribute for userData on {instances} instances within 10 minutes from {ip} ({denied} denied). User data often holds secrets and bootstrap scripts.',
      remediation: 'Check whether the principal is a known inventory or security scanner. If not, treat its credentials as compromised and move secrets out of user data.',
    },
    {
      type: PASSWORD,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552 Unsecured Credentials' },
      title: '{principal} asked for the Windows password data of {instances} instances.',
      description: '{principal} called GetPasswordData for {instances} instances within 10 minutes from {ip} ({denied} denied). The encrypted administrator password can be decrypted with the instance’s key pair.',
      remediation: 'Confirm with the principal’s owner. If unexpected, revoke its credentials, rotate the local administrator passwords of the instances, and review RDP access to them.',
    },
    {
      type: LAUNCH,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1496 Resource Hijacking' },
      title: 'An unusual EC2 launch ({instanceType}) {outcome}.',
      description: '{principal} called {api} from {ip} and it {outcome}: {reason}. Attackers launch such instances for cryptomining.',
      remediation: 'Check who needs these instances. If nobody does, terminate them, revoke the caller’s credentials, and cap instance types with an SCP or service quotas.',
    },
    {
      type: OPEN_PORT,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.007 Impair Defenses: Disable or Modify Cloud Firewall' },
      title: 'Security group {group} now allows {ports} from the whole internet.',
      description: '{principal} called AuthorizeSecurityGroupIngress on {group} from {ip}, opening {ports} to 0.0.0.0/0 or ::/0.',
      remediation: 'Remove the rule and use Session Manager, EC2 Instance Connect Endpoint or a VPN instead of open administration ports.',
    },
    {
      type: OPEN_NACL,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.007 Impair Defenses: Disable or Modify Cloud Firewall' },
      title: 'Network ACL {acl} now allows all inbound traffic from {cidr}.',
      description: '{principal} called {api} on network ACL {acl} from {ip}: rule {rule} lets every protocol and port in from {cidr}. The subnets behind it are left to their security groups alone.',
      remediation: 'If the ACL blocked traffic on purpose (a quarantine, a deny list), restore the rule it replaced and review the security groups of the subnets’ instances.',
    },
    {
      type: CONNECT,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0008 Lateral Movement', technique: 'T1021.004 Remote Services: SSH' },
      title: '{principal} pushed SSH keys with EC2 Instance Connect to {scope}.',
      description: '{principal} called SendSSHPublicKey for {scope} from {ip}. The pushed key grants SSH access for 60 seconds.',
      remediation: 'Confirm the sessions with the principal’s owner; check the instances’ SSH logs. Restrict ec2-instance-connect:SendSSHPublicKey to the people who administer those instances.',
    },
    {
      type: SERIAL,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0008 Lateral Movement', technique: 'T1021.004 Remote Services: SSH' },
      title: '{principal} {what}.',
      description: '{principal} called {api} from {ip}: it {what}. The serial console reaches an instance even without network access or a running SSH daemon.',
      remediation: 'Disable serial console access for the account unless it is needed for recovery, and confirm the session with the principal’s owner.',
    },
    {
      type: DEREGISTER,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
      title: '{principal} deregistered {images} AMI(s).',
      description: '{principal} called DeregisterImage from {ip} for {image}. Deregistered images cannot be launched again; recovery needs the backing snapshots.',
      remediation: 'Confirm the cleanup was planned. Keep the backing snapshots until it is, and protect golden images with AMI deregistration protection.',
    },
    {
      type: PROFILE,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.003 Account Manipulation: Additional Cloud Roles' },
      title: 'Instance profile {profile} was {how} on EC2 instance {instanceId}.',
      description: '{principal} called {api} from {ip}: instance {instanceId} now runs with {profile}, and anyone who can run code on it holds that role’s credentials.',
      remediation: 'Confirm the change with the instance’s owner. If unexpected, restore the previous instance profile, check which calls the role made since (session name = instance id), and narrow who may pass that role (iam:PassRole).',
    },
  ],
  onEvent: onEc2Event,
  finish: (context) => flushDeferred(context),
  cases: () => [
    { name: 'Stratus: user data replaced on a stopped instance', datasets: [{ stratus: 'aws.execution.ec2-user-data' }], expect: [USER_DATA] },
    { name: 'Panther: user data changed', datasets: [{ panther: 'AWS.EC2.Startup.Script.Change', test: 'ModifyInstanceAttributeUserdata' }], expect: [USER_DATA] },
    { name: 'Stratus: 30 denied GetPasswordData calls', datasets: [{ stratus: 'aws.credential-access.ec2-get-password-data' }], expect: [PASSWORD] },
    { name: 'Stratus: p2.xlarge ×10 launch, denied', datasets: [{ stratus: 'aws.execution.ec2-launch-unusual-instances' }], expect: [LAUNCH] },
    { name: 'Panther: GPU instances launched by an Auto Scaling group', datasets: [{ panther: 'AWS.EC2.LaunchUnusualEC2Instances', test: 'Successful Unusual EC2' }], expect: [LAUNCH] },
    { name: 'Stratus: SSH opened to the internet', datasets: [{ stratus: 'aws.exfiltration.ec2-security-group-open-port-22-ingress' }], expect: [OPEN_PORT] },
    { name: 'Stratus: Instance Connect keys pushed to three instances', datasets: [{ stratus: 'aws.lateral-movement.ec2-instance-connect' }], expect: [CONNECT] },
    {
      name: 'user data of many instances read, mostly denied (Stratus ec2-download-user-data shape)',
      records: repeated(15, at(0), 0.1, (time, i) => denied(ec2('DescribeInstanceAttribute', { attribute: 'userData', instanceId: `i-0000000000000${100 + i}` }, time, assumedRole('stratus-red-team-dud-role', 'aws-go-sdk-1')))),
      expect: [USER_DATA_READ],
    },
    {
      name: 'serial console enabled, then a key pushed to it',
      records: [
        ec2('EnableSerialConsoleAccess', {}, at(0), iamUser('mallory')),
        ctEvent({ service: 'ec2-instance-connect', name: 'SendSerialConsoleSSHPublicKey', time: at(1), identity: iamUser('mallory'), request: { instanceId: 'i-0a12b34c56d78e90f', serialPort: 0, sSHPublicKey: 'ssh-ed25519 AAAA…' } }),
      ],
      expect: [SERIAL],
    },
    {
      name: 'serial console key pushes refused: console off, then an unsupported instance type (Low)',
      records: [
        serialPush(at(0), iamUser('mallory'), 'SerialConsoleAccessDisabledException'),
        serialPush(at(1), assumedRole('ops-admin', 'aws-go-sdk-1730541600000000000'), 'Ec2InstanceTypeInvalidException'),
      ],
      technique: 'aws.lateral-movement.ec2-serial-console-send-ssh-public-key',
      expect: [SERIAL],
    },
    { name: 'a serial console connection refused from the console’s Connect button', records: [serialPush(at(0), ops, 'SerialConsoleAccessDisabledException', CONSOLE_AGENT)], expect: [] },
    {
      name: 'an AMI deregistered from a CLI profile that assumes a role (aws-go-sdk session; Low)',
      records: [ec2('DeregisterImage', { imageId: 'ami-0b87ea1d007078d18' }, at(0), assumedRole('red-team-operator', 'aws-go-sdk-1730541600000000000'))],
      technique: 'aws.impact.ec2-deregister-ami',
      expect: [DEREGISTER],
    },
    { name: 'an image pipeline role deregistering one old AMI', records: [ec2('DeregisterImage', { imageId: 'ami-0c1d2e3f4a5b6c7d8' }, at(0), assumedRole('image-builder', 'ami-cleanup-20261102'))], expect: [] },
    {
      name: 'an AMI deregistered by hand (Stratus ec2-deregister-ami shape), then a burst of five',
      records: [
        ec2('DeregisterImage', { imageId: 'ami-0b87ea1d007078d18', deleteAssociatedSnapshots: false }, at(0), iamUser('mallory')),
        ...repeated(4, at(5), 1, (time, i) => ec2('DeregisterImage', { imageId: `ami-0b87ea1d00707800${i}` }, time, iamUser('mallory'))),
      ],
      expect: [DEREGISTER],
    },
    {
      name: 'SSH opened to ::/0 with an all-protocols rule',
      records: [
        ec2('AuthorizeSecurityGroupIngress', { groupId: 'sg-0b1c2d3e4f5a6b7c8', ipPermissions: { items: [{ ipProtocol: '-1', ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } }] } }, at(0), iamUser('mallory')),
      ],
      expect: [OPEN_PORT],
    },
    {
      name: 'user data replaced with the CLI’s --attribute userData --value form',
      records: [ec2('ModifyInstanceAttribute', { instanceId: INSTANCES[2], attribute: 'userData', value: '<sensitiveDataRemoved>' }, at(0), intruder, { ip: HOSTING, response: { _return: true } })],
      expect: [USER_DATA],
    },
    {
      name: PASSWORDS_READ,
      records: INSTANCES.map((id, i) => ec2('GetPasswordData', { instanceId: id }, at(0, 20 * i), intruder, { ip: HOSTING, response: { instanceId: id, timestamp: 1761900000000, passwordData: '<sensitiveDataRemoved>' } })),
      expect: [PASSWORD],
    },
    {
      name: 'user data of six instances read successfully by an IAM user',
      records: INSTANCES.map((id, i) => ec2('DescribeInstanceAttribute', { instanceId: id, attribute: 'userData' }, at(0, 10 * i), intruder, { ip: HOSTING, response: { instanceId: id, userData: '<sensitiveDataRemoved>' } })),
      expect: [USER_DATA_READ],
    },
    {
      name: 'four p4d.24xlarge Spot Instances requested (RequestSpotInstances)',
      records: [
        ec2('RequestSpotInstances', { instanceCount: 4, type: 'one-time', launchSpecification: { imageId: 'ami-0c101f26f147fa7fd', instanceType: 'p4d.24xlarge' } }, at(0), intruder, {
          ip: HOSTING,
          response: { spotInstanceRequestSet: { items: [{ spotInstanceRequestId: 'sir-0a1b2c3d', state: 'open' }] } },
        }),
      ],
      expect: [LAUNCH],
    },
    {
      name: 'an instant EC2 Fleet of ten g5.48xlarge (CreateFleet, as CloudTrail wraps it)',
      records: [
        ec2(
          'CreateFleet',
          {
            CreateFleetRequest: {
              Type: 'instant',
              TargetCapacitySpecification: { TotalTargetCapacity: 10, DefaultTargetCapacityType: 'on-demand' },
              LaunchTemplateConfigs: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc1234def567890', Version: '$Latest' }, Overrides: { InstanceType: 'g5.48xlarge', tag: 1 }, tag: 1 },
            },
          },
          at(0),
          intruder,
          { ip: HOSTING, response: { CreateFleetResponse: { fleetId: 'fleet-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' } } },
        ),
      ],
      expect: [LAUNCH],
    },
    {
      name: 'a Spot Fleet of x2iedn.32xlarge (RequestSpotFleet launch specifications)',
      records: [
        ec2(
          'RequestSpotFleet',
          { spotFleetRequestConfig: { iamFleetRole: 'arn:aws:iam::111122223333:role/aws-ec2-spot-fleet-tagging-role', targetCapacity: 8, launchSpecifications: { items: [{ imageId: 'ami-0c101f26f147fa7fd', instanceType: 'x2iedn.32xlarge' }] } } },
          at(0),
          intruder,
          { ip: HOSTING, response: { spotFleetRequestId: 'sfr-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' } },
        ),
      ],
      expect: [LAUNCH],
    },
    { name: ALL_TCP_PORTS, records: [ec2('AuthorizeSecurityGroupIngress', { groupId: 'sg-0b1c2d3e4f5a6b7c8', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 0, toPort: 65535, ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } }] } }, at(0), intruder, { ip: HOSTING })], expect: [OPEN_PORT] },
    { name: SIX_AMIS, records: repeated(6, at(0), 2, (time, i) => ec2('DeregisterImage', { imageId: `ami-0b87ea1d00707811${i}` }, time, intruder, { ip: HOSTING })), expect: [DEREGISTER] },
    { name: 'Panther: instance type change; a different API', datasets: [{ panther: 'AWS.EC2.Startup.Script.Change', test: 'ModifyInstanceAttribute-NoUserData' }, { panther: 'AWS.EC2.Startup.Script.Change', test: 'NoModifyInstanceAttribute' }], expect: [] },
    { name: 'Panther: a security scanner reading user data through CloudFormation', datasets: [{ panther: 'AWS.EC2.DownloadInstanceUserData', test: 'Panther Cloud Security Scanning' }], expect: [] },
    { name: 'Panther: single password-data reads', datasets: [{ panther: 'AWS.EC2.ManyPasswordReadAttempts', test: 'Successful Attempt' }, { panther: 'AWS.EC2.ManyPasswordReadAttempts', test: 'Unsuccessful Attempt' }], expect: [] },
    { name: 'Panther: a failed Instance Connect push', datasets: [{ panther: 'AWS.EC2.MultiInstanceConnect', test: 'Public SSH Key Not Sent Successfully' }], expect: [] },
    {
      name: 'a quarantine network ACL opened to all inbound traffic (IPv4 and IPv6)',
      records: [
        ec2('ReplaceNetworkAclEntry', { networkAclId: 'acl-0c1d2e3f4a5b6c7d8', ruleNumber: 100, aclProtocol: '-1', ruleAction: 'allow', egress: false, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: {} }, at(0), intruder, { ip: HOSTING }),
        ec2('CreateNetworkAclEntry', { networkAclId: 'acl-0c1d2e3f4a5b6c7d8', ruleNumber: 101, aclProtocol: '6', ruleAction: 'allow', egress: false, ipv6CidrBlock: '::/0', icmpTypeCode: {}, portRange: { from: 0, to: 65535 } }, at(0, 20), intruder, { ip: HOSTING }),
      ],
      expect: [OPEN_NACL],
    },
    {
      name: 'network ACL rules for return traffic, outbound, a deny, a new ACL’s setup and Terraform’s VPC module',
      records: [
        ec2('CreateNetworkAclEntry', { networkAclId: 'acl-0a1b2c3d4e5f60718', ruleNumber: 120, aclProtocol: '6', ruleAction: 'allow', egress: false, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: { from: 1024, to: 65535 } }, at(0), ops),
        ec2('CreateNetworkAclEntry', { networkAclId: 'acl-0a1b2c3d4e5f60718', ruleNumber: 100, aclProtocol: '-1', ruleAction: 'allow', egress: true, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: {} }, at(0, 10), ops),
        ec2('CreateNetworkAclEntry', { networkAclId: 'acl-0a1b2c3d4e5f60718', ruleNumber: 90, aclProtocol: '-1', ruleAction: 'deny', egress: false, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: {} }, at(0, 20), ops),
        // CreateVpc makes the default ACL's allow-all rules itself; a new ACL given the same rule is its setup.
        ec2('CreateVpc', { cidrBlock: '10.20.0.0/16', instanceTenancy: 'default' }, at(1), ops, { response: { vpc: { vpcId: 'vpc-0f1e2d3c4b5a69788', cidrBlock: '10.20.0.0/16', isDefault: false } } }),
        ec2('CreateNetworkAcl', { vpcId: 'vpc-0f1e2d3c4b5a69788' }, at(2), ops, { response: { networkAcl: { networkAclId: 'acl-0e9d8c7b6a5f43210', vpcId: 'vpc-0f1e2d3c4b5a69788', default: false, entrySet: {} } } }),
        ec2('CreateNetworkAclEntry', { networkAclId: 'acl-0e9d8c7b6a5f43210', ruleNumber: 100, aclProtocol: '-1', ruleAction: 'allow', egress: false, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: {} }, at(3), ops),
        ec2('CreateNetworkAclEntry', { networkAclId: 'acl-0b2c3d4e5f6071829', ruleNumber: 100, aclProtocol: '-1', ruleAction: 'allow', egress: false, cidrBlock: '0.0.0.0/0', icmpTypeCode: {}, portRange: {} }, at(4), terraform, { userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
    {
      name: 'Terraform: security groups for the VPC CIDR and HTTPS to the world',
      records: [ingress('10.0.0.0/16', 22, 22), ingress('0.0.0.0/0', 443, 443), ingress('10.0.0.0/8', 0, 65535, terraform, '-1')],
      expect: [],
    },
    {
      name: 'an admin reads two Windows passwords in the console; ops pushes keys to two instances',
      records: [
        ec2('GetPasswordData', { instanceId: 'i-0aaa' }, at(0), ops, { userAgent: CONSOLE_AGENT }),
        ec2('GetPasswordData', { instanceId: 'i-0bbb' }, at(1), ops, { userAgent: CONSOLE_AGENT }),
        ctEvent({ service: 'ec2-instance-connect', name: 'SendSSHPublicKey', time: at(2), identity: ops, request: { instanceId: 'i-0aaa', instanceOSUser: 'ec2-user', sSHPublicKey: 'ssh-ed25519 AAAA' }, response: { success: true } }),
        ctEvent({ service: 'ec2-instance-connect', name: 'SendSSHPublicKey', time: at(3), identity: ops, request: { instanceId: 'i-0bbb', instanceOSUser: 'ec2-user', sSHPublicKey: 'ssh-ed25519 AAAA' }, response: { success: true } }),
      ],
      expect: [],
    },
    {
      name: 'the ML team’s GPU family, already run yesterday; normal instance sizes',
      records: [
        ec2('RunInstances', { instanceType: 'g5.xlarge', instancesSet: { items: [{ imageId: 'ami-1', minCount: 1, maxCount: 1 }] } }, '2026-11-01T09:00:00Z', assumedRole('MlTraining', 'job-1')),
        ec2('RunInstances', { instanceType: 'g5.2xlarge', instancesSet: { items: [{ imageId: 'ami-1', minCount: 1, maxCount: 2 }] } }, at(0), assumedRole('MlTraining', 'job-2')),
        ec2('RunInstances', { instanceType: 'm6i.large', instancesSet: { items: [{ imageId: 'ami-2', minCount: 1, maxCount: 3 }] } }, at(1), terraform, { userAgent: TERRAFORM_AGENT }),
      ],
      // The first g5 launch is reported once (the family was new then); the later one is not.
      expect: [LAUNCH],
    },
    {
      name: 'ordinary Spot and fleet launches: m6i.large ×2, a Karpenter-style fleet of c7g and m7g',
      records: [
        ec2('RequestSpotInstances', { instanceCount: 2, launchSpecification: { imageId: 'ami-2', instanceType: 'm6i.large' } }, at(0), ops),
        ec2(
          'CreateFleet',
          {
            CreateFleetRequest: {
              Type: 'instant',
              TargetCapacitySpecification: { TotalTargetCapacity: 3 },
              LaunchTemplateConfigs: { LaunchTemplateSpecification: { LaunchTemplateName: 'karpenter-default' }, Overrides: [{ InstanceType: 'c7g.xlarge', tag: 1 }, { InstanceType: 'm7g.2xlarge', tag: 2 }], tag: 1 },
            },
          },
          at(1),
          assumedRole('KarpenterController', '1730000000000000000'),
        ),
      ],
      expect: [],
    },
    {
      name: 'another instance attribute changed in the --attribute/--value form',
      records: [ec2('ModifyInstanceAttribute', { instanceId: 'i-0a12b34c56d78e90f', attribute: 'disableApiTermination', value: 'true' }, at(0), ops)],
      expect: [],
    },
    {
      name: 'the image pipeline’s daily AMI clean-up',
      records: [
        ...repeated(6, '2026-11-01T03:00:00Z', 1, (time, i) => ec2('DeregisterImage', { imageId: `ami-old${i}` }, time, assumedRole('ImagePipeline', 'cleanup'))),
        ...repeated(6, '2026-11-02T03:00:00Z', 1, (time, i) => ec2('DeregisterImage', { imageId: `ami-older${i}` }, time, assumedRole('ImagePipeline', 'cleanup'))),
      ],
      // Day one is a burst from a new principal (reported once); day two is its habit.
      expect: [DEREGISTER],
    },
    {
      name: 'an admin instance profile swapped onto a running instance with the CLI (Medium)',
      records: [
        ec2(
          'ReplaceIamInstanceProfileAssociation',
          { associationId: 'iip-assoc-08049da59357d598c', iamInstanceProfile: { arn: 'arn:aws:iam::111122223333:instance-profile/AdminProfile' } },
          at(0),
          intruder,
          { ip: HOSTING, response: { iamInstanceProfileAssociation: { associationId: 'iip-assoc-0b1d4c2a7e3f5d6c1', instanceId: 'i-0a12b34c56d78e90f', state: 'associating', iamInstanceProfile: { arn: 'arn:aws:iam::111122223333:instance-profile/AdminProfile', id: 'AIPAJ5EXAMPLE7XT5KQ' } } } },
        ),
      ],
      expect: [PROFILE],
    },
    {
      name: 'a denied instance profile swap changed nothing',
      records: [denied(ec2('ReplaceIamInstanceProfileAssociation', { associationId: 'iip-assoc-08049da59357d598c', iamInstanceProfile: { name: 'AdminProfile' } }, at(0), intruder))],
      expect: [],
    },
    {
      name: 'AWS services act on instances',
      records: [{ ...ec2('ModifyInstanceAttribute', { instanceId: 'i-0a12', userData: '<sensitiveDataRemoved>' }, at(0), awsService('ssm.amazonaws.com')), sourceIPAddress: 'ssm.amazonaws.com' }],
      expect: [],
    },
  ],
};

export const instanceEnumeration: ApiDetection = {
  id: 'gumshoe-instance-enumeration',
  source: 'cloudtrail',
  types: [
    {
      type: ENUMERATION,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0007 Discovery', technique: 'T1580 Cloud Infrastructure Discovery' },
      title: 'EC2 instance {instanceId} enumerated the account with its own role.',
      description: 'The instance role session of {instanceId} made {apis} different discovery calls across {services} services within 15 minutes from {ip} ({calls}). Workloads call a few APIs; someone exploring the account from a compromised instance calls many.',
      remediation: 'Find what ran on the instance at that time (SSM command history, shell history, process logs). If it is not an inventory tool, isolate the instance and narrow its role.',
    },
  ],
  onEvent: onAnyEvent,
  finish: (context) => flushDeferred(context),
  cases: () => [
    {
      name: 'discovery commands run on an instance over SSM (Stratus ec2-enumerate-from-instance shape)',
      records: [
        fromInstance('sts', 'GetCallerIdentity', 0),
        fromInstance('s3', 'ListBuckets', 2),
        fromInstance('iam', 'GetAccountSummary', 4, webRole, 'AccessDenied'),
        fromInstance('iam', 'ListRoles', 6, webRole, 'AccessDenied'),
        fromInstance('iam', 'ListUsers', 8, webRole, 'AccessDenied'),
        fromInstance('iam', 'GetAccountAuthorizationDetails', 10, webRole, 'AccessDenied'),
        fromInstance('ec2', 'DescribeSnapshots', 12),
        fromInstance('cloudtrail', 'DescribeTrails', 14),
        fromInstance('guardduty', 'ListDetectors', 16),
      ],
      expect: [ENUMERATION],
    },
    {
      name: 'workload and agent calls: ECS agent, SSM agent, app reading its config',
      records: [
        fromInstance('ecs', 'DiscoverPollEndpoint', 0),
        fromInstance('ecr', 'GetAuthorizationToken', 1),
        fromInstance('ecr', 'GetDownloadUrlForLayer', 2),
        fromInstance('ssm', 'ListInstanceAssociations', 3),
        fromInstance('ssm', 'GetParameters', 4),
        fromInstance('logs', 'DescribeLogStreams', 5),
        fromInstance('sts', 'GetCallerIdentity', 6),
        fromInstance('ec2', 'DescribeTags', 7),
        fromInstance('ec2', 'DescribeInstances', 8),
        fromInstance('dynamodb', 'DescribeTable', 9),
        fromInstance('secretsmanager', 'GetSecretValue', 10),
      ],
      expect: [],
    },
    {
      name: 'the same calls from a person are not instance enumeration',
      records: ['ListRoles', 'ListUsers', 'GetAccountSummary', 'ListPolicies', 'ListGroups'].map((api, i) => ctEvent({ service: i < 5 ? 'iam' : 'ec2', name: api, time: at(0, i), identity: ops, request: {} })),
      expect: [],
    },
  ],
};
