// What counts as a repeat: the same dedup key at the same time, whatever batch or run the two records arrive in.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RecordCounts } from '../src/lake/ingest-api.js';
import { dataset, scratchDir, tempLake } from './helpers/lake.js';

/** The AWS user guide's examples reuse eventID 234f004b-EXAMPLE for two events at different times (lines 18, 19). */
const examples = readFileSync(dataset('aws_docs_format_examples', 'cloudtrail', 'cloudtrail_user_guide_examples.jsonl'), 'utf8').split('\n');
const [first, second] = [JSON.parse(examples[17]!).event, JSON.parse(examples[18]!).event];

const counts = ({ read, stored, duplicates, quarantined }: RecordCounts) => ({ read, stored, duplicates, quarantined });

describe('repeats are the same key at the same time', () => {
  const scratch = scratchDir();
  const file = (name: string, lines: string[]) => {
    const full = path.join(scratch.dir, name);
    writeFileSync(full, lines.join('\n') + '\n');
    return full;
  };
  let a: string;
  let b: string;
  before(() => {
    assert.equal(first.eventID, second.eventID);
    assert.notEqual(first.eventTime, second.eventTime);
    a = file('a.jsonl', [JSON.stringify(first)]);
    b = file('b.jsonl', [JSON.stringify(second)]);
  });
  after(() => scratch.cleanup());

  /** The events stored after ingesting `runs`, each a list of inputs, with at most `batchRecords` per batch. */
  async function storedAfter(runs: string[][], batchRecords?: number): Promise<string[]> {
    const lake = await tempLake();
    const saved = process.env.GUMSHOE_BATCH_RECORDS;
    try {
      if (batchRecords !== undefined) process.env.GUMSHOE_BATCH_RECORDS = String(batchRecords);
      for (const inputs of runs) await lake.ingest(inputs);
      return (await lake.rows('SELECT time::VARCHAR AS t FROM api_activity ORDER BY 1')).map((row) => String(row.t));
    } finally {
      if (saved === undefined) delete process.env.GUMSHOE_BATCH_RECORDS;
      else process.env.GUMSHOE_BATCH_RECORDS = saved;
      lake.close();
    }
  }

  test('one eventID at two times is two events, in one batch, in batches of one record and in two runs', async () => {
    const oneBatch = await storedAfter([[a, b]]);
    assert.equal(oneBatch.length, 2);
    assert.deepEqual(await storedAfter([[a, b]], 1), oneBatch);
    assert.deepEqual(await storedAfter([[a], [b]]), oneBatch);
  });

  test('the same event twice, in one file or two, is stored once', async () => {
    const twice = file('twice.jsonl', [JSON.stringify(first), JSON.stringify(first)]);
    const again = file('again.jsonl', [JSON.stringify(first)]);
    const lake = await tempLake();
    try {
      assert.deepEqual(counts(await lake.ingest([twice])), { read: 2, stored: 1, duplicates: 1, quarantined: 0 });
      assert.deepEqual(counts(await lake.ingest([again])), { read: 1, stored: 0, duplicates: 1, quarantined: 0 });
    } finally {
      lake.close();
    }
  });
});

describe('blank lines are not records', () => {
  const scratch = scratchDir();
  after(() => scratch.cleanup());

  test('lines of spaces, tabs and carriage returns are neither read nor quarantined', async () => {
    const full = path.join(scratch.dir, 'blanks.jsonl');
    writeFileSync(full, ['', '   ', JSON.stringify(first), '\t', ' \t\r', JSON.stringify(second), '  '].join('\n'));
    const lake = await tempLake();
    try {
      assert.deepEqual(counts(await lake.ingest([full], { strict: true })), { read: 2, stored: 2, duplicates: 0, quarantined: 0 });
    } finally {
      lake.close();
    }
  });

  test('a line of text after spaces is still a record, and quarantined when it is not JSON', async () => {
    const full = path.join(scratch.dir, 'indented.jsonl');
    writeFileSync(full, [JSON.stringify(first), '   not json'].join('\n'));
    const lake = await tempLake();
    try {
      assert.deepEqual(counts(await lake.ingest([full])), { read: 2, stored: 1, duplicates: 0, quarantined: 1 });
      assert.deepEqual(await lake.rows("SELECT location FROM quarantine"), [{ location: 'line 2' }]);
    } finally {
      lake.close();
    }
  });
});
