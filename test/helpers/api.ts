// Helpers for the investigation API tests: a lake built like `gumshoe demo`, a server on 127.0.0.1, SQL beside it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runDetections } from '../../src/detect/engine.js';
import type { StaticIntelSpec } from '../../src/intel/static.js';
import { Lake } from '../../src/lake/db.js';
import { ingest } from '../../src/lake/ingest.js';
import { type RunningServer, startServer } from '../../src/server/app.js';
import { loadSimulatedIntel } from '../../src/simulate/intel.js';
import { simulate, type SimulateResult } from '../../src/simulate/simulate.js';
import { scratchDir } from './lake.js';

export interface BuiltLake {
  dir: string;
  file: string;
  simulation?: SimulateResult;
  cleanup(): void;
}

/**
 * A lake of simulated background activity with the hand-written incidents on its last day, the simulated
 * intel loaded and detections run (src/simulate/demo.ts's sequence). `extraInputs(dir)` may write more files
 * to ingest alongside.
 */
export async function simulatedLake(options: { events: number; end: Date; extraInputs?: (dir: string) => string[] }): Promise<BuiltLake> {
  const scratch = scratchDir('gumshoe-api-');
  const logs = path.join(scratch.dir, 'logs');
  const simulation = await simulate({ outDir: logs, seed: 7, days: 8, accounts: 2, events: options.events, scenarios: ['incident/'], all: false, end: options.end });
  const file = path.join(scratch.dir, 'lake.duckdb');
  const lake = await Lake.open(file);
  try {
    await ingest(lake, [path.join(logs, 'AWSLogs'), ...(options.extraInputs?.(scratch.dir) ?? [])]);
    await loadSimulatedIntel(lake.connection, JSON.parse(readFileSync(path.join(logs, 'intel', 'intel.json'), 'utf8')) as StaticIntelSpec);
    await runDetections(lake);
  } finally {
    lake.close();
  }
  return { dir: scratch.dir, file, simulation, cleanup: scratch.cleanup };
}

/** A lake of the given inputs, ingested and detected (real datasets). */
export async function datasetLake(inputs: string[]): Promise<BuiltLake> {
  const scratch = scratchDir('gumshoe-api-');
  const file = path.join(scratch.dir, 'lake.duckdb');
  const lake = await Lake.open(file);
  try {
    await ingest(lake, inputs);
    await runDetections(lake);
  } finally {
    lake.close();
  }
  return { dir: scratch.dir, file, cleanup: scratch.cleanup };
}

/** One CloudTrail document with the given records, written where ingest will read it. */
export function writeCloudTrail(dir: string, name: string, records: object[]): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ Records: records }));
  return file;
}

export const serveLake = (file: string, options: Partial<Parameters<typeof startServer>[0]> = {}): Promise<RunningServer> =>
  startServer({ file, host: '127.0.0.1', port: 0, idleMs: 100, ...options });

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** A real HTTP request to the server; the body parsed as JSON. */
export async function call<T = any>(server: RunningServer, pathAndQuery: string, init: RequestInit = {}): Promise<Reply<T>> {
  const response = await fetch(`http://127.0.0.1:${server.port}${pathAndQuery}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers, text };
}

export const post = (server: RunningServer, pathAndQuery: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  call(server, pathAndQuery, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

export const enc = encodeURIComponent;

/** SQL straight against the lake (read-only, alongside the server's own read-only opens). */
export async function sql(file: string, query: string, params: Record<string, string | number | boolean> = {}): Promise<Record<string, any>[]> {
  const lake = await Lake.open(file, { readOnly: true });
  try {
    // Shared parameter sets carry values a query may not use; DuckDB refuses those.
    const used = Object.fromEntries(Object.entries(params).filter(([name]) => new RegExp(`\\$${name}\\b`).test(query)));
    const rows = (await lake.connection.runAndReadAll(query, used)).getRowObjectsJS();
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    lake.close();
  }
}
