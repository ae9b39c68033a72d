import { createHash } from 'node:crypto';
import type { GuardDutyFinding } from '../guardduty-finding.js';

/** The event GuardDuty puts on the default EventBridge bus for each new or updated finding (guardduty.md §3.9). */
export interface GuardDutyFindingEvent {
  version: '0';
  id: string;
  'detail-type': 'GuardDuty Finding';
  source: 'aws.guardduty';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: GuardDutyFinding;
}

export function toEventBridgeEvent(finding: GuardDutyFinding): GuardDutyFindingEvent {
  return {
    version: '0',
    id: findingEventId(finding),
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: finding.accountId,
    // EventBridge times carry whole seconds.
    time: finding.updatedAt.replace(/\.\d+Z$/, 'Z'),
    region: finding.region,
    resources: [],
    detail: finding,
  };
}

/**
 * A UUID (version 5 layout) derived from the finding id and updatedAt: re-exporting the same state gives
 * the same id, so consumers can drop duplicates, while every update gets a new one.
 */
export function findingEventId(finding: GuardDutyFinding): string {
  const bytes = createHash('sha1').update(`${finding.id}\n${finding.updatedAt}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
