import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection } from '../detection.js';
import { isTrue } from './gumshoe-common.js';

/**
 * Stealth:IAMUser/PasswordPolicyChange: the account password policy was deleted or weakened, or someone
 * tried to (denied attempts count, at Low).
 *
 * UpdateAccountPasswordPolicy replaces the whole policy: parameters left out take IAM's defaults (6
 * characters, no character classes, no expiry, no reuse limit), which is how `--minimum-password-length 6`
 * alone drops everything else. The last policy set is remembered per account; with none seen yet the
 * change is compared with AWS's default policy (what applies when no policy is set: 8 characters from at
 * least three of the four character types, no expiry), and `oldPolicy` says so. DeleteAccountPasswordPolicy
 * makes that default apply.
 *
 * Scoring. Strength = minimum length + number of required character types (AWS default: 8 + 3), so a long
 * policy without composition rules (NIST style, e.g. 14 characters) is not "weaker" than short complex
 * ones. Points: strength lost 1–2 → 1, 3–5 → 2, 6+ → 3; minimum length taken below 8 → +1; reuse
 * prevention lowered → +1; expiry lengthened or removed → +1; deleting a policy we never saw → 1.
 * Severity: 1–2 points Low (2), 3–4 Medium (5), 5+ High (8); a failed attempt is Low. No points, no
 * finding: strengthening or re-applying a policy never fires. allowUsersToChangePassword and hardExpiry
 * are reported but not scored (they govern who may rotate, not how strong passwords are).
 */
interface PasswordPolicy {
  allowUsersToChangePassword: boolean;
  hardExpiry: boolean;
  /** Days; 0 = passwords never expire. */
  maxPasswordAge: number;
  minimumPasswordLength: number;
  /** Previous passwords that cannot be reused; 0 = no limit. */
  passwordReusePrevention: number;
  requireLowercaseCharacters: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  requireUppercaseCharacters: boolean;
}

interface Strength {
  length: number;
  classes: number;
  reuse: number;
  maxAge: number;
}

const AWS_DEFAULT: Strength = { length: 8, classes: 3, reuse: 0, maxAge: 0 };
const AWS_DEFAULT_TEXT = 'AWS default policy: at least 8 characters from at least three of the four character types, no expiry, no reuse limit';

const num = (value: unknown, fallback: number) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : fallback;
};

/** The policy an UpdateAccountPasswordPolicy request sets, with IAM's defaults for what it leaves out. */
function policyFromRequest(request: Record<string, unknown>): PasswordPolicy {
  return {
    allowUsersToChangePassword: isTrue(request.allowUsersToChangePassword),
    hardExpiry: isTrue(request.hardExpiry),
    maxPasswordAge: num(request.maxPasswordAge, 0),
    minimumPasswordLength: num(request.minimumPasswordLength, 6),
    passwordReusePrevention: num(request.passwordReusePrevention, 0),
    requireLowercaseCharacters: isTrue(request.requireLowercaseCharacters),
    requireNumbers: isTrue(request.requireNumbers),
    requireSymbols: isTrue(request.requireSymbols),
    requireUppercaseCharacters: isTrue(request.requireUppercaseCharacters),
  };
}

function strength(policy: PasswordPolicy | null): Strength {
  if (!policy) return AWS_DEFAULT;
  const classes = [policy.requireLowercaseCharacters, policy.requireUppercaseCharacters, policy.requireNumbers, policy.requireSymbols].filter(Boolean).length;
  return { length: policy.minimumPasswordLength, classes, reuse: policy.passwordReusePrevention, maxAge: policy.maxPasswordAge };
}

/** Weakening points and the reasons for them, old → new. */
function weakening(old: Strength, next: Strength): { points: number; reasons: string[] } {
  const reasons: string[] = [];
  let points = 0;
  const lost = old.length + old.classes - (next.length + next.classes);
  if (lost > 0) {
    points += lost >= 6 ? 3 : lost >= 3 ? 2 : 1;
    if (next.length < old.length) reasons.push(`minimum length ${old.length} → ${next.length}`);
    if (next.classes < old.classes) reasons.push(`required character types ${old.classes} → ${next.classes}`);
  }
  if (next.length < 8 && old.length >= 8) points += 1;
  if (next.reuse < old.reuse) {
    points += 1;
    reasons.push(`reuse prevention ${old.reuse} → ${next.reuse}`);
  }
  if (old.maxAge > 0 && (next.maxAge === 0 || next.maxAge > old.maxAge)) {
    points += 1;
    reasons.push(`maximum age ${old.maxAge} days → ${next.maxAge === 0 ? 'no expiry' : `${next.maxAge} days`}`);
  }
  return { points, reasons };
}

const severityFor = (points: number) => (points >= 5 ? 8 : points >= 3 ? 5 : 2);

interface AccountPolicy {
  /** undefined: never seen; null: no custom policy (AWS default applies). */
  current?: PasswordPolicy | null;
}

function describePolicy(policy: PasswordPolicy | null | undefined): Record<string, unknown> {
  if (policy === undefined) return { known: false, comparedWith: AWS_DEFAULT_TEXT };
  if (policy === null) return { customPolicy: false, comparedWith: AWS_DEFAULT_TEXT };
  return { ...policy };
}

const NOW = '2026-11-02T10:00:00Z';
const admin = assumedRole('AWSReservedSSO_Admin_1a2b', 'alice@example.com');
const update = (request: Record<string, unknown>, options: { time?: string; errorCode?: string; identity?: Record<string, unknown>; userAgent?: string } = {}) =>
  ctEvent({ service: 'iam', name: 'UpdateAccountPasswordPolicy', identity: options.identity ?? admin, time: options.time ?? NOW, request, errorCode: options.errorCode, userAgent: options.userAgent });
const remove = (options: { time?: string; errorCode?: string } = {}) =>
  ctEvent({ service: 'iam', name: 'DeleteAccountPasswordPolicy', identity: iamUser('ops-breakglass'), time: options.time ?? NOW, errorCode: options.errorCode });
const CIS = {
  minimumPasswordLength: 14,
  requireSymbols: true,
  requireNumbers: true,
  requireUppercaseCharacters: true,
  requireLowercaseCharacters: true,
  allowUsersToChangePassword: true,
  maxPasswordAge: 90,
  passwordReusePrevention: 24,
  hardExpiry: false,
};
const EARLIER = '2026-10-01T09:00:00Z';

export const passwordPolicyChange: ApiDetection = {
  id: 'password-policy-change',
  source: 'cloudtrail',
  types: [
    {
      type: 'Stealth:IAMUser/PasswordPolicyChange',
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1556 Modify Authentication Process' },
      title: 'Account password policy was weakened.',
      description: '{principal} {outcome} {api} from {ip}: {change}. Weaker passwords are easier to guess or spray.',
      remediation: 'If the change was not planned, restore the previous password policy (long minimum length, reuse prevention) and review who changed it and what else that principal did.',
    },
  ],
  apis: ['UpdateAccountPasswordPolicy', 'DeleteAccountPasswordPolicy'],
  onEvent(event: ApiEvent, context) {
    if (event.service !== 'iam.amazonaws.com') return;
    const account = context.state<AccountPolicy>(`policy:${event.accountId ?? 'unknown'}`, () => ({}));
    const deleting = event.api === 'DeleteAccountPasswordPolicy';
    const next = deleting ? null : policyFromRequest(event.request ?? {});
    const old = account.current;
    if (!event.failed) account.current = next;
    let { points, reasons } = weakening(strength(old ?? null), strength(next));
    if (deleting && old === undefined) {
      points = Math.max(points, 1);
      reasons.push('policy deleted; the previous policy is unknown');
    } else if (deleting && points > 0) reasons.unshift('policy deleted');
    if (points === 0) return;
    context.emit({
      type: 'Stealth:IAMUser/PasswordPolicyChange',
      event,
      severity: event.failed ? 2 : severityFor(points),
      vars: { outcome: event.failed ? 'tried to weaken the account password policy with' : 'weakened the account password policy with', change: reasons.join(', ') },
      additionalInfo: { newPolicy: deleting ? { deleted: true, comparedWith: AWS_DEFAULT_TEXT } : next, oldPolicy: describePolicy(old), weakeningScore: points },
    });
  },
  cases: () => [
    {
      name: 'update-account-password-policy --minimum-password-length 6, earlier policy unknown (GuardDuty tester)',
      records: [update({ minimumPasswordLength: 6 }, { identity: assumedRole('GuardDutyTesterRole', 'i-0a1b2c3d4e5f60718') })],
      expect: ['Stealth:IAMUser/PasswordPolicyChange'],
    },
    {
      name: 'a CIS policy cut down to 8 characters without expiry or reuse limits',
      records: [update(CIS, { time: EARLIER, identity: assumedRole('terraform-ci', 'gha-run-812'), userAgent: TERRAFORM_AGENT }), update({ minimumPasswordLength: 8, allowUsersToChangePassword: true })],
      expect: ['Stealth:IAMUser/PasswordPolicyChange'],
    },
    { name: 'a known policy deleted', records: [update(CIS, { time: EARLIER }), remove()], expect: ['Stealth:IAMUser/PasswordPolicyChange'] },
    { name: 'a policy deleted that was never seen', records: [remove()], expect: ['Stealth:IAMUser/PasswordPolicyChange'] },
    { name: 'a denied attempt to weaken the policy', records: [update({ minimumPasswordLength: 6 }, { errorCode: 'AccessDenied', identity: iamUser('intern') })], expect: ['Stealth:IAMUser/PasswordPolicyChange'] },
    { name: 'password expiry removed from a known policy', records: [update(CIS, { time: EARLIER }), update({ ...CIS, maxPasswordAge: undefined })], expect: ['Stealth:IAMUser/PasswordPolicyChange'] },
    {
      name: 'strengthening, re-applying and NIST-style long passphrases never fire',
      records: [
        update({ minimumPasswordLength: 14, passwordReusePrevention: 24, allowUsersToChangePassword: true }, { time: '2026-09-01T09:00:00Z', identity: assumedRole('terraform-ci', 'gha-run-700'), userAgent: TERRAFORM_AGENT }),
        update(CIS, { time: EARLIER, identity: assumedRole('terraform-ci', 'gha-run-812'), userAgent: TERRAFORM_AGENT }),
        update(CIS, { identity: assumedRole('terraform-ci', 'gha-run-813'), userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
    { name: 'a first policy stronger than the AWS default', records: [update({ minimumPasswordLength: 12, requireNumbers: true, requireSymbols: true, allowUsersToChangePassword: true })], expect: [] },
    { name: 'a denied attempt to strengthen the policy', records: [update(CIS, { errorCode: 'AccessDenied', identity: iamUser('intern') })], expect: [] },
  ],
};
