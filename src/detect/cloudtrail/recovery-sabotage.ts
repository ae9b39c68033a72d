import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, CONSOLE_AGENT, ctEvent, iamUser, repeated, root, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  type BoundedMap,
  boundedMap,
  cancelHeld,
  finishHeld,
  flushDeferred,
  fromConsole,
  getEntry,
  holdSignal,
  HOUR,
  isAwsServiceCall,
  isIacAgent,
  isTrue,
  obj,
  ownAccount,
  personVars,
  releaseHeld,
  reportWhenWindowCloses,
  setEntry,
  str,
  trackBurst,
  wasHabit,
} from './gumshoe-common.js';
import { bucketDetail } from './s3-resources.js';

/**
 * What would let the victim recover, taken away: S3 versioning suspended or MFA delete switched off (later
 * overwrites and deletions are then final), and backups deleted (AWS Backup recovery points, vaults and
 * vault locks, RDS snapshots and automated backups, a database deleted without a final snapshot, DynamoDB
 * backups, EBS snapshots), and RDS deletion protection turned off. Ransomware crews do these before they
 * delete or re-encrypt data. (KMS keys destroyed are kms-key-destruction.ts.)
 *
 * A hands-on change through an SDK or the CLI is Medium; the console, infrastructure as code and a principal
 * that did it on an earlier day (a retention job) are Low or not reported. A backup deleted alone is Low, a
 * database deleted with nothing left to restore it from Medium; many within an hour are Medium or High.
 */
const VERSIONING = 'Impact:S3/VersioningSuspended.Gumshoe';
const BACKUPS = 'Impact:IAMUser/BackupsDeleted.Gumshoe';
const DELETION_PROTECTION = 'Impact:RDS/DeletionProtectionDisabled.Gumshoe';

/** Distinct backups one principal deletes within the window: a clean-up by hand stays below, a purge does not. */
const BACKUP_BURST = 5;
const BACKUP_PURGE = 20;
const BACKUP_WINDOW = HOUR;

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('recovery-sabotage-habits', boundedMap);

/** What a PutBucketVersioning takes away, or null when versioning and MFA delete stay as they were or get stronger. */
function versioningWeakening(request: Record<string, unknown>): string | null {
  const configuration = obj(request.VersioningConfiguration) ?? {};
  const status = str(configuration.Status);
  const mfaDelete = str(configuration.MfaDelete) ?? str(configuration.MFADelete);
  // `Disabled` is not a status S3 accepts, but a request naming it means the same.
  if (status === 'Suspended' || status === 'Disabled') return 'versioning was suspended';
  if (mfaDelete === 'Disabled') return 'MFA delete was switched off';
  return null;
}

function onVersioning(event: ApiEvent, context: DetectionContext): void {
  const bucket = event.bucketName;
  const weakening = versioningWeakening(event.request ?? {});
  if (!bucket || !weakening) return;
  const routine = wasHabit(habits(context), `versioning>${event.principalKey}`, event.time);
  context.emit({
    type: VERSIONING,
    event,
    severity: routine || isIacAgent(event.userAgent) || fromConsole(event) ? 2 : undefined,
    aggregateBy: bucket,
    buckets: [bucketDetail(event, bucket)],
    vars: { ...personVars(event), weakening },
  });
}

/** A backup a deletion destroys, named as findings show it. */
interface DeletedBackup {
  label: string;
  /** A database deleted with no final snapshot and without its automated backups: nothing is left to restore. */
  unrecoverable: boolean;
}

const backupNamed = (kind: string, id: unknown): DeletedBackup | null => {
  const name = str(id);
  return name ? { label: `${kind} ${name}`, unrecoverable: false } : null;
};

/**
 * A database deletion loses its automated backups unless `deleteAutomatedBackups` is false (both APIs default
 * to deleting them) and its final snapshot with `skipFinalSnapshot`. Null when it keeps both: nothing backed up is lost.
 */
function deletedDatabase(request: Record<string, unknown>): DeletedBackup | null {
  const noSnapshot = isTrue(request.skipFinalSnapshot);
  const backupsGone = request.deleteAutomatedBackups !== false && request.deleteAutomatedBackups !== 'false';
  if (!noSnapshot && !backupsGone) return null;
  const instance = str(request.dBInstanceIdentifier);
  const database = instance ? `RDS instance ${instance}` : `RDS cluster ${str(request.dBClusterIdentifier) ?? 'unknown'}`;
  const lost = noSnapshot && backupsGone ? 'no final snapshot, automated backups deleted' : noSnapshot ? 'no final snapshot, automated backups kept' : 'final snapshot kept, automated backups deleted';
  return { label: `${database} (${lost})`, unrecoverable: noSnapshot && backupsGone };
}

/** The backup a deletion removes, or null when the call removes none (a database deleted with its final snapshot and backups). */
function deletedBackup(event: ApiEvent): DeletedBackup | null {
  const request = event.request ?? {};
  switch (event.api) {
    case 'DeleteRecoveryPoint':
      return backupNamed('AWS Backup recovery point', request.recoveryPointArn);
    case 'DeleteDBSnapshot':
      return backupNamed('RDS snapshot', request.dBSnapshotIdentifier);
    case 'DeleteDBClusterSnapshot':
      return backupNamed('RDS cluster snapshot', request.dBClusterSnapshotIdentifier);
    case 'DeleteDBInstanceAutomatedBackup':
      return backupNamed('RDS automated backup', request.dbiResourceId ?? request.dBInstanceAutomatedBackupsArn);
    case 'DeleteDBClusterAutomatedBackup':
      return backupNamed('RDS cluster automated backup', request.dbClusterResourceId);
    case 'DeleteBackup':
      return backupNamed('DynamoDB backup', request.backupArn);
    case 'DeleteSnapshot':
      return backupNamed('EBS snapshot', request.snapshotId);
    case 'DeleteDBInstance':
    case 'DeleteDBCluster':
      return deletedDatabase(request);
    default:
      return null;
  }
}

/**
 * A backup vault deleted (it must be empty first) or its lock removed: Medium by hand, Low through the
 * console or IaC. Other deletions by a principal count in a window of an hour, reported when it closes: Low
 * for one backup or a few, Medium for a purge or a database deleted by hand with nothing left to restore,
 * High for a large purge. IaC and retention jobs (principals that deleted backups on an earlier day) are
 * not counted; of theirs, only a database left with nothing to restore is reported, at Low. `reported`: the
 * deletion is already a DeletionProtectionDisabled finding, so it counts towards a purge but is not reported alone.
 */
function onBackupDeleted(event: ApiEvent, context: DetectionContext, reported: boolean): void {
  const iac = isIacAgent(event.userAgent);
  if (event.api === 'DeleteBackupVault' || event.api === 'DeleteBackupVaultLockConfiguration') {
    const vault = str(event.request?.backupVaultName) ?? 'unknown-vault';
    const what = event.api === 'DeleteBackupVault' ? `backup vault ${vault} was deleted` : `the lock of backup vault ${vault} was removed`;
    context.emit({ type: BACKUPS, event, severity: iac || fromConsole(event) ? 2 : undefined, aggregateBy: vault, vars: { ...personVars(event), what, count: 1, items: vault } });
    return;
  }
  const backup = deletedBackup(event);
  if (!backup) return;
  if (iac || wasHabit(habits(context), `backup-deletion>${event.principalKey}`, event.time)) {
    if (backup.unrecoverable && !reported) {
      context.emit({ type: BACKUPS, event, severity: 2, aggregateBy: backup.label, vars: { ...personVars(event), what: `${backup.label} was deleted`, count: 1, items: backup.label } });
    }
    return;
  }
  const { burst, evidence } = trackBurst(context, 'backups', event.principalKey, event, [backup.label], BACKUP_WINDOW);
  if (!reported) burst.facts = { ...burst.facts, reportable: true, ...(backup.unrecoverable && !fromConsole(event) ? { unrecoverable: true } : {}) };
  if (burst.reported || (!burst.fired && (burst.facts?.reportable === true || burst.items.length >= BACKUP_BURST))) {
    burst.fired = true;
    reportWhenWindowCloses(context, evidence, burst, BACKUP_WINDOW, event, (window) => {
      const count = burst.items.length;
      const severity = count >= BACKUP_PURGE ? 8 : count >= BACKUP_BURST || burst.facts?.unrecoverable === true ? 5 : 2;
      const what = count === 1 ? `${burst.items[0]} was deleted` : `${count} backups were deleted within an hour`;
      context.emit({ type: BACKUPS, ...window, severity, vars: { ...personVars(window.event), what, count, items: burst.items.slice(0, 10).join(', ') } });
    });
  }
}

// ---- RDS deletion protection ----

/** How long a database whose protection was turned off is watched for its deletion by the same principal. */
const DELETION_WINDOW = HOUR;

const unprotected = (context: DetectionContext) => context.state<BoundedMap<number>>('recovery-sabotage-unprotected', boundedMap);

/** The database a call names (`instance X` or `cluster X`), and its key: account/region/database. */
function rdsDatabase(event: ApiEvent): { key: string; database: string } | null {
  const request = event.request ?? {};
  const instance = str(request.dBInstanceIdentifier);
  const cluster = str(request.dBClusterIdentifier);
  const database = instance ? `instance ${instance}` : cluster ? `cluster ${cluster}` : null;
  return database ? { key: `${ownAccount(event) ?? ''}/${event.region ?? ''}/${database}`, database } : null;
}

/**
 * Deletion protection turned off: Low, held for an hour. If the same principal deletes the database within
 * it, the two are one Medium finding instead (Low through the console or IaC: Terraform turns protection off
 * before it destroys a database).
 */
function onModifyDatabase(event: ApiEvent, context: DetectionContext): void {
  const protection = event.request?.deletionProtection;
  const db = rdsDatabase(event);
  if (!db || (protection !== false && protection !== 'false')) return;
  const watchKey = `${db.key}|${event.principalKey}`;
  setEntry(unprotected(context), watchKey, event.time, 2000);
  const signal = { type: DELETION_PROTECTION, event, severity: 2, aggregateBy: db.database, vars: { ...personVars(event), database: db.database, then: '' } };
  holdSignal(context, watchKey, event.time + DELETION_WINDOW, signal);
}

/** Whether the deletion completes a protection turned off by the same principal (and is reported as such). */
function onDeleteDatabase(event: ApiEvent, context: DetectionContext): boolean {
  const db = rdsDatabase(event);
  if (!db) return false;
  const watchKey = `${db.key}|${event.principalKey}`;
  const disabledAt = getEntry(unprotected(context), watchKey);
  if (disabledAt === undefined || event.time - disabledAt > DELETION_WINDOW) return false;
  cancelHeld(context, watchKey);
  const routine = isIacAgent(event.userAgent) || fromConsole(event);
  const then = `, and the same principal then deleted it${isTrue(event.request?.skipFinalSnapshot) ? ' without a final snapshot' : ''}`;
  context.emit({ type: DELETION_PROTECTION, event, severity: routine ? 2 : undefined, aggregateBy: db.database, vars: { ...personVars(event), database: db.database, then } });
  return true;
}

const BACKUP_APIS = new Set([
  'DeleteRecoveryPoint',
  'DeleteBackupVault',
  'DeleteBackupVaultLockConfiguration',
  'DeleteDBSnapshot',
  'DeleteDBClusterSnapshot',
  'DeleteDBInstanceAutomatedBackup',
  'DeleteDBClusterAutomatedBackup',
  'DeleteDBInstance',
  'DeleteDBCluster',
  'DeleteBackup',
  'DeleteSnapshot',
]);

function onRecoveryEvent(event: ApiEvent, context: DetectionContext): void {
  flushDeferred(context, event.time);
  releaseHeld(context, event.time);
  if (event.failed || isAwsServiceCall(event)) return;
  if (event.api === 'ModifyDBInstance' || event.api === 'ModifyDBCluster') return onModifyDatabase(event, context);
  const reported = (event.api === 'DeleteDBInstance' || event.api === 'DeleteDBCluster') && onDeleteDatabase(event, context);
  if (BACKUP_APIS.has(event.api)) return onBackupDeleted(event, context, reported);
  if (event.api === 'PutBucketVersioning') onVersioning(event, context);
}

const IMPACT = 'TA0040 Impact';
const intruder = iamUser('build-bot');
const admin = assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com');
const terraform = assumedRole('TerraformApply', 'ci-run-8812');

const retention = assumedRole('SnapshotRetention', 'nightly');
const restoreTester = assumedRole('RestoreTester', 'nightly');
const rdsCall = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown> = intruder, userAgent?: string) =>
  ctEvent({ service: 'rds', name, identity, time, userAgent, request });

export const BACKUP_PURGE_CASE = 'six RDS snapshots, a database without its final snapshot and a recovery point deleted within ten minutes';
export const SNAPSHOTS_BY_HAND_CASE = 'an engineer deletes two old snapshots and a test database with its final snapshot, its automated backups going with it (Low)';
export const RETENTION_JOB_CASE = 'a retention job deleting old snapshots: Low on its first night, not reported from the next';
export const DATABASE_DESTROYED_CASE = 'an IAM user’s key deletes an Aurora cluster without a final snapshot, its automated backups going with it (Medium)';
export const DATABASE_DESTROYED_ROUTINELY_CASE = 'databases deleted without a final snapshot by Terraform and in the console (Low)';
export const RESTORE_TEST_CASE = 'a nightly restore test deleting its scratch database without a final snapshot: Medium on its first night, Low from the next';

const putVersioning = (bucket: string, configuration: Record<string, unknown>, time: string, identity: Record<string, unknown> = intruder, userAgent?: string) =>
  ctEvent({
    service: 's3',
    name: 'PutBucketVersioning',
    identity,
    time,
    userAgent,
    request: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, versioning: '', VersioningConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', ...configuration } },
    resources: [{ accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
  });

export const recoverySabotage: ApiDetection = {
  id: 'gumshoe-recovery-sabotage',
  source: 'cloudtrail',
  apis: ['PutBucketVersioning', ...BACKUP_APIS, 'ModifyDBInstance', 'ModifyDBCluster'],
  types: [
    {
      type: VERSIONING,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'S3Bucket',
      mitre: { tactic: IMPACT, technique: 'T1490 Inhibit System Recovery' },
      title: 'On S3 bucket {bucket}, {weakening}.',
      description:
        '{principal} called PutBucketVersioning on {bucket} from {ip}: {weakening}. Objects overwritten or deleted from now on cannot be restored from earlier versions, which is how data is destroyed or held for ransom past a versioned bucket.',
      remediation:
        'Re-enable versioning (and MFA delete where it was on), protect the bucket with Object Lock or a bucket policy denying s3:PutBucketVersioning, and review the bucket’s data events for deletions since the change.',
    },
    {
      type: BACKUPS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: IMPACT, technique: 'T1490 Inhibit System Recovery' },
      title: 'Backups were destroyed: {what}.',
      description: '{principal} called {api} from {ip}: {what} ({items}). Data whose backups are gone cannot be restored after it is deleted or encrypted.',
      remediation:
        'Stop the principal (deactivate its keys or revoke its sessions), check what backups remain (AWS Backup, RDS snapshots, EBS snapshots) and copy them to a locked vault in another account. Protect vaults with AWS Backup Vault Lock and deny backup deletion outside the backup administrators with an SCP.',
    },
    {
      type: DELETION_PROTECTION,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: IMPACT, technique: 'T1485 Data Destruction' },
      title: 'Deletion protection of RDS database {database} was turned off{then}.',
      description: '{principal} turned off deletion protection of RDS database {database} from {ip}{then} (latest call {api}). Protection is what stops a single API call from deleting a production database.',
      remediation:
        'Confirm the change was planned. If not, turn deletion protection back on (or restore the deleted database from its latest snapshot), stop the principal, and deny rds:ModifyDB* with DeletionProtection false outside the database administrators with an SCP.',
    },
  ],
  onEvent: onRecoveryEvent,
  finish: (context) => {
    flushDeferred(context);
    finishHeld(context);
  },
  cases: () => [
    {
      name: 'Panther: versioning suspended and MFA delete switched off from the CLI',
      datasets: [
        { panther: 'AWS.S3.SuspendVersioning', test: 'Versioning Suspended Successfully' },
        { panther: 'AWS.S3.DisableMfaDelete', test: 'MFA Delete Disabled Successfully' },
      ],
      expect: [VERSIONING],
    },
    { name: 'root switches MFA delete off from the CLI', records: [putVersioning('acme-ledger', { Status: 'Enabled', MfaDelete: 'Disabled' }, '2026-11-02T10:00:00Z', root())], expect: [VERSIONING] },
    {
      name: 'Panther: versioning enabled, MFA delete enabled, denied suspension, no MFA field',
      datasets: [
        { panther: 'AWS.S3.SuspendVersioning', test: 'Versioning Enabled' },
        { panther: 'AWS.S3.SuspendVersioning', test: 'Versioning Change Failed' },
        { panther: 'AWS.S3.DisableMfaDelete', test: 'MFA Delete Enabled' },
        { panther: 'AWS.S3.DisableMfaDelete', test: 'MFA Delete Field Missing' },
      ],
      expect: [],
    },
    {
      name: 'a denied versioning suspension; AWS Backup deleting expired recovery points',
      records: [
        { ...putVersioning('acme-ledger', { Status: 'Suspended' }, '2026-11-02T10:00:00Z', iamUser('intern')), errorCode: 'AccessDenied', errorMessage: 'Access Denied' },
        ...repeated(8, '2026-11-02T10:05:00Z', 0, (time, i) =>
          ctEvent({ service: 'backup', name: 'DeleteRecoveryPoint', identity: awsService('backup.amazonaws.com'), time, request: { backupVaultName: 'Default', recoveryPointArn: `arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f6071${String(i)}` } }),
        ),
      ],
      expect: [],
    },
    {
      name: BACKUP_PURGE_CASE,
      records: [
        ...repeated(6, '2026-11-02T10:00:00Z', 1, (time, i) => rdsCall('DeleteDBSnapshot', { dBSnapshotIdentifier: `orders-manual-2026-10-${String(10 + i)}` }, time)),
        rdsCall('DeleteDBInstance', { dBInstanceIdentifier: 'orders-prod', skipFinalSnapshot: true, deleteAutomatedBackups: true }, '2026-11-02T10:07:00Z'),
        ctEvent({ service: 'backup', name: 'DeleteRecoveryPoint', identity: intruder, time: '2026-11-02T10:08:00Z', request: { backupVaultName: 'Default', recoveryPointArn: 'arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718' } }),
      ],
      expect: [BACKUPS],
    },
    {
      name: 'a backup vault’s lock removed from the CLI',
      records: [ctEvent({ service: 'backup', name: 'DeleteBackupVaultLockConfiguration', identity: intruder, time: '2026-11-02T10:00:00Z', request: { backupVaultName: 'prod-locked' } })],
      expect: [BACKUPS],
    },
    {
      name: 'a test database deleted with its final snapshot and its automated backups kept; Terraform destroying six snapshots; a refused snapshot deletion',
      records: [
        rdsCall('DeleteDBInstance', { dBInstanceIdentifier: 'orders-test', skipFinalSnapshot: false, finalDBSnapshotIdentifier: 'orders-test-final', deleteAutomatedBackups: false }, '2026-11-02T10:02:00Z', admin),
        ...repeated(6, '2026-11-02T11:00:00Z', 0, (time, i) => rdsCall('DeleteDBSnapshot', { dBSnapshotIdentifier: `staging-${String(i)}` }, time, terraform, TERRAFORM_AGENT)),
        { ...rdsCall('DeleteDBSnapshot', { dBSnapshotIdentifier: 'orders-before-migration' }, '2026-11-02T12:00:00Z', iamUser('intern')), errorCode: 'AccessDenied', errorMessage: 'not authorized to perform: rds:DeleteDBSnapshot' },
      ],
      expect: [],
    },
    // Backups deleted one at a time: Low, one finding per principal and hour (test/rds-data-access.test.ts checks the severities).
    {
      name: SNAPSHOTS_BY_HAND_CASE,
      records: [
        rdsCall('DeleteDBSnapshot', { dBSnapshotIdentifier: 'orders-before-migration' }, '2026-11-02T10:00:00Z', admin),
        rdsCall('DeleteDBClusterSnapshot', { dBClusterSnapshotIdentifier: 'aurora-before-upgrade' }, '2026-11-02T10:01:00Z', admin),
        rdsCall('DeleteDBInstance', { dBInstanceIdentifier: 'orders-test', skipFinalSnapshot: false, finalDBSnapshotIdentifier: 'orders-test-final' }, '2026-11-02T10:02:00Z', admin),
      ],
      expect: [BACKUPS],
    },
    {
      name: RETENTION_JOB_CASE,
      records: [
        ...repeated(2, '2026-11-01T02:00:00Z', 1, (time, i) => rdsCall('DeleteDBSnapshot', { dBSnapshotIdentifier: `nightly-2026-10-${String(10 + i)}` }, time, retention)),
        ...repeated(6, '2026-11-02T02:00:00Z', 1, (time, i) => rdsCall('DeleteDBSnapshot', { dBSnapshotIdentifier: `nightly-2026-10-${String(20 + i)}` }, time, retention)),
      ],
      expect: [BACKUPS],
    },
    {
      name: 'Panther: RDS snapshots and automated backups deleted one at a time (Low), a database deleted without a final snapshot (Medium), a cluster deleted in the console with its automated backups (Low)',
      datasets: [
        { panther: 'AWS.RDS.SnapshotDeleted', test: 'DB Snapshot Deleted' },
        { panther: 'AWS.RDS.SnapshotDeleted', test: 'DB Cluster Snapshot Deleted' },
        { panther: 'AWS.RDS.AutomatedBackupDeleted', test: 'Automated Backup Deleted' },
        { panther: 'AWS.RDS.AutomatedBackupDeleted', test: 'Cluster Automated Backup Deleted' },
        { panther: 'AWS.RDS.InstanceDeletion', test: 'RDS Instance Deleted Without Final Snapshot - Critical' },
        { panther: 'AWS.RDS.InstanceDeletion', test: 'RDS Cluster Deleted' },
      ],
      expect: [BACKUPS],
    },
    {
      name: 'Panther: a database deleted with its final snapshot and automated backups kept; refused deletions; other RDS calls',
      datasets: [
        { panther: 'AWS.RDS.InstanceDeletion', test: 'RDS Instance Deleted With Final Snapshot' },
        { panther: 'AWS.RDS.InstanceDeletion', test: 'RDS Deletion Failed - Access Denied' },
        { panther: 'AWS.RDS.InstanceDeletion', test: 'Different RDS Event' },
        { panther: 'AWS.RDS.SnapshotDeleted', test: 'Snapshot Deletion Failed' },
        { panther: 'AWS.RDS.SnapshotDeleted', test: 'Different RDS Event' },
        { panther: 'AWS.RDS.AutomatedBackupDeleted', test: 'Automated Backup Deletion Failed' },
        { panther: 'AWS.RDS.AutomatedBackupDeleted', test: 'Different RDS Event' },
      ],
      expect: [],
    },
    {
      name: DATABASE_DESTROYED_CASE,
      records: [rdsCall('DeleteDBCluster', { dBClusterIdentifier: 'aurora-prod', skipFinalSnapshot: true }, '2026-11-02T10:00:00Z')],
      expect: [BACKUPS],
    },
    {
      name: DATABASE_DESTROYED_ROUTINELY_CASE,
      records: [
        rdsCall('DeleteDBInstance', { dBInstanceIdentifier: 'review-app-181', skipFinalSnapshot: true }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
        rdsCall('DeleteDBInstance', { dBInstanceIdentifier: 'sandbox', skipFinalSnapshot: true, deleteAutomatedBackups: true }, '2026-11-02T11:00:00Z', admin, CONSOLE_AGENT),
      ],
      expect: [BACKUPS],
    },
    {
      name: RESTORE_TEST_CASE,
      records: ['2026-11-01T03:00:00Z', '2026-11-02T03:00:00Z'].map((time, i) => rdsCall('DeleteDBInstance', { dBInstanceIdentifier: `restore-test-${String(i)}`, skipFinalSnapshot: true }, time, restoreTester)),
      expect: [BACKUPS],
    },
    {
      name: 'an IAM user’s key turns off deletion protection of a database, then deletes it without a final snapshot (Medium)',
      records: [
        rdsCall('ModifyDBInstance', { dBInstanceIdentifier: 'orders-prod', deletionProtection: false, applyImmediately: true }, '2026-11-02T10:00:00Z'),
        rdsCall('DeleteDBInstance', { dBInstanceIdentifier: 'orders-prod', skipFinalSnapshot: true, deleteAutomatedBackups: true }, '2026-11-02T10:04:00Z'),
      ],
      expect: [DELETION_PROTECTION],
    },
    {
      name: 'RDS changes that leave deletion protection on: a resize, protection turned on, a refused attempt to turn it off',
      records: [
        rdsCall('ModifyDBInstance', { dBInstanceIdentifier: 'orders-prod', dBInstanceClass: 'db.r6g.xlarge', applyImmediately: false }, '2026-11-02T10:00:00Z', admin),
        rdsCall('ModifyDBCluster', { dBClusterIdentifier: 'aurora-prod', deletionProtection: true }, '2026-11-02T10:01:00Z', terraform, TERRAFORM_AGENT),
        { ...rdsCall('ModifyDBCluster', { dBClusterIdentifier: 'aurora-prod', deletionProtection: false }, '2026-11-02T10:02:00Z'), errorCode: 'AccessDenied', errorMessage: 'not authorized to perform: rds:ModifyDBCluster' },
      ],
      expect: [],
    },
    // Benign lookalikes: reported, at Low (test/infrastructure-detections.test.ts checks the severities).
    {
      name: 'Terraform destroys an Aurora cluster (protection off, then deleted), an admin turns protection off on a test database (Low)',
      records: [
        rdsCall('ModifyDBCluster', { dBClusterIdentifier: 'aurora-staging', deletionProtection: false, applyImmediately: true }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT),
        rdsCall('DeleteDBCluster', { dBClusterIdentifier: 'aurora-staging', skipFinalSnapshot: false, finalDBSnapshotIdentifier: 'aurora-staging-final' }, '2026-11-02T10:03:00Z', terraform, TERRAFORM_AGENT),
        rdsCall('ModifyDBInstance', { dBInstanceIdentifier: 'orders-test', deletionProtection: false, applyImmediately: true }, '2026-11-02T11:00:00Z', admin, CONSOLE_AGENT),
      ],
      expect: [DELETION_PROTECTION],
    },
    {
      name: 'an admin suspends versioning and deletes a backup vault in the console (Low)',
      records: [
        putVersioning('acme-scratch', { Status: 'Suspended' }, '2026-11-02T10:01:00Z', admin, CONSOLE_AGENT),
        ctEvent({ service: 'backup', name: 'DeleteBackupVault', identity: admin, userAgent: CONSOLE_AGENT, time: '2026-11-02T10:03:00Z', request: { backupVaultName: 'sandbox-vault' } }),
      ],
      expect: [VERSIONING, BACKUPS],
    },
    {
      name: 'Terraform suspends versioning on a scratch bucket (Low)',
      records: [putVersioning('acme-scratch', { Status: 'Suspended' }, '2026-11-02T10:00:00Z', terraform, TERRAFORM_AGENT)],
      expect: [VERSIONING],
    },
  ],
};
