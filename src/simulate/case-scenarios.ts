import { caseRecords } from '../detect/cases.js';
import type { Detection, DetectionCase, NetworkCase } from '../detect/detection.js';
import { DETECTIONS } from '../detect/registry.js';
import type { Scenario } from './scenario.js';

/**
 * One scenario per positive detection case: the case's realistic events (real Stratus, Panther and OTRF
 * records, or hand-made ones) become an attack in the simulated organisation. Every implemented finding
 * type has at least one positive case (the catalogue test enforces it), so every type has a scenario.
 * Cases that need non-default settings are left out: one detection run applies one set of settings.
 */
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

function techniquesOf(detectionCase: DetectionCase): string[] {
  const fromDatasets = (detectionCase.datasets ?? []).flatMap((ref) => ('stratus' in ref ? [ref.stratus] : []));
  return [...new Set([...fromDatasets, ...(detectionCase.technique ? [detectionCase.technique] : [])])];
}

export function caseScenarios(detections: readonly Detection[] = DETECTIONS): Scenario[] {
  const scenarios: Scenario[] = [];
  const seen = new Set<string>();
  for (const detection of detections) {
    for (const detectionCase of detection.cases() as NetworkCase[]) {
      if (detectionCase.expect.length === 0 || detectionCase.settings) continue;
      let id = `${detection.id}/${slug(detectionCase.name)}`;
      for (let n = 2; seen.has(id); n++) id = `${detection.id}/${slug(detectionCase.name)}-${n}`;
      seen.add(id);
      scenarios.push({
        id,
        description: detectionCase.name,
        expect: [...new Set(detectionCase.expect)],
        techniques: techniquesOf(detectionCase),
        origin: 'case',
        records: caseRecords(detectionCase),
        flows: detectionCase.flows ?? [],
        dns: detectionCase.dns ?? [],
        intel: detectionCase.intel ?? {},
      });
    }
  }
  return scenarios;
}
