import type { ApiEvent } from '../api-event.js';
import { ACCOUNT, assumedRole, CONSOLE_AGENT, ctEvent, iamUser, networkActivity, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  accountOf,
  type BoundedMap,
  boundedMap,
  DAY,
  fromConsole,
  getEntry,
  HOUR,
  isAwsServiceCall,
  isExternalAccount,
  isIacAgent,
  list,
  obj,
  ownAccount,
  personVars,
  safeDecode,
  setEntry,
  str,
  wasHabit,
} from './gumshoe-common.js';
import { isAnonymousRequest } from './s3-resources.js';

/**
 * Infrastructure opened to an intruder: an instance's network traffic mirrored to a collector (every
 * packet, credentials in clear-text protocols included), a database made reachable from the internet (the
 * way restored snapshots are read out, with the master password reset to one the intruder knows), an
 * IAM principal made administrator of an EKS cluster through an access entry (from AWS credentials into
 * every workload and Kubernetes secret of the cluster), an EKS cluster's API server opened to the whole
 * internet (a leaked kubeconfig or token, or an API server flaw, is then usable from anywhere), IMDSv1 re-enabled (a server-side request forgery
 * reads the instance's credentials again), a disk exported as a VM image to S3, a domain readied for a
 * transfer to another registrar, and a VPC endpoint used with another account's credentials.
 *
 * A hands-on change through an SDK or the CLI is Medium; the console, infrastructure as code and a
 * principal that did the same on an earlier day (a network appliance's automation) are Low.
 */
const MIRROR = 'CredentialAccess:EC2/TrafficMirroringCreated.Gumshoe';
const PUBLIC_DB = 'Exfiltration:RDS/DatabaseMadePublic.Gumshoe';
const EKS_ADMIN = 'PrivilegeEscalation:EKS/ClusterAdminAccessGranted.Gumshoe';
const EKS_PUBLIC = 'Policy:EKS/ClusterEndpointMadePublic.Gumshoe';
const ENDPOINT = 'Exfiltration:EC2/VpcEndpointUsedByExternalAccount.Gumshoe';
const IMDS_V1 = 'DefenseEvasion:EC2/MetadataServiceV1Enabled.Gumshoe';
const VM_EXPORT = 'Exfiltration:EC2/DiskImageExported.Gumshoe';
const DOMAIN_UNLOCKED = 'Impact:Route53/DomainTransferUnlocked.Gumshoe';

/** A domain's transfer lock removed and its authorization code read by the same principal within this time: a transfer out is under way. */
const DOMAIN_TRANSFER_WINDOW = DAY;

/** A database's master password reset within this time of it being made public, by the same principal: a takeover. */
const TAKEOVER_WINDOW = HOUR;
/** Whoever created a cluster makes himself or his team admin right after (eksctl, the console, a bootstrap script). */
const CLUSTER_SETUP = DAY;

/** Access policies that make their principal administrator of the cluster (AmazonEKSAdminPolicy only at cluster scope). */
const CLUSTER_ADMIN = /:cluster-access-policy\/AmazonEKSClusterAdminPolicy$/;
const NAMESPACE_ADMIN = /:cluster-access-policy\/AmazonEKSAdminPolicy$/;

interface ExposureState {
  habits: BoundedMap<number>;
  /** account/db → who made it public, when and how. */
  exposed: BoundedMap<{ by: string; time: number; how: string }>;
  /** account/db → who reset its master password and when. */
  passwordResets: BoundedMap<{ by: string; time: number }>;
  /** account/region/cluster → who created it and when. */
  clusters: BoundedMap<{ by: string; time: number }>;
  /** account/region/cluster → whether its API server endpoint is open to the whole internet (false: private or limited to some addresses). */
  endpoints: BoundedMap<boolean>;
  /** account/domain/step (unlock, auth code) → who did it and when. */
  domainSteps: BoundedMap<{ by: string; time: number }>;
}

const state = (context: DetectionContext) =>
  context.state<ExposureState>('infrastructure-exposure', () => ({ habits: boundedMap(), exposed: boundedMap(), passwordResets: boundedMap(), clusters: boundedMap(), domainSteps: boundedMap(), endpoints: boundedMap() }));

/** Newer EC2 APIs wrap their parameters (`CreateTrafficMirrorSessionRequest`); the SDKs' older shape does not. */
const ec2Request = (event: ApiEvent) => obj(event.request?.[`${event.api}Request`]) ?? event.request ?? {};

function onMirrorSession(event: ApiEvent, context: DetectionContext): void {
  const request = ec2Request(event);
  const target = str(request.TrafficMirrorTargetId) ?? str(request.trafficMirrorTargetId);
  // A modification that leaves the target alone (description, packet length) sends nothing anywhere new.
  if (!target) return;
  const session = obj(obj(event.response?.[`${event.api}Response`])?.trafficMirrorSession) ?? obj(event.response?.trafficMirrorSession);
  const source = str(request.NetworkInterfaceId) ?? str(request.networkInterfaceId) ?? str(session?.networkInterfaceId) ?? 'an existing session’s interface';
  const routine = wasHabit(state(context).habits, `mirror>${event.principalKey}`, event.time);
  context.emit({
    type: MIRROR,
    event,
    severity: routine || isIacAgent(event.userAgent) || fromConsole(event) ? 2 : undefined,
    aggregateBy: `${source}>${target}`,
    vars: { ...personVars(event), source, target, how: event.api === 'CreateTrafficMirrorSession' ? 'now mirrors' : 'was re-pointed to mirror' },
  });
}

/**
 * IMDSv2 no longer required (`HttpTokens: optional`) on an instance, or as the account's default for new
 * ones: a server-side request forgery in any application on it can read the role's credentials again.
 */
function onMetadataOptions(event: ApiEvent, context: DetectionContext): void {
  const request = ec2Request(event);
  const tokens = str(request.HttpTokens) ?? str(request.httpTokens);
  if (tokens !== 'optional' && !(event.api === 'ModifyInstanceMetadataDefaults' && tokens === 'no-preference')) return;
  const instanceId = str(request.InstanceId) ?? str(request.instanceId);
  const target = instanceId ?? 'new instances (the account default)';
  const routine = wasHabit(state(context).habits, `imds-v1>${event.principalKey}`, event.time);
  context.emit({
    type: IMDS_V1,
    event,
    severity: routine || isIacAgent(event.userAgent) || fromConsole(event) ? 2 : undefined,
    aggregateBy: target,
    instance: instanceId ? { instanceId } : undefined,
    vars: { ...personVars(event), target },
  });
}

/**
 * An instance or AMI written out as a disk image to an S3 bucket (VM Import/Export): the whole disk leaves EC2
 * as a file anyone with the bucket can download. Rare outside migrations.
 */
function onDiskExport(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const source = str(request.instanceId) ?? str(request.imageId) ?? 'unknown';
  const bucket = str(obj(request.exportToS3)?.s3Bucket) ?? str(obj(request.s3ExportLocation)?.s3Bucket) ?? 'an S3 bucket';
  const routine = wasHabit(state(context).habits, `disk-export>${event.principalKey}`, event.time);
  context.emit({
    type: VM_EXPORT,
    event,
    severity: routine || isIacAgent(event.userAgent) || fromConsole(event) ? 2 : undefined,
    aggregateBy: source,
    vars: { ...personVars(event), source, bucket },
  });
}

/**
 * The two steps of moving a domain to another registrar: its transfer lock removed and its authorization code
 * read. Either alone is Medium by hand (Low from the console or through IaC); both by the same principal
 * within a day are High, whatever the tool.
 */
function onDomainStep(event: ApiEvent, context: DetectionContext): void {
  const domain = str(event.request?.domainName) ?? 'unknown-domain';
  const steps = state(context).domainSteps;
  const other = event.api === 'DisableDomainTransferLock' ? 'RetrieveDomainAuthCode' : 'DisableDomainTransferLock';
  setEntry(steps, `${ownAccount(event)}/${domain}/${event.api}`, { by: event.principalKey, time: event.time }, 2000);
  const before = getEntry(steps, `${ownAccount(event)}/${domain}/${other}`);
  const both = before !== undefined && before.by === event.principalKey && Math.abs(event.time - before.time) <= DOMAIN_TRANSFER_WINDOW;
  const administration = isIacAgent(event.userAgent) || fromConsole(event);
  context.emit({
    type: DOMAIN_UNLOCKED,
    event,
    severity: both ? 8 : administration ? 2 : undefined,
    aggregateBy: domain,
    vars: { ...personVars(event), domain, what: both ? 'its transfer lock was removed and its authorization code read' : event.api === 'DisableDomainTransferLock' ? 'its transfer lock was removed' : 'its transfer authorization code was read' },
  });
}

const dbKey = (event: ApiEvent, db: string) => `${ownAccount(event)}/${db}`;
const recentBy = (entry: { by: string; time: number } | undefined, event: ApiEvent) =>
  entry !== undefined && entry.by === event.principalKey && Math.abs(event.time - entry.time) <= TAKEOVER_WINDOW;

function onDatabase(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const db = str(request.dBInstanceIdentifier) ?? str(request.dBClusterIdentifier) ?? str(request.targetDBInstanceIdentifier) ?? 'unknown-database';
  const s = state(context);
  const key = dbKey(event, db);
  const passwordReset = event.api.startsWith('Modify') && request.masterUserPassword !== undefined;
  if (passwordReset) setEntry(s.passwordResets, key, { by: event.principalKey, time: event.time }, 2000);
  // A new database is public by default in a default VPC: its response says what it became. A modification's
  // response still shows the old value until the change is applied, so its request says.
  const created = CREATE_APIS.has(event.api);
  const madePublic = (created ? event.response?.publiclyAccessible ?? request.publiclyAccessible : request.publiclyAccessible) === true;
  const source = str(request.dBSnapshotIdentifier) ?? str(request.dBClusterSnapshotIdentifier) ?? str(request.sourceDBInstanceIdentifier) ?? str(request.sourceDBInstanceAutomatedBackupsArn);
  const exposedBefore = getEntry(s.exposed, key);
  const how = madePublic ? (created ? `created from ${source ?? 'a backup'} as a publicly accessible database` : 'made publicly accessible') : (exposedBefore?.how ?? 'made publicly accessible');
  if (madePublic) setEntry(s.exposed, key, { by: event.principalKey, time: event.time, how }, 2000);
  else if (!passwordReset || !recentBy(exposedBefore, event)) return;
  // Public and, by the same hands within the hour (either order, or one call), a password only they know:
  // the data is being taken.
  const takeover = madePublic ? recentBy(getEntry(s.passwordResets, key), event) : recentBy(exposedBefore, event);
  const handsOn = !isIacAgent(event.userAgent) && !fromConsole(event);
  let severity: number | undefined;
  if (isIacAgent(event.userAgent)) severity = 2;
  else if (takeover) severity = handsOn ? 8 : 5;
  else if (!handsOn) severity = 2;
  context.emit({
    type: PUBLIC_DB,
    event,
    severity,
    aggregateBy: db,
    vars: { ...personVars(event), db, how, password: takeover ? ' and its master password was reset by the same principal' : '' },
  });
}

/** EKS writes path parameters as they came, URL-encoded ARNs included. */
function decoded(value: unknown): string | undefined {
  const text = str(value);
  return text === undefined ? undefined : safeDecode(text);
}

const clusterKey = (event: ApiEvent, cluster: string) => `${ownAccount(event)}/${event.region}/${cluster}`;

const EVERYWHERE = new Set(['0.0.0.0/0', '::/0']);

/**
 * The public endpoint a cluster's VPC configuration asks for: open to the whole internet, limited (to some
 * addresses, or private only), or null when the call leaves it alone. A public endpoint without address
 * limits is open to every address: CreateCluster's default. An update that turns the public endpoint on
 * without naming addresses may only be restating it while changing private access: `restated`.
 */
function requestedEndpoint(event: ApiEvent): { open: boolean; restated: boolean } | null {
  const config = obj(event.request?.resourcesVpcConfig);
  if (!config) return null;
  const create = event.api === 'CreateCluster';
  const publicAccess = config.endpointPublicAccess ?? (create ? true : undefined);
  if (publicAccess === undefined) return null;
  if (publicAccess !== true && publicAccess !== 'true') return { open: false, restated: false };
  const cidrs = list(config.publicAccessCidrs).map(String);
  if (cidrs.length) return { open: cidrs.some((cidr) => EVERYWHERE.has(cidr)), restated: false };
  return { open: true, restated: !create };
}

/**
 * A cluster's API server endpoint opened to every address. Medium by hand; Low through IaC, from the
 * console, as a principal's habit, for a new cluster (public to everyone is CreateCluster's default) and for
 * an update that names no addresses on a cluster not known to be private. Nothing when it was open already.
 */
function onEndpointAccess(event: ApiEvent, context: DetectionContext, cluster: string): void {
  const endpoint = requestedEndpoint(event);
  if (!endpoint) return;
  const s = state(context);
  const key = clusterKey(event, cluster);
  const before = getEntry(s.endpoints, key);
  setEntry(s.endpoints, key, endpoint.open, 2000);
  if (!endpoint.open || before === true) return;
  const routine = wasHabit(s.habits, `eks-public>${event.principalKey}`, event.time);
  const created = event.api === 'CreateCluster';
  const low = routine || created || isIacAgent(event.userAgent) || fromConsole(event) || (endpoint.restated && before === undefined);
  context.emit({
    type: EKS_PUBLIC,
    event,
    severity: low ? 2 : undefined,
    aggregateBy: cluster,
    vars: { ...personVars(event), cluster, how: created ? 'was created with its API server endpoint public to every address' : 'had its API server endpoint opened to every address' },
  });
}

function onEks(event: ApiEvent, context: DetectionContext): void {
  const request = event.request ?? {};
  const cluster = str(request.name) ?? str(request.clusterName) ?? str(obj(event.response?.cluster)?.name) ?? 'unknown-cluster';
  const s = state(context);
  if (event.api === 'CreateCluster') setEntry(s.clusters, clusterKey(event, cluster), { by: event.principalKey, time: event.time }, 2000);
  if (event.api === 'CreateCluster' || event.api === 'UpdateClusterConfig') return onEndpointAccess(event, context, cluster);
  const policy = str(request.policyArn) ?? '';
  const scope = str(obj(request.accessScope)?.type) ?? 'cluster';
  if (!CLUSTER_ADMIN.test(policy) && !(NAMESPACE_ADMIN.test(policy) && scope === 'cluster')) return;
  const grantee = decoded(request.principalArn) ?? decoded(obj(event.response)?.principalArn) ?? 'unknown-principal';
  const granteeAccount = accountOf(grantee);
  const outside = granteeAccount !== null && isExternalAccount(granteeAccount, event, context.settings);
  const created = getEntry(s.clusters, clusterKey(event, cluster));
  const setup = created !== undefined && created.by === event.principalKey && event.time - created.time <= CLUSTER_SETUP && event.time >= created.time;
  let severity: number | undefined;
  if (outside) severity = isIacAgent(event.userAgent) ? 5 : 8;
  else if (setup || isIacAgent(event.userAgent) || fromConsole(event)) severity = 2;
  context.emit({
    type: EKS_ADMIN,
    event,
    severity,
    aggregateBy: `${cluster}>${grantee}`,
    remoteAccount: outside && granteeAccount ? { accountId: granteeAccount, affiliated: false } : undefined,
    vars: { ...personVars(event), cluster, grantee, policy: policy.replace(/^.*\//, ''), outside: outside ? ', an identity from outside the organization' : '' },
  });
}

/** Calls that create a database from existing data: a snapshot, a point in time, a backup in S3, a replica. */
const CREATE_APIS = new Set(['RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime', 'RestoreDBInstanceFromS3', 'CreateDBInstanceReadReplica']);
const DB_APIS = new Set(['ModifyDBInstance', 'ModifyDBCluster', ...CREATE_APIS]);

function onExposureEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event)) return;
  if (event.api === 'ModifyInstanceMetadataOptions' || event.api === 'ModifyInstanceMetadataDefaults') return onMetadataOptions(event, context);
  if (event.api === 'CreateInstanceExportTask' || event.api === 'ExportImage') return onDiskExport(event, context);
  if (event.service === 'route53domains.amazonaws.com') return onDomainStep(event, context);
  if (event.service === 'ec2.amazonaws.com') return onMirrorSession(event, context);
  if (event.service === 'rds.amazonaws.com' && DB_APIS.has(event.api)) return onDatabase(event, context);
  if (event.service === 'eks.amazonaws.com') onEks(event, context);
}

/**
 * A VPC endpoint's network activity event (CloudTrail logs it in the endpoint owner's account) for a caller
 * from an outside account: someone inside the network using credentials of an account that is not ours,
 * the way data is carried to an attacker's own bucket past bucket policies. Denied by the endpoint policy
 * (`VpceAccessDenied`) is Medium, the perimeter held; a pair of endpoint and account seen on an earlier day
 * (a vendor agent with its own credentials) is Low. Unsigned requests (public repositories) name no account.
 */
function onEndpointActivity(event: ApiEvent, context: DetectionContext): void {
  if (!event.vpcEndpointId || isAnonymousRequest(event)) return;
  const caller = event.actor.accountId;
  if (!caller || !isExternalAccount(caller, event, context.settings)) return;
  const denied = event.errorCode === 'VpceAccessDenied';
  const routine = wasHabit(state(context).habits, `endpoint>${event.vpcEndpointId}>${caller}`, event.time, 5000, !denied);
  context.emit({
    type: ENDPOINT,
    event,
    severity: routine ? 2 : denied ? 5 : undefined,
    aggregateBy: `${event.vpcEndpointId}>${caller}`,
    remoteAccount: { accountId: caller, affiliated: false },
    vars: { endpoint: event.vpcEndpointId, caller, outcome: denied ? 'was denied by the endpoint policy' : 'went through' },
  });
}

// ---- cases ----

const intruder = iamUser('svc-reporting');
const admin = assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');
const platform = assumedRole('PlatformBootstrap', 'eks-bootstrap-7');
const appliance = assumedRole('NdrSensorAutomation', 'sensor-sync');

const mirrorSession = (time: string, identity: Record<string, unknown> = intruder, userAgent?: string, eni = 'eni-0c61fbc84fca4138f') =>
  ctEvent({
    service: 'ec2',
    name: 'CreateTrafficMirrorSession',
    identity,
    time,
    userAgent,
    request: {
      CreateTrafficMirrorSessionRequest: {
        ClientToken: '3f1c2b7e-5a0d-4c8e-9b61-2d7a4e9f0c13',
        NetworkInterfaceId: eni,
        SessionNumber: 1,
        TrafficMirrorFilterId: 'tmf-010db9a7d8056cc2d',
        TrafficMirrorTargetId: 'tmt-0fd4b591901182794',
      },
    },
    response: {
      CreateTrafficMirrorSessionResponse: {
        clientToken: '3f1c2b7e-5a0d-4c8e-9b61-2d7a4e9f0c13',
        requestId: 'b4d6c7a1-2e3f-4a5b-8c9d-0e1f2a3b4c5d',
        trafficMirrorSession: {
          networkInterfaceId: eni,
          ownerId: '111122223333',
          packetLength: 0,
          sessionNumber: 1,
          trafficMirrorFilterId: 'tmf-010db9a7d8056cc2d',
          trafficMirrorSessionId: 'tms-0a7e2c4d9b1f3e5a6',
          trafficMirrorTargetId: 'tmt-0fd4b591901182794',
          virtualNetworkId: 4587211,
        },
        xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
      },
    },
  });

const rds = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = intruder, userAgent?: string) =>
  ctEvent({ service: 'rds', name, identity, time, userAgent, request });
const restorePublic = (time: string, identity: Record<string, unknown> = intruder, userAgent?: string) =>
  ctEvent({
    service: 'rds',
    name: 'RestoreDBInstanceFromDBSnapshot',
    identity,
    time,
    userAgent,
    request: { dBInstanceIdentifier: 'orders-copy', dBSnapshotIdentifier: 'rds:orders-prod-2026-11-01-03-10', dBInstanceClass: 'db.t3.medium', publiclyAccessible: true, vpcSecurityGroupIds: ['sg-0d2f1e3c4b5a69788'] },
    response: { dBInstanceIdentifier: 'orders-copy', dBInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:orders-copy', dBInstanceStatus: 'creating', engine: 'postgres', masterUsername: 'orders_admin', publiclyAccessible: true, storageEncrypted: true },
  });
const resetPassword = (db: string, time: string, identity: Record<string, unknown> = intruder, userAgent?: string) =>
  rds('ModifyDBInstance', { dBInstanceIdentifier: db, masterUserPassword: '****', applyImmediately: true }, time, identity, userAgent);

const associateAdmin = (principalArn: string, time: string, identity: Record<string, unknown> = intruder, userAgent?: string, policy = 'AmazonEKSClusterAdminPolicy', scope: Record<string, unknown> = { type: 'cluster' }) =>
  ctEvent({
    service: 'eks',
    name: 'AssociateAccessPolicy',
    identity,
    time,
    userAgent,
    request: { name: 'prod-payments', principalArn: encodeURIComponent(principalArn), policyArn: `arn:aws:eks::aws:cluster-access-policy/${policy}`, accessScope: scope },
    response: {
      clusterName: 'prod-payments',
      principalArn,
      associatedAccessPolicy: { policyArn: `arn:aws:eks::aws:cluster-access-policy/${policy}`, accessScope: { ...scope, namespaces: [] }, associatedAt: time, modifiedAt: time },
    },
  });
const createCluster = (time: string, identity: Record<string, unknown>) =>
  ctEvent({
    service: 'eks',
    name: 'CreateCluster',
    identity,
    time,
    userAgent: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/eks#1.46.2 eksctl/0.190.0',
    request: { name: 'prod-payments', version: '1.31', roleArn: 'arn:aws:iam::111122223333:role/eks-cluster-role', accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' } },
    response: { cluster: { name: 'prod-payments', arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod-payments', status: 'CREATING' } },
  });

/** UpdateClusterConfig of prod-payments with `vpc` as its resourcesVpcConfig. */
const endpointUpdate = (vpc: Record<string, unknown>, time: string, identity: Record<string, unknown> = intruder, userAgent?: string, cluster = 'prod-payments') =>
  ctEvent({
    service: 'eks',
    name: 'UpdateClusterConfig',
    identity,
    time,
    userAgent,
    request: { name: cluster, resourcesVpcConfig: vpc, clientRequestToken: '6a0c2f8e-3b1d-4e7a-9c5f-1d2e3f4a5b6c' },
    response: { update: { id: '9d3f0b2c-7a4e-4c1b-8e6d-5f2a1b0c9d8e', status: 'InProgress', type: 'EndpointAccessUpdate', params: [{ type: 'EndpointPublicAccess', value: String(vpc.endpointPublicAccess) }], createdAt: time, errors: [] } },
  });
const createWithVpc = (vpc: Record<string, unknown>, time: string, identity: Record<string, unknown>, userAgent?: string, cluster = 'analytics') =>
  ctEvent({
    service: 'eks',
    name: 'CreateCluster',
    identity,
    time,
    userAgent,
    request: { name: cluster, version: '1.31', roleArn: 'arn:aws:iam::111122223333:role/eks-cluster-role', resourcesVpcConfig: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'], ...vpc } },
    response: { cluster: { name: cluster, arn: `arn:aws:eks:us-east-1:111122223333:cluster/${cluster}`, status: 'CREATING' } },
  });

/** A network activity event of our S3 endpoint for a call signed by `identity`. */
const throughEndpoint = (identity: Record<string, unknown>, time: string, errorCode?: string) =>
  networkActivity(
    ctEvent({
      service: 's3',
      name: 'PutObject',
      identity,
      time,
      ip: '10.20.3.41',
      account: ACCOUNT,
      data: true,
      errorCode,
      errorMessage: errorCode ? 'The request was denied due to a VPC endpoint policy' : undefined,
    }),
  );
const outsider = { type: 'AWSAccount', principalId: 'AROAZ3EXAMPLEOUTSIDE:exfil', accountId: OTHER_ACCOUNT };

export const PUBLIC_RESTORE_TAKEOVER = 'a snapshot restored as a public database, then its master password reset (High)';
export const EKS_OUTSIDE_ADMIN = 'cluster admin granted to a role in an outside account (High)';

export const infrastructureExposure: ApiDetection = {
  id: 'gumshoe-infrastructure-exposure',
  source: 'cloudtrail',
  apis: ['CreateTrafficMirrorSession', 'ModifyTrafficMirrorSession', 'ModifyInstanceMetadataOptions', 'ModifyInstanceMetadataDefaults', 'CreateInstanceExportTask', 'ExportImage', 'DisableDomainTransferLock', 'RetrieveDomainAuthCode', ...DB_APIS, 'CreateCluster', 'UpdateClusterConfig', 'AssociateAccessPolicy'],
  types: [
    {
      type: MIRROR,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1040 Network Sniffing' },
      title: 'Network traffic of {source} {how} to {target}.',
      description:
        '{principal} called {api} from {ip}: traffic of network interface {source} {how} to traffic mirror target {target}. Every packet the interface sends or receives is copied there, credentials and data in clear-text protocols included.',
      remediation:
        'Check that the mirror target belongs to a known network-monitoring appliance. If not, delete the session (DeleteTrafficMirrorSession), the target and the filter, find what received the traffic, and rotate the credentials of the principal and any secrets that crossed the interface unencrypted.',
    },
    {
      type: PUBLIC_DB,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      title: 'RDS database {db} was {how}{password}.',
      description:
        '{principal} called {api} from {ip}: database {db} was {how}{password}. A public endpoint lets anyone who knows the master password read the data from anywhere; restoring a snapshot and resetting its password is how a database is copied out.',
      remediation:
        'Make the database private again (publicly-accessible false) and check its security groups. If the change was not planned, delete a restored copy, rotate the master password, and review the database’s connection logs and the principal’s other activity.',
    },
    {
      type: EKS_ADMIN,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0004 Privilege Escalation', technique: 'T1098.006 Account Manipulation: Additional Container Cluster Roles' },
      title: '{grantee} was made administrator of EKS cluster {cluster}.',
      description:
        '{principal} called AssociateAccessPolicy from {ip}, giving {grantee}{outside} the {policy} access policy on cluster {cluster}. It can now run anything in the cluster and read every Kubernetes secret, without any change to the aws-auth ConfigMap.',
      remediation:
        'Remove the access entry (DeleteAccessEntry) unless the grant was planned, review the cluster’s audit logs for what the principal did, and restrict eks:CreateAccessEntry and eks:AssociateAccessPolicy to the platform team.',
    },
    {
      type: EKS_PUBLIC,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.007 Impair Defenses: Disable or Modify Cloud Firewall' },
      title: 'EKS cluster {cluster} {how}.',
      description:
        '{principal} called {api} from {ip}: EKS cluster {cluster} {how} on the internet. Anyone holding a kubeconfig, a service account token or an access entry’s credentials can reach the Kubernetes API from anywhere, and every address can probe the API server.',
      remediation:
        'Limit the public endpoint to your networks (publicAccessCidrs) or turn it off and use the private endpoint. If the change was not planned, review the cluster’s audit logs for calls from unknown addresses since, and rotate service account tokens.',
    },
    {
      type: IMDS_V1,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562 Impair Defenses' },
      title: 'IMDSv1 was re-enabled for {target}.',
      description:
        '{principal} called {api} from {ip}: session tokens are no longer required by the instance metadata service of {target}. A server-side request forgery in any application there can read the instance role’s credentials with a plain GET again.',
      remediation:
        'Require IMDSv2 again (HttpTokens required) and enforce it with the ec2:MetadataHttpTokens condition or an SCP. Find out which application needed IMDSv1, and review the instance role’s use from outside the instance since the change.',
    },
    {
      type: VM_EXPORT,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      title: '{source} was exported as a disk image to {bucket}.',
      description: '{principal} called {api} from {ip}: the disk of {source} is being written to S3 bucket {bucket} as a virtual machine image, which can be downloaded and mounted anywhere.',
      remediation: 'Check the export task (DescribeExportTasks or DescribeExportImageTasks) and who owns the bucket. If it was not a planned migration, cancel it (CancelExportTask), delete the image from the bucket and treat the disk’s contents as disclosed.',
    },
    {
      type: DOMAIN_UNLOCKED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0042 Resource Development', technique: 'T1584.001 Compromise Infrastructure: Domains' },
      title: 'Domain {domain} was readied for a transfer out: {what}.',
      description: '{principal} called {api} from {ip} for {domain}: {what}. With both, anyone can move the registration to another registrar and take the domain’s web and mail traffic.',
      remediation: 'Re-enable the transfer lock (EnableDomainTransferLock) and, if a transfer was not planned, watch for its confirmation email and decline it; rotate the credentials of the principal.',
    },
  ],
  onEvent: onExposureEvent,
  cases: () => [
    { name: 'an IAM user’s key mirrors an instance’s traffic', records: [mirrorSession('2026-11-02T10:00:00Z')], expect: [MIRROR] },
    { name: 'Panther: a mirror session re-pointed to another target (console, Low)', datasets: [{ panther: 'AWS.EC2.Traffic.Mirroring', test: 'ModifyTrafficMirrorSession' }], expect: [MIRROR] },
    {
      name: 'Panther: mirror filters and targets, a failed session, a listing by AWS Config',
      datasets: [
        { panther: 'AWS.EC2.Traffic.Mirroring', test: 'CreateTrafficMirrorFilter' },
        { panther: 'AWS.EC2.Traffic.Mirroring', test: 'CreateTrafficMirrorTarget' },
        { panther: 'AWS.EC2.Traffic.Mirroring', test: 'CreateTrafficMirrorSession' },
        { panther: 'AWS.EC2.Traffic.Mirroring', test: 'AWS Config Runs DescribeTrafficMirrorTargets' },
      ],
      expect: [],
    },
    {
      name: 'a network appliance’s automation mirrors new instances every day (Low from the second day)',
      records: [
        mirrorSession('2026-11-01T09:00:00Z', appliance),
        mirrorSession('2026-11-02T10:00:00Z', appliance, undefined, 'eni-07e3a9c1d5b2f4e60'),
      ],
      expect: [MIRROR],
    },
    { name: 'Terraform sets up traffic mirroring (Low)', records: [mirrorSession('2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT)], expect: [MIRROR] },
    { name: PUBLIC_RESTORE_TAKEOVER, records: [restorePublic('2026-11-02T10:00:00Z'), resetPassword('orders-copy', '2026-11-02T10:14:00Z')], expect: [PUBLIC_DB] },
    {
      name: 'Panther: instance and cluster made public, a snapshot restored as public',
      datasets: [
        { panther: 'AWS.RDS.InstanceMadePublic', test: 'RDS Instance Made Public' },
        { panther: 'AWS.RDS.InstanceMadePublic', test: 'RDS Cluster Made Public with Security Group Changes' },
        { panther: 'AWS.RDS.PublicRestore', test: 'RDS-Restore-Public' },
      ],
      expect: [PUBLIC_DB],
    },
    {
      name: 'Panther: made private, other changes, a denied change, a private restore, a password reset alone',
      datasets: [
        { panther: 'AWS.RDS.InstanceMadePublic', test: 'RDS Instance Made Private - No Alert' },
        { panther: 'AWS.RDS.InstanceMadePublic', test: 'RDS Modification Without Public Access Change' },
        { panther: 'AWS.RDS.InstanceMadePublic', test: 'RDS Modification Failed' },
        { panther: 'AWS.RDS.PublicRestore', test: 'RDS-Restore-Not-Public' },
        { panther: 'AWS.RDS.PublicRestore', test: 'Not-Restore-RDS-Request' },
        { panther: 'AWS.RDS.MasterPasswordUpdated', test: 'Master pass modified' },
      ],
      expect: [],
    },
    {
      name: 'a developer restores a public copy in the console and resets its password (Medium); Terraform creates a public replica (Low)',
      records: [
        restorePublic('2026-11-02T10:00:00Z', admin, CONSOLE_AGENT),
        resetPassword('orders-copy', '2026-11-02T10:20:00Z', admin, CONSOLE_AGENT),
        rds('CreateDBInstanceReadReplica', { dBInstanceIdentifier: 'reports-replica', sourceDBInstanceIdentifier: 'reports', publiclyAccessible: true }, '2026-11-02T11:00:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [PUBLIC_DB],
    },
    {
      name: 'someone else resets the password of a database made public two hours before: no takeover',
      records: [restorePublic('2026-11-02T10:00:00Z', admin, CONSOLE_AGENT), resetPassword('orders-copy', '2026-11-02T12:00:00Z', terraform, TERRAFORM_AGENT)],
      expect: [PUBLIC_DB],
    },
    {
      name: 'IMDSv1 re-enabled on an instance from the CLI',
      records: [
        ctEvent({
          service: 'ec2',
          name: 'ModifyInstanceMetadataOptions',
          identity: intruder,
          time: '2026-11-02T10:00:00Z',
          request: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0a12b34c56d78e90f', HttpTokens: 'optional', HttpEndpoint: 'enabled' } },
          response: { ModifyInstanceMetadataOptionsResponse: { instanceId: 'i-0a12b34c56d78e90f', instanceMetadataOptions: { httpEndpoint: 'enabled', httpPutResponseHopLimit: 1, httpTokens: 'optional', state: 'pending' } } },
        }),
      ],
      expect: [IMDS_V1],
    },
    {
      name: 'an admin lets a legacy instance use IMDSv1 from the console (Low)',
      records: [
        ctEvent({ service: 'ec2', name: 'ModifyInstanceMetadataOptions', identity: admin, userAgent: CONSOLE_AGENT, time: '2026-11-02T10:00:00Z', request: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0c34d56e78f90a12b', HttpTokens: 'optional' } } }),
      ],
      expect: [IMDS_V1],
    },
    {
      name: 'IMDSv2 required on an instance and as the account default; hop limit raised for containers',
      records: [
        ctEvent({ service: 'ec2', name: 'ModifyInstanceMetadataOptions', identity: intruder, time: '2026-11-02T10:00:00Z', request: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0a12b34c56d78e90f', HttpTokens: 'required' } } }),
        ctEvent({ service: 'ec2', name: 'ModifyInstanceMetadataDefaults', identity: terraform, userAgent: TERRAFORM_AGENT, time: '2026-11-02T10:01:00Z', request: { ModifyInstanceMetadataDefaultsRequest: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 } } }),
        ctEvent({ service: 'ec2', name: 'ModifyInstanceMetadataOptions', identity: intruder, time: '2026-11-02T10:02:00Z', request: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0b23c45d67e89f01a', HttpPutResponseHopLimit: 2 } } }),
      ],
      expect: [],
    },
    {
      name: 'an instance exported to S3 as a disk image from the CLI',
      records: [
        ctEvent({
          service: 'ec2',
          name: 'CreateInstanceExportTask',
          identity: intruder,
          time: '2026-11-02T10:00:00Z',
          request: { instanceId: 'i-0a12b34c56d78e90f', targetEnvironment: 'vmware', exportToS3: { diskImageFormat: 'VMDK', containerFormat: 'ova', s3Bucket: 'vm-exports-7731', s3Prefix: 'exports/' } },
          response: { exportTask: { exportTaskId: 'export-i-0f1e2d3c4b5a69780', state: 'active', instanceExportDetails: { instanceId: 'i-0a12b34c56d78e90f', targetEnvironment: 'vmware' } } },
        }),
      ],
      expect: [VM_EXPORT],
    },
    {
      name: 'a domain’s transfer lock removed and its authorization code read by the same key (High)',
      records: [
        ctEvent({ service: 'route53domains', name: 'DisableDomainTransferLock', identity: intruder, time: '2026-11-02T10:00:00Z', request: { domainName: 'acme-payments.com' }, response: { operationId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0' } }),
        ctEvent({ service: 'route53domains', name: 'RetrieveDomainAuthCode', identity: intruder, time: '2026-11-02T10:03:00Z', request: { domainName: 'acme-payments.com' }, response: { authCode: 'HIDDEN_DUE_TO_SECURITY_REASONS' } }),
      ],
      expect: [DOMAIN_UNLOCKED],
    },
    {
      name: 'an admin reads a domain’s authorization code in the console to move it to the corporate registrar (Low)',
      records: [ctEvent({ service: 'route53domains', name: 'RetrieveDomainAuthCode', identity: admin, userAgent: CONSOLE_AGENT, time: '2026-11-02T10:00:00Z', request: { domainName: 'acme-legacy.net' }, response: { authCode: 'HIDDEN_DUE_TO_SECURITY_REASONS' } })],
      expect: [DOMAIN_UNLOCKED],
    },
    { name: EKS_OUTSIDE_ADMIN, records: [associateAdmin(`arn:aws:iam::${OTHER_ACCOUNT}:role/ops`, '2026-11-02T10:00:00Z')], expect: [EKS_ADMIN] },
    { name: 'Stratus-shaped: cluster admin granted to a new role of the account', technique: 'eks.lateral-movement.create-access-entry', records: [associateAdmin('arn:aws:iam::111122223333:role/stratus-red-team-eks-access-entry-role', '2026-11-02T10:00:00Z')], expect: [EKS_ADMIN] },
    {
      name: 'the cluster’s creator makes the platform team admin right after creating it (Low)',
      records: [createCluster('2026-11-02T09:00:00Z', platform), associateAdmin('arn:aws:iam::111122223333:role/PlatformTeam', '2026-11-02T09:20:00Z', platform)],
      expect: [EKS_ADMIN],
    },
    { name: 'a private cluster’s API server opened to 0.0.0.0/0 from the CLI (Medium)', records: [endpointUpdate({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] }, '2026-11-02T10:00:00Z')], expect: [EKS_PUBLIC] },
    {
      name: 'a cluster created with the default public endpoint, one private cluster made public without naming addresses (Low, Medium)',
      records: [
        createWithVpc({}, '2026-11-01T09:00:00Z', platform, 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 api/eks#1.46.2 eksctl/0.190.0'),
        createWithVpc({ endpointPublicAccess: false, endpointPrivateAccess: true }, '2026-11-01T09:10:00Z', platform, undefined, 'ledger'),
        endpointUpdate({ endpointPublicAccess: true }, '2026-11-02T10:00:00Z', intruder, undefined, 'ledger'),
      ],
      expect: [EKS_PUBLIC],
    },
    {
      name: 'Terraform and the console opening endpoints; the public endpoint named without addresses on a cluster of unknown state (Low)',
      records: [
        endpointUpdate({ endpointPublicAccess: true, endpointPrivateAccess: true }, '2026-11-02T09:55:00Z', admin, undefined, 'search'),
        endpointUpdate({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT, 'batch'),
        endpointUpdate({ endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ['::/0', '0.0.0.0/0'] }, '2026-11-02T10:05:00Z', admin, CONSOLE_AGENT, 'web'),
      ],
      expect: [EKS_PUBLIC],
    },
    {
      name: 'endpoints limited to office ranges, made private, a refused change, private access alone, a cluster created private',
      records: [
        endpointUpdate({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24', '198.51.100.16/28'] }, '2026-11-02T10:00:00Z', admin),
        endpointUpdate({ endpointPublicAccess: false, endpointPrivateAccess: true }, '2026-11-02T10:01:00Z', admin, undefined, 'ledger'),
        { ...endpointUpdate({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] }, '2026-11-02T10:03:00Z', iamUser('intern'), undefined, 'ledger'), errorCode: 'AccessDeniedException' },
        endpointUpdate({ endpointPrivateAccess: true }, '2026-11-02T10:04:00Z', intruder, undefined, 'billing'),
        createWithVpc({ endpointPublicAccess: false, endpointPrivateAccess: true }, '2026-11-02T10:05:00Z', terraform, TERRAFORM_AGENT),
      ],
      expect: [],
    },
    {
      name: 'read-only and namespace-scoped admin policies are not cluster admin',
      records: [
        associateAdmin('arn:aws:iam::111122223333:role/Developers', '2026-11-02T10:00:00Z', intruder, undefined, 'AmazonEKSViewPolicy'),
        associateAdmin('arn:aws:iam::111122223333:role/TeamA', '2026-11-02T10:01:00Z', intruder, undefined, 'AmazonEKSAdminPolicy', { type: 'namespace', namespaces: ['team-a'] }),
      ],
      expect: [],
    },
  ],
};

export const vpcEndpointExternalAccess: ApiDetection = {
  id: 'gumshoe-vpc-endpoint-external-access',
  source: 'cloudtrail',
  // Network activity events only, whatever call they carry (GetObject, PutObject, …).
  networkActivity: true,
  types: [
    {
      type: ENDPOINT,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      title: 'VPC endpoint {endpoint} was used with credentials of outside account {caller}.',
      description:
        'A call to {api} through VPC endpoint {endpoint}, from {ip} inside the network, was signed by a principal of account {caller}, outside the organization, and {outcome}. Something in the VPC holds another account’s credentials: the way data is carried to a bucket the attacker owns.',
      remediation:
        'Find the host at the source address and what runs there. Restrict the endpoint policy to the organization (aws:PrincipalOrgID, aws:ResourceOrgID), and check what the outside account’s principal read or wrote.',
    },
  ],
  onEvent: onEndpointActivity,
  cases: () => [
    {
      name: 'an outside account’s role writes through our S3 endpoint, then is denied once the policy is fixed',
      records: [throughEndpoint(outsider, '2026-11-02T10:00:00Z'), throughEndpoint(outsider, '2026-11-02T11:00:00Z', 'VpceAccessDenied')],
      expect: [ENDPOINT],
    },
    { name: 'Panther: an external principal through a VPC endpoint', datasets: [{ panther: 'AWS.CloudTrail.VPCE.ExternalPrincipal', test: 'External Principal Access' }], expect: [ENDPOINT] },
    {
      name: 'our own role, the organization’s log-shipping account and an unsigned read of a public repository through the endpoint',
      records: [
        throughEndpoint({ type: 'AWSAccount', principalId: 'AROAEXAMPLEOWN:app', accountId: ACCOUNT }, '2026-11-02T10:00:00Z'),
        throughEndpoint({ type: 'AWSAccount', principalId: 'AROAEXAMPLELOGS:shipper', accountId: '777788889999' }, '2026-11-02T10:01:00Z'),
        throughEndpoint({ type: 'AWSAccount', principalId: 'ANONYMOUS_PRINCIPAL', accountId: 'anonymous' }, '2026-11-02T10:02:00Z'),
      ],
      settings: { organizationAccounts: ['777788889999'] },
      expect: [],
    },
    {
      name: 'Panther: same-account access and a management event',
      datasets: [
        { panther: 'AWS.CloudTrail.VPCE.ExternalPrincipal', test: 'Same Account Access' },
        { panther: 'AWS.CloudTrail.VPCE.ExternalPrincipal', test: 'Non-VPC Event' },
      ],
      expect: [],
    },
  ],
};
