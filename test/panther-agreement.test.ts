import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { runCase } from '../src/detect/cases.js';
import { datasetsDir } from '../src/detect/dataset-records.js';
import { DETECTIONS } from '../src/detect/registry.js';

/**
 * Agreement with Panther's CloudTrail rule tests: every test event replayed alone through every detection.
 * Panther's events are single records with no history, so only rule-like types can agree with them; the
 * baseline, burst and first-seen types stay silent on one event by design (docs/detections-gumshoe.md).
 */
interface PantherTest {
  rule_id: string;
  test_name: string;
  expected_result: boolean;
}

const tests = gunzipSync(readFileSync(path.join(datasetsDir(), 'panther_rule_tests', 'cloudtrail_tests.jsonl.gz')))
  .toString('utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as PantherTest);

/** Finding types (with severity) one Panther test event raises on its own. */
function raised(t: PantherTest): { type: string; severity: number }[] {
  return runCase(DETECTIONS, { name: t.test_name, datasets: [{ panther: t.rule_id, test: t.test_name }], expect: [] }).map((o) => ({
    type: o.finding.type,
    severity: o.finding.severity,
  }));
}

/** Panther rules whose threat a Gumshoe rule-like type covers, with the type each firing test must raise. */
const COVERED: Record<string, string> = {
  'AWS.Bedrock.DeleteModelInvocationLoggingConfiguration': 'DefenseEvasion:IAMUser/BedrockLoggingDisabled',
  'AWS.CloudTrail.AttemptToLeaveOrg': 'DefenseEvasion:Organizations/LeaveOrganizationAttempt.Gumshoe',
  'AWS.CloudTrail.DNSLogsDeleted': 'DefenseEvasion:IAMUser/DnsQueryLoggingDeleted.Gumshoe',
  'AWS.CloudTrail.EventSelectorsDisabled': 'DefenseEvasion:IAMUser/CloudTrailEventSelectorsWeakened.Gumshoe',
  'AWS.CloudTrail.LoginProfileCreatedOrModified': 'PrivilegeEscalation:IAMUser/LoginProfileUpdated.Gumshoe',
  'AWS.CloudTrail.RootAccessKeyCreated': 'Policy:IAMUser/RootCredentialUsage',
  'AWS.CloudTrail.RootPasswordChanged': 'Policy:IAMUser/RootCredentialUsage',
  'AWS.CloudTrail.SecurityConfigurationChange': 'Stealth:IAMUser/CloudTrailLoggingDisabled',
  'AWS.CloudTrail.ShortLifecycle': 'DefenseEvasion:S3/CloudTrailBucketShortLifecycle.Gumshoe',
  'AWS.CloudTrail.VPCE.ExternalPrincipal': 'Exfiltration:EC2/VpcEndpointUsedByExternalAccount.Gumshoe',
  'AWS.CloudTrail.SnapshotMadePublic': 'Exfiltration:EC2/SnapshotSharedExternally.Gumshoe',
  'AWS.ConfigService.DisabledDeleted': 'DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe',
  'AWS.Console.RootLogin': 'Policy:IAMUser/RootCredentialUsage',
  'AWS.Console.RootLoginFailed': 'CredentialAccess:IAMUser/ConsoleSignInBruteForce.Gumshoe',
  'AWS.Unsuccessful.MFA.attempt': 'CredentialAccess:IAMUser/ConsoleSignInBruteForce.Gumshoe',
  'AWS.CloudTrail.IAMCompromisedKeyQuarantine': 'CredentialAccess:IAMUser/AccessKeyExposed.Gumshoe',
  'AWS.IAM.AccessKeyCompromised': 'CredentialAccess:IAMUser/AccessKeyExposed.Gumshoe',
  'AWS.STS.GetCallerIdentity.TruffleHog': 'CredentialAccess:IAMUser/AccessKeyExposed.Gumshoe',
  'AWS.Suspicious.SAML.Activity': 'Persistence:IAMUser/IdentityProviderTrustChanged.Gumshoe',
  'AWS.Console.GetSigninToken.Abuse': 'InitialAccess:IAMUser/ConsoleSessionFromCredentials.Gumshoe',
  'AWS.EC2.LaunchUnusualEC2Instances': 'Impact:EC2/UnusualInstanceLaunch.Gumshoe',
  'AWS.EC2.Startup.Script.Change': 'Execution:EC2/UserDataModified.Gumshoe',
  'AWS.RDS.InstanceMadePublic': 'Exfiltration:RDS/DatabaseMadePublic.Gumshoe',
  'AWS.RDS.PublicRestore': 'Exfiltration:RDS/DatabaseMadePublic.Gumshoe',
  'AWS.IAM.BackdoorRole': 'Persistence:IAMUser/RoleTrustBackdoor.Gumshoe',
  'AWS.Lambda.UpdateFunctionCode': 'Persistence:Lambda/FunctionCodeOverwritten.Gumshoe',
  'AWS.Lambda.UpdateFunctionConfiguration': 'Persistence:Lambda/LayerAdded.Gumshoe',
  'AWS.Macie.Evasion': 'DefenseEvasion:IAMUser/SecurityFindingsSuppressed.Gumshoe',
  'AWS.RDS.ActivityStreamStopped': 'DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe',
  'AWS.RDS.AutomatedBackupDeleted': 'Impact:IAMUser/BackupsDeleted.Gumshoe',
  'AWS.RDS.IAMRoleAdded': 'PrivilegeEscalation:RDS/IamRoleAddedToDatabase.Gumshoe',
  'AWS.RDS.LogFileDownloaded': 'CredentialAccess:RDS/LogFilesDownloaded.Gumshoe',
  'AWS.RDS.ManualSnapshotCreated': 'DefenseEvasion:RDS/ManualSnapshotCreated.Gumshoe',
  'AWS.RDS.MasterPasswordUpdated': 'PrivilegeEscalation:RDS/MasterPasswordReset.Gumshoe',
  'AWS.RDS.SecurityGroupIngressAuthorized': 'DefenseEvasion:RDS/SecurityGroupIngressAuthorized.Gumshoe',
  'AWS.RDS.SnapshotCopiedCrossRegion': 'Exfiltration:RDS/SnapshotCopiedToOtherRegion.Gumshoe',
  'AWS.RDS.SnapshotDeleted': 'Impact:IAMUser/BackupsDeleted.Gumshoe',
  'AWS.RDS.SnapshotShared': 'Exfiltration:RDS/SnapshotSharedExternally.Gumshoe',
  'AWS.S3.CopyObject.CrossAccount.Encryption.KMS': 'Impact:S3/ObjectsReencryptedWithForeignKey.Gumshoe',
  'AWS.S3.CopyObjectWithClientSideEncryption': 'Impact:S3/ObjectsReencryptedWithForeignKey.Gumshoe',
  'AWS.S3.DeleteBucketEncryption': 'DefenseEvasion:S3/BucketEncryptionRemoved.Gumshoe',
  'AWS.S3.DeletePublicAccessBlock': 'Policy:S3/BucketBlockPublicAccessDisabled',
  'AWS.S3.DisableMfaDelete': 'Impact:S3/VersioningSuspended.Gumshoe',
  'AWS.S3.SuspendVersioning': 'Impact:S3/VersioningSuspended.Gumshoe',
  'AWS.S3.DisableBucketLogging': 'Stealth:S3/ServerAccessLoggingDisabled',
  'AWS.STS.GetSessionToken.Misuse': 'Persistence:IAMUser/SessionTokenMinted.Gumshoe',
  'AWS.User.Login.Profile.Modified': 'PrivilegeEscalation:IAMUser/LoginProfileUpdated.Gumshoe',
  'AWS.VPCFlow.LogsDeleted': 'DefenseEvasion:IAMUser/FlowLogsDeleted.Gumshoe',
};

/** Single tests of broader Panther rules that a Gumshoe type covers. */
const COVERED_TESTS: Record<string, string> = {
  'AWS.CloudTrail.IMDSCredentialExfiltration/IMDS Credentials Used From Public IP': 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'AWS.CloudTrail.ResourceMadePublic/S3 Made Publicly Accessible': 'Policy:S3/BucketAnonymousAccessGranted',
  'AWS.CloudTrail.ResourceMadePublic/ECR Made Public': 'Exfiltration:ECR/RepositorySharedExternally.Gumshoe',
  'AWS.S3.SecurityControlDisabling/Match - Bucket Logging Disabled': 'Stealth:S3/ServerAccessLoggingDisabled',
  'AWS.EC2.ManualSecurityGroupChange/Go Script Authorize Ingress': 'DefenseEvasion:EC2/AdminPortOpenToInternet.Gumshoe',
  // A session re-pointed to another target; Panther's rule also fires on filters and targets, which mirror nothing yet.
  'AWS.EC2.Traffic.Mirroring/ModifyTrafficMirrorSession': 'CredentialAccess:EC2/TrafficMirroringCreated.Gumshoe',
  // Deletions that lose a backup; one with its final snapshot and automated backups kept loses none.
  'AWS.RDS.InstanceDeletion/RDS Instance Deleted Without Final Snapshot - Critical': 'Impact:IAMUser/BackupsDeleted.Gumshoe',
  'AWS.RDS.InstanceDeletion/RDS Cluster Deleted': 'Impact:IAMUser/BackupsDeleted.Gumshoe',
};

/**
 * Benign-labelled tests that raise Medium or above, and why that is right: Panther's label belongs to its
 * rule, not to the event.
 */
const MEDIUM_ON_BENIGN: Record<string, string> = {
  // The "Created" rule's negative is a real DeleteDeliveryChannel (the DisabledDeleted rule's positive).
  'AWS.ConfigService.Created/Config Recorder Deleted': 'DefenseEvasion:IAMUser/SecurityServiceDisabled.Gumshoe',
  // A Lambda role's session called from a public address (the scrubbed 111.111.111.111): outside AWS.
  'AWS.UnusedRegion/Authorized region': 'UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS',
  // The traffic-mirroring rule's unrelated event is a CodeBuild project made public (UpdateProjectVisibility PUBLIC_READ).
  'AWS.EC2.Traffic.Mirroring/UnrelatedEvent': 'Exfiltration:CodeBuild/ProjectSharedExternally.Gumshoe',
};

const key = (t: PantherTest) => `${t.rule_id}/${t.test_name}`;

describe('Panther CloudTrail rule tests, one event at a time', () => {
  test('every expected-true test of a covered rule raises the covering type', () => {
    const expectedTrue = tests.filter((t) => t.expected_result && (COVERED[t.rule_id] ?? COVERED_TESTS[key(t)]));
    assert.equal(expectedTrue.length, 78);
    const missed = expectedTrue.filter((t) => !raised(t).some((f) => f.type === (COVERED[t.rule_id] ?? COVERED_TESTS[key(t)])));
    assert.deepEqual(missed.map(key), []);
  });

  test('expected-false tests raise nothing above Low, except where the event really is the threat', () => {
    const loud = tests
      .filter((t) => !t.expected_result)
      .flatMap((t) => raised(t).filter((f) => f.severity >= 4).map((f) => [key(t), f.type] as const));
    assert.deepEqual(Object.fromEntries(loud), MEDIUM_ON_BENIGN);
  });
});
