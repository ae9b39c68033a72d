/**
 * The API benchmark's lake: simulated organisation (background + the hand-written incidents), ingested,
 * simulated intel loaded, detections run. Built once per size under .bench/api-<events>/ and reused.
 * Runnable on its own (`node --import tsx bench/api-lake.ts`) to build it ahead of the benchmark.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDetections } from '../src/detect/engine.js';
import { Lake } from '../src/lake/db.js';
import { ingest } from '../src/lake/ingest.js';
import type { StaticIntelSpec } from '../src/intel/static.js';
import { loadSimulatedIntel } from '../src/simulate/intel.js';
import { simulate } from '../src/simulate/simulate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** 10M events by default (issue 6); GUMSHOE_BENCH_SCALE=0.1 builds 1M. */
export function benchEvents(): number {
  const scale = Number(process.env.GUMSHOE_BENCH_SCALE ?? 1);
  if (!(scale > 0)) throw new Error('GUMSHOE_BENCH_SCALE must be a positive number');
  return Math.round(10_000_000 * scale);
}

export interface BenchLake {
  file: string;
  events: number;
  build: { simulateSeconds: number; ingestSeconds: number; detectSeconds: number; stored: number; findings: number } | null;
}

export async function benchLake(events: number, log: (line: string) => void = console.log): Promise<BenchLake> {
  const dir = path.join(ROOT, '.bench', `api-${events}`);
  const file = path.join(dir, 'lake.duckdb');
  const marker = path.join(dir, 'built.json');
  if (existsSync(marker) && existsSync(file)) {
    log(`reusing ${path.relative(ROOT, file)} (delete ${path.relative(ROOT, dir)} to rebuild)`);
    return { file, events, build: JSON.parse(readFileSync(marker, 'utf8')) };
  }
  rmSync(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const logs = path.join(dir, 'logs');

  log(`simulating ${events.toLocaleString('en')} background events …`);
  let started = Date.now();
  await simulate({ outDir: logs, seed: 6, days: 8, accounts: 3, events, scenarios: ['incident/'], all: false });
  const simulateSeconds = (Date.now() - started) / 1000;

  const lake = await Lake.open(file);
  try {
    log('ingesting …');
    started = Date.now();
    const summary = await ingest(lake, [path.join(logs, 'AWSLogs')]);
    const ingestSeconds = (Date.now() - started) / 1000;
    await loadSimulatedIntel(lake.connection, JSON.parse(readFileSync(path.join(logs, 'intel', 'intel.json'), 'utf8')) as StaticIntelSpec);
    log(`detecting over ${summary.stored.toLocaleString('en')} stored events …`);
    started = Date.now();
    await runDetections(lake);
    const detectSeconds = (Date.now() - started) / 1000;
    const findings = Number((await lake.connection.runAndReadAll('SELECT count(*) FROM findings')).getRowsJS()[0]![0]);
    const build = { simulateSeconds, ingestSeconds, detectSeconds, stored: summary.stored, findings };
    writeFileSync(marker, `${JSON.stringify(build, null, 2)}\n`);
    // The raw logs are only needed to build the lake.
    rmSync(logs, { recursive: true, force: true });
    return { file, events, build };
  } finally {
    lake.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await benchLake(benchEvents());
  console.log(JSON.stringify(built, null, 2));
}
