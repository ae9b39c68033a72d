import { rootCredentialUsage } from './cloudtrail/root-credential-usage.js';
import { anomalousBehavior } from './cloudtrail/anomalous-behavior.js';
import { attackSequence } from './cloudtrail/attack-sequence.js';
import { consoleLoginGeoVelocity } from './cloudtrail/console-login-geo-velocity.js';
import { credentialExfiltration } from './cloudtrail/credential-exfiltration.js';
import { s3AnomalousBehavior } from './cloudtrail/s3-anomalous-behavior.js';
import { bedrockLoggingDisabled } from './cloudtrail/bedrock-logging-disabled.js';
import { cloudtrailLoggingDisabled } from './cloudtrail/cloudtrail-logging-disabled.js';
import { iamThreatIntel } from './cloudtrail/iam-threat-intel.js';
import { passwordPolicyChange } from './cloudtrail/password-policy-change.js';
import { pentestUserAgent } from './cloudtrail/pentest-user-agent.js';
import { s3PublicAccess } from './cloudtrail/s3-public-access.js';
import { s3ThreatIntel } from './cloudtrail/s3-threat-intel.js';
import { bedrockAndSes } from './cloudtrail/bedrock-and-ses.js';
import { consoleLogin } from './cloudtrail/console-login.js';
import { ec2Execution, instanceEnumeration } from './cloudtrail/ec2-execution.js';
import { iamPersistence } from './cloudtrail/iam-persistence.js';
import { lambdaPersistence } from './cloudtrail/lambda-persistence.js';
import { loggingTampering } from './cloudtrail/logging-tampering.js';
import { s3Ransomware } from './cloudtrail/s3-ransomware.js';
import { s3EncryptionTampering } from './cloudtrail/s3-encryption-tampering.js';
import { s3CopyExfiltration } from './cloudtrail/s3-copy-exfiltration.js';
import { s3ObjectExposure } from './cloudtrail/s3-object-exposure.js';
import { sharingExternally } from './cloudtrail/sharing-externally.js';
import { infrastructureExposure, vpcEndpointExternalAccess } from './cloudtrail/infrastructure-exposure.js';
import { recoverySabotage } from './cloudtrail/recovery-sabotage.js';
import { rdsDataAccess } from './cloudtrail/rds-data-access.js';
import { cognitoExposure } from './cloudtrail/cognito-exposure.js';
import { ecsTaskCredentials } from './cloudtrail/ecs-task-credentials.js';
import { ssmAndSecrets } from './cloudtrail/ssm-and-secrets.js';
import { leakedCredentials } from './cloudtrail/leaked-credentials.js';
import { identityFederation } from './cloudtrail/identity-federation.js';
import { findingsSuppression } from './cloudtrail/findings-suppression.js';
import { kmsKeyDestruction } from './cloudtrail/kms-key-destruction.js';
import { accountGuardrails } from './cloudtrail/account-guardrails.js';
import { regionOptIn } from './cloudtrail/region-opt-in.js';
import { instanceRoleIam } from './cloudtrail/instance-role-iam.js';
import { firstSeen } from './network/first-seen.js';
import { flowThreatIntel } from './network/flow-threat-intel.js';
import { portProbe } from './network/port-probe.js';
import { tor } from './network/tor.js';
import { bruteForce } from './network/brute-force.js';
import { denialOfService } from './network/denial-of-service.js';
import { rejectedSurge } from './network/rejected-surge.js';
import { scans } from './network/scans.js';
import { trafficVolume } from './network/traffic-volume.js';
import { dnsDataExfiltration } from './dns/data-exfiltration.js';
import { dgaDomainRequest } from './dns/dga-domain.js';
import { dnsThreatIntel } from './dns/dns-threat-intel.js';
import { domainReputation } from './dns/domain-reputation.js';
import { metadataDnsRebind } from './dns/metadata-rebind.js';
import { outOfBandCallback } from './dns/out-of-band-callback.js';
import type { Detection, FindingTypeSpec } from './detection.js';

/** Every detection Gumshoe runs. Add a module here to enable it. */
export const DETECTIONS: readonly Detection[] = [rootCredentialUsage, anomalousBehavior, credentialExfiltration, consoleLoginGeoVelocity, s3AnomalousBehavior, attackSequence, iamThreatIntel, s3ThreatIntel, pentestUserAgent, cloudtrailLoggingDisabled, passwordPolicyChange, bedrockLoggingDisabled, s3PublicAccess, sharingExternally, iamPersistence, lambdaPersistence, loggingTampering, ec2Execution, instanceEnumeration, ssmAndSecrets, bedrockAndSes, consoleLogin, leakedCredentials, identityFederation, findingsSuppression, kmsKeyDestruction, accountGuardrails, regionOptIn, instanceRoleIam, s3Ransomware, s3EncryptionTampering, s3CopyExfiltration, s3ObjectExposure, recoverySabotage, rdsDataAccess, cognitoExposure, infrastructureExposure, vpcEndpointExternalAccess, ecsTaskCredentials, flowThreatIntel, tor, portProbe, firstSeen, bruteForce, scans, denialOfService, trafficVolume, rejectedSurge, dnsThreatIntel, dgaDomainRequest, dnsDataExfiltration, metadataDnsRebind, domainReputation, outOfBandCallback];

/** Finding type name → its catalogue entry, over every detection. */
export function findingTypeSpecs(detections: readonly Detection[] = DETECTIONS): Map<string, FindingTypeSpec> {
  return new Map(detections.flatMap((d) => d.types.map((spec) => [spec.type, spec] as const)));
}
