/**
 * Ingest and detection benchmark: `npm run bench`.
 *
 * For each source (CloudTrail, VPC Flow Logs, Route 53 Resolver query logs) it measures, on the
 * same generated files:
 *   1. a floor-level baseline on the main thread (gunzip + parse, nothing else),
 *   2. `gumshoe ingest` into a fresh DuckDB file, as a child process: wall time and peak RSS,
 *      then `gumshoe detect` over what was ingested (every detection), and ingest + detect end to end,
 *   3. re-ingest into the same DB: once as is (unchanged files may be passed over by fingerprint),
 *      once after touching every file, so all records are re-read and every one is a duplicate,
 *   4. the storage floor (bench/storage-floor.ts): up to 500,000 of the ingested rows inserted, already
 *      typed, into a fresh lake, so the ingest ratio can be judged against what the storage itself allows.
 *
 * Environment:
 *   GUMSHOE_BENCH_SCALE    multiplies the default sizes (1e6 CloudTrail, 5e6 flow, 1e6 DNS), e.g. 0.05
 *   GUMSHOE_BENCH_SEED     generator seed (default 20240506)
 *   GUMSHOE_BENCH_SOURCES  comma-separated subset of cloudtrail,vpcflow,route53
 *   GUMSHOE_BENCH_SKIP_INGEST=1  only generate data and measure the baselines
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  generateCloudTrail,
  generateDnsLogs,
  generateFlowLogs,
  GENERATOR_VERSION,
  type GenerateOptions,
  type GenerateResult,
} from '../src/simulate/background.js';
import type { EventTable } from '../src/lake/schema.js';
import { FLOOR_EXPLANATION, measureStorageFloor, removeLake, type StorageFloor } from './storage-floor.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = path.join(ROOT, '.bench');
const DATA_DIR = path.join(BENCH_DIR, 'data');
const MANIFEST_FILE = path.join(DATA_DIR, 'manifest.json');
const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const TIME_BINARY = '/usr/bin/time';

type SourceName = 'cloudtrail' | 'vpcflow' | 'route53';

interface Target {
  minRatio: number;
  maxRssMb: number;
}

interface SourcePlan {
  name: SourceName;
  /** The lake table its records go to. */
  table: EventTable;
  records: number;
  generate: (options: GenerateOptions) => Promise<GenerateResult>;
  /** Parses one file's bytes the cheapest sensible way; returns its record count. */
  parse: (gz: Buffer) => number;
  target: Target;
}

const DEFAULT_TARGET: Target = { minRatio: 0.7, maxRssMb: 500 };
/** Issues 3 and 4: ingest plus every detection, end to end, against the same raw-parse baseline. */
const DETECT_MIN_RATIO = 0.5;

// ───────────────────────────── baselines: gunzip + parse, nothing else ─────────────────────────────

/** Sink for touched values, so the engine cannot skip the work. */
let touched = 0;

function parseCloudTrail(gz: Buffer): number {
  const document = JSON.parse(gunzipSync(gz).toString('utf8')) as { Records: { eventID: string }[] };
  for (const record of document.Records) touched += record.eventID.length;
  return document.Records.length;
}

function parseDnsLines(gz: Buffer): number {
  let records = 0;
  for (const line of gunzipSync(gz).toString('utf8').split('\n')) {
    if (line.length === 0) continue;
    touched += (JSON.parse(line) as { query_name: string }).query_name.length;
    records++;
  }
  return records;
}

function parseFlowLines(gz: Buffer): number {
  const lines = gunzipSync(gz).toString('utf8').split('\n');
  let records = 0;
  // Line 0 is the header.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.length === 0) continue;
    touched += line.split(' ').length;
    records++;
  }
  return records;
}

interface Measurement {
  seconds: number;
  recordsPerSecond: number;
}

function runBaseline(plan: SourcePlan, files: string[]): Measurement & { records: number } {
  const started = performance.now();
  let records = 0;
  for (const file of files) records += plan.parse(readFileSync(file));
  const seconds = (performance.now() - started) / 1000;
  return { records, seconds, recordsPerSecond: records / seconds };
}

// ───────────────────────────── data generation with a manifest ─────────────────────────────

interface ManifestEntry {
  generatorVersion: number;
  seed: number;
  records: number;
  /** Paths relative to the source directory, with sizes, to notice missing or changed files. */
  files: { path: string; size: number }[];
  bytes: number;
  uncompressedBytes: number;
  generationSeconds: number;
}

type Manifest = Partial<Record<SourceName, ManifestEntry>>;

async function readManifest(): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(MANIFEST_FILE, 'utf8')) as Manifest;
  } catch {
    return {};
  }
}

function sourceDir(name: SourceName): string {
  return path.join(DATA_DIR, name);
}

/** True when the cached files were made by this generator, seed and size and are all still there. */
function isCurrent(entry: ManifestEntry | undefined, plan: SourcePlan, seed: number): entry is ManifestEntry {
  if (!entry || entry.generatorVersion !== GENERATOR_VERSION || entry.seed !== seed || entry.records !== plan.records) return false;
  return entry.files.every((file) => {
    const full = path.join(sourceDir(plan.name), file.path);
    return existsSync(full) && statSync(full).size === file.size;
  });
}

async function generateSource(plan: SourcePlan, seed: number): Promise<ManifestEntry> {
  const dir = sourceDir(plan.name);
  await rm(dir, { recursive: true, force: true });
  const started = performance.now();
  const result = await plan.generate({ outDir: dir, records: plan.records, seed });
  const generationSeconds = (performance.now() - started) / 1000;
  const files = await Promise.all(
    result.files.map(async (file) => ({ path: path.relative(dir, file), size: (await stat(file)).size })),
  );
  log(`  generated ${plan.name}: ${fmtInt(result.records)} records, ${files.length} files, ` +
    `${fmtMb(result.bytes)} MB gz (${fmtMb(result.uncompressedBytes)} MB raw) in ${generationSeconds.toFixed(1)} s`);
  return {
    generatorVersion: GENERATOR_VERSION, seed, records: result.records, files,
    bytes: result.bytes, uncompressedBytes: result.uncompressedBytes, generationSeconds,
  };
}

/** Regenerates only the sources whose cached data is missing or stale; in parallel (gzip runs off-thread). */
async function ensureData(plans: SourcePlan[], seed: number): Promise<Manifest> {
  const manifest = await readManifest();
  const stale = plans.filter((plan) => !isCurrent(manifest[plan.name], plan, seed));
  for (const plan of plans) {
    if (!stale.includes(plan)) log(`  ${plan.name}: reusing ${fmtInt(plan.records)} records from ${path.relative(ROOT, sourceDir(plan.name))}`);
  }
  if (stale.length > 0) {
    log(`Generating ${stale.map((plan) => plan.name).join(', ')} …`);
    const entries = await Promise.all(stale.map((plan) => generateSource(plan, seed)));
    stale.forEach((plan, i) => (manifest[plan.name] = entries[i]));
    await mkdir(DATA_DIR, { recursive: true });
    await writeFile(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return manifest;
}

// ───────────────────────────── running gumshoe ─────────────────────────────

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when the CLI is missing or older than src/; false when there is still no CLI. */
async function ensureCli(): Promise<boolean> {
  const srcDir = path.join(ROOT, 'src');
  const stale = !existsSync(CLI) || (existsSync(srcDir) && (await newestMtime(srcDir)) > statSync(CLI).mtimeMs);
  if (stale) {
    log('Building the CLI (tsc -p tsconfig.json) …');
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) {
      log(`  tsc exited with ${build.status}:\n${tail(`${build.stdout}${build.stderr}`, 2000)}`);
    }
  }
  if (!existsSync(CLI)) {
    log(`  ${path.relative(ROOT, CLI)} does not exist: skipping the ingest measurements.`);
    return false;
  }
  return true;
}

interface RecordCounts {
  read: number;
  stored: number;
  duplicates: number;
  quarantined: number;
}

interface ChildRun extends Measurement {
  exitCode: number | null;
  peakRssMb: number | null;
  /**
   * User + system CPU seconds of the run (time(1) only). Steadier than wall time on a machine whose speed
   * swings: it counts the work done, on both cores, not how long others held them.
   */
  cpuSeconds: number | null;
  /** From the CLI summary line "read N = stored N + duplicates N + quarantined N", when present. */
  counts: RecordCounts | null;
  outputTail: string;
}

function parseCounts(output: string): RecordCounts | null {
  const match = /read ([\d,]+) = stored ([\d,]+) \+ duplicates ([\d,]+) \+ quarantined ([\d,]+)/.exec(output);
  if (!match) return null;
  const [read, stored, duplicates, quarantined] = match.slice(1).map((n) => Number(n.replaceAll(',', '')));
  return { read: read as number, stored: stored as number, duplicates: duplicates as number, quarantined: quarantined as number };
}

/** Keeps the end of a stream's output: the summary, without holding a progress log in memory. */
function tail(text: string, max: number): string {
  return text.length > max ? text.slice(-max) : text;
}

/** Peak RSS of a process we cannot wrap with time(1): sample /proc every 50 ms. */
function pollPeakRss(pid: number): { stop: () => number | null } {
  let peakKb = 0;
  const sample = (): void => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // The process has exited between samples.
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peakKb > 0 ? peakKb / 1024 : null;
    },
  };
}

/** Runs `node dist/cli/main.js ingest <dir> --db <file>`, timing it and tracking its peak RSS. */
function runIngest(dir: string, db: string, records: number): Promise<ChildRun> {
  return runGumshoe(['ingest', dir, '--db', db], records);
}

/** Runs `node dist/cli/main.js <args>`, timing it and tracking its peak RSS. */
function runGumshoe(gumshoeArgs: string[], records: number): Promise<ChildRun> {
  const cliArgs = [CLI, ...gumshoeArgs];
  const useTime = existsSync(TIME_BINARY);
  const [command, args] = useTime ? [TIME_BINARY, ['-v', process.execPath, ...cliArgs]] : [process.execPath, cliArgs];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const poller = useTime || child.pid === undefined ? undefined : pollPeakRss(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = tail(stdout + chunk.toString(), 16_384)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = tail(stderr + chunk.toString(), 16_384)));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const seconds = (performance.now() - started) / 1000;
      let peakRssMb = poller?.stop() ?? null;
      let cpuSeconds: number | null = null;
      let childStderr = stderr;
      if (useTime) {
        // time(1) appends its report to the child's stderr.
        const reportStart = stderr.lastIndexOf('\tCommand being timed:');
        const report = reportStart >= 0 ? stderr.slice(reportStart) : '';
        childStderr = reportStart >= 0 ? stderr.slice(0, reportStart) : stderr;
        const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
        peakRssMb = rss ? Number(rss[1]) / 1024 : null;
        const user = /User time \(seconds\): ([\d.]+)/.exec(report);
        const system = /System time \(seconds\): ([\d.]+)/.exec(report);
        cpuSeconds = user && system ? Number(user[1]) + Number(system[1]) : null;
        childStderr = childStderr.replace(/Command exited with non-zero status \d+\n?$/, '');
      }
      resolve({
        exitCode, seconds, recordsPerSecond: records / seconds, peakRssMb, cpuSeconds,
        counts: parseCounts(stdout + childStderr),
        outputTail: tail(`${stdout}${childStderr}`.trim(), 1500),
      });
    });
  });
}

/** Bumps every file's mtime, so its fingerprint changes and ingest must read it again. */
async function touchFiles(dir: string, entry: ManifestEntry): Promise<void> {
  const now = new Date();
  await Promise.all(entry.files.map((file) => utimes(path.join(dir, file.path), now, now)));
}

// ───────────────────────────── reporting ─────────────────────────────

interface SourceResult {
  source: SourceName;
  records: number;
  files: number;
  compressedMb: number;
  uncompressedMb: number;
  generationSeconds: number;
  baseline: Measurement;
  ingest?: ChildRun & { ratio: number };
  /** Same directory again, files unchanged (an ingest may pass them over by fingerprint). */
  reingestUnchanged?: ChildRun;
  /** Same again after touching the files, so they are re-read and every record is a duplicate. */
  reingestAllDuplicates?: ChildRun;
  /** `gumshoe detect` over the freshly ingested lake (every detection), and ingest + detect end to end. */
  detect?: ChildRun & { endToEndRecordsPerSecond: number; endToEndRatio: number };
  /** Inserting already typed rows into a fresh lake: the fastest ingest the storage allows. */
  storageFloor?: StorageFloor & { ratio: number };
  target: Target;
  status: 'ok' | 'MISS' | 'not run';
  misses: string[];
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMb = (bytes: number): string => (bytes / 1_048_576).toFixed(1);

function targetMisses(result: SourceResult): string[] {
  const misses: string[] = [];
  const { ingest, target } = result;
  if (!ingest) return [];
  if (ingest.exitCode !== 0) return [`ingest exited with ${ingest.exitCode}`];
  if (ingest.counts && ingest.counts.read !== result.records) misses.push(`ingest read ${ingest.counts.read} of ${result.records} records`);
  if (ingest.counts && ingest.counts.quarantined > 0) misses.push(`${ingest.counts.quarantined} records quarantined`);
  if (ingest.ratio < target.minRatio) misses.push(`ratio ${ingest.ratio.toFixed(2)}x < ${target.minRatio.toFixed(2)}x`);
  if (ingest.peakRssMb === null || ingest.peakRssMb >= target.maxRssMb) {
    misses.push(`peak RSS ${ingest.peakRssMb === null ? 'unknown' : ingest.peakRssMb.toFixed(0)} MB ≥ ${target.maxRssMb} MB`);
  }
  const { detect } = result;
  if (detect && detect.exitCode !== 0) misses.push(`detect exited with ${detect.exitCode}`);
  else if (detect && detect.endToEndRatio < DETECT_MIN_RATIO) misses.push(`ingest + detect ratio ${detect.endToEndRatio.toFixed(2)}x < ${DETECT_MIN_RATIO.toFixed(2)}x`);
  return misses;
}

function table(results: SourceResult[]): string {
  const header = ['source', 'records', 'baseline rec/s', 'ingest rec/s', 'ratio', 'peak RSS MB', 'target', ''];
  const rows: string[][] = [];
  type Row = Pick<ChildRun, 'exitCode' | 'recordsPerSecond' | 'peakRssMb'>;
  const run = (label: string, records: number, baseline: Measurement, child: Row | undefined, target: string, status: string): string[] => [
    label,
    fmtInt(records),
    fmtInt(baseline.recordsPerSecond),
    child ? (child.exitCode === 0 ? fmtInt(child.recordsPerSecond) : `exit ${child.exitCode}`) : 'n/a',
    child && child.exitCode === 0 ? `${(child.recordsPerSecond / baseline.recordsPerSecond).toFixed(2)}x` : '-',
    child?.peakRssMb != null ? child.peakRssMb.toFixed(0) : '-',
    target,
    status,
  ];
  for (const result of results) {
    const target = `≥${result.target.minRatio.toFixed(2)}x, RSS<${result.target.maxRssMb}MB`;
    rows.push(run(result.source, result.records, result.baseline, result.ingest, target, result.status));
    const floor = result.storageFloor;
    if (floor) rows.push(run('  storage floor', floor.rows, result.baseline, { exitCode: 0, recordsPerSecond: floor.recordsPerSecond, peakRssMb: null }, '', ''));
    if (result.reingestUnchanged) rows.push(run('  re-ingest (files unchanged)', result.records, result.baseline, result.reingestUnchanged, '', ''));
    if (result.reingestAllDuplicates) rows.push(run('  re-ingest (all duplicates)', result.records, result.baseline, result.reingestAllDuplicates, '', ''));
    if (result.detect) {
      rows.push(run('  detect alone', result.records, result.baseline, result.detect, '', ''));
      rows.push(run('  ingest + detect', result.records, result.baseline, { ...result.detect, recordsPerSecond: result.detect.endToEndRecordsPerSecond, peakRssMb: null }, `≥${DETECT_MIN_RATIO.toFixed(2)}x`, ''));
    }
  }
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  // Text columns left-aligned, numbers right-aligned.
  const leftAligned = new Set([0, 6, 7]);
  const format = (row: string[]): string =>
    row.map((cell, i) => (leftAligned.has(i) ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('   ').trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

// ───────────────────────────── main ─────────────────────────────

function readScale(): number {
  const raw = process.env.GUMSHOE_BENCH_SCALE ?? '1';
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`GUMSHOE_BENCH_SCALE must be a positive number, got "${raw}"`);
  return scale;
}

function plansFor(scale: number): SourcePlan[] {
  const size = (base: number): number => Math.max(1, Math.round(base * scale));
  const plans: SourcePlan[] = [
    { name: 'cloudtrail', table: 'api_activity', records: size(1_000_000), generate: generateCloudTrail, parse: parseCloudTrail, target: DEFAULT_TARGET },
    { name: 'vpcflow', table: 'network_activity', records: size(5_000_000), generate: generateFlowLogs, parse: parseFlowLines, target: DEFAULT_TARGET },
    { name: 'route53', table: 'dns_activity', records: size(1_000_000), generate: generateDnsLogs, parse: parseDnsLines, target: DEFAULT_TARGET },
  ];
  const only = process.env.GUMSHOE_BENCH_SOURCES?.split(',').map((name) => name.trim()).filter(Boolean);
  return only?.length ? plans.filter((plan) => only.includes(plan.name)) : plans;
}

async function benchSource(plan: SourcePlan, entry: ManifestEntry, cliReady: boolean): Promise<SourceResult> {
  const dir = sourceDir(plan.name);
  const files = entry.files.map((file) => path.join(dir, file.path));
  // Warm the page cache so the baseline and ingest both read from memory.
  for (const file of files) readFileSync(file);

  log(`\n[${plan.name}] baseline: gunzip + parse on the main thread …`);
  const baseline = runBaseline(plan, files);
  if (baseline.records !== entry.records) throw new Error(`${plan.name}: baseline read ${baseline.records} records, expected ${entry.records}`);
  log(`  ${fmtInt(baseline.recordsPerSecond)} records/s (${baseline.seconds.toFixed(2)} s)`);

  const result: SourceResult = {
    source: plan.name, records: entry.records, files: files.length,
    compressedMb: entry.bytes / 1_048_576, uncompressedMb: entry.uncompressedBytes / 1_048_576,
    generationSeconds: entry.generationSeconds,
    baseline: { seconds: baseline.seconds, recordsPerSecond: baseline.recordsPerSecond },
    target: plan.target, status: 'not run', misses: [],
  };
  if (cliReady) {
    const db = path.join(BENCH_DIR, `${plan.name}.duckdb`);
    await removeLake(db);
    const describe = (label: string, run: ChildRun): void => {
      // A failure's cause is at the start of the output; a success's summary at the end.
      const lines = run.outputTail.split('\n');
      const shown = run.exitCode === 0 ? lines.slice(-6) : lines.slice(0, 3);
      log(`  ${label}: ${run.exitCode === 0 ? `${fmtInt(run.recordsPerSecond)} records/s` : `FAILED (exit ${run.exitCode})`}` +
        ` in ${run.seconds.toFixed(2)} s${run.cpuSeconds === null ? '' : ` (${run.cpuSeconds.toFixed(1)} CPU-s)`}, peak RSS ${run.peakRssMb?.toFixed(0) ?? '?'} MB` +
        (run.outputTail ? `\n    ${shown.join('\n    ')}` : ''));
    };

    log(`[${plan.name}] gumshoe ingest → ${path.relative(ROOT, db)} …`);
    const ingest = await runIngest(dir, db, entry.records);
    result.ingest = { ...ingest, ratio: ingest.recordsPerSecond / baseline.recordsPerSecond };
    describe('ingest', ingest);
    if (ingest.exitCode === 0) {
      log(`[${plan.name}] gumshoe detect (every detection) …`);
      const detect = await runGumshoe(['detect', '--db', db, '--output', os.devNull], entry.records);
      const endToEnd = entry.records / (ingest.seconds + detect.seconds);
      result.detect = { ...detect, endToEndRecordsPerSecond: endToEnd, endToEndRatio: endToEnd / baseline.recordsPerSecond };
      describe('detect', detect);
    }
    if (ingest.exitCode === 0) {
      result.reingestUnchanged = await runIngest(dir, db, entry.records);
      describe('re-ingest (files unchanged)', result.reingestUnchanged);
      await touchFiles(dir, entry);
      result.reingestAllDuplicates = await runIngest(dir, db, entry.records);
      describe('re-ingest (touched files: all re-read, all duplicates)', result.reingestAllDuplicates);

      log(`[${plan.name}] storage floor: ${plan.table} rows, already typed, inserted into a fresh lake …`);
      const floor = await measureStorageFloor(db, plan.table, path.join(BENCH_DIR, `${plan.name}-floor.duckdb`));
      if (floor) {
        result.storageFloor = { ...floor, ratio: floor.recordsPerSecond / baseline.recordsPerSecond };
        log(`  ${fmtInt(floor.recordsPerSecond)} records/s (${fmtInt(floor.rows)} rows in ${floor.seconds.toFixed(2)} s)`);
      }
    }
  }
  result.misses = targetMisses(result);
  if (result.ingest) result.status = result.misses.length ? 'MISS' : 'ok';
  return result;
}

async function main(): Promise<void> {
  const scale = readScale();
  const seed = Number(process.env.GUMSHOE_BENCH_SEED ?? 20240506);
  const plans = plansFor(scale);
  log(`Gumshoe ingest and detection benchmark — scale ${scale}, seed ${seed}, ${os.cpus().length} CPUs, node ${process.version}`);
  const loadAtStart = os.loadavg()[0] as number;
  // Other processes competing for the CPUs skew every number below.
  if (loadAtStart > 0.5) log(`  note: 1-minute load average is ${loadAtStart.toFixed(2)} before starting; results may be noisy`);
  await mkdir(BENCH_DIR, { recursive: true });
  const manifest = await ensureData(plans, seed);
  const cliReady = process.env.GUMSHOE_BENCH_SKIP_INGEST === '1' ? false : await ensureCli();

  const results: SourceResult[] = [];
  for (const plan of plans) results.push(await benchSource(plan, manifest[plan.name] as ManifestEntry, cliReady));

  log(`\n${table(results)}`);
  if (results.some((result) => result.storageFloor)) log(FLOOR_EXPLANATION);
  for (const result of results) {
    if (result.misses.length) log(`MISS ${result.source}: ${result.misses.join('; ')}`);
  }
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify({
      date: new Date().toISOString(), scale, seed, generatorVersion: GENERATOR_VERSION,
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemMb: Math.round(os.totalmem() / 1_048_576), node: process.version, platform: `${os.platform()} ${os.release()}` },
      loadAverage: { atStart: loadAtStart, atEnd: os.loadavg()[0] },
      peakRssMethod: existsSync(TIME_BINARY) ? '/usr/bin/time -v (ru_maxrss)' : '/proc/<pid>/status VmRSS sampled every 50 ms',
      results,
    }, null, 2)}\n`,
  );
  log(`\nResults written to ${path.relative(ROOT, RESULTS_FILE)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
