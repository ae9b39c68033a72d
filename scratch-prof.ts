import { Lake } from './src/lake/db.js';
import { apiEvents } from './src/detect/lake-events.js';
import { DETECTIONS } from './src/detect/registry.js';
import { DetectionRunner, StateStore } from './src/detect/runner.js';
import { DEFAULT_SETTINGS } from './src/detect/detection.js';
import { loadIntel } from './src/intel/load.js';
const lake = await Lake.open('/tmp/ct-bench.duckdb');
const intel = await loadIntel(lake.connection);
const events = [];
let t = performance.now();
for await (const chunk of apiEvents(lake.connection, -1, 200_000)) events.push(...chunk);
console.log('read', events.length, ((performance.now() - t) / 1000).toFixed(2), 's');
for (const d of [[], ...DETECTIONS.map((x) => [x])]) {
  const runner = new DetectionRunner(d, intel, { ...DEFAULT_SETTINGS, organizationAccounts: new Set() }, new StateStore(), { intel, detectorId: 'x', partition: 'aws' });
  t = performance.now();
  for (const e of events) runner.process(e);
  runner.finish();
  console.log((d[0]?.id ?? 'none').padEnd(30), ((performance.now() - t) / 1000).toFixed(2), 's', runner.counts.signals);
}
lake.close();
