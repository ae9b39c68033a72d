import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, isAwsServiceCall, isConsoleAgent, isIacAgent, personVars, str, wasHabit } from './gumshoe-common.js';

/**
 * An opt-in region (Hong Kong, Bahrain, Cape Town, Milan, …) switched on for an account with
 * `account:EnableRegion`. Nobody watches a region the organisation never used: crews enable one to run
 * miners or stage resources out of sight (and GuardDuty is off there until someone enables it).
 * Medium through an SDK or the CLI by a principal that has not done it on an earlier day; Low from the
 * console or through IaC.
 */
const REGION_ENABLED = 'DefenseEvasion:IAMUser/OptInRegionEnabled.Gumshoe';

const habits = (context: DetectionContext) => context.state<BoundedMap<number>>('region-enablers', boundedMap);

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event) || event.service !== 'account.amazonaws.com') return;
  const request = event.request ?? {};
  const region = str(request.RegionName ?? request.regionName) ?? 'unknown region';
  // Organizations administrators enable regions for member accounts by naming them.
  const account = str(request.AccountId ?? request.accountId) ?? event.accountId ?? 'unknown account';
  const habitual = wasHabit(habits(context), event.principalKey, event.time);
  const low = habitual || isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent);
  context.emit({ type: REGION_ENABLED, event, severity: low ? 2 : undefined, aggregateBy: `${account}/${region}`, vars: { ...personVars(event), region, account } });
}

const enable = (region: string, time: string, identity: Record<string, unknown>, userAgent?: string, extra: Record<string, unknown> = {}) =>
  ctEvent({ service: 'account', name: 'EnableRegion', request: { RegionName: region, ...extra }, time, identity, userAgent });

export const regionOptIn: ApiDetection = {
  id: 'gumshoe-region-opt-in',
  source: 'cloudtrail',
  apis: ['EnableRegion'],
  types: [
    {
      type: REGION_ENABLED,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1535 Unused/Unsupported Cloud Regions' },
      title: 'Opt-in region {region} was enabled for account {account}.',
      description: '{principal} enabled opt-in region {region} for account {account} from {ip}. Attackers turn on regions nobody uses to run resources where no one looks; monitoring there is off until someone sets it up.',
      remediation: 'Confirm the business need. If there is none, disable the region (account:DisableRegion) after checking it for instances, functions and keys, and deny unused regions with an SCP (aws:RequestedRegion).',
    },
  ],
  onEvent,
  cases: () => [
    { name: 'a stolen key enabling Hong Kong through the CLI', records: [enable('ap-east-1', '2026-11-03T03:00:00Z', iamUser('ci-deployer'))], expect: [REGION_ENABLED] },
    {
      name: 'a region enabled from the console and through Terraform for a member account (Low)',
      records: [
        enable('eu-south-1', '2026-11-03T03:00:00Z', assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com'), CONSOLE_AGENT),
        enable('me-central-1', '2026-11-03T03:10:00Z', assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT, { AccountId: '444455556666' }),
      ],
      expect: [REGION_ENABLED],
    },
    {
      name: 'a denied attempt; listing regions',
      records: [
        { ...enable('ap-east-1', '2026-11-03T03:00:00Z', iamUser('intern')), errorCode: 'AccessDeniedException' },
        ctEvent({ service: 'account', name: 'ListRegions', request: { RegionOptStatusContains: ['ENABLED'] }, time: '2026-11-03T03:01:00Z', identity: iamUser('intern') }),
      ],
      expect: [],
    },
  ],
};
