// Framing joins a file's pieces in one reused buffer (normalize/scratch-buffer.ts): what is left of one
// chunk is moved to the front for the next, and the next file overwrites the last. Nothing may leak across.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScratchBuffer } from '../src/normalize/scratch-buffer.js';
import { scratchDir, tempLake } from './helpers/lake.js';

test('a join may take a piece that is a view of its own buffer, and grows without losing it', () => {
  const scratch = new ScratchBuffer();
  const first = scratch.join([Buffer.from('abc'), Buffer.from('defgh')], 8);
  assert.equal(first.toString(), 'abcdefgh');
  // What the last join left over (its tail) goes to the front, then a new piece.
  const second = scratch.join([first.subarray(5), Buffer.from('XY')], 5);
  assert.equal(second.toString(), 'fghXY');
  // Past the buffer's size: a new buffer, the leftover read from the old one.
  const third = scratch.join([second.subarray(1), Buffer.alloc(20, 'z')], 24);
  assert.equal(third.toString(), `ghXY${'z'.repeat(20)}`);
});

test('files framed one after another through the shared buffer keep every record intact', async () => {
  const scratch = scratchDir();
  const lake = await tempLake();
  try {
    const event = (n: number, pad: number) => ({
      eventVersion: '1.08', eventTime: new Date(Date.UTC(2024, 0, 1, 0, 0, n % 3600)).toISOString(), eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeInstances', awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.9', eventID: `event-${n}`,
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' }, requestParameters: { note: 'x'.repeat(pad) },
    });
    // Lines of uneven length over several 4 MB chunks, so each chunk leaves a cut line for the next.
    const lines = Array.from({ length: 12_000 }, (_, n) => JSON.stringify(event(n, (n * 7919) % 1500)));
    const big = path.join(scratch.dir, 'a-lines.json');
    writeFileSync(big, lines.join('\n') + '\n');
    // Then a large document and a smaller one: the second lands on the first one's bytes.
    const docs = [[20_000, 3000, 600], [30_000, 400, 50]].map(([from, count, pad], i) => {
      const records = Array.from({ length: count! }, (_, k) => event(from! + k, pad!));
      const file = path.join(scratch.dir, `b-doc-${i}.json`);
      writeFileSync(file, JSON.stringify({ Records: records }));
      return records.map((r) => JSON.stringify(r));
    });
    const summary = await lake.ingest([scratch.dir]);
    const expected = [...lines, ...docs.flat()];
    assert.equal(summary.stored, expected.length);
    assert.equal(summary.quarantined, 0);
    const stored = (await lake.rows('SELECT raw FROM api_activity')).map((row) => String(row.raw));
    assert.deepEqual(stored.sort(), expected.sort());
  } finally {
    lake.close();
    scratch.cleanup();
  }
});
