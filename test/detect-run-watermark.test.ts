import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ctEvent, iamUser } from '../src/detect/case-builders.js';
import type { ApiDetection } from '../src/detect/detection.js';
import { runDetections } from '../src/detect/engine.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-eng-');
after(() => scratch.cleanup());

/** A file of `n` distinct calls, one a second from `start`. */
function callsFile(name: string, n: number, start: string): string {
  const file = path.join(scratch.dir, `${name}.json`);
  const from = Date.parse(start);
  const calls = Array.from({ length: n }, (_, k) =>
    ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('alice'), time: new Date(from + k * 1000).toISOString() }));
  writeFileSync(file, calls.map((c) => JSON.stringify(c)).join('\n'));
  return file;
}

/** Sees every event and raises nothing: the run's summary counts what it read. */
const everyEvent: ApiDetection = { id: 'eng-every-event', source: 'cloudtrail', types: [], onEvent: () => undefined, cases: () => [] };
const detect = (lake: Awaited<ReturnType<typeof tempLake>>) => runDetections(lake.lake, { intel: staticIntel({}), detections: [everyEvent] });

test('rows stored after a checkpoint renumbered the lake (deleted repeats compacted away) are still detected', async () => {
  const lake = await tempLake();
  try {
    await lake.ingest([callsFile('a', 1000, '2026-11-01T00:00:00Z')]);
    assert.equal((await detect(lake)).events, 1000);
    // An ingest deletes the repeats it appended (records the lake already held) before a run sees its rows.
    await lake.ingest([callsFile('b', 1000, '2026-11-02T00:00:00Z')]);
    await lake.lake.connection.run('DELETE FROM api_activity WHERE rowid BETWEEN 1000 AND 1499');
    assert.equal((await detect(lake)).events, 500);
    const stoppedAt = await lake.count('SELECT max(rowid) FROM api_activity');
    await lake.lake.connection.run('CHECKPOINT');
    await lake.ingest([callsFile('c', 100, '2026-11-03T00:00:00Z')]);
    // The checkpoint gave the new rows row ids the last run had already passed.
    assert.ok(await lake.count(`SELECT count(*) FROM api_activity WHERE time >= '2026-11-03' AND rowid <= ${stoppedAt}`) > 0);
    assert.equal((await detect(lake)).events, 100);
    assert.equal((await detect(lake)).events, 0);
    assert.equal(await lake.count('SELECT sum(events) FROM detection_runs'), await lake.count('SELECT count(*) FROM api_activity'));
  } finally {
    lake.close();
  }
});
