#!/usr/bin/env node
// Runs every test file with node's test runner (Node 20 does not expand globs, so the files are listed here).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);

function testFiles(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'helpers' ? [] : testFiles(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = testFiles(path.join(root, 'test')).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Human-readable progress on stdout; TAP to a file, from which the closing count line is taken.
const scratch = mkdtempSync(path.join(tmpdir(), 'gumshoe-tap-'));
const tap = path.join(scratch, 'results.tap');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  // The ASN indexes (src/intel/asn-cache.ts) go to the run's own folder, not the user's cache.
  { cwd: root, stdio: 'inherit', env: { ...process.env, NO_COLOR: '1', GUMSHOE_CACHE_DIR: path.join(scratch, 'cache') } },
);
const summary = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
const count = (name) => Number(summary.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
console.log(`${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
process.exit(result.status ?? 1);
