import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, getEntry, isAwsServiceCall, isConsoleAgent, isIacAgent, obj, objects, ownAccount, personVars, setEntry, str, wasHabit } from './gumshoe-common.js';

/**
 * Security services left running but told to stay quiet: a standing rule that silences future findings.
 * Turning the services off is SecurityServiceDisabled (logging-tampering.ts); this is the quieter way.
 *
 * - GuardDuty: a filter whose action is ARCHIVE (findings it matches are archived as they arrive), a
 *   trusted IP list created or updated (GuardDuty raises nothing for traffic from those addresses), a
 *   threat list deleted or deactivated, a publishing destination deleted (findings stop reaching S3/SIEM).
 * - Security Hub: an automation rule that sets the workflow status of matching findings to SUPPRESSED.
 * - Security Hub, by hand: GuardDuty, Inspector or Macie findings set to SUPPRESSED or RESOLVED
 *   (`BatchUpdateFindings`) by a principal that has not done so on an earlier day: the threat findings an
 *   intruder closes to hide what the services saw.
 * - Macie: a findings filter whose action is ARCHIVE (a suppression rule); finding publishing slowed
 *   (`UpdateMacieSession` with a `findingPublishingFrequency` of an hour or six hours, unless the session is
 *   known to have published at least that slowly already): updates to existing findings reach EventBridge
 *   and Security Hub up to six hours late.
 *
 * Medium through an SDK or the CLI by a principal that has not done it on an earlier day; Low from the
 * console (tuning by an analyst), through IaC, or for such a principal. A rule that matches every
 * finding (no criteria) is Medium even from the console, since no tuning needs it. Slower publishing is
 * always Low: new findings still go out at once, and six hours is Macie's default. Closing findings by
 * hand is Low, Medium for ten or more at once (even from the console), and nothing once the principal did
 * it on an earlier day: triage is analysts' and responders' daily work.
 */
const SUPPRESSED = 'DefenseEvasion:IAMUser/SecurityFindingsSuppressed.Gumshoe';

type Json = Record<string, unknown>;

interface Suppression {
  what: string;
  /** Why it is Medium even from the console or for a principal that did it before: the rule matches every finding, or many are closed at once. */
  wide?: string;
  /** A delay rather than silence: Low whoever makes it. */
  delayOnly?: boolean;
  /** Findings closed by hand rather than a standing rule: Low unless wide, nothing once habitual. */
  triage?: boolean;
}

const EVERYTHING = ' It matches every finding.';
/** Threat findings closed in one call that make it Medium: a clean-up, not one false positive looked at. */
const MANY_FINDINGS = 10;
/** Security Hub product ARNs of AWS's threat-detection services (`arn:aws:securityhub:…::product/aws/guardduty`). */
const THREAT_PRODUCT = /:product\/aws\/(guardduty|inspector|macie)$/;
const PRODUCT_NAMES: Record<string, string> = { guardduty: 'GuardDuty', inspector: 'Inspector', macie: 'Macie' };

/** BatchUpdateFindings setting GuardDuty, Inspector or Macie findings to SUPPRESSED or RESOLVED. */
function findingsClosed(request: Json): Suppression | null {
  const workflow = obj(request.Workflow ?? request.workflow);
  const status = str(workflow?.Status ?? workflow?.status)?.toUpperCase();
  if (status !== 'SUPPRESSED' && status !== 'RESOLVED') return null;
  const products = objects(request.FindingIdentifiers ?? request.findingIdentifiers)
    .map((finding) => THREAT_PRODUCT.exec(str(finding.ProductArn ?? finding.productArn) ?? '')?.[1])
    .filter((product): product is string => product !== undefined);
  if (!products.length) return null;
  const names = [...new Set(products)].map((p) => PRODUCT_NAMES[p]).join(', ');
  const count = products.length === 1 ? `a ${names} finding was` : `${products.length} ${names} findings were`;
  return { what: `${count} set to ${status} in Security Hub by hand`, triage: true, wide: products.length >= MANY_FINDINGS ? ` ${products.length} findings at once.` : undefined };
}

/**
 * The service a security call belongs to. Macie's first version logged as `macie.amazonaws.com`; its calls
 * of the same names read as Macie's.
 */
export const securityService = (event: ApiEvent): string => (event.serviceShort === 'macie' ? 'macie2' : event.serviceShort);

/** Macie's finding-publishing frequencies, fastest first (SIX_HOURS is the default). */
const PUBLISHING = ['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'];
const PUBLISHING_WORDS = ['15 minutes', 'hour', 'six hours'];

/** account/region → the publishing frequency a Macie session was last seen set to. */
const publishing = (context: DetectionContext) => context.state<BoundedMap<string>>('macie-publishing', boundedMap);

/**
 * A Macie session told to publish updates to existing findings less often than it did, or (not knowing what
 * it did) every hour or six hours. Pausing the session is SecurityServiceDisabled, which says more.
 */
function publishingSlowed(event: ApiEvent, context: DetectionContext): Suppression | null {
  const request: Json = event.request ?? {};
  const session = `${ownAccount(event)}/${event.region}`;
  // Enabling Macie without a frequency leaves the default.
  const frequency = str(request.findingPublishingFrequency) ?? (event.api === 'EnableMacie' ? 'SIX_HOURS' : undefined);
  const rank = PUBLISHING.indexOf(frequency ?? '');
  if (rank < 0) return null;
  const before = PUBLISHING.indexOf(getEntry(publishing(context), session) ?? '');
  setEntry(publishing(context), session, frequency!, 1000);
  if (event.api === 'EnableMacie' || str(request.status)?.toUpperCase() === 'PAUSED' || rank === 0 || rank <= before) return null;
  return { what: `Macie now publishes updates to existing findings every ${PUBLISHING_WORDS[rank]!}`, delayOnly: true };
}

/** A filter's criteria: GuardDuty `findingCriteria.criterion`, Macie `findingCriteria.criterion`, Security Hub `Criteria`. */
function matchesEverything(criteria: unknown): boolean {
  const object = obj(criteria);
  const inner = obj(object?.criterion) ?? object;
  return !inner || Object.keys(inner).length === 0;
}

/** A Security Hub automation rule's actions that suppress: `Actions[].FindingFieldsUpdate.Workflow.Status`. */
function suppressesFindings(actions: unknown): boolean {
  return objects(actions).some((action) => {
    const update = obj(action.FindingFieldsUpdate ?? action.findingFieldsUpdate);
    const workflow = obj(update?.Workflow ?? update?.workflow);
    return str(workflow?.Status ?? workflow?.status)?.toUpperCase() === 'SUPPRESSED';
  });
}

function suppression(event: ApiEvent, context: DetectionContext): Suppression | null {
  const request: Json = event.request ?? {};
  switch (`${securityService(event)}:${event.api}`) {
    case 'guardduty:CreateFilter':
    case 'guardduty:UpdateFilter':
      if (str(request.action)?.toUpperCase() !== 'ARCHIVE') return null;
      return { what: `GuardDuty filter ${str(request.name ?? request.filterName) ?? 'unknown'} now archives the findings it matches`, wide: event.api === 'CreateFilter' && matchesEverything(request.findingCriteria) ? EVERYTHING : undefined };
    case 'guardduty:CreateIPSet':
    case 'guardduty:UpdateIPSet':
      if (request.activate === false) return null;
      return { what: `GuardDuty trusted IP list ${str(request.name ?? request.ipSetId) ?? 'unknown'} (${str(request.location) ?? 'location unchanged'}) is active: no findings for traffic from those addresses` };
    case 'guardduty:DeleteThreatIntelSet':
      return { what: `GuardDuty threat list ${str(request.threatIntelSetId) ?? 'unknown'} was deleted` };
    case 'guardduty:UpdateThreatIntelSet':
      return request.activate === false ? { what: `GuardDuty threat list ${str(request.threatIntelSetId) ?? 'unknown'} was deactivated` } : null;
    case 'guardduty:DeletePublishingDestination':
      return { what: `GuardDuty findings no longer go to publishing destination ${str(request.destinationId) ?? 'unknown'}` };
    case 'securityhub:CreateAutomationRule':
      if (!suppressesFindings(request.Actions ?? request.actions)) return null;
      return { what: `Security Hub automation rule ${str(request.RuleName ?? request.ruleName) ?? 'unknown'} suppresses the findings it matches`, wide: matchesEverything(request.Criteria ?? request.criteria) ? EVERYTHING : undefined };
    case 'securityhub:BatchUpdateFindings':
      return findingsClosed(request);
    case 'securityhub:BatchUpdateAutomationRules': {
      const items = objects(request.UpdateAutomationRulesRequestItems ?? request.updateAutomationRulesRequestItems);
      const suppressing = items.filter((item) => suppressesFindings(item.Actions ?? item.actions));
      return suppressing.length ? { what: `Security Hub automation rule(s) ${suppressing.map((item) => str(item.RuleArn ?? item.ruleArn) ?? 'unknown').join(', ')} now suppress the findings they match` } : null;
    }
    case 'macie2:CreateFindingsFilter':
    case 'macie2:UpdateFindingsFilter':
      if (str(request.action)?.toUpperCase() !== 'ARCHIVE') return null;
      return { what: `Macie filter ${str(request.name ?? request.id) ?? 'unknown'} now archives (suppresses) the findings it matches`, wide: event.api === 'CreateFindingsFilter' && matchesEverything(request.findingCriteria) ? EVERYTHING : undefined };
    case 'macie2:EnableMacie':
    case 'macie2:UpdateMacieSession':
      return publishingSlowed(event, context);
    default:
      return null;
  }
}

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('suppressors', boundedMap);

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event)) return;
  const found = suppression(event, context);
  if (!found) return;
  const habitual = wasHabit(habits(context), found.triage ? `triage>${event.principalKey}` : event.principalKey, event.time);
  if (found.triage && habitual) return;
  const low = found.delayOnly === true || isIacAgent(event.userAgent) || (!found.wide && (habitual || isConsoleAgent(event.userAgent) || found.triage === true));
  context.emit({ type: SUPPRESSED, event, severity: low ? 2 : undefined, aggregateBy: found.triage ? `closed by hand${found.wide ? ' in bulk' : ''}` : found.what, vars: { ...personVars(event), what: found.what, scope: found.wide ?? '' } });
}

const call = (service: string, name: string, request: Json, time: string, identity: Json = iamUser('mallory'), userAgent?: string) => ctEvent({ service, name, request, time, identity, userAgent });
const detector = '12abc34d567e8fa901bc2d34e56789f0';
const analyst = assumedRole('AWSReservedSSO_SecOps_1a2b3c', 'ines@example.com');
const productArn = (product: string) => `arn:aws:securityhub:us-east-1::product/aws/${product}`;
/** Security Hub BatchUpdateFindings on `count` findings of `product`, as CloudTrail records its request. */
const closeFindings = (product: string, count: number, status: string, time: string, identity: Json = iamUser('mallory'), userAgent?: string) =>
  call(
    'securityhub',
    'BatchUpdateFindings',
    {
      FindingIdentifiers: Array.from({ length: count }, (_, i) => ({ Id: `arn:aws:${product}:us-east-1:111122223333:finding/${product}-${String(i).padStart(4, '0')}`, ProductArn: productArn(product) })),
      Workflow: { Status: status },
      Note: { Text: 'reviewed', UpdatedBy: 'cli' },
    },
    time,
    identity,
    userAgent,
  );

export const findingsSuppression: ApiDetection = {
  id: 'gumshoe-findings-suppression',
  source: 'cloudtrail',
  apis: [
    'CreateFilter',
    'UpdateFilter',
    'CreateIPSet',
    'UpdateIPSet',
    'DeleteThreatIntelSet',
    'UpdateThreatIntelSet',
    'DeletePublishingDestination',
    'CreateAutomationRule',
    'BatchUpdateAutomationRules',
    'BatchUpdateFindings',
    'CreateFindingsFilter',
    'UpdateFindingsFilter',
    'EnableMacie',
    'UpdateMacieSession',
  ],
  types: [
    {
      type: SUPPRESSED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.001 Impair Defenses: Disable or Modify Tools' },
      title: 'Security findings are being silenced: {what}.',
      description: '{principal} called {api} from {ip}: {what}.{scope} The service keeps running, so it looks healthy while the activity it should report goes unseen.',
      remediation: 'Review the change with the security team. If nobody asked for it, undo it (delete the rule, set the closed findings back to NEW, deactivate the trusted IP list, or set Macie’s publishing frequency back), look at the findings it archived, suppressed or closed, and check what else the principal did.',
    },
  ],
  onEvent,
  cases: () => [
    {
      name: 'a GuardDuty archive filter for everything and a trusted IP list from the attacker’s bucket, through the CLI',
      records: [
        call('guardduty', 'CreateFilter', { detectorId: detector, name: 'noise', action: 'ARCHIVE', rank: 1, findingCriteria: { criterion: {} } }, '2026-11-03T03:00:00Z'),
        call('guardduty', 'CreateIPSet', { detectorId: detector, name: 'office', format: 'TXT', location: 's3://tmp-bucket-7781/ips.txt', activate: true }, '2026-11-03T03:01:00Z'),
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'a Security Hub automation rule suppressing every finding, created from the console (still Medium)',
      records: [
        call('securityhub', 'CreateAutomationRule', { RuleName: 'cleanup', RuleOrder: 1, RuleStatus: 'ENABLED', Description: 'x', Criteria: {}, Actions: [{ Type: 'FINDING_FIELDS_UPDATE', FindingFieldsUpdate: { Workflow: { Status: 'SUPPRESSED' } } }] }, '2026-11-03T03:00:00Z', analyst, CONSOLE_AGENT),
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'GuardDuty threat list deleted and publishing destination removed; a Macie suppression rule',
      records: [
        call('guardduty', 'DeleteThreatIntelSet', { detectorId: detector, threatIntelSetId: '0cb0141ab9fbde177613ab9436212e90' }, '2026-11-03T03:00:00Z'),
        call('guardduty', 'DeletePublishingDestination', { detectorId: detector, destinationId: 'a4b1c3d52e6f7a8b9c0d1e2f3a4b5c6d' }, '2026-11-03T03:01:00Z'),
        call('macie2', 'CreateFindingsFilter', { name: 'quiet', action: 'ARCHIVE', findingCriteria: { criterion: { 'resourcesAffected.s3Bucket.name': { eq: ['payroll-exports'] } } } }, '2026-11-03T03:02:00Z'),
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'tuning: a scoped archive filter from the console, a trusted IP list through Terraform (Low)',
      records: [
        call('guardduty', 'CreateFilter', { detectorId: detector, name: 'scanner-noise', action: 'ARCHIVE', rank: 1, findingCriteria: { criterion: { type: { eq: ['Recon:EC2/PortProbeUnprotectedPort'] }, 'resource.instanceDetails.tags.value': { eq: ['bastion'] } } } }, '2026-11-03T03:00:00Z', analyst, CONSOLE_AGENT),
        call('guardduty', 'CreateIPSet', { detectorId: detector, name: 'vpn', format: 'TXT', location: 's3://acme-security/trusted.txt', activate: true }, '2026-11-03T03:01:00Z', assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT),
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'Panther: Macie told to publish finding updates every six hours (Macie and its first version’s event source; Low)',
      datasets: [
        { panther: 'AWS.Macie.Evasion', test: 'UpdateSession' },
        { panther: 'AWS.Macie.Evasion', test: 'UpdateSession (Macie v1 event)' },
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'Macie enabled publishing every 15 minutes, slowed to six hours the next day through the CLI (Low)',
      records: [
        call('macie2', 'EnableMacie', { status: 'ENABLED', findingPublishingFrequency: 'FIFTEEN_MINUTES' }, '2026-11-02T09:00:00Z', analyst, CONSOLE_AGENT),
        call('macie2', 'UpdateMacieSession', { findingPublishingFrequency: 'SIX_HOURS' }, '2026-11-03T03:00:00Z'),
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'Macie publishing sped up (default to an hour, then 15 minutes) and paused (SecurityServiceDisabled’s); Panther: listing Macie members',
      datasets: [{ panther: 'AWS.Macie.Evasion', test: 'ListMembers' }],
      records: [
        call('macie2', 'EnableMacie', {}, '2026-11-02T09:00:00Z', analyst, CONSOLE_AGENT),
        call('macie2', 'UpdateMacieSession', { findingPublishingFrequency: 'ONE_HOUR' }, '2026-11-02T09:05:00Z', analyst, CONSOLE_AGENT),
        call('macie2', 'UpdateMacieSession', { findingPublishingFrequency: 'FIFTEEN_MINUTES' }, '2026-11-02T09:10:00Z'),
        call('macie2', 'UpdateMacieSession', { status: 'PAUSED', findingPublishingFrequency: 'SIX_HOURS' }, '2026-11-02T09:15:00Z'),
      ],
      expect: [],
    },
    {
      name: 'twelve GuardDuty findings suppressed at once through the CLI (Medium), and an analyst resolving twenty from the console (still Medium)',
      records: [closeFindings('guardduty', 12, 'SUPPRESSED', '2026-11-03T03:00:00Z'), closeFindings('guardduty', 20, 'RESOLVED', '2026-11-03T04:00:00Z', analyst, CONSOLE_AGENT)],
      expect: [SUPPRESSED],
    },
    {
      name: 'a responder resolving one Inspector and one Macie finding on its first day (Low), and again the next days (nothing)',
      records: [
        closeFindings('inspector', 1, 'RESOLVED', '2026-11-01T10:00:00Z', analyst, CONSOLE_AGENT),
        closeFindings('macie', 1, 'SUPPRESSED', '2026-11-01T10:05:00Z', analyst, CONSOLE_AGENT),
        closeFindings('guardduty', 14, 'RESOLVED', '2026-11-02T10:00:00Z', analyst, CONSOLE_AGENT),
        closeFindings('inspector', 30, 'SUPPRESSED', '2026-11-03T10:00:00Z', analyst, CONSOLE_AGENT),
      ],
      expect: [SUPPRESSED],
    },
    {
      name: 'triage that silences no threat finding: control findings suppressed, GuardDuty findings marked NOTIFIED, a note only, a refused suppression, Security Hub updating findings itself',
      records: [
        closeFindings('securityhub', 40, 'SUPPRESSED', '2026-11-03T03:00:00Z'),
        closeFindings('guardduty', 12, 'NOTIFIED', '2026-11-03T03:01:00Z'),
        call('securityhub', 'BatchUpdateFindings', { FindingIdentifiers: [{ Id: 'f-1', ProductArn: productArn('guardduty') }], Note: { Text: 'ticket SEC-4411', UpdatedBy: 'ines' } }, '2026-11-03T03:02:00Z'),
        { ...closeFindings('guardduty', 12, 'SUPPRESSED', '2026-11-03T03:03:00Z', iamUser('intern')), errorCode: 'AccessDeniedException' },
        { ...closeFindings('guardduty', 12, 'RESOLVED', '2026-11-03T03:04:00Z', { type: 'AWSService', invokedBy: 'securityhub.amazonaws.com' }), sourceIPAddress: 'securityhub.amazonaws.com' },
      ],
      expect: [],
    },
    {
      name: 'a WAF IP set updated by a blocklist job; a trusted IP list updated but left inactive',
      records: [
        call('wafv2', 'UpdateIPSet', { name: 'office-allow', scope: 'REGIONAL', id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', addresses: ['198.51.100.0/24', '203.0.113.7/32'], lockToken: '0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9' }, '2026-11-03T03:00:00Z', assumedRole('waf-blocklist-sync', 'lambda')),
        call('guardduty', 'UpdateIPSet', { detectorId: detector, ipSetId: '0cb0141ab9fbde177613ab9436212e90', location: 's3://acme-security/trusted.txt', activate: false }, '2026-11-03T03:01:00Z'),
      ],
      expect: [],
    },
    {
      name: 'filters that only highlight, a deactivated IP list, an automation rule that adds a note, a denied filter',
      records: [
        call('guardduty', 'CreateFilter', { detectorId: detector, name: 'watch', action: 'NOOP', rank: 1, findingCriteria: { criterion: {} } }, '2026-11-03T03:00:00Z'),
        call('guardduty', 'UpdateIPSet', { detectorId: detector, ipSetId: '0cb0141ab9fbde177613ab9436212e90', activate: false }, '2026-11-03T03:01:00Z'),
        call('securityhub', 'CreateAutomationRule', { RuleName: 'tag-prod', RuleOrder: 2, RuleStatus: 'ENABLED', Criteria: { ResourceTags: [{ Key: 'env', Value: 'prod', Comparison: 'EQUALS' }] }, Actions: [{ Type: 'FINDING_FIELDS_UPDATE', FindingFieldsUpdate: { Note: { Text: 'prod', UpdatedBy: 'rule' } } }] }, '2026-11-03T03:02:00Z'),
        { ...call('guardduty', 'CreateFilter', { detectorId: detector, name: 'x', action: 'ARCHIVE', findingCriteria: { criterion: {} } }, '2026-11-03T03:03:00Z', iamUser('intern')), errorCode: 'AccessDeniedException' },
      ],
      expect: [],
    },
  ],
};
