// DuckDB's memory limit while ingesting, batch by batch: narrow records (flow, DNS) run lower than wide ones
// (CloudTrail), and a batch that runs out of memory steps the limit up for the rest of the run. Framing's own
// memory is bounded by the largest record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { IngestMemory } from '../src/lake/ingest-memory.js';
import { StagedBatch } from '../src/lake/batch.js';
import { ChunkKind } from '../src/normalize/chunks.js';
import { frameRecords } from '../src/normalize/frame.js';
import { ScratchBuffer } from '../src/normalize/scratch-buffer.js';

async function connection() {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  /** The limit in bytes, as DuckDB reports it (rounded to its display). */
  const limitMb = async () => Math.round(Number((await c.runAndReadAll(`SELECT current_setting('memory_limit')`)).getRows()[0]![0]!.toString().replace(/ MiB$/, '')) * 1.048576);
  return { c, limitMb };
}

/** Average staged bytes per record, as measured on the benchmark's data. */
const FLOW = 142;
const CLOUDTRAIL = 1_423;

test('narrow batches are committed at 128MB, wide ones at the run limit', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.start();
  assert.equal(await limitMb(), 160);
  await memory.forBatch(FLOW);
  assert.equal(await limitMb(), 128);
  await memory.forBatch(CLOUDTRAIL);
  assert.equal(await limitMb(), 160);
  // A batch with no records (file rows only) runs at the run limit.
  await memory.forBatch(0);
  assert.equal(await limitMb(), 160);
});

test('a narrow batch re-reading files an earlier run read runs at the run limit; the next new one at 128MB again', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.start();
  await memory.forBatch(FLOW, true);
  assert.equal(await limitMb(), 160);
  await memory.forBatch(FLOW);
  assert.equal(await limitMb(), 128);
});

test('a batch re-reads when any of its files was read before', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gumshoe-rereads-'));
  try {
    const batch = new StagedBatch(path.join(dir, 'stage'));
    batch.addFile({ fileId: 1, uri: 'a.log', sourceType: 'vpcflow' }, false);
    assert.equal(batch.rereads, false);
    batch.addFile({ fileId: 2, uri: 'b.log', sourceType: 'vpcflow' }, true);
    assert.equal(batch.rereads, true);
    batch.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a narrow batch that runs out moves narrow batches to the run limit, then up by doubling', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.forBatch(CLOUDTRAIL);
  assert.equal(await limitMb(), 160);
  await memory.forBatch(FLOW);
  assert.equal(await limitMb(), 128);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 128MB and was committed at 160MB, the limit for the rest of the run');
  await memory.forBatch(FLOW);
  assert.equal(await limitMb(), 160);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 160MB and was committed at 320MB, the limit for the rest of the run');
  assert.equal(await memory.raise(), 'a batch ran out of memory at 320MB and was committed at 512MB, the limit for the rest of the run');
  assert.equal(await limitMb(), 512);
  assert.equal(await memory.raise(), undefined);
});

test('a wide batch that runs out raises the run limit and leaves narrow batches at 128MB', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '160MB', true, '512MB');
  await memory.forBatch(CLOUDTRAIL);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 160MB and was committed at 320MB, the limit for the rest of the run');
  await memory.forBatch(FLOW);
  assert.equal(await limitMb(), 128);
  await memory.forBatch(CLOUDTRAIL);
  assert.equal(await limitMb(), 320);
});

test('a limit the user chose holds for narrow batches too', async () => {
  const { c, limitMb } = await connection();
  const memory = new IngestMemory(c, '200MB', false, '512MB');
  await memory.forBatch(FLOW);
  assert.equal(await limitMb(), 200);
  assert.equal(await memory.raise(), 'a batch ran out of memory at 200MB and was committed at 400MB, the limit for the rest of the run');
});

test('a batch is as wide as its widest source: a few CloudTrail events among many flow records make it wide', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gumshoe-width-'));
  const batch = new StagedBatch(path.join(dir, 'stage.txt'));
  try {
    const lines = (line: string, count: number) => ({ kind: ChunkKind.LineBytes as const, firstLine: 1, bytes: Buffer.from(`${line}\n`.repeat(count)) });
    const flow = '2 123456789012 eni-0a1b2c3d 10.0.0.5 203.0.113.9 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK';
    batch.addFile({ fileId: 1, uri: 'flow.log', sourceType: 'vpcflow' }, false);
    batch.append(1, lines(flow, 1_000));
    assert.equal(batch.widestRecordBytes(), flow.length + 1);
    const event = JSON.stringify({ eventVersion: '1.08', eventID: 'e', eventName: 'GetObject', padding: 'x'.repeat(1_200) });
    batch.addFile({ fileId: 2, uri: 'trail.json', sourceType: 'cloudtrail' }, false);
    batch.append(2, lines(event, 10));
    // The average over all 1,010 records would be narrow (about 230 bytes); the CloudTrail events are not.
    assert.ok(batch.stagedBytes / batch.stagedRecords < 512);
    assert.equal(batch.widestRecordBytes(), event.length + 1);
  } finally {
    batch.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a JSON document is framed window by window: the bytes held are bounded by its largest record, not by the document', async () => {
  const RECORDS = 80_000;
  const LARGE = 50_000;
  const record = (i: number) => {
    const pad = i === LARGE ? 'L'.repeat(6 << 20) : 'p'.repeat(1_000);
    return `{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"${i}","pad":"${pad}"}`;
  };
  /** About 90 MB of {"Records":[…]}, made a megabyte at a time: never whole in memory here either. */
  async function* document(): AsyncGenerator<Buffer> {
    let piece: string[] = ['{"Records":['];
    let size = 0;
    for (let i = 0; i < RECORDS; i++) {
      piece.push(i === 0 ? record(i) : `,${record(i)}`);
      size += 1_150;
      if (size >= 1 << 20 || i === LARGE) {
        yield Buffer.from(piece.join(''));
        piece = [];
        size = 0;
      }
    }
    yield Buffer.from(`${piece.join('')}]}`);
  }
  const options = { scratch: new ScratchBuffer(), parquet: async () => assert.fail('not Parquet') };
  let records = 0;
  let largest = 0;
  let held = 0;
  for await (const item of frameRecords(Readable.from(document(), { objectMode: false }), '/x/export.json', options)) {
    if (!('chunk' in item)) continue;
    const { chunk } = item;
    assert.equal(chunk.kind, ChunkKind.Elements);
    if (chunk.kind !== ChunkKind.Elements) continue;
    records += chunk.starts.length;
    chunk.starts.forEach((start, i) => (largest = Math.max(largest, chunk.ends[i]! - start)));
    held = Math.max(held, chunk.bytes.buffer.byteLength);
  }
  assert.equal(records, RECORDS);
  assert.equal(largest, record(LARGE).length);
  // The window: the record still open (at most the 6 MB one) and about 4 MB read after it, with room to grow.
  assert.ok(held < 24 << 20, `framing held ${held} bytes of a ${RECORDS * 1_150 + (6 << 20)}-byte document`);
});
