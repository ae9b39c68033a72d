import type { FindingTypeSpec } from '../../detect/detection.js';
import type { GuardDutyFinding } from '../guardduty-finding.js';
import { toAsff } from './asff.js';
import { toEventBridgeEvent } from './eventbridge.js';
import { toOcsf } from './ocsf.js';

/** Output formats for findings: GuardDuty's own JSON, its EventBridge event, Security Hub ASFF, OCSF 1.1. */
export const FINDING_FORMATS = ['guardduty', 'eventbridge', 'asff', 'ocsf'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

/** The finding in `format`; `spec` (the type's catalogue entry) adds remediation and MITRE mappings where the format has them. */
export function formatFinding(format: FindingFormat, finding: GuardDutyFinding, spec?: FindingTypeSpec): object {
  switch (format) {
    case 'guardduty':
      return finding;
    case 'eventbridge':
      return toEventBridgeEvent(finding);
    case 'asff':
      return toAsff(finding, spec);
    case 'ocsf':
      return toOcsf(finding, spec);
  }
}
