import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, OTHER_ACCOUNT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { accountOf, type BoundedMap, boundedMap, isAwsServiceCall, isExternalAccount, isIacAgent, ownAccount, personVars, str, wasHabit } from './gumshoe-common.js';

/**
 * Ways into an RDS database's data that go around its own logins and network: its master password reset (the
 * one who sets it signs in as the owner), its log files downloaded (they hold statements, and at times
 * passwords), an IAM role given to its engine (SQL then reaches S3 or Lambda), a manual snapshot taken (restored
 * elsewhere it opens with a password of the restorer's choosing), a snapshot copied to another region, and a
 * DB security group opened.
 *
 * Each is one call that database administrators make too, so each is Low, once per principal: a principal that
 * made the same kind of call on an earlier day is not reported, infrastructure as code is severity 1, and AWS
 * acting for you and failed calls are skipped. Medium: a DB security group opened to the whole internet, or a
 * copy encrypted under an outside account's KMS key (Low for IaC and habits).
 *
 * Manual failovers (FailoverDBCluster, FailoverGlobalCluster) are left out: they change no data, login or
 * network path, interrupt connections for seconds, and are how DR drills and maintenance are done.
 */
const PASSWORD = 'PrivilegeEscalation:RDS/MasterPasswordReset.Gumshoe';
const LOGS = 'CredentialAccess:RDS/LogFilesDownloaded.Gumshoe';
const ROLE = 'PrivilegeEscalation:RDS/IamRoleAddedToDatabase.Gumshoe';
const SNAPSHOT = 'DefenseEvasion:RDS/ManualSnapshotCreated.Gumshoe';
const COPY = 'Exfiltration:RDS/SnapshotCopiedToOtherRegion.Gumshoe';
const INGRESS = 'DefenseEvasion:RDS/SecurityGroupIngressAuthorized.Gumshoe';

/** One call worth a finding: its type, what it is about (one finding each) and its template values. */
interface Sighting {
  type: string;
  subject: string;
  vars: Record<string, string>;
  /** Medium whoever does it (public, outside account); IaC and habits lower it to Low rather than silence it. */
  exposed?: boolean;
  /** Narrows the habit within the type (a copy habit is per pair of regions). */
  habit?: string;
}

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('rds-data-access-habits', boundedMap);

/** `instance X` or `cluster X`, as the request names the database. */
function database(request: Record<string, unknown>): string {
  const instance = str(request.dBInstanceIdentifier);
  return instance ? `instance ${instance}` : `cluster ${str(request.dBClusterIdentifier) ?? 'unknown'}`;
}

const regionOf = (arn: string) => /^arn:[\w-]+:rds:([a-z0-9-]+):/.exec(arn)?.[1];
const WHOLE_INTERNET = new Set(['0.0.0.0/0', '::/0']);

/** A snapshot copy that leaves the region its source is in; a copy of another account's shared snapshot is not our data leaving. */
function snapshotCopy(event: ApiEvent, context: DetectionContext): Sighting | null {
  const request = event.request ?? {};
  const source = str(request.sourceDBSnapshotIdentifier) ?? str(request.sourceDBClusterSnapshotIdentifier) ?? '';
  const from = regionOf(source) ?? str(request.sourceRegion);
  const to = event.region;
  const sourceAccount = accountOf(source);
  if (!from || !to || from === to || (sourceAccount !== null && sourceAccount !== ownAccount(event))) return null;
  const keyAccount = accountOf(str(request.kmsKeyId) ?? '');
  const outsideKey = keyAccount !== null && isExternalAccount(keyAccount, event, context.settings);
  const target = str(request.targetDBSnapshotIdentifier) ?? str(request.targetDBClusterSnapshotIdentifier) ?? 'unknown';
  return {
    type: COPY,
    subject: target,
    exposed: outsideKey,
    habit: `${from}>${to}${outsideKey ? `>${keyAccount}` : ''}`,
    vars: { snapshot: source.replace(/^arn:.*:(cluster-)?snapshot:/, ''), target, from, to, key: outsideKey ? ` under a KMS key of outside account ${keyAccount}` : '' },
  };
}

function sighting(event: ApiEvent, context: DetectionContext): Sighting | null {
  const request = event.request ?? {};
  switch (event.api) {
    case 'ModifyDBInstance':
    case 'ModifyDBCluster': {
      if (request.masterUserPassword === undefined || request.masterUserPassword === null) return null;
      const db = database(request);
      return { type: PASSWORD, subject: db, vars: { database: db } };
    }
    case 'DownloadDBLogFilePortion':
    case 'DownloadCompleteDBLogFile': {
      const db = database(request);
      return { type: LOGS, subject: db, vars: { database: db, file: str(request.logFileName) ?? 'a log file' } };
    }
    case 'AddRoleToDBInstance':
    case 'AddRoleToDBCluster': {
      const db = database(request);
      const role = str(request.roleArn) ?? 'unknown role';
      const feature = str(request.featureName);
      return { type: ROLE, subject: `${db}>${role}`, vars: { database: db, role, feature: feature ? ` for ${feature}` : '' } };
    }
    case 'CreateDBSnapshot':
    case 'CreateDBClusterSnapshot': {
      // RDS's own daily backups (`automated`) and AWS Backup plans (`awsbackup`) are schedules, not someone's copy.
      const kind = str(event.response?.snapshotType);
      if (kind === 'automated' || kind === 'awsbackup') return null;
      const snapshot = str(request.dBSnapshotIdentifier) ?? str(request.dBClusterSnapshotIdentifier) ?? 'unknown';
      return { type: SNAPSHOT, subject: snapshot, vars: { snapshot, database: database(request) } };
    }
    case 'CopyDBSnapshot':
    case 'CopyDBClusterSnapshot':
      return snapshotCopy(event, context);
    case 'AuthorizeDBSecurityGroupIngress': {
      const group = str(request.dBSecurityGroupName) ?? 'unknown';
      const cidr = str(request.cIDRIP);
      const ec2Group = str(request.eC2SecurityGroupId) ?? str(request.eC2SecurityGroupName);
      const open = cidr !== undefined && WHOLE_INTERNET.has(cidr);
      const source = open ? `${cidr} (the whole internet)` : (cidr ?? (ec2Group ? `EC2 security group ${ec2Group}` : 'an unnamed source'));
      return { type: INGRESS, subject: `${group}>${cidr ?? ec2Group ?? ''}`, exposed: open, habit: open ? 'internet' : 'other', vars: { group, source } };
    }
    default:
      return null;
  }
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event) || event.service !== 'rds.amazonaws.com') return;
  const found = sighting(event, context);
  if (!found) return;
  const habitual = wasHabit(habits(context), `${found.type}>${found.habit ?? ''}>${event.principalKey}`, event.time);
  const iac = isIacAgent(event.userAgent);
  if (habitual && !found.exposed) return;
  const severity = found.exposed ? (iac || habitual ? 2 : 5) : iac ? 1 : 2;
  context.emit({ type: found.type, event, severity, aggregateBy: found.subject, vars: { ...personVars(event), ...found.vars } });
}

// ---- cases ----

const dba = assumedRole('AWSReservedSSO_DBA_5f6e7d8c', 'dana@example.com');
const stolen = iamUser('reporting-svc');
const terraform = assumedRole('TerraformApply', 'ci-run-9120');
const drCopier = assumedRole('DrSnapshotCopier', 'nightly');
const backupRole = { ...assumedRole('AWSBackupDefaultServiceRole', 'AWSBackup-AWSBackupDefaultServiceRole'), invokedBy: 'backup.amazonaws.com' };
const rds = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = stolen, options: { userAgent?: string; region?: string; response?: Record<string, unknown> } = {}) =>
  ctEvent({ service: 'rds', name, identity, time, request, ...options });
const copy = (source: string, target: string, time: string, identity: Record<string, unknown>, options: { region?: string; kmsKeyId?: string; userAgent?: string } = {}) =>
  rds('CopyDBSnapshot', { sourceDBSnapshotIdentifier: source, targetDBSnapshotIdentifier: target, ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}) }, time, identity, { region: options.region, userAgent: options.userAgent });
const ordersArn = (name: string) => `arn:aws:rds:us-east-1:111122223333:snapshot:${name}`;

export const RDS_EXPOSED_CASE = 'a DB security group opened to the internet, and a snapshot copied to eu-west-1 under an outside account’s KMS key (Medium)';
export const RDS_IAC_CASE = 'Terraform attaching an s3Import role, resetting a password and taking a snapshot (severity 1)';
export const RDS_DR_COPY_CASE = 'a nightly disaster-recovery copy to us-west-2: Low on its first night, not reported from the next';

const PRIVILEGE_ESCALATION = 'TA0004 Privilege Escalation';

export const rdsDataAccess: ApiDetection = {
  id: 'gumshoe-rds-data-access',
  source: 'cloudtrail',
  apis: [
    'ModifyDBInstance',
    'ModifyDBCluster',
    'DownloadDBLogFilePortion',
    'DownloadCompleteDBLogFile',
    'AddRoleToDBInstance',
    'AddRoleToDBCluster',
    'CreateDBSnapshot',
    'CreateDBClusterSnapshot',
    'CopyDBSnapshot',
    'CopyDBClusterSnapshot',
    'AuthorizeDBSecurityGroupIngress',
  ],
  types: [
    {
      type: PASSWORD,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: PRIVILEGE_ESCALATION, technique: 'T1098 Account Manipulation' },
      title: 'The master user password of RDS database {database} was reset.',
      description:
        '{principal} called {api} from {ip} with a new master user password for RDS database {database}. Whoever sets it signs in to the database as its owner and can read, change or delete every table, whatever logins the database granted before.',
      remediation:
        'Confirm the reset with the database’s owner. If it was not planned, reset the password again (or let Secrets Manager manage it), review the database’s connections and audit log since the change, and allow MasterUserPassword changes through rds:ModifyDBInstance and rds:ModifyDBCluster to the database administrators only.',
    },
    {
      type: LOGS,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0006 Credential Access', technique: 'T1552 Unsecured Credentials' },
      title: 'Log files of RDS database {database} were downloaded ({file}).',
      description:
        '{principal} called {api} from {ip} and read {file} of RDS database {database}. Database logs hold the statements run against it and the addresses of its clients, and at times passwords (a CREATE USER in a general or audit log, a password typed as a user name).',
      remediation:
        'Confirm the download with the database’s owner. If it was not expected, find which log files were read, change any credentials they could hold, and allow rds:DownloadDBLogFilePortion and rds:DownloadCompleteDBLogFile to the database administrators only (publishing the logs to CloudWatch Logs keeps them off the instance).',
    },
    {
      type: ROLE,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: PRIVILEGE_ESCALATION, technique: 'T1098.003 Account Manipulation: Additional Cloud Roles' },
      title: 'IAM role {role} was added to RDS database {database}{feature}.',
      description:
        '{principal} called {api} from {ip}: RDS database {database} now acts as {role}{feature}. The database engine then reaches AWS with that role’s permissions (reading and writing S3 for s3Import and s3Export, invoking Lambda), so anyone who can run SQL on it can move data out or reach further into the account.',
      remediation:
        'Confirm the feature needs the role. If not, remove it (RemoveRoleFromDBInstance, RemoveRoleFromDBCluster), review what the role may do and the S3 and Lambda calls made with it since, and allow iam:PassRole to RDS to the database administrators only.',
    },
    {
      type: SNAPSHOT,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1578.001 Modify Cloud Compute Infrastructure: Create Snapshot' },
      title: 'Manual snapshot {snapshot} of RDS database {database} was created.',
      description:
        '{principal} called {api} from {ip} and took snapshot {snapshot} of RDS database {database}. A snapshot holds all of the database’s data: restored into a new database it opens with a master password of the restorer’s choosing, past the original’s logins, and it can be copied to another region or shared with another account.',
      remediation:
        'Confirm the snapshot was planned (a change window, a migration). If not, check whether it was shared (ModifyDBSnapshotAttribute), copied or restored since, delete it, and allow rds:CreateDBSnapshot and rds:CreateDBClusterSnapshot to backup roles and the database administrators only.',
    },
    {
      type: COPY,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0010 Exfiltration', technique: 'T1537 Transfer Data to Cloud Account' },
      title: 'RDS snapshot {snapshot} was copied from {from} to {to}{key}.',
      description:
        '{principal} called {api} from {ip}: snapshot {snapshot} was copied from {from} to {to} as {target}{key}. The copy holds all of the database’s data outside the region the database lives in, where monitoring and key policies may be weaker; under an outside account’s key, that account can decrypt it.',
      remediation:
        'Confirm the copy belongs to a disaster-recovery plan. If not, delete the copy in {to}, check whether it was shared or restored there, and restrict snapshot copies to the regions you use with an SCP on aws:RequestedRegion.',
    },
    {
      type: INGRESS,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.007 Impair Defenses: Disable or Modify Cloud Firewall' },
      title: 'DB security group {group} was opened to {source}.',
      description: '{principal} called {api} from {ip}: DB security group {group} now lets {source} connect to the databases that use it, which can then try the databases’ logins.',
      remediation:
        'Confirm the rule is needed. If not, remove it (RevokeDBSecurityGroupIngress), look for connections to the databases from the new source, and move the databases into a VPC with security groups (DB security groups belong to the retired EC2-Classic).',
    },
  ],
  onEvent,
  cases: () => [
    {
      name: 'Panther: a master password reset in the console, log files downloaded, IAM roles added to an instance and a cluster (Low)',
      datasets: [
        { panther: 'AWS.RDS.MasterPasswordUpdated', test: 'Master pass modified' },
        { panther: 'AWS.RDS.LogFileDownloaded', test: 'Error Log Downloaded' },
        { panther: 'AWS.RDS.LogFileDownloaded', test: 'Audit Log Downloaded from External IP' },
        { panther: 'AWS.RDS.IAMRoleAdded', test: 'Role Added to DB Instance' },
        { panther: 'AWS.RDS.IAMRoleAdded', test: 'Role Added to DB Cluster' },
      ],
      expect: [PASSWORD, LOGS, ROLE],
    },
    {
      name: 'Panther: snapshots copied across regions, DB security groups opened to a range, the internet and an EC2 group',
      datasets: [
        { panther: 'AWS.RDS.SnapshotCopiedCrossRegion', test: 'Snapshot Copied Cross-Region' },
        { panther: 'AWS.RDS.SnapshotCopiedCrossRegion', test: 'Cluster Snapshot Copied Cross-Region' },
        { panther: 'AWS.RDS.SecurityGroupIngressAuthorized', test: 'Ingress Authorized from Specific CIDR' },
        { panther: 'AWS.RDS.SecurityGroupIngressAuthorized', test: 'Ingress Authorized from Public Internet - Critical' },
        { panther: 'AWS.RDS.SecurityGroupIngressAuthorized', test: 'Ingress Authorized from EC2 Security Group' },
      ],
      expect: [COPY, INGRESS],
    },
    {
      // Both are Terraform runs from a person's session (severity 1); RDS calls the snapshots `manual` and `public`.
      name: 'Panther: manual snapshots taken through Terraform from a person’s session',
      datasets: [
        { panther: 'AWS.RDS.ManualSnapshotCreated', test: 'Manual Snapshot Created' },
        { panther: 'AWS.RDS.ManualSnapshotCreated', test: 'Public Snapshot Created' },
      ],
      expect: [SNAPSHOT],
    },
    {
      name: 'Panther: refused calls, a same-region copy, RDS and AWS Backup snapshots, other RDS calls, manual failovers',
      datasets: [
        { panther: 'AWS.RDS.MasterPasswordUpdated', test: 'Allocated storage modified' },
        { panther: 'AWS.RDS.LogFileDownloaded', test: 'Download Failed' },
        { panther: 'AWS.RDS.LogFileDownloaded', test: 'Different RDS Event' },
        { panther: 'AWS.RDS.IAMRoleAdded', test: 'Role Addition Failed' },
        { panther: 'AWS.RDS.IAMRoleAdded', test: 'Different RDS Event' },
        { panther: 'AWS.RDS.SnapshotCopiedCrossRegion', test: 'Snapshot Copied Within Same Region - No Alert' },
        { panther: 'AWS.RDS.SnapshotCopiedCrossRegion', test: 'Copy Failed' },
        { panther: 'AWS.RDS.SecurityGroupIngressAuthorized', test: 'Authorization Failed' },
        { panther: 'AWS.RDS.SecurityGroupIngressAuthorized', test: 'Different RDS Event' },
        { panther: 'AWS.RDS.ManualSnapshotCreated', test: 'Automated Snapshot Created' },
        { panther: 'AWS.RDS.ManualSnapshotCreated', test: 'Awsbackup Snapshot Created' },
        { panther: 'AWS.RDS.ClusterFailover', test: 'DB Cluster Failover Initiated' },
        { panther: 'AWS.RDS.ClusterFailover', test: 'Global Cluster Failover' },
        { panther: 'AWS.RDS.ClusterFailover', test: 'Failover Failed' },
        { panther: 'AWS.RDS.ClusterFailover', test: 'Different RDS Event' },
      ],
      expect: [],
    },
    {
      name: 'a stolen key resets the master password of a cluster, takes a snapshot of it and downloads its audit log (Low)',
      records: [
        rds('ModifyDBCluster', { dBClusterIdentifier: 'aurora-prod', masterUserPassword: '****', applyImmediately: true }, '2026-11-02T10:00:00Z'),
        rds('CreateDBClusterSnapshot', { dBClusterIdentifier: 'aurora-prod', dBClusterSnapshotIdentifier: 'tmp-1' }, '2026-11-02T10:02:00Z', stolen, { response: { dBClusterSnapshotIdentifier: 'tmp-1', status: 'creating', snapshotType: 'manual' } }),
        rds('DownloadDBLogFilePortion', { dBInstanceIdentifier: 'aurora-prod-1', logFileName: 'audit/server_audit.log', numberOfLines: 10000 }, '2026-11-02T10:04:00Z'),
      ],
      expect: [PASSWORD, SNAPSHOT, LOGS],
    },
    {
      name: RDS_EXPOSED_CASE,
      records: [
        rds('AuthorizeDBSecurityGroupIngress', { dBSecurityGroupName: 'legacy-db', cIDRIP: '0.0.0.0/0' }, '2026-11-02T10:00:00Z'),
        copy(ordersArn('orders-2026-11-01'), 'orders-copy', '2026-11-02T10:05:00Z', stolen, { region: 'eu-west-1', kmsKeyId: `arn:aws:kms:eu-west-1:${OTHER_ACCOUNT}:key/7d1c5a0e-3b2f-4e6a-9c8d-1f0e2d3c4b5a` }),
      ],
      expect: [INGRESS, COPY],
    },
    {
      name: RDS_IAC_CASE,
      records: [
        rds('AddRoleToDBInstance', { dBInstanceIdentifier: 'orders-prod', roleArn: 'arn:aws:iam::111122223333:role/orders-s3-import', featureName: 's3Import' }, '2026-11-02T10:00:00Z', terraform, { userAgent: TERRAFORM_AGENT }),
        rds('ModifyDBInstance', { dBInstanceIdentifier: 'orders-prod', masterUserPassword: '****', applyImmediately: true }, '2026-11-02T10:01:00Z', terraform, { userAgent: TERRAFORM_AGENT }),
        rds('CreateDBSnapshot', { dBInstanceIdentifier: 'orders-prod', dBSnapshotIdentifier: 'before-v42' }, '2026-11-02T10:02:00Z', terraform, { userAgent: TERRAFORM_AGENT, response: { dBSnapshotIdentifier: 'before-v42', snapshotType: 'manual' } }),
      ],
      expect: [ROLE, PASSWORD, SNAPSHOT],
    },
    {
      name: RDS_DR_COPY_CASE,
      records: ['2026-11-01T04:00:00Z', '2026-11-02T04:00:00Z', '2026-11-03T04:00:00Z'].map((time, i) => copy(ordersArn(`rds:orders-2026-11-0${String(i + 1)}`), `dr-orders-2026-11-0${String(i + 1)}`, time, drCopier, { region: 'us-west-2' })),
      expect: [COPY],
    },
    {
      name: 'AWS Backup snapshotting and copying across regions for a plan; a same-region copy; refused calls; a resize; a password reset and a download in the console by a DBA who did them the day before',
      records: [
        rds('CreateDBSnapshot', { dBInstanceIdentifier: 'orders-prod', dBSnapshotIdentifier: 'awsbackup:job-0a1b2c3d' }, '2026-11-02T05:00:00Z', backupRole, { userAgent: 'backup.amazonaws.com', response: { snapshotType: 'awsbackup' } }),
        copy(ordersArn('awsbackup:job-0a1b2c3d'), 'awsbackup:copyjob-4e5f6a7b', '2026-11-02T05:30:00Z', awsService('backup.amazonaws.com'), { region: 'us-west-2' }),
        copy('orders-2026-11-01', 'orders-keep', '2026-11-02T09:00:00Z', dba, { userAgent: CONSOLE_AGENT }),
        { ...rds('ModifyDBInstance', { dBInstanceIdentifier: 'orders-prod', masterUserPassword: '****' }, '2026-11-02T09:10:00Z'), errorCode: 'AccessDenied', errorMessage: 'not authorized to perform: rds:ModifyDBInstance' },
        { ...rds('DownloadDBLogFilePortion', { dBInstanceIdentifier: 'orders-prod', logFileName: 'error/postgresql.log' }, '2026-11-02T09:11:00Z'), errorCode: 'AccessDenied', errorMessage: 'not authorized' },
        rds('ModifyDBInstance', { dBInstanceIdentifier: 'orders-prod', dBInstanceClass: 'db.r6g.2xlarge' }, '2026-11-02T09:12:00Z', dba),
      ],
      expect: [],
    },
    {
      name: 'a DBA reading logs and resetting a test password in the console: Low on the first day, not reported on the next',
      records: ['2026-11-01T09:00:00Z', '2026-11-02T09:00:00Z'].flatMap((time, i) => [
        rds('DownloadDBLogFilePortion', { dBInstanceIdentifier: `orders-test-${String(i)}`, logFileName: 'error/postgresql.log' }, time, dba, { userAgent: CONSOLE_AGENT }),
        rds('ModifyDBInstance', { dBInstanceIdentifier: `orders-test-${String(i)}`, masterUserPassword: '****' }, time, dba, { userAgent: CONSOLE_AGENT }),
      ]),
      expect: [LOGS, PASSWORD],
    },
  ],
};
