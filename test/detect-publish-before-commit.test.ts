import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ctEvent, root } from '../src/detect/case-builders.js';
import { runDetections } from '../src/detect/engine.js';
import { rootCredentialUsage } from '../src/detect/cloudtrail/root-credential-usage.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-engine-publish-');
after(() => scratch.cleanup());

const intel = staticIntel({});
const trail = (name: string, times: string[]) => {
  const file = path.join(scratch.dir, `${name}.json`);
  writeFileSync(file, times.map((time) => JSON.stringify(ctEvent({ service: 'iam', name: 'ListUsers', identity: root(), time }))).join('\n'));
  return file;
};

test('findings are written out before they are stored, and a run whose output fails stores nothing', async () => {
  const lake = await tempLake();
  try {
    await lake.ingest([trail('root', ['2026-11-02T10:00:00Z', '2026-11-02T10:05:00Z'])]);
    const stored = async () => {
      // Another connection sees only what is committed.
      const other = await lake.lake.connect();
      try {
        const reader = await other.runAndReadAll('SELECT (SELECT count(*) FROM findings), (SELECT count(*) FROM detection_runs)');
        return reader.getRowsJS()[0]!.map(Number);
      } finally {
        other.closeSync();
      }
    };
    const detections = [rootCredentialUsage];
    await assert.rejects(
      runDetections(lake.lake, { intel, detections, publish: async () => Promise.reject(new Error('ENOSPC: no space left on device')) }),
      /ENOSPC/,
    );
    assert.deepEqual(await stored(), [0, 0], 'a run whose findings were not written out stores nothing');

    let seenWhilePublishing: number[] | undefined;
    let published: string[] = [];
    const summary = await runDetections(lake.lake, {
      intel,
      detections,
      publish: async ({ findings }) => {
        seenWhilePublishing = await stored();
        published = findings.map((f) => `${f.type} ${f.service.count}`);
      },
    });
    assert.deepEqual(seenWhilePublishing, [0, 0], 'published before committed');
    assert.deepEqual(published, ['Policy:IAMUser/RootCredentialUsage 2'], 'the failed run left nothing out and counted nothing twice');
    assert.equal(summary.created, 1);
    assert.deepEqual(await stored(), [1, 1]);
  } finally {
    lake.close();
  }
});

const MAIN = path.resolve(import.meta.dirname, '../src/cli/main.ts');
const gumshoe = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });

test('gumshoe detect whose --output cannot be written (disk full) exits non-zero, and the next run writes the findings', { skip: !existsSync('/dev/full') }, () => {
  const db = path.join(scratch.dir, 'cli.duckdb');
  const logs = trail('cli', ['2026-11-03T08:00:00Z']);
  const full = gumshoe(['detect', logs, '--db', db, '--output', '/dev/full']);
  assert.notEqual(full.status, 0, full.stderr);
  assert.match(full.stderr, /cannot write findings to \/dev\/full/);
  const out = path.join(scratch.dir, 'findings.jsonl');
  const again = gumshoe(['detect', '--db', db, '--output', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /detected: 1 CloudTrail events.* 1 new/);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; service: { count: number } });
  assert.deepEqual(lines.map((f) => [f.type, f.service.count]), [['Policy:IAMUser/RootCredentialUsage', 1]]);
});

test('gumshoe detect --format asff leaves out, with a warning, a finding Security Hub would refuse, and stores the run', () => {
  const db = path.join(scratch.dir, 'asff.duckdb');
  const file = path.join(scratch.dir, 'scrubbed.json');
  // Panther's and other scrubbed samples carry account ids that are not 12 digits.
  const events = [ctEvent({ service: 'iam', name: 'ListUsers', identity: root(), time: '2026-11-04T08:00:00Z' }), ctEvent({ service: 'iam', name: 'ListUsers', identity: root('0123456789'), time: '2026-11-04T08:01:00Z' })];
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
  const out = path.join(scratch.dir, 'asff.jsonl');
  const run = gumshoe(['detect', file, '--db', db, '--format', 'asff', '--output', out]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /warning: 1 finding\(s\) left out of the ASFF output; the first: .*account '0123456789', not a 12-digit AWS account id/);
  assert.match(run.stderr, /2 new/);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { AwsAccountId: string });
  assert.deepEqual(lines.map((f) => f.AwsAccountId), ['111122223333']);
});
