import { runCase, typesRaised } from './src/detect/cases.js';
import { DETECTIONS } from './src/detect/registry.js';
import { INCIDENTS } from './src/simulate/incidents.js';
for (const s of INCIDENTS) {
  const occ = runCase(DETECTIONS, { name: s.id, records: s.records, flows: s.flows, dns: s.dns, expect: s.expect, intel: s.intel } as never);
  const raised = typesRaised(occ);
  console.log(s.id, '\n  raised:', raised.join(', '), '\n  missing:', s.expect.filter((t) => !raised.includes(t)).join(', '));
}
