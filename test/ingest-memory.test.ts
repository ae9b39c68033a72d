// DuckDB's memory limit while ingesting, batch by batch: narrow records (flow, DNS) run lower than wide ones
// (CloudTrail), and a batch that runs out of memory steps the limit up for the rest of the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { IngestMemory } from '../src/lake/ingest-memory.js';

async function connection() {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  /** The limit in bytes, as DuckDB reports it (rounded to its display). */
  const limitMb = async () => Math.round(Number((await c.runAndReadAll(`SELECT current_setting('memory_limit')`)).getRows()[0]![0]!.toString().replace(/ MiB$/, '')) * 1.048576);
  return { c, limitMb };
}

const FLOW = { records: 524_288, bytes: 524_288 * 142 };
const CLOUDTRAIL = { records: 300_000, bytes: 300_000 * 1_423 };

test('narrow batches are committed at 96MB, wide ones at the run limit', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.start();
  assert.equal(await limitMb(), 160);
  await memory.forBatch(FLOW.records, FLOW.bytes);
  assert.equal(await limitMb(), 96);
  await memory.forBatch(CLOUDTRAIL.records, CLOUDTRAIL.bytes);
  assert.equal(await limitMb(), 160);
  // A batch of records that all went to the staging table (none counted) is treated as wide.
  await memory.forBatch(0, 4_000);
  assert.equal(await limitMb(), 160);
});

test('a narrow batch that runs out moves narrow batches to 128MB, then to the run limit, then up by doubling', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.forBatch(FLOW.records, FLOW.bytes);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 96MB and was committed at 128MB, the limit for batches of narrow records from now on');
  assert.equal(await limitMb(), 128);
  await memory.forBatch(CLOUDTRAIL.records, CLOUDTRAIL.bytes);
  assert.equal(await limitMb(), 160);
  await memory.forBatch(FLOW.records, FLOW.bytes);
  assert.equal(await limitMb(), 128);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 128MB and was committed at 160MB, the limit for the rest of the run');
  await memory.forBatch(FLOW.records, FLOW.bytes);
  assert.equal(await limitMb(), 160);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 160MB and was committed at 320MB, the limit for the rest of the run');
  assert.equal(await memory.raise(), 'a batch ran out of memory at 320MB and was committed at 512MB, the limit for the rest of the run');
  assert.equal(await limitMb(), 512);
  assert.equal(await memory.raise(), undefined);
});

test('a wide batch that runs out raises the run limit and leaves narrow batches at 96MB', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.forBatch(CLOUDTRAIL.records, CLOUDTRAIL.bytes);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 160MB and was committed at 320MB, the limit for the rest of the run');
  await memory.forBatch(FLOW.records, FLOW.bytes);
  assert.equal(await limitMb(), 96);
  await memory.forBatch(CLOUDTRAIL.records, CLOUDTRAIL.bytes);
  assert.equal(await limitMb(), 320);
});

test('a limit the user chose holds for narrow batches too', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '200MB', false, '512MB');
  await memory.forBatch(FLOW.records, FLOW.bytes);
  assert.equal(await limitMb(), 200);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 200MB and was committed at 400MB, the limit for the rest of the run');
});
