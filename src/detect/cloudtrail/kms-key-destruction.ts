import type { ApiEvent } from '../api-event.js';
import { assumedRole, awsService, ctEvent, iamUser, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import { type BoundedMap, boundedMap, distinctInWindow, HOUR, isAwsServiceCall, isConsoleAgent, isIacAgent, type ItemWindow, personVars, str, wasHabit } from './gumshoe-common.js';

/**
 * Data made unreadable by destroying the KMS keys that encrypt it: a key scheduled for deletion (gone
 * after 7–30 days, with everything encrypted under it), disabled (nothing decrypts until it is enabled),
 * or its imported key material deleted (unusable at once; only whoever holds a copy of the material can
 * restore it). Extortion crews schedule deletion of the keys behind snapshots, databases and buckets.
 *
 * Scheduling deletion is Medium through an SDK or the CLI, Low from the console, through IaC or for a
 * principal that did it on an earlier day (key clean-up jobs); disabling a key is Low; deleting imported
 * material is High outside IaC and habits. Three keys or more by one principal within an hour are High
 * whatever the tool.
 */
const KEY_LOSS = 'Impact:KMS/KeyDestruction.Gumshoe';
const MASS_KEYS = 3;
const MASS_WINDOW = HOUR;

const ACTIONS: Record<string, (request: Record<string, unknown>) => string> = {
  ScheduleKeyDeletion: (r) => `was scheduled for deletion in ${String(r.pendingWindowInDays ?? 30)} days`,
  DisableKey: () => 'was disabled',
  DeleteImportedKeyMaterial: () => 'lost its imported key material',
};

interface KmsState {
  bursts: BoundedMap<ItemWindow>;
  habits: BoundedMap<number>;
}

const state = (context: DetectionContext) => context.state<KmsState>('kms-key-loss', () => ({ bursts: boundedMap(), habits: boundedMap() }));

function severity(event: ApiEvent, keys: number, habitual: boolean): number {
  if (keys >= MASS_KEYS) return 8;
  if (habitual || isIacAgent(event.userAgent) || isConsoleAgent(event.userAgent) || event.api === 'DisableKey') return 2;
  return event.api === 'DeleteImportedKeyMaterial' ? 8 : 5;
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  const describe = ACTIONS[event.api];
  if (!describe || event.failed || isAwsServiceCall(event) || event.service !== 'kms.amazonaws.com') return;
  const request = event.request ?? {};
  // The request names a key by id, ARN or alias; the response (when there is one) by ARN: keep the id.
  const key = (str(event.response?.keyId) ?? str(request.keyId) ?? 'unknown key').replace(/^arn:.*:key\//, '');
  const habitual = wasHabit(state(context).habits, event.principalKey, event.time);
  // Distinct keys the principal destroyed or disabled within the hour, this one included.
  const keys = distinctInWindow(state(context).bursts, event.principalKey, key, event.time, MASS_WINDOW);
  context.emit({
    type: KEY_LOSS,
    event,
    severity: severity(event, keys, habitual),
    aggregateBy: key,
    vars: { ...personVars(event), key, action: describe(request), scope: keys >= MASS_KEYS ? ` The principal destroyed or disabled ${keys} keys within an hour.` : '' },
  });
}

const keyArn = (id: string) => `arn:aws:kms:us-east-1:111122223333:key/${id}`;
const kms = (name: string, id: string, time: string, identity: Record<string, unknown> = iamUser('mallory'), userAgent?: string, days = 7) =>
  ctEvent({
    service: 'kms',
    name,
    time,
    identity,
    userAgent,
    request: name === 'ScheduleKeyDeletion' ? { keyId: id, pendingWindowInDays: days } : { keyId: id },
    response: name === 'ScheduleKeyDeletion' ? { keyId: keyArn(id), deletionDate: 'Nov 10, 2026, 12:00:00 AM', keyState: 'PendingDeletion', pendingWindowInDays: days } : null,
    resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: keyArn(id) }],
  });
const ids = ['0b7a4a2e-8c1f-4f6e-9d1a-3c2b1a0f9e8d', '1c8b5b3f-9d2a-4a7f-8e2b-4d3c2b1a0f9e', '2d9c6c4a-ae3b-4b8a-9f3c-5e4d3c2b1a0f', '3e0d7d5b-bf4c-4c9b-a04d-6f5e4d3c2b1a'];

export const kmsKeyDestruction: ApiDetection = {
  id: 'gumshoe-kms-key-destruction',
  source: 'cloudtrail',
  apis: Object.keys(ACTIONS),
  types: [
    {
      type: KEY_LOSS,
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0040 Impact', technique: 'T1485 Data Destruction' },
      title: 'KMS key {key} {action}.',
      description: '{principal} called {api} from {ip}: KMS key {key} {action}.{scope} Data encrypted under the key (volumes, snapshots, databases, objects, secrets) cannot be decrypted once the key is gone.',
      remediation: 'If the change was not planned, cancel it at once (CancelKeyDeletion, then EnableKey; re-import the key material), find what the key encrypts (its grants and CloudTrail Decrypt calls), and revoke the principal’s credentials.',
    },
  ],
  onEvent,
  cases: () => [
    { name: 'one key scheduled for deletion through the CLI, 7-day window (Medium)', records: [kms('ScheduleKeyDeletion', ids[0]!, '2026-11-03T03:00:00Z')], expect: [KEY_LOSS] },
    {
      name: 'four keys disabled then scheduled for deletion within 20 minutes from the console (High)',
      records: ids.flatMap((id, i) => [kms('DisableKey', id, `2026-11-03T03:0${i}:00Z`, assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'eve@example.com'), CONSOLE_AGENT), kms('ScheduleKeyDeletion', id, `2026-11-03T03:1${i}:00Z`, assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'eve@example.com'), CONSOLE_AGENT, 30)]),
      expect: [KEY_LOSS],
    },
    { name: 'imported key material deleted (High)', records: [kms('DeleteImportedKeyMaterial', ids[1]!, '2026-11-03T03:00:00Z', assumedRole('ops-automation', 'run-42'))], expect: [KEY_LOSS] },
    {
      name: 'a key retired in the console, one destroyed by Terraform (Low)',
      records: [
        kms('ScheduleKeyDeletion', ids[0]!, '2026-11-03T03:00:00Z', assumedRole('AWSReservedSSO_Admin_0a1b2c3d', 'alice@example.com'), CONSOLE_AGENT, 30),
        kms('ScheduleKeyDeletion', ids[1]!, '2026-11-03T04:00:00Z', assumedRole('TerraformApply', 'ci'), TERRAFORM_AGENT, 7),
      ],
      expect: [KEY_LOSS],
    },
    {
      name: 'KMS deleting a key at the end of its waiting period; a denied scheduling; re-enabling a key',
      records: [
        { ...kms('DeleteKey', ids[0]!, '2026-11-03T03:00:00Z', awsService('kms.amazonaws.com')), eventType: 'AwsServiceEvent' },
        { ...kms('ScheduleKeyDeletion', ids[1]!, '2026-11-03T03:01:00Z', iamUser('intern')), errorCode: 'AccessDeniedException' },
        kms('EnableKey', ids[2]!, '2026-11-03T03:02:00Z'),
      ],
      expect: [],
    },
  ],
};
