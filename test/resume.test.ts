import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { generateCloudTrail, generateDnsLogs, generateFlowLogs } from '../src/simulate/background.js';
import { Lake } from '../src/lake/db.js';
import { memoryBytes } from '../src/lake/env-settings.js';
import { ingest } from '../src/lake/ingest.js';
import { runCli, startCli } from './helpers/cli.js';
import { scratchDir } from './helpers/lake.js';

/** Small commits, so that a kill lands between many of them. */
const SMALL_BATCHES = { GUMSHOE_BATCH_RECORDS: '3000' };
const scratch = scratchDir('gumshoe-resume-');
const input = path.join(scratch.dir, 'input');

before(async () => {
  await generateCloudTrail({ outDir: input, records: 30_000, seed: 11 });
  await generateFlowLogs({ outDir: input, records: 120_000, seed: 12 });
  await generateDnsLogs({ outDir: input, records: 30_000, seed: 13 });
  // Bad records too, so the quarantine takes part in the comparison.
  writeFileSync(path.join(input, 'broken.jsonl'), '{"eventVersion":"1.08","eventTime":"2024-05-06T00:00:00Z","eventName":"GetCallerIdentity","eventSource":"sts.amazonaws.com","eventID":"0b1c"}\n{"eventName": \n');
  copyFileSync(path.join(input, 'broken.jsonl'), path.join(input, 'broken-copy.jsonl'));
  writeFileSync(path.join(input, 'truncated.log.gz'), gzipSync('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1714953600 1714953660 ACCEPT OK\n').subarray(0, 90));
});

after(() => scratch.cleanup());

/** Everything a lake holds that must not depend on how the ingest went (not run times). */
async function fingerprint(file: string): Promise<Record<string, string>> {
  const lake = await Lake.open(file, { readOnly: true });
  try {
    const result: Record<string, string> = {};
    const tables = ['api_activity', 'network_activity', 'dns_activity', 'detection_finding', 'quarantine'];
    for (const table of tables) {
      const reader = await lake.connection.runAndReadAll(
        // Every column of every row, as a multiset: the sum of the rows' hashes (casting rows to text took 17 s).
        `SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(t)::HUGEINT)::VARCHAR, '') FROM ${table} t`,
      );
      result[table] = String(reader.getRows()[0]![0]);
    }
    const files = await lake.connection.runAndReadAll(
      `SELECT string_agg(concat_ws('|', file_id, uri, status, source_type, format, records_read, quarantined), '\n' ORDER BY file_id) FROM ingested_files`,
    );
    result.ingested_files = String(files.getRows()[0]![0]);
    return result;
  } finally {
    lake.close();
  }
}

async function eventCount(file: string): Promise<number> {
  const lake = await Lake.open(file, { readOnly: true });
  try {
    const reader = await lake.connection.runAndReadAll(
      'SELECT (SELECT count(*) FROM api_activity) + (SELECT count(*) FROM network_activity) + (SELECT count(*) FROM dns_activity)',
    );
    return Number(reader.getRows()[0]![0]);
  } finally {
    lake.close();
  }
}

test('an ingest killed with SIGKILL and run again ends with exactly the lake of an uninterrupted run', async () => {
  const whole = path.join(scratch.dir, 'whole.duckdb');
  const started = Date.now();
  const uninterrupted = runCli(['ingest', input, '--db', whole], SMALL_BATCHES);
  const duration = Date.now() - started;
  assert.equal(uninterrupted.status, 0, uninterrupted.stderr);
  const expected = await fingerprint(whole);
  const total = await eventCount(whole);

  const resumed = path.join(scratch.dir, 'resumed.duckdb');
  let interruptedMidway = 0;
  for (const fraction of [0.35, 0.65]) {
    const child = startCli(['ingest', input, '--db', resumed], SMALL_BATCHES);
    // Listening from the start: a resumed run skips what earlier runs stored, so it may finish before the kill.
    const exited = once(child, 'exit');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, duration * fraction))]);
    child.kill('SIGKILL');
    await exited;
    const partial = await eventCount(resumed);
    if (partial > 0 && partial < total) interruptedMidway++;
  }
  assert.ok(interruptedMidway > 0, 'no kill landed between commits; the test did not interrupt anything');

  const rerun = runCli(['ingest', input, '--db', resumed, '--json'], SMALL_BATCHES);
  assert.equal(rerun.status, 0, rerun.stderr);
  const summary = JSON.parse(rerun.stdout);
  assert.equal(summary.read, summary.stored + summary.duplicates + summary.quarantined);
  assert.deepEqual(await fingerprint(resumed), expected);
  // The killed runs' stage directories are cleared away by the next run.
  assert.deepEqual(readdirSync(scratch.dir).filter((name) => name.startsWith('.gumshoe-stage-')), []);
});

test('running the same ingest again adds nothing and reads no file twice', async () => {
  const file = path.join(scratch.dir, 'again.duckdb');
  const first = runCli(['ingest', input, '--db', file, '--json']);
  assert.equal(first.status, 0, first.stderr);
  const before = await fingerprint(file);
  const second = runCli(['ingest', input, '--db', file, '--json']);
  assert.equal(second.status, 0, second.stderr);
  const summary = JSON.parse(second.stdout);
  assert.equal(summary.read, 0);
  assert.equal(summary.stored, 0);
  assert.ok(summary.filesUnchanged > 0);
  assert.deepEqual(await fingerprint(file), before);
});

test('a batch that runs out of memory at the ingest limit is committed again at the lake limit: the same lake', async () => {
  const roomy = path.join(scratch.dir, 'roomy.duckdb');
  const first = runCli(['ingest', input, '--db', roomy, '--json'], { GUMSHOE_INGEST_MEMORY_LIMIT: '512MB' });
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout).warnings.filter((w: string) => /out of memory/.test(w)), []);
  const tight = path.join(scratch.dir, 'tight.duckdb');
  const second = runCli(['ingest', input, '--db', tight, '--json'], { GUMSHOE_INGEST_MEMORY_LIMIT: '40MB' });
  assert.equal(second.status, 0, second.stderr);
  const summary = JSON.parse(second.stdout);
  // The limit doubles until a batch fits, up to the lake's own.
  const raises = summary.warnings.filter((w: string) => /out of memory/.test(w));
  assert.equal(raises[0], 'a batch ran out of memory at 40MB and was committed at 80MB, the limit for the rest of the run');
  const steps = ['40MB', '80MB', '160MB', '320MB', '512MB'];
  raises.forEach((w: string, i: number) => assert.equal(w, `a batch ran out of memory at ${steps[i]} and was committed at ${steps[i + 1]}, the limit for the rest of the run`));
  assert.equal(summary.read, summary.stored + summary.duplicates + summary.quarantined);
  assert.deepEqual(await fingerprint(tight), await fingerprint(roomy));
});

test('the progress counts records as they are read, before their batch commits; the summary only committed ones', async () => {
  const lake = await Lake.open(path.join(scratch.dir, 'progress.duckdb'));
  const reported: number[] = [];
  try {
    // Default batches: the whole input is one batch, committed at the end.
    const summary = await ingest(lake, [input], { onProgress: (progress) => reported.push(progress.records) });
    assert.ok(reported.slice(0, -1).some((records) => records > 0), 'records are counted before the commit');
    assert.ok(reported.every((records, i) => i === 0 || records >= reported[i - 1]!), 'the count never goes back');
    assert.equal(reported.at(-1), summary.read);
    assert.equal(summary.read, summary.stored + summary.duplicates + summary.quarantined);
  } finally {
    lake.close();
  }
});

test('memory sizes count as DuckDB counts them: KB, MB, GB in thousands, KiB, MiB, GiB in 1024s', () => {
  assert.equal(memoryBytes('160MB'), 160e6);
  assert.equal(memoryBytes('0.5 GB'), 5e8);
  assert.equal(memoryBytes('1GiB'), 2 ** 30);
  assert.equal(memoryBytes('512kib'), 512 * 1024);
  assert.throws(() => memoryBytes('lots'), /not a memory size/);
});

test('a changed file read again: its known records are left out, new ones stored, each bad line quarantined once', async () => {
  const dir = path.join(scratch.dir, 'changed');
  const file = path.join(dir, 'trail.jsonl');
  const event = (id: string) =>
    JSON.stringify({ eventVersion: '1.08', eventTime: '2024-05-06T00:00:00Z', eventName: 'GetCallerIdentity', eventSource: 'sts.amazonaws.com', eventID: id });
  const first = [event('e1'), event('e2'), '{"eventName": ', event('e3')];
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${first.join('\n')}\n`);
  const db = path.join(scratch.dir, 'changed.duckdb');
  const before = JSON.parse(runCli(['ingest', dir, '--db', db, '--json']).stdout);
  assert.deepEqual([before.read, before.stored, before.duplicates, before.quarantined], [4, 3, 0, 1]);
  // The file grows: the same lines, then two new events and another bad line.
  writeFileSync(file, `${[...first, event('e4'), '[1, 2]', event('e5')].join('\n')}\n`);
  const again = runCli(['ingest', dir, '--db', db, '--json']);
  assert.equal(again.status, 0, again.stderr);
  const after = JSON.parse(again.stdout);
  assert.deepEqual([after.read, after.stored, after.duplicates, after.quarantined], [7, 2, 3, 2]);
  const lake = await Lake.open(db, { readOnly: true });
  try {
    const ids = (await lake.connection.runAndReadAll('SELECT metadata_uid FROM api_activity ORDER BY 1')).getRows().map((row) => row[0]);
    assert.deepEqual(ids, ['e1', 'e2', 'e3', 'e4', 'e5']);
    const quarantined = (await lake.connection.runAndReadAll('SELECT source_line, reason FROM quarantine ORDER BY 1')).getRows();
    assert.deepEqual(quarantined.map((row) => Number(row[0])), [3, 6]);
    assert.match(String(quarantined[1]![1]), /not a JSON object/);
  } finally {
    lake.close();
  }
});

test('a file whose last line was cut off while it was written, read again once whole: the line is stored and no longer quarantined', async () => {
  const dir = path.join(scratch.dir, 'completed');
  const file = path.join(dir, 'trail.jsonl');
  const event = (id: string) =>
    JSON.stringify({ eventVersion: '1.08', eventTime: '2024-05-07T00:00:00Z', eventName: 'GetCallerIdentity', eventSource: 'sts.amazonaws.com', eventID: id });
  mkdirSync(dir, { recursive: true });
  const whole = `${[event('e1'), event('e2'), event('e3')].join('\n')}\n`;
  writeFileSync(file, whole.slice(0, whole.length - 40));
  const db = path.join(scratch.dir, 'completed.duckdb');
  const before = JSON.parse(runCli(['ingest', dir, '--db', db, '--json']).stdout);
  assert.deepEqual([before.read, before.stored, before.quarantined], [3, 2, 1]);
  writeFileSync(file, whole);
  const after = JSON.parse(runCli(['ingest', dir, '--db', db, '--json']).stdout);
  assert.deepEqual([after.read, after.stored, after.duplicates, after.quarantined], [3, 1, 2, 0]);
  const lake = await Lake.open(db, { readOnly: true });
  try {
    assert.equal(Number((await lake.connection.runAndReadAll('SELECT count(*) FROM quarantine')).getRows()[0]![0]), 0, 'the cut-off reading is superseded');
    assert.equal(Number((await lake.connection.runAndReadAll('SELECT count(*) FROM api_activity')).getRows()[0]![0]), 3);
  } finally {
    lake.close();
  }
});
