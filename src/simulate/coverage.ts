import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDetections } from '../detect/engine.js';
import { findingTypeSpecs } from '../detect/registry.js';
import { type SeverityLevel, severityLevel } from '../findings/guardduty-finding.js';
import { Lake } from '../lake/db.js';
import { ingest } from '../lake/ingest.js';
import type { StaticIntelSpec } from '../intel/static.js';
import { loadSimulatedIntel } from './intel.js';
import { simulate, type SimulateOptions, type SimulateResult } from './simulate.js';
import { STRATUS_TECHNIQUES } from './stratus.js';

export interface ScenarioCoverage {
  id: string;
  origin: string;
  techniques: string[];
  expected: string[];
  fired: string[];
  missed: string[];
  unexpected: string[];
}

export interface CoverageReport {
  scenarios: ScenarioCoverage[];
  background: {
    events: number;
    findings: { type: string; severity: number; count: number }[];
    /** Background findings per 100k background events, by severity level. */
    per100k: Record<SeverityLevel, number>;
    /** No High or Critical, at most one Medium per 100k events. */
    withinBudget: boolean;
  };
  types: {
    implemented: number;
    /** Implemented types some scenario expects and that fired there. */
    covered: string[];
    /** Types a scenario expects that never fired where expected. */
    missed: string[];
    /** Implemented types no scenario expects. */
    withoutScenario: string[];
  };
  /** Stratus Red Team AWS techniques reproduced by a scenario whose expected findings fired, and the rest. */
  techniques: { covered: string[]; notCovered: string[] };
  seconds: number;
}

/**
 * A technique is reproduced when a scenario made from its detonation raised everything it expects, or when a
 * scenario raised one of the types that detect it where expected.
 */
function techniqueCoverage(scenarios: ScenarioCoverage[]): CoverageReport['techniques'] {
  const covered = Object.entries(STRATUS_TECHNIQUES)
    .filter(([technique, types]) =>
      scenarios.some(
        (s) => (s.techniques.includes(technique) && s.missed.length === 0) || types.some((t) => s.expected.includes(t) && s.fired.includes(t)),
      ),
    )
    .map(([technique]) => technique);
  return { covered: covered.sort(), notCovered: Object.keys(STRATUS_TECHNIQUES).filter((t) => !covered.includes(t)).sort() };
}

/** Lake rows: each finding with the files of its evidence. */
async function findingsWithFiles(lake: Lake): Promise<{ type: string; severity: number; count: number; uris: string[] }[]> {
  const reader = await lake.connection.runAndReadAll(`
    SELECT f.type, f.severity, f.count, list(DISTINCT i.uri) FILTER (WHERE i.uri IS NOT NULL)
    FROM findings f LEFT JOIN finding_evidence e ON e.finding_id = f.id LEFT JOIN ingested_files i ON i.file_id = e.source_file_id
    GROUP BY f.id, f.type, f.severity, f.count`);
  return reader.getRowsJS().map(([type, severity, count, uris]) => ({
    type: String(type),
    severity: Number(severity),
    count: Number(count),
    uris: ((uris as string[] | null) ?? []).map(String),
  }));
}

/**
 * Simulates an attacked organisation, ingests it into a scratch lake, runs every detection and compares
 * what fired with what each scenario expects. A finding belongs to a scenario when any of its evidence comes
 * from that scenario's files; findings with evidence only from the background are false positives.
 */
export async function runCoverage(options: Omit<SimulateOptions, 'outDir'>, keepDir?: string): Promise<{ report: CoverageReport; simulation: SimulateResult }> {
  const started = Date.now();
  const dir = keepDir ?? mkdtempSync(path.join(tmpdir(), 'gumshoe-coverage-'));
  try {
    const simulation = await simulate({ ...options, outDir: path.join(dir, 'logs') });
    const lake = await Lake.open(path.join(dir, 'coverage.duckdb'));
    try {
      await ingest(lake, [path.join(dir, 'logs', 'AWSLogs')]);
      const intel = JSON.parse(readFileSync(path.join(dir, 'logs', 'intel', 'intel.json'), 'utf8')) as StaticIntelSpec;
      await loadSimulatedIntel(lake.connection, intel);
      await runDetections(lake);
      const findings = await findingsWithFiles(lake);
      return { report: buildReport(simulation, findings, started), simulation };
    } finally {
      lake.close();
    }
  } finally {
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

function buildReport(simulation: SimulateResult, findings: Awaited<ReturnType<typeof findingsWithFiles>>, started: number): CoverageReport {
  const scenarioOfFile = new Map<string, string>();
  for (const scenario of simulation.scenarios) for (const file of scenario.files) scenarioOfFile.set(file.split(path.sep).join('/'), scenario.id);
  const scenarioIdsOf = (uris: string[]) =>
    new Set(uris.flatMap((uri) => [...scenarioOfFile].filter(([file]) => uri.endsWith(file)).map(([, id]) => id)));

  const firedBy = new Map<string, Set<string>>();
  const background: { type: string; severity: number; count: number }[] = [];
  for (const finding of findings) {
    const owners = scenarioIdsOf(finding.uris);
    if (owners.size === 0) background.push({ type: finding.type, severity: finding.severity, count: finding.count });
    for (const id of owners) firedBy.set(id, (firedBy.get(id) ?? new Set()).add(finding.type));
  }

  const scenarios = simulation.scenarios.map((s): ScenarioCoverage => {
    const fired = [...(firedBy.get(s.id) ?? [])].sort();
    return {
      id: s.id,
      origin: s.origin,
      techniques: s.techniques,
      expected: [...s.expect].sort(),
      fired,
      missed: s.expect.filter((t) => !fired.includes(t)).sort(),
      unexpected: fired.filter((t) => !s.expect.includes(t)),
    };
  });

  const backgroundEvents = simulation.background.cloudtrail + simulation.background.flows + simulation.background.dns;
  const per100k = { Low: 0, Medium: 0, High: 0, Critical: 0 } as Record<SeverityLevel, number>;
  for (const f of background) per100k[severityLevel(f.severity)] += 1;
  const scale = backgroundEvents > 0 ? 100_000 / backgroundEvents : 0;
  for (const level of Object.keys(per100k) as SeverityLevel[]) per100k[level] = Math.round(per100k[level] * scale * 100) / 100;

  const implemented = [...findingTypeSpecs().keys()];
  const expectedSomewhere = new Set(scenarios.flatMap((s) => s.expected));
  const covered = implemented.filter((t) => scenarios.some((s) => s.expected.includes(t) && s.fired.includes(t))).sort();
  const missed = [...expectedSomewhere].filter((t) => !covered.includes(t)).sort();
  return {
    scenarios,
    background: {
      events: backgroundEvents,
      findings: background.sort((a, b) => b.severity - a.severity || a.type.localeCompare(b.type)),
      per100k,
      withinBudget: per100k.High === 0 && per100k.Critical === 0 && per100k.Medium <= 1,
    },
    types: { implemented: implemented.length, covered, missed, withoutScenario: implemented.filter((t) => !expectedSomewhere.has(t)).sort() },
    techniques: techniqueCoverage(scenarios),
    seconds: (Date.now() - started) / 1000,
  };
}
