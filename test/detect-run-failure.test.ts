import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ctEvent, iamUser } from '../src/detect/case-builders.js';
import type { ApiDetection } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { rootCredentialUsage } from '../src/detect/cloudtrail/root-credential-usage.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-eng-');
after(() => scratch.cleanup());

const intel = staticIntel({});
const call = (time: string) => ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('bob'), time });
const TYPE = 'Test:IAMUser/SecondCall';
/** Raises a finding on a principal's second call, and fails on its fourth. */
const fragile: ApiDetection = {
  id: 'eng-fragile',
  source: 'cloudtrail',
  types: [{ ...rootCredentialUsage.types[0]!, type: TYPE }],
  onEvent(event, context) {
    const seen = context.state(event.principalKey, () => ({ calls: 0 }));
    if (++seen.calls === 4) throw new TypeError('boom');
    if (seen.calls === 2) context.emit({ type: TYPE, event });
  },
  cases: () => [],
};

test("a detection's failure names it and leaves the lake as the last run left it", async () => {
  const lake = await tempLake();
  try {
    const file = (name: string, times: string[]) => {
      const out = path.join(scratch.dir, `${name}.json`);
      writeFileSync(out, times.map((t) => JSON.stringify(call(t))).join('\n'));
      return out;
    };
    await lake.ingest([file('a', ['2026-11-02T10:00:00Z', '2026-11-02T10:01:00Z'])]);
    assert.equal((await runDetections(lake.lake, { intel, detections: [fragile] })).created, 1);
    const snapshot = () => lake.rows(`SELECT (SELECT list(value::VARCHAR) FROM detection_state) AS state, (SELECT count(*) FROM detection_runs) AS runs,
      (SELECT list(finding::VARCHAR) FROM findings) AS findings, (SELECT count(*) FROM finding_evidence) AS evidence,
      (SELECT value FROM lake_meta WHERE key = 'detect_processed_rows') AS processed`);
    const before = await snapshot();
    await lake.ingest([file('b', ['2026-11-02T10:02:00Z', '2026-11-02T10:03:00Z'])]);
    await assert.rejects(runDetections(lake.lake, { intel, detections: [fragile] }), /^Error: detection eng-fragile failed: boom$/);
    assert.deepEqual(await snapshot(), before);
  } finally {
    lake.close();
  }
});
