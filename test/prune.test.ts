import type { DuckDBConnection } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ACCOUNT, ctEvent, iamUser, OTHER_ACCOUNT, root } from '../src/detect/case-builders.js';
import { rootCredentialUsage } from '../src/detect/cloudtrail/root-credential-usage.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';
import { runDetections, storeProcessedRows } from '../src/detect/engine.js';
import { staticIntel } from '../src/intel/static.js';
import { Lake } from '../src/lake/db.js';
import { pruneLake, type PruneSummary } from '../src/lake/prune.js';
import { catalogue } from '../src/server/catalogue.js';
import { LakeAccess } from '../src/server/lake-access.js';
import type { CliResult } from './helpers/cli.js';
import { scratchDir, tempLake, TestLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-prune-');
after(() => scratch.cleanup());

/** A directory holding one file of `records` (and `extra` lines after them), as a trail's prefix would. */
function logs(name: string, records: object[], extra: string[] = []): string {
  const dir = path.join(scratch.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'events.json'), [...records.map((r) => JSON.stringify(r)), ...extra].join('\n'));
  return dir;
}

const THIRD_ACCOUNT = '999988887777';
const rootCalls = (account: string, times: string[]): CloudTrailRecord[] =>
  times.map((time) => ctEvent({ service: 'iam', name: 'ListUsers', identity: root(account), time }));
const aliceCalls = (times: string[]): CloudTrailRecord[] =>
  times.map((time) => ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('alice'), time }));
const days = (month: string, from: number, count: number) =>
  Array.from({ length: count }, (_, k) => `2026-${month}-${String(from + k).padStart(2, '0')}T10:00:00Z`);

const CUTOFF = new Date('2026-03-01T00:00:00Z');
const detect = (lake: TestLake) => runDetections(lake.lake, { intel: staticIntel({}), detections: [rootCredentialUsage] });

/** The root-credential finding's count per account: each root call adds one. */
async function rootFindings(lake: TestLake): Promise<Record<string, number>> {
  const rows = await lake.rows(`SELECT account_id, count FROM findings WHERE type = 'Policy:IAMUser/RootCredentialUsage' ORDER BY account_id`);
  return Object.fromEntries(rows.map((r) => [String(r.account_id), Number(r.count)]));
}

const processedRows = async (lake: TestLake) =>
  (await lake.rows(`SELECT value FROM lake_meta WHERE key = 'detect_processed_rows'`))[0]?.value;

describe('pruneLake', () => {
  test('deletes detected events before the cutoff; detection goes on where it stopped, and files read stay read', async () => {
    const lake = await tempLake();
    try {
      // Root calls before the cutoff and one after it, which stays: a run that read it again would count it again.
      const old = logs('old', [...rootCalls(ACCOUNT, [...days('01', 10, 5), '2026-11-15T10:00:00Z']), ...aliceCalls(days('11', 10, 3))]);
      await lake.ingest([old]);
      assert.equal((await detect(lake)).events, 9);
      // Before the cutoff too, but stored after the run: kept for the next one.
      await lake.ingest([logs('late', rootCalls(OTHER_ACCOUNT, days('01', 20, 4)))]);

      const before = await processedRows(lake);
      const dry = await pruneLake(lake.lake.connection, { before: CUTOFF, dryRun: true });
      assert.equal(await lake.count('SELECT count(*) FROM api_activity'), 13);
      assert.equal(await processedRows(lake), before);

      const pruned = await pruneLake(lake.lake.connection, { before: CUTOFF });
      assert.deepEqual(pruned, { ...dry, dryRun: false });
      assert.equal(pruned.cutoff, '2026-03-01T00:00:00.000Z');
      assert.equal(pruned.deleted.api_activity, 5);
      assert.equal(pruned.undetected.api_activity, 4);
      assert.equal(await lake.count('SELECT count(*) FROM api_activity'), 8);
      assert.equal(await lake.count(`SELECT count(*) FROM api_activity WHERE cloud_account_uid = '${ACCOUNT}' AND time < '2026-03-01'`), 0);

      // The same prefix read again: its file is known, nothing is stored again.
      const again = await lake.ingest([old]);
      assert.equal(again.stored, 0);
      assert.equal(again.filesUnchanged, 1);

      const stoppedAt = await lake.count('SELECT max(rowid) FROM api_activity');
      await lake.ingest([logs('newer', rootCalls(THIRD_ACCOUNT, ['2026-11-20T10:00:00Z']))]);
      // The deleted rows were compacted away since: the newest row has an id the last run had passed.
      assert.ok(await lake.count(`SELECT count(*) FROM api_activity WHERE cloud_account_uid = '${THIRD_ACCOUNT}' AND rowid <= ${stoppedAt}`) > 0);

      const run = await detect(lake);
      assert.equal(run.events, 5);
      assert.deepEqual(await rootFindings(lake), { [ACCOUNT]: 6, [OTHER_ACCOUNT]: 4, [THIRD_ACCOUNT]: 1 });
      assert.equal((await detect(lake)).events, 0);
    } finally {
      lake.close();
    }
  });

  test('the processed rows left are still the first ones after its checkpoint renumbered them', async () => {
    const lake = await tempLake();
    try {
      // Several row groups, which checkpoints merge as rows go. Rows 0–59,999 and 95,000 on are old; detect processed the first 90,000.
      await lake.lake.connection.run(`INSERT INTO api_activity (time, source_file_id, source_line, raw, dedup_key)
        SELECT CASE WHEN i < 60000 OR i >= 95000 THEN TIMESTAMP '2026-01-01' ELSE TIMESTAMP '2026-11-01' END, 1, i, 'x', i::UHUGEINT FROM range(100000) r(i)`);
      await storeProcessedRows(lake.lake.connection, { api: 90_000, flow: 0, dns: 0 });
      const stoppedAt = await lake.count(`SELECT max(rowid) FROM api_activity WHERE source_line = 89999`);
      const pruned = await pruneLake(lake.lake.connection, { before: CUTOFF });
      assert.equal(pruned.deleted.api_activity, 60_000);
      assert.equal(pruned.undetected.api_activity, 5_000);
      assert.equal(JSON.parse(String(await processedRows(lake))).api, 30_000);
      assert.ok(await lake.count(`SELECT max(rowid) FROM api_activity WHERE source_line = 89999`) < stoppedAt);
      const first = await lake.rows('SELECT min(source_line) AS lo, max(source_line) AS hi FROM (SELECT source_line FROM api_activity ORDER BY rowid LIMIT 30000)');
      assert.deepEqual(first, [{ lo: 60_000n, hi: 89_999n }]);
      assert.equal(await lake.count('SELECT count(*) FROM api_activity WHERE source_line >= 90000'), 10_000);
    } finally {
      lake.close();
    }
  });

  test('logs older than what detect processed, ingested after a prune deleted all of that, are still told as a backfill', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([logs('processed', rootCalls(ACCOUNT, days('01', 10, 3)))]);
      await detect(lake);
      const pruned = await pruneLake(lake.lake.connection, { before: CUTOFF });
      assert.equal(pruned.deleted.api_activity, 3);
      await lake.ingest([logs('backfill', rootCalls(OTHER_ACCOUNT, days('01', 2, 2)))]);
      const run = await detect(lake);
      assert.equal(run.events, 2);
      assert.ok(run.warnings.some((w) => /^2 CloudTrail event\(s\) of this run are older than what earlier runs processed \(up to 2026-01-12T10:00Z\)/.test(w)), run.warnings.join('\n'));
    } finally {
      lake.close();
    }
  });

  test('on a lake detect never ran on, keeps every event and counts those before the cutoff as not yet detected', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([logs('never', [...rootCalls(ACCOUNT, days('01', 10, 3)), ...aliceCalls(days('11', 10, 2))])]);
      const pruned = await pruneLake(lake.lake.connection, { before: CUTOFF });
      assert.deepEqual(pruned.deleted.api_activity, 0);
      assert.deepEqual(pruned.undetected, { api_activity: 3, network_activity: 0, dns_activity: 0 });
      assert.equal(await processedRows(lake), undefined);
      assert.equal((await detect(lake)).events, 5);
      assert.deepEqual(await rootFindings(lake), { [ACCOUNT]: 3 });
      // Detected now: the next prune deletes them.
      assert.equal((await pruneLake(lake.lake.connection, { before: CUTOFF })).deleted.api_activity, 3);
      assert.equal((await detect(lake)).events, 0);
    } finally {
      lake.close();
    }
  });

  test('a COMMIT that fails is the error told, and leaves the lake as it was', async () => {
    const lake = await tempLake();
    const other = await lake.lake.connect();
    try {
      await lake.ingest([logs('commit', rootCalls(ACCOUNT, days('01', 10, 3)))]);
      await detect(lake);
      const before = await processedRows(lake);
      // Another connection stores the same lake_meta key meanwhile: DuckDB finds the conflict at COMMIT, which ends the transaction.
      const racing = new Proxy(lake.lake.connection, {
        get: (target, key) => key === 'run'
          ? async (...args: Parameters<DuckDBConnection['run']>) => {
            if (args[0] === 'COMMIT') await other.run(`INSERT INTO lake_meta VALUES ('last_prune', '{}')`);
            return target.run(...args);
          }
          : Reflect.get(target, key, target),
      });
      await assert.rejects(pruneLake(racing, { before: CUTOFF }), /Failed to commit: PRIMARY KEY or UNIQUE constraint violation/);
      assert.equal(await lake.count('SELECT count(*) FROM api_activity'), 3);
      assert.equal(await processedRows(lake), before);
    } finally {
      other.closeSync();
      lake.close();
    }
  });

  test('deletes imported GuardDuty findings by their time, and quarantined records of files ingested before the cutoff', async () => {
    const lake = await tempLake();
    try {
      const guardDuty = (id: string, updatedAt: string) => ({
        schemaVersion: '2.0', id, arn: `arn:aws:guardduty:eu-west-1:${ACCOUNT}:detector/d/finding/${id}`, type: 'Recon:EC2/PortProbeUnprotectedPort',
        accountId: ACCOUNT, region: 'eu-west-1', severity: 2, title: 'probe', createdAt: updatedAt, updatedAt,
        resource: { resourceType: 'Instance' }, service: { count: 1, archived: false },
      });
      const file = path.join(logs('gd', [guardDuty('old', '2026-01-05T00:00:00Z'), guardDuty('new', '2026-11-05T00:00:00Z')]), 'events.json');
      const trail = logs('quarantined', aliceCalls(days('01', 10, 2)), ['{"eventVersion": "1.08", "eventTime": "not a time"}']);
      await lake.ingest([file, trail]);
      assert.equal(await lake.count('SELECT count(*) FROM detection_finding'), 2);
      assert.equal(await lake.count('SELECT count(*) FROM quarantine'), 1);

      const first = await pruneLake(lake.lake.connection, { before: CUTOFF });
      assert.equal(first.deleted.detection_finding, 1);
      assert.deepEqual((await lake.rows('SELECT finding_uid FROM detection_finding')).map((r) => r.finding_uid), ['new']);
      // Its file was ingested after the cutoff (just now).
      assert.equal(first.deleted.quarantine, 0);

      const later = await pruneLake(lake.lake.connection, { before: new Date(Date.now() + 1000) });
      assert.equal(later.deleted.quarantine, 1);
      assert.equal(await lake.count('SELECT count(*) FROM quarantine'), 0);
      assert.equal(await lake.count('SELECT count(*) FROM ingested_files'), 2);
    } finally {
      lake.close();
    }
  });

  test('with findings, deletes those last updated before the cutoff with their evidence, and unlinks the members they leave', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([logs('findings', [...rootCalls(ACCOUNT, days('01', 10, 2)), ...rootCalls(OTHER_ACCOUNT, days('01', 12, 3))])]);
      await detect(lake);
      // As if OTHER_ACCOUNT's finding were an attack sequence, last updated before the cutoff, that ACCOUNT's belongs to.
      await lake.lake.connection.run(`UPDATE findings SET updated_at = '2026-01-31' WHERE account_id = '${OTHER_ACCOUNT}'`);
      await lake.lake.connection.run(`UPDATE findings SET finding = json_merge_patch(finding, json_object('associatedAttackSequenceArn',
        (SELECT finding->>'$.arn' FROM findings WHERE account_id = '${OTHER_ACCOUNT}'))) WHERE account_id = '${ACCOUNT}'`);
      const evidence = (account: string) => lake.count(`SELECT count(*) FROM finding_evidence e JOIN findings f ON f.id = e.finding_id WHERE f.account_id = '${account}'`);
      assert.equal(await evidence(OTHER_ACCOUNT), 3);

      const withoutFindings: PruneSummary = await pruneLake(lake.lake.connection, { before: CUTOFF });
      assert.equal(withoutFindings.deleted.findings, undefined);
      assert.equal(await lake.count('SELECT count(*) FROM findings'), 2);

      const dry = await pruneLake(lake.lake.connection, { before: CUTOFF, findings: true, dryRun: true });
      assert.equal(dry.unlinkedMembers, 1);
      assert.equal(await lake.count('SELECT count(*) FROM findings'), 2);

      const pruned = await pruneLake(lake.lake.connection, { before: CUTOFF, findings: true });
      assert.equal(pruned.deleted.findings, 1);
      assert.equal(pruned.deleted.finding_evidence, 3);
      assert.equal(pruned.unlinkedMembers, 1);
      assert.deepEqual(await rootFindings(lake), { [ACCOUNT]: 2 });
      assert.equal(await lake.count('SELECT count(*) FROM finding_evidence'), await evidence(ACCOUNT));
      assert.equal(await lake.count(`SELECT count(*) FROM findings WHERE finding->>'$.associatedAttackSequenceArn' IS NOT NULL`), 0);
    } finally {
      lake.close();
    }
  });
});

test('the server computes its entity catalogue again after a prune, even once ingest brings the row counts back', async () => {
  const db = path.join(scratch.dir, 'served.duckdb');
  const access = new LakeAccess(db, { idleMs: 0 });
  const rootCallsSeen = () => access.read(async (context) => [...(await catalogue(context)).principals.values()].find((p) => p.type === 'Root')?.calls);
  // A writer opens the file only once the server let go of it.
  const write = async (work: (lake: TestLake) => Promise<unknown>) => {
    while (access.isOpen) await new Promise((resolve) => setTimeout(resolve, 10));
    const lake = new TestLake(await Lake.open(db), db, () => {});
    try {
      await work(lake);
    } finally {
      lake.close();
    }
  };
  await write(async (lake) => {
    await lake.ingest([logs('served', rootCalls(ACCOUNT, [...days('01', 10, 5), '2026-11-15T10:00:00Z']))]);
    await detect(lake);
  });
  assert.equal(await rootCallsSeen(), 6);
  await write(async (lake) => {
    assert.equal((await pruneLake(lake.lake.connection, { before: CUTOFF })).deleted.api_activity, 5);
    await lake.ingest([logs('served-more', aliceCalls(days('11', 16, 5)))]);
    assert.equal(await lake.count('SELECT count(*) FROM api_activity'), 6);
  });
  assert.equal(await rootCallsSeen(), 1);
});

const ROOT = path.resolve(import.meta.dirname, '..');

/** The CLI from source through tsx (no build needed). */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('gumshoe prune: usage errors name the option; --dry-run counts and changes nothing', async () => {
  const db = path.join(scratch.dir, 'cli.duckdb');
  const lake = new TestLake(await Lake.open(db), db, () => {});
  try {
    await lake.ingest([logs('cli', [...rootCalls(ACCOUNT, days('01', 10, 3)), ...aliceCalls(days('11', 10, 2))])]);
    await detect(lake);
  } finally {
    lake.close();
  }
  for (const [args, message] of [
    [['--older-than', '90'], /option '--older-than <N>d' argument '90' is invalid/],
    [['--older-than', '-3d'], /option '--older-than <N>d' argument '-3d' is invalid/],
    // More days back than a date reaches: a usage error, not an internal one.
    [['--older-than', '200000000d'], /option '--older-than <N>d' argument '200000000d' is invalid/],
    [['--before', 'yesterday'], /option '--before <date>' argument 'yesterday' is invalid/],
    [['--older-than', '90d', '--before', '2026-01-01'], /'--older-than <N>d' cannot be used with option '--before <date>'/],
    [[], /prune needs --older-than <N>d or --before <date>/],
  ] as const) {
    const result = await cli(['prune', ...args, '--db', db]);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }

  const missing = path.join(scratch.dir, 'no-lake.duckdb');
  const noLake = await cli(['prune', '--older-than', '90d', '--db', missing]);
  assert.equal(noLake.status, 2);
  assert.match(noLake.stderr, /no lake at .*no-lake\.duckdb/);
  assert.equal(existsSync(missing), false);

  const dry = await cli(['prune', '--before', '2026-03-01', '--dry-run', '--json', '--db', db]);
  assert.equal(dry.status, 0, dry.stderr);
  const summary = JSON.parse(dry.stdout) as PruneSummary;
  assert.equal(summary.dryRun, true);
  assert.equal(summary.cutoff, '2026-03-01T00:00:00.000Z');
  assert.equal(summary.deleted.api_activity, 3);
  const text = await cli(['prune', '--before', '2026-03-01', '--dry-run', '--db', db]);
  assert.match(text.stdout, /api_activity\s+3\s+0/);
  assert.match(text.stdout, /dry run: nothing was deleted/);
  const count = await cli(['query', 'SELECT count(*) AS n FROM api_activity', '--format', 'json', '--db', db]);
  assert.equal(JSON.parse(count.stdout).n, 5);
});
