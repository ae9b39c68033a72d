import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runDetections } from '../src/detect/engine.js';
import { dataset, tempLake } from './helpers/lake.js';

/**
 * Each Stratus Red Team AWS technique, detected from its detonation's CloudTrail alone: one file ingested into
 * a fresh lake, with no history and no background, as `gumshoe detect FILE --db fresh.duckdb` runs it. The 22
 * techniques with a published detonation log replay it; the other 22 replay the hand-made shapes in
 * test/fixtures/stratus-shapes (see its README). Each must raise the type docs/detections-gumshoe.md says covers it.
 */
const EXPECTED: Record<string, { types: string[]; shape?: true }> = {
  'aws.credential-access.ec2-get-password-data': { types: ['CredentialAccess:EC2/PasswordDataRetrievalBurst.Gumshoe'] },
  'aws.credential-access.ec2-steal-instance-credentials': {
    types: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  'aws.credential-access.secretsmanager-batch-retrieve-secrets': { types: ['CredentialAccess:IAMUser/SecretsMassRetrieved.Gumshoe'], shape: true },
  'aws.credential-access.secretsmanager-retrieve-secrets': { types: ['CredentialAccess:IAMUser/SecretsMassRetrieved.Gumshoe'] },
  'aws.credential-access.ssm-retrieve-securestring-parameters': { types: ['CredentialAccess:IAMUser/SecureParametersMassDecrypted.Gumshoe'] },
  'aws.defense-evasion.cloudtrail-delete': { types: ['Stealth:IAMUser/CloudTrailLoggingDisabled'] },
  'aws.defense-evasion.cloudtrail-event-selectors': { types: ['DefenseEvasion:IAMUser/CloudTrailEventSelectorsWeakened.Gumshoe'], shape: true },
  'aws.defense-evasion.cloudtrail-lifecycle-rule': { types: ['DefenseEvasion:S3/CloudTrailBucketShortLifecycle.Gumshoe'], shape: true },
  'aws.defense-evasion.cloudtrail-stop': { types: ['Stealth:IAMUser/CloudTrailLoggingDisabled'] },
  'aws.defense-evasion.dns-delete-logs': { types: ['DefenseEvasion:IAMUser/DnsQueryLoggingDeleted.Gumshoe'], shape: true },
  'aws.defense-evasion.organizations-leave': { types: ['DefenseEvasion:Organizations/LeaveOrganizationAttempt.Gumshoe'], shape: true },
  'aws.defense-evasion.vpc-remove-flow-logs': { types: ['DefenseEvasion:IAMUser/FlowLogsDeleted.Gumshoe'] },
  'aws.discovery.ec2-enumerate-from-instance': { types: ['Discovery:EC2/EnumerationFromInstance.Gumshoe'], shape: true },
  'aws.discovery.ec2-download-user-data': { types: ['Discovery:EC2/UserDataEnumeration.Gumshoe'], shape: true },
  'aws.discovery.ses-enumerate': { types: ['Discovery:SES/SendingCapabilityEnumeration.Gumshoe'], shape: true },
  'aws.execution.ec2-launch-unusual-instances': { types: ['Impact:EC2/UnusualInstanceLaunch.Gumshoe'] },
  'aws.execution.ec2-user-data': { types: ['Execution:EC2/UserDataModified.Gumshoe'] },
  'aws.execution.sagemaker-update-lifecycle-config': { types: ['Execution:SageMaker/NotebookLifecycleConfigModified.Gumshoe'], shape: true },
  'aws.execution.ssm-send-command': { types: ['Execution:EC2/SsmRemoteExecution.Gumshoe'] },
  'aws.execution.ssm-start-session': { types: ['Execution:EC2/SsmRemoteExecution.Gumshoe'], shape: true },
  'aws.exfiltration.ec2-security-group-open-port-22-ingress': { types: ['DefenseEvasion:EC2/AdminPortOpenToInternet.Gumshoe'] },
  'aws.exfiltration.ec2-share-ami': { types: ['Exfiltration:EC2/AmiSharedExternally.Gumshoe'] },
  'aws.exfiltration.ec2-share-ebs-snapshot': { types: ['Exfiltration:EC2/SnapshotSharedExternally.Gumshoe'], shape: true },
  'aws.exfiltration.rds-share-snapshot': { types: ['Exfiltration:RDS/SnapshotSharedExternally.Gumshoe'], shape: true },
  'aws.exfiltration.s3-backdoor-bucket-policy': { types: ['Exfiltration:S3/BucketPolicyGrantsExternalAccount.Gumshoe'], shape: true },
  'aws.impact.bedrock-invoke-model': { types: ['Impact:Bedrock/ModelInvocationAbuse.Gumshoe'], shape: true },
  'aws.impact.ec2-deregister-ami': { types: ['Impact:EC2/AmiDeregistered.Gumshoe'], shape: true },
  'aws.impact.s3-ransomware-batch-deletion': { types: ['Impact:S3/MassObjectDeletion.Gumshoe', 'Impact:S3/RansomNoteUploaded.Gumshoe'], shape: true },
  'aws.impact.s3-ransomware-client-side-encryption': { types: ['Impact:S3/ObjectsReencryptedWithForeignKey.Gumshoe', 'Impact:S3/RansomNoteUploaded.Gumshoe'], shape: true },
  'aws.impact.s3-ransomware-individual-deletion': { types: ['Impact:S3/MassObjectDeletion.Gumshoe', 'Impact:S3/RansomNoteUploaded.Gumshoe'], shape: true },
  'aws.initial-access.console-login-without-mfa': { types: ['InitialAccess:IAMUser/ConsoleLoginWithoutMfa.Gumshoe'] },
  'aws.lateral-movement.ec2-instance-connect': { types: ['LateralMovement:EC2/InstanceConnectKeyPushed.Gumshoe'] },
  'aws.lateral-movement.ec2-serial-console-send-ssh-public-key': { types: ['LateralMovement:EC2/SerialConsoleAccess.Gumshoe'], shape: true },
  'aws.persistence.iam-backdoor-role': { types: ['Persistence:IAMUser/RoleTrustBackdoor.Gumshoe'] },
  'aws.persistence.iam-backdoor-user': { types: ['Persistence:IAMUser/AccessKeyCreatedForOtherUser.Gumshoe'] },
  'aws.persistence.iam-create-admin-user': { types: ['Persistence:IAMUser/AdminUserCreated.Gumshoe'] },
  'aws.persistence.iam-create-backdoor-role': { types: ['Persistence:IAMUser/RoleTrustBackdoor.Gumshoe'] },
  'aws.persistence.iam-create-user-login-profile': { types: ['Persistence:IAMUser/LoginProfileCreated.Gumshoe'] },
  'aws.persistence.lambda-backdoor-function': { types: ['Persistence:Lambda/ResourcePolicyBackdoor.Gumshoe'] },
  'aws.persistence.lambda-layer-extension': { types: ['Persistence:Lambda/LayerAdded.Gumshoe'], shape: true },
  'aws.persistence.lambda-overwrite-code': { types: ['Persistence:Lambda/FunctionCodeOverwritten.Gumshoe'] },
  'aws.persistence.rolesanywhere-create-trust-anchor': { types: ['Persistence:RolesAnywhere/TrustAnchorCreated.Gumshoe'], shape: true },
  'aws.persistence.sts-federation-token': { types: ['Persistence:IAMUser/FederationTokenCreated.Gumshoe'], shape: true },
  'aws.privilege-escalation.iam-update-user-login-profile': { types: ['PrivilegeEscalation:IAMUser/LoginProfileUpdated.Gumshoe'] },
};

const SHAPES = path.resolve(import.meta.dirname, 'fixtures', 'stratus-shapes');
const fileOf = (technique: string, shape?: true) => (shape ? path.join(SHAPES, `${technique}.json`) : dataset('stratus_detonation_logs', 'logs', `${technique}.json`));

/** The finding types one file raises, alone in a fresh lake, on one thread as the CLI runs a small input. */
async function typesFromFreshLake(file: string): Promise<string[]> {
  const lake = await tempLake();
  try {
    const ingested = await lake.ingest([file]);
    assert.ok(ingested.stored > 0 && ingested.quarantined === 0, `${file}: ${JSON.stringify(ingested)}`);
    const { findings } = await runDetections(lake.lake, { threads: 1 });
    return [...new Set(findings.map((f) => f.type))].sort();
  } finally {
    lake.close();
  }
}

describe('each Stratus AWS technique, from its detonation alone in a fresh lake', () => {
  test('the table covers the 44 techniques, 22 of them with published detonation logs', () => {
    assert.equal(Object.keys(EXPECTED).length, 44);
    assert.equal(Object.values(EXPECTED).filter((e) => e.shape).length, 22);
  });

  for (const [technique, { types, shape }] of Object.entries(EXPECTED)) {
    test(`${technique}${shape ? ' (shape)' : ''} raises ${types.join(' or ')}`, async () => {
      const raised = await typesFromFreshLake(fileOf(technique, shape));
      assert.ok(types.some((type) => raised.includes(type)), `raised: ${raised.join(', ') || 'nothing'}`);
    });
  }
});

/**
 * Variants of the 22 hand-made shapes (test/fixtures/stratus-shapes/variants, `<technique>--<variant>.json`):
 * the same detonation as a real account may log it (refused calls, the technique's other code paths, SSO or
 * role-profile callers, the SDK's own user agent). Each must still raise the technique's type.
 */
const VARIANTS = path.join(SHAPES, 'variants');
const variantFiles = fs.readdirSync(VARIANTS).filter((f) => f.endsWith('.json')).sort();

describe('each hand-made Stratus shape, as a real account may log it', () => {
  test('every shape technique has variants, and every variant names a shape technique', () => {
    const techniques = new Set(variantFiles.map((f) => f.slice(0, f.indexOf('--'))));
    assert.deepEqual([...techniques].sort(), Object.keys(EXPECTED).filter((t) => EXPECTED[t]!.shape).sort());
  });

  for (const file of variantFiles) {
    const { types } = EXPECTED[file.slice(0, file.indexOf('--'))] ?? { types: [] };
    test(`${file.replace('.json', '')} raises ${types.join(' or ')}`, async () => {
      const raised = await typesFromFreshLake(path.join(VARIANTS, file));
      assert.ok(types.some((type) => raised.includes(type)), `raised: ${raised.join(', ') || 'nothing'}`);
    });
  }
});
