import type { ApiEvent } from './api-event.js';
import type { Detection } from './detection.js';
import { INVENTORY_APIS } from './instance-inventory.js';

/**
 * Which CloudTrail events' JSON payloads any detection reads: the APIs detections are routed, what the
 * every-event detections declare, and the launches the instance inventory learns from. Reading the payloads of every event would double what the engine reads
 * from the lake.
 */
export interface PayloadRule {
  apis: ReadonlySet<string>;
  services: ReadonlySet<string>;
}

export function payloadRule(detections: readonly Detection[]): PayloadRule {
  // The instance inventory reads launches and interface changes for every flow and DNS finding.
  const apis = new Set<string>(INVENTORY_APIS);
  const services = new Set<string>();
  for (const detection of detections) {
    if (detection.source !== 'cloudtrail') continue;
    for (const api of [...(detection.apis ?? []), ...(detection.payloads?.apis ?? [])]) apis.add(api);
    for (const service of detection.payloads?.services ?? []) services.add(service);
  }
  return { apis, services };
}

/** The rule as a SQL condition on api_activity (names are from the code, never from input). */
export function payloadCondition(rule: PayloadRule): string {
  const list = (values: ReadonlySet<string>) => [...values].map((v) => `'${v.replaceAll("'", "''")}'`).join(', ') || 'NULL';
  return `(api_operation IN (${list(rule.apis)}) OR api_service_name IN (${list(rule.services)}))`;
}

/** What the engine would hand detections for this event: payloads dropped where no detection reads them. */
export function withoutUnreadPayloads(event: ApiEvent, rule: PayloadRule): ApiEvent {
  if (rule.apis.has(event.api) || rule.services.has(event.service)) return event;
  event.requestText = null;
  event.responseText = null;
  event.additionalText = null;
  event.resourcesText = null;
  return event;
}
