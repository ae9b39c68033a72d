// The lake's on-disk format: verbatim records and CloudTrail's JSON payloads and ids compressed with zstd
// (faster to write than DuckDB's default choice), and lakes written in DuckDB's older default format still
// open and take new data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Lake } from '../src/lake/db.js';
import { createLakeSchema } from '../src/lake/schema.js';
import { ingest } from '../src/lake/ingest.js';
import { dataset, scratchDir, tempLake } from './helpers/lake.js';

const CT_DOCS = dataset('aws_docs_format_examples/cloudtrail/cloudtrail_user_guide_examples.jsonl');
const ROUTE53_ELASTIC = dataset('elastic_integration_fixtures/route53_resolver/test-route53.log');

test('every event table keeps its verbatim records, and CloudTrail its payloads and ids, zstd-compressed on disk', async () => {
  const lake = await tempLake();
  try {
    await lake.ingest([CT_DOCS, ROUTE53_ELASTIC]);
    await lake.lake.connection.run('CHECKPOINT');
    const zstdColumns = {
      api_activity: ['raw', 'api_request_data', 'api_response_data', 'resources', 'additional_event_data', 'api_request_uid', 'metadata_uid'],
      dns_activity: ['raw'],
    };
    for (const [table, columns] of Object.entries(zstdColumns)) {
      for (const column of columns) {
        const segments = await lake.rows(
          `SELECT DISTINCT compression FROM pragma_storage_info('${table}') WHERE column_name = '${column}' AND segment_type <> 'VALIDITY'`,
        );
        assert.deepEqual(segments.map((s) => s.compression), ['ZSTD'], `${table}.${column}`);
      }
    }
    // Short, repeated text keeps DuckDB's own choice.
    const principals = await lake.rows(
      `SELECT DISTINCT compression FROM pragma_storage_info('api_activity') WHERE column_name = 'actor_user_uid' AND segment_type = 'VARCHAR'`,
    );
    assert.notDeepEqual(principals.map((s) => s.compression), ['ZSTD']);
  } finally {
    lake.close();
  }
});

test("a lake in DuckDB's older default format is upgraded when opened, keeps its rows and takes new ones", async () => {
  const scratch = scratchDir();
  const file = path.join(scratch.dir, 'old.duckdb');
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`ATTACH '${file}' AS old; USE old`);
    await createLakeSchema(connection);
    await connection.run(`INSERT INTO api_activity (time, source_file_id, raw, dedup_key) VALUES (TIMESTAMP '2020-01-01', 0, '{"written": "before"}', 1)`);
    const version = async (c: typeof connection) =>
      JSON.stringify((await c.runAndReadAll(`SELECT tags FROM duckdb_databases() WHERE path = '${file}'`)).getRowsJS()[0]![0]);
    assert.match(await version(connection), /v1\.0\.0\+/);
    connection.closeSync();
    instance.closeSync();

    const first = await Lake.open(file);
    await ingest(first, [CT_DOCS]);
    assert.match(await version(first.connection), /v1\.5\.0\+/);
    first.close();

    const again = await Lake.open(file);
    try {
      await ingest(again, [ROUTE53_ELASTIC]);
      const counts = (await again.connection.runAndReadAll(
        `SELECT count(*) FILTER (raw = '{"written": "before"}'), count(*), (SELECT count(*) FROM dns_activity) FROM api_activity`,
      )).getRowsJS()[0]!.map(Number);
      assert.equal(counts[0], 1, 'the row written in the old format');
      assert.ok(counts[1]! > 1 && counts[2]! > 0, `rows added: ${counts}`);
    } finally {
      again.close();
    }
  } finally {
    scratch.cleanup();
  }
});
