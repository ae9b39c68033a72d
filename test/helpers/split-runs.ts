import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CloudTrailRecord } from '../../src/detect/detection.js';
import { type DetectOptions, runDetections } from '../../src/detect/engine.js';
import type { GuardDutyFinding } from '../../src/findings/guardduty-finding.js';
import { queryFindings } from '../../src/findings/store.js';
import { tempLake } from './lake.js';

/**
 * What a fresh lake holds after one `detect` run per batch of CloudTrail records, as a cron job reads the
 * files CloudTrail delivers (an empty batch: a run with no new logs). One batch is one run over everything.
 * `options` may differ per run (a run's clock after its own records).
 */
export async function findingsAfterRuns(batches: CloudTrailRecord[][], options: DetectOptions | ((records: CloudTrailRecord[]) => DetectOptions)): Promise<GuardDutyFinding[]> {
  const lake = await tempLake();
  try {
    for (const [i, records] of batches.entries()) {
      if (records.length) {
        const file = path.join(path.dirname(lake.file), `events-${i}.json`);
        writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
        await lake.ingest([file]);
      }
      await runDetections(lake.lake, typeof options === 'function' ? options(records) : options);
    }
    return await queryFindings(lake.lake.connection);
  } finally {
    lake.close();
  }
}
