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
import type { Detection, FindingTypeSpec } from './detection.js';

/** Every detection Gumshoe runs. Add a module here to enable it. */
export const DETECTIONS: readonly Detection[] = [rootCredentialUsage, anomalousBehavior, credentialExfiltration, consoleLoginGeoVelocity, s3AnomalousBehavior, attackSequence, iamThreatIntel, s3ThreatIntel, pentestUserAgent, cloudtrailLoggingDisabled, passwordPolicyChange, bedrockLoggingDisabled, s3PublicAccess];

/** Finding type name → its catalogue entry, over every detection. */
export function findingTypeSpecs(detections: readonly Detection[] = DETECTIONS): Map<string, FindingTypeSpec> {
  return new Map(detections.flatMap((d) => d.types.map((spec) => [spec.type, spec] as const)));
}
