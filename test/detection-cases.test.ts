import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { renderCatalogue } from '../src/detect/catalogue.js';
import { caseDetections, runCase, typesRaised } from '../src/detect/cases.js';
import { DETECTIONS } from '../src/detect/registry.js';

/** Every detection's own positive and negative cases, replayed through the detection runner. */
for (const detection of DETECTIONS) {
  describe(`detection ${detection.id}`, () => {
    for (const detectionCase of detection.cases()) {
      test(detectionCase.name, () => {
        const own = new Set(detection.types.map((spec) => spec.type));
        const raised = typesRaised(runCase(caseDetections(detection, detectionCase, DETECTIONS), detectionCase)).filter((type) => !detectionCase.with || own.has(type));
        assert.deepEqual(raised, [...new Set(detectionCase.expect)].sort());
      });
    }
  });
}

describe('detection catalogue', () => {
  test('every type is declared once, with metadata, a positive case and a negative case', () => {
    const seen = new Set<string>();
    for (const detection of DETECTIONS) {
      assert.ok(detection.cases().some((c) => c.expect.length === 0), `${detection.id} has no negative case`);
      for (const spec of detection.types) {
        assert.ok(!seen.has(spec.type), `${spec.type} is declared twice`);
        seen.add(spec.type);
        assert.match(spec.type, /^[A-Za-z]+:[A-Za-z0-9]+\/[A-Za-z0-9.!&]+$/, `${spec.type} does not follow the type grammar`);
        assert.ok(spec.severity >= 1 && spec.severity <= 10, `${spec.type} severity`);
        assert.match(spec.mitre.tactic, /^TA\d{4} /, `${spec.type} MITRE tactic`);
        assert.match(spec.mitre.technique, /^T\d{4}(\.\d{3})? /, `${spec.type} MITRE technique`);
        for (const field of ['title', 'description', 'remediation'] as const) assert.ok(spec[field].length > 10, `${spec.type} ${field}`);
        assert.ok(detection.cases().some((c) => c.expect.includes(spec.type)), `${spec.type} has no positive case`);
      }
    }
  });
});

describe('docs/finding-types.md', () => {
  test('is up to date with the registry (regenerate with npm run catalogue)', () => {
    const file = path.resolve(import.meta.dirname, '..', 'docs', 'finding-types.md');
    assert.equal(readFileSync(file, 'utf8'), renderCatalogue());
  });
});
