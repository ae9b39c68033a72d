import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { runDetections } from '../src/detect/engine.js';
import { loadSimulatedIntel } from '../src/simulate/intel.js';
import { simulate } from '../src/simulate/simulate.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * Scenario events are written into the files AWS would have delivered them in (per account, region and hour
 * of their own time), not all into the attack's file: a scenario's weeks of history land in their own days,
 * so a daily job over the S3 layout reads them in order, as it reads the background.
 */

const scratch = scratchDir('gumshoe-split2-sim-');
after(() => scratch.cleanup());

const HOUR = 3_600_000;
/** The delivery time in a CloudTrail file name: …_CloudTrail_<region>_YYYYMMDDTHHMMZ_<suffix>.json.gz */
const stampOf = (key: string) => {
  const [, y, mo, d, h, mi] = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]+$/.exec(key)!;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
};

describe('simulated scenario files', () => {
  const options = { seed: 5, days: 3, accounts: 1, events: 3_000, all: false, end: new Date('2026-11-20T00:00:00Z') };
  // Two weeks of a user's CLI work, then a burst of new tactics from a new network on the attack day.
  const scenarios = ['anomalous-behavior/stolen-key-used-unhurriedly-a-call-every-20-minutes-every-ta', 'anomalous-behavior/stratus-cloudtrail-stop-after-two-weeks-of-cli-work'];

  test('hold an hour of events each, in the date folder of their delivery a few minutes after their last event', async () => {
    const out = path.join(scratch.dir, 'layout');
    const result = await simulate({ ...options, scenarios, outDir: out });
    for (const scenario of result.scenarios) {
      const trails = scenario.files.filter((f) => f.includes('/CloudTrail/'));
      const days = new Set(trails.map((f) => f.split('/').slice(4, 7).join('/')));
      assert.ok(days.size >= 10, `${scenario.id}: its history spans days, in ${days.size} date folders`);
      for (const file of trails) {
        const delivered = stampOf(file);
        const times = (JSON.parse(gunzipSync(readFileSync(path.join(out, file))).toString()) as { Records: { eventTime: string }[] }).Records.map((r) => Date.parse(r.eventTime));
        const [first, last] = [Math.min(...times), Math.max(...times)];
        assert.equal(Math.floor(first / HOUR), Math.floor(last / HOUR), `${file}: one hour of events`);
        assert.ok(delivered >= last && delivered - last <= 15 * 60_000, `${file}: delivered a few minutes after its last event`);
        assert.equal(file.split('/').slice(4, 7).join('-'), new Date(delivered).toISOString().slice(0, 10), `${file}: dated by its delivery`);
      }
    }
  });

  test('a daily job over the date folders reads nothing older than an earlier run did', async () => {
    const out = path.join(scratch.dir, 'daily');
    await simulate({ ...options, scenarios, outDir: out });
    const files = readdirSync(path.join(out, 'AWSLogs'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    const dayOf = (file: string) => /\/(\d{4}\/\d{2}\/\d{2})\//.exec(file)![1]!;
    const lake = await tempLake();
    try {
      await loadSimulatedIntel(lake.lake.connection, JSON.parse(readFileSync(path.join(out, 'intel', 'intel.json'), 'utf8')));
      const warnings: string[] = [];
      for (const day of [...new Set(files.map(dayOf))].sort()) {
        await lake.ingest(files.filter((f) => dayOf(f) === day));
        warnings.push(...(await runDetections(lake.lake)).warnings.map((w) => `${day}: ${w}`));
      }
      assert.deepEqual(warnings, []);
    } finally {
      lake.close();
    }
  });
});
