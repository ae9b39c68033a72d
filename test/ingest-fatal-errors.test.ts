// Fatal problems during an ingest: checked before reading where they can be, and otherwise the files read
// before them are kept, so that running the same command again goes on from there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { systemFault } from '../src/cli/common.js';
import { Lake } from '../src/lake/db.js';
import { ingest } from '../src/lake/ingest.js';
import { UserError } from '../src/sources/input.js';
import { scratchDir } from './helpers/lake.js';

const MAIN = path.resolve(import.meta.dirname, '../src/cli/main.ts');
const gumshoe = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });

const scratch = scratchDir('gumshoe-ingest-faults-');
after(() => scratch.cleanup());

/** A CloudTrail file of one event, as a delivered object. */
function cloudTrailFile(i: number): string {
  return JSON.stringify({
    Records: [{
      eventVersion: '1.08', eventTime: `2024-05-06T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
      eventName: 'GetCallerIdentity', eventSource: 'sts.amazonaws.com', eventID: `ev-${i}`, awsRegion: 'us-east-1',
      recipientAccountId: '111122223333', sourceIPAddress: '198.51.100.7',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
    }],
  });
}

test('a mistyped input after others is named before anything is read, and leaves no lake behind', () => {
  const tree = path.join(scratch.dir, 'tree');
  mkdirSync(tree, { recursive: true });
  writeFileSync(path.join(tree, 'a.json'), cloudTrailFile(1));
  const db = path.join(scratch.dir, 'typo.duckdb');
  const result = gumshoe(['ingest', tree, path.join(scratch.dir, 'no-such-dir'), '--db', db]);
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /no such file or directory: .*no-such-dir/);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  assert.equal(existsSync(db), false);
});

test("'-' says that standard input is not read, rather than that a file named - is missing", () => {
  const result = gumshoe(['ingest', '-', '--db', path.join(scratch.dir, 'stdin.duckdb')]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /standard input \('-'\) is not supported: save the logs to a file/);
});

test('an invalid endpoint is named before any input is read', async () => {
  const lake = await Lake.open(path.join(scratch.dir, 'endpoint.duckdb'));
  try {
    const tree = path.join(scratch.dir, 'tree');
    await assert.rejects(ingest(lake, [tree, 's3://bucket/AWSLogs/'], { endpoint: 'not a url' }), /invalid S3 endpoint URL: not a url/);
    // No run was started: the tree before the bad input was not read only to be thrown away.
    const reader = await lake.connection.runAndReadAll('SELECT count(*) FROM ingest_runs');
    assert.equal(Number(reader.getRows()[0]![0]), 0);
  } finally {
    lake.close();
  }
});

/**
 * A minimal S3 API: ListObjectsV2 in pages of PAGE keys, GetObject. While `down`, every listing request
 * after the first page has its connection cut, as an endpoint that goes away mid-listing does.
 */
const PAGE = 500;
const OBJECTS = 800;
let server: Server;
let endpoint: string;
let down = true;

before(async () => {
  const keys = Array.from({ length: OBJECTS }, (_, i) => `AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/06/f${String(i).padStart(4, '0')}.json`);
  server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    if (rest.length === 0 || rest.join('/') === '') {
      const start = Number(url.searchParams.get('continuation-token') ?? 0);
      if (start > 0 && down) {
        request.socket.destroy();
        return;
      }
      const page = keys.slice(start, start + PAGE);
      const truncated = start + PAGE < keys.length;
      const contents = page.map((key) => `<Contents><Key>${key}</Key><Size>${cloudTrailFile(keys.indexOf(key)).length}</Size><ETag>"e${key.length}"</ETag></Contents>`).join('');
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix></Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${PAGE}</MaxKeys>` +
        `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${start + PAGE}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`);
      return;
    }
    const body = cloudTrailFile(keys.indexOf(decodeURIComponent(rest.join('/'))));
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), etag: '"e"' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server?.close());

const S3_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

async function lakeContents(file: string): Promise<string> {
  const lake = await Lake.open(file, { readOnly: true });
  try {
    const reader = await lake.connection.runAndReadAll(`SELECT
      (SELECT count(*) || ':' || sum(hash(dedup_key, time, source_file_id)::HUGEINT) FROM api_activity),
      (SELECT string_agg(concat_ws('|', file_id, uri, fingerprint, status, records_read), ',' ORDER BY file_id) FROM ingested_files)`);
    return reader.getRows()[0]!.join('\n');
  } finally {
    lake.close();
  }
}

test('an S3 endpoint that goes away mid-listing: the objects read before are kept, and the next run reads the rest', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, S3_ENV);
  try {
    const resumed = path.join(scratch.dir, 'resumed.duckdb');
    let lake = await Lake.open(resumed);
    try {
      await assert.rejects(ingest(lake, ['s3://logs/AWSLogs/'], { endpoint }), (error: unknown) => {
        assert.ok(error instanceof UserError, String(error));
        assert.match(error.message, /^cannot reach the S3 endpoint .*\(the 500 file\(s\) read before that are stored; once that is fixed, the same command reads the rest\)$/);
        return true;
      });
    } finally {
      lake.close();
    }
    assert.match(await lakeContents(resumed), /^500:/);

    down = false;
    lake = await Lake.open(resumed);
    try {
      const summary = await ingest(lake, ['s3://logs/AWSLogs/'], { endpoint });
      assert.equal(summary.filesUnchanged, 500);
      assert.equal(summary.files, OBJECTS - 500);
    } finally {
      lake.close();
    }
    const whole = path.join(scratch.dir, 'whole.duckdb');
    lake = await Lake.open(whole);
    try {
      await ingest(lake, ['s3://logs/AWSLogs/'], { endpoint });
    } finally {
      lake.close();
    }
    assert.equal(await lakeContents(resumed), await lakeContents(whole));
  } finally {
    process.env = saved;
    down = true;
  }
});

test('a full disk, a read-only file system or a directory without permission is a user error saying what to do', () => {
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  assert.match(systemFault(full)!.message, /^no space left on the device: free space there, or put the lake \(--db\) on a larger disk; what was committed before is kept/);
  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'mkdir', path: '/lakes/.gumshoe-stage-1' });
  assert.match(systemFault(denied)!.message, /^permission denied \(mkdir \/lakes\/\.gumshoe-stage-1\): .*make it writable, or choose another --db/);
  const duckdb = new Error('IO Error: Could not write file "/lakes/l.duckdb.wal": No space left on device');
  assert.match(systemFault(duckdb)!.message, /^no space left on the device \(IO Error: Could not write file "\/lakes\/l\.duckdb\.wal": No space left on device\): free space/);
  assert.equal(systemFault(new Error('Binder Error: no such column')), undefined);
  assert.equal(systemFault(new UserError('already a user error')), undefined);
});
