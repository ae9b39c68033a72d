import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runDetections } from '../detect/engine.js';
import { type GuardDutyFinding, type SeverityLevel, severityLevel } from '../findings/guardduty-finding.js';
import { queryFindings } from '../findings/store.js';
import type { Lake } from '../lake/db.js';
import { ingest } from '../lake/ingest.js';
import type { StaticIntelSpec } from '../intel/static.js';
import { loadSimulatedIntel } from './intel.js';
import { simulate, type SimulateResult } from './simulate.js';

export interface DemoResult {
  simulation: SimulateResult;
  ingested: { read: number; stored: number; quarantined: number; seconds: number };
  detected: { events: number; seconds: number };
  findings: GuardDutyFinding[];
}

/** The demo's organisation: a week of background, the hand-written incidents and a few single techniques. */
const DEMO_SCENARIOS = ['incident/', 'credential-exfiltration/', 'password-policy-change/', 's3-public-access/'];

/**
 * `gumshoe demo`: simulate an attacked organisation, ingest it into the lake, load the intel its attacks
 * use, detect, and return the findings for printing.
 */
export async function runDemo(lake: Lake, workDir: string, events: number, seed: number): Promise<DemoResult> {
  rmSync(workDir, { recursive: true, force: true });
  const simulation = await simulate({ outDir: workDir, seed, days: 8, accounts: 3, events, scenarios: DEMO_SCENARIOS, all: false });
  const ingested = await ingest(lake, [path.join(workDir, 'AWSLogs')]);
  await loadSimulatedIntel(lake.connection, JSON.parse(readFileSync(path.join(workDir, 'intel', 'intel.json'), 'utf8')) as StaticIntelSpec);
  const started = Date.now();
  const detected = await runDetections(lake);
  return {
    simulation,
    ingested: { read: ingested.read, stored: ingested.stored, quarantined: ingested.quarantined, seconds: ingested.seconds },
    detected: { events: detected.events + detected.flows + detected.queries, seconds: (Date.now() - started) / 1000 },
    findings: await queryFindings(lake.connection, { archived: false }),
  };
}

/** Counts by severity level, most severe first. */
export function bySeverity(findings: GuardDutyFinding[]): [SeverityLevel, number][] {
  const levels: SeverityLevel[] = ['Critical', 'High', 'Medium', 'Low'];
  return levels.map((level) => [level, findings.filter((f) => severityLevel(f.severity) === level).length]);
}

/**
 * The top incidents in a few lines each: attack sequences first (they already tie signals together), then
 * the most severe findings not part of one.
 */
export function explainIncidents(findings: GuardDutyFinding[], limit = 3): string[] {
  const sequences = findings.filter((f) => f.type.startsWith('AttackSequence:'));
  const inSequence = new Set(findings.filter((f) => f.associatedAttackSequenceArn).map((f) => f.id));
  const others = findings.filter((f) => !f.type.startsWith('AttackSequence:') && !inSequence.has(f.id) && f.severity >= 7);
  return [...sequences, ...others].slice(0, limit).map((f) => {
    const lines = [`${severityLevel(f.severity)} ${f.severity} ${f.type}  (account ${f.accountId}, ${f.service.eventFirstSeen} → ${f.service.eventLastSeen})`, `  ${f.description}`];
    const sequence = f.service.detection?.sequence;
    const members = findings.filter((m) => m.associatedAttackSequenceArn === f.arn);
    if (members.length) lines.push(`  signals: ${[...new Set(members.map((m) => m.type))].join(', ')}`);
    else if (sequence?.signals?.length) lines.push(`  signals: ${[...new Set(sequence.signals.map((s) => s.name ?? s.type))].join(', ')}`);
    const ip = f.service.action.awsApiCallAction?.remoteIpDetails;
    if (ip?.ipAddressV4) lines.push(`  from ${ip.ipAddressV4}${ip.country?.countryName ? `, ${ip.country.countryName}` : ''}${ip.organization?.asnOrg ? `, ${ip.organization.asnOrg}` : ''}`);
    lines.push(`  gumshoe findings show ${f.id}`);
    return lines.join('\n');
  });
}
