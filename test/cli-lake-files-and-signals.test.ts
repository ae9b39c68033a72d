import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { scratchDir } from './helpers/lake.js';

/** The CLI as the current source runs it (the built CLI of other tests may be older). */
const MAIN = path.resolve(import.meta.dirname, '../src/cli/main.ts');
const ARGS = ['--import', 'tsx', MAIN];
const ENV = { ...process.env, NO_COLOR: '1' };
const gumshoe = (args: string[]) => spawnSync(process.execPath, [...ARGS, ...args], { encoding: 'utf8', env: ENV, timeout: 120_000 });
const SAMPLES = path.resolve(import.meta.dirname, '../samples');

const scratch = scratchDir('gumshoe-cli-habits-');
const lakeFile = path.join(scratch.dir, 'lake.duckdb');
const copy = (name: string) => {
  const file = path.join(scratch.dir, name);
  copyFileSync(lakeFile, file);
  return file;
};

/** A user error: exit 2, one line that says what is wrong, and no "this is a bug". */
function assertUserError(result: { status: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /internal error|this is a bug|\n\s+at /);
}

before(() => {
  const ingested = gumshoe(['ingest', SAMPLES, '--db', lakeFile]);
  assert.equal(ingested.status, 0, ingested.stderr);
});
after(() => scratch.cleanup());

describe('a lake file that is not a usable lake', () => {
  test('a lake cut short is named damaged (exit 2), not reported as a bug', () => {
    const file = copy('cut.duckdb');
    truncateSync(file, 300_000);
    assertUserError(gumshoe(['stats', '--db', file]), /the lake is damaged .*cut\.duckdb.*restore it from a backup/);
  });

  test('a lake whose header fails its checksum is damaged, not "in use by another process", and is not waited on', () => {
    const file = copy('flipped.duckdb');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([0x63]), 0, 1, 12);
    closeSync(fd);
    const started = Date.now();
    const result = gumshoe(['stats', '--db', file]);
    assertUserError(result, /the lake is damaged \(IO Error: Corrupt database file/);
    assert.doesNotMatch(result.stderr, /in use/);
    assert.ok(Date.now() - started < 8_000, 'no 10-second wait for a lock nobody holds');
  });

  test('a file that is not DuckDB at all is named as such', () => {
    const file = path.join(scratch.dir, 'notes.duckdb');
    writeFileSync(file, 'these are my notes\n'.repeat(1000));
    assertUserError(gumshoe(['stats', '--db', file]), /notes\.duckdb is not a DuckDB database, so not a Gumshoe lake/);
  });

  test('a DuckDB database that is not a lake is refused by every reading command', async () => {
    const file = path.join(scratch.dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE t (x INTEGER)');
    connection.closeSync();
    instance.closeSync();
    for (const command of [['stats'], ['findings', 'list'], ['filters', 'list']]) {
      assertUserError(gumshoe([...command, '--db', file]), /other\.duckdb is a DuckDB database but not a Gumshoe lake/);
    }
  });

  test('a lake made by a newer Gumshoe is refused, read or written', async () => {
    const file = copy('newer.duckdb');
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    await connection.run(`UPDATE lake_meta SET value = '99' WHERE key = 'schema_version'`);
    connection.closeSync();
    instance.closeSync();
    for (const command of [['stats'], ['ingest', SAMPLES]]) {
      assertUserError(gumshoe([...command, '--db', file]), /made by a newer Gumshoe \(lake schema 99; this one knows up to 1\); upgrade Gumshoe/);
    }
  });

  test('a lake made before the findings table existed is named as such for reading commands; detect brings it up to date', async () => {
    const file = copy('older.duckdb');
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    await connection.run('DROP TABLE finding_evidence');
    await connection.run('DROP TABLE findings');
    connection.closeSync();
    instance.closeSync();
    assertUserError(gumshoe(['findings', 'list', '--db', file]), /the lake has no findings table: an earlier Gumshoe made it\. Run 'gumshoe detect' on it/);
    assert.equal(gumshoe(['detect', '--db', file, '--output', path.join(scratch.dir, 'older.jsonl')]).status, 0);
    assert.equal(gumshoe(['findings', 'list', '--db', file]).status, 0);
  });
});

test('simulate, demo and coverage name an output folder they cannot write (exit 2), not a bug', () => {
  const file = path.join(scratch.dir, 'a-file');
  writeFileSync(file, '');
  for (const command of [['simulate', '--out'], ['demo', '--no-serve', '--db', path.join(scratch.dir, 'demo.duckdb'), '--out'], ['coverage', '--keep']]) {
    assertUserError(gumshoe([...command, path.join(file, 'logs'), '--events', '10']), /cannot write to .*a-file\/logs \(ENOTDIR\); pass a folder you can write/);
  }
});

/** Flow logs in AWS's key layout: enough records that an ingest takes a few seconds. */
function writeFlowLogs(dir: string, files: number, linesPerFile: number): number {
  const folder = path.join(dir, 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/06');
  mkdirSync(folder, { recursive: true });
  for (let f = 0; f < files; f++) {
    const lines = ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'];
    for (let i = 0; i < linesPerFile; i++) {
      const start = 1714953600 + f * 60 + (i % 60);
      lines.push(`2 123456789012 eni-0a1b2c3d4e5f60718 10.0.${f}.${i % 250} 198.51.100.${i % 200} ${1024 + i} 443 6 10 840 ${start} ${start + 60} ACCEPT OK`);
    }
    writeFileSync(path.join(folder, `123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20240506T${String(f).padStart(4, '0')}Z_${f}.log`), `${lines.join('\n')}\n`);
  }
  return files * linesPerFile;
}

/** Runs the CLI and sends it Ctrl-C once its ingest has started (its stage folder appears); how it ended. */
async function interruptIngest(args: string[], lakeDir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [...ARGS, ...args], { env: ENV });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const stage = path.join(lakeDir, `.gumshoe-stage-${child.pid}`);
  while (!existsSync(stage) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill('SIGINT');
  return { ...(await exited), stderr };
}

describe('Ctrl-C during ingest', () => {
  const logs = path.join(scratch.dir, 'logs');
  let records = 0;
  before(() => (records = writeFlowLogs(logs, 40, 15_000)));

  for (const command of ['ingest', 'detect']) {
    test(`${command}: exits 130 with a word on what was kept; running the same command again completes the lake`, async () => {
      const file = path.join(scratch.dir, `interrupted-${command}.duckdb`);
      const { code, signal, stderr } = await interruptIngest([command, logs, '--db', file], scratch.dir);
      assert.equal(signal, null, 'the CLI ends itself, it is not killed by the signal');
      assert.equal(code, 130, stderr);
      assert.match(stderr, /gumshoe: interrupted; the files committed so far stay in the lake; run the same command again to read the rest/);

      const again = gumshoe(['ingest', logs, '--db', file, '--json']);
      assert.equal(again.status, 0, again.stderr);
      const counted = gumshoe(['query', 'SELECT count(*) AS n FROM network_activity', '--db', file, '--format', 'json']);
      assert.equal(JSON.parse(counted.stdout).n, records);
    });
  }
});

describe('Ctrl-C during detection', () => {
  test('exits 130 saying the run stored nothing; the next detect does the whole work', async () => {
    const logs = path.join(scratch.dir, 'logs-detect');
    writeFlowLogs(logs, 80, 15_000);
    const file = path.join(scratch.dir, 'interrupted-detection.duckdb');
    assert.equal(gumshoe(['ingest', logs, '--db', file, '--json']).status, 0);
    const child = spawn(process.execPath, [...ARGS, 'detect', '--db', file, '--output', '-'], { env: ENV });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Past start-up (under a second), well inside the detection of 1,200,000 records (about 5 s here).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /gumshoe: interrupted; this run stored nothing; the next detect does its work again/);
    const runs = gumshoe(['query', 'SELECT count(*) AS n FROM detection_runs', '--db', file, '--format', 'json']);
    assert.equal(JSON.parse(runs.stdout).n, 0);
  });
});

/** The commands a help text lists under "Commands:", without commander's own `help`. */
function subcommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1]?.split(/\n\n/)[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
}

describe('--help', () => {
  test('every command and subcommand answers --help with a description, exit 0', () => {
    const pending = [[] as string[]];
    let seen = 0;
    while (pending.length) {
      const command = pending.pop()!;
      const result = gumshoe([...command, '--help']);
      assert.equal(result.status, 0, `${command.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /^Usage: gumshoe/, command.join(' '));
      for (const name of subcommands(result.stdout)) pending.push([...command, name]);
      seen++;
    }
    assert.ok(seen >= 30, `only ${seen} commands found`);
  });

  test('the main commands show examples, and the top level names the exit codes', () => {
    for (const command of [[], ['ingest'], ['query'], ['stats']]) {
      assert.match(gumshoe([...command, '--help']).stdout, /^Examples:\n {2}gumshoe /m, command.join(' ') || 'gumshoe');
    }
    assert.match(gumshoe(['--help']).stdout, /130 interrupted \(Ctrl-C\)/);
    assert.match(gumshoe(['query', '--help']).stdout, /findings \(Gumshoe's\)/);
  });
});

describe('output into a pipe', () => {
  test('no colour escapes when piped, even where picocolors would colour (CI set, NO_COLOR not)', () => {
    const { NO_COLOR: _unset, ...env } = process.env;
    const result = spawnSync(process.execPath, [...ARGS, 'stats', '--db', lakeFile], { encoding: 'utf8', env: { ...env, CI: '1', TERM: 'xterm-256color' } });
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /\u001b\[/);
  });

  test('a reader that closes the pipe early (| head -1) gets no error message', async () => {
    const child = spawn(process.execPath, [...ARGS, 'query', 'SELECT * FROM range(200000)', '--db', lakeFile, '--format', 'json'], { env: ENV });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
    assert.equal(code, 0);
    assert.equal(stderr, '');
  });
});
